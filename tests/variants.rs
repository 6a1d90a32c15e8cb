//! `oncall-gym eval --variants K`, run as a user runs it: the scorecard
//! over variants and trials, `--out` lines that name each run's variant,
//! a variant re-rendered and re-run from those lines, the caps, a scenario
//! without a spec, and an interrupted eval of variants resumed.

use std::collections::BTreeSet;
use std::path::Path;

use crate::support::{
    assert_has, copy_scenario, fixtures_root, gym, interrupt_evals, oncall_gym, scratch_dir,
};

fn lines(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[test]
fn variants_multiply_the_runs_and_the_out_lines_say_which_variant_each_ran() {
    let directory = scratch_dir("variants_out");
    let out = directory.join("runs.jsonl");
    let arguments = [
        "eval",
        "latency_spike",
        "cart_retry_storm",
        "--agent",
        "random",
        "--variants",
        "3",
        "--trials",
        "2",
        "--seed",
        "9",
        "--no-db",
        "--json",
        "--out",
        out.to_str().unwrap(),
    ];
    let ran = oncall_gym(&arguments);
    ran.expect_code(0);
    assert_has(
        &ran.stderr,
        "evaluated 12 runs (2 scenarios x 3 variants x 2 trials",
    );
    let card = ran.json();
    for row in card["scenarios"].as_array().unwrap() {
        assert_eq!(row["runs"], 6, "{row}");
    }
    let records = lines(&out);
    assert_eq!(records.len(), 12);
    for scenario in ["latency_spike", "cart_retry_storm"] {
        let of: Vec<&serde_json::Value> = records
            .iter()
            .filter(|record| record["scenario"] == scenario)
            .collect();
        let trials: Vec<u64> = of.iter().map(|r| r["trial"].as_u64().unwrap()).collect();
        assert_eq!(trials, vec![0, 1, 2, 3, 4, 5]);
        // Trials 2v and 2v+1 ran on variant v, rendered with one seed.
        let variants: Vec<u64> = of
            .iter()
            .map(|r| r["variant"]["index"].as_u64().unwrap())
            .collect();
        assert_eq!(variants, vec![0, 0, 1, 1, 2, 2]);
        let seeds: BTreeSet<u64> = of
            .iter()
            .map(|r| r["variant"]["seed"].as_u64().unwrap())
            .collect();
        assert_eq!(seeds.len(), 3, "each variant has its own seed");
    }
    // The same seed gives the same variants and runs; another seed others.
    let again = oncall_gym(&arguments);
    again.expect_code(0);
    assert_eq!(again.json(), card);
    let without_times = |records: Vec<serde_json::Value>| {
        records
            .into_iter()
            .map(|mut record| {
                record["wall_time_ms"] = serde_json::json!(0);
                record
            })
            .collect::<Vec<_>>()
    };
    let first = without_times(records);
    assert_eq!(without_times(lines(&out)), first);
    let other_seed: Vec<&str> = arguments
        .iter()
        .map(|argument| if *argument == "9" { "10" } else { argument })
        .collect();
    oncall_gym(&other_seed).expect_code(0);
    let other = lines(&out);
    assert_ne!(other[0]["variant"]["seed"], first[0]["variant"]["seed"]);
}

#[test]
fn a_variant_run_is_repeated_byte_for_byte_from_its_out_line_with_gen_scenario_and_run() {
    let home = scratch_dir("variants_repeat");
    let out = home.join("runs.jsonl");
    // The heuristic reads the logs' timestamps and values, so its audit
    // log shows which rendering it saw.
    gym(
        &home,
        &[
            "eval",
            "orders_deploy_errors",
            "--agent",
            "heuristic",
            "--variants",
            "2",
            "--seed",
            "4",
            "--out",
            out.to_str().unwrap(),
        ],
    )
    .expect_code(0);
    let records = lines(&out);
    let record = records.last().unwrap();
    assert_eq!(record["variant"]["index"], 1);
    let run_id = record["run_id"].as_str().unwrap();
    let stored = gym(&home, &["runs", "export", run_id]);
    stored.expect_code(0);
    let other = gym(
        &home,
        &["runs", "export", records[0]["run_id"].as_str().unwrap()],
    );
    assert_ne!(other.stdout, stored.stdout, "two variants, one audit log");

    let rendered = home.join("orders_deploy_errors");
    let spec = fixtures_root().join("orders_deploy_errors/spec.json");
    oncall_gym(&[
        "gen-scenario",
        spec.to_str().unwrap(),
        "--seed",
        &record["variant"]["seed"].to_string(),
        "--out",
        rendered.to_str().unwrap(),
    ])
    .expect_code(0);
    let committed = std::fs::read(fixtures_root().join("orders_deploy_errors/logs.json")).unwrap();
    assert_ne!(
        std::fs::read(rendered.join("logs.json")).unwrap(),
        committed
    );
    let audit = home.join("again.jsonl");
    let ran = oncall_gym(&[
        "run",
        rendered.to_str().unwrap(),
        "--agent",
        "heuristic",
        "--seed",
        &record["seed"].to_string(),
        "--no-db",
        "--json",
        "--audit",
        audit.to_str().unwrap(),
    ]);
    ran.expect_code(0);
    assert_eq!(ran.json()["score"], record["score"], "{}", ran.stdout);
    assert_eq!(
        std::fs::read_to_string(&audit).unwrap(),
        stored.stdout,
        "the repeated run's audit log is not the eval's"
    );
    // The committed scenario gives another log: the eval ran the variant.
    let committed_audit = home.join("committed.jsonl");
    oncall_gym(&[
        "run",
        "orders_deploy_errors",
        "--agent",
        "heuristic",
        "--seed",
        &record["seed"].to_string(),
        "--no-db",
        "--audit",
        committed_audit.to_str().unwrap(),
    ])
    .expect_code(0);
    assert_ne!(
        std::fs::read_to_string(&committed_audit).unwrap(),
        stored.stdout
    );
}

#[test]
fn variant_caps_are_usage_errors_and_a_scenario_without_a_spec_is_refused() {
    for variants in ["0", "101", "x"] {
        let ran = oncall_gym(&["eval", "latency_spike", "--variants", variants, "--no-db"]);
        ran.expect_code(2);
    }
    let ran = oncall_gym(&[
        "eval",
        "latency_spike",
        "--variants",
        "100",
        "--trials",
        "101",
        "--no-db",
    ]);
    ran.expect_code(2);
    assert_has(&ran.stderr, "10100 runs per scenario; at most 10000");
    // The caps are usage errors before any scenario is looked up.
    oncall_gym(&[
        "eval",
        "no_such_scenario",
        "--variants",
        "100",
        "--trials",
        "101",
    ])
    .expect_code(2);

    let directory = scratch_dir("variants_no_spec").join("latency_spike");
    copy_scenario(&fixtures_root().join("latency_spike"), &directory);
    std::fs::remove_file(directory.join("spec.json")).unwrap();
    let ran = oncall_gym(&[
        "eval",
        directory.to_str().unwrap(),
        "--variants",
        "2",
        "--no-db",
    ]);
    ran.expect_code(1);
    assert_has(&ran.stderr, "scenario `latency_spike`");
    assert_has(&ran.stderr, "has no spec.json");
    // Without --variants it runs as committed.
    oncall_gym(&["eval", directory.to_str().unwrap(), "--no-db"]).expect_code(0);
}

#[test]
fn an_interrupted_eval_of_variants_is_resumed_with_its_variants() {
    let home = scratch_dir("variants_resume");
    let ran = gym(
        &home,
        &[
            "eval",
            "latency_spike",
            "--agent",
            "random",
            "--variants",
            "3",
            "--seed",
            "5",
            "--json",
        ],
    );
    let complete = ran.expect_code(0).json();
    interrupt_evals(&home, 2);
    let evals = gym(&home, &["evals", "list", "--json"]).json();
    let id = evals[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(evals[0]["settings"]["variants"], 3, "{evals}");
    let ran = gym(
        &home,
        &["eval", "--resume", &id, "--agent", "random", "--json"],
    );
    ran.expect_code(0);
    assert_has(&ran.stderr, "resumed: 1 run already recorded, 2 run now");
    assert_eq!(ran.json(), complete);
    // --variants that contradict the eval's own are a usage error.
    let ran = gym(
        &home,
        &[
            "eval",
            "--resume",
            &id,
            "--agent",
            "random",
            "--variants",
            "2",
        ],
    );
    ran.expect_code(2);
    assert_has(&ran.stderr, "does not match eval");
}
