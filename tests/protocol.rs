//! `oncall-gym serve --stdio` as a client in another process drives it:
//! over real pipes, lock-step, one request per line.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout};

use serde_json::{Value, json};

use crate::support::{bundled_scenarios, oncall_gym, oracle_analysis, scratch_dir, spawn_piped};

/// A running `serve --stdio` and its pipes.
struct Server {
    child: Child,
    input: Option<ChildStdin>,
    output: BufReader<ChildStdout>,
    next_id: u64,
}

impl Server {
    fn start() -> Server {
        let (child, input, output) = spawn_piped(&["serve", "--stdio"]);
        Server {
            child,
            input,
            output,
            next_id: 0,
        }
    }

    /// Sends one request and reads its answer.
    fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let request =
            json!({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params});
        let input = self.input.as_mut().unwrap();
        writeln!(input, "{request}").unwrap();
        input.flush().unwrap();
        let mut line = String::new();
        self.output.read_line(&mut line).unwrap();
        let answer: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(answer["id"], self.next_id, "{answer}");
        answer
    }

    fn result(&mut self, method: &str, params: Value) -> Value {
        let answer = self.call(method, params);
        assert!(answer.get("error").is_none(), "{answer}");
        answer["result"].clone()
    }

    /// Closes stdin and waits: the exit code, and everything left on stdout
    /// and stderr.
    fn finish(mut self) -> (i32, String, String) {
        drop(self.input.take());
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut self.output, &mut rest).unwrap();
        let mut stderr = String::new();
        std::io::Read::read_to_string(self.child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
        let status = self.child.wait().unwrap();
        (status.code().unwrap_or(-1), rest, stderr)
    }
}

/// The reference solution's decisions with the oracle's analyses, sent one
/// message per step, write the same audit log as `run --agent oracle`.
#[test]
fn the_reference_solution_over_the_pipe_writes_run_oracles_log_byte_for_byte() {
    let directory = scratch_dir("protocol_determinism");
    let mut server = Server::start();
    for scenario in bundled_scenarios() {
        let id = scenario.id();
        let driven = directory.join(format!("{id}.driven.jsonl"));
        let reset = server.result(
            "reset",
            json!({"scenario": id, "seed": 9, "agent": "oracle", "audit": driven}),
        );
        let episode = reset["episode"].clone();
        let mut analysis: Option<Value> = None;
        let mut last = Value::Null;
        for decision in &scenario.ground_truth().reference_solution {
            let mut params = json!({"episode": episode, "action": decision});
            if let Some(analysis) = analysis.take() {
                params["analysis"] = analysis;
            }
            last = server.result("step", params);
            analysis = oracle_analysis(&last);
        }
        assert_eq!(last["terminated"], true, "{id}: {last}");
        assert_eq!(last["reward"], 1.0, "{id}: {last}");
        let closed = server.result("close", json!({"episode": episode}));

        let ran = directory.join(format!("{id}.run.jsonl"));
        oncall_gym(&[
            "run",
            id,
            "--agent",
            "oracle",
            "--seed",
            "9",
            "--audit",
            ran.to_str().unwrap(),
        ])
        .expect_code(0);
        let driven_bytes = std::fs::read(&driven).unwrap();
        assert!(
            driven_bytes == std::fs::read(&ran).unwrap(),
            "{id}: the driven log differs from `run --agent oracle`'s"
        );
        assert_eq!(
            closed["info"]["head_hash"], last["info"]["head_hash"],
            "{id}"
        );
        let verified = oncall_gym(&["replay", driven.to_str().unwrap(), "--json"]);
        verified.expect_code(0);
    }
    let (code, rest, stderr) = server.finish();
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(rest, "");
    assert!(stderr.contains("0 episodes still open"), "{stderr}");
}

/// At end of input, open episodes are closed and their logs complete; only
/// protocol lines ever reach stdout.
#[test]
fn end_of_input_closes_open_episodes_and_completes_their_logs() {
    let directory = scratch_dir("protocol_end_of_input");
    let mut server = Server::start();
    let mut logs = Vec::new();
    for index in 0..3 {
        let log = directory.join(format!("open-{index}.jsonl"));
        let reset = server.result(
            "reset",
            json!({"scenario": "latency_spike", "seed": index, "audit": log}),
        );
        server.result(
            "step",
            json!({"episode": reset["episode"], "action": {
                "action": "call_tool", "tool_name": "deploys", "params": {}, "reasoning": "look"}}),
        );
        logs.push(log);
    }
    let broken = server.call("step", json!({"episode": "ep-1", "action": []}));
    assert_eq!(broken["error"]["data"]["kind"], "invalid_params");
    let (code, rest, stderr) = server.finish();
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(rest, "", "nothing but answers on stdout");
    assert!(
        stderr.contains("3 episodes still open at end of input and closed"),
        "{stderr}"
    );
    for log in &logs {
        check_complete(log);
    }
}

fn check_complete(log: &Path) {
    let text = std::fs::read_to_string(log).unwrap();
    assert!(text.ends_with('\n'), "{}: torn last line", log.display());
    let last: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(last["type"], "evaluation_recorded", "{}", log.display());
    let kinds: Vec<String> = text
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap()["type"].to_string())
        .collect();
    assert!(
        kinds.iter().any(|kind| kind.contains("run_failed")),
        "{kinds:?}"
    );
    oncall_gym(&["replay", log.to_str().unwrap()]).expect_code(0);
}

#[test]
fn serve_needs_a_transport() {
    let ran = oncall_gym(&["serve"]);
    ran.expect_code(2);
    assert!(ran.stderr.contains("--stdio"), "{}", ran.stderr);
}
