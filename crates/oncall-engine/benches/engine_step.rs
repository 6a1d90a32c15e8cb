#![expect(
    clippy::print_stdout,
    reason = "a benchmark reports its figures on stdout"
)]

//! The engine's overhead per step: a no-op agent calls a tool that does
//! nothing, against an in-memory source, writing to an in-memory audit log.
//! Goal: under 2 µs per step in release. Run with
//! `cargo bench -p oncall-engine`.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use chrono::{TimeZone, Utc};
use serde_json::{Value, json};

use oncall_audit::Log;
use oncall_domain::{Decision, FixedClock, Incident, RunLimits, SequentialIdGenerator, ToolResult};
use oncall_engine::{Agent, AgentContext, AgentError, Analysis, Engine, EngineConfig};
use oncall_tools::{
    DataSource, InMemoryDataSource, Tool, ToolContext, ToolExecutionError, ToolOutput,
    ToolRegistry, ValidatedParams,
};

const STEPS_PER_RUN: u32 = 10_000;
const RUNS: usize = 15;

#[derive(Debug)]
struct NoopTool {
    schema: Value,
}

impl Tool for NoopTool {
    fn name(&self) -> &str {
        "noop"
    }

    fn description(&self) -> &str {
        "Does nothing; for measuring the engine."
    }

    fn parameters_schema(&self) -> &Value {
        &self.schema
    }

    fn execute(
        &self,
        _params: &ValidatedParams,
        _context: &ToolContext<'_>,
        _source: &dyn DataSource,
    ) -> Result<ToolOutput, ToolExecutionError> {
        Ok(ToolOutput::new(Value::Null, None))
    }
}

#[derive(Debug)]
struct NoopAgent;

impl Agent for NoopAgent {
    fn name(&self) -> &str {
        "noop"
    }

    fn decide_next_action(&mut self, _context: &AgentContext<'_>) -> Result<Decision, AgentError> {
        Ok(Decision::CallTool {
            tool_name: "noop".to_owned(),
            params: serde_json::Map::new(),
            reasoning: String::new(),
        })
    }

    fn analyze_result(
        &mut self,
        _tool_result: &ToolResult,
        _context: &AgentContext<'_>,
    ) -> Result<Analysis, AgentError> {
        Ok(Analysis::new("nothing", false))
    }
}

fn main() {
    let now = Utc
        .with_ymd_and_hms(2026, 11, 25, 12, 0, 0)
        .single()
        .unwrap_or_default();
    let mut registry = ToolRegistry::new();
    let schema =
        json!({"type": "object", "properties": {}, "required": [], "additionalProperties": false});
    if let Err(error) = registry.register(Box::new(NoopTool { schema })) {
        eprintln!("cannot register the noop tool: {error}");
        return;
    }
    let registry = Arc::new(registry);
    let source: Arc<dyn DataSource> = Arc::new(InMemoryDataSource::empty());
    let mut per_step_ns = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let Ok(limits) = RunLimits::new(STEPS_PER_RUN) else {
            return;
        };
        let config = EngineConfig::new(
            limits,
            Arc::new(FixedClock::new(now)),
            Arc::new(SequentialIdGenerator::new()),
        );
        let clock = FixedClock::new(now);
        let Ok(incident) =
            Incident::builder("svc", "bench").build(&clock, &SequentialIdGenerator::new())
        else {
            return;
        };
        let mut log = Log::new();
        let mut engine = Engine::new(Arc::clone(&registry), Arc::clone(&source), config, &mut log);
        let started = Instant::now();
        let run = engine.run(&mut NoopAgent, incident);
        let elapsed = started.elapsed();
        black_box(&run);
        per_step_ns.push(elapsed.as_nanos() as f64 / f64::from(STEPS_PER_RUN));
    }
    per_step_ns.sort_by(f64::total_cmp);
    let median = per_step_ns[per_step_ns.len() / 2];
    let best = per_step_ns[0];
    println!(
        "engine step (no-op agent, no-op tool, in-memory log): median {:.2} µs/step, best {:.2} µs/step over {RUNS} runs of {STEPS_PER_RUN} steps (goal < 2 µs)",
        median / 1000.0,
        best / 1000.0
    );
}
