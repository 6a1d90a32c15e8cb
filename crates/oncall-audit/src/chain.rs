//! The file form of a log: JSON Lines with a hash chain, and its writer.
//!
//! Each line is one event in the form of [`crate::event_serde`], with one
//! more field, `prev`, right after `seq`:
//!
//! ```text
//! {"v":1,"seq":0,"prev":"0000…0000","id":…,"payload":{…}}\n
//! {"v":1,"seq":1,"prev":"<sha256 of line 1, newline included>",…}\n
//! ```
//!
//! - `prev` is the lowercase hex SHA-256 of the previous line's exact bytes
//!   **including its terminating `\n`**, as written (never a re-serialised
//!   struct). The first line's `prev` is [`GENESIS_HASH`], 64 zeros.
//! - The **head hash** is the SHA-256 of the last line, newline included (or
//!   [`GENESIS_HASH`] for an empty log). Every byte of the file is covered by
//!   the chain except the last line, which only the head covers: a chain
//!   alone cannot see a cut-off or changed end, so the writer reports the
//!   head at close ([`ChainHead`]) for a summary elsewhere to pin, and the
//!   reader checks it when given.
//!
//! The reader is in [`crate::reader`].

use std::io::{self, BufWriter, Write};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::AuditError;
use crate::event::Event;
use crate::event_serde::ChainedLine;
use crate::log::EventSink;

/// The `prev` of the first line: 64 zeros.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// When the [`JsonlWriter`] forces its data to disk with
/// [`SyncData::sync_data`]. Whatever the policy, [`JsonlWriter::finish`]
/// flushes and syncs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FsyncPolicy {
    /// After every event: safest, slowest.
    EveryEvent,
    /// At every [`EventSink::end_of_step`].
    EveryStep,
    /// Only at [`JsonlWriter::finish`]: fastest.
    AtClose,
}

/// Where a finished chain ends: the head hash and the number of events. A
/// run summary stores it so that [`read_chain`](crate::read_chain) can
/// detect a cut-off or changed end.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainHead {
    /// The lowercase hex SHA-256 of the last line, newline included, or
    /// [`GENESIS_HASH`] when there are no events.
    pub head_hash: String,
    /// How many events were written.
    pub event_count: u64,
}

/// Forcing written data to durable storage, for the writer's
/// [`FsyncPolicy`]. Implemented as `sync_data` for [`std::fs::File`] and as a
/// no-op for in-memory writers (`Vec<u8>`, [`io::Cursor`], [`io::Sink`]), and
/// through a [`BufWriter`] (flushing it first), `&mut` and `Box`.
/// Implement it for any other writer the [`JsonlWriter`] should wrap.
pub trait SyncData {
    /// Forces the data written so far to durable storage.
    fn sync_data(&mut self) -> io::Result<()>;
}

impl SyncData for std::fs::File {
    fn sync_data(&mut self) -> io::Result<()> {
        std::fs::File::sync_data(self)
    }
}

impl SyncData for Vec<u8> {
    fn sync_data(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<T> SyncData for io::Cursor<T> {
    fn sync_data(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl SyncData for io::Sink {
    fn sync_data(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Flushes the buffer, then syncs the writer inside.
impl<W: Write + SyncData> SyncData for BufWriter<W> {
    fn sync_data(&mut self) -> io::Result<()> {
        self.flush()?;
        self.get_mut().sync_data()
    }
}

impl<S: SyncData + ?Sized> SyncData for &mut S {
    fn sync_data(&mut self) -> io::Result<()> {
        (**self).sync_data()
    }
}

impl<S: SyncData + ?Sized> SyncData for Box<S> {
    fn sync_data(&mut self) -> io::Result<()> {
        (**self).sync_data()
    }
}

/// Writes events as hash-chained JSON Lines, buffered (64 KiB), syncing by
/// its [`FsyncPolicy`].
///
/// Every I/O error is returned, never swallowed. After one, the writer
/// refuses further events with [`AuditError::WriterFailed`], since the file
/// may end in a partial line (which the reader will drop as torn).
/// Call [`finish`](JsonlWriter::finish) to flush, sync and learn the
/// [`ChainHead`]: dropping the writer without it flushes on a best-effort
/// basis and loses any error.
pub struct JsonlWriter<W: Write> {
    output: BufWriter<W>,
    policy: FsyncPolicy,
    line: Vec<u8>,
    prev: String,
    event_count: u64,
    failure: Option<String>,
}

/// Shows the chain's state, not the writer (which need not be `Debug`).
impl<W: Write> std::fmt::Debug for JsonlWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonlWriter")
            .field("policy", &self.policy)
            .field("prev", &self.prev)
            .field("event_count", &self.event_count)
            .field("failure", &self.failure)
            .finish_non_exhaustive()
    }
}

impl<W: Write + SyncData> JsonlWriter<W> {
    /// A writer starting a new chain at the start of `writer`.
    pub fn new(writer: W, policy: FsyncPolicy) -> JsonlWriter<W> {
        JsonlWriter::continuing(
            writer,
            policy,
            ChainHead {
                head_hash: GENESIS_HASH.to_owned(),
                event_count: 0,
            },
        )
    }

    /// A writer that continues a chain whose head is `head`, e.g. appending
    /// to a file that [`read_chain`](crate::read_chain) verified; `writer`
    /// must be positioned at the file's end.
    pub fn continuing(writer: W, policy: FsyncPolicy, head: ChainHead) -> JsonlWriter<W> {
        JsonlWriter {
            output: BufWriter::with_capacity(64 * 1024, writer),
            policy,
            line: Vec::with_capacity(1024),
            prev: head.head_hash,
            event_count: head.event_count,
            failure: None,
        }
    }

    /// The chain's head so far: the hash of the last line written, and the
    /// count.
    pub fn head(&self) -> ChainHead {
        ChainHead {
            head_hash: self.prev.clone(),
            event_count: self.event_count,
        }
    }

    /// Flushes the buffer to the writer (without syncing).
    pub fn flush(&mut self) -> Result<(), AuditError> {
        self.check_not_failed()?;
        let result = self.output.flush();
        self.record("flush", result)
    }

    /// Flushes and syncs, then returns the [`ChainHead`] for a summary to
    /// pin.
    pub fn finish(self) -> Result<ChainHead, AuditError> {
        self.finish_into_inner().map(|(head, _)| head)
    }

    /// Like [`finish`](JsonlWriter::finish), also handing back the writer
    /// (e.g. the `Vec<u8>` that holds the file).
    pub fn finish_into_inner(mut self) -> Result<(ChainHead, W), AuditError> {
        self.sync()?;
        let head = self.head();
        let writer = self.output.into_inner().map_err(|error| AuditError::Io {
            operation: "flush",
            source: error.into_error(),
        })?;
        Ok((head, writer))
    }

    fn sync(&mut self) -> Result<(), AuditError> {
        self.flush()?;
        let result = self.output.get_mut().sync_data();
        self.record("sync", result)
    }

    fn check_not_failed(&self) -> Result<(), AuditError> {
        match &self.failure {
            Some(first_error) => Err(AuditError::WriterFailed {
                first_error: first_error.clone(),
            }),
            None => Ok(()),
        }
    }

    fn record(
        &mut self,
        operation: &'static str,
        result: io::Result<()>,
    ) -> Result<(), AuditError> {
        result.map_err(|source| {
            let error = AuditError::Io { operation, source };
            self.failure = Some(error.to_string());
            error
        })
    }
}

impl<W: Write + SyncData> EventSink for JsonlWriter<W> {
    fn append(&mut self, event: Event) -> Result<(), AuditError> {
        self.append_ref(&event)
    }

    fn next_sequence(&self) -> u64 {
        self.event_count
    }

    fn end_of_step(&mut self) -> Result<(), AuditError> {
        if self.policy == FsyncPolicy::EveryStep {
            self.sync()?;
        }
        Ok(())
    }
}

impl<W: Write + SyncData> JsonlWriter<W> {
    /// [`EventSink::append`] for an event the caller keeps: writes the same
    /// line without taking (or cloning) the event.
    pub fn append_ref(&mut self, event: &Event) -> Result<(), AuditError> {
        self.check_not_failed()?;
        let expected = self.event_count;
        if event.sequence() != expected {
            return Err(AuditError::SequenceMismatch {
                expected,
                found: event.sequence(),
            });
        }
        self.line.clear();
        let chained = ChainedLine {
            prev: &self.prev,
            event,
        };
        serde_json::to_writer(&mut self.line, &chained).map_err(|error| AuditError::Serialize {
            sequence: event.sequence(),
            message: error.to_string(),
        })?;
        self.line.push(b'\n');
        let result = self.output.write_all(&self.line);
        self.record("write", result)?;
        self.prev = sha256_hex(&self.line);
        self.event_count += 1;
        if self.policy == FsyncPolicy::EveryEvent {
            self.sync()?;
        }
        Ok(())
    }
}

/// The lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(bytes);
    let mut hex = String::with_capacity(64);
    for byte in digest {
        hex.push(char::from(DIGITS[usize::from(byte >> 4)]));
        hex.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::sample_run;

    /// A writer that fails after `budget` bytes, and counts syncs.
    #[derive(Debug, Default)]
    struct Failing {
        written: Vec<u8>,
        budget: usize,
        syncs: usize,
    }

    impl Write for Failing {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            if self.written.len() + bytes.len() > self.budget {
                return Err(io::Error::other("disk full"));
            }
            self.written.extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl SyncData for Failing {
        fn sync_data(&mut self) -> io::Result<()> {
            self.syncs += 1;
            Ok(())
        }
    }

    fn write_all(events: &[Event], policy: FsyncPolicy) -> (ChainHead, Vec<u8>) {
        let mut writer = JsonlWriter::new(Vec::new(), policy);
        for event in events {
            writer.append(event.clone()).unwrap();
        }
        writer.finish_into_inner().unwrap()
    }

    #[test]
    fn sha256_hex_is_the_standard_digest() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(GENESIS_HASH.len(), 64);
    }

    #[test]
    fn each_line_chains_to_the_hash_of_the_previous_line() {
        let events = sample_run();
        let (head, bytes) = write_all(&events, FsyncPolicy::AtClose);
        let lines: Vec<&[u8]> = bytes.split_inclusive(|b| *b == b'\n').collect();
        assert_eq!(lines.len(), events.len());
        let mut prev = GENESIS_HASH.to_owned();
        for (index, line) in lines.iter().enumerate() {
            let value: serde_json::Value = serde_json::from_slice(line).unwrap();
            assert_eq!(value["seq"], index as u64);
            assert_eq!(value["prev"], prev.as_str());
            let keys: Vec<&String> = value.as_object().unwrap().keys().collect();
            assert_eq!(
                keys,
                [
                    "v", "seq", "prev", "id", "run_id", "step", "at", "type", "payload"
                ]
            );
            prev = sha256_hex(line);
        }
        assert_eq!(head.head_hash, prev);
        assert_eq!(head.event_count, events.len() as u64);
    }

    #[test]
    fn the_writer_checks_sequence_numbers() {
        let events = sample_run();
        let mut writer = JsonlWriter::new(Vec::new(), FsyncPolicy::AtClose);
        let error = writer.append(events[1].clone()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "event has sequence number 1, expected 0 (the next one)"
        );
        writer.append(events[0].clone()).unwrap();
        assert_eq!(writer.next_sequence(), 1);
        assert_eq!(writer.head().event_count, 1);
    }

    #[test]
    fn an_empty_chain_ends_at_genesis() {
        let (head, bytes) = write_all(&[], FsyncPolicy::AtClose);
        assert!(bytes.is_empty());
        assert_eq!(head.head_hash, GENESIS_HASH);
        assert_eq!(head.event_count, 0);
    }

    #[test]
    fn fsync_policies_sync_when_they_say() {
        let events = sample_run();
        let steps = events
            .iter()
            .filter(|e| e.kind().name().starts_with("step_c"))
            .count();
        for (policy, expected_syncs) in [
            (FsyncPolicy::EveryEvent, events.len() + 1),
            (FsyncPolicy::EveryStep, steps + 1),
            (FsyncPolicy::AtClose, 1),
        ] {
            let mut writer = JsonlWriter::new(
                Failing {
                    budget: usize::MAX,
                    ..Failing::default()
                },
                policy,
            );
            for event in &events {
                let ends_step = event.kind().name().starts_with("step_c");
                writer.append(event.clone()).unwrap();
                if ends_step {
                    writer.end_of_step().unwrap();
                }
            }
            let (_, inner) = writer.finish_into_inner().unwrap();
            assert_eq!(inner.syncs, expected_syncs, "{policy:?}");
        }
    }

    #[test]
    fn io_errors_are_reported_and_stop_the_writer() {
        let events = sample_run();
        let mut writer = JsonlWriter::new(
            Failing {
                budget: 100,
                ..Failing::default()
            },
            FsyncPolicy::EveryEvent,
        );
        let error = writer.append(events[0].clone()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "could not flush the audit log: disk full"
        );
        let error = writer.append(events[1].clone()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "the audit log writer failed earlier (could not flush the audit log: disk full) and accepts no more events"
        );
        assert!(writer.finish().is_err());

        // Buffered: the error shows at close.
        let mut writer = JsonlWriter::new(
            Failing {
                budget: 100,
                ..Failing::default()
            },
            FsyncPolicy::AtClose,
        );
        writer.append(events[0].clone()).unwrap();
        let error = writer.finish().unwrap_err();
        assert!(error.to_string().contains("disk full"), "{error}");
    }

    #[test]
    fn a_continued_chain_equals_one_written_in_one_go() {
        let events = sample_run();
        let (whole_head, whole) = write_all(&events, FsyncPolicy::AtClose);
        let (first_head, mut bytes) = write_all(&events[..5], FsyncPolicy::AtClose);
        let mut writer = JsonlWriter::continuing(&mut bytes, FsyncPolicy::AtClose, first_head);
        for event in &events[5..] {
            writer.append(event.clone()).unwrap();
        }
        assert_eq!(writer.finish().unwrap(), whole_head);
        assert_eq!(bytes, whole);
    }

    #[test]
    fn a_chained_file_snapshot() {
        let (head, bytes) = write_all(&sample_run()[..3], FsyncPolicy::AtClose);
        let text = String::from_utf8(bytes).unwrap();
        insta::assert_json_snapshot!(
            "chained_file_first_three_lines",
            (text.lines().collect::<Vec<_>>(), head)
        );
    }
}
