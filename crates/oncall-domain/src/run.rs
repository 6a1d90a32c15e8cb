//! The vocabulary of a run's lifecycle, shared by the engine that drives a
//! run and the audit log that records it: its limits, its status, how it
//! ended and why.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::answer::{ActionClaim, RootCauseClaim};
use crate::confidence::Confidence;
use crate::error::ValidationError;

/// The limits a run is held to. There is no default: whoever starts a run
/// says how long it may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RunLimitsRecord")]
pub struct RunLimits {
    max_steps: u32,
}

impl RunLimits {
    /// At most `max_steps` steps, which must be at least 1.
    pub fn new(max_steps: u32) -> Result<RunLimits, ValidationError> {
        if max_steps == 0 {
            return Err(ValidationError::Inconsistent {
                field: "max_steps",
                reason: "a run needs at least one step",
            });
        }
        Ok(RunLimits { max_steps })
    }

    /// The most steps the run may take.
    pub fn max_steps(&self) -> u32 {
        self.max_steps
    }
}

/// Where a run stands: `Started → Running → Completed | Failed | Escalated`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Created; no step taken yet.
    Started,
    /// At least one step under way or done.
    Running,
    /// Ended with a proposed mitigation.
    Completed,
    /// Ended without a resolution: step limit, agent error, and so on.
    Failed,
    /// Ended by handing the incident to someone else.
    Escalated,
}

impl RunStatus {
    /// Whether the run has ended.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            RunStatus::Completed | RunStatus::Failed | RunStatus::Escalated
        )
    }

    /// The snake_case name, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Started => "started",
            RunStatus::Running => "running",
            RunStatus::Completed => "completed",
            RunStatus::Failed => "failed",
            RunStatus::Escalated => "escalated",
        }
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a run was resolved, when it was.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Resolution {
    /// The agent proposed a mitigation.
    Mitigation {
        /// What to do, in the agent's words (empty when only actions were
        /// given).
        mitigation: String,
        /// How sure the agent was, validated.
        confidence: Confidence,
        /// Where the fault is and what kind it is, as claimed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        root_cause: Option<RootCauseClaim>,
        /// What to do, in structured form, as claimed.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        actions: Vec<ActionClaim>,
    },
    /// The agent escalated.
    Escalation {
        /// Why.
        reason: String,
        /// To whom, in free text (empty when only a team was given).
        target: String,
        /// To whom, as a catalogue team or provider, as claimed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        team: Option<String>,
        /// Where the fault is and what kind it is, as claimed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        root_cause: Option<RootCauseClaim>,
    },
}

impl Resolution {
    /// The claimed root cause, whichever way the run ended.
    pub fn root_cause(&self) -> Option<&RootCauseClaim> {
        match self {
            Resolution::Mitigation { root_cause, .. }
            | Resolution::Escalation { root_cause, .. } => root_cause.as_ref(),
        }
    }
}

/// Why a run ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum TerminationReason {
    /// The agent proposed a mitigation.
    MitigationProposed,
    /// The agent escalated.
    Escalated,
    /// The run used all its steps without resolving the incident. In
    /// Gymnasium's terms it was truncated, not terminated.
    StepLimit {
        /// The limit that was reached.
        max_steps: u32,
    },
    /// The agent itself failed (an error, not a bad decision).
    AgentError {
        /// The agent's error, as text.
        message: String,
    },
    /// The agent ran out of its budget (tokens for the run, or the
    /// evaluation's cost) before the run ended. Like `step_limit`, a
    /// truncation rather than an answer.
    BudgetExhausted {
        /// Which budget, and how much was spent.
        message: String,
    },
    /// Whoever drove the run from outside stopped before it ended.
    Abandoned {
        /// Why, as the driver said.
        message: String,
    },
}

impl TerminationReason {
    /// The snake_case name, as in JSON.
    pub fn as_str(&self) -> &'static str {
        match self {
            TerminationReason::MitigationProposed => "mitigation_proposed",
            TerminationReason::Escalated => "escalated",
            TerminationReason::StepLimit { .. } => "step_limit",
            TerminationReason::AgentError { .. } => "agent_error",
            TerminationReason::BudgetExhausted { .. } => "budget_exhausted",
            TerminationReason::Abandoned { .. } => "abandoned",
        }
    }

    /// The status a run ends in for this reason.
    pub fn final_status(&self) -> RunStatus {
        match self {
            TerminationReason::MitigationProposed => RunStatus::Completed,
            TerminationReason::Escalated => RunStatus::Escalated,
            TerminationReason::StepLimit { .. }
            | TerminationReason::AgentError { .. }
            | TerminationReason::BudgetExhausted { .. }
            | TerminationReason::Abandoned { .. } => RunStatus::Failed,
        }
    }
}

impl fmt::Display for TerminationReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TerminationReason::StepLimit { max_steps } => {
                write!(f, "step_limit (all {max_steps} steps used)")
            }
            TerminationReason::AgentError { message } => write!(f, "agent_error: {message}"),
            TerminationReason::BudgetExhausted { message } => {
                write!(f, "budget_exhausted: {message}")
            }
            TerminationReason::Abandoned { message } => write!(f, "abandoned: {message}"),
            other => f.write_str(other.as_str()),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RunLimitsRecord {
    max_steps: u32,
}

impl TryFrom<RunLimitsRecord> for RunLimits {
    type Error = ValidationError;

    fn try_from(record: RunLimitsRecord) -> Result<RunLimits, ValidationError> {
        RunLimits::new(record.max_steps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_need_a_step() {
        assert_eq!(RunLimits::new(10).unwrap().max_steps(), 10);
        let error = RunLimits::new(0).unwrap_err();
        assert_eq!(
            error.to_string(),
            "`max_steps` is inconsistent: a run needs at least one step"
        );
        assert!(serde_json::from_str::<RunLimits>(r#"{"max_steps":0}"#).is_err());
    }

    #[test]
    fn reasons_map_to_final_statuses() {
        assert_eq!(
            TerminationReason::MitigationProposed.final_status(),
            RunStatus::Completed
        );
        assert_eq!(
            TerminationReason::Escalated.final_status(),
            RunStatus::Escalated
        );
        assert_eq!(
            TerminationReason::StepLimit { max_steps: 3 }.final_status(),
            RunStatus::Failed
        );
        assert!(RunStatus::Failed.is_terminal());
        assert!(!RunStatus::Running.is_terminal());
    }

    #[test]
    fn json_forms_are_tagged() {
        let reason = TerminationReason::AgentError {
            message: "timeout".to_owned(),
        };
        let json = serde_json::to_string(&reason).unwrap();
        assert_eq!(json, r#"{"kind":"agent_error","message":"timeout"}"#);
        assert_eq!(
            serde_json::from_str::<TerminationReason>(&json).unwrap(),
            reason
        );
        let resolution = Resolution::Mitigation {
            mitigation: "roll back".to_owned(),
            confidence: Confidence::new(0.9).unwrap(),
            root_cause: None,
            actions: Vec::new(),
        };
        let json = serde_json::to_string(&resolution).unwrap();
        assert_eq!(
            json,
            r#"{"kind":"mitigation","mitigation":"roll back","confidence":0.9}"#
        );
        assert_eq!(
            serde_json::from_str::<Resolution>(&json).unwrap(),
            resolution
        );
    }
}
