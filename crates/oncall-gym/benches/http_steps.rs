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

//! `oncall-gym serve --http` under load, on loopback, from a keep-alive
//! load generator here (one thread and one connection per client, plain
//! HTTP/1.1 over `TcpStream`, so the client costs little of the 2 cores it
//! shares with the server).
//!
//! - **episode steps**: each client opens an episode of the bundled
//!   `latency_spike` (step limit 1,000), steps it with `deploys` until it
//!   ends, deletes it, and starts again, for a few seconds; steps per
//!   second, and each step's round trip at p50 and p99, at 1, 8 and 32
//!   clients.
//! - **eval throughput**: an eval of every bundled scenario × 20 trials
//!   (heuristic) queued over HTTP and run by 1, then 2 `oncall-gym worker`
//!   processes, on a SQLite file and on PostgreSQL
//!   (`$ONCALL_GYM_TEST_POSTGRES`, else the machine's
//!   `postgres://postgres@127.0.0.1:5432/test`, in a schema of its own).
//!
//! Goal: at least 20,000 episode steps/s on 2 cores. Run with
//! `cargo bench -p oncall-gym --bench http_steps`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const MEASURE: Duration = Duration::from_secs(5);
const CLIENTS: [usize; 3] = [1, 8, 32];
const EVAL_TRIALS: u32 = 20;

fn main() {
    let (mut server, address) = serve(&["--no-db"]);
    for clients in CLIENTS {
        let (steps, mut latencies, elapsed) = load(&address, clients);
        latencies.sort_unstable();
        let percentile = |p: f64| {
            let index = ((latencies.len() as f64 * p) as usize).min(latencies.len() - 1);
            latencies[index].as_secs_f64() * 1e6
        };
        println!(
            "episode steps, {clients:>2} clients: {:.0} steps/s, p50 {:.0} µs, p99 {:.0} µs ({steps} steps in {:.1} s)",
            steps as f64 / elapsed.as_secs_f64(),
            percentile(0.50),
            percentile(0.99),
            elapsed.as_secs_f64(),
        );
    }
    stop(&mut server);

    let directory =
        std::env::temp_dir().join(format!("oncall-gym-http-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&directory);
    std::fs::create_dir_all(&directory).unwrap();
    for workers in [1, 2] {
        let file = directory.join(format!("results-{workers}.db"));
        let rate = eval_throughput(file.to_str().unwrap(), workers);
        println!("eval throughput, SQLite, {workers} worker process(es): {rate:.0} runs/s");
    }
    let admin = std::env::var("ONCALL_GYM_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    match postgres::Client::connect(&admin, postgres::NoTls) {
        Ok(mut client) => {
            for workers in [1, 2] {
                let schema = format!("http_bench_{}_{workers}", std::process::id());
                client
                    .batch_execute(&format!(
                        "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
                    ))
                    .unwrap();
                let separator = if admin.contains('?') { '&' } else { '?' };
                let url = format!("{admin}{separator}options=-c%20search_path%3D{schema}");
                let rate = eval_throughput(&url, workers);
                println!(
                    "eval throughput, PostgreSQL, {workers} worker process(es): {rate:.0} runs/s"
                );
                client
                    .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                    .unwrap();
            }
        }
        Err(error) => {
            println!("eval throughput, PostgreSQL: skipped ({admin} unreachable: {error})")
        }
    }
    let _ = std::fs::remove_dir_all(&directory);
}

/// `serve --http` on a free port: the child and its address.
fn serve(arguments: &[&str]) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_oncall-gym"))
        .args(["serve", "--http", "127.0.0.1:0"])
        .args(arguments)
        .env_remove("ONCALL_GYM_FIXTURES")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let address = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address in: {line}"))
        .to_owned();
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
    (child, address)
}

fn stop(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    child.wait().unwrap();
}

/// One keep-alive connection speaking just enough HTTP/1.1.
struct Connection {
    stream: BufReader<TcpStream>,
    body: Vec<u8>,
}

impl Connection {
    fn open(address: &str) -> Connection {
        let stream = TcpStream::connect(address).unwrap();
        stream.set_nodelay(true).unwrap();
        Connection {
            stream: BufReader::with_capacity(1 << 16, stream),
            body: Vec::with_capacity(1 << 16),
        }
    }

    /// Sends a request and reads its answer into `self.body`; the status.
    fn request(&mut self, method: &str, path: &str, body: &str) -> u16 {
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        self.stream.get_mut().write_all(request.as_bytes()).unwrap();
        let mut line = String::new();
        self.stream.read_line(&mut line).unwrap();
        let status: u16 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
        let mut length = 0;
        loop {
            line.clear();
            self.stream.read_line(&mut line).unwrap();
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap();
            }
        }
        self.body.resize(length, 0);
        self.stream.read_exact(&mut self.body).unwrap();
        status
    }

    fn body_text(&self) -> &str {
        std::str::from_utf8(&self.body).unwrap()
    }
}

/// `clients` clients stepping episodes for [`MEASURE`]: steps, each step's
/// round trip, and the time taken.
fn load(address: &str, clients: usize) -> (u64, Vec<Duration>, Duration) {
    let started = Instant::now();
    let until = started + MEASURE;
    let threads: Vec<_> = (0..clients)
        .map(|_| {
            let address = address.to_owned();
            std::thread::spawn(move || client(&address, until))
        })
        .collect();
    let mut steps = 0;
    let mut latencies = Vec::new();
    for thread in threads {
        let (taken, mut measured) = thread.join().unwrap();
        steps += taken;
        latencies.append(&mut measured);
    }
    (steps, latencies, started.elapsed())
}

fn client(address: &str, until: Instant) -> (u64, Vec<Duration>) {
    let mut connection = Connection::open(address);
    let step = r#"{"action":{"action":"call_tool","tool_name":"deploys","params":{},"reasoning":"measure"}}"#;
    let mut latencies = Vec::with_capacity(200_000);
    while Instant::now() < until {
        let status = connection.request(
            "POST",
            "/v1/episodes",
            r#"{"scenario":"latency_spike","max_steps":1000}"#,
        );
        assert_eq!(status, 201, "{}", connection.body_text());
        let episode = connection
            .body_text()
            .split("\"episode\":\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap()
            .to_owned();
        let path = format!("/v1/episodes/{episode}/step");
        loop {
            let sent = Instant::now();
            let status = connection.request("POST", &path, step);
            latencies.push(sent.elapsed());
            assert_eq!(status, 200, "{}", connection.body_text());
            let over = connection.body_text().contains("\"truncated\":true")
                || connection.body_text().contains("\"terminated\":true");
            if over || Instant::now() >= until {
                break;
            }
        }
        connection.request("DELETE", &format!("/v1/episodes/{episode}"), "");
    }
    (latencies.len() as u64, latencies)
}

/// Runs per second of a queued eval made by `workers` worker processes on
/// the store at `location`.
fn eval_throughput(location: &str, workers: usize) -> f64 {
    let (mut server, address) = serve(&["--db", location, "--workers", "0"]);
    let mut connection = Connection::open(&address);
    let body = format!(r#"{{"agent":"heuristic","trials":{EVAL_TRIALS},"seed":1}}"#);
    let status = connection.request("POST", "/v1/evals", &body);
    assert_eq!(status, 202, "{}", connection.body_text());
    let created: serde_json::Value = serde_json::from_slice(&connection.body).unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    let runs = created["runs"].as_u64().unwrap();
    let started = Instant::now();
    let mut children: Vec<Child> = (0..workers)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_oncall-gym"))
                .args(["worker", "--db", location])
                .env_remove("ONCALL_GYM_FIXTURES")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    loop {
        connection.request("GET", &format!("/v1/evals/{id}"), "");
        let eval: serde_json::Value = serde_json::from_slice(&connection.body).unwrap();
        if eval["eval"]["status"] == "completed" {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(600), "{eval}");
        std::thread::sleep(Duration::from_millis(10));
    }
    let elapsed = started.elapsed();
    for child in &mut children {
        stop(child);
    }
    stop(&mut server);
    runs as f64 / elapsed.as_secs_f64()
}
