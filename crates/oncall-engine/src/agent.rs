//! The agent interface: what an agent sees, and what it answers.

use serde::{Deserialize, Serialize};

use oncall_domain::{
    Decision, Hypothesis, HypothesisStatus, Incident, ModelCall, Observation, ObservationId,
    ToolResult,
};
use oncall_tools::ToolDefinition;

/// An investigator. Object safe, so engines hold `Box<dyn Agent>` or
/// `&mut dyn Agent`.
///
/// The engine calls [`Agent::decide_next_action`] at the start of every step.
/// When the decision is a tool call, it runs the tool and hands the result to
/// [`Agent::analyze_result`], whose [`Analysis`] becomes the step's
/// observation and, optionally, a hypothesis change. An `Err` from either
/// ends the run as failed with reason `agent_error`, unless its
/// [`AgentErrorKind`] says it fails only the step, or that a budget is
/// spent.
pub trait Agent {
    /// The agent's name, as recorded in the audit log.
    fn name(&self) -> &str;

    /// Chooses what to do next.
    fn decide_next_action(&mut self, context: &AgentContext<'_>) -> Result<Decision, AgentError>;

    /// Reads a tool's result, successful or not, and says what was learned.
    fn analyze_result(
        &mut self,
        tool_result: &ToolResult,
        context: &AgentContext<'_>,
    ) -> Result<Analysis, AgentError>;

    /// The calls to a language model made since this was last asked, for
    /// the audit log. [`Episode::drive`](crate::Episode::drive) asks after
    /// every decision and every analysis. Agents without a model have none.
    fn take_model_calls(&mut self) -> Vec<ModelCall> {
        Vec::new()
    }
}

/// Everything an agent may see. It holds no ground truth: only the incident,
/// what the agent itself has recorded, and the tool catalogue.
#[derive(Debug, Clone, Copy)]
pub struct AgentContext<'a> {
    pub(crate) incident: &'a Incident,
    pub(crate) observations: &'a [Observation],
    pub(crate) hypothesis: Option<&'a Hypothesis>,
    pub(crate) step_number: u32,
    pub(crate) steps_remaining: u32,
    pub(crate) tools: &'a [ToolDefinition],
}

impl<'a> AgentContext<'a> {
    /// The alert being investigated.
    pub fn incident(&self) -> &'a Incident {
        self.incident
    }

    /// The observations recorded so far, oldest first.
    pub fn observations(&self) -> &'a [Observation] {
        self.observations
    }

    /// The current hypothesis, if the agent has formed one.
    pub fn hypothesis(&self) -> Option<&'a Hypothesis> {
        self.hypothesis
    }

    /// The number of the step being decided or analysed, from 1.
    pub fn step_number(&self) -> u32 {
        self.step_number
    }

    /// How many steps are left after this one.
    pub fn steps_remaining(&self) -> u32 {
        self.steps_remaining
    }

    /// The tools the agent may call: names, descriptions and schemas, as the
    /// registry exports them.
    pub fn tools(&self) -> &'a [ToolDefinition] {
        self.tools
    }
}

/// An agent's failure: not a bad decision, but the agent being unable to
/// decide at all (a crashed model call, a protocol error). Its
/// [`AgentErrorKind`] says what the run does about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct AgentError {
    kind: AgentErrorKind,
    message: String,
}

/// What an [`AgentError`] does to the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentErrorKind {
    /// The agent cannot go on: the run ends as `agent_error`.
    Fatal,
    /// The agent could not produce this step (a model reply with no usable
    /// tool call, say): the step fails and the run goes on.
    StepFailed,
    /// The agent spent its budget: the run ends as `budget_exhausted`.
    BudgetExhausted,
}

impl AgentError {
    /// A fatal error with this message.
    pub fn new(message: impl Into<String>) -> AgentError {
        AgentError {
            kind: AgentErrorKind::Fatal,
            message: message.into(),
        }
    }

    /// An error that fails only the step.
    pub fn step_failed(message: impl Into<String>) -> AgentError {
        AgentError {
            kind: AgentErrorKind::StepFailed,
            message: message.into(),
        }
    }

    /// An error that ends the run because a budget is spent.
    pub fn budget_exhausted(message: impl Into<String>) -> AgentError {
        AgentError {
            kind: AgentErrorKind::BudgetExhausted,
            message: message.into(),
        }
    }

    /// What it does to the run.
    pub fn kind(&self) -> AgentErrorKind {
        self.kind
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// What an agent learned from one tool result.
///
/// The engine turns it into the step's [`Observation`] (the summary must not
/// be blank) and applies the hypothesis update, validating it: an invalid
/// confidence or an illegal status change fails the step, and the run goes
/// on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Analysis {
    /// What was learned, in words.
    pub summary: String,
    /// Whether it moves the investigation.
    pub significant: bool,
    /// Data worth keeping with the observation, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<serde_json::Value>,
    /// A new hypothesis, or a change to the current one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hypothesis_update: Option<HypothesisUpdate>,
}

impl Analysis {
    /// An analysis with a summary and nothing else.
    pub fn new(summary: impl Into<String>, significant: bool) -> Analysis {
        Analysis {
            summary: summary.into(),
            significant,
            raw: None,
            hypothesis_update: None,
        }
    }

    /// The same analysis carrying a hypothesis update.
    pub fn with_hypothesis_update(self, update: HypothesisUpdate) -> Analysis {
        Analysis {
            hypothesis_update: Some(update),
            ..self
        }
    }
}

/// A change to what the agent believes. Confidences are raw numbers, as an
/// agent gave them; the engine validates them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum HypothesisUpdate {
    /// Replace the current hypothesis (if any) with a new one, which starts
    /// `investigating`.
    Create {
        /// What the agent now believes.
        statement: String,
        /// How strongly.
        #[serde(with = "oncall_domain::raw_number")]
        confidence: f64,
        /// Whether this step's observation supports it.
        #[serde(default)]
        cite_observation: bool,
        /// Earlier observations of this run that support it, by id (at most
        /// [`MAX_CITED_OBSERVATIONS`](crate::MAX_CITED_OBSERVATIONS)). An id
        /// the run has not recorded fails the step.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        cite_observations: Vec<ObservationId>,
    },
    /// Change the current hypothesis. Every field is optional; the status
    /// change is applied last, so a mitigation given in the same update
    /// counts for `actionable`.
    Revise {
        /// A new statement.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        statement: Option<String>,
        /// A new confidence.
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            with = "optional_raw_number"
        )]
        confidence: Option<f64>,
        /// Whether this step's observation supports it.
        #[serde(default)]
        cite_observation: bool,
        /// Earlier observations of this run that support it, by id (at most
        /// [`MAX_CITED_OBSERVATIONS`](crate::MAX_CITED_OBSERVATIONS)). An id
        /// the run has not recorded fails the step; one the hypothesis
        /// already cites is left as it is.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        cite_observations: Vec<ObservationId>,
        /// A mitigation to propose.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        proposed_mitigation: Option<String>,
        /// A status to move to. Restating the current status is accepted
        /// and is no transition.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<HypothesisStatus>,
    },
}

/// `raw_number` for an optional field.
mod optional_raw_number {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(
        value: &Option<f64>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(number) => oncall_domain::raw_number::serialize(number, serializer),
            None => serializer.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<f64>, D::Error> {
        #[derive(Deserialize)]
        struct Wrapped(#[serde(with = "oncall_domain::raw_number")] f64);
        Ok(Option::<Wrapped>::deserialize(deserializer)?.map(|Wrapped(number)| number))
    }
}
