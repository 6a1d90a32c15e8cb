//! Evals queued over HTTP and run by workers: the runs `eval` would make,
//! progress over Server-Sent Events, cancelling, bad requests, and the
//! faults a queue must survive: a worker killed with `kill -9` mid-eval on
//! PostgreSQL, and a server killed and restarted mid-eval.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::http::Served;
use crate::support::{PostgresSchema, command, oncall_gym, scratch_dir};

/// `oncall-gym worker` with `arguments`, its stderr kept in a file.
fn start_worker(arguments: &[&str], log: &std::path::Path) -> Child {
    command()
        .arg("worker")
        .args(arguments)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap()
}

fn signal(child: &Child, signal: &str) {
    let sent = std::process::Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
}

/// Polls eval `id` until `done` says so, or fails after `limit`.
fn wait_for(served: &Served, id: &str, limit: Duration, done: impl Fn(&Value) -> bool) -> Value {
    let started = Instant::now();
    loop {
        let eval = served.get(&format!("/v1/evals/{id}")).expect_ok(200);
        if done(&eval) {
            return eval;
        }
        assert!(
            started.elapsed() < limit,
            "eval {id} did not get there in {limit:?}: {eval}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn queue(served: &Served, body: &Value) -> (String, u64) {
    let created = served.post_json("/v1/evals", body).expect_ok(202);
    assert_eq!(created["status"], "queued");
    (
        created["id"].as_str().unwrap().to_owned(),
        created["runs"].as_u64().unwrap(),
    )
}

/// An open SSE stream.
struct EventStream {
    lines: std::io::Lines<BufReader<ureq::BodyReader<'static>>>,
}

impl EventStream {
    fn open(base: &str, path: &str) -> EventStream {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        let response = agent.get(format!("{base}{path}")).call().unwrap();
        assert_eq!(
            response.headers().get("content-type").unwrap(),
            "text/event-stream"
        );
        EventStream {
            lines: BufReader::new(response.into_body().into_reader()).lines(),
        }
    }

    /// The next event as (event, data), or `None` once the stream closes.
    fn next_event(&mut self) -> Option<(String, Value)> {
        let mut name = String::new();
        for line in self.lines.by_ref() {
            let line = line.unwrap();
            if let Some(event) = line.strip_prefix("event: ") {
                name = event.to_owned();
            } else if let Some(data) = line.strip_prefix("data: ") {
                return Some((name, serde_json::from_str(data).unwrap()));
            }
        }
        None
    }

    /// Every event left, until the stream closes.
    fn rest(mut self) -> Vec<(String, Value)> {
        std::iter::from_fn(|| self.next_event()).collect()
    }
}

#[test]
fn an_eval_posted_over_http_makes_the_runs_eval_makes_and_streams_progress() {
    let directory = scratch_dir("http_eval");
    let db = directory.join("results.db").display().to_string();
    let served = Served::start(&["--db", &db, "--workers", "0"]);
    let scenarios = [
        "latency_spike",
        "orders_deploy_errors",
        "ledger_db_disk_full",
    ];
    let (id, runs) = queue(
        &served,
        &json!({"agent": "heuristic", "scenarios": scenarios, "trials": 3, "seed": 5}),
    );
    assert_eq!(runs, 9);
    let listed = served.get("/v1/evals").expect_ok(200);
    assert_eq!(listed["evals"][0]["id"], id.as_str());
    assert_eq!(listed["evals"][0]["status"], "queued");

    // The first event comes before any worker runs: nothing is done yet.
    let mut stream = EventStream::open(&served.base, &format!("/v1/evals/{}/events", &id[..8]));
    let first = stream.next_event().unwrap();
    let log = directory.join("worker.log");
    let worker = start_worker(&["--db", &db], &log);
    let mut events = vec![first];
    events.extend(stream.rest());
    let (first, last) = (&events[0], events.last().unwrap());
    assert_eq!(first.0, "progress", "{events:?}");
    assert_eq!(first.1["status"], "queued", "{events:?}");
    assert_eq!(first.1["progress"]["done"], 0);
    assert_eq!(last.0, "end", "{events:?}");
    assert_eq!(last.1["status"], "completed");
    assert_eq!(last.1["progress"]["done"], 9);
    assert_eq!(last.1["runs"], 9);
    assert!(
        events[..events.len() - 1]
            .iter()
            .all(|(name, _)| name == "progress")
    );

    let eval = served.get(&format!("/v1/evals/{id}")).expect_ok(200);
    assert_eq!(eval["eval"]["status"], "completed");
    assert!(eval["eval"]["finished_at"].is_string());
    assert_eq!(eval["scorecard"]["scenarios"].as_array().unwrap().len(), 3);

    // The same runs `eval` makes with the same seed: ids and scores.
    let out = directory.join("cli.jsonl");
    let mut arguments = vec!["eval"];
    arguments.extend(scenarios);
    arguments.extend([
        "--trials",
        "3",
        "--seed",
        "5",
        "--no-db",
        "--out",
        out.to_str().unwrap(),
    ]);
    oncall_gym(&arguments).expect_code(0);
    let expected: BTreeSet<(String, u64, String, String)> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|line| {
            let record: Value = serde_json::from_str(line).unwrap();
            (
                record["scenario"].as_str().unwrap().to_owned(),
                record["trial"].as_u64().unwrap(),
                record["run_id"].as_str().unwrap().to_owned(),
                record["score"]["total"].to_string(),
            )
        })
        .collect();
    let stored = served
        .get(&format!("/v1/runs?eval={}", &id[..8]))
        .expect_ok(200);
    let stored: BTreeSet<(String, u64, String, String)> = stored["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|run| {
            (
                run["scenario"].as_str().unwrap().to_owned(),
                run["trial"].as_u64().unwrap(),
                run["run_id"].as_str().unwrap().to_owned(),
                run["score"].to_string(),
            )
        })
        .collect();
    assert_eq!(stored, expected);

    let run_id = &stored.iter().next().unwrap().2;
    let shown = served
        .get(&format!("/v1/runs/{run_id}?eval={id}"))
        .expect_ok(200);
    assert_eq!(shown["record"]["run_id"], run_id.as_str());
    let events = served
        .get(&format!("/v1/runs/{run_id}/events?eval={id}"))
        .expect_ok(200);
    assert_eq!(events["verified"], true, "{events}");
    assert_eq!(events["events"][0]["seq"], 0);
    let raw = served.get(&format!("/v1/runs/{run_id}/events?eval={id}&format=jsonl"));
    assert_eq!(raw.content_type, "application/x-ndjson");
    let exported = directory.join("exported.jsonl");
    std::fs::write(&exported, &raw.body).unwrap();
    oncall_gym(&["replay", exported.to_str().unwrap()]).expect_code(0);
    let comparison = served
        .get(&format!("/v1/compare?a={id}&b={}&resamples=200", &id[..8]))
        .expect_ok(200);
    assert_eq!(comparison["scenarios"].as_array().unwrap().len(), 3);

    signal(&worker, "-TERM");
    let mut worker = worker;
    assert_eq!(worker.wait().unwrap().code(), Some(0));
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(log.contains("stopped; 9 runs made (0 failed)"), "{log}");
}

#[test]
fn an_eval_of_variants_posted_over_http_makes_the_runs_eval_variants_makes() {
    let directory = scratch_dir("http_variants");
    let db = directory.join("results.db").display().to_string();
    let served = Served::start(&["--db", &db, "--workers", "1"]);
    let scenarios = ["latency_spike", "cart_retry_storm"];
    let (id, runs) = queue(
        &served,
        &json!({"agent": "heuristic", "scenarios": scenarios, "trials": 2, "variants": 3, "seed": 7}),
    );
    assert_eq!(runs, 12);
    let eval = wait_for(&served, &id, Duration::from_secs(60), |eval| {
        eval["eval"]["status"] == "completed"
    });
    assert_eq!(eval["eval"]["settings"]["variants"], 3);
    // pass^k over all of a scenario's runs: every variant's trials.
    assert_eq!(eval["scorecard"]["k"], 6, "{eval}");
    let out = directory.join("cli.jsonl");
    let cli_db = directory.join("cli.db").display().to_string();
    let mut arguments = vec!["eval"];
    arguments.extend(scenarios);
    arguments.extend([
        "--agent",
        "heuristic",
        "--trials",
        "2",
        "--variants",
        "3",
        "--seed",
        "7",
        "--db",
        &cli_db,
        "--out",
        out.to_str().unwrap(),
    ]);
    oncall_gym(&arguments).expect_code(0);
    let key = |record: &Value| {
        (
            record["scenario"].as_str().unwrap().to_owned(),
            record["trial"].as_u64().unwrap(),
            record["run_id"].as_str().unwrap().to_owned(),
            record["variant"].to_string(),
            record["score"].to_string(),
        )
    };
    let expected: BTreeSet<_> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|line| key(&serde_json::from_str(line).unwrap()))
        .collect();
    let stored = served.get(&format!("/v1/runs?eval={id}")).expect_ok(200);
    let stored: BTreeSet<_> = stored["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|run| {
            let shown = served
                .get(&format!(
                    "/v1/runs/{}?eval={id}",
                    run["run_id"].as_str().unwrap()
                ))
                .expect_ok(200);
            key(&shown["record"])
        })
        .collect();
    assert_eq!(stored.len(), 12);
    assert_eq!(stored, expected);
    // The workers ran each variant's rendering, not only its label: every
    // audit log (whose tool results hold the telemetry) is byte for byte
    // the one `eval --variants` stored.
    for (_, _, run_id, _, _) in &stored {
        let served_log = served.get(&format!("/v1/runs/{run_id}/events?eval={id}&format=jsonl"));
        let exported = oncall_gym(&["runs", "export", run_id, "--db", &cli_db]);
        exported.expect_code(0);
        assert_eq!(served_log.body, exported.stdout, "run {run_id}");
    }
}

#[test]
fn bad_evals_are_refused_and_a_cancel_drops_what_is_queued() {
    let directory = scratch_dir("http_cancel");
    let db = directory.join("results.db").display().to_string();
    let served = Served::start(&["--db", &db, "--workers", "0"]);
    for (body, code, says) in [
        (
            json!({"agent": "gpt", "trials": 1}),
            "invalid_params",
            "unknown agent",
        ),
        (json!({"agent": "heuristic"}), "invalid_params", "trials"),
        (
            json!({"agent": "heuristic", "trials": 0}),
            "invalid_params",
            "between 1 and",
        ),
        (
            json!({"agent": "heuristic", "trials": 1, "colour": 1}),
            "invalid_params",
            "colour",
        ),
        (
            json!({"agent": "heuristic", "trials": 1, "scenarios": []}),
            "invalid_params",
            "empty",
        ),
        (
            json!({"agent": "heuristic", "trials": 1, "scenarios": ["nope"]}),
            "invalid_params",
            "nope",
        ),
        (
            json!({"agent": "heuristic", "trials": 1, "scenarios": ["latency_spike", "latency_spike"]}),
            "invalid_params",
            "twice",
        ),
        (
            json!({"agent": "heuristic", "trials": 1, "max_steps": 0}),
            "invalid_params",
            "max_steps",
        ),
        (
            json!({"agent": "heuristic", "trials": 10000}),
            "too_many_runs",
            "at most 10000",
        ),
        (
            json!({"agent": "heuristic", "trials": -1}),
            "invalid_params",
            "trials",
        ),
        (
            json!({"agent": "heuristic", "trials": 1, "variants": 0}),
            "invalid_params",
            "variants is 0",
        ),
        (
            json!({"agent": "heuristic", "trials": 1, "variants": 101}),
            "invalid_params",
            "between 1 and 100",
        ),
        (
            json!({"agent": "heuristic", "trials": 101, "variants": 100}),
            "too_many_runs",
            "10100 runs per scenario",
        ),
    ] {
        let message = served.post_json("/v1/evals", &body).expect_error(400, code);
        assert!(message.contains(says), "{body}: {message}");
    }
    assert!(
        served.get("/v1/evals").expect_ok(200)["evals"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    let (id, runs) = queue(&served, &json!({"agent": "random", "trials": 2}));
    let cancelled = served
        .post(&format!("/v1/evals/{id}/cancel"), "")
        .expect_ok(200);
    assert_eq!(cancelled["dropped"], runs);
    assert_eq!(cancelled["status"], "cancelled");
    served
        .post(&format!("/v1/evals/{id}/cancel"), "")
        .expect_error(409, "eval_finished");
    let eval = served.get(&format!("/v1/evals/{id}")).expect_ok(200);
    assert_eq!(eval["eval"]["status"], "cancelled");
    assert_eq!(eval["progress"]["cancelled"], runs);
    assert_eq!(eval["scorecard"], Value::Null);
    let events = EventStream::open(&served.base, &format!("/v1/evals/{id}/events")).rest();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].0, "end");
    assert_eq!(events[0].1["status"], "cancelled");

    served
        .get("/v1/evals/zz-not-hex")
        .expect_error(400, "bad_id");
    served
        .get("/v1/evals/ffffffff")
        .expect_error(404, "not_found");
    served
        .get("/v1/evals/ffffffff/events")
        .expect_error(404, "not_found");
    served
        .post("/v1/evals/ffffffff/cancel", "")
        .expect_error(404, "not_found");
    served
        .get("/v1/runs/ffffffff")
        .expect_error(404, "not_found");
    served
        .get("/v1/runs?limit=0")
        .expect_error(400, "invalid_query");
    served
        .get("/v1/runs?limit=abc")
        .expect_error(400, "invalid_query");
    served
        .get("/v1/runs?eval=ffffffff")
        .expect_error(404, "not_found");
    served
        .get("/v1/runs/ffffffff/events?format=xml")
        .expect_error(400, "invalid_query");
    served
        .get(&format!("/v1/compare?a={id}"))
        .expect_error(400, "invalid_query");
    served
        .get(&format!("/v1/compare?a={id}&b={id}"))
        .expect_error(400, "nothing_to_compare");
    served
        .get(&format!("/v1/compare?a={id}&b={id}&resamples=0"))
        .expect_error(400, "invalid_query");
    assert!(
        served.get("/v1/runs").expect_ok(200)["runs"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

/// How many rows of `eval` a worker process (by its pid) holds claimed.
fn held_by(client: &mut postgres::Client, eval: &str, pid: u32) -> i64 {
    client
        .query_one(
            "SELECT COUNT(*) FROM jobs WHERE eval_id = $1 AND state = 'claimed' AND worker LIKE $2",
            &[&eval, &format!("%-{pid}-%")],
        )
        .unwrap()
        .get(0)
}

#[test]
fn a_worker_killed_mid_eval_on_postgresql_loses_nothing_and_stores_nothing_twice() {
    let Some(schema) = PostgresSchema::create("http_workers") else {
        return;
    };
    let directory = scratch_dir("http_kill_worker");
    let served = Served::start(&["--db", &schema.url, "--workers", "0"]);
    let (id, runs) = queue(
        &served,
        &json!({"agent": "heuristic", "trials": 40, "seed": 3}),
    );
    assert!(runs >= 100, "{runs}");
    let lease = ["--db", schema.url.as_str(), "--lease-seconds", "2"];
    let mut doomed = start_worker(&lease, &directory.join("a.log"));
    let mut survivor = start_worker(&lease, &directory.join("b.log"));
    wait_for(&served, &id, Duration::from_secs(60), |eval| {
        eval["progress"]["done"].as_u64().unwrap() >= 30
    });
    // Freeze the doomed worker while it holds rows, then kill it: it dies
    // mid-batch, with runs claimed that it never finished.
    let mut client = postgres::Client::connect(&schema.url, postgres::NoTls).unwrap();
    let mut tries = 0;
    let held: Vec<(String, i64)> = loop {
        tries += 1;
        assert!(
            tries < 400,
            "the doomed worker never held a row when frozen"
        );
        signal(&doomed, "-STOP");
        let rows = client
            .query(
                "SELECT scenario, trial FROM jobs WHERE eval_id = $1 AND state = 'claimed' AND worker LIKE $2",
                &[&id, &format!("%-{}-%", doomed.id())],
            )
            .unwrap();
        if !rows.is_empty() {
            break rows.iter().map(|row| (row.get(0), row.get(1))).collect();
        }
        signal(&doomed, "-CONT");
        std::thread::sleep(Duration::from_millis(5));
    };
    signal(&doomed, "-KILL");
    doomed.wait().unwrap();
    let at_kill = served.get(&format!("/v1/evals/{id}")).expect_ok(200);
    assert_ne!(at_kill["eval"]["status"], "completed", "{at_kill}");

    let finished = wait_for(&served, &id, Duration::from_secs(120), |eval| {
        eval["eval"]["status"] != "running" && eval["eval"]["status"] != "queued"
    });
    assert_eq!(finished["eval"]["status"], "completed", "{finished}");
    assert_eq!(finished["progress"]["done"], runs);
    assert_eq!(held_by(&mut client, &id, doomed.id()), 0);
    let row = client
        .query_one(
            "SELECT (SELECT COUNT(*) FROM runs WHERE eval_id = $1),
                    (SELECT COUNT(DISTINCT (scenario, trial)) FROM runs WHERE eval_id = $1),
                    (SELECT COUNT(*) FROM jobs WHERE eval_id = $1 AND state <> 'done')",
            &[&id],
        )
        .unwrap();
    let (stored, distinct, not_done): (i64, i64, i64) = (row.get(0), row.get(1), row.get(2));
    assert_eq!(stored as u64, runs, "every (scenario, trial) stored");
    assert_eq!(distinct, stored, "none stored twice");
    assert_eq!(not_done, 0);
    for (scenario, trial) in &held {
        let copies: i64 = client
            .query_one(
                "SELECT COUNT(*) FROM runs WHERE eval_id = $1 AND scenario = $2 AND trial = $3",
                &[&id, scenario, trial],
            )
            .unwrap()
            .get(0);
        assert_eq!(
            copies, 1,
            "trial {trial} of {scenario}, held by the killed worker"
        );
    }

    signal(&survivor, "-TERM");
    assert_eq!(survivor.wait().unwrap().code(), Some(0));
    let (code, stderr) = served.stop("-TERM");
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn a_server_killed_mid_eval_resumes_it_when_restarted() {
    let directory = scratch_dir("http_restart");
    let db = directory.join("results.db").display().to_string();
    let arguments = [
        "--db",
        db.as_str(),
        "--workers",
        "1",
        "--lease-seconds",
        "1",
    ];
    let served = Served::start(&arguments);
    let (id, runs) = queue(
        &served,
        &json!({"agent": "random", "trials": 30, "seed": 8}),
    );
    let at_kill = wait_for(&served, &id, Duration::from_secs(60), |eval| {
        eval["progress"]["done"].as_u64().unwrap() >= 20
    });
    let (code, _) = served.stop("-KILL");
    assert_eq!(code, -1);
    assert!(
        at_kill["progress"]["done"].as_u64().unwrap() < runs,
        "{at_kill}"
    );

    let restarted = Served::start(&arguments);
    let finished = wait_for(&restarted, &id, Duration::from_secs(120), |eval| {
        eval["eval"]["status"] == "completed"
    });
    assert_eq!(finished["progress"]["done"], runs);
    assert_eq!(finished["eval"]["runs"], runs);
    let connection = rusqlite::Connection::open(&db).unwrap();
    let (stored, distinct): (i64, i64) = connection
        .query_row(
            "SELECT COUNT(*), COUNT(DISTINCT scenario || '/' || trial) FROM runs WHERE eval_id = ?1",
            [&id],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap();
    assert_eq!((stored as u64, distinct as u64), (runs, runs));
    let (code, stderr) = restarted.stop("-TERM");
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn a_worker_stopped_with_sigterm_finishes_its_run_and_puts_the_rest_back() {
    let directory = scratch_dir("http_sigterm");
    let db = directory.join("results.db").display().to_string();
    let served = Served::start(&["--db", &db, "--workers", "0"]);
    let (id, runs) = queue(
        &served,
        &json!({"agent": "heuristic", "trials": 30, "seed": 4}),
    );
    let log = directory.join("worker.log");
    let mut worker = start_worker(&["--db", &db, "--lease-seconds", "600"], &log);
    wait_for(&served, &id, Duration::from_secs(60), |eval| {
        eval["progress"]["done"].as_u64().unwrap() >= 10
    });
    signal(&worker, "-TERM");
    assert_eq!(worker.wait().unwrap().code(), Some(0));
    // With a 10-minute lease, only a release puts its claims back now.
    let eval = served.get(&format!("/v1/evals/{id}")).expect_ok(200);
    let progress = &eval["progress"];
    assert_eq!(progress["claimed"], 0, "{eval}");
    let (done, queued) = (
        progress["done"].as_u64().unwrap(),
        progress["queued"].as_u64().unwrap(),
    );
    assert!(done >= 10 && queued > 0, "{eval}");
    assert_eq!(done + queued, runs, "{eval}");
    assert_eq!(
        eval["eval"]["runs"], done,
        "every run done is stored: {eval}"
    );
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(log.contains(&format!("stopped; {done} runs made")), "{log}");
}
