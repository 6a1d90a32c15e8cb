#![expect(
    clippy::print_stdout,
    reason = "a benchmark reports its figures on stdout"
)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a benchmark that cannot run should stop loudly"
)]

//! MCP tool calls over a pipe: the real `oncall-gym mcp latency_spike` in
//! its own process, and a client here that has done the handshake.
//!
//! - **lock-step**: one `tools/call`, then its answer, as one MCP agent
//!   drives its episode; each `deploys` call takes a step (999 of them in
//!   a 1,000-step episode), each `incident` call takes none.
//! - **pipelined**: 999 `deploys` calls written at once, then the answers
//!   read: what the server does when a client sends ahead.
//!
//! There is no goal: an MCP agent waits seconds for its model, so these
//! figures show only that the server is never what it waits for. Run with
//! `cargo bench -p oncall-gym --bench mcp_pipe`.

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Instant;

const CALLS: u64 = 999;
const RUNS: usize = 5;

fn main() {
    for (label, tool, pipelined) in [
        ("lock-step, deploys (a step each)", "deploys", false),
        ("lock-step, incident (no step)", "incident", false),
        ("pipelined, deploys", "deploys", true),
    ] {
        let mut rates: Vec<f64> = (0..RUNS)
            .map(|_| calls_per_second(tool, pipelined))
            .collect();
        rates.sort_by(f64::total_cmp);
        let median = rates[rates.len() / 2];
        println!(
            "{label}: {median:.0} calls/s ({:.1} µs per call; runs {})",
            1e6 / median,
            rates
                .iter()
                .map(|rate| format!("{rate:.0}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
}

/// A server that has answered `initialize`.
fn start() -> (Child, ChildStdin, BufReader<ChildStdout>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_oncall-gym"))
        .args(["mcp", "latency_spike", "--max-steps", "1000"])
        .env_remove("ONCALL_GYM_FIXTURES")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("oncall-gym starts");
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::with_capacity(1 << 20, child.stdout.take().unwrap());
    writeln!(
        stdin,
        r#"{{"jsonrpc":"2.0","id":0,"method":"initialize","params":{{"protocolVersion":"2025-11-25","capabilities":{{}},"clientInfo":{{"name":"bench","version":"1"}}}}}}"#
    )
    .unwrap();
    writeln!(
        stdin,
        r#"{{"jsonrpc":"2.0","method":"notifications/initialized"}}"#
    )
    .unwrap();
    stdin.flush().unwrap();
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert!(line.contains("protocolVersion"), "{line}");
    (child, stdin, stdout)
}

fn call(id: u64, tool: &str) -> String {
    format!(
        r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"{tool}","arguments":{{}}}}}}"#
    )
}

fn calls_per_second(tool: &'static str, pipelined: bool) -> f64 {
    let (mut child, mut stdin, mut stdout) = start();
    let mut line = String::new();
    let started = Instant::now();
    if pipelined {
        let writer = std::thread::spawn(move || {
            let mut out = BufWriter::with_capacity(1 << 20, stdin);
            for id in 1..=CALLS {
                writeln!(out, "{}", call(id, tool)).unwrap();
            }
            out.flush().unwrap();
            out
        });
        for _ in 0..CALLS {
            line.clear();
            assert!(
                stdout.read_line(&mut line).unwrap() > 0,
                "the server stopped"
            );
            assert!(line.contains(r#""isError":false"#), "{line}");
        }
        let elapsed = started.elapsed().as_secs_f64();
        drop(writer.join().unwrap());
        child.wait().unwrap();
        return CALLS as f64 / elapsed;
    }
    for id in 1..=CALLS {
        writeln!(stdin, "{}", call(id, tool)).unwrap();
        stdin.flush().unwrap();
        line.clear();
        stdout.read_line(&mut line).unwrap();
        assert!(line.contains(r#""isError":false"#), "{line}");
    }
    let elapsed = started.elapsed().as_secs_f64();
    drop(stdin);
    child.wait().unwrap();
    CALLS as f64 / elapsed
}
