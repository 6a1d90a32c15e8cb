//! `oncall-gym serve --http` on loopback, spoken to as a client would:
//! every endpoint, every error as JSON, the limits, the token, and an
//! episode whose audit log is the one `run` (and the stdio protocol)
//! writes.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{bundled_scenarios, command, oncall_gym, oracle_analysis, scratch_dir};

/// A running `serve --http` on a free loopback port.
pub(crate) struct Served {
    child: Child,
    pub(crate) base: String,
    stderr: Arc<Mutex<String>>,
    reader: Option<std::thread::JoinHandle<()>>,
    agent: ureq::Agent,
    token: Option<String>,
}

/// An answer: its status, its content type and its body.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) content_type: String,
    pub(crate) body: String,
}

impl Answer {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {}", self.body))
    }

    /// Asserts a JSON error with this status and code.
    #[track_caller]
    pub(crate) fn expect_error(&self, status: u16, code: &str) -> String {
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(self.content_type, "application/json", "{}", self.body);
        let body = self.json();
        assert_eq!(body["error"]["code"], code, "{body}");
        body["error"]["message"].as_str().unwrap().to_owned()
    }

    #[track_caller]
    pub(crate) fn expect_ok(&self, status: u16) -> Value {
        assert_eq!(self.status, status, "{}", self.body);
        self.json()
    }
}

impl Served {
    /// `serve --http 127.0.0.1:0` with `arguments` added.
    pub(crate) fn start(arguments: &[&str]) -> Served {
        Served::start_with(arguments, None)
    }

    pub(crate) fn start_with(arguments: &[&str], token: Option<&str>) -> Served {
        let mut child = command()
            .args(["serve", "--http", "127.0.0.1:0"])
            .args(arguments)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut first = String::new();
        stderr.read_line(&mut first).unwrap();
        let base = first
            .split("listening on ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("serve did not say where it listens: {first}"))
            .to_owned();
        let collected = Arc::new(Mutex::new(first));
        let sink = Arc::clone(&collected);
        let reader = std::thread::spawn(move || {
            let mut rest = String::new();
            let _ = stderr.read_to_string(&mut rest);
            sink.lock().unwrap().push_str(&rest);
        });
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        Served {
            child,
            base,
            stderr: collected,
            reader: Some(reader),
            agent,
            token: token.map(str::to_owned),
        }
    }

    fn finish(&self, mut response: ureq::http::Response<ureq::Body>) -> Answer {
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let body = response
            .body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_string()
            .unwrap();
        Answer {
            status,
            content_type,
            body,
        }
    }

    pub(crate) fn get(&self, path: &str) -> Answer {
        let mut request = self.agent.get(format!("{}{path}", self.base));
        if let Some(token) = &self.token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        self.finish(request.call().unwrap())
    }

    pub(crate) fn post(&self, path: &str, body: &str) -> Answer {
        let mut request = self
            .agent
            .post(format!("{}{path}", self.base))
            .content_type("application/json");
        if let Some(token) = &self.token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        self.finish(request.send(body).unwrap())
    }

    /// Sends `head` (a request's head, no body) over a fresh connection
    /// and reads the answer until the server closes it: its status and
    /// body.
    pub(crate) fn raw(&self, head: &str) -> (u16, String) {
        use std::io::Write;
        let address = self.base.trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(address).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream.write_all(head.as_bytes()).unwrap();
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        let status = answer
            .split_whitespace()
            .nth(1)
            .and_then(|status| status.parse().ok())
            .unwrap_or_else(|| panic!("no status in: {answer}"));
        let body = answer
            .split_once("\r\n\r\n")
            .map_or("", |(_, body)| body)
            .to_owned();
        (status, body)
    }

    pub(crate) fn post_json(&self, path: &str, body: &Value) -> Answer {
        self.post(path, &body.to_string())
    }

    pub(crate) fn delete(&self, path: &str) -> Answer {
        let mut request = self.agent.delete(format!("{}{path}", self.base));
        if let Some(token) = &self.token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        self.finish(request.call().unwrap())
    }

    /// Sends `signal` (`-TERM`, `-KILL`) and waits: the exit code (-1 when
    /// killed) and everything it wrote on stderr.
    pub(crate) fn stop(mut self, signal: &str) -> (i32, String) {
        let sent = std::process::Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let status = self.child.wait().unwrap();
        if let Some(reader) = self.reader.take() {
            reader.join().unwrap();
        }
        let stderr = self.stderr.lock().unwrap().clone();
        (status.code().unwrap_or(-1), stderr)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn db(directory: &Path) -> String {
    directory.join("results.db").display().to_string()
}

fn call(tool: &str) -> Value {
    json!({"action": "call_tool", "tool_name": tool, "params": {}, "reasoning": "look"})
}

#[test]
fn listings_and_operations_answer_and_show_no_ground_truth() {
    let directory = scratch_dir("http_listings");
    let served = Served::start(&["--db", &db(&directory)]);
    assert_eq!(
        served.get("/healthz").expect_ok(200),
        json!({"status": "ok"})
    );
    let ready = served.get("/readyz").expect_ok(200);
    assert_eq!(ready["store"], true);
    let scenarios = served.get("/v1/scenarios").expect_ok(200);
    let scenarios = scenarios.as_array().unwrap();
    assert_eq!(scenarios.len(), bundled_scenarios().len());
    for entry in scenarios {
        let keys: Vec<&String> = entry.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["id", "difficulty"], "{entry}");
    }
    let tools = served.get("/v1/tools").expect_ok(200);
    let names: Vec<&str> = tools
        .as_array()
        .unwrap()
        .iter()
        .map(|tool| tool["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"logs") && names.contains(&"escalate"),
        "{names:?}"
    );
    let metrics = served.get("/metrics");
    assert_eq!(metrics.status, 200);
    assert!(metrics.content_type.starts_with("text/plain"));
    for name in [
        "oncall_gym_runs_done_total 0",
        "oncall_gym_runs_failed_total 0",
        "oncall_gym_queue_depth 0",
        "oncall_gym_step_latency_seconds_count 0",
    ] {
        assert!(metrics.body.contains(name), "{name}: {}", metrics.body);
    }
    let document = served.get("/v1/openapi.json").expect_ok(200);
    let paths: Vec<&String> = document["paths"].as_object().unwrap().keys().collect();
    for path in [
        "/v1/episodes",
        "/v1/episodes/{id}",
        "/v1/episodes/{id}/step",
        "/v1/evals",
        "/v1/evals/{id}",
        "/v1/evals/{id}/events",
        "/v1/evals/{id}/cancel",
        "/v1/runs",
        "/v1/runs/{id}",
        "/v1/runs/{id}/events",
        "/v1/compare",
        "/v1/scenarios",
        "/v1/tools",
        "/healthz",
        "/readyz",
        "/metrics",
    ] {
        assert!(paths.contains(&&path.to_owned()), "{path} not in {paths:?}");
    }
    // The web UI: a page, its script and styles, compiled in.
    let page = served.get("/");
    assert_eq!(page.status, 200);
    assert!(
        page.content_type.starts_with("text/html"),
        "{}",
        page.content_type
    );
    assert!(page.body.contains(r#"<script src="/ui/app.js"></script>"#));
    assert!(
        served
            .get("/ui/app.js")
            .content_type
            .starts_with("text/javascript")
    );
    assert!(
        served
            .get("/ui/app.css")
            .content_type
            .starts_with("text/css")
    );
    // The library for people: the alert before the answer, the answer apart.
    let scenario = served.get("/v1/scenarios/latency_spike").expect_ok(200);
    assert_eq!(scenario["incident"]["service"], "checkout");
    assert!(scenario.get("ground_truth").is_none() && scenario.get("summary").is_none());
    let answer = served
        .get("/v1/scenarios/latency_spike/answer")
        .expect_ok(200);
    assert_eq!(answer["ground_truth"]["root_cause"]["service"], "checkout");
    served
        .get("/v1/scenarios/no_such_scenario")
        .expect_error(404, "unknown_scenario");
    served
        .get("/v1/scenarios/..%2Fetc/answer")
        .expect_error(404, "unknown_scenario");
    served.get("/v1/nothing").expect_error(404, "not_found");
    served
        .delete("/v1/scenarios")
        .expect_error(405, "method_not_allowed");
}

#[test]
fn episode_requests_that_are_wrong_get_json_errors_and_change_nothing() {
    let served = Served::start(&["--no-db"]);
    served
        .post("/v1/episodes", "{")
        .expect_error(400, "invalid_json");
    served
        .post("/v1/episodes", "")
        .expect_error(400, "invalid_body");
    served
        .post("/v1/episodes", "[1]")
        .expect_error(400, "invalid_body");
    let message = served
        .post_json("/v1/episodes", &json!({"scenario": "no_such_scenario"}))
        .expect_error(400, "unknown_scenario");
    assert!(message.contains("no_such_scenario"), "{message}");
    served
        .post_json("/v1/episodes", &json!({"scenario": "../etc"}))
        .expect_error(400, "unknown_scenario");
    served
        .post_json(
            "/v1/episodes",
            &json!({"scenario": "latency_spike", "colour": 1}),
        )
        .expect_error(400, "invalid_params");
    served
        .post_json(
            "/v1/episodes",
            &json!({"scenario": "latency_spike", "max_steps": 0}),
        )
        .expect_error(400, "invalid_params");
    let message = served
        .post_json(
            "/v1/episodes",
            &json!({"scenario": "latency_spike", "audit": "/tmp/x.jsonl"}),
        )
        .expect_error(400, "invalid_params");
    assert!(message.contains("audit"), "{message}");
    // A body declared over the cap is refused before it is read (a client
    // still sending it may see the connection close: the answer comes
    // first).
    let (status, body) = served.raw(
        "POST /v1/episodes HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: 2097152\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status, 413, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["error"]["code"], "body_too_large", "{body}");
    served.get("/v1/episodes/%FF").expect_error(400, "bad_id");
    for id in ["ep0-999", "ep99-1", "nonsense"] {
        served
            .post_json(
                &format!("/v1/episodes/{id}/step"),
                &json!({"action": call("logs")}),
            )
            .expect_error(404, "unknown_episode");
        served
            .get(&format!("/v1/episodes/{id}"))
            .expect_error(404, "unknown_episode");
        served
            .delete(&format!("/v1/episodes/{id}"))
            .expect_error(404, "unknown_episode");
    }
    assert_eq!(served.get("/readyz").expect_ok(200)["episodes_open"], 0);

    let opened = served.post_json("/v1/episodes", &json!({"scenario": "latency_spike"}));
    let reset = opened.expect_ok(201);
    let episode = reset["episode"].as_str().unwrap().to_owned();
    let step = format!("/v1/episodes/{episode}/step");
    served
        .post(&step, "{\"action\": 3}")
        .expect_error(400, "invalid_params");
    served
        .post_json(&step, &json!({"episode": "ep1-1", "action": call("logs")}))
        .expect_error(400, "invalid_params");
    // An action that is not a decision fails its step: an answer, not an error.
    let failed = served
        .post_json(&step, &json!({"action": {"action": "dance"}}))
        .expect_ok(200);
    assert!(
        failed["observation"]["step_failure"].is_string(),
        "{failed}"
    );
    let ended = served
        .post_json(
            &step,
            &json!({"action": {"action": "escalate", "reason": "not ours", "target": "dba"}}),
        )
        .expect_ok(200);
    assert_eq!(ended["terminated"], true);
    served
        .post_json(&step, &json!({"action": call("logs")}))
        .expect_error(409, "episode_over");
    let described = served
        .get(&format!("/v1/episodes/{episode}"))
        .expect_ok(200);
    assert_eq!(described["status"], "ended");
    let closed = served
        .delete(&format!("/v1/episodes/{episode}"))
        .expect_ok(200);
    assert_eq!(closed["info"]["head_hash"], ended["info"]["head_hash"]);
    served
        .delete(&format!("/v1/episodes/{episode}"))
        .expect_error(404, "unknown_episode");
}

#[test]
fn the_episode_cap_and_the_idle_timeout_hold() {
    // Idle for 2 s closes an episode; the reaper looks every 0.5 s. Each
    // check below leaves at least 0.5 s either side of its deadline.
    let served = Served::start(&["--no-db", "--max-episodes", "2", "--idle-timeout", "2"]);
    let open = |served: &Served| {
        served
            .post_json("/v1/episodes", &json!({"scenario": "latency_spike"}))
            .expect_ok(201)["episode"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let first = open(&served);
    let second = open(&served);
    served
        .post_json("/v1/episodes", &json!({"scenario": "latency_spike"}))
        .expect_error(429, "too_many_episodes");
    served
        .delete(&format!("/v1/episodes/{first}"))
        .expect_ok(200);
    let third = open(&served);
    assert_ne!(third, first);
    // Kept alive by a request at 1.2 s, `third` outlives `second`.
    std::thread::sleep(Duration::from_millis(1200));
    served.get(&format!("/v1/episodes/{third}")).expect_ok(200);
    std::thread::sleep(Duration::from_millis(1600));
    let message = served
        .get(&format!("/v1/episodes/{second}"))
        .expect_error(404, "episode_expired");
    assert!(message.contains("2 s"), "{message}");
    served.get(&format!("/v1/episodes/{third}")).expect_ok(200);
    std::thread::sleep(Duration::from_millis(3000));
    served
        .get(&format!("/v1/episodes/{third}"))
        .expect_error(404, "episode_expired");
    let metrics = served.get("/metrics").body;
    assert!(
        metrics.contains("oncall_gym_episodes_expired_total 2"),
        "{metrics}"
    );
    assert!(metrics.contains("oncall_gym_episodes_open 0"), "{metrics}");
    served.get("/v1/evals").expect_error(503, "no_store");
}

#[test]
fn a_token_guards_every_request_and_is_required_off_loopback() {
    let token = "0123456789abcdef0123";
    let served = Served::start_with(&["--no-db", "--token", token], Some(token));
    served.get("/healthz").expect_ok(200);
    served.get("/v1/scenarios").expect_ok(200);
    let anonymous = Served::start_with(&["--no-db", "--token", token], None);
    anonymous.get("/healthz").expect_error(401, "unauthorized");
    // The UI's files hold no data, and a browser cannot send a token for a
    // page: they load without one; the page asks for it before any call.
    assert_eq!(anonymous.get("/").status, 200);
    assert_eq!(anonymous.get("/ui/app.js").status, 200);
    anonymous
        .get("/v1/scenarios/latency_spike/answer")
        .expect_error(401, "unauthorized");
    let wrong = Served::start_with(
        &["--no-db", "--token", token],
        Some("wrong-token-wrong-token"),
    );
    wrong.get("/v1/tools").expect_error(401, "unauthorized");
    wrong
        .post_json("/v1/episodes", &json!({"scenario": "latency_spike"}))
        .expect_error(401, "unauthorized");

    let refused = oncall_gym(&["serve", "--http", "0.0.0.0:0", "--no-db"]);
    refused.expect_code(2);
    assert!(
        refused.stderr.contains("bearer token"),
        "{}",
        refused.stderr
    );
    let weak = oncall_gym(&[
        "serve",
        "--http",
        "127.0.0.1:0",
        "--no-db",
        "--token",
        "short",
    ]);
    weak.expect_code(2);
    assert!(weak.stderr.contains("at least 16"), "{}", weak.stderr);
    let no_store = oncall_gym(&[
        "serve",
        "--http",
        "127.0.0.1:0",
        "--no-db",
        "--workers",
        "2",
    ]);
    no_store.expect_code(2);
    assert!(
        no_store.stderr.contains("workers need a results store"),
        "{}",
        no_store.stderr
    );
    let both = oncall_gym(&["serve", "--stdio", "--http"]);
    both.expect_code(2);
}

/// The reference solution over HTTP, with the oracle's analyses, ends with
/// reward 1.0 and the audit log `run --agent oracle` writes (which the
/// stdio protocol writes too, byte for byte: see `protocol`).
#[test]
fn the_reference_solution_over_http_gives_reward_one_and_runs_log() {
    let directory = scratch_dir("http_reference");
    let served = Served::start(&["--no-db"]);
    for scenario in bundled_scenarios() {
        let id = scenario.id();
        let reset = served
            .post_json(
                "/v1/episodes",
                &json!({"scenario": id, "seed": 9, "agent": "oracle"}),
            )
            .expect_ok(201);
        let episode = reset["episode"].as_str().unwrap().to_owned();
        let mut analysis: Option<Value> = None;
        let mut last = Value::Null;
        for decision in &scenario.ground_truth().reference_solution {
            let mut body = json!({"action": decision});
            if let Some(analysis) = analysis.take() {
                body["analysis"] = analysis;
            }
            last = served
                .post_json(&format!("/v1/episodes/{episode}/step"), &body)
                .expect_ok(200);
            analysis = oracle_analysis(&last);
        }
        assert_eq!(last["reward"], 1.0, "{id}: {last}");
        assert_eq!(
            (&last["terminated"], &last["truncated"]),
            (&json!(true), &json!(false))
        );
        let closed = served
            .delete(&format!("/v1/episodes/{episode}"))
            .expect_ok(200);
        let head = closed["info"]["head_hash"].as_str().unwrap().to_owned();
        assert_eq!(last["info"]["head_hash"], head.as_str(), "{id}");

        let ran = directory.join(format!("{id}.jsonl"));
        oncall_gym(&[
            "run",
            id,
            "--agent",
            "oracle",
            "--seed",
            "9",
            "--audit",
            ran.to_str().unwrap(),
            "--no-db",
        ])
        .expect_code(0);
        let log = oncall_audit::read_chain(&std::fs::read(&ran).unwrap(), Some(&head))
            .unwrap_or_else(|error| {
                panic!("{id}: run's log does not end at the HTTP episode's head: {error}")
            });
        assert_eq!(
            log.events().len() as u64,
            closed["info"]["event_count"].as_u64().unwrap(),
            "{id}"
        );
    }
    let metrics = served.get("/metrics").body;
    assert!(
        !metrics.contains("oncall_gym_step_latency_seconds_count 0\n"),
        "{metrics}"
    );
    let (code, stderr) = served.stop("-TERM");
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("0 episodes still open"), "{stderr}");
}
