//! The episode's rules call by call, and the server in process over an
//! in-memory pipe, pipelined the way a busy client sends.

use std::path::Path;
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use oncall_sim::Scenario;

use crate::episode::{McpEpisode, McpSettings};
use crate::render::Answer;
use crate::server::serve;

fn latency_spike() -> Scenario {
    let directory =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/incidents/latency_spike");
    Scenario::load(&directory).unwrap()
}

fn settings(max_steps: Option<u32>) -> McpSettings {
    McpSettings {
        agent: "unit".to_owned(),
        seed: 0,
        max_steps,
        audit: None,
    }
}

fn call(episode: &mut McpEpisode, tool: &str, arguments: Value) -> Answer {
    let Value::Object(arguments) = arguments else {
        panic!("arguments must be an object");
    };
    episode.call_tool(tool, &arguments).unwrap()
}

/// What a finish hook was told, call by call: `Ok(passed)` for a judged
/// run, `Err(reason)` for one that failed.
type Endings = Arc<Mutex<Vec<Result<bool, String>>>>;

/// An episode whose finish hook records each call.
fn watched(max_steps: Option<u32>) -> (McpEpisode, Endings) {
    let seen: Endings = Arc::default();
    let hook = {
        let seen = Arc::clone(&seen);
        Box::new(move |ending: Result<&crate::Finished, &str>| {
            seen.lock().unwrap().push(
                ending
                    .map(|finished| finished.outcome.evaluation.passed)
                    .map_err(str::to_owned),
            );
        })
    };
    let episode = McpEpisode::start(&latency_spike(), settings(max_steps))
        .unwrap()
        .on_finish(hook);
    (episode, seen)
}

fn rollback() -> Value {
    json!({
        "mitigation": "roll back checkout", "confidence": 0.8, "reasoning": "the deploy",
        "root_cause": {"service": "checkout", "category": "deploy_regression"},
        "actions": [{"kind": "rollback", "target": "checkout", "description": null}]
    })
}

#[test]
fn the_run_is_judged_once_when_it_ends_and_later_calls_are_refused() {
    let (mut episode, seen) = watched(None);
    let deploys = call(&mut episode, "deploys", json!({}));
    assert!(!deploys.is_error, "{}", deploys.text);
    let ended = call(&mut episode, "propose_mitigation", rollback());
    assert!(!ended.is_error, "{}", ended.text);
    assert_eq!(ended.structured["episode_over"], true);
    assert_eq!(*seen.lock().unwrap(), vec![Ok(true)]);

    let after = call(&mut episode, "logs", json!({}));
    assert!(after.is_error);
    assert!(
        after
            .text
            .contains("the episode is over (mitigation_proposed)"),
        "{}",
        after.text
    );
    let alert = call(&mut episode, "incident", json!({}));
    assert!(!alert.is_error);
    assert_eq!(alert.structured["episode_over"], true);
    episode.close();
    assert_eq!(seen.lock().unwrap().len(), 1, "judged twice");
}

#[test]
fn a_client_that_leaves_abandons_the_run_and_says_why() {
    let (mut episode, seen) = watched(None);
    call(&mut episode, "services", json!({}));
    episode.close();
    assert_eq!(*seen.lock().unwrap(), vec![Ok(false)]);
    assert!(episode.is_over());
    let after = call(&mut episode, "services", json!({}));
    assert!(after.text.contains("abandoned"), "{}", after.text);
}

#[test]
fn the_last_step_returns_its_result_and_ends_the_episode() {
    let (mut episode, seen) = watched(Some(2));
    call(&mut episode, "services", json!({}));
    let last = call(&mut episode, "deploys", json!({}));
    assert!(!last.is_error, "{}", last.text);
    assert!(last.structured["tool_result"]["data"]["deploys"].is_array());
    assert_eq!(last.structured["episode_over"], true);
    assert!(
        last.text.contains("That was the last step"),
        "{}",
        last.text
    );
    assert_eq!(*seen.lock().unwrap(), vec![Ok(false)]);
}

#[test]
fn a_hypothesis_update_the_engine_refuses_closes_the_step_but_keeps_the_observation() {
    let (mut episode, _) = watched(None);
    call(&mut episode, "deploys", json!({}));
    let refused = call(
        &mut episode,
        "record_observation",
        json!({"summary": "a deploy", "significant": true, "hypothesis": "the deploy", "confidence": 1.5}),
    );
    assert!(refused.is_error);
    assert_eq!(refused.structured["recorded"], true);
    assert_eq!(refused.structured["observation_count"], 1);
    assert!(
        refused.text.contains("the hypothesis update was refused"),
        "{}",
        refused.text
    );
    assert!(refused.text.contains("confidence"), "{}", refused.text);
    let again = call(
        &mut episode,
        "record_observation",
        json!({"summary": "a deploy", "significant": true}),
    );
    assert!(
        again.text.contains("no tool result awaits"),
        "{}",
        again.text
    );
}

#[test]
fn an_unknown_tool_is_not_a_step() {
    let (mut episode, _) = watched(None);
    assert!(episode.call_tool("rm_rf", &Map::new()).is_none());
    let alert = call(&mut episode, "incident", json!({}));
    assert_eq!(alert.structured["step"], 0);
}

#[test]
fn the_instructions_hold_the_alert_and_nothing_of_the_scenario() {
    let scenario = latency_spike();
    let (episode, _) = watched(None);
    let instructions = episode.instructions();
    assert!(
        instructions.contains("checkout p99 latency above 1s"),
        "{instructions}"
    );
    for secret in [
        scenario.id(),
        scenario.title(),
        "deploy_regression",
        "v2.13.2",
    ] {
        assert!(
            !instructions.contains(secret),
            "`{secret}` leaked: {instructions}"
        );
    }
}

#[test]
fn pipelined_requests_and_bad_lines_each_get_exactly_one_answer() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    runtime.block_on(async {
        let (client, server_end) = tokio::io::duplex(64 * 1024);
        let (server_read, server_write) = tokio::io::split(server_end);
        let episode = McpEpisode::start(&latency_spike(), settings(Some(40))).unwrap();
        let served = tokio::spawn(serve(episode, server_read, server_write));
        let (client_read, mut client_write) = tokio::io::split(client);
        let mut answers = BufReader::new(client_read).lines();

        let initialize = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "unit", "version": "1"}}});
        let mut burst = format!("{initialize}\n");
        burst.push_str("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n");
        client_write.write_all(burst.as_bytes()).await.unwrap();
        let first = tokio::time::timeout(std::time::Duration::from_secs(10), answers.next_line())
            .await
            .expect("no answer to initialize");
        let first: Value = serde_json::from_str(&first.unwrap().unwrap()).unwrap();
        assert_eq!(first["id"], 0);

        // Thirty calls and ten broken lines in one write, read afterwards.
        let mut burst = String::new();
        for id in 1..=30 {
            let tool = if id % 3 == 0 { "deploys" } else { "incident" };
            burst.push_str(&json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
                "params": {"name": tool, "arguments": {}}}).to_string());
            burst.push('\n');
            if id % 3 == 0 {
                burst.push_str("{broken\n");
            }
        }
        client_write.write_all(burst.as_bytes()).await.unwrap();
        let mut ids = Vec::new();
        let mut parse_errors = 0;
        while ids.len() + parse_errors < 40 {
            let line = tokio::time::timeout(std::time::Duration::from_secs(10), answers.next_line())
                .await
                .unwrap_or_else(|_| panic!("no answer after {ids:?} and {parse_errors} parse errors"));
            let answer: Value = serde_json::from_str(&line.unwrap().unwrap()).unwrap();
            match answer["id"].as_u64() {
                Some(id) => ids.push(id),
                None => {
                    assert_eq!(answer["error"]["code"], -32700, "{answer}");
                    parse_errors += 1;
                }
            }
        }
        // Answered in the order they were sent: the engine sees the calls
        // in arrival order (one thread, one lock).
        assert_eq!(ids, (1..=30).collect::<Vec<u64>>());
        assert_eq!(parse_errors, 10);
        // End of input (the duplex signals it on shutdown; dropping one
        // half would not).
        client_write.shutdown().await.unwrap();
        let summary = tokio::time::timeout(std::time::Duration::from_secs(10), served)
            .await
            .expect("the server did not stop at the end of input")
            .unwrap()
            .unwrap();
        assert_eq!((summary.tool_calls, summary.refused), (30, 10));
        assert_eq!(summary.ended_early, None);
    });
}

/// Any JSON value, small.
fn any_json() -> impl proptest::strategy::Strategy<Value = Value> {
    use proptest::prelude::*;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-2.0f64..2.0).prop_map(Value::from),
        "[a-z_ ]{0,12}".prop_map(Value::from),
        Just(json!("checkout")),
        Just(json!("rollback")),
        Just(json!("deploy_regression")),
    ];
    leaf.prop_recursive(2, 16, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..3).prop_map(Value::from),
            proptest::collection::btree_map(
                prop_oneof![
                    Just("service".to_owned()),
                    Just("summary".to_owned()),
                    Just("significant".to_owned()),
                    Just("hypothesis".to_owned()),
                    Just("confidence".to_owned()),
                    Just("status".to_owned()),
                    Just("root_cause".to_owned()),
                    Just("actions".to_owned()),
                    Just("team".to_owned()),
                    Just("reason".to_owned()),
                    "[a-z]{1,6}",
                ],
                inner,
                0..4
            )
            .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// Whatever a client calls, with whatever arguments, nothing panics,
    /// every call is answered (or is an unknown tool), the episode never
    /// runs past its limit, and the run is judged exactly once.
    #[test]
    fn any_sequence_of_calls_is_answered_and_judged_once(
        calls in proptest::collection::vec(
            (
                proptest::sample::select(vec![
                    "incident", "services", "logs", "metrics", "deploys", "runbook",
                    "record_observation", "propose_mitigation", "escalate", "no_such_tool",
                ]),
                any_json(),
            ),
            0..25,
        )
    ) {
        let (mut episode, seen) = watched(Some(6));
        for (tool, arguments) in calls {
            let arguments = match arguments {
                Value::Object(fields) => fields,
                _ => Map::new(),
            };
            match episode.call_tool(tool, &arguments) {
                None => proptest::prop_assert_eq!(tool, "no_such_tool"),
                Some(answer) => {
                    proptest::prop_assert!(!answer.text.is_empty());
                    if let Some(step) = answer.structured["step"].as_u64() {
                        proptest::prop_assert!(step <= 6, "step {} past the limit", step);
                    }
                }
            }
        }
        episode.close();
        proptest::prop_assert!(episode.is_over());
        proptest::prop_assert_eq!(seen.lock().unwrap().len(), 1);
    }
}
