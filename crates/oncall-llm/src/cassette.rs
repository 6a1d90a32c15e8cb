//! Cassettes: model calls recorded once and replayed without the network,
//! so an LLM run can be repeated byte for byte in CI.
//!
//! A cassette is a JSON Lines file. The first line is `{"oncall_gym_cassette":
//! 1}`; each further line is one model call:
//!
//! ```text
//! {"key":"<64 hex>","step":3,"request":{...the body sent...},"outcome":{"status":200,"attempts":1,"body":"...the reply..."}}
//! ```
//!
//! `key` is the SHA-256 of the canonical request (the endpoint's path, the
//! body with its object keys sorted) together with the run's seed, so two
//! trials that happen to send the same first request each get their own
//! recorded reply. `outcome` is the final answer after any retries: a
//! status and body, or `{"failure": "...", "attempts": N}` when no answer
//! came. Headers are never recorded, so neither is an API key.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error::LlmError;

/// The most bytes a cassette file may hold.
pub const MAX_CASSETTE_BYTES: u64 = 512 * 1024 * 1024;

/// The most bytes one line of a cassette may hold.
pub const MAX_CASSETTE_LINE_BYTES: usize = 32 * 1024 * 1024;

/// The final outcome of one model call, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged, deny_unknown_fields)]
pub enum RecordedOutcome {
    /// An HTTP answer.
    Answer {
        /// Its status.
        status: u16,
        /// How many attempts it took.
        attempts: u32,
        /// Its body.
        body: String,
    },
    /// No answer, after every retry.
    Failure {
        /// The last failure.
        failure: String,
        /// How many attempts were made.
        attempts: u32,
    },
}

/// A cassette open for recording or for replay. Shared by the runs of an
/// evaluation.
#[derive(Debug)]
pub struct Cassette {
    path: PathBuf,
    mode: Mode,
}

#[derive(Debug)]
enum Mode {
    Replay(HashMap<String, RecordedOutcome>),
    Record(Mutex<BufWriter<File>>),
}

/// One line, as written and read.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    key: String,
    step: u32,
    request: Value,
    outcome: RecordedOutcome,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    oncall_gym_cassette: u32,
}

impl Cassette {
    /// Creates (or empties) `path` to record into.
    pub fn record(path: &Path) -> Result<Cassette, LlmError> {
        let error = |message: String| LlmError::Cassette {
            path: path.to_owned(),
            message,
        };
        let file = File::create(path).map_err(|e| error(format!("could not create it: {e}")))?;
        let mut writer = BufWriter::new(file);
        let header = serde_json::to_string(&Header {
            oncall_gym_cassette: 1,
        })
        .map_err(|e| error(e.to_string()))?;
        writeln!(writer, "{header}")
            .and_then(|()| writer.flush())
            .map_err(|e| error(format!("could not write it: {e}")))?;
        Ok(Cassette {
            path: path.to_owned(),
            mode: Mode::Record(Mutex::new(writer)),
        })
    }

    /// Opens `path` to replay, reading every call it holds.
    pub fn replay(path: &Path) -> Result<Cassette, LlmError> {
        let error = |message: String| LlmError::Cassette {
            path: path.to_owned(),
            message,
        };
        let file = File::open(path).map_err(|e| error(format!("could not open it: {e}")))?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        if size > MAX_CASSETTE_BYTES {
            return Err(error(format!(
                "it is {size} bytes, more than the {MAX_CASSETTE_BYTES} a cassette may hold"
            )));
        }
        let mut reader = BufReader::new(file.take(MAX_CASSETTE_BYTES + 1));
        let mut calls = HashMap::new();
        let mut line = String::new();
        let mut number = 0usize;
        loop {
            line.clear();
            let read = (&mut reader)
                .take(MAX_CASSETTE_LINE_BYTES as u64 + 1)
                .read_line(&mut line)
                .map_err(|e| error(format!("line {}: could not read it: {e}", number + 1)))?;
            if read == 0 {
                break;
            }
            number += 1;
            if line.len() > MAX_CASSETTE_LINE_BYTES {
                return Err(error(format!(
                    "line {number} is longer than {MAX_CASSETTE_LINE_BYTES} bytes"
                )));
            }
            let text = line.trim_end_matches(['\n', '\r']);
            if number == 1 {
                let header: Header = serde_json::from_str(text).map_err(|e| {
                    error(format!(
                        "line 1 is not a cassette header ({{\"oncall_gym_cassette\": 1}}): {e}"
                    ))
                })?;
                if header.oncall_gym_cassette != 1 {
                    return Err(error(format!(
                        "line 1: cassette format {} is not supported (only 1)",
                        header.oncall_gym_cassette
                    )));
                }
                continue;
            }
            if text.trim().is_empty() {
                continue;
            }
            let entry: Entry =
                serde_json::from_str(text).map_err(|e| error(format!("line {number}: {e}")))?;
            calls.entry(entry.key).or_insert(entry.outcome);
        }
        if number == 0 {
            return Err(error("it is empty: no cassette header".to_owned()));
        }
        Ok(Cassette {
            path: path.to_owned(),
            mode: Mode::Replay(calls),
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether it records (rather than replays).
    pub fn is_recording(&self) -> bool {
        matches!(self.mode, Mode::Record(_))
    }

    /// The recorded outcome of the request with `key`, replaying; a
    /// [`LlmError::CassetteMiss`] naming `step` when there is none.
    pub fn lookup(&self, key: &str, step: u32) -> Result<RecordedOutcome, LlmError> {
        match &self.mode {
            Mode::Replay(calls) => calls
                .get(key)
                .cloned()
                .ok_or_else(|| LlmError::CassetteMiss {
                    path: self.path.clone(),
                    step,
                    key: key.chars().take(12).collect(),
                }),
            Mode::Record(_) => Err(LlmError::Cassette {
                path: self.path.clone(),
                message: "it is open for recording, not replay".to_owned(),
            }),
        }
    }

    /// Appends one call, recording (flushed at once, so a crash keeps
    /// every call made before it). Replaying, does nothing.
    pub fn store(
        &self,
        key: &str,
        step: u32,
        request: &Value,
        outcome: &RecordedOutcome,
    ) -> Result<(), LlmError> {
        let Mode::Record(writer) = &self.mode else {
            return Ok(());
        };
        let error = |message: String| LlmError::Cassette {
            path: self.path.clone(),
            message,
        };
        let entry = Entry {
            key: key.to_owned(),
            step,
            request: request.clone(),
            outcome: outcome.clone(),
        };
        let line = serde_json::to_string(&entry).map_err(|e| error(e.to_string()))?;
        let mut writer = match writer.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        writeln!(writer, "{line}")
            .and_then(|()| writer.flush())
            .map_err(|e| error(format!("could not write it: {e}")))
    }
}

/// The key of a request: SHA-256, in hex, of the endpoint path, the run's
/// seed and the body in canonical form (object keys sorted, no spaces).
pub fn request_key(endpoint_path: &str, run_seed: u64, body: &Value) -> String {
    let mut hasher = Sha256::new();
    hasher.update(endpoint_path.as_bytes());
    hasher.update(b"\n");
    hasher.update(run_seed.to_string().as_bytes());
    hasher.update(b"\n");
    hasher.update(canonical(body).as_bytes());
    hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// `value` as JSON text with every object's keys sorted.
pub fn canonical(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(fields) => {
            let mut keys: Vec<&String> = fields.keys().collect();
            keys.sort();
            out.push('{');
            for (index, key) in keys.into_iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                if let Some(field) = fields.get(key) {
                    write_canonical(field, out);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("oncall-llm-cassette-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join(name)
    }

    #[test]
    fn keys_ignore_key_order_but_not_content_or_seed() {
        let a = json!({"model": "m", "messages": [{"role": "user", "content": "x"}]});
        let b = json!({"messages": [{"content": "x", "role": "user"}], "model": "m"});
        assert_eq!(request_key("/p", 1, &a), request_key("/p", 1, &b));
        assert_ne!(request_key("/p", 1, &a), request_key("/p", 2, &a));
        assert_ne!(request_key("/q", 1, &a), request_key("/p", 1, &a));
        let c = json!({"model": "m", "messages": [{"role": "user", "content": "y"}]});
        assert_ne!(request_key("/p", 1, &a), request_key("/p", 1, &c));
        assert_eq!(
            canonical(&b),
            r#"{"messages":[{"content":"x","role":"user"}],"model":"m"}"#
        );
    }

    #[test]
    fn what_is_recorded_replays_and_a_miss_names_the_step() {
        let path = temp("round-trip.jsonl");
        let recording = Cassette::record(&path).unwrap();
        let answer = RecordedOutcome::Answer {
            status: 200,
            attempts: 2,
            body: "{\"ok\":true}".to_owned(),
        };
        let failure = RecordedOutcome::Failure {
            failure: "timed out".to_owned(),
            attempts: 6,
        };
        recording.store("k1", 1, &json!({"a": 1}), &answer).unwrap();
        recording
            .store("k2", 2, &json!({"a": 2}), &failure)
            .unwrap();
        drop(recording);
        let replay = Cassette::replay(&path).unwrap();
        assert!(!replay.is_recording());
        assert_eq!(replay.lookup("k1", 1).unwrap(), answer);
        assert_eq!(replay.lookup("k2", 2).unwrap(), failure);
        let miss = replay
            .lookup("0123456789abcdef", 7)
            .unwrap_err()
            .to_string();
        assert!(
            miss.contains("step 7") && miss.contains("0123456789ab"),
            "{miss}"
        );
    }

    #[test]
    fn bad_cassettes_are_refused_naming_the_line() {
        let path = temp("bad.jsonl");
        std::fs::write(&path, "").unwrap();
        assert!(
            Cassette::replay(&path)
                .unwrap_err()
                .to_string()
                .contains("empty")
        );
        std::fs::write(&path, "{\"oncall_gym_cassette\":2}\n").unwrap();
        assert!(
            Cassette::replay(&path)
                .unwrap_err()
                .to_string()
                .contains("format 2")
        );
        std::fs::write(&path, "{\"oncall_gym_cassette\":1}\n{\"key\":\"k\"}\n").unwrap();
        let error = Cassette::replay(&path).unwrap_err().to_string();
        assert!(error.contains("line 2"), "{error}");
        std::fs::write(&path, "not json\n").unwrap();
        assert!(
            Cassette::replay(&path)
                .unwrap_err()
                .to_string()
                .contains("line 1")
        );
        let missing = temp("missing.jsonl");
        assert!(
            Cassette::replay(&missing)
                .unwrap_err()
                .to_string()
                .contains("could not open")
        );
    }
}
