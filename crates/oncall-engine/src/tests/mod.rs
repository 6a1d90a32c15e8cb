//! The engine's tests, with small scripted agents against the in-memory
//! data source.

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
    Decision::ProposeMitigation {
        mitigation: text.to_owned(),
        confidence,
        reasoning: "the evidence points there".to_owned(),
    }
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
            },
        ),
        Analysis::new("requests still succeed", false).with_hypothesis_update(
            HypothesisUpdate::Revise {
                statement: None,
                confidence: Some(0.8),
                cite_observation: true,
                proposed_mitigation: Some("Roll back checkout".to_owned()),
                status: Some(HypothesisStatus::Supported),
            },
        ),
    ];
    (decisions, analyses)
}

#[test]
fn happy_path_ends_in_a_mitigation() {
    let (decisions, analyses) = hypothesis_script();
    let mut agent = ScriptedAgent::new(decisions, analyses);
    let (run, log) = run_with(&mut agent, 10);
    assert_eq!(run.status(), RunStatus::Completed);
    assert_eq!(
        run.termination(),
        Some(&TerminationReason::MitigationProposed)
    );
    assert_eq!(run.steps().len(), 3);
    assert!(
        run.steps()
            .iter()
            .all(|step| *step.status() == StepStatus::Completed)
    );
    assert_eq!(run.observations().len(), 2);
    let Some(oncall_domain::Resolution::Mitigation {
        mitigation,
        confidence,
    }) = run.resolution()
    else {
        panic!("expected a mitigation, got {:?}", run.resolution());
    };
    assert_eq!(mitigation, "Roll back checkout");
    assert_eq!(confidence.value(), 0.85);
    assert_eq!(agent.seen_steps_remaining, vec![9, 8, 7]);
    // Time: 30 simulated seconds per step.
    assert_eq!(run.steps()[1].started_at(), noon() + Duration::seconds(30));
    assert_eq!(run.steps()[1].ended_at(), noon() + Duration::seconds(60));
    assert_eq!(run.ended_at(), Some(noon() + Duration::seconds(90)));
    assert_eq!(log.events().last().unwrap().kind().name(), "run_completed");
}

#[test]
fn tools_see_the_incident_time_as_now() {
    let mut agent = ScriptedAgent::new(
        vec![
            call("logs", json!({"last_minutes": 60})),
            mitigate("restart", 0.5),
        ],
        Vec::new(),
    );
    let (_run, _log) = run_with(&mut agent, 5);
    let data = agent.seen_results[0].data().unwrap().to_string();
    assert!(data.contains("db timeout"), "{data}");
    assert!(!data.contains("from the future"), "{data}");
}

#[test]
fn escalation_ends_the_run_as_escalated() {
    let mut agent = ScriptedAgent::new(
        vec![Decision::Escalate {
            reason: "the payments provider is down".to_owned(),
            target: "the payments provider".to_owned(),
        }],
        Vec::new(),
    );
    let (run, log) = run_with(&mut agent, 5);
    assert_eq!(run.status(), RunStatus::Escalated);
    assert_eq!(run.termination(), Some(&TerminationReason::Escalated));
    assert!(matches!(
        run.resolution(),
        Some(oncall_domain::Resolution::Escalation { target, .. }) if target == "the payments provider"
    ));
    assert_eq!(
        kinds(&log),
        vec![
            "0: run_started",
            "1 step 1: step_started",
            "2 step 1: decision_made",
            "3 step 1: step_completed",
            "4: run_escalated",
        ]
    );
}

#[test]
fn the_step_limit_ends_the_run_as_failed() {
    let mut agent = ScriptedAgent::new(Vec::new(), Vec::new());
    let (run, log) = run_with(&mut agent, 3);
    assert_eq!(run.status(), RunStatus::Failed);
    assert_eq!(
        run.termination(),
        Some(&TerminationReason::StepLimit { max_steps: 3 })
    );
    assert_eq!(run.steps().len(), 3);
    assert_eq!(run.resolution(), None);
    let last = log.events().last().unwrap();
    assert!(matches!(
        last.kind(),
        EventKind::RunFailed {
            reason: TerminationReason::StepLimit { max_steps: 3 },
            ..
        }
    ));
}

#[test]
fn an_unknown_tool_fails_the_step_and_the_run_goes_on() {
    let mut agent = ScriptedAgent::new(
        vec![
            call("telepathy", json!({})),
            mitigate("restart checkout", 0.4),
        ],
        Vec::new(),
    );
    let (run, _log) = run_with(&mut agent, 5);
    assert_eq!(run.status(), RunStatus::Completed);
    let StepStatus::Failed { reason } = run.steps()[0].status() else {
        panic!("step 1 should fail");
    };
    assert!(reason.starts_with("tool `telepathy` failed:"), "{reason}");
    assert!(
        reason.contains("logs"),
        "the error lists the tools: {reason}"
    );
    assert!(
        !agent.seen_results[0].is_success(),
        "the agent saw the failure"
    );
}

#[test]
fn invalid_parameters_fail_the_step_and_the_agent_sees_every_problem() {
    let mut agent = ScriptedAgent::new(
        vec![
            call(
                "logs",
                json!({"min_level": "loud", "limit": 0, "colour": "red"}),
            ),
            mitigate("restart checkout", 0.4),
        ],
        Vec::new(),
    );
    let (run, _log) = run_with(&mut agent, 5);
    assert!(matches!(run.steps()[0].status(), StepStatus::Failed { .. }));
    let errors = agent.seen_results[0].errors();
    let parameters: Vec<_> = errors
        .iter()
        .filter_map(|e| e.parameter.as_deref())
        .collect();
    assert!(parameters.contains(&"min_level"), "{errors:?}");
    assert!(parameters.contains(&"limit"), "{errors:?}");
    assert!(parameters.contains(&"colour"), "{errors:?}");
    assert_eq!(run.status(), RunStatus::Completed);
}

#[test]
fn an_agent_error_while_deciding_ends_the_run_as_failed() {
    let mut agent = ScriptedAgent::default();
    agent.decisions.push_back(Ok(call("logs", json!({}))));
    agent
        .decisions
        .push_back(Err(AgentError::new("model timed out")));
    let (run, log) = run_with(&mut agent, 5);
    assert_eq!(run.status(), RunStatus::Failed);
    assert_eq!(
        run.termination(),
        Some(&TerminationReason::AgentError {
            message: "model timed out".to_owned()
        })
    );
    assert_eq!(run.steps().len(), 2);
    assert_eq!(
        run.steps()[1].status(),
        &StepStatus::Failed {
            reason: "agent error: model timed out".to_owned()
        }
    );
    assert!(run.steps()[1].decision().is_none());
    let names = event_names(&log);
    assert_eq!(
        &names[names.len() - 3..],
        &["step_started", "step_failed", "run_failed"]
    );
}

#[test]
fn an_agent_error_while_analysing_keeps_the_tool_result() {
    let mut agent = ScriptedAgent::default();
    agent.decisions.push_back(Ok(call("logs", json!({}))));
    agent
        .analyses
        .push_back(Err(AgentError::new("parse failure")));
    let (run, log) = run_with(&mut agent, 5);
    assert_eq!(run.status(), RunStatus::Failed);
    assert!(run.steps()[0].tool_result().is_some());
    let names = event_names(&log);
    assert_eq!(
        names,
        vec![
            "run_started",
            "step_started",
            "decision_made",
            "tool_called",
            "tool_result_received",
            "step_failed",
            "run_failed"
        ]
    );
}

#[test]
fn nan_and_out_of_range_confidences_fail_the_step_not_the_engine() {
    let mut agent = ScriptedAgent::new(
        vec![
            mitigate("roll back", f64::NAN),
            mitigate("roll back", 1.5),
            call("logs", json!({})),
            mitigate("roll back", 0.7),
        ],
        vec![
            Analysis::new("x", true).with_hypothesis_update(HypothesisUpdate::Create {
                statement: "bad deploy".to_owned(),
                confidence: f64::INFINITY,
                cite_observation: false,
            }),
        ],
    );
    let (run, log) = run_with(&mut agent, 10);
    let reasons = failure_reasons(&run);
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert!(reasons[0].contains("finite number"), "{reasons:?}");
    assert!(reasons[1].contains("between 0.0 and 1.0"), "{reasons:?}");
    assert!(
        reasons[2].starts_with("hypothesis update refused"),
        "{reasons:?}"
    );
    assert!(run.hypothesis().is_none());
    assert_eq!(run.observations().len(), 1, "the valid observation is kept");
    assert_eq!(run.status(), RunStatus::Completed);
    // The NaN the agent sent is in the log as it was sent.
    let jsonl = log.to_jsonl();
    assert!(jsonl.contains("\"confidence\":\"NaN\""), "{jsonl}");
}

#[test]
fn the_hypothesis_lifecycle_runs_through_the_engine() {
    let (decisions, analyses) = hypothesis_script();
    let mut agent = ScriptedAgent::new(decisions, analyses);
    let (run, log) = run_with(&mut agent, 10);
    let history = run.hypothesis_history();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].status(), HypothesisStatus::Investigating);
    assert_eq!(
        history[0].supporting_observations(),
        &[run.observations()[0].id()]
    );
    let current = run.hypothesis().unwrap();
    assert_eq!(current, &history[1]);
    assert_eq!(current.status(), HypothesisStatus::Supported);
    assert_eq!(current.confidence().value(), 0.8);
    assert_eq!(current.proposed_mitigation(), Some("Roll back checkout"));
    assert_eq!(current.supporting_observations().len(), 2);
    assert_eq!(run.steps()[0].hypothesis_after(), Some(&history[0]));
    let updated = log
        .events()
        .iter()
        .find_map(|event| match event.kind() {
            EventKind::HypothesisUpdated {
                previous_status,
                previous_confidence,
                ..
            } => Some((*previous_status, previous_confidence.value())),
            _ => None,
        })
        .unwrap();
    assert_eq!(updated, (HypothesisStatus::Investigating, 0.5));
}

#[test]
fn an_illegal_status_change_fails_the_step_and_keeps_the_hypothesis() {
    let mut agent = ScriptedAgent::new(
        vec![
            call("logs", json!({})),
            call("logs", json!({})),
            mitigate("x", 0.5),
        ],
        vec![
            Analysis::new("a", true).with_hypothesis_update(HypothesisUpdate::Create {
                statement: "s".to_owned(),
                confidence: 0.5,
                cite_observation: false,
            }),
            Analysis::new("b", true).with_hypothesis_update(HypothesisUpdate::Revise {
                statement: None,
                confidence: None,
                cite_observation: false,
                proposed_mitigation: None,
                status: Some(HypothesisStatus::Actionable),
            }),
        ],
    );
    let (run, _log) = run_with(&mut agent, 10);
    let StepStatus::Failed { reason } = run.steps()[1].status() else {
        panic!("step 2 should fail");
    };
    assert!(
        reason.contains("cannot change from investigating to actionable"),
        "{reason}"
    );
    assert_eq!(
        run.hypothesis().unwrap().status(),
        HypothesisStatus::Investigating
    );
    assert_eq!(run.hypothesis_history().len(), 1);
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
fn an_episode_driven_from_outside_writes_the_same_events_as_the_push_loop() {
    let (decisions, analyses) = hypothesis_script();
    let (pushed_run, pushed_log) = run_with(
        &mut ScriptedAgent::new(decisions.clone(), analyses.clone()),
        10,
    );

    let mut log = Log::new();
    let driven_run = {
        let mut engine = Engine::new(
            Arc::new(ToolRegistry::with_default_tools()),
            source(),
            config(10),
            &mut log,
        );
        let mut episode = engine.start(incident(), "scripted").unwrap();
        let mut analyses = analyses.into_iter();
        for decision in decisions {
            assert!(!episode.is_over());
            let outcome = episode.act(decision).unwrap();
            if outcome.tool_result.is_some() {
                episode.analyze(analyses.next().unwrap()).unwrap();
            }
        }
        assert!(episode.is_over());
        episode.finish().unwrap()
    };
    assert_eq!(driven_run, pushed_run);
    assert_eq!(log.to_jsonl(), pushed_log.to_jsonl());
}

#[test]
fn an_episode_refuses_actions_after_it_ends_and_out_of_order_analyses() {
    let mut log = Log::new();
    let mut engine = Engine::new(
        Arc::new(ToolRegistry::with_default_tools()),
        source(),
        config(10),
        &mut log,
    );
    let mut episode = engine.start(incident(), "driver").unwrap();
    assert!(matches!(
        episode.analyze(Analysis::new("too early", false)),
        Err(EngineError::NoPendingToolResult)
    ));
    let outcome = episode.act(mitigate("roll back", 0.6)).unwrap();
    assert_eq!(
        outcome.termination,
        Some(TerminationReason::MitigationProposed)
    );
    let refused = episode.act(call("logs", json!({}))).unwrap_err();
    assert_eq!(
        refused.to_string(),
        "the episode has already ended (mitigation_proposed): it takes no more actions"
    );
}

#[test]
fn an_episode_finished_early_is_abandoned_and_closed_in_the_log() {
    let mut log = Log::new();
    let run = {
        let mut engine = Engine::new(
            Arc::new(ToolRegistry::with_default_tools()),
            source(),
            config(10),
            &mut log,
        );
        let mut episode = engine.start(incident(), "driver").unwrap();
        let outcome = episode.act(call("logs", json!({}))).unwrap();
        assert!(outcome.tool_result.unwrap().is_success());
        episode.finish().unwrap()
    };
    assert_eq!(run.status(), RunStatus::Failed);
    assert!(matches!(
        run.termination(),
        Some(TerminationReason::Abandoned { .. })
    ));
    assert_eq!(run.steps().len(), 1, "the open step is closed");
    let names = event_names(&log);
    assert_eq!(&names[names.len() - 2..], &["step_completed", "run_failed"]);
}

#[test]
fn a_refusing_sink_stops_the_engine_with_the_run_so_far() {
    /// A sink that accepts `capacity` events, then refuses.
    #[derive(Debug)]
    struct FullSink {
        log: Log,
        capacity: usize,
    }
    impl oncall_audit::EventSink for FullSink {
        fn append(&mut self, event: oncall_audit::Event) -> Result<(), oncall_audit::AuditError> {
            if self.log.len() >= self.capacity {
                // Any refusal will do: re-appending a used sequence number.
                let mut copy = Log::new();
                copy.append(event.clone())?;
                return copy.append(event);
            }
            self.log.append(event)
        }
        fn next_sequence(&self) -> u64 {
            self.log.len() as u64
        }
    }
    let mut sink = FullSink {
        log: Log::new(),
        capacity: 4,
    };
    let error = {
        let mut engine = Engine::new(
            Arc::new(ToolRegistry::with_default_tools()),
            source(),
            config(10),
            &mut sink,
        );
        let (decisions, analyses) = hypothesis_script();
        engine
            .run(&mut ScriptedAgent::new(decisions, analyses), incident())
            .unwrap_err()
    };
    let EngineError::Audit { sequence, run, .. } = error else {
        panic!("expected an audit error, got {error}");
    };
    assert_eq!(sequence, 4);
    assert_eq!(sink.log.len(), 4, "everything before the refusal is kept");
    assert_eq!(run.status(), RunStatus::Running);
}

#[test]
fn replaying_the_log_gives_the_runs_investigation_state() {
    let (decisions, analyses) = hypothesis_script();
    let mut agent = ScriptedAgent::new(decisions, analyses);
    let (run, log) = run_with(&mut agent, 10);
    let replayed = oncall_audit::replay(log.events()).unwrap();
    assert_eq!(replayed.final_state(), run.investigation_state());
}

mod arbitrary_decisions;

#[test]
fn oversized_agent_text_fails_the_step_and_stays_out_of_the_log() {
    let huge = "x".repeat(crate::MAX_AGENT_TEXT_BYTES + 1);
    let mut agent = ScriptedAgent::new(
        vec![
            Decision::ProposeMitigation {
                mitigation: "roll back".to_owned(),
                confidence: 0.5,
                reasoning: huge.clone(),
            },
            call("logs", json!({})),
            mitigate("roll back", 0.5),
        ],
        vec![Analysis::new(huge.clone(), true)],
    );
    let (run, log) = run_with(&mut agent, 10);
    let reasons = failure_reasons(&run);
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(
        reasons[0].starts_with("`reasoning` is 16385 bytes, over the 16384-byte limit"),
        "{reasons:?}"
    );
    assert!(
        reasons[1].contains("`summary` is 16385 bytes"),
        "{reasons:?}"
    );
    assert!(run.steps()[0].decision().is_none());
    assert!(run.observations().is_empty());
    assert_eq!(run.status(), RunStatus::Completed);
    assert!(!log.to_jsonl().contains(&huge));
    assert!(oncall_audit::replay(log.events()).is_ok());
}
