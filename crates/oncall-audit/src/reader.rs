//! Reading and verifying a hash-chained JSON Lines file (the form described
//! in [`crate::chain`]).
//!
//! The reader accepts exactly what the [`JsonlWriter`](crate::JsonlWriter)
//! writes, with one allowance: a **torn last line** (the file ends mid-line,
//! with no trailing newline, as after a crash during a write) is dropped
//! with a [`ChainWarning`], and the exact valid prefix is returned.
//! Everything else is refused with a [`ChainError`] naming the 1-based line
//! and what was expected against what was found.
//!
//! Without an expected head, the last complete line is protected by nothing
//! (no later line hashes it), so a changed last line, or lines cut off at a
//! line boundary, cannot be seen. Pass the [`ChainHead`]'s hash from a
//! summary to close that gap.
//!
//! Bounded (invariant 5): by default a file may hold at most
//! [`DEFAULT_MAX_FILE_BYTES`] (1 GiB), a line at most
//! [`DEFAULT_MAX_LINE_BYTES`] and the log at most [`DEFAULT_MAX_EVENTS`];
//! [`ReadLimits`] changes them. [`read_chain_file`] reads only regular
//! files, so a FIFO or a device is refused rather than waited on or read
//! without end. The reader never panics, whatever the bytes.

use std::fmt;
use std::io::Read;
use std::path::Path;

use crate::chain::{ChainHead, GENESIS_HASH, sha256_hex};
use crate::error::{ChainError, within_line};
use crate::event::Event;
use crate::event_serde::LineRecord;
use crate::log::Log;

/// The default largest file: 1 GiB. The whole file is held in memory while
/// it is verified, so the cap is what a read may cost; a log of a million
/// events is about 500 MB. Raise it with [`ReadLimits::max_file_bytes`].
pub const DEFAULT_MAX_FILE_BYTES: u64 = 1 << 30;
/// The default longest line: 16 MiB, newline excluded.
pub const DEFAULT_MAX_LINE_BYTES: usize = 16 << 20;
/// The default most events: 20 million.
pub const DEFAULT_MAX_EVENTS: u64 = 20_000_000;

/// The bounds a read is held to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadLimits {
    /// The largest file, in bytes.
    pub max_file_bytes: u64,
    /// The longest line, in bytes, newline excluded.
    pub max_line_bytes: usize,
    /// The most events.
    pub max_events: u64,
}

impl Default for ReadLimits {
    fn default() -> ReadLimits {
        ReadLimits {
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
            max_events: DEFAULT_MAX_EVENTS,
        }
    }
}

/// Something the reader accepted but wants known.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChainWarning {
    /// The file ended mid-line; that line was dropped.
    TornLastLine {
        /// The torn line's 1-based number.
        line: usize,
        /// How many bytes it had.
        length: usize,
    },
}

impl fmt::Display for ChainWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChainWarning::TornLastLine { line, length } => write!(
                f,
                "line {line}: torn last line ({length} bytes with no trailing newline) dropped"
            ),
        }
    }
}

/// A verified chain: its events, its head, and any warnings.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedLog {
    events: Vec<Event>,
    head: ChainHead,
    warnings: Vec<ChainWarning>,
}

impl VerifiedLog {
    /// The events, in order, numbered 0, 1, 2, ...
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The head: the hash of the last line read and the event count.
    pub fn head(&self) -> &ChainHead {
        &self.head
    }

    /// The head hash (of the last complete line, or the genesis value).
    pub fn head_hash(&self) -> &str {
        &self.head.head_hash
    }

    /// How many events were read.
    pub fn event_count(&self) -> u64 {
        self.head.event_count
    }

    /// What was accepted with a warning, e.g. a dropped torn line.
    pub fn warnings(&self) -> &[ChainWarning] {
        &self.warnings
    }

    /// The events, consumed.
    pub fn into_events(self) -> Vec<Event> {
        self.events
    }

    /// The events as an in-memory [`Log`].
    pub fn into_log(self) -> Log {
        // The reader checked the sequence numbers are 0, 1, 2, ...
        Log::from_verified(self.events)
    }
}

/// Verifies the chained file in `bytes` with the default [`ReadLimits`],
/// checking it ends at `expected_head` when given.
pub fn read_chain(bytes: &[u8], expected_head: Option<&str>) -> Result<VerifiedLog, ChainError> {
    read_chain_with_limits(bytes, expected_head, &ReadLimits::default())
}

/// Reads and verifies the chained file at `path`, refusing to read more than
/// `limits.max_file_bytes`. A path that is not a regular file (a directory,
/// a FIFO, a device such as `/dev/zero`) is refused before it is read, with
/// a [`ChainError::Io`] that says what it is.
pub fn read_chain_file(
    path: &Path,
    expected_head: Option<&str>,
    limits: &ReadLimits,
) -> Result<VerifiedLog, ChainError> {
    let io_error = |error: std::io::Error| ChainError::Io {
        path: path.display().to_string(),
        message: error.to_string(),
    };
    // Checked before opening: opening a FIFO blocks until someone writes
    // to it, and a device such as /dev/zero never ends.
    check_regular_file(path, &std::fs::metadata(path).map_err(io_error)?)?;
    let file = std::fs::File::open(path).map_err(io_error)?;
    let metadata = file.metadata().map_err(io_error)?;
    // Again on what was opened, in case the path changed in between.
    check_regular_file(path, &metadata)?;
    let size = metadata.len();
    if size > limits.max_file_bytes {
        return Err(ChainError::FileTooLarge {
            size,
            limit: limits.max_file_bytes,
        });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.take(limits.max_file_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io_error)?;
    read_chain_with_limits(&bytes, expected_head, limits)
}

/// Verifies the chained file in `bytes` within `limits`, checking it ends at
/// `expected_head` when given.
pub fn read_chain_with_limits(
    bytes: &[u8],
    expected_head: Option<&str>,
    limits: &ReadLimits,
) -> Result<VerifiedLog, ChainError> {
    let size = bytes.len() as u64;
    if size > limits.max_file_bytes {
        return Err(ChainError::FileTooLarge {
            size,
            limit: limits.max_file_bytes,
        });
    }
    let mut events = Vec::new();
    let mut warnings = Vec::new();
    let mut prev = GENESIS_HASH.to_owned();
    let mut rest = bytes;
    let mut line_number = 0usize;
    while !rest.is_empty() {
        line_number += 1;
        let window = &rest[..rest.len().min(limits.max_line_bytes.saturating_add(1))];
        let Some(end) = window.iter().position(|byte| *byte == b'\n') else {
            if rest.len() > limits.max_line_bytes {
                return Err(ChainError::LineTooLong {
                    line: line_number,
                    length: rest.len(),
                    limit: limits.max_line_bytes,
                });
            }
            warnings.push(ChainWarning::TornLastLine {
                line: line_number,
                length: rest.len(),
            });
            break;
        };
        let (with_newline, after) = rest.split_at(end + 1);
        rest = after;
        let line = &with_newline[..end];
        if events.len() as u64 >= limits.max_events {
            return Err(ChainError::TooManyEvents {
                line: line_number,
                limit: limits.max_events,
            });
        }
        let event = verify_line(line, line_number, events.len() as u64, &prev)?;
        prev = sha256_hex(with_newline);
        events.push(event);
    }
    let head = ChainHead {
        head_hash: prev,
        event_count: events.len() as u64,
    };
    if let Some(expected) = expected_head
        && expected != head.head_hash
    {
        return Err(ChainError::HeadMismatch {
            expected: expected.to_owned(),
            found: head.head_hash,
            event_count: head.event_count,
        });
    }
    Ok(VerifiedLog {
        events,
        head,
        warnings,
    })
}

/// Refuses anything but a regular file (symbolic links are followed).
fn check_regular_file(path: &Path, metadata: &std::fs::Metadata) -> Result<(), ChainError> {
    if metadata.is_file() {
        return Ok(());
    }
    Err(ChainError::Io {
        path: path.display().to_string(),
        message: format!(
            "it is {}, not a regular file",
            file_kind(&metadata.file_type())
        ),
    })
}

/// What kind of file `file_type` is, with its article: `a directory`.
fn file_kind(file_type: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if file_type.is_char_device() {
            return "a character device";
        }
        if file_type.is_block_device() {
            return "a block device";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    if file_type.is_dir() {
        "a directory"
    } else {
        "a special file"
    }
}

/// Parses one complete line (newline excluded) and checks its sequence
/// number and `prev`.
fn verify_line(
    line: &[u8],
    line_number: usize,
    expected_sequence: u64,
    expected_prev: &str,
) -> Result<Event, ChainError> {
    if line.is_empty() {
        return Err(ChainError::EmptyLine { line: line_number });
    }
    let text = std::str::from_utf8(line).map_err(|error| ChainError::NotUtf8 {
        line: line_number,
        column: error.valid_up_to() + 1,
    })?;
    let record: LineRecord =
        serde_json::from_str(text).map_err(|error| ChainError::InvalidEvent {
            line: line_number,
            message: within_line(&error),
        })?;
    let found = record.event.sequence();
    if found > expected_sequence {
        return Err(ChainError::SequenceGap {
            line: line_number,
            expected: expected_sequence,
            found,
        });
    }
    if found < expected_sequence {
        return Err(ChainError::SequenceOutOfOrder {
            line: line_number,
            expected: expected_sequence,
            found,
        });
    }
    let prev = record
        .prev
        .ok_or(ChainError::MissingPrev { line: line_number })?;
    if prev != expected_prev {
        return Err(ChainError::HashMismatch {
            line: line_number,
            expected: expected_prev.to_owned(),
            found: prev,
        });
    }
    Ok(record.event)
}
