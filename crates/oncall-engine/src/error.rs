//! The engine's error type.

use oncall_audit::AuditError;

use crate::run::Run;

/// What can stop the engine itself. Bad decisions and failing tools are not
/// errors: they fail a step, and the run goes on. These are the things that
/// make recording impossible, or a driver that breaks the episode protocol.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// The audit sink refused an event (an I/O error, or a sequence
    /// mismatch). Everything recorded before it is in the sink, and the run
    /// as it stood is returned.
    #[error("the audit log refused event {sequence} (`{kind}`): {source}")]
    Audit {
        /// The sequence number of the refused event.
        sequence: u64,
        /// The refused event's kind.
        kind: &'static str,
        /// What the sink said.
        #[source]
        source: AuditError,
        /// The run as it stood before the refused event.
        run: Box<Run>,
    },
    /// `analyze` was called when no tool result awaits analysis.
    #[error(
        "no tool result is waiting for an analysis: call `act` with a `call_tool` decision first"
    )]
    NoPendingToolResult,
    /// The episode has already ended, so it takes no more actions.
    #[error("the episode has already ended ({termination}): it takes no more actions")]
    EpisodeOver {
        /// Why it ended.
        termination: String,
    },
}
