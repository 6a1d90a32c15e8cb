//! JSON-RPC 2.0 over lines: one request per line in, one response per line
//! out, with every line bounded and every failure answered.

use std::io::{self, BufRead, BufReader, Read, Write};

use serde_json::Value;

use crate::error::ProtocolError;
use crate::params::json_type;
use crate::sessions::{ScenarioSource, Sessions};

/// The longest request line read, in bytes (1 MiB), newline excluded. A
/// longer line is skipped unread and answered with an error.
pub const MAX_LINE_BYTES: usize = 1024 * 1024;

/// What one serving session did, for the one-line summary on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ServeSummary {
    /// Lines answered (requests, and lines refused before they could be
    /// read as one).
    pub requests: u64,
    /// Requests refused with an error.
    pub errors: u64,
    /// Episodes still running at end of input, which were closed then.
    pub closed_at_end: usize,
}

/// Serves `sessions` over `input` and `output` until end of input, then
/// closes every open episode (completing its audit log). Only protocol
/// lines go to `output`; problems met while closing go to `diagnostics`.
///
/// Responses are flushed whenever no further request is already waiting
/// in `input`'s buffer, so a client that waits for each answer gets it at
/// once and one that sends many at a time is answered in large writes.
///
/// Fails only when reading `input` or writing `output` fails.
pub fn serve_lines<S: ScenarioSource, R: Read>(
    sessions: &mut Sessions<S>,
    input: &mut BufReader<R>,
    mut output: impl Write,
    mut diagnostics: impl Write,
) -> io::Result<ServeSummary> {
    let mut summary = ServeSummary::default();
    // Whatever happens to the pipes, every open episode is closed and its
    // audit log completed before the error is returned.
    let served = serve_until_end(sessions, input, &mut output, &mut diagnostics, &mut summary);
    let (running, problems) = sessions.close_all();
    summary.closed_at_end = running;
    for problem in problems {
        writeln!(diagnostics, "oncall-gym serve: {problem}")?;
    }
    served?;
    output.flush()?;
    Ok(summary)
}

fn serve_until_end<S: ScenarioSource, R: Read>(
    sessions: &mut Sessions<S>,
    input: &mut BufReader<R>,
    output: &mut impl Write,
    diagnostics: &mut impl Write,
    summary: &mut ServeSummary,
) -> io::Result<()> {
    let mut line = Vec::new();
    loop {
        let read = read_bounded_line(input, &mut line, MAX_LINE_BYTES)?;
        let reply = match read {
            LineRead::End => return Ok(()),
            LineRead::TooLong => Reply::answer(Answer::error(
                &Value::Null,
                &ProtocolError::LineTooLong {
                    limit: MAX_LINE_BYTES,
                },
            )),
            LineRead::Line => answer_line(sessions, &line),
        };
        if let Some(note) = reply.note {
            writeln!(diagnostics, "oncall-gym serve: {note}")?;
        }
        if let Some(answer) = reply.answer {
            summary.requests += 1;
            summary.errors += u64::from(answer.is_error);
            output.write_all(answer.text.as_bytes())?;
            output.write_all(b"\n")?;
        }
        // Never block on input while answers wait unflushed: the client may
        // be waiting for them before it sends more.
        if !input.buffer().contains(&b'\n') {
            output.flush()?;
        }
    }
}

/// Answers one line: `None` for blank lines and notifications.
pub fn handle_line<S: ScenarioSource>(sessions: &mut Sessions<S>, line: &[u8]) -> Option<String> {
    answer_line(sessions, line).answer.map(|answer| answer.text)
}

/// What one line gets: an answer on stdout, a note on stderr, or both.
struct Reply {
    answer: Option<Answer>,
    note: Option<String>,
}

impl Reply {
    fn answer(answer: Answer) -> Reply {
        Reply {
            answer: Some(answer),
            note: None,
        }
    }
}

/// The one method carried out when sent as a notification: its answer
/// would say nothing the client needs. Any other method sent without an
/// `id` would do work whose result (an episode id, a step's observation)
/// the client could never read, so it is refused with a note on stderr.
const NOTIFICATION_METHODS: [&str; 1] = ["close"];

/// A response line, and whether it is an error.
struct Answer {
    text: String,
    is_error: bool,
}

impl Answer {
    fn error(id: &Value, error: &ProtocolError) -> Answer {
        Answer {
            text: error_response(id, error),
            is_error: true,
        }
    }
}

fn answer_line<S: ScenarioSource>(sessions: &mut Sessions<S>, line: &[u8]) -> Reply {
    let text = match std::str::from_utf8(line) {
        Ok(text) => text.trim(),
        Err(error) => {
            return Reply::answer(Answer::error(
                &Value::Null,
                &ProtocolError::Parse(format!("the line is not UTF-8: {error}")),
            ));
        }
    };
    if text.is_empty() {
        return Reply {
            answer: None,
            note: None,
        };
    }
    let request: Value = match serde_json::from_str(text) {
        Ok(request) => request,
        Err(error) => {
            return Reply::answer(Answer::error(
                &Value::Null,
                &ProtocolError::Parse(error.to_string()),
            ));
        }
    };
    let Value::Object(mut request) = request else {
        let why = match request {
            Value::Array(_) => {
                "batches are not supported: send one request object per line".to_owned()
            }
            other => format!("a request is an object, not {}", json_type(&other)),
        };
        return Reply::answer(Answer::error(
            &Value::Null,
            &ProtocolError::InvalidRequest(why),
        ));
    };
    let id = request.remove("id");
    let answer_to = match &id {
        None => Value::Null,
        Some(id @ (Value::String(_) | Value::Number(_) | Value::Null)) => id.clone(),
        Some(other) => {
            return Reply::answer(Answer::error(
                &Value::Null,
                &ProtocolError::InvalidRequest(format!(
                    "`id` must be a string, a number or null, not {}",
                    json_type(other)
                )),
            ));
        }
    };
    if request.get("jsonrpc") != Some(&Value::String("2.0".to_owned())) {
        return Reply::answer(Answer::error(
            &answer_to,
            &ProtocolError::InvalidRequest("`jsonrpc` must be \"2.0\"".to_owned()),
        ));
    }
    let method = match request.remove("method") {
        Some(Value::String(method)) => method,
        Some(other) => {
            return Reply::answer(Answer::error(
                &answer_to,
                &ProtocolError::InvalidRequest(format!(
                    "`method` must be a string, not {}",
                    json_type(&other)
                )),
            ));
        }
        None => {
            return Reply::answer(Answer::error(
                &answer_to,
                &ProtocolError::InvalidRequest("`method` is missing".to_owned()),
            ));
        }
    };
    let params = request.remove("params");
    if let Some(unknown) = request.keys().find(|key| key.as_str() != "jsonrpc") {
        return Reply::answer(Answer::error(
            &answer_to,
            &ProtocolError::InvalidRequest(format!(
                "unknown member `{unknown}`: a request has jsonrpc, id, method and params"
            )),
        ));
    }
    if id.is_none() {
        if !NOTIFICATION_METHODS.contains(&method.as_str()) {
            return Reply {
                answer: None,
                note: Some(format!(
                    "a `{}` notification (no `id`) was not carried out: its result could not be read; send it with an `id`",
                    preview(&method)
                )),
            };
        }
        let note = sessions
            .call(&method, params)
            .err()
            .map(|error| format!("a `{method}` notification failed: {error}"));
        return Reply { answer: None, note };
    }
    let result = sessions.call(&method, params);
    Reply::answer(match result {
        Ok(result) => {
            let id = compact(&answer_to);
            let mut text = String::with_capacity(result.len() + id.len() + 40);
            text.push_str("{\"jsonrpc\":\"2.0\",\"id\":");
            text.push_str(&id);
            text.push_str(",\"result\":");
            text.push_str(&result);
            text.push('}');
            Answer {
                text,
                is_error: false,
            }
        }
        Err(error) => Answer::error(&answer_to, &error),
    })
}

/// `text` cut to a length fit for a one-line note.
fn preview(text: &str) -> String {
    match text.char_indices().nth(64) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

/// An error response to `id`. `data.kind` names the kind of error.
pub fn error_response(id: &Value, error: &ProtocolError) -> String {
    let response = serde_json::json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": {
            "code": error.code(),
            "message": error.to_string(),
            "data": {"kind": error.kind()},
        },
    });
    compact(&response)
}

fn compact(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

/// How reading one line went.
#[derive(Debug, PartialEq, Eq)]
enum LineRead {
    /// `line` holds the next line, without its newline.
    Line,
    /// The line was longer than the limit; it has been skipped.
    TooLong,
    /// End of input, with nothing read.
    End,
}

/// Reads the next line into `line`, keeping at most `limit` bytes of it and
/// skipping the rest of a longer one.
fn read_bounded_line(
    input: &mut impl BufRead,
    line: &mut Vec<u8>,
    limit: usize,
) -> io::Result<LineRead> {
    line.clear();
    let mut too_long = false;
    let mut read_any = false;
    loop {
        let buffered = input.fill_buf()?;
        if buffered.is_empty() {
            return Ok(match (read_any, too_long) {
                (false, _) => LineRead::End,
                (true, true) => LineRead::TooLong,
                (true, false) => LineRead::Line,
            });
        }
        read_any = true;
        let (chunk, found_newline) = match buffered.iter().position(|byte| *byte == b'\n') {
            Some(at) => (&buffered[..at], true),
            None => (buffered, false),
        };
        if !too_long {
            if line.len() + chunk.len() > limit {
                too_long = true;
                line.clear();
            } else {
                line.extend_from_slice(chunk);
            }
        }
        let used = chunk.len() + usize::from(found_newline);
        input.consume(used);
        if found_newline {
            return Ok(if too_long {
                LineRead::TooLong
            } else {
                LineRead::Line
            });
        }
    }
}
