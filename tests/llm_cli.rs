//! `oncall-gym run` and `eval` with `--agent openai:MODEL` against the
//! scripted provider: usage in `run --json`, tokens and cost in the
//! scorecard and `--out`, the cost budget, usage errors, and the README's
//! offline cassette example.

use std::path::Path;

use serde_json::Value;

use crate::llm::{SECRET, sound_investigation};
use crate::llm_server::{Reply, ScriptedProvider, openai_reply};
use crate::support::{Ran, assert_has, command, scratch_dir, workspace_root};

/// The README's offline example: a cassette of gpt-4o-mini investigating
/// latency_spike (played by the scripted provider when recorded).
const EXAMPLE_CASSETTE: &str = "examples/llm/latency_spike.openai.cassette.jsonl";

/// Runs the binary with the model environment set: the key and no base
/// URL from the developer's own shell.
fn oncall_gym_with_key(arguments: &[&str]) -> Ran {
    let output = command()
        .args(arguments)
        .env_remove("OPENAI_BASE_URL")
        .env_remove("ANTHROPIC_BASE_URL")
        .env_remove("ANTHROPIC_API_KEY")
        .env("OPENAI_API_KEY", SECRET)
        .output()
        .unwrap();
    Ran::from_output(output)
}

fn script(runs: usize) -> Vec<Reply> {
    (0..runs)
        .flat_map(|_| {
            sound_investigation()
                .into_iter()
                .enumerate()
                .map(|(index, (text, call))| openai_reply(text, &[call], index as u32 + 1))
        })
        .collect()
}

#[test]
fn run_with_a_model_reports_its_usage_and_cost() {
    let server = ScriptedProvider::start(script(1));
    let base = format!("{}/v1", server.base());
    let ran = oncall_gym_with_key(&[
        "run",
        "latency_spike",
        "--agent",
        "openai:gpt-4o",
        "--llm-base-url",
        &base,
        "--temperature",
        "0",
        "--json",
    ]);
    ran.expect_code(0);
    let report = ran.json();
    assert_eq!(report["agent"], "openai:gpt-4o");
    assert_eq!(report["status"], "completed");
    let usage = &report["usage"];
    assert_eq!(usage["model_calls"], 4);
    assert_eq!(usage["input_tokens"], 5000);
    assert_eq!(usage["output_tokens"], 200);
    // gpt-4o: (5000 - 1536 cached) × $2.50 + 1536 × $1.25 + 200 × $10 per million.
    let cost = usage["cost_usd"].as_f64().unwrap();
    assert!((cost - 0.01258).abs() < 1e-9, "{cost}");
    assert_eq!(usage.as_object().unwrap().len(), 4, "{usage}");
    assert_has(
        &ran.stderr,
        "model: 4 calls, 5000 tokens in (1536 cached), 200 out, $0.0126",
    );
    assert_eq!(server.requests()[0].body["temperature"], 0.0);
    // A model without a known price costs null, not a guess.
    let server = ScriptedProvider::start(script(1));
    let base = format!("{}/v1", server.base());
    let ran = oncall_gym_with_key(&[
        "run",
        "latency_spike",
        "--agent",
        "openai:my-local-llm",
        "--llm-base-url",
        &base,
        "--json",
    ]);
    ran.expect_code(0);
    assert_eq!(ran.json()["usage"]["cost_usd"], Value::Null);
    assert_has(&ran.stderr, "cost unknown (give --prices)");
    // A baseline spends nothing.
    let ran = oncall_gym_with_key(&["run", "latency_spike", "--json"]);
    assert_eq!(
        ran.expect_code(0).json()["usage"],
        serde_json::json!({"model_calls": 0, "input_tokens": 0, "output_tokens": 0, "cost_usd": 0.0})
    );
}

#[test]
fn eval_shows_tokens_and_cost_and_stops_at_its_cost_budget() {
    let directory = scratch_dir("llm_cli_eval");
    let out = directory.join("runs.jsonl");
    let transcripts = directory.join("transcripts");
    let prices = directory.join("prices.json");
    std::fs::write(
        &prices,
        r#"{"test-model": {"input": 1.0, "output": 2.0, "cached_input": 0.5}}"#,
    )
    .unwrap();
    let server = ScriptedProvider::start(script(2));
    let base = format!("{}/v1", server.base());
    let common = [
        "eval",
        "latency_spike",
        "--trials",
        "2",
        "--jobs",
        "1",
        "--agent",
        "openai:test-model",
        "--llm-base-url",
        &base,
        "--prices",
        prices.to_str().unwrap(),
    ];
    let mut arguments = common.to_vec();
    arguments.extend([
        "--out",
        out.to_str().unwrap(),
        "--transcripts",
        transcripts.to_str().unwrap(),
        "--max-rps",
        "50",
    ]);
    let ran = oncall_gym_with_key(&arguments);
    ran.expect_code(0);
    assert_has(&ran.stdout, "tokens");
    assert_has(&ran.stdout, "cost");
    // Two runs of 5000 in (1536 cached) and 200 out: 10400 tokens, and
    // 2 × (3464 × 1 + 1536 × 0.5 + 200 × 2) / 1e6 dollars.
    assert_has(&ran.stdout, "10400");
    assert_has(&ran.stdout, "$0.0093");
    let lines: Vec<Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["usage"]["model_calls"], 4);
    assert_eq!(lines[0]["usage"]["cached_tokens"], 1536);
    assert!(lines[0]["usage"]["model_latency_ms"].as_f64().unwrap() > 0.0);
    let written: Vec<String> = std::fs::read_dir(&transcripts)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(written.len(), 2, "{written:?}");
    for file in [out.clone(), transcripts.join(&written[0])] {
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(!text.contains(SECRET), "the key is in {}", file.display());
    }
    // `scorecard` reads the lines back with the same columns.
    let ran = oncall_gym_with_key(&["scorecard", out.to_str().unwrap(), "--json"]);
    let card = ran.expect_code(0).json();
    assert_eq!(card["overall"]["usage"]["input_tokens"], 10000);
    assert_eq!(card["overall"]["usage"]["cost_usd"], 0.009264);

    // A budget the first run already spends: the second never starts.
    let server = ScriptedProvider::start(script(2));
    let base = format!("{}/v1", server.base());
    let mut arguments = common.to_vec();
    arguments[9] = &base;
    arguments.extend(["--max-cost", "0.001", "--json"]);
    let ran = oncall_gym_with_key(&arguments);
    ran.expect_code(1);
    assert_eq!(ran.json()["overall"]["runs"], 1);
    assert_has(
        &ran.stderr,
        "stopped at the cost budget: the runs done cost $0.0046 of --max-cost $0.0010; 1 of 2 runs were not started",
    );
    assert_eq!(server.requests().len(), 4);
}

#[test]
fn model_flags_that_do_not_fit_and_a_missing_key_are_usage_errors() {
    let ran = oncall_gym_with_key(&["run", "latency_spike", "--cassette", "x.jsonl"]);
    ran.expect_code(2);
    assert_has(&ran.stderr, "--cassette only apply to a model agent");
    let ran = oncall_gym_with_key(&["eval", "latency_spike", "--max-cost", "1"]);
    ran.expect_code(2);
    assert_has(&ran.stderr, "--max-cost only applies to a model agent");
    let ran = oncall_gym_with_key(&[
        "eval",
        "latency_spike",
        "--agent",
        "openai:my-local-llm",
        "--max-cost",
        "1",
    ]);
    ran.expect_code(2);
    assert_has(
        &ran.stderr,
        "--max-cost needs the price of openai:my-local-llm: give it with --prices FILE",
    );
    let ran = oncall_gym_with_key(&["run", "latency_spike", "--agent", "gpt-4o"]);
    ran.expect_code(2);
    assert_has(
        &ran.stderr,
        "unknown agent `gpt-4o`: heuristic, oracle, random, openai:MODEL or anthropic:MODEL",
    );
    let ran = oncall_gym_with_key(&[
        "run",
        "latency_spike",
        "--agent",
        "anthropic:claude-sonnet-4-5",
    ]);
    ran.expect_code(2);
    assert_has(&ran.stderr, "ANTHROPIC_API_KEY is not set");
    let ran = oncall_gym_with_key(&[
        "run",
        "latency_spike",
        "--agent",
        "openai:gpt-4o",
        "--temperature",
        "3",
    ]);
    ran.expect_code(2);
    assert_has(&ran.stderr, "--temperature must be between 0 and 2, got 3");
    let ran = oncall_gym_with_key(&["run", "latency_spike", "--record"]);
    ran.expect_code(2);
    let ran = oncall_gym_with_key(&[
        "eval",
        "latency_spike",
        "--agent",
        "openai:gpt-4o",
        "--max-rps",
        "0.001",
    ]);
    ran.expect_code(2);
    assert_has(&ran.stderr, "from 0.01 to 10000 requests a second");
    // A refused command never empties the cassette it was to record into.
    let directory = scratch_dir("llm_cli_usage");
    let kept = directory.join("kept.jsonl");
    std::fs::write(&kept, "{\"oncall_gym_cassette\":1}\n").unwrap();
    let ran = oncall_gym_with_key(&[
        "run",
        "latency_spike",
        "--agent",
        "anthropic:claude-sonnet-4-5",
        "--cassette",
        kept.to_str().unwrap(),
        "--record",
    ]);
    ran.expect_code(2);
    assert_eq!(
        std::fs::read_to_string(&kept).unwrap(),
        "{\"oncall_gym_cassette\":1}\n"
    );
    let ran = oncall_gym_with_key(&[
        "run",
        "latency_spike",
        "--agent",
        "openai:gpt-4o",
        "--cassette",
        "no/such/cassette.jsonl",
    ]);
    ran.expect_code(1);
    assert_has(
        &ran.stderr,
        "cassette no/such/cassette.jsonl: could not open it",
    );
}

/// The README's cassette example runs offline: no key, no network. Set
/// ONCALL_GYM_RECORD_EXAMPLES=1 to record it again (after a change to the
/// prompt or the tools, which changes every request).
#[test]
fn the_readme_cassette_example_replays_offline_to_the_same_log() {
    let cassette = workspace_root().join(EXAMPLE_CASSETTE);
    if std::env::var_os("ONCALL_GYM_RECORD_EXAMPLES").is_some() {
        let server = ScriptedProvider::start(script(1));
        let base = format!("{}/v1", server.base());
        oncall_gym_with_key(&[
            "run",
            "latency_spike",
            "--agent",
            "openai:gpt-4o-mini",
            "--llm-base-url",
            &base,
            "--cassette",
            EXAMPLE_CASSETTE,
            "--record",
        ])
        .expect_code(0);
    }
    let directory = scratch_dir("llm_cli_readme");
    let audit = |name: &str| directory.join(name);
    let replay = |log: &Path| {
        let output = command()
            .args([
                "run",
                "latency_spike",
                "--agent",
                "openai:gpt-4o-mini",
                "--cassette",
                EXAMPLE_CASSETTE,
                "--json",
                "--audit",
            ])
            .arg(log)
            .env_remove("OPENAI_API_KEY")
            .env_remove("OPENAI_BASE_URL")
            .output()
            .unwrap();
        Ran::from_output(output)
    };
    assert!(
        cassette.is_file(),
        "{} is missing: record it with ONCALL_GYM_RECORD_EXAMPLES=1",
        cassette.display()
    );
    let first = replay(&audit("one.jsonl"));
    first.expect_code(0);
    let report = first.json();
    assert_eq!(report["status"], "completed");
    assert_eq!(report["score"]["mitigation"], "correct");
    assert_eq!(report["usage"]["model_calls"], 4);
    assert!(report["usage"]["cost_usd"].as_f64().unwrap() > 0.0);
    let second = replay(&audit("two.jsonl"));
    second.expect_code(0);
    assert_eq!(
        std::fs::read(audit("one.jsonl")).unwrap(),
        std::fs::read(audit("two.jsonl")).unwrap()
    );
    let text = std::fs::read_to_string(&cassette).unwrap();
    assert!(!text.contains(SECRET) && !text.to_lowercase().contains("authorization"));
}

#[test]
fn a_resumed_eval_keeps_its_cost_budget_less_what_it_spent() {
    let directory = scratch_dir("llm_cli_resume_budget");
    let db = directory.join("results.db");
    let prices = directory.join("prices.json");
    std::fs::write(
        &prices,
        r#"{"test-model": {"input": 1.0, "output": 2.0, "cached_input": 0.5}}"#,
    )
    .unwrap();
    let server = ScriptedProvider::start(script(2));
    let base = format!("{}/v1", server.base());
    let model = [
        "--agent",
        "openai:test-model",
        "--llm-base-url",
        &base,
        "--prices",
        prices.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
        "--jobs",
        "1",
    ];
    let mut arguments = vec![
        "eval",
        "latency_spike",
        "--trials",
        "2",
        "--max-cost",
        "0.001",
    ];
    arguments.extend(model);
    let ran = oncall_gym_with_key(&arguments);
    ran.expect_code(1);
    let id = ran
        .stderr
        .lines()
        .find_map(|line| line.strip_prefix("results: eval "))
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    // Resumed, its budget is already spent: nothing starts.
    let mut arguments = vec!["eval", "--resume", &id];
    arguments.extend(model);
    let ran = oncall_gym_with_key(&arguments);
    ran.expect_code(1);
    assert_has(
        &ran.stderr,
        "of --max-cost $0.0010; 1 of 2 runs were not started",
    );
    assert_eq!(server.requests().len(), 4, "no model call was made");
    // A new budget given on the command line replaces it.
    arguments.extend(["--max-cost", "1"]);
    let ran = oncall_gym_with_key(&arguments);
    ran.expect_code(0);
    assert_has(&ran.stderr, "resumed: 1 run already recorded, 1 run now");
    assert_eq!(server.requests().len(), 8);
}
