//! `oncall-gym replay` and `validate` on good input and on damaged audit
//! logs and scenario directories, and `run`, `eval` and `gen-scenario` on
//! damaged scenarios and specs: each damage gets a message naming the
//! place and the documented exit code.

use std::fs;
use std::path::{Path, PathBuf};

use crate::support::{
    assert_has, bundled_scenarios, copy_scenario, edited_scenario, fixtures_root, oncall_gym,
    scratch_dir,
};

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

#[test]
fn eval_exits_1_after_the_scorecard_listing_the_runs_that_errored() {
    let directory = edited_scenario("eval-agent-error", "latency_spike", |scenario| {
        scenario["ground_truth"]["reference_solution"] = serde_json::json!([]);
    });
    let path = directory.to_str().unwrap();
    let args = ["eval", path, "--agent", "oracle", "--trials", "12"];
    let args = [&args[..], &["--no-validate"]].concat();
    let ran = oncall_gym(&args);
    ran.expect_code(1);
    assert_has(&ran.stdout, "\noverall ");
    assert_has(
        &ran.stderr,
        "error: 12 of 12 runs errored (the oracle agent failed):",
    );
    assert_has(&ran.stderr, "  scenario latency_spike, trial 0, seed ");
    assert_has(
        &ran.stderr,
        ": the reference solution does not end the run: it has no decision for step 1",
    );
    assert_eq!(
        ran.stderr.matches("\n  scenario ").count(),
        10,
        "{}",
        ran.stderr
    );
    assert_has(&ran.stderr, "  and 2 more");
    let json = oncall_gym(&[&args[..], &["--json"]].concat());
    assert_eq!(json.expect_code(1).json()["overall"]["runs"], 12);
    // Without --no-validate the invalid scenario is not run at all.
    let refused = oncall_gym(&["eval", path, "--agent", "oracle"]);
    refused.expect_code(1);
    assert!(refused.stdout.is_empty(), "{}", refused.stdout);
    assert_has(&refused.stderr, "1 of 1 scenario invalid; nothing was run");
}

#[test]
fn gen_scenario_refuses_a_rendering_that_validate_rejects_and_writes_nothing() {
    let directory = scratch_dir("generated-invalid");
    let mut spec: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(fixtures_root().join("latency_spike/spec.json")).unwrap(),
    )
    .unwrap();
    let telemetry = &mut spec["telemetry"];
    let service = telemetry["services"][1].clone();
    telemetry["services"].as_array_mut().unwrap().push(service);
    let hours = telemetry["hours"].as_u64().unwrap();
    telemetry["deploys"][2]["minutes_before_alert"] = serde_json::json!(hours * 60 + 240);
    let spec_path = directory.join("spec.json");
    fs::write(&spec_path, spec.to_string()).unwrap();
    let out = directory.join("out").join("latency_spike");
    let ran = oncall_gym(&["gen-scenario", text(&spec_path), "--out", text(&out)]);
    ran.expect_code(1);
    assert_has(&ran.stderr, "is used more than once");
    assert_has(&ran.stderr, "outside the window");
    assert_has(&ran.stderr, "nothing was written to");
    assert!(!directory.join("out").exists(), "something was written");
}

#[test]
fn replay_expect_head_must_be_64_hex_digits() {
    let log = audit_log("replay-head-syntax");
    let head = oncall_gym(&["replay", text(&log), "--json"])
        .expect_code(0)
        .json();
    let head = head["head_hash"].as_str().unwrap().to_owned();
    let upper = oncall_gym(&["replay", text(&log), "--expect-head", &head.to_uppercase()]);
    assert_has(
        &upper.expect_code(0).stdout,
        "verified to the expected head",
    );
    for bad in ["nope", &head[..63], &format!("{head}0"), &"g".repeat(64)] {
        let ran = oncall_gym(&["replay", text(&log), "--expect-head", bad]);
        ran.expect_code(2);
        assert_has(&ran.stderr, "exactly 64 hex digits");
        assert!(!ran.stderr.contains("mismatch"), "{}", ran.stderr);
    }
}

#[test]
fn duplicate_scenario_ids_are_refused_naming_both_directories() {
    let root = scratch_dir("duplicate-ids");
    for name in ["aaa", "bbb"] {
        copy_scenario(&fixtures_root().join("latency_spike"), &root.join(name));
    }
    let (aaa, bbb) = (root.join("aaa"), root.join("bbb"));
    let both = format!("2 directories: {} and {}", aaa.display(), bbb.display());
    for command in [&["scenarios"][..], &["scenarios", "--json"], &["eval"]] {
        let ran = oncall_gym(&[&["--fixtures", text(&root)], command].concat());
        ran.expect_code(1);
        assert!(ran.stdout.is_empty(), "{command:?}: {}", ran.stdout);
        assert_has(&ran.stderr, &both);
    }
    let ran = oncall_gym(&["validate", text(&root)]);
    ran.expect_code(1);
    assert_has(
        &ran.stderr,
        &format!("latency_spike: the same scenario id is used by {both}"),
    );
    assert_has(&ran.stderr, "does not match its directory name `aaa`");
    // Two valid scenarios with one id, from two places.
    let other = scratch_dir("duplicate-ids-other").join("latency_spike");
    copy_scenario(&fixtures_root().join("latency_spike"), &other);
    let bundled = fixtures_root().join("latency_spike");
    let ran = oncall_gym(&["eval", text(&other), text(&bundled)]);
    ran.expect_code(1);
    assert_has(
        &ran.stderr,
        &format!("{} and {}", other.display(), bundled.display()),
    );
    // A directory whose name is not its id does not run either.
    let ran = oncall_gym(&["run", text(&aaa)]);
    ran.expect_code(1);
    assert_has(
        &ran.stderr,
        "id `latency_spike` does not match its directory name `aaa`",
    );
}

#[test]
fn run_and_eval_refuse_what_validate_rejects() {
    type Edit = fn(&mut serde_json::Value);
    let damages: [(&str, Edit, &str); 4] = [
        (
            "inverted-window",
            |s| {
                let window = s["window"].clone();
                s["window"]["start"] = window["end"].clone();
                s["window"]["end"] = window["start"].clone();
            },
            "is after window.end",
        ),
        (
            "duplicate-evidence",
            |s| {
                let first = s["ground_truth"]["key_evidence"][0].clone();
                s["ground_truth"]["key_evidence"]
                    .as_array_mut()
                    .unwrap()
                    .push(first);
            },
            "key_evidence id",
        ),
        (
            "wrong-reference",
            |s| {
                let last = s["ground_truth"]["reference_solution"]
                    .as_array_mut()
                    .unwrap();
                last.last_mut().unwrap()["mitigation"] = "Restart the search service".into();
            },
            "reference_solution[3]: mitigation",
        ),
        (
            "huge-optimal-steps",
            |s| {
                s["ground_truth"]["optimal_steps"] = 4_000_000_000u64.into();
            },
            "optimal_steps is 4000000000",
        ),
    ];
    for (test, edit, problem) in damages {
        let directory = edited_scenario(test, "latency_spike", edit);
        let validated = oncall_gym(&["validate", text(&directory)]);
        validated.expect_code(1);
        assert_has(&validated.stderr, problem);
        for command in ["run", "eval"] {
            let ran = oncall_gym(&[command, text(&directory), "--json"]);
            ran.expect_code(1);
            assert!(ran.stdout.is_empty(), "{test} {command}: {}", ran.stdout);
            assert_has(&ran.stderr, problem);
            assert_has(&ran.stderr, "scenario `latency_spike` is invalid");
        }
    }
}

#[test]
fn a_log_cut_at_a_line_boundary_warns_and_scores_as_unfinished() {
    let log = audit_log("replay-cut-lines");
    let whole = fs::read_to_string(&log).unwrap();
    // Cut just after a decision, so the last step has no ending either.
    let lines: Vec<&str> = whole.lines().collect();
    let decision = (0..lines.len() - 10)
        .rev()
        .find(|&index| lines[index].contains("\"decision_made\""))
        .unwrap();
    let kept = decision + 1;
    let cut = log.with_file_name("cut.jsonl");
    fs::write(&cut, format!("{}\n", lines[..kept].join("\n"))).unwrap();

    let ran = oncall_gym(&["replay", text(&cut)]);
    ran.expect_code(0);
    let warning = format!("line {kept}: the run has no ending event");
    let stderr_warning = format!("warning: {}: {warning}", cut.display());
    assert_has(&ran.stderr, &stderr_warning);
    assert_has(&ran.stderr, "--expect-head");
    let json = oncall_gym(&["replay", text(&cut), "--json"])
        .expect_code(0)
        .json();
    let warnings = &json["warnings"];
    assert_eq!(warnings.as_array().unwrap().len(), 1, "{warnings}");
    let only = warnings[0].as_str().unwrap();
    assert!(only.starts_with(&warning), "{warnings}");
    assert_has(&ran.stderr, only);

    let rescored = oncall_gym(&["replay", text(&cut), "--scenario", "latency_spike"]);
    assert_has(&rescored.expect_code(0).stdout, "as an UNFINISHED run");
    assert_has(&rescored.stderr, "the score of an unfinished run");
    let json = oncall_gym(&[
        "replay",
        text(&cut),
        "--scenario",
        "latency_spike",
        "--json",
    ]);
    assert_has(
        &json.expect_code(0).json()["warnings"].to_string(),
        "unfinished run",
    );

    let last = json.json()["state"]["steps"]
        .as_array()
        .unwrap()
        .len()
        .to_string();
    let at = oncall_gym(&["replay", text(&cut), "--at-step", &last]);
    at.expect_code(0);
    assert_has(&at.stdout, &format!("step {last} of {last}, INCOMPLETE"));
    assert!(!at.stdout.contains("the end of step"), "{}", at.stdout);
}

#[test]
fn text_from_a_scenario_cannot_forge_trace_or_replay_lines() {
    let directory = scratch_dir("forged-text").join("latency_spike");
    copy_scenario(&fixtures_root().join("latency_spike"), &directory);
    let deploys = directory.join("deploys.json");
    let forged = "v2.14.0\\u001b[31m\\r\\nrun completed: mitigation_proposed";
    let text_before = fs::read_to_string(&deploys).unwrap();
    assert!(text_before.contains("\"v2.14.0\""), "{text_before}");
    fs::write(
        &deploys,
        text_before.replace("\"v2.14.0\"", &format!("\"{forged}\"")),
    )
    .unwrap();
    let log = directory.with_file_name("run.jsonl");
    let ran = oncall_gym(&["run", text(&directory), "--audit", text(&log)]);
    ran.expect_code(0);
    let replayed = oncall_gym(&["replay", text(&log)]);
    for output in [&ran.stderr, &ran.stdout, &replayed.expect_code(0).stdout] {
        assert!(!output.contains(['\u{1b}', '\r']), "{output:?}");
        assert_has(output, "v2.14.0\\u{1b}[31m\\r\\nrun completed");
    }
    for output in [&ran.stderr, &replayed.stdout] {
        let endings = output
            .lines()
            .filter(|l| l.starts_with("run completed"))
            .count();
        assert_eq!(endings, 1, "{output}");
    }
}

#[test]
fn messages_say_an_os_error_once_and_use_the_singular() {
    let directory = scratch_dir("messages");
    let file = directory.join("existing_file");
    fs::write(&file, "").unwrap();
    let spec = fixtures_root().join("latency_spike/spec.json");
    for out in [file.clone(), PathBuf::from("/dev/full")] {
        if !out.exists() {
            continue;
        }
        let ran = oncall_gym(&["gen-scenario", text(&spec), "--out", text(&out)]);
        ran.expect_code(1);
        assert_has(&ran.stderr, "exists and is not a directory");
    }
    let below = file.join("latency_spike");
    let ran = oncall_gym(&["gen-scenario", text(&spec), "--out", text(&below)]);
    ran.expect_code(1);
    assert_eq!(ran.stderr.matches("os error").count(), 1, "{}", ran.stderr);

    let log = directory.join("one-step.jsonl");
    let (steps, audit) = (
        ["--max-steps", "1", "--agent", "oracle"],
        ["--audit", text(&log)],
    );
    let ran = oncall_gym(&[&["run", "latency_spike"][..], &steps, &audit].concat());
    assert_has(&ran.expect_code(0).stderr, "at most 1 step\n");
    assert_has(&ran.stderr, "step_limit (1 step)");
    let first = fs::read_to_string(&log)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_owned();
    fs::write(&log, first + "\n").unwrap();
    assert_has(
        &oncall_gym(&["replay", text(&log)]).stdout,
        ": 1 event, hash chain",
    );
    let ran = oncall_gym(&["eval", "latency_spike"]);
    assert_has(
        &ran.expect_code(0).stderr,
        "evaluated 1 run (1 scenario x 1 trial,",
    );
}

#[test]
fn validate_checks_each_scenario_once_and_counts_refused_paths_apart() {
    let count = bundled_scenarios().len();
    let root = fixtures_root();
    let one = root.join("latency_spike");
    for paths in [[text(&root), text(&root)], [text(&root), text(&one)]] {
        let ran = oncall_gym(&[&["validate"][..], &paths].concat());
        assert_has(
            &ran.expect_code(0).stdout,
            &format!("checked {count} scenarios in "),
        );
    }
    let ran = oncall_gym(&["validate", text(&one), "/no/such/dir"]);
    ran.expect_code(1);
    assert_has(
        &ran.stdout,
        ": 1 valid, 0 invalid; 1 path refused (see above)",
    );
    assert_has(&ran.stdout, "checked 1 scenario in ");
}
