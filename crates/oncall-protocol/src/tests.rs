//! The sessions and the line protocol, driven as a client would, against
//! the bundled scenarios on disk.

use std::io::BufReader;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use serde_json::{Value, json};

use oncall_sim::{Difficulty, Scenario, scenario_directories};

use crate::{MAX_LINE_BYTES, ScenarioSource, Sessions, handle_line, serve_lines};

/// The workspace's bundled scenarios, by name.
#[derive(Debug)]
struct Fixtures {
    root: PathBuf,
}

impl Fixtures {
    fn new() -> Fixtures {
        Fixtures {
            root: Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/incidents"),
        }
    }
}

impl ScenarioSource for Fixtures {
    fn list(&self) -> Vec<(String, Difficulty)> {
        scenario_directories(&self.root)
            .unwrap()
            .iter()
            .map(|directory| Scenario::load(directory).unwrap())
            .map(|scenario| (scenario.id().to_owned(), scenario.difficulty()))
            .collect()
    }

    fn load(&self, name: &str) -> Result<Scenario, String> {
        Scenario::load_named(&self.root, name).map_err(|error| error.to_string())
    }
}

/// Sends `request` (a JSON value) as one line and returns the answer.
fn ask(sessions: &mut Sessions<Fixtures>, request: Value) -> Value {
    let line = serde_json::to_vec(&request).unwrap();
    let answer = handle_line(sessions, &line).expect("a request with an id is answered");
    serde_json::from_str(&answer).unwrap()
}

fn call(sessions: &mut Sessions<Fixtures>, method: &str, params: Value) -> Value {
    ask(
        sessions,
        json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}),
    )
}

fn result(answer: Value) -> Value {
    assert!(answer.get("error").is_none(), "{answer}");
    answer["result"].clone()
}

fn error_kind(answer: &Value) -> &str {
    answer["error"]["data"]["kind"]
        .as_str()
        .unwrap_or("no error")
}

fn tool_call(tool: &str) -> Value {
    json!({"action": "call_tool", "tool_name": tool, "params": {}, "reasoning": "look"})
}

fn escalate() -> Value {
    json!({"action": "escalate", "reason": "not ours", "target": "the database team"})
}

#[test]
fn an_episode_runs_from_reset_to_close_in_gymnasiums_shape() {
    let mut sessions = Sessions::new(Fixtures::new());
    let reset = result(call(
        &mut sessions,
        "reset",
        json!({"scenario": "latency_spike", "seed": 4, "agent": "tester"}),
    ));
    let episode = reset["episode"].as_str().unwrap().to_owned();
    assert_eq!(reset["observation"]["step"], 0);
    assert_eq!(reset["observation"]["steps_remaining"], 12);
    assert_eq!(reset["info"]["scenario"], "latency_spike");
    assert_eq!(reset["info"]["agent"], "tester");

    let looked = result(call(
        &mut sessions,
        "step",
        json!({"episode": episode, "action": tool_call("deploys")}),
    ));
    assert_eq!(looked["observation"]["tool_result"]["tool_name"], "deploys");
    assert_eq!(looked["observation"]["step"], 1);
    assert_eq!(looked["reward"], 0.0);
    assert_eq!(looked["terminated"], false);
    assert_eq!(looked["info"]["run_id"], reset["info"]["run_id"]);

    let analysis = json!({"summary": "one deploy before the alert", "significant": true,
        "hypothesis_update": {"kind": "create", "statement": "the deploy", "confidence": 0.6,
            "cite_observation": true}});
    let ended = result(call(
        &mut sessions,
        "step",
        json!({"episode": episode, "action": escalate(), "analysis": analysis}),
    ));
    assert_eq!(ended["terminated"], true);
    assert_eq!(ended["truncated"], false);
    assert_eq!(ended["observation"]["observation_count"], 1);
    assert_eq!(
        ended["observation"]["hypothesis"]["statement"],
        "the deploy"
    );
    let total = ended["info"]["evaluation"]["total"].as_f64().unwrap();
    assert_eq!(ended["reward"].as_f64().unwrap(), total);
    assert_eq!(ended["info"]["status"], "escalated");
    assert_eq!(ended["info"]["head_hash"].as_str().unwrap().len(), 64);

    let again = call(
        &mut sessions,
        "step",
        json!({"episode": episode, "action": escalate()}),
    );
    assert_eq!(error_kind(&again), "episode_over");
    assert_eq!(again["error"]["code"], -32002);

    let closed = result(call(&mut sessions, "close", json!({"episode": episode})));
    assert_eq!(closed["info"]["head_hash"], ended["info"]["head_hash"]);
    assert_eq!(closed["info"]["evaluation"], ended["info"]["evaluation"]);
    assert_eq!(sessions.open_episodes(), 0);
    let gone = call(&mut sessions, "close", json!({"episode": episode}));
    assert_eq!(error_kind(&gone), "unknown_episode");
}

#[test]
fn the_observation_never_holds_the_scenario_or_its_answer() {
    let mut sessions = Sessions::new(Fixtures::new());
    let source = Fixtures::new();
    for (id, _) in source.list() {
        let scenario = source.load(&id).unwrap();
        let reset = result(call(&mut sessions, "reset", json!({"scenario": id})));
        let episode = reset["episode"].clone();
        let mut seen = vec![reset["observation"].to_string()];
        let mut around_results = vec![reset["observation"].to_string()];
        for tool in ["services", "deploys", "logs", "metrics", "runbook"] {
            let step = call(
                &mut sessions,
                "step",
                json!({"episode": episode, "action": tool_call(tool)}),
            );
            let mut observation = result(step)["observation"].clone();
            seen.push(observation.to_string());
            observation["tool_result"] = Value::Null;
            around_results.push(observation.to_string());
        }
        let truth = scenario.ground_truth();
        for text in &seen {
            for secret in [
                scenario.id(),
                scenario.title(),
                scenario.summary(),
                truth.root_cause.statement.as_str(),
            ] {
                assert!(!text.contains(secret), "{id}: `{secret}` in {text}");
            }
        }
        // The category's name may be an everyday word in the telemetry
        // ("cache"), but nothing the protocol adds names it.
        for text in &around_results {
            assert!(!text.contains(scenario.category().as_str()), "{id}: {text}");
            assert!(!text.contains("category"), "{id}: {text}");
        }
        result(call(&mut sessions, "close", json!({"episode": episode})));
    }
}

#[test]
fn a_tool_call_on_the_last_step_ends_the_episode_with_its_result() {
    let mut sessions = Sessions::new(Fixtures::new());
    let reset = result(call(
        &mut sessions,
        "reset",
        json!({"scenario": "latency_spike", "max_steps": 2}),
    ));
    let episode = reset["episode"].clone();
    let first = result(call(
        &mut sessions,
        "step",
        json!({"episode": episode, "action": tool_call("deploys")}),
    ));
    assert_eq!(first["observation"]["steps_remaining"], 1);
    assert_eq!(first["truncated"], false);
    let last = result(call(
        &mut sessions,
        "step",
        json!({"episode": episode, "action": tool_call("logs"),
            "analysis": {"summary": "a deploy", "significant": true}}),
    ));
    assert_eq!(last["truncated"], true, "{last}");
    assert_eq!(last["terminated"], false);
    assert_eq!(last["info"]["termination"]["kind"], "step_limit");
    assert_eq!(last["observation"]["tool_result"]["tool_name"], "logs");
    assert_eq!(last["observation"]["steps_remaining"], 0);
    assert_eq!(last["observation"]["observation_count"], 1);
    let total = last["info"]["evaluation"]["total"].as_f64().unwrap();
    assert_eq!(last["reward"].as_f64().unwrap(), total);
    let after = call(
        &mut sessions,
        "step",
        json!({"episode": episode, "action": escalate()}),
    );
    assert_eq!(error_kind(&after), "episode_over");
}

#[test]
fn an_ending_action_on_the_last_step_is_carried_out() {
    let mut sessions = Sessions::new(Fixtures::new());
    let reset = result(call(
        &mut sessions,
        "reset",
        json!({"scenario": "latency_spike", "max_steps": 1}),
    ));
    let ended = result(call(
        &mut sessions,
        "step",
        json!({"episode": reset["episode"], "action": escalate()}),
    ));
    assert_eq!(ended["terminated"], true);
    assert_eq!(ended["truncated"], false);
    assert_eq!(ended["info"]["status"], "escalated");
}

#[test]
fn unreadable_actions_and_analyses_fail_steps_and_say_why() {
    let mut sessions = Sessions::new(Fixtures::new());
    let reset = result(call(
        &mut sessions,
        "reset",
        json!({"scenario": "latency_spike"}),
    ));
    let episode = reset["episode"].clone();
    // An analysis with nothing to analyse is ignored, and the agent told.
    let stray = result(call(
        &mut sessions,
        "step",
        json!({"episode": episode, "action": tool_call("deploys"),
            "analysis": {"summary": "nothing to analyse", "significant": false}}),
    ));
    assert_eq!(stray["observation"]["step"], 1);
    assert_eq!(stray["observation"]["tool_result"]["tool_name"], "deploys");
    let ignored = stray["observation"]["previous_step_failure"]
        .as_str()
        .unwrap();
    assert!(ignored.starts_with("the analysis was ignored"), "{ignored}");
    assert_eq!(stray["observation"]["observation_count"], 0);
    // An analysis that cannot be read fails the step it analyses.
    let unread = result(call(
        &mut sessions,
        "step",
        json!({"episode": episode, "action": tool_call("deploys"),
            "analysis": {"significant": true}}),
    ));
    let refused = unread["observation"]["previous_step_failure"]
        .as_str()
        .unwrap();
    assert!(
        refused.starts_with("the analysis was refused: ") && refused.contains("summary"),
        "{refused}"
    );
    assert_eq!(unread["info"]["previous_step_failure"], refused);
    assert_eq!(unread["observation"]["step"], 2);
    // An analysis the engine refuses (a blank summary) is reported too.
    let blank = result(call(
        &mut sessions,
        "step",
        json!({"episode": episode, "action": {"action": "reboot_everything"},
            "analysis": {"summary": " ", "significant": true}}),
    ));
    let previous = blank["observation"]["previous_step_failure"]
        .as_str()
        .unwrap();
    assert!(previous.contains("observation refused"), "{previous}");
    // An action that is not a decision fails its own step.
    assert_eq!(blank["observation"]["step"], 3);
    let failure = blank["observation"]["step_failure"].as_str().unwrap();
    assert!(
        failure.starts_with("the action is not a decision: "),
        "{failure}"
    );
    assert!(failure.contains("reboot_everything"), "{failure}");
    assert_eq!(blank["info"]["step_failure"], failure);
    let text = result(call(
        &mut sessions,
        "step",
        json!({"episode": episode, "action": tool_call("deploys").to_string()}),
    ));
    assert_eq!(text["observation"]["tool_result"]["tool_name"], "deploys");
    assert!(text["observation"]["previous_step_failure"].is_null());
    for (wrong, field) in [
        (json!({"episode": episode, "action": 5}), "not a number"),
        (
            json!({"episode": episode, "action": tool_call("logs"), "analysis": "seen"}),
            "params.analysis must be an analysis object, not a string",
        ),
    ] {
        let answer = call(&mut sessions, "step", wrong);
        assert_eq!(error_kind(&answer), "invalid_params");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(message.contains(field), "{message}");
    }
}

#[test]
fn an_audit_file_serves_one_open_episode_at_a_time() {
    let directory =
        std::env::temp_dir().join(format!("oncall-protocol-audit-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();
    let log = directory.join("shared.jsonl");
    let mut sessions = Sessions::new(Fixtures::new());
    result(call(
        &mut sessions,
        "reset",
        json!({"scenario": "latency_spike", "audit": log}),
    ));
    let clash = call(
        &mut sessions,
        "reset",
        json!({"scenario": "latency_spike", "audit": directory.join(".").join("shared.jsonl")}),
    );
    assert_eq!(error_kind(&clash), "audit_error");
    assert!(
        clash["error"]["message"]
            .as_str()
            .unwrap()
            .contains("open episode `ep-1`")
    );
    result(call(&mut sessions, "close", json!({"episode": "ep-1"})));
    result(call(
        &mut sessions,
        "reset",
        json!({"scenario": "latency_spike", "audit": log}),
    ));
    std::fs::remove_dir_all(&directory).unwrap();
}

#[test]
fn bad_requests_get_errors_that_say_what_to_fix() {
    let mut sessions = Sessions::new(Fixtures::new());
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            json!({"jsonrpc": "2.0", "id": 1, "method": "dance"}),
            "method_not_found",
            "no method `dance`",
        ),
        (
            json!({"jsonrpc": "1.0", "id": 1, "method": "tools"}),
            "invalid_request",
            "`jsonrpc` must be \"2.0\"",
        ),
        (
            json!({"jsonrpc": "2.0", "id": 1, "method": 7}),
            "invalid_request",
            "`method` must be a string",
        ),
        (
            json!({"jsonrpc": "2.0", "id": [1], "method": "tools"}),
            "invalid_request",
            "`id` must be",
        ),
        (
            json!({"jsonrpc": "2.0", "id": 1, "method": "tools", "extra": 1}),
            "invalid_request",
            "unknown member `extra`",
        ),
        (
            json!({"jsonrpc": "2.0", "id": 1, "method": "reset", "params": [1]}),
            "invalid_params",
            "object of named parameters",
        ),
        (
            json!({"jsonrpc": "2.0", "id": 1, "method": "reset", "params": {}}),
            "invalid_params",
            "missing field `scenario`",
        ),
        (
            json!({"jsonrpc": "2.0", "id": 1, "method": "reset", "params": {"scenario": "latency_spike", "seed": -1}}),
            "invalid_params",
            "params.seed",
        ),
        (
            json!({"jsonrpc": "2.0", "id": 1, "method": "reset", "params": {"scenario": "latency_spike", "max_steps": 0}}),
            "invalid_params",
            "between 1 and",
        ),
        (
            json!({"jsonrpc": "2.0", "id": 1, "method": "reset", "params": {"scenario": "latency_spike", "agent": ""}}),
            "invalid_params",
            "params.agent",
        ),
        (
            json!({"jsonrpc": "2.0", "id": 1, "method": "reset", "params": {"scenario": "latency_spike", "colour": "red"}}),
            "invalid_params",
            "unknown field `colour`",
        ),
        (
            json!({"jsonrpc": "2.0", "id": 1, "method": "reset", "params": {"scenario": "../../etc"}}),
            "unknown_scenario",
            "is not allowed",
        ),
        (
            json!({"jsonrpc": "2.0", "id": 1, "method": "reset", "params": {"scenario": "no_such_incident"}}),
            "unknown_scenario",
            "no_such_incident",
        ),
        (
            json!({"jsonrpc": "2.0", "id": 1, "method": "reset", "params": {"scenario": "latency_spike", "audit": "/no/such/dir/log.jsonl"}}),
            "audit_error",
            "could not create the audit log",
        ),
        (
            json!({"jsonrpc": "2.0", "id": 1, "method": "step", "params": {"episode": "ep-9", "action": {}}}),
            "unknown_episode",
            "no open episode `ep-9`",
        ),
        (
            json!({"jsonrpc": "2.0", "id": 1, "method": "tools", "params": {"x": 1}}),
            "invalid_params",
            "takes no params",
        ),
    ];
    for (request, kind, message) in cases {
        let answer = ask(&mut sessions, request.clone());
        assert_eq!(error_kind(&answer), kind, "{request} → {answer}");
        let said = answer["error"]["message"].as_str().unwrap();
        assert!(said.contains(message), "{request} → {said}");
        assert_eq!(
            answer["id"],
            request
                .get("id")
                .filter(|id| !id.is_array())
                .cloned()
                .unwrap_or(Value::Null)
        );
    }
    assert_eq!(sessions.open_episodes(), 0);
    // A notification is never answered. Only `close` is carried out: a
    // reset's episode id could never be read, so it opens nothing.
    let notification =
        br#"{"jsonrpc":"2.0","method":"reset","params":{"scenario":"latency_spike"}}"#;
    assert_eq!(handle_line(&mut sessions, notification), None);
    assert_eq!(sessions.open_episodes(), 0);
    result(call(
        &mut sessions,
        "reset",
        json!({"scenario": "latency_spike"}),
    ));
    assert_eq!(sessions.open_episodes(), 1);
    let close = br#"{"jsonrpc":"2.0","method":"close","params":{"episode":"ep-1"}}"#;
    assert_eq!(handle_line(&mut sessions, close), None);
    assert_eq!(sessions.open_episodes(), 0);
    assert_eq!(handle_line(&mut sessions, b"   "), None);
}

#[test]
fn resets_past_the_cap_are_refused_until_an_episode_closes() {
    let mut sessions = Sessions::with_max_open(Fixtures::new(), 2);
    for _ in 0..2 {
        result(call(
            &mut sessions,
            "reset",
            json!({"scenario": "latency_spike"}),
        ));
    }
    let refused = call(&mut sessions, "reset", json!({"scenario": "latency_spike"}));
    assert_eq!(error_kind(&refused), "too_many_episodes");
    assert_eq!(refused["error"]["code"], -32003);
    result(call(&mut sessions, "close", json!({"episode": "ep-1"})));
    let reopened = result(call(
        &mut sessions,
        "reset",
        json!({"scenario": "latency_spike"}),
    ));
    assert_eq!(reopened["episode"], "ep-3");
}

#[test]
fn serving_answers_every_line_skips_long_ones_and_closes_episodes_at_the_end() {
    let directory = std::env::temp_dir().join(format!("oncall-protocol-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();
    let audit = directory.join("ep.jsonl");
    let mut input = String::new();
    input.push_str(
        &json!({"jsonrpc": "2.0", "id": 1, "method": "reset",
            "params": {"scenario": "latency_spike", "audit": audit}})
        .to_string(),
    );
    input.push('\n');
    input.push_str(&"x".repeat(MAX_LINE_BYTES + 10));
    input.push('\n');
    input.push_str(
        &json!({"jsonrpc": "2.0", "id": 2, "method": "step",
            "params": {"episode": "ep-1", "action": tool_call("deploys")}})
        .to_string(),
    );
    // No newline at the very end: the last line still counts.
    let mut output = Vec::new();
    let mut diagnostics = Vec::new();
    let mut sessions = Sessions::new(Fixtures::new());
    let summary = serve_lines(
        &mut sessions,
        &mut BufReader::new(input.as_bytes()),
        &mut output,
        &mut diagnostics,
    )
    .unwrap();
    let lines: Vec<Value> = String::from_utf8(output)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(error_kind(&lines[1]), "line_too_long");
    assert_eq!(lines[2]["result"]["observation"]["step"], 1);
    assert_eq!(summary.requests, 3);
    assert_eq!(summary.errors, 1);
    assert_eq!(summary.closed_at_end, 1);
    assert!(diagnostics.is_empty());
    let log = std::fs::read_to_string(&audit).unwrap();
    let last: Value = serde_json::from_str(log.lines().last().unwrap()).unwrap();
    assert_eq!(last["type"], "evaluation_recorded", "{last}");
    assert!(log.ends_with('\n'));
    std::fs::remove_dir_all(&directory).unwrap();
}

/// Any JSON, a few levels deep, with the names the protocol reacts to.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|number| json!(number)),
        prop_oneof![
            "[a-z_ ]{0,12}",
            Just("ep-1".to_owned()),
            Just("latency_spike".to_owned()),
            Just("call_tool".to_owned()),
            Just("escalate".to_owned()),
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        let key = prop_oneof![
            "[a-z_]{1,10}",
            Just("action".to_owned()),
            Just("scenario".to_owned()),
            Just("episode".to_owned()),
            Just("analysis".to_owned()),
            Just("tool_name".to_owned()),
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(key, inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

fn any_line() -> impl Strategy<Value = Vec<u8>> {
    let method = prop_oneof![
        Just("reset"),
        Just("step"),
        Just("close"),
        Just("tools"),
        Just("scenarios"),
        Just("other"),
    ];
    prop_oneof![
        any::<Vec<u8>>(),
        "[ -~]{0,200}".prop_map(String::into_bytes),
        (method, json_value()).prop_map(|(method, params)| {
            json!({"jsonrpc": "2.0", "id": 3, "method": method, "params": params})
                .to_string()
                .into_bytes()
        }),
        json_value().prop_map(|action| {
            json!({"jsonrpc": "2.0", "id": 4, "method": "step",
                "params": {"episode": "ep-1", "action": action}})
            .to_string()
            .into_bytes()
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Whatever a line holds, the answer is one JSON-RPC response line (or
    /// nothing, for a blank line or a notification), and nothing panics.
    #[test]
    fn any_line_gets_a_well_formed_answer(line in any_line()) {
        let mut sessions = Sessions::new(Fixtures::new());
        let opened = handle_line(
            &mut sessions,
            br#"{"jsonrpc":"2.0","id":0,"method":"reset","params":{"scenario":"latency_spike"}}"#,
        );
        prop_assert!(opened.is_some());
        if let Some(raw) = handle_line(&mut sessions, &line) {
            prop_assert!(!raw.contains('\n'), "{}", raw);
            let answer: Value = serde_json::from_str(&raw).unwrap();
            prop_assert_eq!(&answer["jsonrpc"], "2.0");
            prop_assert!(answer.get("result").is_some() != answer.get("error").is_some());
        }
    }
}

/// A writer whose reader has gone: every write fails.
struct GoneReader;

impl std::io::Write for GoneReader {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        Err(std::io::Error::from(std::io::ErrorKind::BrokenPipe))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Err(std::io::Error::from(std::io::ErrorKind::BrokenPipe))
    }
}

#[test]
fn a_client_that_goes_away_still_gets_its_audit_logs_completed() {
    let directory =
        std::env::temp_dir().join(format!("oncall-protocol-gone-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();
    let audit = directory.join("gone.jsonl");
    let input = format!(
        "{}\n{}\n",
        json!({"jsonrpc": "2.0", "id": 1, "method": "reset",
            "params": {"scenario": "latency_spike", "audit": audit}}),
        json!({"jsonrpc": "2.0", "id": 2, "method": "step",
            "params": {"episode": "ep-1", "action": tool_call("deploys")}}),
    );
    let mut sessions = Sessions::new(Fixtures::new());
    let served = serve_lines(
        &mut sessions,
        &mut BufReader::new(input.as_bytes()),
        GoneReader,
        std::io::sink(),
    );
    assert_eq!(served.unwrap_err().kind(), std::io::ErrorKind::BrokenPipe);
    assert_eq!(sessions.open_episodes(), 0);
    let log = std::fs::read_to_string(&audit).unwrap();
    let last: Value = serde_json::from_str(log.lines().last().unwrap()).unwrap();
    assert_eq!(last["type"], "evaluation_recorded");
    std::fs::remove_dir_all(&directory).unwrap();
}

#[test]
fn describe_shows_a_running_then_an_ended_episode_and_changes_nothing() {
    let mut sessions = Sessions::new(Fixtures::new()).with_episode_prefix("s3-");
    let reset = result(call(
        &mut sessions,
        "reset",
        json!({"scenario": "latency_spike"}),
    ));
    let episode = reset["episode"].as_str().unwrap().to_owned();
    assert_eq!(episode, "s3-1");
    assert!(sessions.is_open(&episode));
    assert_eq!(
        sessions.episode_ids().collect::<Vec<_>>(),
        [episode.as_str()]
    );
    result(call(
        &mut sessions,
        "step",
        json!({"episode": episode, "action": tool_call("query_logs")}),
    ));
    let running: Value = serde_json::from_str(&sessions.describe(&episode).unwrap()).unwrap();
    assert_eq!(running["status"], "running");
    assert_eq!(running["observation"]["step"], 1);
    assert_eq!(running["observation"]["tool_result"], Value::Null);
    assert_eq!(running["info"]["scenario"], "latency_spike");
    assert_eq!(
        sessions.describe(&episode).unwrap(),
        serde_json::to_string(&running).unwrap(),
        "describing changes nothing"
    );
    let last = result(call(
        &mut sessions,
        "step",
        json!({"episode": episode, "action": escalate()}),
    ));
    let ended: Value = serde_json::from_str(&sessions.describe(&episode).unwrap()).unwrap();
    assert_eq!(ended["status"], "ended");
    assert_eq!(ended["info"]["head_hash"], last["info"]["head_hash"]);
    assert!(ended.get("observation").is_none());
    result(call(&mut sessions, "close", json!({"episode": episode})));
    assert_eq!(
        sessions.describe(&episode).unwrap_err().kind(),
        "unknown_episode"
    );
}
