//! [`Run`] and [`Step`]: the record of an investigation.

use serde::Serialize;

use oncall_audit::{InvestigationState, Outcome, ReplayedStep, ToolCall};
use oncall_domain::{
    Decision, Hypothesis, Incident, ModelCall, ModelUsage, Observation, Resolution, RunId,
    RunLimits, RunStatus, TerminationReason, Timestamp, ToolResult,
};

/// How a step ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum StepStatus {
    /// Everything in it was valid.
    Completed,
    /// Something in it was refused: a failed tool call, an invalid
    /// confidence, an illegal hypothesis change, an agent error.
    Failed {
        /// Why, as recorded in `step_failed`.
        reason: String,
    },
}

/// One iteration of the decision loop. Immutable once recorded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    pub(crate) number: u32,
    pub(crate) decision: Option<Decision>,
    pub(crate) tool_call: Option<ToolCall>,
    pub(crate) tool_result: Option<ToolResult>,
    pub(crate) observation: Option<Observation>,
    pub(crate) hypothesis_after: Option<Hypothesis>,
    pub(crate) status: StepStatus,
    pub(crate) started_at: Timestamp,
    pub(crate) ended_at: Timestamp,
    pub(crate) model_calls: Vec<ModelCall>,
}

impl Step {
    /// The step's number, from 1.
    pub fn number(&self) -> u32 {
        self.number
    }

    /// What the agent decided; `None` when the agent failed before deciding.
    pub fn decision(&self) -> Option<&Decision> {
        self.decision.as_ref()
    }

    /// The tool call, for `call_tool` decisions.
    pub fn tool_call(&self) -> Option<&ToolCall> {
        self.tool_call.as_ref()
    }

    /// The tool's result, for `call_tool` decisions.
    pub fn tool_result(&self) -> Option<&ToolResult> {
        self.tool_result.as_ref()
    }

    /// The observation recorded from the agent's analysis, if any.
    pub fn observation(&self) -> Option<&Observation> {
        self.observation.as_ref()
    }

    /// The current hypothesis when the step ended.
    pub fn hypothesis_after(&self) -> Option<&Hypothesis> {
        self.hypothesis_after.as_ref()
    }

    /// Completed, or failed with a reason.
    pub fn status(&self) -> &StepStatus {
        &self.status
    }

    /// When it started, by the run's clock.
    pub fn started_at(&self) -> Timestamp {
        self.started_at
    }

    /// When it ended, by the run's clock.
    pub fn ended_at(&self) -> Timestamp {
        self.ended_at
    }

    /// The calls to a language model recorded in this step.
    pub fn model_calls(&self) -> &[ModelCall] {
        &self.model_calls
    }

    /// The step as the audit log's replay describes it.
    pub fn replayed_step(&self) -> ReplayedStep {
        ReplayedStep {
            number: self.number,
            decision: self.decision.clone(),
            tool_call: self.tool_call.clone(),
            result: self.tool_result.clone(),
            observation: self.observation.clone(),
            hypothesis_after: self.hypothesis_after.clone(),
            status: match &self.status {
                StepStatus::Completed => oncall_audit::StepStatus::Completed,
                StepStatus::Failed { reason } => oncall_audit::StepStatus::Failed {
                    reason: reason.clone(),
                },
            },
            started_at: self.started_at,
            ended_at: Some(self.ended_at),
            model_calls: self.model_calls.clone(),
        }
    }
}

/// A complete (or, while an episode is under way, partial) investigation.
///
/// Only the engine builds a `Run`, so its status can only move
/// `Started → Running → Completed | Failed | Escalated`, and a terminal run
/// always carries its termination reason.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Run {
    pub(crate) id: RunId,
    pub(crate) incident: Incident,
    pub(crate) agent_name: String,
    pub(crate) seed: u64,
    pub(crate) limits: RunLimits,
    pub(crate) steps: Vec<Step>,
    pub(crate) observations: Vec<Observation>,
    pub(crate) hypothesis: Option<Hypothesis>,
    pub(crate) hypothesis_history: Vec<Hypothesis>,
    pub(crate) status: RunStatus,
    pub(crate) resolution: Option<Resolution>,
    pub(crate) termination: Option<TerminationReason>,
    pub(crate) started_at: Timestamp,
    pub(crate) ended_at: Option<Timestamp>,
}

impl Run {
    /// The run's id.
    pub fn id(&self) -> RunId {
        self.id
    }

    /// The incident investigated.
    pub fn incident(&self) -> &Incident {
        &self.incident
    }

    /// The agent's name.
    pub fn agent_name(&self) -> &str {
        &self.agent_name
    }

    /// The seed the run was started with.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The calls to a language model its closed steps recorded, summed.
    pub fn model_usage(&self) -> ModelUsage {
        self.steps
            .iter()
            .flat_map(Step::model_calls)
            .fold(ModelUsage::default(), ModelUsage::with_call)
    }

    /// The limits it was held to.
    pub fn limits(&self) -> RunLimits {
        self.limits
    }

    /// The steps, in order.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// Every observation recorded, in order.
    pub fn observations(&self) -> &[Observation] {
        &self.observations
    }

    /// The hypothesis at the end.
    pub fn hypothesis(&self) -> Option<&Hypothesis> {
        self.hypothesis.as_ref()
    }

    /// Every version the hypothesis went through, oldest first; the last is
    /// the current one.
    pub fn hypothesis_history(&self) -> &[Hypothesis] {
        &self.hypothesis_history
    }

    /// Where the run stands.
    pub fn status(&self) -> RunStatus {
        self.status
    }

    /// The mitigation or escalation, if the run ended with one.
    pub fn resolution(&self) -> Option<&Resolution> {
        self.resolution.as_ref()
    }

    /// Why it ended, once it has.
    pub fn termination(&self) -> Option<&TerminationReason> {
        self.termination.as_ref()
    }

    /// When it started, by the run's clock.
    pub fn started_at(&self) -> Timestamp {
        self.started_at
    }

    /// When it ended, by the run's clock.
    pub fn ended_at(&self) -> Option<Timestamp> {
        self.ended_at
    }

    /// The run as the audit log's replay describes an investigation, so a
    /// run and the replay of its log compare with `==`: replaying a
    /// complete log gives exactly this state.
    pub fn investigation_state(&self) -> InvestigationState {
        InvestigationState {
            run_id: self.id,
            incident: self.incident.clone(),
            agent: self.agent_name.clone(),
            seed: self.seed,
            limits: self.limits,
            status: self.status,
            started_at: self.started_at,
            ended_at: self.ended_at,
            steps: self.steps.iter().map(Step::replayed_step).collect(),
            observations: self.observations.clone(),
            hypothesis: self.hypothesis.clone(),
            hypothesis_history: self.hypothesis_history.clone(),
            outcome: self.termination.as_ref().map(|reason| Outcome {
                status: self.status,
                reason: reason.clone(),
                resolution: self.resolution.clone(),
            }),
        }
    }

    /// The tool results of the run's steps, in order.
    pub fn tool_results(&self) -> impl Iterator<Item = &ToolResult> {
        self.steps.iter().filter_map(Step::tool_result)
    }
}
