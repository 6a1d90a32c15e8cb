//! The conversation, and how it is written in each provider's dialect and
//! read back from its reply.
//!
//! A [`Message`] list is provider-neutral; [`request_body`] writes it as a
//! Chat Completions or Messages API request, and [`parse_reply`] reads the
//! answer into a [`ModelReply`]. Both follow the providers' documented
//! formats; a reply of the wrong shape is an error naming what is missing,
//! never a panic.

use serde::Serialize;
use serde_json::{Map, Value, json};

use oncall_tools::ToolDefinition;

use crate::settings::{LlmSettings, Provider};

/// One message of a conversation, as a transcript shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "role", rename_all = "snake_case")]
pub enum Message {
    /// The instructions.
    System {
        /// The text.
        content: String,
    },
    /// Text from the harness: the alert, a nudge.
    User {
        /// The text.
        content: String,
    },
    /// The model's reply.
    Assistant {
        /// Its words (empty when it only called tools).
        text: String,
        /// Its tool calls, in order.
        tool_calls: Vec<ToolCallRequest>,
    },
    /// The answer to one tool call.
    Tool {
        /// The call it answers.
        call_id: String,
        /// The tool's name.
        name: String,
        /// What came back, as text.
        content: String,
        /// Whether it is an error.
        is_error: bool,
    },
}

/// A tool call as the model wrote it. `arguments` is the raw JSON text
/// (OpenAI sends a string; Anthropic's object is written out), so a
/// malformed one is kept as it came.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToolCallRequest {
    /// The provider's id for the call.
    pub id: String,
    /// The tool's name.
    pub name: String,
    /// The arguments, as JSON text.
    pub arguments: String,
}

/// What one model call returned.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelReply {
    /// The model that answered, as the provider names it.
    pub model: String,
    /// Its words.
    pub text: String,
    /// Its tool calls.
    pub tool_calls: Vec<ToolCallRequest>,
    /// Input tokens, cached ones included.
    pub input_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
    /// Input tokens read from the prompt cache.
    pub cached_tokens: u64,
    /// Why it stopped, in the provider's words.
    pub stop_reason: String,
}

/// The request body for `messages` with `tools`.
pub(crate) fn request_body(
    settings: &LlmSettings,
    messages: &[Message],
    tools: &[ToolDefinition],
) -> Value {
    match settings.spec.provider() {
        Provider::OpenAi => openai_body(settings, messages, tools),
        Provider::Anthropic => anthropic_body(settings, messages, tools),
    }
}

/// Reads a successful reply body.
pub(crate) fn parse_reply(provider: Provider, body: &Value) -> Result<ModelReply, String> {
    match provider {
        Provider::OpenAi => parse_openai(body),
        Provider::Anthropic => parse_anthropic(body),
    }
}

/// The provider's own message from an error body (`{"error": {"message":
/// ...}}` in both dialects), or the body's start when it has none.
pub(crate) fn error_message(body: &str) -> String {
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    let message = parsed.as_ref().and_then(|value| {
        let error = value.get("error")?;
        let message = error
            .get("message")
            .and_then(Value::as_str)
            .or_else(|| error.as_str())?;
        let code = error
            .get("code")
            .or_else(|| error.get("type"))
            .and_then(Value::as_str);
        Some(match code {
            Some(code) => format!("{message} ({code})"),
            None => message.to_owned(),
        })
    });
    let text = message.unwrap_or_else(|| body.trim().to_owned());
    cut(&text, MAX_ERROR_MESSAGE_BYTES)
}

/// Whether an error says the prompt is longer than the model's context.
pub(crate) fn is_context_length_error(status: u16, message: &str) -> bool {
    let lower = message.to_lowercase();
    (status == 400 || status == 413)
        && (lower.contains("context_length_exceeded")
            || lower.contains("context length")
            || lower.contains("context window")
            || lower.contains("prompt is too long")
            || lower.contains("too many tokens"))
}

/// The most bytes of a provider's error message kept.
const MAX_ERROR_MESSAGE_BYTES: usize = 600;

/// `text` cut on a character boundary to at most `limit` bytes, marked.
pub(crate) fn cut(text: &str, limit: usize) -> String {
    if text.len() <= limit {
        return text.to_owned();
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… [cut {} bytes]", &text[..end], text.len() - end)
}

fn openai_body(settings: &LlmSettings, messages: &[Message], tools: &[ToolDefinition]) -> Value {
    let messages: Vec<Value> = messages
        .iter()
        .map(|message| match message {
            Message::System { content } => json!({"role": "system", "content": content}),
            Message::User { content } => json!({"role": "user", "content": content}),
            Message::Assistant { text, tool_calls } => {
                let mut entry = Map::new();
                entry.insert("role".to_owned(), json!("assistant"));
                // An assistant message needs content or tool calls: a reply
                // that had neither (a refusal, a filtered or cut-off reply)
                // is sent back as "(no reply)".
                let content = match (text.is_empty(), tool_calls.is_empty()) {
                    (false, _) => json!(text),
                    (true, false) => Value::Null,
                    (true, true) => json!("(no reply)"),
                };
                entry.insert("content".to_owned(), content);
                if !tool_calls.is_empty() {
                    let calls: Vec<Value> = tool_calls
                        .iter()
                        .map(|call| {
                            json!({
                                "id": call.id,
                                "type": "function",
                                "function": {"name": call.name, "arguments": call.arguments}
                            })
                        })
                        .collect();
                    entry.insert("tool_calls".to_owned(), Value::Array(calls));
                }
                Value::Object(entry)
            }
            Message::Tool {
                call_id, content, ..
            } => json!({"role": "tool", "tool_call_id": call_id, "content": content}),
        })
        .collect();
    let mut body = Map::new();
    body.insert("model".to_owned(), json!(settings.spec.model()));
    body.insert("messages".to_owned(), Value::Array(messages));
    body.insert(
        "tools".to_owned(),
        Value::Array(tools.iter().map(ToolDefinition::to_openai).collect()),
    );
    // OpenAI's reasoning models (o1, o3, o4, gpt-5) refuse `max_tokens` and
    // want `max_completion_tokens`; everything else (OpenAI's other chat
    // models, vLLM, Ollama, LiteLLM, OpenRouter) reads `max_tokens`. It is
    // chosen by the model's name, not the endpoint, so a cassette replays
    // whatever base URL it was recorded against.
    let limit = if is_openai_reasoning_model(settings.spec.model()) {
        "max_completion_tokens"
    } else {
        "max_tokens"
    };
    body.insert(limit.to_owned(), json!(settings.max_output_tokens));
    if let Some(temperature) = settings.temperature {
        body.insert("temperature".to_owned(), json!(temperature));
    }
    Value::Object(body)
}

/// Whether `model` is one of OpenAI's reasoning models, which take
/// `max_completion_tokens` (and no temperature but the default).
fn is_openai_reasoning_model(model: &str) -> bool {
    let name = model.rsplit('/').next().unwrap_or(model);
    ["o1", "o3", "o4", "gpt-5"]
        .iter()
        .any(|family| name == *family || name.starts_with(&format!("{family}-")))
}

fn anthropic_body(settings: &LlmSettings, messages: &[Message], tools: &[ToolDefinition]) -> Value {
    let mut system = String::new();
    // Consecutive tool results and harness text go into one user turn, as
    // the Messages API requires turns to alternate.
    let mut turns: Vec<(&'static str, Vec<Value>)> = Vec::new();
    let mut push = |role: &'static str, block: Value| match turns.last_mut() {
        Some((last, blocks)) if *last == role => blocks.push(block),
        _ => turns.push((role, vec![block])),
    };
    for message in messages {
        match message {
            Message::System { content } => system.push_str(content),
            Message::User { content } => push("user", json!({"type": "text", "text": content})),
            Message::Assistant { text, tool_calls } => {
                if !text.is_empty() {
                    push("assistant", json!({"type": "text", "text": text}));
                }
                for call in tool_calls {
                    let input = serde_json::from_str::<Value>(&call.arguments)
                        .ok()
                        .filter(Value::is_object)
                        .unwrap_or_else(|| json!({}));
                    push(
                        "assistant",
                        json!({"type": "tool_use", "id": call.id, "name": call.name, "input": input}),
                    );
                }
                if text.is_empty() && tool_calls.is_empty() {
                    push("assistant", json!({"type": "text", "text": "(no reply)"}));
                }
            }
            Message::Tool {
                call_id,
                content,
                is_error,
                ..
            } => push(
                "user",
                json!({"type": "tool_result", "tool_use_id": call_id, "content": content, "is_error": is_error}),
            ),
        }
    }
    let messages: Vec<Value> = turns
        .into_iter()
        .map(|(role, content)| json!({"role": role, "content": content}))
        .collect();
    let mut body = Map::new();
    body.insert("model".to_owned(), json!(settings.spec.model()));
    body.insert("max_tokens".to_owned(), json!(settings.max_output_tokens));
    if !system.is_empty() {
        body.insert("system".to_owned(), json!(system));
    }
    body.insert("messages".to_owned(), Value::Array(messages));
    body.insert(
        "tools".to_owned(),
        Value::Array(tools.iter().map(ToolDefinition::to_anthropic).collect()),
    );
    if let Some(temperature) = settings.temperature {
        // Anthropic's range is 0 to 1.
        body.insert("temperature".to_owned(), json!(temperature.min(1.0)));
    }
    Value::Object(body)
}

fn parse_openai(body: &Value) -> Result<ModelReply, String> {
    let choice = body
        .get("choices")
        .and_then(Value::as_array)
        .and_then(|choices| choices.first())
        .ok_or("no `choices[0]` in the reply")?;
    let message = choice
        .get("message")
        .ok_or("no `choices[0].message` in the reply")?;
    let text = match message.get("content") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(text)) => text.clone(),
        // Some servers send content parts: keep their text.
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|part| part.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(""),
        Some(_) => return Err("`choices[0].message.content` is neither text nor null".to_owned()),
    };
    let mut tool_calls = Vec::new();
    if let Some(calls) = message.get("tool_calls").filter(|calls| !calls.is_null()) {
        let calls = calls
            .as_array()
            .ok_or("`choices[0].message.tool_calls` is not a list")?;
        for (index, call) in calls.iter().enumerate() {
            let function = call
                .get("function")
                .ok_or_else(|| format!("`tool_calls[{index}]` has no `function`"))?;
            let name = function
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("`tool_calls[{index}].function` has no `name`"))?;
            let arguments = match function.get("arguments") {
                Some(Value::String(text)) => text.clone(),
                None | Some(Value::Null) => "{}".to_owned(),
                // Some servers send the object itself.
                Some(other) => other.to_string(),
            };
            let id = call
                .get("id")
                .and_then(Value::as_str)
                .map_or_else(|| format!("call_{index}"), str::to_owned);
            tool_calls.push(ToolCallRequest {
                id,
                name: name.to_owned(),
                arguments,
            });
        }
    }
    let usage = body.get("usage");
    let count = |pointer: &str| {
        usage
            .and_then(|usage| usage.pointer(pointer))
            .and_then(Value::as_u64)
            .unwrap_or(0)
    };
    let input_tokens = count("/prompt_tokens");
    Ok(ModelReply {
        model: text_field(body, "model"),
        text,
        tool_calls,
        input_tokens,
        output_tokens: count("/completion_tokens"),
        cached_tokens: count("/prompt_tokens_details/cached_tokens").min(input_tokens),
        stop_reason: text_field(choice, "finish_reason"),
    })
}

fn parse_anthropic(body: &Value) -> Result<ModelReply, String> {
    let content = body
        .get("content")
        .and_then(Value::as_array)
        .ok_or("no `content` list in the reply")?;
    let mut text = String::new();
    let mut tool_calls = Vec::new();
    for (index, block) in content.iter().enumerate() {
        match block.get("type").and_then(Value::as_str) {
            Some("text") => text.push_str(block.get("text").and_then(Value::as_str).unwrap_or("")),
            Some("tool_use") => {
                let name = block
                    .get("name")
                    .and_then(Value::as_str)
                    .ok_or_else(|| format!("`content[{index}]` (tool_use) has no `name`"))?;
                let id = block
                    .get("id")
                    .and_then(Value::as_str)
                    .map_or_else(|| format!("toolu_{index}"), str::to_owned);
                let arguments = block
                    .get("input")
                    .map_or_else(|| "{}".to_owned(), Value::to_string);
                tool_calls.push(ToolCallRequest {
                    id,
                    name: name.to_owned(),
                    arguments,
                });
            }
            // Thinking and other blocks carry nothing we act on.
            _ => {}
        }
    }
    let usage = body.get("usage");
    let count = |field: &str| {
        usage
            .and_then(|usage| usage.get(field))
            .and_then(Value::as_u64)
            .unwrap_or(0)
    };
    // Anthropic counts cache reads and writes apart from `input_tokens`.
    let cached = count("cache_read_input_tokens");
    let input = count("input_tokens")
        .saturating_add(cached)
        .saturating_add(count("cache_creation_input_tokens"));
    Ok(ModelReply {
        model: text_field(body, "model"),
        text,
        tool_calls,
        input_tokens: input,
        output_tokens: count("output_tokens"),
        cached_tokens: cached,
        stop_reason: text_field(body, "stop_reason"),
    })
}

fn text_field(value: &Value, field: &str) -> String {
    value
        .get(field)
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned()
}

#[cfg(test)]
#[path = "wire_tests.rs"]
mod tests;
