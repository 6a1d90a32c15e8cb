//! `oncall-engine` runs an investigation. It hands an agent the incident and
//! what has been learned so far, carries out the agent's [`Decision`],
//! records every [`Step`], enforces the limits, and writes every transition
//! into an audit [`EventSink`](oncall_audit::EventSink). It depends on
//! `oncall-domain` (the vocabulary), `oncall-tools` (what agents call, through
//! one shared call path) and `oncall-audit` (where events go). It must never
//! know about scenarios, fixtures or ground truth: those live above it, in
//! `oncall-sim`, and an agent sees only what the engine's [`AgentContext`]
//! holds.
//!
//! There are two ways in, sharing one state machine. [`Engine::run`] calls an
//! [`Agent`] until the run ends. [`Engine::start`] returns an [`Episode`] that
//! the outside drives one decision at a time, for agents that live across a
//! protocol. `run` is built on `Episode`, so the rules exist once.
//!
//! The engine is synchronous and deterministic: time comes from the injected
//! clock (plus a fixed simulated duration per step), ids from the injected
//! generator, and tool execution times from the injected timer.

mod agent;
mod decision_rules;
mod engine;
mod episode;
mod error;
mod flat_analysis;
mod run;

pub use crate::agent::{
    Agent, AgentContext, AgentError, AgentErrorKind, Analysis, HypothesisUpdate,
};
pub use crate::decision_rules::{
    MAX_AGENT_TEXT_BYTES, MAX_CITED_OBSERVATIONS, MAX_OBSERVATION_RAW_BYTES, MAX_RECORDED_ACTIONS,
    MAX_TOOL_PARAMS_BYTES,
};
pub use crate::engine::{Engine, EngineConfig};
pub use crate::episode::{ActionOutcome, Episode, MAX_UNREADABLE_REASON_BYTES};
pub use crate::error::EngineError;
pub use crate::flat_analysis::{FlatAnalysis, flat_analysis_schema, read_flat_analysis};
pub use crate::run::{Run, Step, StepStatus};
pub use oncall_audit::ToolCall;
pub use oncall_domain::{Decision, Resolution, RunLimits, RunStatus, TerminationReason};

#[cfg(test)]
mod tests;
