//! `oncall-gym replay` and `validate` on good input and on damaged audit
//! logs and scenario directories: each damage gets a message naming the
//! place and the documented exit code.

use std::fs;
use std::path::{Path, PathBuf};

use crate::support::{copy_scenario, fixtures_root, oncall_gym, scratch_dir};

/// Writes the heuristic's audit log of `latency_spike` into a scratch
/// directory and returns its path.
fn audit_log(test: &str) -> PathBuf {
    let path = scratch_dir(test).join("run.jsonl");
    oncall_gym(&[
        "run",
        "latency_spike",
        "--seed",
        "3",
        "--audit",
        path.to_str().unwrap(),
    ])
    .expect_code(0);
    path
}

fn text(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn replay_prints_the_timeline_a_steps_state_and_a_new_score() {
    let log = audit_log("replay-good");
    let ran = oncall_gym(&["replay", text(&log)]);
    ran.expect_code(0);
    assert!(ran.stdout.contains("hash chain verified"), "{}", ran.stdout);
    assert!(ran.stdout.contains("step  1  "), "{}", ran.stdout);
    assert!(ran.stdout.contains("run completed"), "{}", ran.stdout);
    assert!(ran.stdout.contains("recorded score: "), "{}", ran.stdout);

    let at = oncall_gym(&["replay", text(&log), "--at-step", "2"]);
    at.expect_code(0);
    assert!(at.stdout.contains("the end of step 2 of"), "{}", at.stdout);
    assert!(!at.stdout.contains("step  3  "), "{}", at.stdout);

    let rescored = oncall_gym(&["replay", text(&log), "--scenario", "latency_spike"]);
    rescored.expect_code(0);
    assert!(
        rescored.stdout.contains("re-scored against latency_spike"),
        "{}",
        rescored.stdout
    );
    assert!(!rescored.stderr.contains("differs"), "{}", rescored.stderr);

    let json = oncall_gym(&[
        "replay",
        text(&log),
        "--scenario",
        "latency_spike",
        "--json",
    ])
    .expect_code(0)
    .json();
    assert_eq!(json["evaluation"], json["recorded_evaluation"]);
    assert_eq!(json["state"]["agent"], "heuristic");
    assert_eq!(json["state"]["seed"], 3);
    assert_eq!(json["warnings"], serde_json::json!([]));
    let steps = json["state"]["steps"].as_array().unwrap().len();
    assert_eq!(json["evaluation"]["steps"]["used"], steps);

    let state = oncall_gym(&["replay", text(&log), "--at-step", "1", "--json"])
        .expect_code(0)
        .json();
    assert_eq!(state["state"]["steps"].as_array().unwrap().len(), 1);
    assert_eq!(state["state"]["outcome"], serde_json::Value::Null);

    let no_step = oncall_gym(&["replay", text(&log), "--at-step", "999"]);
    no_step.expect_code(1);
    assert!(
        no_step.stderr.contains("has no step 999"),
        "{}",
        no_step.stderr
    );
}

#[test]
fn a_tampered_audit_log_exits_1_naming_the_line() {
    let log = audit_log("replay-tampered");
    let original = fs::read_to_string(&log).unwrap();
    let mut lines: Vec<String> = original.lines().map(str::to_owned).collect();
    // Line 3 is the first decision; a changed tool name keeps it valid JSON
    // but breaks the hash that line 4 carries.
    assert!(lines[2].contains("\"decision_made\""), "{}", lines[2]);
    lines[2] = lines[2].replacen("\"tool_name\":\"", "\"tool_name\":\"x", 1);
    fs::write(&log, lines.join("\n") + "\n").unwrap();
    let ran = oncall_gym(&["replay", text(&log)]);
    ran.expect_code(1);
    assert!(
        ran.stderr.contains("line 4: hash mismatch"),
        "{}",
        ran.stderr
    );
    assert!(ran.stderr.contains(text(&log)), "{}", ran.stderr);
    assert!(ran.stdout.is_empty(), "{}", ran.stdout);
}

#[test]
fn a_corrupt_audit_log_exits_1_naming_the_line() {
    let log = audit_log("replay-corrupt");
    let original = fs::read_to_string(&log).unwrap();
    let mut lines: Vec<&str> = original.lines().collect();
    lines[4] = "{not json";
    fs::write(&log, lines.join("\n") + "\n").unwrap();
    let ran = oncall_gym(&["replay", text(&log)]);
    ran.expect_code(1);
    assert!(ran.stderr.contains("line 5: "), "{}", ran.stderr);
}

#[test]
fn a_truncated_audit_log_is_recovered_with_a_warning() {
    let log = audit_log("replay-truncated");
    let bytes = fs::read(&log).unwrap();
    // Cut the file in the middle of its last line, as a crash would.
    fs::write(&log, &bytes[..bytes.len() - 40]).unwrap();
    let ran = oncall_gym(&["replay", text(&log)]);
    ran.expect_code(0);
    assert!(ran.stderr.contains("warning: "), "{}", ran.stderr);
    assert!(ran.stderr.contains("torn last line"), "{}", ran.stderr);
    assert!(ran.stdout.contains("run completed"), "{}", ran.stdout);
}

#[test]
fn replay_refuses_a_missing_file_and_bad_flags() {
    let ran = oncall_gym(&["replay", "/no/such/log.jsonl"]);
    ran.expect_code(1);
    assert!(ran.stderr.contains("/no/such/log.jsonl"), "{}", ran.stderr);
    oncall_gym(&["replay"]).expect_code(2);
    oncall_gym(&["replay", "x.jsonl", "--at-step", "minus-one"]).expect_code(2);
}

#[test]
fn validate_accepts_the_bundled_scenarios() {
    let ran = oncall_gym(&["validate"]);
    ran.expect_code(0);
    assert!(ran.stdout.contains("0 invalid"), "{}", ran.stdout);
    assert!(ran.stderr.is_empty(), "{}", ran.stderr);
    oncall_gym(&["validate", text(&fixtures_root())]).expect_code(0);
    oncall_gym(&["validate", text(&fixtures_root().join("latency_spike"))]).expect_code(0);
}

#[test]
fn a_malformed_scenario_directory_exits_1_with_file_line_and_column() {
    let directory = scratch_dir("malformed").join("latency_spike");
    copy_scenario(&fixtures_root().join("latency_spike"), &directory);
    let logs = directory.join("logs.json");
    // Break the first entry's timestamp, wherever the file puts it.
    let text_before = fs::read_to_string(&logs).unwrap();
    let key = text_before.find("\"timestamp\"").unwrap();
    let line = text_before[..key].matches('\n').count() + 1;
    let value_start = key + text_before[key..].find(": \"").unwrap() + 2;
    let value_end = value_start + 1 + text_before[value_start + 1..].find('"').unwrap();
    let broken = format!(
        "{}\"yesterday\"{}",
        &text_before[..value_start],
        &text_before[value_end + 1..]
    );
    fs::write(&logs, broken).unwrap();

    let ran = oncall_gym(&["validate", text(&directory)]);
    ran.expect_code(1);
    let expected = format!("{}:{line}:", logs.display());
    assert!(ran.stderr.contains(&expected), "{}", ran.stderr);
    assert!(ran.stderr.contains(": [0].timestamp: "), "{}", ran.stderr);
    assert!(ran.stdout.contains("1 invalid"), "{}", ran.stdout);

    // Running it fails the same way.
    let run = oncall_gym(&["run", text(&directory)]);
    run.expect_code(1);
    assert!(run.stderr.contains(&expected), "{}", run.stderr);
}

#[test]
fn a_semantic_problem_is_reported_as_scenario_colon_message() {
    let directory = scratch_dir("semantic").join("latency_spike");
    copy_scenario(&fixtures_root().join("latency_spike"), &directory);
    let file = directory.join("scenario.json");
    let text_before = fs::read_to_string(&file).unwrap();
    fs::write(
        &file,
        text_before.replacen("\"latency_spike\"", "\"renamed_spike\"", 1),
    )
    .unwrap();
    let ran = oncall_gym(&["validate", text(&directory)]);
    ran.expect_code(1);
    assert!(
        ran.stderr
            .lines()
            .any(|line| line.starts_with("renamed_spike: ")),
        "{}",
        ran.stderr
    );
}

#[test]
fn validate_refuses_paths_that_hold_no_scenario() {
    let ran = oncall_gym(&["validate", "/no/such/dir"]);
    ran.expect_code(1);
    assert!(
        ran.stderr
            .contains("/no/such/dir: no such scenario directory"),
        "{}",
        ran.stderr
    );
    let empty = scratch_dir("empty-root");
    let ran = oncall_gym(&["validate", text(&empty)]);
    ran.expect_code(1);
    assert!(
        ran.stderr.contains("not a scenario directory"),
        "{}",
        ran.stderr
    );
}

#[test]
fn replay_with_the_expected_head_catches_a_cut_at_a_line_boundary() {
    let log = audit_log("replay-expect-head");
    let head = oncall_gym(&["replay", text(&log), "--json"]);
    head.expect_code(0);
    let report: serde_json::Value = serde_json::from_str(&head.stdout).unwrap();
    let head_hash = report["head_hash"].as_str().unwrap().to_owned();

    let pinned = oncall_gym(&["replay", text(&log), "--expect-head", &head_hash]);
    pinned.expect_code(0);
    assert!(
        pinned.stdout.contains("verified to the expected head"),
        "{}",
        pinned.stdout
    );

    // Cut whole lines off the end: the chain alone cannot see it.
    let whole = fs::read_to_string(&log).unwrap();
    let kept: Vec<&str> = whole.lines().take(20).collect();
    let cut = log.with_file_name("cut.jsonl");
    fs::write(&cut, format!("{}\n", kept.join("\n"))).unwrap();
    oncall_gym(&["replay", text(&cut)]).expect_code(0);
    let caught = oncall_gym(&["replay", text(&cut), "--expect-head", &head_hash]);
    caught.expect_code(1);
    assert!(
        caught.stderr.contains("head mismatch after 20 events"),
        "{}",
        caught.stderr
    );
}

#[test]
fn replay_refuses_to_re_score_against_another_scenarios_incident() {
    let log = audit_log("replay-wrong-scenario");
    let ran = oncall_gym(&[
        "replay",
        text(&log),
        "--scenario",
        "payments_provider_outage",
    ]);
    ran.expect_code(1);
    assert!(
        ran.stderr
            .contains("is not scenario `payments_provider_outage`'s"),
        "{}",
        ran.stderr
    );
}
