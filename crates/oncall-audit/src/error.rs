//! The error types of this crate: one per area. [`AuditError`] for events,
//! the in-memory log and the writer; [`ChainError`] for reading a
//! hash-chained file; [`ReplayError`] for rebuilding a run from its events.

use oncall_domain::{HypothesisId, HypothesisStatus, RunId};

use crate::event::EventKindName;

/// Appending, importing, exporting or writing events went wrong.
///
/// Messages do not end with a period.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// An event was appended out of turn: its sequence number is not the
    /// next one.
    #[error("event has sequence number {found}, expected {expected} (the next one)")]
    SequenceMismatch {
        /// The sequence number the next event must carry.
        expected: u64,
        /// The one it carried.
        found: u64,
    },
    /// A line of a JSON Lines import was not a valid event, or not the next
    /// one.
    #[error("line {line}: {message}")]
    InvalidLine {
        /// The 1-based line number.
        line: usize,
        /// What was wrong, with the column where JSON was malformed.
        message: String,
    },
    /// A JSON array import was not an array of valid, consecutive events.
    #[error("JSON array of events: {message}")]
    InvalidArray {
        /// What was wrong, with the line and column where JSON was malformed.
        message: String,
    },
    /// An event kind name that is not one of the fourteen known ones.
    #[error("unknown event type `{name}`, expected one of: {expected}")]
    UnknownKindName {
        /// What was given.
        name: String,
        /// The known names, comma-separated.
        expected: &'static str,
    },
    /// An event could not be serialised. Cannot happen with the domain's
    /// types, but is reported rather than hidden.
    #[error("event {sequence} could not be serialised: {message}")]
    Serialize {
        /// The event's sequence number.
        sequence: u64,
        /// serde_json's message.
        message: String,
    },
    /// Writing, flushing or syncing the underlying file failed.
    #[error("could not {operation} the audit log: {source}")]
    Io {
        /// What was being done: `write`, `flush` or `sync`.
        operation: &'static str,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The writer failed earlier and refuses further events, since the file
    /// may end in a partial line.
    #[error("the audit log writer failed earlier ({first_error}) and accepts no more events")]
    WriterFailed {
        /// The first error, as text.
        first_error: String,
    },
}

/// A hash-chained JSON Lines file was refused.
///
/// Every variant about a line names it by its 1-based number, and says what
/// was expected against what was found. Messages do not end with a period.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChainError {
    /// The file is bigger than the reader's limit.
    #[error("the audit log is {size} bytes, more than the limit of {limit} bytes")]
    FileTooLarge {
        /// The file's size, or at least how much was read before stopping.
        size: u64,
        /// The limit in force.
        limit: u64,
    },
    /// The file holds more events than the reader's limit.
    #[error("line {line}: the audit log holds more than the limit of {limit} events")]
    TooManyEvents {
        /// The first line over the limit.
        line: usize,
        /// The limit in force.
        limit: u64,
    },
    /// A line is longer than the reader's limit.
    #[error("line {line}: {length} bytes long, more than the limit of {limit} bytes")]
    LineTooLong {
        /// The 1-based line number.
        line: usize,
        /// The line's length without its newline.
        length: usize,
        /// The limit in force.
        limit: usize,
    },
    /// A line is not valid UTF-8.
    #[error("line {line}: not valid UTF-8 (invalid byte at column {column})")]
    NotUtf8 {
        /// The 1-based line number.
        line: usize,
        /// The 1-based byte column of the first invalid byte.
        column: usize,
    },
    /// A line is empty.
    #[error("line {line}: empty, expected an event")]
    EmptyLine {
        /// The 1-based line number.
        line: usize,
    },
    /// A line is not a valid event: bad JSON, a missing or unknown field, an
    /// unknown `type`, a bad payload or an unsupported format version.
    #[error("line {line}: {message}")]
    InvalidEvent {
        /// The 1-based line number.
        line: usize,
        /// serde_json's message, with the column.
        message: String,
    },
    /// A line is a valid event without the chain's `prev` field.
    #[error(
        "line {line}: no `prev` hash: this looks like a plain JSON Lines export, not a hash-chained log"
    )]
    MissingPrev {
        /// The 1-based line number.
        line: usize,
    },
    /// A line's sequence number skips ahead: lines are missing, or a later
    /// line was moved up.
    #[error(
        "line {line}: sequence gap: expected sequence {expected}, found {found} (lines missing or reordered)"
    )]
    SequenceGap {
        /// The 1-based line number.
        line: usize,
        /// The sequence number the line should carry.
        expected: u64,
        /// The one it carries.
        found: u64,
    },
    /// A line's sequence number goes back: lines are reordered or repeated.
    #[error(
        "line {line}: lines reordered or repeated: expected sequence {expected}, found {found}"
    )]
    SequenceOutOfOrder {
        /// The 1-based line number.
        line: usize,
        /// The sequence number the line should carry.
        expected: u64,
        /// The one it carries.
        found: u64,
    },
    /// A line's `prev` is not the hash of the line before it: something
    /// before it was changed.
    #[error(
        "line {line}: hash mismatch: its `prev` is {found}, but the line before it hashes to {expected}; line {} was changed, or the line itself was",
        line.saturating_sub(1)
    )]
    HashMismatch {
        /// The 1-based line number.
        line: usize,
        /// The hash of the previous line (or the genesis value).
        expected: String,
        /// The `prev` the line carries.
        found: String,
    },
    /// The chain is intact but does not end where the caller said it would:
    /// the end was cut off, or the last line was changed.
    #[error("head mismatch after {event_count} events: expected head {expected}, found {found}")]
    HeadMismatch {
        /// The head hash the caller expected.
        expected: String,
        /// The head hash of what was read.
        found: String,
        /// How many events were read.
        event_count: u64,
    },
    /// The file could not be read.
    #[error("could not read the audit log `{path}`: {message}")]
    Io {
        /// The file's path.
        path: String,
        /// The I/O error, as text.
        message: String,
    },
}

/// A list of events is not one well-formed run, so it cannot be replayed.
///
/// Every variant names the offending event by its sequence number and by
/// the 1-based line that holds it in a log file, `event N (line N+1)`: the
/// chain reader checks that line N+1 holds event N, and
/// [`Log::to_jsonl`](crate::Log::to_jsonl) writes events the same way, so
/// the line is right for any log this crate writes (and for one run's
/// events picked out of a shared log, which keep their numbers).
/// Messages do not end with a period.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayError {
    /// There were no events (or none of the requested run).
    #[error("no events to replay")]
    Empty,
    /// The first event is not `run_started`.
    #[error(
        "event {sequence} (line {line}): expected run_started first, found {found}",
        line = line_of(.sequence)
    )]
    NotStartedByRunStarted {
        /// The event's sequence number.
        sequence: u64,
        /// Its kind.
        found: EventKindName,
    },
    /// A second `run_started`: two runs are mixed in one log.
    #[error(
        "event {sequence} (line {line}): a second run_started: replay one run at a time (filter by run id first)",
        line = line_of(.sequence)
    )]
    SecondRunStarted {
        /// The event's sequence number.
        sequence: u64,
    },
    /// An event of another run.
    #[error(
        "event {sequence} (line {line}): belongs to run {found}, expected run {expected}",
        line = line_of(.sequence)
    )]
    MixedRuns {
        /// The event's sequence number.
        sequence: u64,
        /// The run that started the log.
        expected: RunId,
        /// The event's run.
        found: RunId,
    },
    /// Sequence numbers do not increase.
    #[error(
        "event {sequence} (line {line}): sequence numbers must increase, but it follows event {previous} (line {previous_line})",
        line = line_of(.sequence),
        previous_line = line_of(.previous)
    )]
    SequenceNotIncreasing {
        /// The event's sequence number.
        sequence: u64,
        /// The one before it.
        previous: u64,
    },
    /// An event that belongs inside a step came outside one.
    #[error(
        "event {sequence} (line {line}): {kind} outside a step (expected after step_started)",
        line = line_of(.sequence)
    )]
    OutsideStep {
        /// The event's sequence number.
        sequence: u64,
        /// Its kind.
        kind: EventKindName,
    },
    /// A run-level event came while a step was open.
    #[error(
        "event {sequence} (line {line}): {kind} while step {open_step} is still open (close it first)",
        line = line_of(.sequence)
    )]
    InsideStep {
        /// The event's sequence number.
        sequence: u64,
        /// Its kind.
        kind: EventKindName,
        /// The open step.
        open_step: u32,
    },
    /// An event's step number is not the one expected.
    #[error(
        "event {sequence} (line {line}): {kind} carries {found_step}, expected {expected_step}",
        line = line_of(.sequence),
        found_step = StepNumber(*.found),
        expected_step = StepNumber(*.expected)
    )]
    WrongStep {
        /// The event's sequence number.
        sequence: u64,
        /// Its kind.
        kind: EventKindName,
        /// The step it should carry.
        expected: Option<u32>,
        /// The step it carries.
        found: Option<u32>,
    },
    /// A step started with a number that does not follow the previous step.
    #[error(
        "event {sequence} (line {line}): step_started for step {found}, expected step {expected}",
        line = line_of(.sequence)
    )]
    StepOutOfOrder {
        /// The event's sequence number.
        sequence: u64,
        /// The next step number.
        expected: u32,
        /// The one given.
        found: u32,
    },
    /// More steps than the run's limits allow.
    #[error(
        "event {sequence} (line {line}): step {step} is beyond the run's limit of {max_steps} steps",
        line = line_of(.sequence)
    )]
    TooManySteps {
        /// The event's sequence number.
        sequence: u64,
        /// The step.
        step: u32,
        /// The limit from run_started.
        max_steps: u32,
    },
    /// A step holds two events of a kind it may hold once.
    #[error(
        "event {sequence} (line {line}): a second {kind} in step {step}",
        line = line_of(.sequence)
    )]
    DuplicateInStep {
        /// The event's sequence number.
        sequence: u64,
        /// Its kind.
        kind: EventKindName,
        /// The step.
        step: u32,
    },
    /// A tool result for another call than the step's tool call.
    #[error(
        "event {sequence} (line {line}): tool result for call {found}, expected call {expected}",
        line = line_of(.sequence)
    )]
    CallIdMismatch {
        /// The event's sequence number.
        sequence: u64,
        /// The step's call id.
        expected: String,
        /// The result's call id.
        found: String,
    },
    /// A hypothesis update with no current hypothesis, or for another one.
    #[error(
        "event {sequence} (line {line}): hypothesis_updated for hypothesis {found}, but the current one is {expected}",
        line = line_of(.sequence)
    )]
    UnknownHypothesis {
        /// The event's sequence number.
        sequence: u64,
        /// The current hypothesis, or `none`.
        expected: String,
        /// The updated one.
        found: HypothesisId,
    },
    /// A hypothesis update whose previous status or confidence is not the
    /// current hypothesis's.
    #[error(
        "event {sequence} (line {line}): hypothesis_updated says the previous state was {claimed_status} at {claimed_confidence}, but it was {actual_status} at {actual_confidence}",
        line = line_of(.sequence)
    )]
    PreviousHypothesisMismatch {
        /// The event's sequence number.
        sequence: u64,
        /// The previous status the event claims.
        claimed_status: HypothesisStatus,
        /// The previous confidence the event claims.
        claimed_confidence: f64,
        /// The current hypothesis's status.
        actual_status: HypothesisStatus,
        /// The current hypothesis's confidence.
        actual_confidence: f64,
    },
    /// A hypothesis update that its state machine does not allow.
    #[error(
        "event {sequence} (line {line}): hypothesis status cannot change from {from} to {to}",
        line = line_of(.sequence)
    )]
    IllegalHypothesisTransition {
        /// The event's sequence number.
        sequence: u64,
        /// The previous status.
        from: HypothesisStatus,
        /// The new one.
        to: HypothesisStatus,
    },
    /// A run-ending event whose reason leads to another final status.
    #[error(
        "event {sequence} (line {line}): {kind} with reason {reason}, which ends a run as {expected_status}",
        line = line_of(.sequence)
    )]
    ReasonDoesNotMatchKind {
        /// The event's sequence number.
        sequence: u64,
        /// Its kind.
        kind: EventKindName,
        /// The reason's name.
        reason: String,
        /// The status that reason leads to.
        expected_status: String,
    },
    /// An event after the run ended (only evaluation_recorded may follow).
    #[error(
        "event {sequence} (line {line}): {kind} after the run ended (only evaluation_recorded may follow)",
        line = line_of(.sequence)
    )]
    AfterRunEnded {
        /// The event's sequence number.
        sequence: u64,
        /// Its kind.
        kind: EventKindName,
    },
}

/// The 1-based line of a log file that holds event `sequence`.
fn line_of(sequence: &u64) -> u64 {
    sequence.saturating_add(1)
}

/// A step number as a message says it: `step 7`, or `no step number`.
struct StepNumber(Option<u32>);

impl std::fmt::Display for StepNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(step) => write!(f, "step {step}"),
            None => f.write_str("no step number"),
        }
    }
}

/// serde_json's message for an error inside one line, with its position
/// cut to the column: the caller names the line already, and serde's own
/// line number (always 1 within a line) would only contradict it.
pub(crate) fn within_line(error: &serde_json::Error) -> String {
    let full = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    match full.strip_suffix(&suffix) {
        Some(message) if error.column() > 0 => format!("{message} at column {}", error.column()),
        Some(message) => message.to_owned(),
        None => full,
    }
}
