//! A loopback HTTP server that plays scripted OpenAI Chat Completions and
//! Anthropic Messages replies, in the providers' documented formats, and
//! remembers every request it was sent. One thread per connection, one
//! request per connection (`Connection: close`), so a stalled reply does
//! not hold up the next.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

/// A reply's `model` written as this is replaced by the request's model,
/// as a real provider names the model it ran.
pub(crate) const ECHO_MODEL: &str = "<the requested model>";

/// One scripted answer.
#[derive(Debug, Clone)]
pub(crate) enum Reply {
    /// An HTTP answer.
    Answer {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// Read the request, wait this long, then hang up without answering.
    Stall(Duration),
}

impl Reply {
    /// 200 with `body`.
    pub(crate) fn ok(body: Value) -> Reply {
        Reply::Answer {
            status: 200,
            headers: Vec::new(),
            body: body.to_string(),
        }
    }

    /// `status` with `body` and `headers`.
    pub(crate) fn status(status: u16, headers: &[(&str, &str)], body: Value) -> Reply {
        Reply::Answer {
            status,
            headers: headers
                .iter()
                .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
                .collect(),
            body: body.to_string(),
        }
    }
}

/// A request the server was sent.
#[derive(Debug, Clone)]
pub(crate) struct SeenRequest {
    pub(crate) path: String,
    /// Header names lowercased.
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Value,
}

impl SeenRequest {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(header, _)| header == name)
            .map(|(_, value)| value.as_str())
    }
}

#[derive(Debug, Default)]
struct State {
    script: Mutex<VecDeque<Reply>>,
    requests: Mutex<Vec<SeenRequest>>,
}

/// The server. It runs until the test process ends.
#[derive(Debug, Clone)]
pub(crate) struct ScriptedProvider {
    address: String,
    state: Arc<State>,
}

impl ScriptedProvider {
    /// Starts a server on a free loopback port that plays `script` in
    /// order; once it runs out it answers 500.
    pub(crate) fn start(script: Vec<Reply>) -> ScriptedProvider {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(State {
            script: Mutex::new(script.into()),
            requests: Mutex::default(),
        });
        let shared = Arc::clone(&state);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = Arc::clone(&shared);
                std::thread::spawn(move || serve(stream, &state));
            }
        });
        ScriptedProvider { address, state }
    }

    /// `http://127.0.0.1:PORT`.
    pub(crate) fn base(&self) -> &str {
        &self.address
    }

    /// The requests so far, in arrival order.
    pub(crate) fn requests(&self) -> Vec<SeenRequest> {
        self.state.requests.lock().unwrap().clone()
    }
}

fn serve(stream: TcpStream, state: &State) {
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
        return;
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("")
        .to_owned();
    let mut headers = Vec::new();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            let name = name.trim().to_lowercase();
            let value = value.trim().to_owned();
            if name == "content-length" {
                length = value.parse().unwrap_or(0);
            }
            headers.push((name, value));
        }
    }
    let mut body = vec![0u8; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let model = body["model"].as_str().unwrap_or("unknown").to_owned();
    state.requests.lock().unwrap().push(SeenRequest {
        path,
        headers,
        body,
    });
    let reply = state.script.lock().unwrap().pop_front();
    let mut stream = reader.into_inner();
    let (status, extra, body) = match reply {
        Some(Reply::Stall(wait)) => {
            std::thread::sleep(wait);
            return;
        }
        Some(Reply::Answer {
            status,
            headers,
            body,
        }) => (status, headers, body.replace(ECHO_MODEL, &model)),
        None => (
            500,
            Vec::new(),
            json!({"error": {"message": "the test script ran out of replies"}}).to_string(),
        ),
    };
    let mut response = format!(
        "HTTP/1.1 {status} Scripted\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in extra {
        response.push_str(&format!("{name}: {value}\r\n"));
    }
    response.push_str("\r\n");
    response.push_str(&body);
    let _ = stream.write_all(response.as_bytes());
    let _ = stream.flush();
}

/// A tool call for the scripted replies: name and arguments (as JSON text,
/// so a test can send malformed ones).
pub(crate) fn call(name: &str, arguments: &str) -> (String, String) {
    (name.to_owned(), arguments.to_owned())
}

/// A Chat Completions reply with `text` and `calls`.
pub(crate) fn openai_reply(text: &str, calls: &[(String, String)], step: u32) -> Reply {
    let tool_calls: Vec<Value> = calls
        .iter()
        .enumerate()
        .map(|(index, (name, arguments))| {
            json!({"id": format!("call_{step}_{index}"), "type": "function", "function": {"name": name, "arguments": arguments}})
        })
        .collect();
    let mut message = json!({"role": "assistant", "content": if text.is_empty() { Value::Null } else { json!(text) }});
    if !tool_calls.is_empty() {
        message["tool_calls"] = Value::Array(tool_calls);
    }
    let finish = if calls.is_empty() {
        "stop"
    } else {
        "tool_calls"
    };
    Reply::ok(json!({
        "id": format!("chatcmpl-{step}"),
        "object": "chat.completion",
        "created": 1_764_500_000,
        "model": ECHO_MODEL,
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {
            "prompt_tokens": 1000 + 100 * step,
            "completion_tokens": 50,
            "total_tokens": 1050 + 100 * step,
            "prompt_tokens_details": {"cached_tokens": if step > 1 { 512 } else { 0 }}
        }
    }))
}

/// A Messages API reply with `text` and `calls` (whose arguments must be
/// JSON objects: Anthropic sends `input` parsed).
pub(crate) fn anthropic_reply(text: &str, calls: &[(String, String)], step: u32) -> Reply {
    let mut content = Vec::new();
    if !text.is_empty() {
        content.push(json!({"type": "text", "text": text}));
    }
    for (index, (name, arguments)) in calls.iter().enumerate() {
        let input: Value = serde_json::from_str(arguments).unwrap();
        content.push(json!({"type": "tool_use", "id": format!("toolu_{step}_{index}"), "name": name, "input": input}));
    }
    Reply::ok(json!({
        "id": format!("msg_{step}"),
        "type": "message",
        "role": "assistant",
        "model": ECHO_MODEL,
        "content": content,
        "stop_reason": if calls.is_empty() { "end_turn" } else { "tool_use" },
        "stop_sequence": null,
        "usage": {"input_tokens": 900 + 100 * step, "output_tokens": 40, "cache_read_input_tokens": 100, "cache_creation_input_tokens": 0}
    }))
}

/// A provider error body, as both providers write it.
pub(crate) fn error_body(kind: &str, message: &str) -> Value {
    json!({"type": "error", "error": {"type": kind, "code": kind, "message": message}})
}
