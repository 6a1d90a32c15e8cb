//! Tests of the chained file's reader: verification, every truncation, every
//! single-byte change, the named errors and the limits.

use proptest::prelude::*;

use crate::chain::{ChainHead, FsyncPolicy, GENESIS_HASH, JsonlWriter, sha256_hex};
use crate::error::ChainError;
use crate::event::{Event, EventKind};
use crate::log::{EventSink, Log};
use crate::reader::{
    ChainWarning, ReadLimits, read_chain, read_chain_file, read_chain_with_limits,
};
use crate::test_support::sample_run;

fn write(events: &[Event]) -> (Vec<u8>, ChainHead) {
    let mut writer = JsonlWriter::new(Vec::new(), FsyncPolicy::AtClose);
    for event in events {
        writer.append(event.clone()).unwrap();
    }
    let (head, bytes) = writer.finish_into_inner().unwrap();
    (bytes, head)
}

fn sample_file() -> (Vec<u8>, ChainHead, Vec<Event>) {
    let events = sample_run();
    let (bytes, head) = write(&events);
    (bytes, head, events)
}

fn lines(bytes: &[u8]) -> Vec<Vec<u8>> {
    bytes
        .split_inclusive(|byte| *byte == b'\n')
        .map(<[u8]>::to_vec)
        .collect()
}

/// The 1-based line an error names, if it names one.
fn error_line(error: &ChainError) -> Option<usize> {
    match error {
        ChainError::TooManyEvents { line, .. }
        | ChainError::LineTooLong { line, .. }
        | ChainError::NotUtf8 { line, .. }
        | ChainError::EmptyLine { line }
        | ChainError::InvalidEvent { line, .. }
        | ChainError::MissingPrev { line }
        | ChainError::SequenceGap { line, .. }
        | ChainError::SequenceOutOfOrder { line, .. }
        | ChainError::HashMismatch { line, .. } => Some(*line),
        _ => None,
    }
}

#[test]
fn a_whole_file_verifies_with_and_without_its_head() {
    let (bytes, head, events) = sample_file();
    for expected in [None, Some(head.head_hash.as_str())] {
        let verified = read_chain(&bytes, expected).unwrap();
        assert_eq!(verified.events(), events.as_slice());
        assert_eq!(verified.head(), &head);
        assert_eq!(verified.head_hash(), head.head_hash);
        assert_eq!(verified.event_count(), events.len() as u64);
        assert!(verified.warnings().is_empty());
    }
    let log = read_chain(&bytes, None).unwrap().into_log();
    assert_eq!(log, Log::from_events(events.clone()).unwrap());
    assert_eq!(read_chain(&bytes, None).unwrap().into_events(), events);
}

#[test]
fn an_empty_file_is_an_empty_chain() {
    let verified = read_chain(b"", Some(GENESIS_HASH)).unwrap();
    assert!(verified.events().is_empty());
    assert_eq!(verified.head_hash(), GENESIS_HASH);
}

#[test]
fn every_truncation_recovers_an_exact_prefix_or_fails_on_the_head() {
    let (bytes, head, events) = sample_file();
    for cut in 0..=bytes.len() {
        let prefix = &bytes[..cut];
        let complete_lines = prefix.iter().filter(|byte| **byte == b'\n').count();
        let verified =
            read_chain(prefix, None).unwrap_or_else(|error| panic!("cut {cut}: {error}"));
        assert_eq!(verified.events(), &events[..complete_lines], "cut {cut}");
        let torn = cut > 0 && prefix[cut - 1] != b'\n';
        if torn {
            let length = cut
                - prefix
                    .iter()
                    .rposition(|b| *b == b'\n')
                    .map_or(0, |i| i + 1);
            assert_eq!(
                verified.warnings(),
                [ChainWarning::TornLastLine {
                    line: complete_lines + 1,
                    length
                }],
                "cut {cut}"
            );
        } else {
            assert!(verified.warnings().is_empty(), "cut {cut}");
        }
        let pinned = read_chain(prefix, Some(&head.head_hash));
        if cut == bytes.len() {
            assert!(pinned.is_ok());
        } else {
            let error = pinned.unwrap_err();
            assert!(
                matches!(error, ChainError::HeadMismatch { event_count, .. } if event_count == complete_lines as u64),
                "cut {cut}: {error}"
            );
        }
    }
}

#[test]
fn every_single_byte_change_is_detected() {
    let (bytes, head, events) = sample_file();
    let last_line_start = bytes[..bytes.len() - 1]
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1);
    for offset in 0..bytes.len() {
        let line = bytes[..offset].iter().filter(|b| **b == b'\n').count() + 1;
        for mask in [0x01u8, 0x20, 0x80] {
            let mut changed = bytes.clone();
            changed[offset] ^= mask;
            let pinned = read_chain(&changed, Some(&head.head_hash));
            let Err(error) = pinned else {
                panic!("offset {offset} mask {mask:#x}: change accepted");
            };
            if let Some(named) = error_line(&error) {
                assert!(
                    named == line || named == line + 1,
                    "offset {offset} (line {line}) mask {mask:#x}: error names line {named}: {error}"
                );
            }
            // Without the head, only the last line is unprotected (some
            // changes there, like `Z` to `z` in its time, even parse to the
            // same event).
            if let Ok(verified) = read_chain(&changed, None) {
                assert!(
                    offset >= last_line_start,
                    "offset {offset} mask {mask:#x}: change accepted"
                );
                assert_eq!(
                    verified.events()[..events.len() - 1],
                    events[..events.len() - 1]
                );
            }
        }
    }
}

#[test]
fn a_changed_line_is_a_hash_mismatch_on_the_next_line() {
    let (bytes, _, _) = sample_file();
    let mut lines = lines(&bytes);
    let original = lines[2].clone();
    let text = String::from_utf8(original.clone())
        .unwrap()
        .replace("look at logs", "look at LOGS");
    lines[2] = text.into_bytes();
    let error = read_chain(&lines.concat(), None).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "line 4: hash mismatch: its `prev` is {}, but the line before it hashes to {}; line 3 was changed, or the line itself was",
            sha256_hex(&original),
            sha256_hex(&lines[2])
        )
    );
}

#[test]
fn missing_and_reordered_lines_are_named() {
    let (bytes, _, _) = sample_file();
    let mut missing = lines(&bytes);
    missing.remove(4);
    let error = read_chain(&missing.concat(), None).unwrap_err();
    assert_eq!(
        error,
        ChainError::SequenceGap {
            line: 5,
            expected: 4,
            found: 5
        }
    );
    assert_eq!(
        error.to_string(),
        "line 5: sequence gap: expected sequence 4, found 5 (lines missing or reordered)"
    );

    let mut repeated = lines(&bytes);
    let copy = repeated[3].clone();
    repeated.insert(4, copy);
    let error = read_chain(&repeated.concat(), None).unwrap_err();
    assert_eq!(
        error.to_string(),
        "line 5: lines reordered or repeated: expected sequence 4, found 3"
    );

    let mut swapped = lines(&bytes);
    swapped.swap(2, 3);
    let error = read_chain(&swapped.concat(), None).unwrap_err();
    assert_eq!(
        error,
        ChainError::SequenceGap {
            line: 3,
            expected: 2,
            found: 3
        }
    );
}

#[test]
fn bad_lines_mid_file_are_refused_by_line() {
    let (bytes, _, _) = sample_file();
    let with_line = |index: usize, replacement: &[u8]| {
        let mut lines = lines(&bytes);
        lines[index] = replacement.to_vec();
        read_chain(&lines.concat(), None).unwrap_err().to_string()
    };
    // serde's "at line 1" would contradict the line named first.
    let error = with_line(2, b"{not json\n");
    assert_eq!(error, "line 3: key must be a string at column 2");
    let error = with_line(2, b"{\"v\": 1, \"seq\": 2, \"type\": nope}\n");
    assert_eq!(error, "line 3: expected ident at column 29");
    let error = with_line(1, b"\n");
    assert_eq!(error, "line 2: empty, expected an event");
    let error = with_line(1, b"{\"v\":1,\xff}\n");
    assert_eq!(error, "line 2: not valid UTF-8 (invalid byte at column 8)");
    let error = with_line(0, b"{\"v\":7}\n");
    assert!(
        error.starts_with("line 1: unsupported format version 7, expected 1"),
        "{error}"
    );
}

#[test]
fn a_wrong_head_and_a_plain_export_are_refused() {
    let (bytes, head, events) = sample_file();
    let error = read_chain(&bytes, Some(GENESIS_HASH)).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "head mismatch after {} events: expected head {GENESIS_HASH}, found {}",
            events.len(),
            head.head_hash
        )
    );
    let plain = Log::from_events(events).unwrap().to_jsonl();
    let error = read_chain(plain.as_bytes(), None).unwrap_err();
    assert_eq!(error, ChainError::MissingPrev { line: 1 });
}

#[test]
fn limits_are_enforced_and_named() {
    let (bytes, _, _) = sample_file();
    let limits = ReadLimits {
        max_line_bytes: 300,
        ..ReadLimits::default()
    };
    let error = read_chain_with_limits(&bytes, None, &limits).unwrap_err();
    assert!(
        matches!(
            error,
            ChainError::LineTooLong {
                line: 1,
                limit: 300,
                ..
            }
        ),
        "{error}"
    );
    let limits = ReadLimits {
        max_file_bytes: 100,
        ..ReadLimits::default()
    };
    let error = read_chain_with_limits(&bytes, None, &limits).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "the audit log is {} bytes, more than the limit of 100 bytes",
            bytes.len()
        )
    );
    let limits = ReadLimits {
        max_events: 3,
        ..ReadLimits::default()
    };
    let error = read_chain_with_limits(&bytes, None, &limits).unwrap_err();
    assert_eq!(
        error.to_string(),
        "line 4: the audit log holds more than the limit of 3 events"
    );
}

#[test]
fn files_are_read_within_limits() {
    let (bytes, head, events) = sample_file();
    let path =
        std::env::temp_dir().join(format!("oncall-audit-reader-{}.jsonl", std::process::id()));
    let mut writer = JsonlWriter::new(
        std::fs::File::create(&path).unwrap(),
        FsyncPolicy::EveryStep,
    );
    for event in &events {
        writer.append(event.clone()).unwrap();
    }
    assert_eq!(writer.finish().unwrap(), head);
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    let verified = read_chain_file(&path, Some(&head.head_hash), &ReadLimits::default()).unwrap();
    assert_eq!(verified.events(), events.as_slice());
    let small = ReadLimits {
        max_file_bytes: 10,
        ..ReadLimits::default()
    };
    let error = read_chain_file(&path, None, &small).unwrap_err();
    assert!(
        matches!(error, ChainError::FileTooLarge { limit: 10, .. }),
        "{error}"
    );
    std::fs::remove_file(&path).unwrap();
    let error = read_chain_file(&path, None, &ReadLimits::default()).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("could not read the audit log `"),
        "{error}"
    );
}

#[test]
fn the_default_file_cap_is_one_gibibyte() {
    // A million-event log (the benchmark's) is about 500 MB: it must fit.
    assert_eq!(ReadLimits::default().max_file_bytes, 1 << 30);
    assert!(ReadLimits::default().max_file_bytes > 600_000_000);
}

#[test]
fn paths_that_are_not_regular_files_are_refused_before_reading() {
    let directory = std::env::temp_dir();
    let error = read_chain_file(&directory, None, &ReadLimits::default()).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "could not read the audit log `{}`: it is a directory, not a regular file",
            directory.display()
        )
    );
    #[cfg(unix)]
    {
        // A character device: /dev/zero would never end.
        let error = read_chain_file(
            std::path::Path::new("/dev/zero"),
            None,
            &ReadLimits::default(),
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "could not read the audit log `/dev/zero`: it is a character device, not a regular file"
        );
    }
}

/// A FIFO would block the open until a writer came: it must be refused
/// first. std cannot make one, so the `mkfifo` program does; the read runs
/// on a thread so that a regression fails the test instead of hanging it.
#[cfg(target_os = "linux")]
#[test]
fn a_fifo_is_refused_without_waiting_for_a_writer() {
    let path = std::env::temp_dir().join(format!("oncall-audit-fifo-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let made = std::process::Command::new("mkfifo")
        .arg(&path)
        .status()
        .expect("the mkfifo program is needed for this test");
    assert!(made.success(), "mkfifo failed: {made}");
    let (sender, receiver) = std::sync::mpsc::channel();
    let reader_path = path.clone();
    std::thread::spawn(move || {
        let result = read_chain_file(&reader_path, None, &ReadLimits::default());
        let _ = sender.send(result);
    });
    let result = receiver.recv_timeout(std::time::Duration::from_secs(10));
    if result.is_err() {
        // Unblock the reader before failing.
        let _ = std::fs::OpenOptions::new().write(true).open(&path);
    }
    std::fs::remove_file(&path).unwrap();
    let error = result
        .expect("reading a FIFO blocked instead of being refused")
        .unwrap_err();
    assert!(
        error
            .to_string()
            .ends_with("`: it is a named pipe (FIFO), not a regular file"),
        "{error}"
    );
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = read_chain(&bytes, None);
        let _ = read_chain(&bytes, Some(GENESIS_HASH));
    }

    #[test]
    fn arbitrary_lines_never_panic(lines in proptest::collection::vec("[ -~]{0,80}", 0..8)) {
        let text = lines.join("\n");
        let _ = read_chain(text.as_bytes(), None);
    }

    #[test]
    fn spliced_files_never_pass_with_their_head(
        start in 0usize..4000,
        length in 1usize..64,
        insert in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        let (bytes, head, _) = sample_file();
        let start = start % bytes.len();
        let end = (start + length).min(bytes.len());
        let mut changed = bytes[..start].to_vec();
        changed.extend_from_slice(&insert);
        changed.extend_from_slice(&bytes[end..]);
        prop_assume!(changed != bytes);
        prop_assert!(read_chain(&changed, Some(&head.head_hash)).is_err());
    }
}

proptest! {
    #[test]
    fn any_text_round_trips_through_every_form(
        reason in "\\PC{0,40}",
        note in any::<String>(),
        number in any::<f64>().prop_filter("finite", |n| n.is_finite()),
        step in proptest::option::of(any::<u32>()),
    ) {
        let template = &sample_run()[0];
        let kinds = [
            EventKind::StepFailed { reason },
            EventKind::EvaluationRecorded { evaluation: serde_json::json!({"note": note, "score": number}) },
        ];
        let events: Vec<Event> = kinds
            .into_iter()
            .enumerate()
            .map(|(index, kind)| {
                Event::new(template.id(), index as u64, template.run_id(), step, template.timestamp(), kind)
            })
            .collect();
        let log = Log::from_events(events.clone()).unwrap();
        prop_assert_eq!(&Log::from_jsonl(&log.to_jsonl()).unwrap(), &log);
        prop_assert_eq!(&Log::from_json_array(&log.to_json_array()).unwrap(), &log);
        let (bytes, head) = write(&events);
        let verified = read_chain(&bytes, Some(&head.head_hash)).unwrap();
        prop_assert_eq!(verified.events(), events.as_slice());
    }
}
