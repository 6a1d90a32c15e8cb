//! The engine's tests, with small scripted agents against the in-memory
//! data source. This file holds the shared fixtures and the tests of the
//! audit log as a whole (snapshots, determinism, replay); the others group
//! tests by subject.

mod arbitrary_decisions;
mod episodes;
mod hypotheses;
mod model_calls;
mod outcomes;

use std::collections::VecDeque;
use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use serde_json::json;

use oncall_audit::{EventKind, Log};
use oncall_domain::{
    Decision, FixedClock, HypothesisStatus, Incident, IncidentId, RunLimits, RunStatus,
    SequentialIdGenerator, TerminationReason, Timestamp, ToolResult,
};
use oncall_tools::{InMemoryDataSource, LogEntry, LogLevel, ToolRegistry};

use crate::{
    Agent, AgentContext, AgentError, Analysis, Engine, EngineConfig, EngineError, HypothesisUpdate,
    Run, StepStatus,
};

/// An agent that plays back a script of decisions and analyses.
#[derive(Debug, Default)]
struct ScriptedAgent {
    decisions: VecDeque<Result<Decision, AgentError>>,
    analyses: VecDeque<Result<Analysis, AgentError>>,
    seen_results: Vec<ToolResult>,
    seen_steps_remaining: Vec<u32>,
}

impl ScriptedAgent {
    fn new(decisions: Vec<Decision>, analyses: Vec<Analysis>) -> ScriptedAgent {
        ScriptedAgent {
            decisions: decisions.into_iter().map(Ok).collect(),
            analyses: analyses.into_iter().map(Ok).collect(),
            ..ScriptedAgent::default()
        }
    }
}

impl Agent for ScriptedAgent {
    fn name(&self) -> &str {
        "scripted"
    }

    fn decide_next_action(&mut self, context: &AgentContext<'_>) -> Result<Decision, AgentError> {
        self.seen_steps_remaining.push(context.steps_remaining());
        self.decisions
            .pop_front()
            .unwrap_or_else(|| Ok(call("logs", json!({}))))
    }

    fn analyze_result(
        &mut self,
        tool_result: &ToolResult,
        _context: &AgentContext<'_>,
    ) -> Result<Analysis, AgentError> {
        self.seen_results.push(tool_result.clone());
        self.analyses
            .pop_front()
            .unwrap_or_else(|| Ok(Analysis::new("nothing new", false)))
    }
}

fn noon() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap()
}

fn call(tool: &str, params: serde_json::Value) -> Decision {
    Decision::CallTool {
        tool_name: tool.to_owned(),
        params: params.as_object().cloned().unwrap(),
        reasoning: format!("look at {tool}"),
    }
}

fn mitigate(text: &str, confidence: f64) -> Decision {
    Decision::mitigation(text, confidence, "the evidence points there")
}

fn incident() -> Incident {
    Incident::builder("checkout", "p99 latency above 2s")
        .id(IncidentId::from_uuid(uuid::Uuid::from_u128(0xFEED)))
        .created_at(noon())
        .build(&FixedClock::new(noon()), &SequentialIdGenerator::new())
        .unwrap()
}

fn source() -> Arc<InMemoryDataSource> {
    let logs = vec![
        LogEntry::new(
            noon() - Duration::minutes(10),
            "checkout",
            LogLevel::Error,
            "db timeout",
        )
        .unwrap(),
        LogEntry::new(
            noon() - Duration::minutes(5),
            "checkout",
            LogLevel::Info,
            "request ok",
        )
        .unwrap(),
        // After the incident: no tool may return it.
        LogEntry::new(
            noon() + Duration::minutes(5),
            "checkout",
            LogLevel::Error,
            "from the future",
        )
        .unwrap(),
    ];
    Arc::new(InMemoryDataSource::new(logs, Vec::new(), Vec::new(), Vec::new()).unwrap())
}

fn config(max_steps: u32) -> EngineConfig {
    EngineConfig::new(
        RunLimits::new(max_steps).unwrap(),
        Arc::new(FixedClock::new(noon())),
        Arc::new(SequentialIdGenerator::new()),
    )
    .with_step_duration(Duration::seconds(30))
    .with_seed(7)
}

fn run_with(agent: &mut dyn Agent, max_steps: u32) -> (Run, Log) {
    let mut log = Log::new();
    let run = {
        let mut engine = Engine::new(
            Arc::new(ToolRegistry::with_default_tools()),
            source(),
            config(max_steps),
            &mut log,
        );
        engine.run(agent, incident()).unwrap()
    };
    (run, log)
}

/// The kinds of the log's events, in order.
fn event_names(log: &Log) -> Vec<&'static str> {
    log.events()
        .iter()
        .map(|event| event.kind().name())
        .collect()
}

/// The reasons of the run's failed steps, in order.
fn failure_reasons(run: &Run) -> Vec<String> {
    run.steps()
        .iter()
        .filter_map(|step| match step.status() {
            StepStatus::Failed { reason } => Some(reason.clone()),
            StepStatus::Completed => None,
        })
        .collect()
}

fn kinds(log: &Log) -> Vec<String> {
    log.events()
        .iter()
        .map(|event| match event.step() {
            Some(step) => format!("{} step {step}: {}", event.sequence(), event.kind().name()),
            None => format!("{}: {}", event.sequence(), event.kind().name()),
        })
        .collect()
}

fn hypothesis_script() -> (Vec<Decision>, Vec<Analysis>) {
    let decisions = vec![
        call("logs", json!({"service": "checkout", "min_level": "error"})),
        call("logs", json!({"service": "checkout"})),
        mitigate("Roll back checkout", 0.85),
    ];
    let analyses = vec![
        Analysis::new("checkout logs a db timeout", true).with_hypothesis_update(
            HypothesisUpdate::Create {
                statement: "the checkout database is slow".to_owned(),
                confidence: 0.5,
                cite_observation: true,
                cite_observations: Vec::new(),
            },
        ),
        Analysis::new("requests still succeed", false).with_hypothesis_update(
            HypothesisUpdate::Revise {
                statement: None,
                confidence: Some(0.8),
                cite_observation: true,
                cite_observations: Vec::new(),
                proposed_mitigation: Some("Roll back checkout".to_owned()),
                status: Some(HypothesisStatus::Supported),
            },
        ),
    ];
    (decisions, analyses)
}

#[test]
fn the_event_order_of_a_full_run() {
    let (decisions, analyses) = hypothesis_script();
    let mut agent = ScriptedAgent::new(decisions, analyses);
    let (_run, log) = run_with(&mut agent, 10);
    insta::assert_json_snapshot!("event_order", kinds(&log));
}

#[test]
fn the_audit_log_of_a_short_run() {
    let mut agent = ScriptedAgent::new(
        vec![
            call("logs", json!({"min_level": "error"})),
            mitigate("Roll back checkout", 0.9),
        ],
        vec![Analysis::new("one db timeout in checkout", true)],
    );
    let (_run, log) = run_with(&mut agent, 4);
    let events: Vec<serde_json::Value> = log
        .to_jsonl()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    insta::assert_json_snapshot!("short_run_audit_log", events);
}

#[test]
fn two_runs_with_the_same_inputs_write_the_same_bytes() {
    let logs: Vec<String> = (0..2)
        .map(|_| {
            let (decisions, analyses) = hypothesis_script();
            let mut agent = ScriptedAgent::new(decisions, analyses);
            let (_run, log) = run_with(&mut agent, 10);
            log.to_jsonl()
        })
        .collect();
    assert_eq!(logs[0], logs[1]);
    let runs: Vec<Run> = (0..2)
        .map(|_| {
            let (decisions, analyses) = hypothesis_script();
            run_with(&mut ScriptedAgent::new(decisions, analyses), 10).0
        })
        .collect();
    assert_eq!(runs[0], runs[1]);
}

#[test]
fn replaying_the_log_gives_the_runs_investigation_state() {
    let (decisions, analyses) = hypothesis_script();
    let mut agent = ScriptedAgent::new(decisions, analyses);
    let (run, log) = run_with(&mut agent, 10);
    let replayed = oncall_audit::replay(log.events()).unwrap();
    assert_eq!(replayed.final_state(), run.investigation_state());
}
