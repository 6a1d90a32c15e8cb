//! The model agents against a scripted provider on loopback: whole runs in
//! both dialects, and every failure a real endpoint gives (rate limits,
//! server errors, timeouts, bad tool calls, a context overflow), through
//! the real HTTP client. No test reaches the internet.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use oncall_audit::{FsyncPolicy, JsonlWriter, read_chain};
use oncall_domain::TerminationReason;
use oncall_engine::StepStatus;
use oncall_llm::{
    ApiKey, Cassette, LlmAgent, LlmSettings, ModelClient, ModelSpec, NO_CALL_TWICE, NUDGE,
    RetryPolicy, UreqTransport,
};
use oncall_sim::{
    DiagnosisVerdict, MitigationVerdict, RunOutcome, RunSettings, Scenario, run_scenario,
};

use crate::llm_server::{Reply, ScriptedProvider, anthropic_reply, call, error_body, openai_reply};
use crate::support::{assert_has, scratch_dir};

/// The key the tests send; it must never be written anywhere.
pub(crate) const SECRET: &str = "sk-test-secret-7f3a";

pub(crate) fn latency_spike() -> Scenario {
    oncall_gym::builtin::find_builtin("latency_spike")
        .unwrap()
        .load()
        .unwrap()
}

/// A client for `spec` at the server, with fast retries.
pub(crate) fn client(
    spec: &str,
    base: &str,
    cassette: Option<Arc<Cassette>>,
    tweak: impl FnOnce(&mut LlmSettings),
) -> Arc<ModelClient> {
    let spec = ModelSpec::parse(spec).unwrap().unwrap();
    let mut settings = LlmSettings::new(spec);
    settings.base_url = base.to_owned();
    settings.api_key = Some(ApiKey::new(SECRET));
    settings.read_timeout = Duration::from_secs(5);
    settings.retry = RetryPolicy {
        max_retries: 3,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_secs(2),
    };
    tweak(&mut settings);
    let transport = Arc::new(UreqTransport::new(
        Duration::from_secs(2),
        settings.read_timeout,
    ));
    Arc::new(ModelClient::new(settings, transport, cassette).unwrap())
}

/// Runs `agent` on `scenario`, returning the outcome and the audit log.
pub(crate) fn run_model(
    agent: &mut LlmAgent,
    scenario: &Scenario,
    seed: u64,
) -> (RunOutcome, Vec<u8>) {
    let mut writer = JsonlWriter::new(Vec::new(), FsyncPolicy::AtClose);
    let outcome = run_scenario(
        scenario,
        agent,
        RunSettings {
            seed,
            max_steps: None,
        },
        Some(&mut writer),
    )
    .unwrap();
    let (_, bytes) = writer.finish_into_inner().unwrap();
    (outcome, bytes)
}

/// The `analysis` argument.
pub(crate) fn analysis(
    summary: &str,
    significant: bool,
    hypothesis: Option<&str>,
    confidence: Option<f64>,
    status: Option<&str>,
) -> Value {
    json!({
        "summary": summary, "significant": significant, "hypothesis": hypothesis,
        "confidence": confidence, "status": status, "proposed_mitigation": null
    })
}

/// Arguments as JSON text: `fields` plus `analysis`.
pub(crate) fn arguments(mut fields: Value, analysis: Value) -> String {
    fields["analysis"] = analysis;
    fields.to_string()
}

/// The four tool calls of a sound investigation of latency_spike: the
/// catalogue, checkout's deploys, its logs, then the rollback.
pub(crate) fn sound_investigation() -> Vec<(&'static str, (String, String))> {
    let services = call(
        "services",
        &arguments(json!({"section": null, "name": null}), Value::Null),
    );
    let deploys = call(
        "deploys",
        &arguments(
            json!({"service": "checkout", "start": null, "end": null, "last_minutes": 120, "limit": null}),
            analysis(
                "checkout is the alerting service; it depends on the cart database",
                false,
                None,
                None,
                None,
            ),
        ),
    );
    let logs = call(
        "logs",
        &arguments(
            json!({"service": "checkout", "min_level": "warn", "start": null, "end": null, "last_minutes": 30, "pattern": null, "regex": null, "limit": null}),
            analysis(
                "checkout v2.14.0 went out just before the latency rose",
                true,
                Some("the checkout v2.14.0 deploy made checkout slow"),
                Some(0.7),
                None,
            ),
        ),
    );
    let mitigate = call(
        "propose_mitigation",
        &arguments(
            json!({
                "mitigation": "Roll back checkout from v2.14.0 to v2.13.2",
                "confidence": 0.9,
                "reasoning": "the latency follows the deploy and the logs show per-item cart queries",
                "root_cause": {"service": "checkout", "category": "deploy_regression"},
                "actions": [{"kind": "rollback", "target": "checkout", "description": null}]
            }),
            analysis(
                "the logs show a cart query per line item",
                true,
                None,
                Some(0.9),
                Some("supported"),
            ),
        ),
    );
    vec![
        ("Start with the service catalogue.", services),
        ("Did checkout change before the alert?", deploys),
        ("What is slow inside checkout?", logs),
        ("The deploy explains it: roll back.", mitigate),
    ]
}

fn openai_script() -> Vec<Reply> {
    sound_investigation()
        .into_iter()
        .enumerate()
        .map(|(index, (text, call))| openai_reply(text, &[call], index as u32 + 1))
        .collect()
}

fn event_types(bytes: &[u8]) -> Vec<String> {
    read_chain(bytes, None)
        .unwrap()
        .events()
        .iter()
        .map(|event| event.kind().name().to_owned())
        .collect()
}

fn failures(outcome: &RunOutcome) -> Vec<String> {
    outcome
        .run
        .steps()
        .iter()
        .filter_map(|step| match step.status() {
            StepStatus::Failed { reason } => Some(reason.clone()),
            StepStatus::Completed => None,
        })
        .collect()
}

/// The text of every tool message of an OpenAI request.
fn tool_messages(body: &Value) -> Vec<String> {
    body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|message| message["role"] == "tool")
        .map(|message| {
            format!(
                "{}: {}",
                message["tool_call_id"].as_str().unwrap(),
                message["content"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn an_openai_model_investigates_and_ends_in_a_correct_structured_rollback() {
    let server = ScriptedProvider::start(openai_script());
    let base = format!("{}/v1", server.base());
    let mut agent = LlmAgent::new(client("openai:test-model", &base, None, |_| {}), 7);
    let (outcome, bytes) = run_model(&mut agent, &latency_spike(), 7);
    assert_eq!(
        outcome.run.termination(),
        Some(&TerminationReason::MitigationProposed)
    );
    assert_eq!(outcome.evaluation.mitigation, MitigationVerdict::Correct);
    assert_eq!(outcome.evaluation.localization, DiagnosisVerdict::Right);
    assert_eq!(
        outcome.evaluation.root_cause_category,
        DiagnosisVerdict::Right
    );
    assert_eq!(outcome.run.steps().len(), 4);
    assert!(failures(&outcome).is_empty(), "{:?}", failures(&outcome));
    // One model call per step, each in the log with its tokens.
    let usage = outcome.run.model_usage();
    assert_eq!(usage.model_calls, 4);
    assert_eq!(usage.input_tokens, 1100 + 1200 + 1300 + 1400);
    assert_eq!(usage.cached_tokens, 512 * 3);
    assert_eq!(usage.output_tokens, 200);
    let types = event_types(&bytes);
    assert_eq!(types.iter().filter(|t| *t == "model_called").count(), 4);
    assert!(
        types.contains(&"hypothesis_created".to_owned()),
        "{types:?}"
    );
    assert!(
        types.contains(&"hypothesis_updated".to_owned()),
        "{types:?}"
    );
    let log = String::from_utf8(bytes.clone()).unwrap();
    assert_has(
        &log,
        r#""type":"model_called","payload":{"call":{"model":"test-model","input_tokens":1100,"output_tokens":50,"cached_tokens":0,"stop_reason":"tool_calls"}}"#,
    );
    assert!(!log.contains(SECRET));
    // The hypothesis came from the model and moved to supported.
    let hypothesis = outcome.run.hypothesis().unwrap();
    assert_eq!(
        hypothesis.statement(),
        "the checkout v2.14.0 deploy made checkout slow"
    );
    assert_eq!(hypothesis.status().as_str(), "supported");
    // The words are the reasoning.
    let Some(oncall_domain::Decision::CallTool { reasoning, .. }) =
        outcome.run.steps()[1].decision()
    else {
        panic!("step 2 is not a tool call");
    };
    assert_eq!(reasoning, "Did checkout change before the alert?");
    // What went over the wire.
    let requests = server.requests();
    assert_eq!(requests.len(), 4);
    for request in &requests {
        assert_eq!(request.path, "/v1/chat/completions");
        assert_eq!(
            request.header("authorization"),
            Some(format!("Bearer {SECRET}").as_str())
        );
        assert_eq!(request.body["model"], "test-model");
    }
    let tools = requests[0].body["tools"].as_array().unwrap();
    assert!(tools.iter().all(|tool| tool["function"]["strict"] == true));
    assert!(
        tools
            .iter()
            .all(|tool| tool["function"]["parameters"]["properties"]["analysis"].is_object())
    );
    let second = &requests[1].body;
    assert_eq!(second["messages"][0]["role"], "system");
    assert_has(
        second["messages"][1]["content"].as_str().unwrap(),
        "checkout",
    );
    let answered = tool_messages(second);
    assert_eq!(answered.len(), 1);
    assert!(answered[0].starts_with("call_1_0: "), "{answered:?}");
    assert_has(&answered[0], "steps left");
    // The log verifies and replays to the engine's state.
    let replayed = oncall_audit::replay(read_chain(&bytes, None).unwrap().events()).unwrap();
    assert_eq!(replayed.final_state(), outcome.run.investigation_state());
    assert_eq!(replayed.model_usage(), usage);
}

#[test]
fn an_anthropic_model_runs_the_same_investigation_over_the_messages_api() {
    let script: Vec<Reply> = sound_investigation()
        .into_iter()
        .enumerate()
        .map(|(index, (text, call))| anthropic_reply(text, &[call], index as u32 + 1))
        .collect();
    let server = ScriptedProvider::start(script);
    let mut agent = LlmAgent::new(
        client("anthropic:claude-test-4", server.base(), None, |_| {}),
        3,
    );
    let (outcome, bytes) = run_model(&mut agent, &latency_spike(), 3);
    assert_eq!(outcome.evaluation.mitigation, MitigationVerdict::Correct);
    let usage = outcome.run.model_usage();
    // input_tokens plus the cache reads.
    assert_eq!(
        (usage.model_calls, usage.input_tokens, usage.cached_tokens),
        (4, 1000 + 1100 + 1200 + 1300 + 400, 400)
    );
    assert_has(
        &String::from_utf8(bytes).unwrap(),
        r#""stop_reason":"tool_use""#,
    );
    let requests = server.requests();
    for request in &requests {
        assert_eq!(request.path, "/v1/messages");
        assert_eq!(request.header("x-api-key"), Some(SECRET));
        assert_eq!(request.header("anthropic-version"), Some("2023-06-01"));
        assert!(request.header("authorization").is_none());
    }
    let last = &requests[3].body;
    assert_has(last["system"].as_str().unwrap(), "on-call engineer");
    let roles: Vec<&str> = last["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(
        roles,
        [
            "user",
            "assistant",
            "user",
            "assistant",
            "user",
            "assistant",
            "user"
        ]
    );
    assert_eq!(last["messages"][2]["content"][0]["type"], "tool_result");
    assert_eq!(
        last["messages"][2]["content"][0]["tool_use_id"],
        "toolu_1_0"
    );
}

#[test]
fn a_429_with_retry_after_is_waited_out_and_the_log_does_not_show_it() {
    let mut script = vec![Reply::status(
        429,
        &[("retry-after", "1")],
        error_body("rate_limit_error", "slow down"),
    )];
    script.extend(openai_script());
    let server = ScriptedProvider::start(script);
    let base = format!("{}/v1", server.base());
    let mut agent = LlmAgent::new(client("openai:test-model", &base, None, |_| {}), 7);
    let stats = agent.stats();
    let started = Instant::now();
    let (outcome, bytes) = run_model(&mut agent, &latency_spike(), 7);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After was not honoured"
    );
    assert_eq!(outcome.evaluation.mitigation, MitigationVerdict::Correct);
    assert_eq!(server.requests().len(), 5);
    assert_eq!(stats.attempts(), 5);
    assert!(stats.latency_ms() >= 1000.0);
    // The same run without the 429 writes the same log: retries and waits
    // stay out of it.
    let clean = ScriptedProvider::start(openai_script());
    let base = format!("{}/v1", clean.base());
    let mut agent = LlmAgent::new(client("openai:test-model", &base, None, |_| {}), 7);
    let (_, clean_bytes) = run_model(&mut agent, &latency_spike(), 7);
    assert_eq!(bytes, clean_bytes);
}

#[test]
fn a_500_and_a_read_timeout_are_retried() {
    let mut script = vec![
        Reply::status(500, &[], error_body("server_error", "upstream exploded")),
        Reply::Stall(Duration::from_secs(2)),
    ];
    script.extend(openai_script());
    let server = ScriptedProvider::start(script);
    let base = format!("{}/v1", server.base());
    let client = client("openai:test-model", &base, None, |settings| {
        settings.read_timeout = Duration::from_millis(400);
    });
    let mut agent = LlmAgent::new(client, 7);
    let (outcome, _) = run_model(&mut agent, &latency_spike(), 7);
    assert_eq!(outcome.evaluation.mitigation, MitigationVerdict::Correct);
    assert_eq!(server.requests().len(), 6);
    assert_eq!(outcome.run.model_usage().model_calls, 4);
}

#[test]
fn retries_that_run_out_end_the_run_with_the_providers_message() {
    let overloaded = Reply::status(
        503,
        &[],
        error_body("overloaded_error", "the model is overloaded"),
    );
    let server = ScriptedProvider::start(vec![overloaded; 3]);
    let base = format!("{}/v1", server.base());
    let client = client("openai:test-model", &base, None, |settings| {
        settings.retry.max_retries = 2
    });
    let mut agent = LlmAgent::new(client, 7);
    let (outcome, bytes) = run_model(&mut agent, &latency_spike(), 7);
    let Some(TerminationReason::AgentError { message }) = outcome.run.termination() else {
        panic!("{:?}", outcome.run.termination());
    };
    assert_has(
        message,
        "HTTP 503 after 3 attempt(s): the model is overloaded (overloaded_error)",
    );
    assert_has(message, "openai:test-model");
    assert_eq!(server.requests().len(), 3);
    // The log is complete and verifies.
    assert_eq!(
        event_types(&bytes).last().map(String::as_str),
        Some("evaluation_recorded")
    );
}

#[test]
fn a_context_overflow_is_fatal_at_once_and_says_so() {
    let overflow = Reply::status(
        400,
        &[],
        error_body(
            "context_length_exceeded",
            "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.",
        ),
    );
    let server = ScriptedProvider::start(vec![overflow]);
    let base = format!("{}/v1", server.base());
    let mut agent = LlmAgent::new(client("openai:test-model", &base, None, |_| {}), 7);
    let (outcome, _) = run_model(&mut agent, &latency_spike(), 7);
    let Some(TerminationReason::AgentError { message }) = outcome.run.termination() else {
        panic!("{:?}", outcome.run.termination());
    };
    assert_has(message, "no longer fits the model's context window");
    assert_has(message, "maximum context length is 8192 tokens");
    assert_eq!(server.requests().len(), 1, "a fatal error is not retried");
}

#[test]
fn malformed_arguments_and_unknown_tools_fail_their_step_and_the_model_is_told_why() {
    let script = vec![
        openai_reply(
            "Logs first.",
            &[call("logs", "{\"service\": \"checkout\",")],
            1,
        ),
        openai_reply(
            "Maybe traces.",
            &[call(
                "traces",
                &arguments(json!({"service": "checkout"}), Value::Null),
            )],
            2,
        ),
        openai_reply("A list?", &[call("metrics", "[1, 2]")], 3),
    ];
    let mut script = script;
    script.extend(openai_script().into_iter().skip(3));
    let server = ScriptedProvider::start(script);
    let base = format!("{}/v1", server.base());
    let mut agent = LlmAgent::new(client("openai:test-model", &base, None, |_| {}), 7);
    let (outcome, _) = run_model(&mut agent, &latency_spike(), 7);
    assert_eq!(
        outcome.run.termination(),
        Some(&TerminationReason::MitigationProposed)
    );
    let failed = failures(&outcome);
    assert_eq!(failed.len(), 3, "{failed:?}");
    assert_has(
        &failed[0],
        "the agent gave no decision: the arguments of `logs` are not valid JSON",
    );
    assert_has(&failed[1], "unknown tool `traces`");
    assert_has(
        &failed[2],
        "the arguments of `metrics` must be a JSON object, got an array",
    );
    let requests = server.requests();
    let told = tool_messages(&requests[1].body);
    assert!(
        told[0].starts_with("call_1_0: Not run: the arguments of `logs` are not valid JSON"),
        "{told:?}"
    );
    let told = tool_messages(&requests[2].body);
    assert_has(
        &told[1],
        "unknown tool `traces`; available tools: services, logs, metrics, deploys, runbook",
    );
}

#[test]
fn a_reply_without_a_tool_call_is_nudged_once_then_fails_the_step() {
    let mut script = vec![
        openai_reply("I think it is the database.", &[], 1),
        openai_reply("Definitely the database.", &[], 2),
    ];
    script.extend(openai_script().into_iter().skip(3));
    let server = ScriptedProvider::start(script);
    let base = format!("{}/v1", server.base());
    let mut agent = LlmAgent::new(client("openai:test-model", &base, None, |_| {}), 7);
    let (outcome, bytes) = run_model(&mut agent, &latency_spike(), 7);
    assert_eq!(
        outcome.run.termination(),
        Some(&TerminationReason::MitigationProposed)
    );
    assert_eq!(
        failures(&outcome),
        vec![
            "the agent gave no decision: the model replied twice without calling a tool".to_owned()
        ]
    );
    let requests = server.requests();
    let nudge = requests[1].body["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(nudge, json!({"role": "user", "content": NUDGE}));
    // The next step's call does not continue the model's own turn: it is
    // told the step failed.
    let told = requests[2].body["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(told, json!({"role": "user", "content": NO_CALL_TWICE}));
    // Both calls of the failed step are in the log, in that step.
    let log = read_chain(&bytes, None).unwrap();
    let step_one_calls = log
        .events()
        .iter()
        .filter(|e| e.step() == Some(1) && e.kind().name() == "model_called")
        .count();
    assert_eq!(step_one_calls, 2);
    assert_eq!(outcome.run.model_usage().model_calls, 3);
}

#[test]
fn two_tool_calls_in_one_reply_run_the_first_and_answer_the_second() {
    let investigation = sound_investigation();
    let mut script = vec![openai_reply(
        "Catalogue and logs at once.",
        &[investigation[0].1.clone(), investigation[2].1.clone()],
        1,
    )];
    script.extend(openai_script().into_iter().skip(1));
    let server = ScriptedProvider::start(script);
    let base = format!("{}/v1", server.base());
    let mut agent = LlmAgent::new(client("openai:test-model", &base, None, |_| {}), 7);
    let (outcome, _) = run_model(&mut agent, &latency_spike(), 7);
    assert_eq!(outcome.evaluation.mitigation, MitigationVerdict::Correct);
    assert_eq!(
        outcome.run.steps()[0].tool_call().unwrap().tool_name,
        "services"
    );
    let told = tool_messages(&server.requests()[1].body);
    assert_eq!(told.len(), 2, "{told:?}");
    assert!(
        told[0]
            .starts_with("call_1_1: Not run: only the first tool call of a reply is carried out"),
        "{told:?}"
    );
    assert!(told[1].starts_with("call_1_0: {"), "{told:?}");
}

#[test]
fn a_token_budget_ends_the_run_as_budget_exhausted() {
    let server = ScriptedProvider::start(openai_script());
    let base = format!("{}/v1", server.base());
    let client = client("openai:test-model", &base, None, |settings| {
        settings.max_tokens_per_run = Some(2000)
    });
    let mut agent = LlmAgent::new(client, 7);
    let (outcome, bytes) = run_model(&mut agent, &latency_spike(), 7);
    let Some(TerminationReason::BudgetExhausted { message }) = outcome.run.termination() else {
        panic!("{:?}", outcome.run.termination());
    };
    assert_eq!(
        message,
        "the run used 2400 tokens of its 2000 (--max-tokens-per-run)"
    );
    assert_eq!(outcome.run.model_usage().model_calls, 2);
    assert_eq!(server.requests().len(), 2);
    assert_has(
        &String::from_utf8(bytes).unwrap(),
        r#""reason":{"kind":"budget_exhausted""#,
    );
}

#[test]
fn whatever_a_model_returns_is_bounded_and_fails_a_step_at_worst() {
    let huge = "x".repeat(20 * 1024);
    let script = vec![
        // Endless words: cut, and the decision still goes through.
        openai_reply(
            &"word ".repeat(40_000),
            &[call(
                "services",
                &arguments(json!({"section": null, "name": null}), Value::Null),
            )],
            1,
        ),
        // A confidence out of range in the analysis of step 1: it fails.
        openai_reply(
            "Deploys.",
            &[call(
                "deploys",
                &arguments(
                    json!({"service": "checkout", "start": null, "end": null, "last_minutes": 120, "limit": null}),
                    analysis("s", true, Some("h"), Some(7.0), None),
                ),
            )],
            2,
        ),
        // An analysis of the wrong type, for step 2.
        openai_reply(
            "Runbooks.",
            &[call(
                "runbook",
                &arguments(
                    json!({"runbook_id": null, "service": null, "keywords": null, "limit": null}),
                    json!("fine"),
                ),
            )],
            3,
        ),
        // A number JSON cannot hold.
        openai_reply(
            "Logs.",
            &[call("logs", r#"{"service": "checkout", "limit": 1e999}"#)],
            4,
        ),
        // Arguments over the engine's 16 KiB limit.
        openai_reply(
            "Logs again.",
            &[call(
                "logs",
                &arguments(json!({"service": "checkout", "pattern": huge}), Value::Null),
            )],
            5,
        ),
    ];
    let mut script = script;
    script.extend(openai_script().into_iter().skip(3));
    let server = ScriptedProvider::start(script);
    let base = format!("{}/v1", server.base());
    let mut agent = LlmAgent::new(client("openai:test-model", &base, None, |_| {}), 7);
    let (outcome, bytes) = run_model(&mut agent, &latency_spike(), 7);
    assert_eq!(
        outcome.run.termination(),
        Some(&TerminationReason::MitigationProposed)
    );
    let failed = failures(&outcome);
    assert_eq!(failed.len(), 4, "{failed:?}");
    assert_has(
        &failed[0],
        "`confidence` must be between 0.0 and 1.0 inclusive, got 7",
    );
    assert_has(
        &failed[1],
        "the `analysis` argument must be an object or null",
    );
    assert_has(
        &failed[2],
        "the arguments of `logs` are not valid JSON: number out of range",
    );
    assert_has(&failed[3], "over the 16384-byte limit");
    // The model heard with the next result that the engine refused its
    // hypothesis, and that its analysis could not be read.
    let told = tool_messages(&server.requests()[2].body);
    assert_has(
        told.last().unwrap(),
        "Note: your last hypothesis change was not recorded",
    );
    let told = tool_messages(&server.requests()[3].body);
    assert_has(
        told.last().unwrap(),
        "Note: your last `analysis` was refused",
    );
    let Some(oncall_domain::Decision::CallTool { reasoning, .. }) =
        outcome.run.steps()[0].decision()
    else {
        panic!("step 1 is not a tool call");
    };
    assert!(
        reasoning.len() < 16 * 1024 && reasoning.contains("[cut"),
        "{}",
        reasoning.len()
    );
    assert!(read_chain(&bytes, None).is_ok());
}

#[test]
fn a_recorded_cassette_replays_the_run_byte_for_byte_without_the_network_or_a_key() {
    let directory = scratch_dir("llm_cassette");
    let cassette_path = directory.join("run.cassette.jsonl");
    let transcripts = directory.join("transcripts");
    std::fs::create_dir_all(&transcripts).unwrap();
    let mut script = vec![Reply::status(
        429,
        &[("retry-after-ms", "20")],
        error_body("rate_limit_error", "slow down"),
    )];
    script.extend(openai_script());
    let server = ScriptedProvider::start(script);
    let base = format!("{}/v1", server.base());
    let recording = Arc::new(Cassette::record(&cassette_path).unwrap());
    let mut agent = LlmAgent::new(
        client("openai:test-model", &base, Some(recording), |_| {}),
        11,
    )
    .with_transcript(transcripts.join("run.json"));
    let (recorded, recorded_bytes) = run_model(&mut agent, &latency_spike(), 11);
    assert_eq!(recorded.evaluation.mitigation, MitigationVerdict::Correct);

    // Replay: no server (a port nothing listens on) and no key.
    let replaying = Arc::new(Cassette::replay(&cassette_path).unwrap());
    let spec = ModelSpec::parse("openai:test-model").unwrap().unwrap();
    let mut settings = LlmSettings::new(spec);
    settings.base_url = "http://127.0.0.1:9/v1".to_owned();
    let transport = Arc::new(UreqTransport::new(
        Duration::from_millis(200),
        Duration::from_millis(200),
    ));
    let offline = Arc::new(ModelClient::new(settings, transport, Some(replaying)).unwrap());
    let mut agent = LlmAgent::new(Arc::clone(&offline), 11);
    let (replayed, replayed_bytes) = run_model(&mut agent, &latency_spike(), 11);
    assert_eq!(
        replayed_bytes, recorded_bytes,
        "a replayed run writes the same log"
    );
    assert_eq!(replayed.evaluation, recorded.evaluation);

    // Another seed is another run: its first request is not in the
    // cassette, and the error names the step.
    let mut agent = LlmAgent::new(offline, 12);
    let (missed, _) = run_model(&mut agent, &latency_spike(), 12);
    let Some(TerminationReason::AgentError { message }) = missed.run.termination() else {
        panic!("{:?}", missed.run.termination());
    };
    assert_has(message, "has no recorded reply for step 1's model call");
    assert_has(message, "--record");

    // The key went only into the request headers.
    let cassette = std::fs::read_to_string(&cassette_path).unwrap();
    assert_eq!(cassette.lines().count(), 5, "a header and four calls");
    assert!(cassette.starts_with("{\"oncall_gym_cassette\":1}\n"));
    let transcript = std::fs::read_to_string(transcripts.join("run.json")).unwrap();
    for (what, text) in [
        ("cassette", &cassette),
        ("transcript", &transcript),
        ("log", &String::from_utf8(recorded_bytes).unwrap()),
    ] {
        assert!(!text.contains(SECRET), "the key is in the {what}");
        assert!(
            !text.to_lowercase().contains("authorization"),
            "an auth header is in the {what}"
        );
    }
    let transcript: Value = serde_json::from_str(&transcript).unwrap();
    assert_eq!(transcript["agent"], "openai:test-model");
    assert_eq!(transcript["messages"].as_array().unwrap().len(), 2 + 4 + 3);
}

#[test]
fn the_model_is_warned_before_its_last_step() {
    let investigation = sound_investigation();
    let script = vec![
        openai_reply("Catalogue.", &[investigation[0].1.clone()], 1),
        openai_reply("Ending.", &[investigation[3].1.clone()], 2),
    ];
    let server = ScriptedProvider::start(script);
    let base = format!("{}/v1", server.base());
    let mut agent = LlmAgent::new(client("openai:test-model", &base, None, |_| {}), 7);
    let outcome = run_scenario(
        &latency_spike(),
        &mut agent,
        RunSettings {
            seed: 7,
            max_steps: Some(2),
        },
        None,
    )
    .unwrap();
    assert_eq!(
        outcome.run.termination(),
        Some(&TerminationReason::MitigationProposed)
    );
    let requests = server.requests();
    assert_has(
        requests[0].body["messages"][1]["content"].as_str().unwrap(),
        "You have 2 steps",
    );
    let told = tool_messages(&requests[1].body);
    assert_has(
        &told[0],
        "[Your next call is your last step: end with propose_mitigation or escalate.]",
    );
}

#[test]
fn a_key_echoed_in_an_error_body_is_redacted_before_it_is_kept() {
    let echo = Reply::status(
        401,
        &[],
        error_body(
            "invalid_api_key",
            &format!("Incorrect API key provided: {SECRET}"),
        ),
    );
    let server = ScriptedProvider::start(vec![echo]);
    let base = format!("{}/v1", server.base());
    let mut agent = LlmAgent::new(client("openai:test-model", &base, None, |_| {}), 7);
    let (outcome, bytes) = run_model(&mut agent, &latency_spike(), 7);
    let Some(TerminationReason::AgentError { message }) = outcome.run.termination() else {
        panic!("{:?}", outcome.run.termination());
    };
    assert_has(
        message,
        "HTTP 401 after 1 attempt(s): Incorrect API key provided: [redacted] (invalid_api_key)",
    );
    assert!(!String::from_utf8(bytes).unwrap().contains(SECRET));
    assert_eq!(server.requests().len(), 1, "a 401 is not retried");
}
