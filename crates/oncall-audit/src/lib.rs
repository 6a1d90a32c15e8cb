//! `oncall-audit` is the tamper-evident record of an oncall-gym run: every
//! [`Event`] of what the agent saw, decided and believed, in order. The
//! engine writes events into an [`EventSink`]: the in-memory, append-only
//! [`Log`] (with [`EventFilter`] queries and JSON Lines / JSON array export),
//! or the [`JsonlWriter`], whose file form chains each line to the SHA-256 of
//! the previous one so that [`read_chain`] can prove nothing was changed,
//! removed or reordered. From the events, [`replay()`] rebuilds the
//! investigation as it stood at any step. It depends only on
//! `oncall-domain`, so other systems can read, verify and replay audit logs
//! with it alone, and it must never know about tools, the engine, scenarios
//! or ground truth: an event carries whole domain values, and an evaluation
//! is opaque JSON.
//!
//! The JSON form of an event is described in [`event_serde`], the chained
//! file form in [`chain`], the reader's rules and limits in [`reader`], and
//! replay's rules in [`replay`](mod@replay).

mod error;
mod event;
pub mod event_serde;
mod log;

pub mod chain;
pub mod reader;
pub mod replay;
mod replay_state;

#[cfg(test)]
mod reader_tests;
#[cfg(test)]
mod test_support;

pub use crate::chain::{ChainHead, FsyncPolicy, GENESIS_HASH, JsonlWriter, SyncData, sha256_hex};
pub use crate::error::{AuditError, ChainError, ReplayError};
pub use crate::event::{Event, EventKind, EventKindName, FORMAT_VERSION, OLDEST_FORMAT_VERSION};
pub use crate::log::{EventFilter, EventSink, Log};
pub use crate::reader::{
    ChainWarning, DEFAULT_MAX_EVENTS, DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_LINE_BYTES, ReadLimits,
    VerifiedLog, read_chain, read_chain_file, read_chain_with_limits,
};
pub use crate::replay::{
    InvestigationState, Outcome, Replay, ReplayedStep, StepStatus, ToolCall, replay, replay_run,
};
