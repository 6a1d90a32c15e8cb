//! [`Event`]: one immutable entry of an audit log, and its [`EventKind`].
//!
//! The JSON form is in [`crate::event_serde`].

use std::fmt;
use std::str::FromStr;

use oncall_domain::{
    CallId, Confidence, Decision, EventId, Hypothesis, HypothesisStatus, Incident, ModelCall,
    Observation, Resolution, RunId, RunLimits, TerminationReason, Timestamp, ToolResult,
};
use serde::{Deserialize, Serialize};

use crate::error::AuditError;

/// The version of the JSON form written in every event's `v` field.
///
/// - **1**: the first form.
/// - **2**: ending decisions and resolutions may carry a structured answer
///   (`root_cause`, `actions`, an escalation's `team`), and a mitigation's
///   text or an escalation's target may be empty when the structure is
///   given.
/// - **3**: `model_called` events, one per call to a language model. Only
///   those lines are written as version 3: every other event is still
///   written as version 2, so a run without a model writes exactly the
///   bytes it did before, and an older reader refuses a model call by its
///   version rather than misreading it. (A `budget_exhausted` termination,
///   new too, ends only runs of a model agent, whose logs hold a version 3
///   line before it.)
///
/// A reader accepts every version from [`OLDEST_FORMAT_VERSION`] up to this
/// one, so old logs still verify, replay and re-score (the hash chain
/// covers each line's exact bytes, never a re-serialised form); it refuses
/// any other.
pub const FORMAT_VERSION: u32 = 3;

/// The oldest version of the JSON form a reader still accepts.
pub const OLDEST_FORMAT_VERSION: u32 = 1;

/// One entry of an audit log: what happened, when, in which run and step.
///
/// Immutable, with no validation of its own: the log checks the sequence
/// number on append, and [`replay`](crate::replay()) checks that a run's events
/// fit together. Self-contained: the payload carries whole values, never
/// references into memory elsewhere.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    id: EventId,
    sequence: u64,
    run_id: RunId,
    step: Option<u32>,
    timestamp: Timestamp,
    kind: EventKind,
}

impl Event {
    /// An event. `sequence` is its position in its log, from 0; `step` is
    /// the step it belongs to, or `None` for run-level events.
    pub fn new(
        id: EventId,
        sequence: u64,
        run_id: RunId,
        step: Option<u32>,
        timestamp: Timestamp,
        kind: EventKind,
    ) -> Event {
        Event {
            id,
            sequence,
            run_id,
            step,
            timestamp,
            kind,
        }
    }

    /// The event's id.
    pub fn id(&self) -> EventId {
        self.id
    }

    /// Its position in its log, from 0.
    pub fn sequence(&self) -> u64 {
        self.sequence
    }

    /// The run it belongs to.
    pub fn run_id(&self) -> RunId {
        self.run_id
    }

    /// The step it belongs to, if any.
    pub fn step(&self) -> Option<u32> {
        self.step
    }

    /// When it happened, by the injected clock.
    pub fn timestamp(&self) -> Timestamp {
        self.timestamp
    }

    /// What happened.
    pub fn kind(&self) -> &EventKind {
        &self.kind
    }
}

/// What happened, with everything needed to replay it.
#[derive(Debug, Clone, PartialEq)]
pub enum EventKind {
    /// A run began.
    RunStarted {
        /// The incident under investigation.
        incident: Incident,
        /// The agent's name.
        agent: String,
        /// The run's seed.
        seed: u64,
        /// The run's limits.
        limits: RunLimits,
    },
    /// A run ended with a proposed mitigation.
    RunCompleted {
        /// Why it ended.
        reason: TerminationReason,
        /// The mitigation and confidence, when there is one.
        resolution: Option<Resolution>,
    },
    /// A run ended without a resolution.
    RunFailed {
        /// Why it ended.
        reason: TerminationReason,
        /// Usually `None`.
        resolution: Option<Resolution>,
    },
    /// A run ended by escalating.
    RunEscalated {
        /// Why it ended.
        reason: TerminationReason,
        /// The escalation's reason and target.
        resolution: Option<Resolution>,
    },
    /// A step began.
    StepStarted,
    /// A step ended normally.
    StepCompleted,
    /// A step ended in failure.
    StepFailed {
        /// Why, as text.
        reason: String,
    },
    /// The agent decided, with its reasoning.
    DecisionMade {
        /// The whole decision, as the agent gave it.
        decision: Decision,
    },
    /// A tool was called.
    ToolCalled {
        /// The tool's name.
        tool_name: String,
        /// The call's id.
        call_id: CallId,
        /// The parameters, as given.
        params: serde_json::Value,
    },
    /// A tool's result came back, errors and truncation included.
    ToolResultReceived {
        /// The whole result.
        result: ToolResult,
    },
    /// The agent recorded an observation.
    ObservationRecorded {
        /// The observation.
        observation: Observation,
    },
    /// The agent formed a hypothesis.
    HypothesisCreated {
        /// The new hypothesis.
        hypothesis: Hypothesis,
    },
    /// The agent revised its hypothesis.
    HypothesisUpdated {
        /// The hypothesis as it now stands.
        hypothesis: Hypothesis,
        /// Its status before the revision.
        previous_status: HypothesisStatus,
        /// Its confidence before the revision.
        previous_confidence: Confidence,
    },
    /// A scenario judged the run.
    EvaluationRecorded {
        /// The score, in the scenario's JSON form.
        evaluation: serde_json::Value,
    },
    /// The agent called a language model: which model, the tokens in and
    /// out, and why it stopped. It belongs to the step that was open when
    /// the call was made (the one whose result the model read), or to the
    /// step the call decided when none was open.
    ModelCalled {
        /// The call.
        call: ModelCall,
    },
}

impl EventKind {
    /// The snake_case tag, as in the JSON `type` field, e.g. `run_started`.
    pub fn name(&self) -> &'static str {
        self.kind_name().as_str()
    }

    /// The kind's name as a value, for filters.
    pub fn kind_name(&self) -> EventKindName {
        match self {
            EventKind::RunStarted { .. } => EventKindName::RunStarted,
            EventKind::RunCompleted { .. } => EventKindName::RunCompleted,
            EventKind::RunFailed { .. } => EventKindName::RunFailed,
            EventKind::RunEscalated { .. } => EventKindName::RunEscalated,
            EventKind::StepStarted => EventKindName::StepStarted,
            EventKind::StepCompleted => EventKindName::StepCompleted,
            EventKind::StepFailed { .. } => EventKindName::StepFailed,
            EventKind::DecisionMade { .. } => EventKindName::DecisionMade,
            EventKind::ToolCalled { .. } => EventKindName::ToolCalled,
            EventKind::ToolResultReceived { .. } => EventKindName::ToolResultReceived,
            EventKind::ObservationRecorded { .. } => EventKindName::ObservationRecorded,
            EventKind::HypothesisCreated { .. } => EventKindName::HypothesisCreated,
            EventKind::HypothesisUpdated { .. } => EventKindName::HypothesisUpdated,
            EventKind::EvaluationRecorded { .. } => EventKindName::EvaluationRecorded,
            EventKind::ModelCalled { .. } => EventKindName::ModelCalled,
        }
    }

    /// The format version a line of this kind is written with: the oldest
    /// that has it (see [`FORMAT_VERSION`]).
    pub fn format_version(&self) -> u32 {
        self.kind_name().first_format_version().max(2)
    }
}

/// The name of an [`EventKind`], without its payload: what the JSON `type`
/// field holds, and what an [`EventFilter`](crate::EventFilter) selects on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKindName {
    /// `run_started`.
    RunStarted,
    /// `run_completed`.
    RunCompleted,
    /// `run_failed`.
    RunFailed,
    /// `run_escalated`.
    RunEscalated,
    /// `step_started`.
    StepStarted,
    /// `step_completed`.
    StepCompleted,
    /// `step_failed`.
    StepFailed,
    /// `decision_made`.
    DecisionMade,
    /// `tool_called`.
    ToolCalled,
    /// `tool_result_received`.
    ToolResultReceived,
    /// `observation_recorded`.
    ObservationRecorded,
    /// `hypothesis_created`.
    HypothesisCreated,
    /// `hypothesis_updated`.
    HypothesisUpdated,
    /// `evaluation_recorded`.
    EvaluationRecorded,
    /// `model_called`.
    ModelCalled,
}

/// The known names, for error messages.
pub(crate) const KIND_NAMES: &str = "run_started, run_completed, run_failed, run_escalated, step_started, step_completed, step_failed, decision_made, tool_called, tool_result_received, observation_recorded, hypothesis_created, hypothesis_updated, evaluation_recorded, model_called";

impl EventKindName {
    /// Every kind, in the order the docs list them.
    pub const ALL: [EventKindName; 15] = [
        EventKindName::RunStarted,
        EventKindName::RunCompleted,
        EventKindName::RunFailed,
        EventKindName::RunEscalated,
        EventKindName::StepStarted,
        EventKindName::StepCompleted,
        EventKindName::StepFailed,
        EventKindName::DecisionMade,
        EventKindName::ToolCalled,
        EventKindName::ToolResultReceived,
        EventKindName::ObservationRecorded,
        EventKindName::HypothesisCreated,
        EventKindName::HypothesisUpdated,
        EventKindName::EvaluationRecorded,
        EventKindName::ModelCalled,
    ];

    /// The snake_case name, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKindName::RunStarted => "run_started",
            EventKindName::RunCompleted => "run_completed",
            EventKindName::RunFailed => "run_failed",
            EventKindName::RunEscalated => "run_escalated",
            EventKindName::StepStarted => "step_started",
            EventKindName::StepCompleted => "step_completed",
            EventKindName::StepFailed => "step_failed",
            EventKindName::DecisionMade => "decision_made",
            EventKindName::ToolCalled => "tool_called",
            EventKindName::ToolResultReceived => "tool_result_received",
            EventKindName::ObservationRecorded => "observation_recorded",
            EventKindName::HypothesisCreated => "hypothesis_created",
            EventKindName::HypothesisUpdated => "hypothesis_updated",
            EventKindName::EvaluationRecorded => "evaluation_recorded",
            EventKindName::ModelCalled => "model_called",
        }
    }

    /// The first format version that has this kind: a line of it with an
    /// older `v` is refused.
    pub fn first_format_version(self) -> u32 {
        match self {
            EventKindName::ModelCalled => 3,
            _ => OLDEST_FORMAT_VERSION,
        }
    }
}

impl fmt::Display for EventKindName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EventKindName {
    type Err = AuditError;

    /// Parses an exact snake_case name.
    fn from_str(text: &str) -> Result<EventKindName, AuditError> {
        EventKindName::ALL
            .into_iter()
            .find(|name| name.as_str() == text)
            .ok_or_else(|| AuditError::UnknownKindName {
                name: text.to_owned(),
                expected: KIND_NAMES,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_names_parse_and_display() {
        for name in EventKindName::ALL {
            assert_eq!(name.as_str().parse::<EventKindName>().unwrap(), name);
            assert_eq!(name.to_string(), name.as_str());
            assert!(KIND_NAMES.contains(name.as_str()));
            let json = serde_json::to_string(&name).unwrap();
            assert_eq!(json, format!("\"{}\"", name.as_str()));
        }
        let error = "run_paused".parse::<EventKindName>().unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("unknown event type `run_paused`, expected one of: run_started"),
            "{error}"
        );
    }

    #[test]
    fn kinds_name_themselves() {
        assert_eq!(EventKind::StepStarted.name(), "step_started");
        let failed = EventKind::StepFailed {
            reason: "x".to_owned(),
        };
        assert_eq!(failed.kind_name(), EventKindName::StepFailed);
        assert_eq!(failed.name(), "step_failed");
    }
}
