//! What a step shows: the `observation` (for the agent) and the `info` (for
//! the harness only), as borrowed, serialisable views over an episode.

use std::collections::BTreeMap;

use serde::Serialize;

use oncall_audit::ChainHead;
use oncall_domain::{Hypothesis, Incident, Severity, TerminationReason, Timestamp, ToolResult};
use oncall_engine::{AgentContext, Run};
use oncall_sim::Evaluation;

/// What the agent may see. It never holds the scenario's id, title,
/// summary, category or tags, nor anything from its ground truth: only the
/// alert, the agent's own progress and what its last action returned.
#[derive(Debug, Serialize)]
pub(crate) struct Observation<'a> {
    /// The alert.
    pub(crate) incident: IncidentView<'a>,
    /// How many steps have been taken (0 after `reset`).
    pub(crate) step: u32,
    /// How many more actions the episode takes.
    pub(crate) steps_remaining: u32,
    /// What the tool returned, when the last action was a tool call.
    pub(crate) tool_result: Option<&'a ToolResult>,
    /// Why the last step failed, when it did: the engine's own words about
    /// the agent's action (never the ground truth).
    pub(crate) step_failure: Option<&'a str>,
    /// Why the previous tool step, which this message's analysis closed,
    /// failed (a blank summary, an unreadable analysis, ...), or why the
    /// analysis was ignored.
    pub(crate) previous_step_failure: Option<&'a str>,
    /// The agent's current hypothesis.
    pub(crate) hypothesis: Option<&'a Hypothesis>,
    /// How many observations the agent has recorded.
    pub(crate) observation_count: usize,
}

/// The alert, as an agent sees it: the service, description, severity,
/// tags and time. Every way in (the protocol's observations, MCP's
/// `incident` tool) shows it in this one shape.
#[derive(Debug, Clone, Serialize)]
pub struct IncidentView<'a> {
    service: &'a str,
    description: &'a str,
    severity: Severity,
    tags: &'a BTreeMap<String, String>,
    created_at: Timestamp,
}

impl<'a> IncidentView<'a> {
    /// The view of `incident`.
    pub fn new(incident: &'a Incident) -> IncidentView<'a> {
        IncidentView {
            service: incident.service(),
            description: incident.description(),
            severity: incident.severity(),
            tags: incident.tags(),
            created_at: incident.created_at(),
        }
    }

    /// The alerting service.
    pub fn service(&self) -> &str {
        self.service
    }

    /// What the alert says.
    pub fn description(&self) -> &str {
        self.description
    }

    /// How severe it is.
    pub fn severity(&self) -> Severity {
        self.severity
    }

    /// The alert's tags.
    pub fn tags(&self) -> &BTreeMap<String, String> {
        self.tags
    }

    /// When it was raised.
    pub fn created_at(&self) -> Timestamp {
        self.created_at
    }
}

impl<'a> Observation<'a> {
    /// The observation of `context`, with `run`'s progress and the last
    /// action's result or failure.
    pub(crate) fn new(
        context: &AgentContext<'a>,
        run: &Run,
        awaits_analysis: bool,
        tool_result: Option<&'a ToolResult>,
        step_failure: Option<&'a str>,
        previous_step_failure: Option<&'a str>,
    ) -> Observation<'a> {
        let taken = steps_taken(run, awaits_analysis);
        Observation {
            incident: IncidentView::new(context.incident()),
            step: taken,
            steps_remaining: run.limits().max_steps().saturating_sub(taken),
            tool_result,
            step_failure,
            previous_step_failure,
            hypothesis: context.hypothesis(),
            observation_count: context.observations().len(),
        }
    }
}

/// Steps taken: those closed, plus the tool step awaiting its analysis.
pub fn steps_taken(run: &Run, awaits_analysis: bool) -> u32 {
    let closed = u32::try_from(run.steps().len()).unwrap_or(u32::MAX);
    closed.saturating_add(u32::from(awaits_analysis))
}

/// `reset`'s result.
#[derive(Debug, Serialize)]
pub(crate) struct ResetResult<'a> {
    pub(crate) episode: &'a str,
    pub(crate) observation: Observation<'a>,
    pub(crate) info: ResetInfo<'a>,
}

/// `reset`'s info: for the harness, never for the agent.
#[derive(Debug, Serialize)]
pub(crate) struct ResetInfo<'a> {
    pub(crate) scenario: &'a str,
    pub(crate) run_id: String,
    pub(crate) agent: &'a str,
    pub(crate) seed: u64,
    pub(crate) max_steps: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) audit: Option<&'a str>,
}

/// `step`'s result, in Gymnasium's shape.
#[derive(Debug, Serialize)]
pub(crate) struct StepResult<'a> {
    pub(crate) observation: Observation<'a>,
    /// 0 until the episode ends, then the score's total.
    pub(crate) reward: f64,
    /// The episode ended by the agent's own doing: an answer, an
    /// escalation, or an agent error.
    pub(crate) terminated: bool,
    /// The episode ran out of steps.
    pub(crate) truncated: bool,
    pub(crate) info: StepInfo<'a>,
}

/// `step`'s info: for the harness, never for the agent.
#[derive(Debug, Serialize)]
pub(crate) struct StepInfo<'a> {
    pub(crate) scenario: &'a str,
    pub(crate) run_id: String,
    pub(crate) step: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) step_failure: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) previous_step_failure: Option<&'a str>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub(crate) ending: Option<&'a Ending>,
}

/// How an episode ended, kept until it is closed.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Ending {
    pub(crate) status: &'static str,
    pub(crate) termination: Option<TerminationReason>,
    pub(crate) evaluation: Evaluation,
    pub(crate) head_hash: String,
    pub(crate) event_count: u64,
    /// Why the audit file could not be completed, when it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) audit_error: Option<String>,
}

impl Ending {
    pub(crate) fn new(run: &Run, evaluation: Evaluation, head: ChainHead) -> Ending {
        Ending {
            status: run.status().as_str(),
            termination: run.termination().cloned(),
            evaluation,
            head_hash: head.head_hash,
            event_count: head.event_count,
            audit_error: None,
        }
    }

    /// Whether the step limit (or a budget) ended it (`truncated`, not
    /// `terminated`).
    pub(crate) fn truncated(&self) -> bool {
        matches!(
            self.termination,
            Some(TerminationReason::StepLimit { .. } | TerminationReason::BudgetExhausted { .. })
        )
    }
}

/// `close`'s result.
#[derive(Debug, Serialize)]
pub(crate) struct CloseResult<'a> {
    pub(crate) info: CloseInfo<'a>,
}

/// `close`'s info: for the harness, never for the agent.
#[derive(Debug, Serialize)]
pub(crate) struct CloseInfo<'a> {
    pub(crate) scenario: &'a str,
    pub(crate) run_id: String,
    #[serde(flatten)]
    pub(crate) ending: &'a Ending,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) audit: Option<&'a str>,
}

/// One entry of `scenarios`.
#[derive(Debug, Serialize)]
pub(crate) struct ScenarioEntry<'a> {
    pub(crate) id: &'a str,
    pub(crate) difficulty: &'a str,
}

/// `value` as compact JSON text.
pub(crate) fn serialize<T: Serialize>(value: &T) -> Result<String, crate::ProtocolError> {
    let mut text = Vec::with_capacity(4096);
    serde_json::to_writer(&mut text, value)
        .map_err(|error| crate::ProtocolError::Internal(error.to_string()))?;
    String::from_utf8(text).map_err(|error| crate::ProtocolError::Internal(error.to_string()))
}
