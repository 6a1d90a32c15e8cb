#![expect(
    clippy::print_stdout,
    reason = "a benchmark reports its figures on stdout"
)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a benchmark that cannot run should stop loudly"
)]

//! What a model agent costs besides the model: a whole `latency_spike` run
//! of `openai:gpt-4o-mini` replayed from the README's cassette, in
//! process. Each step builds the request (the whole conversation and the
//! tool schemas), hashes it for the cassette, reads the recorded reply and
//! runs the engine, so the figure is the agent's own overhead per model
//! call, which a real endpoint's seconds of latency dwarf.
//!
//! There is no goal: it shows that the harness is never what a model
//! evaluation waits for. Run with `cargo bench -p oncall-gym --bench
//! llm_cassette`.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use oncall_gym::builtin::find_builtin;
use oncall_gym::llm::{Cassette, LlmAgent, LlmSettings, ModelClient, ModelSpec, UreqTransport};
use oncall_gym::sim::{RunSettings, run_scenario};

const RUNS: usize = 200;

fn main() {
    let cassette = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/llm/latency_spike.openai.cassette.jsonl");
    let scenario = find_builtin("latency_spike").unwrap().load().unwrap();
    let spec = ModelSpec::parse("openai:gpt-4o-mini").unwrap().unwrap();
    let transport = Arc::new(UreqTransport::new(
        Duration::from_secs(1),
        Duration::from_secs(1),
    ));
    let replay = Arc::new(Cassette::replay(&cassette).unwrap());
    let client =
        Arc::new(ModelClient::new(LlmSettings::new(spec), transport, Some(replay)).unwrap());
    let mut per_run: Vec<f64> = Vec::with_capacity(RUNS);
    let mut calls = 0;
    for _ in 0..RUNS {
        let mut agent = LlmAgent::new(Arc::clone(&client), 0);
        let started = Instant::now();
        let outcome = run_scenario(
            &scenario,
            &mut agent,
            RunSettings {
                seed: 0,
                max_steps: None,
            },
            None,
        )
        .unwrap();
        per_run.push(started.elapsed().as_secs_f64() * 1e6);
        calls = outcome.run.model_usage().model_calls;
        assert_eq!(
            calls,
            4,
            "the cassette no longer replays: {:?}",
            outcome.run.termination()
        );
    }
    per_run.sort_by(f64::total_cmp);
    let median = per_run[per_run.len() / 2];
    println!(
        "latency_spike replayed from a cassette: {median:.0} µs per run, {:.0} µs per model call ({calls} calls; p10 {:.0} µs, p90 {:.0} µs per run)",
        median / calls as f64,
        per_run[per_run.len() / 10],
        per_run[per_run.len() * 9 / 10],
    );
}
