//! The plain-data results of [`replay`](crate::replay()): the state of an
//! investigation, its steps, tool calls and outcome.

use oncall_domain::{
    CallId, Decision, Hypothesis, Incident, ModelCall, Observation, Resolution, RunId, RunLimits,
    RunStatus, TerminationReason, Timestamp, ToolResult,
};
use serde::Serialize;

/// The investigation as it stood at one point: plain data, comparable with
/// `==` and serialisable, so that the engine's final state can be checked
/// against a replay of its log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InvestigationState {
    /// The run.
    pub run_id: RunId,
    /// The incident under investigation.
    pub incident: Incident,
    /// The agent's name.
    pub agent: String,
    /// The run's seed.
    pub seed: u64,
    /// The run's limits.
    pub limits: RunLimits,
    /// `started` before any step, `running` until the run ends, then the
    /// final status.
    pub status: RunStatus,
    /// When the run started (the `run_started` event's time).
    pub started_at: Timestamp,
    /// When it ended (the run-ending event's time); `None` until it has.
    pub ended_at: Option<Timestamp>,
    /// The steps so far, in order.
    pub steps: Vec<ReplayedStep>,
    /// The observations so far, in the order they were recorded.
    pub observations: Vec<Observation>,
    /// The current hypothesis, if any.
    pub hypothesis: Option<Hypothesis>,
    /// Every revision of every hypothesis so far, oldest first, the current
    /// one last.
    pub hypothesis_history: Vec<Hypothesis>,
    /// How the run ended; `None` until it has.
    pub outcome: Option<Outcome>,
}

/// One step, as replayed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReplayedStep {
    /// The step's number, as the log gives it.
    pub number: u32,
    /// The agent's decision, if it made one.
    pub decision: Option<Decision>,
    /// The tool call, if one was made.
    pub tool_call: Option<ToolCall>,
    /// The tool's result, if one came back.
    pub result: Option<ToolResult>,
    /// The observation recorded, if any.
    pub observation: Option<Observation>,
    /// The current hypothesis at the end of the step (or so far, for a step
    /// still in progress).
    pub hypothesis_after: Option<Hypothesis>,
    /// How the step ended.
    pub status: StepStatus,
    /// When it started (the `step_started` event's time).
    pub started_at: Timestamp,
    /// When it ended (the closing event's time); `None` while in progress.
    pub ended_at: Option<Timestamp>,
    /// The calls to a language model made while the step was open, in
    /// order (left out of JSON when there were none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub model_calls: Vec<ModelCall>,
}

/// A tool call as the `tool_called` event recorded it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToolCall {
    /// The tool's name.
    pub tool_name: String,
    /// The call's id.
    pub call_id: CallId,
    /// The parameters.
    pub params: serde_json::Value,
}

/// How a step ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StepStatus {
    /// Not closed in the log (a log that ends early).
    InProgress,
    /// Closed by `step_completed`.
    Completed,
    /// Closed by `step_failed`.
    Failed {
        /// The reason it carried.
        reason: String,
    },
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    /// The final status: completed, failed or escalated.
    pub status: RunStatus,
    /// Why it ended.
    pub reason: TerminationReason,
    /// The mitigation or escalation, when there was one.
    pub resolution: Option<Resolution>,
}
