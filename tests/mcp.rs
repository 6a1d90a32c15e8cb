//! `oncall-gym mcp` over real pipes, spoken by hand: what the official SDK
//! will not send (broken JSON, batches, oversized lines, requests of the
//! wrong shape), a client that vanishes mid-call, and the `--out` and
//! `scorecard` end of it. The happy path with the official MCP client is in
//! `clients/python/tests/test_mcp_server.py`.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout};

use serde_json::{Value, json};

use crate::support::{oncall_gym, scratch_dir, spawn_piped};

/// A running `oncall-gym mcp` and its pipes.
struct McpServer {
    child: Child,
    input: Option<ChildStdin>,
    output: BufReader<ChildStdout>,
}

impl McpServer {
    fn start(arguments: &[&str]) -> McpServer {
        let mut all = vec!["mcp"];
        all.extend_from_slice(arguments);
        let (child, input, output) = spawn_piped(&all);
        McpServer {
            child,
            input,
            output,
        }
    }

    /// Starts a server and completes the handshake.
    fn initialized(arguments: &[&str]) -> McpServer {
        let mut server = McpServer::start(arguments);
        let answer = server.ask(&json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "by-hand", "version": "1"}
        }}));
        assert_eq!(
            answer["result"]["protocolVersion"], "2025-06-18",
            "{answer}"
        );
        server.send_line(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#);
        server
    }

    fn send_line(&mut self, line: &str) {
        let input = self.input.as_mut().unwrap();
        input.write_all(line.as_bytes()).unwrap();
        input.write_all(b"\n").unwrap();
        input.flush().unwrap();
    }

    fn read_answer(&mut self) -> Value {
        let mut line = String::new();
        self.output.read_line(&mut line).unwrap();
        serde_json::from_str(&line).unwrap_or_else(|error| panic!("{error}: {line:?}"))
    }

    fn ask(&mut self, request: &Value) -> Value {
        self.send_line(&request.to_string());
        self.read_answer()
    }

    fn call(&mut self, id: u64, tool: &str, arguments: Value) -> Value {
        self.ask(&json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": tool, "arguments": arguments}}))
    }

    /// Closes stdin and waits: the exit code and stderr.
    fn finish(mut self) -> (i32, String) {
        drop(self.input.take());
        let output = self.child.wait_with_output().unwrap();
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8(output.stderr).unwrap(),
        )
    }
}

fn path_text(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn every_bad_line_gets_its_json_rpc_error_and_the_server_keeps_serving() {
    let mut server = McpServer::initialized(&["latency_spike"]);

    server.send_line("{this is not json");
    let parse = server.read_answer();
    assert_eq!(
        (parse["id"].clone(), parse["error"]["code"].clone()),
        (Value::Null, json!(-32700)),
        "{parse}"
    );

    server.send_line(r#"[{"jsonrpc":"2.0","id":1,"method":"tools/list"}]"#);
    assert_eq!(server.read_answer()["error"]["code"], -32600);

    let bad_params =
        server.ask(&json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": "logs"}));
    assert_eq!(
        (
            bad_params["id"].clone(),
            bad_params["error"]["code"].clone()
        ),
        (json!(2), json!(-32602)),
        "{bad_params}"
    );

    let unknown_method = server.ask(&json!({"jsonrpc": "2.0", "id": 3, "method": "tools/explode"}));
    assert_eq!(
        (
            unknown_method["id"].clone(),
            unknown_method["error"]["code"].clone()
        ),
        (json!(3), json!(-32601)),
        "{unknown_method}"
    );

    let oversized = format!(
        r#"{{"jsonrpc":"2.0","id":"big","method":"tools/call","params":{{"name":"logs","arguments":{{"service":"{}"}}}}}}"#,
        "x".repeat(oncall_mcp::MAX_MESSAGE_BYTES)
    );
    server.send_line(&oversized);
    let refused = server.read_answer();
    assert_eq!(
        (refused["id"].clone(), refused["error"]["code"].clone()),
        (json!("big"), json!(-32600)),
        "{refused}"
    );
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("byte cap")
    );

    // The official TypeScript SDK writes `id` last: it is found there.
    let id_last = format!(
        r#"{{"method":"tools/call","params":{{"name":"logs","arguments":{{"service":"{}"}}}},"jsonrpc":"2.0","id":99}}"#,
        "y".repeat(oncall_mcp::MAX_MESSAGE_BYTES)
    );
    server.send_line(&id_last);
    let refused = server.read_answer();
    assert_eq!(
        (refused["id"].clone(), refused["error"]["code"].clone()),
        (json!(99), json!(-32600)),
        "{refused}"
    );

    // A client's own (error) response is never answered.
    server.send_line(
        r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}"#,
    );

    let unknown_tool = server.call(4, "drop_tables", json!({}));
    assert_eq!(unknown_tool["error"]["code"], -32602);
    let bad_arguments = server.call(5, "logs", json!({"service": ["checkout"]}));
    assert_eq!(bad_arguments["result"]["isError"], true, "{bad_arguments}");

    // Still serving, and none of it took a step but the bad `logs` call.
    let shown = server.call(6, "incident", json!({}));
    assert_eq!(shown["result"]["structuredContent"]["step"], 1, "{shown}");
    let (code, stderr) = server.finish();
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("oncall-gym mcp: latency_spike, agent mcp, seed 0: abandoned"),
        "{stderr}"
    );
}

#[test]
fn a_client_that_vanishes_mid_call_leaves_a_complete_log_and_its_line() {
    let directory = scratch_dir("mcp-vanish");
    let audit = directory.join("audit.jsonl");
    let out = directory.join("results.jsonl");
    let mut server = McpServer::initialized(&[
        "latency_spike",
        "--audit",
        path_text(&audit),
        "--out",
        path_text(&out),
    ]);
    server.send_line(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "deploys", "arguments": {}}}).to_string());
    // Gone before the answer: stdin closed, stdout never read.
    drop(server.output);
    drop(server.input.take());
    let output = server.child.wait_with_output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let replay = oncall_gym(&[
        "replay",
        path_text(&audit),
        "--scenario",
        "latency_spike",
        "--json",
    ]);
    assert_eq!(replay.code, 0, "{}", replay.stderr);
    let replayed: Value = serde_json::from_str(&replay.stdout).unwrap();
    assert_eq!(replayed["evaluation"], replayed["recorded_evaluation"]);
    let line: Value = serde_json::from_str(std::fs::read_to_string(&out).unwrap().trim()).unwrap();
    assert_eq!(line["termination"]["kind"], "abandoned", "{line}");
    // The call in flight was carried out before the run was closed.
    assert_eq!(line["steps"], 1, "{line}");
    assert_eq!(line["termination"]["message"], oncall_mcp::CLIENT_LEFT);
    assert_eq!(line["score"]["passed"], false);
}

#[test]
fn out_lines_append_and_the_scorecard_sums_them() {
    let directory = scratch_dir("mcp-out");
    let out = directory.join("results.jsonl");
    for (trial, seed) in [("0", "0"), ("1", "7")] {
        let mut server = McpServer::initialized(&[
            "latency_spike",
            "--out",
            path_text(&out),
            "--agent",
            "by-hand",
            "--trial",
            trial,
            "--seed",
            seed,
        ]);
        let answer = server.call(
            1,
            "escalate",
            json!({
                "team": "nobody", "target": "nobody", "reason": "giving up",
                "root_cause": {"service": "checkout", "category": "deploy_regression"}
            }),
        );
        assert_eq!(
            answer["result"]["structuredContent"]["episode_over"], true,
            "{answer}"
        );
        let (code, stderr) = server.finish();
        assert_eq!(code, 0, "{stderr}");
    }
    let text = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(
        (lines[0]["trial"].clone(), lines[1]["trial"].clone()),
        (json!(0), json!(1))
    );
    assert_eq!(
        (lines[0]["seed"].clone(), lines[1]["seed"].clone()),
        (json!(0), json!(7))
    );
    assert_ne!(lines[0]["run_id"], lines[1]["run_id"]);

    let card = oncall_gym(&["scorecard", path_text(&out), "--json"]);
    assert_eq!(card.code, 0, "{}", card.stderr);
    let card: Value = serde_json::from_str(&card.stdout).unwrap();
    assert_eq!(card["overall"]["runs"], 2);
    assert_eq!(card["scenarios"][0]["id"], "latency_spike");
    let table = oncall_gym(&["scorecard", path_text(&out)]);
    assert!(table.stdout.contains("pass^2"), "{}", table.stdout);

    // A damaged line is named by file, line, column and field.
    std::fs::write(&out, format!("{text}{{\"scenario\": 3}}\n")).unwrap();
    let damaged = oncall_gym(&["scorecard", path_text(&out)]);
    assert_eq!(damaged.code, 1);
    assert!(
        damaged.stderr.contains("results.jsonl:3:"),
        "{}",
        damaged.stderr
    );
    assert!(
        damaged.stderr.contains("field `scenario`"),
        "{}",
        damaged.stderr
    );
}

#[test]
fn what_cannot_be_served_fails_before_a_client_connects() {
    let unknown = oncall_gym(&["mcp", "no_such_scenario"]);
    assert_eq!(unknown.code, 1, "{}", unknown.stderr);
    assert!(unknown.stdout.is_empty());
    let missing = scratch_dir("mcp-fails").join("no/such/dir/audit.jsonl");
    let unwritable = oncall_gym(&["mcp", "latency_spike", "--audit", path_text(&missing)]);
    assert_eq!(unwritable.code, 1);
    assert!(
        unwritable.stderr.contains("audit log"),
        "{}",
        unwritable.stderr
    );
    assert!(
        unwritable.stdout.is_empty(),
        "nothing may reach the client: {}",
        unwritable.stdout
    );
    let usage = oncall_gym(&["mcp", "latency_spike", "--max-steps", "0"]);
    assert_eq!(usage.code, 2);
}

#[test]
fn a_stray_notification_before_the_handshake_does_not_end_the_session() {
    let mut server = McpServer::start(&["latency_spike"]);
    // A ping may come first (it does not open the session), then strays.
    let pong = server.ask(&json!({"jsonrpc": "2.0", "id": 0, "method": "ping"}));
    assert_eq!(pong["id"], 0, "{pong}");
    server.send_line(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#);
    server.send_line(r#"{"jsonrpc":"2.0","id":5,"result":{}}"#);
    let answer = server.ask(&json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "by-hand", "version": "1"}
    }}));
    assert_eq!(answer["id"], 1, "{answer}");
    assert_eq!(answer["result"]["protocolVersion"], "2025-06-18");
    let (code, stderr) = server.finish();
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("broke off"), "{stderr}");
}

#[test]
fn the_protocol_version_is_negotiated_as_the_spec_says() {
    // A version the server has is echoed; one it does not have is answered
    // with the newest it has that still uses the handshake.
    for (asked, agreed) in [
        ("2024-11-05", "2024-11-05"),
        ("2025-06-18", "2025-06-18"),
        ("1999-01-01", "2025-11-25"),
    ] {
        let mut server = McpServer::start(&["latency_spike"]);
        let answer = server.ask(&json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": asked, "capabilities": {}, "clientInfo": {"name": "by-hand", "version": "1"}
        }}));
        assert_eq!(answer["result"]["protocolVersion"], agreed, "{answer}");
        assert_eq!(answer["result"]["serverInfo"]["name"], "oncall-gym");
        let capabilities = &answer["result"]["capabilities"];
        assert!(
            capabilities["tools"].is_object() && capabilities["prompts"].is_object(),
            "{capabilities}"
        );
        let (code, stderr) = server.finish();
        assert_eq!(code, 0, "{stderr}");
    }
}

/// Linux only: /dev/full takes the file open, then refuses every write.
#[cfg(target_os = "linux")]
#[test]
fn an_audit_log_that_cannot_be_written_ends_the_episode_and_exits_1() {
    let out = scratch_dir("mcp-full").join("results.jsonl");
    let mut server = McpServer::initialized(&[
        "latency_spike",
        "--audit",
        "/dev/full",
        "--out",
        path_text(&out),
    ]);
    let mut failed = None;
    for id in 1..=3 {
        let answer = server.call(id, "services", json!({}));
        if answer["result"]["structuredContent"]["episode_over"] == true {
            failed = Some(answer);
            break;
        }
    }
    let failed = failed.expect("a full disk must end the episode");
    assert_eq!(failed["result"]["isError"], true, "{failed}");
    assert!(
        failed["result"]["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("No space left"),
        "{failed}"
    );
    let after = server.call(9, "deploys", json!({}));
    assert_eq!(after["result"]["isError"], true, "{after}");
    let (code, stderr) = server.finish();
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("error: the episode failed"), "{stderr}");
}

/// What a client sees, to the byte where it matters: the handshake (but
/// the version, which moves with the build), the tool list with every
/// schema, a diagnostic result, an observation and the end. Seeded ids make
/// it deterministic; a change here is a change to every MCP user's wire.
#[test]
fn the_wire_format_is_stable() {
    let mut server = McpServer::start(&["latency_spike", "--seed", "3"]);
    let mut hello = server.ask(&json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "by-hand", "version": "1"}
    }}));
    hello["result"]["serverInfo"]["version"] = json!("[version]");
    server.send_line(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#);
    let tools = server.ask(&json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}));
    let prompt = server.ask(&json!({"jsonrpc": "2.0", "id": 3, "method": "prompts/get", "params": {"name": "investigate"}}));
    let deploys = server.call(4, "deploys", json!({}));
    let observed = server.call(
        5,
        "record_observation",
        json!({
            "summary": "checkout v2.14.0 shipped before the alert", "significant": true,
            "hypothesis": "checkout v2.14.0 slowed checkout", "confidence": 0.7,
            "status": null, "proposed_mitigation": null
        }),
    );
    let ended = server.call(
        6,
        "escalate",
        json!({
            "team": "checkout-team", "target": "checkout on-call", "reason": "theirs",
            "root_cause": {"service": "checkout", "category": "deploy_regression"}
        }),
    );
    let after = server.call(7, "logs", json!({}));
    let (code, stderr) = server.finish();
    assert_eq!(code, 0, "{stderr}");
    insta::assert_json_snapshot!(
        "mcp_session",
        json!([hello, tools, prompt, deploys, observed, ended, after])
    );
}
