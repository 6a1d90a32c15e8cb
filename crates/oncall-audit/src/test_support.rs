//! Deterministic sample runs for the tests: ids from a
//! [`SequentialIdGenerator`], times from a [`ManualClock`] that starts at
//! the incident and moves 30 seconds per step.

use chrono::{Duration, TimeZone, Utc};
use oncall_domain::{
    ActionClaim, CallId, Clock, Confidence, Decision, EventId, FaultCategory, Hypothesis,
    HypothesisId, HypothesisStatus, Incident, ManualClock, Observation, ObservationId,
    RemediationKind, Resolution, RootCauseClaim, RunId, RunLimits, SequentialIdGenerator,
    TerminationReason, Timestamp, ToolCallRef, ToolError, ToolResult, Truncation,
};
use serde_json::json;

use crate::event::{Event, EventKind};

pub(crate) fn noon() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap()
}

/// Builds a run's events one by one.
pub(crate) struct Recorder {
    pub(crate) ids: SequentialIdGenerator,
    clock: ManualClock,
    run_id: RunId,
    step: Option<u32>,
    events: Vec<Event>,
}

impl Recorder {
    /// Starts a run of `agent` on a checkout incident: incident id 1, run id 2.
    pub(crate) fn start(agent: &str, max_steps: u32) -> Recorder {
        let ids = SequentialIdGenerator::new();
        let incident = Incident::builder("checkout", "p99 latency above 2s")
            .tag("region", "eu-west-1")
            .build(&ManualClock::new(noon()), &ids)
            .unwrap();
        let run_id = RunId::generate(&ids);
        let mut recorder = Recorder {
            ids,
            clock: ManualClock::new(noon()),
            run_id,
            step: None,
            events: Vec::new(),
        };
        recorder.push(EventKind::RunStarted {
            incident,
            agent: agent.to_owned(),
            seed: 42,
            limits: RunLimits::new(max_steps).unwrap(),
        });
        recorder
    }

    pub(crate) fn push(&mut self, kind: EventKind) {
        let id = EventId::generate(&self.ids);
        let sequence = self.events.len() as u64;
        let event = Event::new(id, sequence, self.run_id, self.step, self.clock.now(), kind);
        self.events.push(event);
    }

    pub(crate) fn start_step(&mut self, number: u32) {
        self.clock.advance(Duration::seconds(30));
        self.step = Some(number);
        self.push(EventKind::StepStarted);
    }

    pub(crate) fn end_step(&mut self, kind: EventKind) {
        self.push(kind);
        self.step = None;
    }

    /// A call_tool decision, its tool_called and its result; returns the call id.
    pub(crate) fn call_tool(
        &mut self,
        tool: &str,
        params: serde_json::Value,
        result: impl FnOnce(CallId) -> ToolResult,
    ) -> CallId {
        self.push(EventKind::DecisionMade {
            decision: Decision::CallTool {
                tool_name: tool.to_owned(),
                params: params.as_object().cloned().unwrap(),
                reasoning: format!("look at {tool}"),
            },
        });
        let call_id = CallId::generate(&self.ids);
        self.push(EventKind::ToolCalled {
            tool_name: tool.to_owned(),
            call_id,
            params,
        });
        let result = result(call_id);
        self.push(EventKind::ToolResultReceived { result });
        call_id
    }

    pub(crate) fn observe(&mut self, tool: &str, call_id: CallId, summary: &str) -> Observation {
        let observation = Observation::new(
            ObservationId::generate(&self.ids),
            ToolCallRef::new(tool, call_id).unwrap(),
            summary,
            Some(json!({"from": tool})),
            true,
            self.clock.now(),
        )
        .unwrap();
        self.push(EventKind::ObservationRecorded {
            observation: observation.clone(),
        });
        observation
    }

    pub(crate) fn finish(self) -> Vec<Event> {
        self.events
    }
}

fn confidence(value: f64) -> Confidence {
    Confidence::new(value).unwrap()
}

/// A complete run in four steps: two tool calls that build a hypothesis, a
/// tool call that fails on a bad parameter, and a proposed mitigation; then
/// its evaluation.
pub(crate) fn sample_run() -> Vec<Event> {
    let mut run = Recorder::start("scripted-baseline", 5);

    run.start_step(1);
    let logs = run.call_tool(
        "logs",
        json!({"service": "checkout", "level": "error", "limit": 2}),
        |call_id| {
            ToolResult::success(
                "logs",
                call_id,
                json!({"entries": [
                    {"at": "2026-11-25T11:40:00Z", "message": "timeout talking to payments-db"},
                    {"at": "2026-11-25T11:40:02Z", "message": "timeout talking to payments-db"}
                ]}),
                0,
                Some(Truncation {
                    items: "entries".to_owned(),
                    matched: 57,
                    returned: 2,
                    limit: 2,
                }),
            )
            .unwrap()
        },
    );
    let first = run.observe(
        "logs",
        logs,
        "checkout times out on payments-db since 11:40",
    );
    let hypothesis = Hypothesis::new(
        HypothesisId::generate(&run.ids),
        "payments-db is saturated",
        confidence(0.4),
    )
    .unwrap()
    .with_supporting_observation(first.id())
    .unwrap();
    run.push(EventKind::HypothesisCreated {
        hypothesis: hypothesis.clone(),
    });
    run.end_step(EventKind::StepCompleted);

    run.start_step(2);
    let metrics = run.call_tool(
        "metrics",
        json!({"service": "payments-db", "metric": "connections"}),
        |call_id| {
            ToolResult::success(
                "metrics",
                call_id,
                json!({"points": [["2026-11-25T11:30:00Z", 40.0], ["2026-11-25T11:45:00Z", 100.0]]}),
                0,
                None,
            )
            .unwrap()
        },
    );
    let second = run.observe(
        "metrics",
        metrics,
        "payments-db connections hit the pool limit of 100",
    );
    let supported = hypothesis
        .with_supporting_observation(second.id())
        .unwrap()
        .with_confidence(confidence(0.75))
        .transition_to(HypothesisStatus::Supported)
        .unwrap();
    run.push(EventKind::HypothesisUpdated {
        hypothesis: supported.clone(),
        previous_status: HypothesisStatus::Investigating,
        previous_confidence: confidence(0.4),
    });
    run.end_step(EventKind::StepCompleted);

    run.start_step(3);
    run.call_tool("deploys", json!({"since": "yesterday"}), |call_id| {
        ToolResult::failure(
            "deploys",
            call_id,
            vec![ToolError::parameter(
                "since",
                "must be an RFC 3339 time, got `yesterday`",
            )],
            0,
        )
        .unwrap()
    });
    run.end_step(EventKind::StepCompleted);

    run.start_step(4);
    run.push(EventKind::DecisionMade {
        decision: Decision::mitigation(
            "raise the payments-db connection pool",
            0.85,
            "connections saturate exactly when timeouts begin",
        )
        .with_root_cause(RootCauseClaim::of(
            "payments-db",
            FaultCategory::ResourceExhaustion,
        ))
        .with_actions(vec![ActionClaim::of(
            RemediationKind::RaiseLimit,
            "payments-db",
        )]),
    });
    let actionable = supported
        .with_proposed_mitigation("raise the payments-db connection pool")
        .unwrap()
        .with_confidence(confidence(0.85))
        .transition_to(HypothesisStatus::Actionable)
        .unwrap();
    run.push(EventKind::HypothesisUpdated {
        hypothesis: actionable,
        previous_status: HypothesisStatus::Supported,
        previous_confidence: confidence(0.75),
    });
    run.end_step(EventKind::StepCompleted);

    run.push(EventKind::RunCompleted {
        reason: TerminationReason::MitigationProposed,
        resolution: Some(Resolution::Mitigation {
            mitigation: "raise the payments-db connection pool".to_owned(),
            confidence: confidence(0.85),
            root_cause: Some(RootCauseClaim::of(
                "payments-db",
                FaultCategory::ResourceExhaustion,
            )),
            actions: vec![ActionClaim::of(RemediationKind::RaiseLimit, "payments-db")],
        }),
    });
    run.push(EventKind::EvaluationRecorded {
        evaluation: json!({"score": 0.9, "root_cause_found": true}),
    });
    run.finish()
}

/// A run whose agent fails in its second step.
pub(crate) fn failed_run() -> Vec<Event> {
    let mut run = Recorder::start("flaky-llm", 3);
    run.start_step(1);
    run.call_tool("logs", json!({"service": "checkout"}), |call_id| {
        ToolResult::success("logs", call_id, json!({"entries": []}), 0, None).unwrap()
    });
    run.end_step(EventKind::StepCompleted);
    run.start_step(2);
    run.end_step(EventKind::StepFailed {
        reason: "agent returned invalid JSON: expected value at line 1 column 1".to_owned(),
    });
    run.push(EventKind::RunFailed {
        reason: TerminationReason::AgentError {
            message: "invalid JSON".to_owned(),
        },
        resolution: None,
    });
    run.finish()
}
