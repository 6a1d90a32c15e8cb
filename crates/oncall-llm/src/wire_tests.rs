use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::settings::ModelSpec;

fn settings(spec: &str) -> LlmSettings {
    let mut settings = LlmSettings::new(ModelSpec::parse(spec).unwrap().unwrap());
    settings.temperature = Some(1.5);
    settings.max_output_tokens = 300;
    settings
}

fn conversation() -> Vec<Message> {
    vec![
        Message::System {
            content: "be careful".to_owned(),
        },
        Message::User {
            content: "the alert".to_owned(),
        },
        Message::Assistant {
            text: "look at logs".to_owned(),
            tool_calls: vec![
                ToolCallRequest {
                    id: "c1".to_owned(),
                    name: "logs".to_owned(),
                    arguments: r#"{"service":"checkout"}"#.to_owned(),
                },
                ToolCallRequest {
                    id: "c2".to_owned(),
                    name: "metrics".to_owned(),
                    arguments: "not json".to_owned(),
                },
            ],
        },
        Message::Tool {
            call_id: "c2".to_owned(),
            name: "metrics".to_owned(),
            content: "Not run".to_owned(),
            is_error: true,
        },
        Message::Tool {
            call_id: "c1".to_owned(),
            name: "logs".to_owned(),
            content: "{\"entries\":[]}".to_owned(),
            is_error: false,
        },
    ]
}

#[test]
fn an_openai_request_is_a_chat_completion_with_strict_tools() {
    let tools =
        crate::prompt::model_tools(&oncall_tools::ToolRegistry::with_default_tools().definitions());
    let body = request_body(&settings("openai:gpt-4o"), &conversation(), &tools);
    assert_eq!(body["model"], "gpt-4o");
    // Chat models take max_tokens; OpenAI's reasoning models want
    // max_completion_tokens, whatever the endpoint.
    assert_eq!(body["max_tokens"], 300);
    for reasoning in [
        "openai:gpt-5",
        "openai:gpt-5-mini",
        "openai:o4-mini",
        "openai:openai/o3-2025-04-16",
    ] {
        let body = request_body(&settings(reasoning), &conversation(), &[]);
        assert_eq!(body["max_completion_tokens"], 300, "{reasoning}");
        assert!(body.get("max_tokens").is_none(), "{reasoning}");
    }
    let lookalike = request_body(&settings("openai:o4mini-lookalike"), &conversation(), &[]);
    assert_eq!(lookalike["max_tokens"], 300);
    let mut local = settings("openai:llama3.1:8b");
    local.base_url = "http://127.0.0.1:11434/v1".to_owned();
    let silent = vec![Message::Assistant {
        text: String::new(),
        tool_calls: Vec::new(),
    }];
    let local_body = request_body(&local, &silent, &[]);
    assert_eq!(local_body["max_tokens"], 300);
    assert_eq!(
        local_body["messages"][0],
        json!({"role": "assistant", "content": "(no reply)"})
    );
    assert_eq!(body["temperature"], 1.5);
    let messages = body["messages"].as_array().unwrap();
    assert_eq!(
        messages[0],
        json!({"role": "system", "content": "be careful"})
    );
    assert_eq!(
        messages[2]["tool_calls"][0]["function"]["arguments"],
        r#"{"service":"checkout"}"#
    );
    assert_eq!(messages[2]["tool_calls"][1]["type"], "function");
    assert_eq!(
        messages[3],
        json!({"role": "tool", "tool_call_id": "c2", "content": "Not run"})
    );
    assert_eq!(body["tools"][0]["type"], "function");
    assert_eq!(body["tools"][0]["function"]["strict"], true);
}

#[test]
fn an_anthropic_request_alternates_turns_and_groups_tool_results() {
    let body = request_body(
        &settings("anthropic:claude-sonnet-4-5"),
        &conversation(),
        &[],
    );
    assert_eq!(body["system"], "be careful");
    // Anthropic's temperature stops at 1.
    assert_eq!(body["temperature"], 1.0);
    let messages = body["messages"].as_array().unwrap();
    let roles: Vec<&str> = messages
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["user", "assistant", "user"]);
    let assistant = messages[1]["content"].as_array().unwrap();
    assert_eq!(
        assistant[0],
        json!({"type": "text", "text": "look at logs"})
    );
    assert_eq!(assistant[1]["input"], json!({"service": "checkout"}));
    // Arguments that were not an object are sent back as an empty one.
    assert_eq!(assistant[2]["input"], json!({}));
    let results = messages[2]["content"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["tool_use_id"], "c2");
    assert_eq!(results[0]["is_error"], true);
}

#[test]
fn replies_are_read_in_both_dialects() {
    let openai = json!({
        "id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-4o-2024-08-06",
        "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
            "role": "assistant", "content": "The deploy looks suspicious.",
            "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "deploys", "arguments": "{\"service\":null}"}}]
        }}],
        "usage": {"prompt_tokens": 1200, "completion_tokens": 40, "total_tokens": 1240, "prompt_tokens_details": {"cached_tokens": 1024}}
    });
    let reply = parse_reply(Provider::OpenAi, &openai).unwrap();
    assert_eq!(reply.model, "gpt-4o-2024-08-06");
    assert_eq!(reply.text, "The deploy looks suspicious.");
    assert_eq!(reply.tool_calls[0].name, "deploys");
    assert_eq!(
        (reply.input_tokens, reply.output_tokens, reply.cached_tokens),
        (1200, 40, 1024)
    );
    assert_eq!(reply.stop_reason, "tool_calls");
    let anthropic = json!({
        "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
        "content": [
            {"type": "text", "text": "Checking deploys."},
            {"type": "tool_use", "id": "toolu_1", "name": "deploys", "input": {"service": "checkout"}}
        ],
        "stop_reason": "tool_use",
        "usage": {"input_tokens": 100, "output_tokens": 20, "cache_read_input_tokens": 900, "cache_creation_input_tokens": 50}
    });
    let reply = parse_reply(Provider::Anthropic, &anthropic).unwrap();
    assert_eq!(reply.tool_calls[0].arguments, r#"{"service":"checkout"}"#);
    assert_eq!(
        (reply.input_tokens, reply.cached_tokens, reply.output_tokens),
        (1050, 900, 20)
    );
    assert_eq!(reply.stop_reason, "tool_use");
}

#[test]
fn malformed_replies_name_what_is_missing() {
    let error = parse_reply(Provider::OpenAi, &json!({"choices": []})).unwrap_err();
    assert!(error.contains("choices[0]"), "{error}");
    let error = parse_reply(
        Provider::OpenAi,
        &json!({"choices": [{"message": {"tool_calls": [{"id": "x"}]}}]}),
    )
    .unwrap_err();
    assert!(error.contains("tool_calls[0]"), "{error}");
    let error = parse_reply(Provider::Anthropic, &json!({"content": "hi"})).unwrap_err();
    assert!(error.contains("content"), "{error}");
}

#[test]
fn provider_errors_are_read_and_context_overflows_recognised() {
    let openai = r#"{"error": {"message": "This model's maximum context length is 128000 tokens.", "type": "invalid_request_error", "code": "context_length_exceeded"}}"#;
    let message = error_message(openai);
    assert!(message.ends_with("(context_length_exceeded)"), "{message}");
    assert!(is_context_length_error(400, &message));
    let anthropic = r#"{"type": "error", "error": {"type": "invalid_request_error", "message": "prompt is too long: 210000 tokens > 200000 maximum"}}"#;
    assert!(is_context_length_error(400, &error_message(anthropic)));
    assert!(!is_context_length_error(429, &error_message(anthropic)));
    assert_eq!(error_message("upstream down"), "upstream down");
    assert!(error_message(&"x".repeat(5000)).contains("[cut"));
}

proptest! {
    #[test]
    fn any_json_reply_reads_without_panicking(text in ".{0,300}") {
        if let Ok(value) = serde_json::from_str::<Value>(&text) {
            let _ = parse_reply(Provider::OpenAi, &value);
            let _ = parse_reply(Provider::Anthropic, &value);
        }
        let _ = error_message(&text);
    }

    #[test]
    fn replies_of_the_right_shape_with_any_values_never_panic(
        content in prop_oneof![Just(Value::Null), ".{0,20}".prop_map(Value::from), Just(json!([{"text": 1}])), Just(json!(7))],
        arguments in prop_oneof![Just(Value::Null), ".{0,20}".prop_map(Value::from), Just(json!({"a": 1}))],
        tokens in prop_oneof![Just(json!(5)), Just(json!(-5)), Just(json!("many")), Just(json!(1e300))],
    ) {
        let body = json!({"choices": [{"message": {"content": content, "tool_calls": [{"function": {"name": "logs", "arguments": arguments}}]}}], "usage": {"prompt_tokens": tokens}});
        if let Ok(reply) = parse_reply(Provider::OpenAi, &body) {
            prop_assert!(reply.cached_tokens <= reply.input_tokens);
        }
        let body = json!({"content": [{"type": "tool_use", "name": "logs", "input": arguments}, {"type": "text", "text": content}], "usage": {"input_tokens": tokens}});
        let _ = parse_reply(Provider::Anthropic, &body);
    }
}
