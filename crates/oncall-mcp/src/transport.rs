//! [`LineTransport`]: MCP's stdio transport (one JSON-RPC message per
//! line), with a cap on a message's size and a JSON-RPC error for every line
//! that is not a message, so that a client always hears why.
//!
//! rmcp's own stdio transport drops unparsable lines silently and answers
//! other bad ones with an id-less error; JSON-RPC 2.0 asks for a parse error
//! with `"id": null`, and a client waiting on a request it sent deserves an
//! answer carrying that request's id. This transport gives both:
//!
//! | the line                                  | the answer                          |
//! |-------------------------------------------|-------------------------------------|
//! | not JSON                                  | -32700, `id: null`                  |
//! | a JSON array (a batch; MCP has none)      | -32600, `id: null`                  |
//! | JSON but not a JSON-RPC 2.0 message       | -32600, with its id when it has one |
//! | a request whose params do not fit         | -32602, with its id                 |
//! | more than [`MAX_MESSAGE_BYTES`]           | -32600, with its id when its first  |
//! |                                           | 64 KiB or last 512 bytes show one,  |
//! |                                           | else `id: null` (a cut line cannot  |
//! |                                           | be told from a request)             |
//! | a notification whose params do not fit    | nothing (notifications get no reply)|
//! | a response from the client                | nothing (never answer an answer)    |
//! | a notification or response before the     | nothing (rmcp would end the session)|
//! | request that opens the session            |                                     |
//!
//! Reading is cancel-safe (rmcp polls `receive` inside a `select!`): a
//! partial line and an error waiting to go out live in the transport, never
//! in a dropped future. Everything written goes through one writer task, so
//! answers and errors never interleave within a line.

use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rmcp::RoleServer;
use rmcp::model::{ClientJsonRpcMessage, ClientRequest, GetMeta, ProtocolVersion};
use rmcp::service::TxJsonRpcMessage;
use rmcp::transport::Transport;
use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// The largest message the server reads, in bytes (1 MiB, as the gym
/// protocol's). A longer line is refused with a JSON-RPC error and skipped.
pub const MAX_MESSAGE_BYTES: usize = 1024 * 1024;

/// How much of an oversized line is kept, to find its request id.
const OVERSIZED_PREFIX_BYTES: usize = 64 * 1024;

/// How many answers may wait for the writer before `send` waits.
const OUTBOX_CAPACITY: usize = 64;

/// JSON-RPC 2.0's error codes.
const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;
const INVALID_PARAMS: i64 = -32602;

/// What the transport saw, for the server's summary.
#[derive(Debug, Default)]
pub(crate) struct TransportCounters {
    /// Messages read and passed on.
    pub(crate) messages: AtomicU64,
    /// Lines refused with a JSON-RPC error (or ignored, for notifications).
    pub(crate) refused: AtomicU64,
}

/// The stdio transport: lines in from `R`, lines out to `W` through one
/// writer task.
#[derive(Debug)]
pub(crate) struct LineTransport<R> {
    reader: BufReader<R>,
    max_bytes: usize,
    /// The line read so far (at most `max_bytes`, or the prefix of an
    /// oversized one).
    line: Vec<u8>,
    /// Whether the line being read has gone over `max_bytes`.
    oversized: bool,
    /// The last bytes of an oversized line (where a client that writes
    /// `id` last puts it).
    tail: Vec<u8>,
    /// Whether a request has been passed on: before the first, rmcp ends
    /// the session on anything but a request, so stray notifications and
    /// responses are dropped here.
    seen_request: bool,
    /// An error answer waiting for room in the outbox.
    pending: Option<Vec<u8>>,
    outbox: Option<mpsc::Sender<Vec<u8>>>,
    counters: Arc<TransportCounters>,
}

/// Starts the writer task for `write`: every line sent to the returned
/// outbox is written whole and flushed, in order, until every sender is
/// gone. Must be called inside a tokio runtime.
pub(crate) fn spawn_writer<W: AsyncWrite + Unpin + Send + 'static>(
    write: W,
) -> (mpsc::Sender<Vec<u8>>, JoinHandle<()>) {
    let (outbox, inbox) = mpsc::channel(OUTBOX_CAPACITY);
    (outbox, tokio::spawn(write_lines(write, inbox)))
}

impl<R: AsyncRead + Unpin + Send + 'static> LineTransport<R> {
    /// A transport reading `read` and answering through `outbox` (see
    /// [`spawn_writer`]), with messages capped at `max_bytes`.
    pub(crate) fn new(
        read: R,
        outbox: mpsc::Sender<Vec<u8>>,
        max_bytes: usize,
        counters: Arc<TransportCounters>,
    ) -> LineTransport<R> {
        LineTransport {
            reader: BufReader::with_capacity(64 * 1024, read),
            max_bytes,
            line: Vec::new(),
            oversized: false,
            tail: Vec::new(),
            seen_request: false,
            pending: None,
            outbox: Some(outbox),
            counters,
        }
    }

    /// Reads up to the end of the next line into `self.line`. `Ok(true)` for
    /// a line, `Ok(false)` at the end of input. Cancel-safe: bytes are
    /// consumed from the reader only once they are in `self.line`.
    async fn read_line(&mut self) -> std::io::Result<bool> {
        loop {
            let available = self.reader.fill_buf().await?;
            if available.is_empty() {
                return Ok(false);
            }
            let (chunk, complete) = match available.iter().position(|&byte| byte == b'\n') {
                Some(end) => (&available[..end], true),
                None => (available, false),
            };
            let used = chunk.len() + usize::from(complete);
            if !self.oversized && self.line.len() + chunk.len() > self.max_bytes {
                self.oversized = true;
                keep_tail(&mut self.tail, &self.line);
                self.line.truncate(OVERSIZED_PREFIX_BYTES);
            }
            if self.oversized {
                let room = OVERSIZED_PREFIX_BYTES.saturating_sub(self.line.len());
                self.line.extend_from_slice(&chunk[..chunk.len().min(room)]);
                keep_tail(&mut self.tail, chunk);
            } else {
                self.line.extend_from_slice(chunk);
            }
            self.reader.consume(used);
            if complete {
                return Ok(true);
            }
        }
    }

    /// What to do with the line just read.
    fn judge_line(&mut self) -> Verdict {
        let oversized = std::mem::take(&mut self.oversized);
        let line = std::mem::take(&mut self.line);
        let tail = std::mem::take(&mut self.tail);
        let verdict = if oversized {
            judge_oversized(&line, &tail, self.max_bytes)
        } else {
            judge(&line)
        };
        match verdict {
            Verdict::Message(message) if !self.seen_request => match &*message {
                ClientJsonRpcMessage::Request(request) => {
                    self.seen_request = opens_session(&request.request);
                    Verdict::Message(message)
                }
                _ => Verdict::Ignore,
            },
            other => other,
        }
    }
}

impl<R: AsyncRead + Unpin + Send + 'static> Transport<RoleServer> for LineTransport<R> {
    type Error = std::io::Error;

    fn send(
        &mut self,
        item: TxJsonRpcMessage<RoleServer>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        let outbox = self.outbox.clone();
        async move {
            let mut line = serde_json::to_vec(&item).map_err(std::io::Error::other)?;
            line.push(b'\n');
            match outbox {
                Some(outbox) => outbox.send(line).await.map_err(|_| closed()),
                None => Err(closed()),
            }
        }
    }

    async fn receive(&mut self) -> Option<ClientJsonRpcMessage> {
        loop {
            // The client closed our stdout: nothing it asks could be
            // answered, so the session ends (and the episode with it).
            if self.outbox.as_ref().is_none_or(mpsc::Sender::is_closed) {
                return None;
            }
            if let Some(outbox) = &self.outbox
                && self.pending.is_some()
            {
                let permit = outbox.reserve().await.ok()?;
                if let Some(line) = self.pending.take() {
                    permit.send(line);
                }
            }
            match self.read_line().await {
                Ok(true) => {}
                Ok(false) | Err(_) => return None,
            }
            match self.judge_line() {
                Verdict::Message(message) => {
                    self.counters.messages.fetch_add(1, Ordering::Relaxed);
                    return Some(*message);
                }
                Verdict::Refuse(answer) => {
                    self.counters.refused.fetch_add(1, Ordering::Relaxed);
                    self.pending = Some(answer);
                }
                Verdict::Ignore => {
                    self.counters.refused.fetch_add(1, Ordering::Relaxed);
                }
                Verdict::Skip => {}
            }
        }
    }

    async fn close(&mut self) -> Result<(), Self::Error> {
        // Dropping this sender lets the writer drain what is queued, flush
        // and stop once answers still being sent have gone too; `serve`
        // waits for it, for a bounded time.
        self.outbox = None;
        Ok(())
    }
}

/// What one line comes to.
#[derive(Debug)]
enum Verdict {
    /// A message for the server.
    Message(Box<ClientJsonRpcMessage>),
    /// A line to answer with this JSON-RPC error.
    Refuse(Vec<u8>),
    /// A bad notification: no answer, as JSON-RPC says.
    Ignore,
    /// A blank line.
    Skip,
}

/// Whether `request` starts a session in rmcp: `initialize`, or a request
/// that carries the 2026-07-28 metadata that stands in for it. Before one,
/// rmcp answers `ping`, `discover` and requests it refuses, and ends the
/// session on anything that is not a request.
fn opens_session(request: &ClientRequest) -> bool {
    match request {
        ClientRequest::InitializeRequest(_) => true,
        ClientRequest::PingRequest(_) | ClientRequest::DiscoverRequest(_) => false,
        other => other
            .get_meta()
            .missing_required_keys(&ProtocolVersion::V_2026_07_28)
            .is_empty(),
    }
}

/// How many bytes of an oversized line's end are kept.
const OVERSIZED_TAIL_BYTES: usize = 512;

/// Keeps the last [`OVERSIZED_TAIL_BYTES`] of what has been read.
fn keep_tail(tail: &mut Vec<u8>, chunk: &[u8]) {
    tail.extend_from_slice(&chunk[chunk.len().saturating_sub(OVERSIZED_TAIL_BYTES)..]);
    let excess = tail.len().saturating_sub(OVERSIZED_TAIL_BYTES);
    tail.drain(..excess);
}

/// Judges a line over the cap from its first bytes and its last: an error
/// with the request's id when either shows it (clients write `id` first or
/// last), with `id: null` otherwise. Even a line that looks like a
/// notification is answered: cut short, it cannot be told from a request
/// whose `id` comes last, and a client waiting on that must hear.
fn judge_oversized(prefix: &[u8], tail: &[u8], max_bytes: usize) -> Verdict {
    let message = format!("the message is over the {max_bytes} byte cap");
    let prefix = prefix.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(prefix);
    let seen = request_id_in_prefix(prefix);
    if let Some(Some(id)) = seen {
        return Verdict::Refuse(error_line(id, INVALID_REQUEST, &message));
    }
    if let Some(id) = request_id_at_end(tail) {
        return Verdict::Refuse(error_line(id, INVALID_REQUEST, &message));
    }
    Verdict::Refuse(error_line(Value::Null, INVALID_REQUEST, &message))
}

/// The id of a message whose last bytes are `tail`, when it ends with a
/// top-level `"id": <string or integer>}`.
fn request_id_at_end(tail: &[u8]) -> Option<Value> {
    let text = String::from_utf8_lossy(tail);
    let body = text.trim_end().strip_suffix('}')?;
    let at = body.rfind("\"id\"")?;
    let value = body[at + 4..].trim_start().strip_prefix(':')?.trim();
    let id: Value = serde_json::from_str(value).ok()?;
    (id.is_string() || id.is_i64() || id.is_u64()).then_some(id)
}

/// Judges one line (without its `\n`) that is within the cap.
fn judge(line: &[u8]) -> Verdict {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
    if line.iter().all(u8::is_ascii_whitespace) {
        return Verdict::Skip;
    }
    match serde_json::from_slice(line) {
        Ok(value) => judge_value(value),
        Err(error) => Verdict::Refuse(error_line(
            Value::Null,
            PARSE_ERROR,
            &format!("Parse error: {error}"),
        )),
    }
}

/// Judges a line that is JSON.
fn judge_value(value: Value) -> Verdict {
    let Value::Object(fields) = &value else {
        let what = if value.is_array() {
            "batches are not part of MCP: send one message per line"
        } else {
            "a message must be a JSON object"
        };
        return Verdict::Refuse(error_line(Value::Null, INVALID_REQUEST, what));
    };
    let id = fields.get("id").cloned();
    let method = fields
        .get("method")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let is_response =
        method.is_none() && (fields.contains_key("result") || fields.contains_key("error"));
    let is_id = |id: &Value| id.is_string() || id.is_i64() || id.is_u64();
    if is_response {
        // A response (even a malformed one) is never answered: two peers
        // answering each other's errors would never stop.
        let version_ok = fields.get("jsonrpc") == Some(&json!("2.0"));
        return match serde_json::from_value::<ClientJsonRpcMessage>(value.clone()) {
            Ok(message) if version_ok => Verdict::Message(Box::new(message)),
            _ => Verdict::Ignore,
        };
    }
    if fields.get("jsonrpc") != Some(&json!("2.0")) {
        return refuse_unless_notification(
            id,
            method.is_some(),
            INVALID_REQUEST,
            "`jsonrpc` must be \"2.0\"".to_owned(),
        );
    }
    if let Some(id) = &id
        && !is_id(id)
    {
        return Verdict::Refuse(error_line(
            Value::Null,
            INVALID_REQUEST,
            "`id` must be a string or an integer",
        ));
    }
    match serde_json::from_value::<ClientJsonRpcMessage>(value.clone()) {
        Ok(message) => Verdict::Message(Box::new(message)),
        Err(error) => match &method {
            Some(method) => refuse_unless_notification(
                id,
                true,
                INVALID_PARAMS,
                format!("Invalid params for `{method}`: {error}"),
            ),
            None => refuse_unless_notification(
                id,
                false,
                INVALID_REQUEST,
                format!("not a JSON-RPC request, notification or response: {error}"),
            ),
        },
    }
}

/// The answer to a bad message: none for a notification (it has a method
/// and no id), else an error with its id (or null).
fn refuse_unless_notification(
    id: Option<Value>,
    has_method: bool,
    code: i64,
    message: String,
) -> Verdict {
    match id {
        None if has_method => Verdict::Ignore,
        None => Verdict::Refuse(error_line(Value::Null, code, &message)),
        Some(id) => Verdict::Refuse(error_line(id, code, &message)),
    }
}

/// A JSON-RPC error answer, as a line.
fn error_line(id: Value, code: i64, message: &str) -> Vec<u8> {
    let mut line = serde_json::to_vec(&json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": {"code": code, "message": message},
    }))
    .unwrap_or_default();
    line.push(b'\n');
    line
}

/// The id of the message whose first bytes are `prefix`: `Some(Some(id))`
/// when a top-level `id` (a string or integer) comes before the cut,
/// `Some(None)` when a `method` does but no `id` (a notification, as far as
/// can be told), `None` when neither can be found.
fn request_id_in_prefix(prefix: &[u8]) -> Option<Option<Value>> {
    let mut found = Found::default();
    let mut deserializer = serde_json::Deserializer::from_slice(prefix);
    // The prefix is cut short, so this always fails; what was seen before
    // the cut is in `found`.
    let _ = serde::Deserializer::deserialize_map(&mut deserializer, IdSeeker(&mut found));
    match (found.id, found.method) {
        (Some(id), _) => Some(Some(id)),
        (None, true) => Some(None),
        (None, false) => None,
    }
}

#[derive(Debug, Default)]
struct Found {
    id: Option<Value>,
    method: bool,
}

/// Reads a JSON object's top-level keys in order, noting `id` and `method`.
struct IdSeeker<'a>(&'a mut Found);

impl<'de> Visitor<'de> for IdSeeker<'_> {
    type Value = ();

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("a JSON-RPC message")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match key.as_ref() {
                "id" => {
                    let id: Value = map.next_value()?;
                    if id.is_string() || id.is_i64() || id.is_u64() {
                        self.0.id = Some(id);
                    }
                    return Ok(());
                }
                "method" => {
                    map.next_value::<IgnoredAny>()?;
                    self.0.method = true;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// The writer task: writes each line whole and flushes, until every sender
/// is gone or the output is.
async fn write_lines<W: AsyncWrite + Unpin>(mut write: W, mut inbox: mpsc::Receiver<Vec<u8>>) {
    while let Some(line) = inbox.recv().await {
        if write.write_all(&line).await.is_err() || write.flush().await.is_err() {
            return;
        }
    }
    let _ = write.shutdown().await;
}

fn closed() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::BrokenPipe,
        "the MCP client's end of the pipe is closed",
    )
}

#[cfg(test)]
#[path = "transport_tests.rs"]
mod tests;
