//! The results store through the command: where results go, `evals`,
//! `runs`, `import`, `eval --resume`, and stores that are damaged, too new
//! or locked.
use serde_json::Value;

use crate::support::{
    PostgresSchema, Ran, assert_has, command, default_store, gym, interrupt_evals, scratch_dir,
};

/// The eval id the stderr of `eval` names.
fn eval_id(ran: &Ran) -> String {
    let line = ran
        .stderr
        .lines()
        .find(|line| line.starts_with("results: eval "))
        .unwrap_or_else(|| panic!("no results line:\n{}", ran.stderr));
    line["results: eval ".len()..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

#[test]
fn an_eval_is_recorded_by_default_and_its_scorecard_and_logs_come_back() {
    let home = scratch_dir("store_default");
    let ran = gym(
        &home,
        &[
            "eval",
            "latency_spike",
            "orders_deploy_errors",
            "--trials",
            "2",
            "--json",
        ],
    );
    ran.expect_code(0);
    let printed = ran.json();
    let id = eval_id(&ran);
    assert_has(&ran.stderr, &default_store(&home).display().to_string());
    assert!(default_store(&home).is_file());

    // evals list
    let list = gym(&home, &["evals", "list", "--json"])
        .expect_code(0)
        .json();
    let evals = list.as_array().unwrap();
    assert_eq!(evals.len(), 1);
    assert_eq!(evals[0]["id"], id.as_str());
    assert_eq!(evals[0]["status"], "completed");
    assert_eq!(evals[0]["runs"], 4);
    assert_eq!(evals[0]["agent"], "heuristic");
    let table = gym(&home, &["evals", "list"]);
    table.expect_code(0);
    assert_has(&table.stdout, &id[..8]);

    // evals show: the scorecard as eval printed it, by a prefix.
    let shown = gym(&home, &["evals", "show", &id[..6], "--json"])
        .expect_code(0)
        .json();
    assert_eq!(shown, printed);

    // runs list, filtered.
    let runs = gym(
        &home,
        &[
            "runs",
            "list",
            "--eval",
            &id[..8],
            "--scenario",
            "latency_spike",
            "--json",
        ],
    )
    .expect_code(0)
    .json();
    let runs = runs.as_array().unwrap();
    assert_eq!(runs.len(), 2);
    assert!(
        runs.iter()
            .all(|run| run["scenario"] == "latency_spike"
                && run["event_count"].as_u64().unwrap() > 10)
    );

    // runs export: the audit log, byte for byte what `run --audit` writes.
    let seed = runs[0]["seed"].as_u64().unwrap().to_string();
    let run_id = runs[0]["run_id"].as_str().unwrap().to_owned();
    let exported = gym(
        &home,
        &[
            "runs",
            "export",
            &run_id[..10],
            "--out",
            home.join("exported.jsonl").to_str().unwrap(),
        ],
    );
    exported.expect_code(0);
    let audit = home.join("direct.jsonl");
    gym(
        &home,
        &[
            "run",
            "latency_spike",
            "--seed",
            &seed,
            "--no-db",
            "--audit",
            audit.to_str().unwrap(),
        ],
    )
    .expect_code(0);
    assert_eq!(
        std::fs::read(home.join("exported.jsonl")).unwrap(),
        std::fs::read(&audit).unwrap()
    );
    let head = runs[0]["head_hash"].as_str().unwrap();
    gym(
        &home,
        &[
            "replay",
            home.join("exported.jsonl").to_str().unwrap(),
            "--expect-head",
            head,
        ],
    )
    .expect_code(0);
    // To stdout too.
    let stdout = gym(&home, &["runs", "export", &run_id])
        .expect_code(0)
        .stdout
        .clone();
    assert_eq!(stdout.as_bytes(), std::fs::read(&audit).unwrap());

    // runs show: as replay shows it.
    let show = gym(&home, &["runs", "show", &run_id[..8]]);
    show.expect_code(0);
    assert_has(&show.stdout, "step  1");
    assert_has(&show.stdout, "recorded score");
    let show = gym(&home, &["runs", "show", &run_id[..8], "--json"])
        .expect_code(0)
        .json();
    assert_eq!(show["head_hash"], head);
}

#[test]
fn single_runs_are_recorded_and_the_store_can_be_chosen_or_refused() {
    let home = scratch_dir("store_choice");
    let ran = gym(&home, &["run", "latency_spike"]);
    ran.expect_code(0);
    assert_has(&ran.stderr, "results: run ");
    let runs = gym(&home, &["runs", "list", "--json"])
        .expect_code(0)
        .json();
    assert_eq!(runs.as_array().unwrap().len(), 1);
    assert_eq!(runs[0]["eval_id"], Value::Null);

    // --no-db records nothing, anywhere.
    let empty_home = scratch_dir("store_choice_none");
    gym(&empty_home, &["run", "latency_spike", "--no-db"]).expect_code(0);
    gym(&empty_home, &["eval", "latency_spike", "--no-db"]).expect_code(0);
    assert!(!default_store(&empty_home).exists());

    // --db and ONCALL_GYM_DB choose the file.
    let chosen = home.join("elsewhere").join("mine.db");
    gym(
        &home,
        &["eval", "latency_spike", "--db", chosen.to_str().unwrap()],
    )
    .expect_code(0);
    assert!(chosen.is_file());
    let output = command()
        .env("XDG_DATA_HOME", &home)
        .env("ONCALL_GYM_DB", &chosen)
        .args(["evals", "list", "--json"])
        .output()
        .unwrap();
    let listed: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let ran = gym(&home, &["run", "latency_spike", "--db", "x.db", "--no-db"]);
    ran.expect_code(2);
    // A PostgreSQL that is not there: a clear error, no password shown.
    let ran = gym(
        &home,
        &[
            "eval",
            "latency_spike",
            "--db",
            "postgres://ghost:hunter2@127.0.0.1:1/none?connect_timeout=2",
        ],
    );
    ran.expect_code(1);
    assert_has(
        &ran.stderr,
        "postgres://ghost:***@127.0.0.1:1/none could not be opened",
    );
    assert!(!ran.stderr.contains("hunter2"), "{}", ran.stderr);
}

#[test]
fn out_files_and_audit_logs_are_imported() {
    let home = scratch_dir("store_import");
    let out = home.join("runs.jsonl");
    gym(
        &home,
        &[
            "eval",
            "latency_spike",
            "--agent",
            "random",
            "--trials",
            "3",
            "--no-db",
            "--out",
            out.to_str().unwrap(),
        ],
    )
    .expect_code(0);
    let audit = home.join("run.jsonl");
    gym(
        &home,
        &[
            "run",
            "orders_deploy_errors",
            "--seed",
            "4",
            "--no-db",
            "--audit",
            audit.to_str().unwrap(),
        ],
    )
    .expect_code(0);
    let ran = gym(
        &home,
        &["import", out.to_str().unwrap(), audit.to_str().unwrap()],
    );
    ran.expect_code(0);
    assert_has(&ran.stderr, "(3 runs)");
    let evals = gym(&home, &["evals", "list", "--json"])
        .expect_code(0)
        .json();
    assert_eq!(evals[0]["status"], "imported");
    assert_eq!(evals[0]["runs"], 3);
    assert_eq!(evals[0]["agent"], "random");
    let runs = gym(
        &home,
        &[
            "runs",
            "list",
            "--scenario",
            "orders_deploy_errors",
            "--json",
        ],
    )
    .expect_code(0)
    .json();
    let run_id = runs[0]["run_id"].as_str().unwrap().to_owned();
    let exported = gym(&home, &["runs", "export", &run_id]);
    exported.expect_code(0);
    assert_eq!(exported.stdout.as_bytes(), std::fs::read(&audit).unwrap());
    // A run from an --out line has no log to export.
    let from_out = gym(
        &home,
        &["runs", "list", "--scenario", "latency_spike", "--json"],
    )
    .expect_code(0)
    .json();
    let ran = gym(
        &home,
        &[
            "runs",
            "export",
            from_out[0]["run_id"].as_str().unwrap(),
            "--eval",
            evals[0]["id"].as_str().unwrap(),
        ],
    );
    ran.expect_code(1);
    assert_has(&ran.stderr, "has no audit log in the store");
    // A file that holds a pair twice is refused whole.
    let twice = home.join("twice.jsonl");
    let line = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_owned();
    std::fs::write(&twice, format!("{line}\n{line}\n")).unwrap();
    let ran = gym(&home, &["import", twice.to_str().unwrap()]);
    ran.expect_code(1);
    assert_has(&ran.stderr, "twice");
    assert_eq!(
        gym(&home, &["evals", "list", "--json"])
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // A file that is neither is refused, naming it; the others still go in.
    let junk = home.join("junk.txt");
    std::fs::write(&junk, "hello\n").unwrap();
    let ran = gym(
        &home,
        &["import", junk.to_str().unwrap(), out.to_str().unwrap()],
    );
    ran.expect_code(1);
    assert_has(&ran.stderr, "junk.txt");
    assert_eq!(
        gym(&home, &["evals", "list", "--json"])
            .json()
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn an_interrupted_eval_is_resumed_without_running_a_pair_twice() {
    let home = scratch_dir("store_resume");
    let ran = gym(
        &home,
        &[
            "eval",
            "latency_spike",
            "orders_deploy_errors",
            "--agent",
            "random",
            "--trials",
            "2",
            "--seed",
            "3",
            "--json",
        ],
    );
    let complete = ran.expect_code(0).json();
    let id = eval_id(&ran);
    // Interrupt it: two of its four runs lost, the eval left running.
    interrupt_evals(&home, 2);
    // --resume runs the missing pairs with the eval's own settings.
    let ran = gym(
        &home,
        &["eval", "--resume", &id[..8], "--agent", "random", "--json"],
    );
    ran.expect_code(0);
    assert_has(&ran.stderr, "resumed: 2 runs already recorded, 2 run now");
    assert_eq!(ran.json(), complete);
    let evals = gym(&home, &["evals", "list", "--json"]).json();
    assert_eq!(evals[0]["status"], "completed");
    assert_eq!(evals[0]["runs"], 4);
    // Once complete, a resume runs nothing; another agent is refused.
    let ran = gym(&home, &["eval", "--resume", &id, "--agent", "random"]);
    ran.expect_code(0);
    assert_has(&ran.stderr, "resumed: 4 runs already recorded, 0 run now");
    let ran = gym(&home, &["eval", "--resume", &id]);
    ran.expect_code(1);
    assert_has(
        &ran.stderr,
        "was run by agent random; resume it with --agent random",
    );
    let ran = gym(&home, &["eval", "--resume", &id, "--no-db"]);
    ran.expect_code(2);
}

#[test]
fn bad_stores_and_bad_ids_are_refused_and_nothing_stored_changes() {
    let home = scratch_dir("store_bad");
    // A file that is not a database.
    let junk = home.join("junk.db");
    let text = "not a database at all ".repeat(20);
    std::fs::write(&junk, &text).unwrap();
    let ran = gym(
        &home,
        &["eval", "latency_spike", "--db", junk.to_str().unwrap()],
    );
    ran.expect_code(1);
    assert_has(&ran.stderr, "is not a SQLite database");
    assert_eq!(std::fs::read_to_string(&junk).unwrap(), text);
    // A store from a newer oncall-gym.
    let newer = home.join("newer.db");
    gym(
        &home,
        &["run", "latency_spike", "--db", newer.to_str().unwrap()],
    )
    .expect_code(0);
    let connection = rusqlite::Connection::open(&newer).unwrap();
    connection
        .execute("UPDATE schema_version SET version = 7", [])
        .unwrap();
    drop(connection);
    let ran = gym(&home, &["runs", "list", "--db", newer.to_str().unwrap()]);
    ran.expect_code(1);
    assert_has(
        &ran.stderr,
        "schema version 7, newer than this oncall-gym knows",
    );
    // A location that cannot be written.
    let ran = gym(
        &home,
        &[
            "run",
            "latency_spike",
            "--db",
            "/proc/oncall-gym/results.db",
        ],
    );
    ran.expect_code(1);
    assert_has(&ran.stderr, "could not be opened");
    // Ids: unknown, ambiguous, not an id.
    gym(&home, &["eval", "latency_spike", "--seed", "1"]).expect_code(0);
    gym(&home, &["eval", "latency_spike", "--seed", "1"]).expect_code(0);
    let ran = gym(&home, &["evals", "show", "ffffffff"]);
    ran.expect_code(1);
    assert_has(&ran.stderr, "no eval in");
    let runs = gym(&home, &["runs", "list", "--json"]).json();
    // The same run in two evals (one seed): the newest is meant.
    let same_run = runs[0]["run_id"].as_str().unwrap();
    assert_eq!(runs[1]["run_id"].as_str().unwrap(), same_run);
    gym(&home, &["runs", "export", same_run]).expect_code(0);
    // And `run` twice: `runs show` still finds it, as `run` says it will.
    let first = gym(&home, &["run", "latency_spike"]);
    first.expect_code(0);
    gym(&home, &["run", "latency_spike"]).expect_code(0);
    let hint = first
        .stderr
        .lines()
        .find_map(|line| line.split("`oncall-gym runs show ").nth(1))
        .unwrap()
        .trim_end_matches('`')
        .trim_end_matches(')')
        .trim_end_matches('`')
        .to_owned();
    gym(&home, &["runs", "show", &hint]).expect_code(0);
    let ran = gym(&home, &["runs", "show", "zz-top"]);
    ran.expect_code(1);
    assert_has(&ran.stderr, "is not an id or an id prefix");
    // Reading a store that is not there names it and makes nothing.
    let missing = home.join("typo.db");
    let ran = gym(&home, &["evals", "list", "--db", missing.to_str().unwrap()]);
    ran.expect_code(1);
    assert_has(&ran.stderr, "no results store at");
    assert!(!missing.exists());
}

#[test]
fn a_team_store_on_postgresql_does_what_the_file_does() {
    let Some(schema) = PostgresSchema::create("team") else {
        return;
    };
    let home = scratch_dir("store_postgres");
    let ran = gym(
        &home,
        &[
            "eval",
            "latency_spike",
            "orders_deploy_errors",
            "--trials",
            "2",
            "--json",
            "--db",
            &schema.url,
        ],
    );
    let printed = ran.expect_code(0).json();
    let id = eval_id(&ran);
    assert!(!default_store(&home).exists(), "nothing went to the file");
    let shown = gym(
        &home,
        &["evals", "show", &id[..8], "--json", "--db", &schema.url],
    )
    .expect_code(0)
    .json();
    assert_eq!(shown, printed);
    let runs = gym(
        &home,
        &["runs", "list", "--eval", &id, "--json", "--db", &schema.url],
    )
    .expect_code(0)
    .json();
    assert_eq!(runs.as_array().unwrap().len(), 4);
    let run_id = runs[0]["run_id"].as_str().unwrap();
    let seed = runs[0]["seed"].as_u64().unwrap().to_string();
    let scenario = runs[0]["scenario"].as_str().unwrap();
    let exported = gym(&home, &["runs", "export", run_id, "--db", &schema.url]);
    exported.expect_code(0);
    let audit = home.join("direct.jsonl");
    gym(
        &home,
        &[
            "run",
            scenario,
            "--seed",
            &seed,
            "--no-db",
            "--audit",
            audit.to_str().unwrap(),
        ],
    )
    .expect_code(0);
    assert_eq!(exported.stdout.as_bytes(), std::fs::read(&audit).unwrap());
    // Resume works there too.
    let mut client = postgres::Client::connect(&schema.url, postgres::NoTls).unwrap();
    client
        .execute(
            "DELETE FROM runs WHERE key = (SELECT MAX(key) FROM runs)",
            &[],
        )
        .unwrap();
    let ran = gym(
        &home,
        &["eval", "--resume", &id, "--json", "--db", &schema.url],
    );
    assert_eq!(ran.expect_code(0).json(), printed);
    assert_has(&ran.stderr, "resumed: 3 runs already recorded, 1 run now");
}

#[test]
fn compare_tells_a_real_change_from_noise_and_export_pipes_into_replay() {
    let home = scratch_dir("store_compare");
    let ran = gym(
        &home,
        &[
            "eval",
            "latency_spike",
            "orders_deploy_errors",
            "payments_provider_outage",
            "--agent",
            "random",
            "--trials",
            "4",
            "--seed",
            "2",
        ],
    );
    ran.expect_code(0);
    let random = eval_id(&ran);
    let ran = gym(
        &home,
        &[
            "eval",
            "latency_spike",
            "orders_deploy_errors",
            "payments_provider_outage",
            "--agent",
            "oracle",
            "--trials",
            "4",
        ],
    );
    ran.expect_code(0);
    let oracle = eval_id(&ran);
    let comparison = gym(
        &home,
        &[
            "compare",
            &random[..8],
            &oracle[..8],
            "--json",
            "--resamples",
            "500",
        ],
    )
    .expect_code(0)
    .json();
    assert_eq!(comparison["overall"]["runs_a"], 12);
    assert_eq!(comparison["overall"]["mean_score"]["verdict"], "better");
    assert!(comparison["overall"]["mean_score"]["low"].as_f64().unwrap() > 0.0);
    assert_eq!(comparison["newly_failing"], serde_json::json!([]));
    assert_eq!(comparison["scenarios"].as_array().unwrap().len(), 3);
    // Stable: the same call prints the same bytes.
    let again = gym(
        &home,
        &[
            "compare",
            &random[..8],
            &oracle[..8],
            "--json",
            "--resamples",
            "500",
        ],
    );
    assert_eq!(again.expect_code(0).json(), comparison);
    // An eval against itself: no change anywhere.
    let itself = gym(&home, &["compare", &oracle, &oracle]);
    itself.expect_code(0);
    assert_has(&itself.stdout, "newly passing: none");
    assert!(
        itself
            .stdout
            .lines()
            .filter(|line| line.ends_with("unclear"))
            .count()
            >= 4,
        "{}",
        itself.stdout
    );
    let ran = gym(&home, &["compare", &oracle, "ffff0000"]);
    ran.expect_code(1);

    // runs export | replay -
    let runs = gym(
        &home,
        &["runs", "list", "--eval", &oracle, "--json", "--limit", "1"],
    )
    .json();
    let run_id = runs[0]["run_id"].as_str().unwrap();
    let head = runs[0]["head_hash"].as_str().unwrap();
    let exported = gym(&home, &["runs", "export", run_id, "--eval", &oracle]);
    exported.expect_code(0);
    let mut child = command()
        .env("XDG_DATA_HOME", &home)
        .args(["replay", "-", "--expect-head", head])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(exported.stdout.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_has(
        &String::from_utf8_lossy(&output.stdout),
        "verified to the expected head",
    );
}
