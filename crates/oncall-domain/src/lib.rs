//! `oncall-domain` is the vocabulary of an oncall-gym investigation: the
//! [`Incident`] that starts it, the [`Observation`]s an agent records, the
//! [`Hypothesis`] it holds and revises, and the injected [`Clock`] and
//! [`IdGenerator`] that make every run reproducible. It depends on no other
//! workspace crate, and must never know about tools, the engine, scenarios,
//! ground truth or the audit log: those crates are built on top of it, and
//! other systems use it on its own, so its API changes rarely.
//!
//! Every type here is an immutable value. Fields are private behind getters,
//! there are no setters, and `with_*` methods return a changed copy that has
//! been validated again. Deserialisation goes through the same validation
//! (`#[serde(try_from = ...)]`), so invalid data cannot come in through JSON.
//! It also holds the values that cross crate boundaries in a run: the
//! agent's [`Decision`], a tool's [`ToolResult`], and a run's [`RunLimits`],
//! [`RunStatus`], [`Resolution`] and [`TerminationReason`]. They live here
//! because both the engine and the audit log speak them, and the audit log
//! may depend on nothing but this crate.
//!
//! And it publishes the taxonomy a structured answer is written in: the
//! closed lists of [`FaultCategory`], [`RemediationKind`] and
//! [`EntityKind`], with the [`RootCauseClaim`] and [`ActionClaim`] an
//! agent's ending decision may carry. They are vocabulary, not ground
//! truth: what a scenario's answer *is* stays with the simulator.
//!
//! Every rule that a value breaks is reported as a [`ValidationError`] naming
//! the field and the reason.

mod answer;
mod confidence;
mod decision;
mod determinism;
mod error;
mod hypothesis;
mod ids;
mod incident;
mod model_call;
mod observation;
mod run;
mod taxonomy;
mod tool_result;

pub use crate::answer::{ActionClaim, MAX_GRADED_ACTIONS, RootCauseClaim};
pub use crate::confidence::Confidence;
pub use crate::decision::{Decision, raw_number};
pub use crate::determinism::{
    Clock, ExecutionTimer, FixedClock, FrozenTimer, IdGenerator, ManualClock, MonotonicTimer,
    RandomIdGenerator, SeededIdGenerator, SeededRandom, SequentialIdGenerator, SystemClock,
};
pub use crate::error::ValidationError;
pub use crate::hypothesis::{Hypothesis, HypothesisStatus};
pub use crate::ids::{CallId, EventId, HypothesisId, IncidentId, ObservationId, RunId};
pub use crate::incident::{Incident, IncidentBuilder, Severity};
pub use crate::model_call::{MAX_MODEL_NAME_BYTES, MAX_STOP_REASON_BYTES, ModelCall, ModelUsage};
pub use crate::observation::{Observation, ToolCallRef};
pub use crate::run::{Resolution, RunLimits, RunStatus, TerminationReason};
pub use crate::taxonomy::{ESCALATION_TEAM_KINDS, EntityKind, FaultCategory, RemediationKind};
pub use crate::tool_result::{ToolError, ToolResult, Truncation};

/// A UTC instant. Every timestamp in oncall-gym is one of these.
pub type Timestamp = chrono::DateTime<chrono::Utc>;

/// Deserialises a field that is present (even as `null`) as `Some`. With
/// `#[serde(default)]`, an absent field stays `None`, so `Some(Null)` and
/// `None` both round-trip exactly.
pub(crate) fn present_value<'de, D>(deserializer: D) -> Result<Option<serde_json::Value>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    serde::Deserialize::deserialize(deserializer).map(Some)
}
