//! The `oncall-gym` binary, run as a user runs it: every command, with the
//! documented output shapes and exit codes (0 success, 1 what was asked
//! failed, 2 usage error).

use std::collections::BTreeSet;
use std::fs;

use oncall_audit::read_chain;
use oncall_gym::agents::AgentKind;
use oncall_gym::builtin::builtin_scenarios;
use oncall_gym::tools::ToolRegistry;

use crate::support::{
    assert_has, bundled_scenarios, copy_scenario, edited_scenario, fixtures_root, oncall_gym,
    oncall_gym_in, run_with_audit, scratch_dir,
};

fn keys(value: &serde_json::Value) -> BTreeSet<&str> {
    value
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect()
}

#[test]
fn scenarios_lists_the_library_without_ground_truth() {
    let ran = oncall_gym(&["scenarios"]);
    ran.expect_code(0);
    for scenario in bundled_scenarios() {
        assert!(ran.stdout.contains(scenario.id()), "{}", ran.stdout);
        assert!(ran.stdout.contains(scenario.title()), "{}", ran.stdout);
    }
    let listed = oncall_gym(&["scenarios", "--json"]).expect_code(0).json();
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), bundled_scenarios().len());
    for (entry, scenario) in listed.iter().zip(bundled_scenarios()) {
        assert_eq!(
            keys(entry),
            BTreeSet::from(["id", "title", "difficulty", "category", "service"])
        );
        assert_eq!(entry["id"], scenario.id());
        assert_eq!(entry["service"], scenario.incident_spec().service.as_str());
        let text = entry.to_string();
        assert!(!text.contains(&scenario.ground_truth().root_cause.statement));
    }
}

#[test]
fn outside_the_repository_the_built_in_scenarios_are_used() {
    let elsewhere = scratch_dir("elsewhere");
    let listed = oncall_gym_in(Some(&elsewhere), &["scenarios", "--json"])
        .expect_code(0)
        .json();
    let ids: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["id"].as_str().unwrap())
        .collect();
    let builtin: Vec<&str> = builtin_scenarios().iter().map(|b| b.name()).collect();
    assert_eq!(ids, builtin);
    let ran = oncall_gym_in(Some(&elsewhere), &["run", "latency_spike", "--json"]);
    ran.expect_code(0);
    assert_eq!(ran.json()["scenario"], "latency_spike");
}

#[test]
fn fixtures_flag_and_environment_are_searched_first() {
    let root = scratch_dir("custom-root");
    let directory = root.join("custom_spike");
    copy_scenario(&fixtures_root().join("latency_spike"), &directory);
    let file = directory.join("scenario.json");
    let text = fs::read_to_string(&file).unwrap();
    fs::write(
        &file,
        text.replacen("\"latency_spike\"", "\"custom_spike\"", 1),
    )
    .unwrap();

    let root_text = root.to_str().unwrap();
    let ran = oncall_gym(&["--fixtures", root_text, "run", "custom_spike", "--json"]);
    assert_eq!(ran.expect_code(0).json()["scenario"], "custom_spike");
    // Names not in the root fall through to ./fixtures/incidents.
    oncall_gym(&["--fixtures", root_text, "run", "latency_spike"]).expect_code(0);
    // Without the flag, the name is unknown ...
    oncall_gym(&["run", "custom_spike"]).expect_code(1);
    // ... unless the environment names the root.
    let output = crate::support::command()
        .args(["run", "custom_spike"])
        .env("ONCALL_GYM_FIXTURES", &root)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));

    let ran = oncall_gym(&["--fixtures", "/no/such/root", "scenarios"]);
    ran.expect_code(1);
    assert!(
        ran.stderr
            .contains("--fixtures /no/such/root: not a directory"),
        "{}",
        ran.stderr
    );
}

#[test]
fn tools_prints_every_format() {
    let mut definitions = ToolRegistry::with_default_tools().definitions();
    definitions.extend(oncall_gym::tools::ending_definitions());
    let names: Vec<String> = definitions
        .iter()
        .map(|definition| definition.name().to_owned())
        .collect();
    assert_eq!(names[names.len() - 2..], ["propose_mitigation", "escalate"]);
    let openai = oncall_gym(&["tools", "--format", "openai"])
        .expect_code(0)
        .json();
    let listed: Vec<&str> = openai
        .as_array()
        .unwrap()
        .iter()
        .map(|tool| tool["function"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(listed, names);
    let anthropic = oncall_gym(&["tools", "--format", "anthropic"])
        .expect_code(0)
        .json();
    assert_eq!(anthropic[0]["name"], names[0].as_str());
    assert!(anthropic[0]["input_schema"].is_object());
    let mcp = oncall_gym(&["tools", "--format", "mcp"])
        .expect_code(0)
        .json();
    assert_eq!(mcp["tools"].as_array().unwrap().len(), names.len());
    let schema = oncall_gym(&["tools"]).expect_code(0).json();
    assert_eq!(
        schema,
        oncall_gym(&["tools", "--format", "json-schema"]).json()
    );
    assert_eq!(schema[0]["parameters"]["type"], "object");
    let bad = oncall_gym(&["tools", "--format", "yaml"]);
    bad.expect_code(2);
    assert!(
        bad.stderr.contains("invalid value 'yaml'"),
        "{}",
        bad.stderr
    );
}

#[test]
fn run_traces_on_stderr_and_prints_a_score_table() {
    let ran = oncall_gym(&["run", "latency_spike"]);
    ran.expect_code(0);
    for row in [
        "scenario",
        "agent",
        "run id",
        "status",
        "mitigation",
        "evidence",
        "score",
    ] {
        assert!(
            ran.stdout.lines().any(|line| line.starts_with(row)),
            "{row}:\n{}",
            ran.stdout
        );
    }
    assert!(ran.stderr.contains("step  1  "), "{}", ran.stderr);
    assert!(ran.stderr.contains("-> ok"), "{}", ran.stderr);
    assert!(ran.stderr.contains("hypothesis: "), "{}", ran.stderr);
    assert!(ran.stderr.contains("wall time: "), "{}", ran.stderr);
    // Every agent runs, by name or by directory path.
    for agent in AgentKind::ALL {
        oncall_gym(&[
            "run",
            "fixtures/incidents/latency_spike",
            "--agent",
            agent.name(),
        ])
        .expect_code(0);
    }
}

#[test]
fn run_json_has_the_documented_shape_and_matches_the_library() {
    for scenario in bundled_scenarios() {
        let json = oncall_gym(&[
            "run",
            scenario.id(),
            "--agent",
            "oracle",
            "--seed",
            "9",
            "--json",
        ])
        .expect_code(0)
        .json();
        assert_eq!(
            keys(&json),
            BTreeSet::from([
                "scenario",
                "agent",
                "seed",
                "run_id",
                "status",
                "termination",
                "steps",
                "score",
                "usage"
            ]),
            "without --audit there is no `audit` member"
        );
        assert_eq!(
            json["usage"],
            serde_json::json!({"model_calls": 0, "input_tokens": 0, "output_tokens": 0, "cost_usd": 0.0}),
            "a baseline calls no model"
        );
        let score = &json["score"];
        for key in [
            "total",
            "passed",
            "mitigation",
            "escalation",
            "evidence",
            "steps",
            "components",
        ] {
            assert!(score.get(key).is_some(), "{key} missing: {score}");
        }
        for key in ["found", "total", "ids"] {
            assert!(score["evidence"].get(key).is_some(), "{key}: {score}");
        }
        let (outcome, _) = run_with_audit(&scenario, AgentKind::Oracle, 9);
        assert_eq!(json["run_id"], outcome.run.id().as_uuid().to_string());
        assert_eq!(*score, serde_json::to_value(&outcome.evaluation).unwrap());
        assert_eq!(json["agent"], "oracle");
        assert_eq!(json["seed"], 9);
        assert_eq!(json["steps"], outcome.run.steps().len());
        assert_eq!(
            json["termination"]["kind"],
            outcome.run.termination().unwrap().as_str()
        );
    }
}

#[test]
fn the_same_run_twice_writes_byte_identical_audit_logs() {
    let directory = scratch_dir("identical-logs");
    let first = directory.join("first.jsonl");
    let second = directory.join("second.jsonl");
    for (path, agent) in [(&first, "random"), (&second, "random")] {
        let ran = oncall_gym(&[
            "run",
            "latency_spike",
            "--agent",
            agent,
            "--seed",
            "1234",
            "--audit",
            path.to_str().unwrap(),
        ]);
        ran.expect_code(0);
        assert!(ran.stderr.contains("audit log: "), "{}", ran.stderr);
    }
    // With --json the head and event count are in the object too, and they
    // are the head of the file just written.
    let pinned = directory.join("pinned.jsonl");
    let json = oncall_gym(&[
        "run",
        "latency_spike",
        "--agent",
        "random",
        "--seed",
        "1234",
        "--audit",
        pinned.to_str().unwrap(),
        "--json",
    ])
    .expect_code(0)
    .json();
    let audit = &json["audit"];
    assert_eq!(audit["path"], pinned.to_str().unwrap());
    let chain = read_chain(&fs::read(&pinned).unwrap(), None).unwrap();
    assert_eq!(audit["events"], chain.event_count());
    assert_eq!(audit["head_hash"], chain.head_hash());
    let (first, second) = (fs::read(first).unwrap(), fs::read(second).unwrap());
    assert_eq!(first, fs::read(&pinned).unwrap());
    assert!(!first.is_empty());
    assert!(first == second, "the two audit logs differ");
    // The log is the library's log for the same run, byte for byte.
    let scenario = bundled_scenarios()
        .into_iter()
        .find(|scenario| scenario.id() == "latency_spike")
        .unwrap();
    let (_, library_bytes) = run_with_audit(&scenario, AgentKind::Random, 1234);
    assert!(
        first == library_bytes,
        "the command's log differs from the library's"
    );
}

#[test]
fn run_refuses_bad_input_with_the_documented_exit_codes() {
    let missing = oncall_gym(&["run", "no_such_scenario"]);
    missing.expect_code(1);
    assert!(
        missing
            .stderr
            .contains("no scenario named `no_such_scenario`"),
        "{}",
        missing.stderr
    );

    // A path that climbs out of the working directory is taken as a path,
    // never as a name, and refused for what it is. The test builds both
    // targets itself: what `../../etc` means must not depend on where the
    // checkout lives.
    let root = scratch_dir("run_refuses_traversal");
    let working = root.join("a").join("b");
    std::fs::create_dir_all(&working).unwrap();
    std::fs::create_dir_all(root.join("etc")).unwrap();
    let traversal = oncall_gym_in(Some(&working), &["run", "../../etc"]);
    traversal.expect_code(1);
    assert!(
        traversal.stderr.contains("../../etc"),
        "{}",
        traversal.stderr
    );
    assert!(
        traversal.stderr.contains("not a scenario directory"),
        "{}",
        traversal.stderr
    );
    let nowhere = oncall_gym_in(Some(&working), &["run", "../../nowhere"]);
    nowhere.expect_code(1);
    assert!(
        nowhere
            .stderr
            .contains("../../nowhere: no such scenario directory"),
        "{}",
        nowhere.stderr
    );

    let bad_name = oncall_gym(&["run", "Etc;rm"]);
    bad_name.expect_code(1);
    assert!(
        bad_name.stderr.contains("is not allowed"),
        "{}",
        bad_name.stderr
    );

    let unknown_flag = oncall_gym(&["run", "latency_spike", "--bogus"]);
    unknown_flag.expect_code(2);
    assert!(
        unknown_flag
            .stderr
            .contains("unexpected argument '--bogus'"),
        "{}",
        unknown_flag.stderr
    );

    let unknown_agent = oncall_gym(&["run", "latency_spike", "--agent", "genius"]);
    unknown_agent.expect_code(2);
    assert!(
        unknown_agent.stderr.contains("invalid value 'genius'"),
        "{}",
        unknown_agent.stderr
    );
    assert!(
        unknown_agent.stderr.contains("heuristic"),
        "{}",
        unknown_agent.stderr
    );

    oncall_gym(&["run", "latency_spike", "--max-steps", "0"]).expect_code(2);
    oncall_gym(&["run"]).expect_code(2);
    oncall_gym(&[]).expect_code(2);
    oncall_gym(&["--help"]).expect_code(0);
    // What `eval` and `validate` take by default is the library --fixtures
    // names, not only the bundled scenarios.
    for command in ["eval", "validate"] {
        let help = oncall_gym(&[command, "--help"]);
        help.expect_code(0);
        assert!(
            help.stdout
                .contains("default: every scenario in --fixtures DIR"),
            "{}",
            help.stdout
        );
    }
    for ran in [&missing, &traversal, &unknown_agent] {
        assert!(!ran.stderr.contains("panicked"), "{}", ran.stderr);
    }

    let unwritable = oncall_gym(&["run", "latency_spike", "--audit", "/no/such/dir/log.jsonl"]);
    unwritable.expect_code(1);
    assert!(
        unwritable.stderr.contains("could not create the audit log"),
        "{}",
        unwritable.stderr
    );
}

#[test]
fn an_agent_that_fails_is_a_run_that_errored() {
    // An oracle whose reference solution stops before the end of the run
    // runs out of decisions: the run ends with `agent_error`, exit 1. Such
    // a scenario is invalid, so only --no-validate runs it.
    let directory = edited_scenario("agent-error", "latency_spike", |scenario| {
        scenario["ground_truth"]["reference_solution"]
            .as_array_mut()
            .unwrap()
            .pop();
    });
    let path = directory.to_str().unwrap();
    let ran = oncall_gym(&["run", path, "--agent", "oracle", "--json", "--no-validate"]);
    ran.expect_code(1);
    assert_eq!(ran.json()["termination"]["kind"], "agent_error");
    assert_has(&ran.stderr, "error: the oracle agent failed: ");
    let refused = oncall_gym(&["run", path, "--agent", "oracle", "--json"]);
    refused.expect_code(1);
    assert!(refused.stdout.is_empty(), "{}", refused.stdout);
    assert_has(
        &refused.stderr,
        "latency_spike: ground_truth.reference_solution",
    );
}

#[test]
fn a_step_limit_is_a_finished_run_not_an_error() {
    let json = oncall_gym(&[
        "run",
        "latency_spike",
        "--agent",
        "oracle",
        "--max-steps",
        "1",
        "--json",
    ])
    .expect_code(0)
    .json();
    assert_eq!(json["status"], "failed");
    assert_eq!(json["termination"]["kind"], "step_limit");
    assert_eq!(json["steps"], 1);
}

#[test]
fn eval_prints_a_scorecard_in_a_deterministic_order() {
    let ran = oncall_gym(&["eval", "--trials", "2"]);
    ran.expect_code(0);
    assert!(ran.stdout.contains("pass^2"), "{}", ran.stdout);
    assert!(
        ran.stdout.lines().last().unwrap().starts_with("overall"),
        "{}",
        ran.stdout
    );
    // No progress bar when stderr is not a terminal: a summary line, then
    // where the results went.
    assert_eq!(ran.stderr.lines().count(), 2, "{}", ran.stderr);
    assert!(
        ran.stderr
            .lines()
            .nth(1)
            .unwrap()
            .starts_with("results: eval "),
        "{}",
        ran.stderr
    );

    let one = oncall_gym(&[
        "eval", "--agent", "random", "--trials", "3", "--seed", "5", "--jobs", "1", "--json",
    ]);
    let four = oncall_gym(&[
        "eval", "--agent", "random", "--trials", "3", "--seed", "5", "--jobs", "4", "--json",
    ]);
    assert_eq!(one.expect_code(0).stdout, four.expect_code(0).stdout);
    let card = one.json();
    assert_eq!(keys(&card), BTreeSet::from(["scenarios", "overall"]));
    let fields = BTreeSet::from([
        "runs",
        "mean_score",
        "pass_rate",
        "pass_hat_k",
        "localization",
        "root_cause_category",
        "mean_steps",
    ]);
    assert_eq!(keys(&card["overall"]), fields);
    let scenarios = card["scenarios"].as_array().unwrap();
    let ids: Vec<&str> = scenarios
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted);
    assert_eq!(ids.len(), bundled_scenarios().len());
    for line in scenarios {
        let mut with_id = fields.clone();
        with_id.insert("id");
        assert_eq!(keys(line), with_id);
        assert_eq!(line["runs"], 3);
    }
    assert_eq!(card["overall"]["runs"], 3 * ids.len());
}

#[test]
fn eval_out_writes_a_line_per_run_that_run_can_repeat() {
    let out = scratch_dir("eval-out").join("runs.jsonl");
    let out_text = out.to_str().unwrap();
    oncall_gym(&[
        "eval",
        "latency_spike",
        "--agent",
        "random",
        "--trials",
        "3",
        "--seed",
        "8",
        "--out",
        out_text,
    ])
    .expect_code(0);
    let lines: Vec<serde_json::Value> = fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    for (trial, line) in lines.iter().enumerate() {
        assert_eq!(line["scenario"], "latency_spike");
        assert_eq!(line["trial"], trial);
        assert!(line["wall_time_ms"].as_f64().unwrap() >= 0.0);
        let seed = line["seed"].as_u64().unwrap().to_string();
        let again = oncall_gym(&[
            "run",
            "latency_spike",
            "--agent",
            "random",
            "--seed",
            &seed,
            "--json",
        ])
        .expect_code(0)
        .json();
        assert_eq!(again["score"], line["score"]);
        assert_eq!(again["run_id"], line["run_id"]);
    }

    let missing = oncall_gym(&["eval", "latency_spike", "no_such_scenario"]);
    missing.expect_code(1);
    assert!(
        missing
            .stderr
            .contains("no scenario named `no_such_scenario`"),
        "{}",
        missing.stderr
    );
    oncall_gym(&["eval", "--agent", "genius"]).expect_code(2);
    oncall_gym(&["eval", "--jobs", "0"]).expect_code(2);
}

#[test]
fn gen_scenario_renders_a_spec_that_validates() {
    let out = scratch_dir("generated").join("latency_spike");
    let spec = fixtures_root().join("latency_spike/spec.json");
    oncall_gym(&[
        "gen-scenario",
        spec.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ])
    .expect_code(0);
    assert!(out.join("scenario.json").is_file());
    oncall_gym(&["validate", out.to_str().unwrap()]).expect_code(0);

    let missing = oncall_gym(&[
        "gen-scenario",
        "/no/such/spec.json",
        "--out",
        out.to_str().unwrap(),
    ]);
    missing.expect_code(1);
    assert!(
        missing.stderr.contains("/no/such/spec.json"),
        "{}",
        missing.stderr
    );

    // Re-rendering a scenario into its own directory gives its files back.
    let own = scratch_dir("rerender").join("latency_spike");
    copy_scenario(&fixtures_root().join("latency_spike"), &own);
    let own_spec = own.join("spec.json");
    let own_text = own.to_str().unwrap();
    oncall_gym(&[
        "gen-scenario",
        own_spec.to_str().unwrap(),
        "--out",
        own_text,
    ])
    .expect_code(0);
    for file in ["scenario.json", "logs.json", "metrics.json", "deploys.json"] {
        let committed = fs::read(fixtures_root().join("latency_spike").join(file)).unwrap();
        assert!(
            fs::read(own.join(file)).unwrap() == committed,
            "{file} differs"
        );
    }
}
