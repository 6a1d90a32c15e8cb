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

//! Where a gym protocol step's time goes, in one process and without a
//! pipe: the scenario episode's own tool step, the protocol around it
//! (reading the request, shaping the answer), and the episode's end
//! (grading and the audit chain's head), each per step over episodes of
//! 999 tool-call steps on the bundled `latency_spike`. Compare with the
//! engine's own overhead (`cargo bench -p oncall-engine`) and the pipe
//! (`cargo bench -p oncall-gym --bench protocol_pipe`). Run with
//! `cargo bench -p oncall-protocol`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use oncall_domain::Decision;
use oncall_protocol::{ScenarioSource, Sessions, handle_line};
use oncall_sim::{Difficulty, RunSettings, Scenario, start_scenario};

const STEPS: u64 = 999;
const EPISODES: u64 = 10;

#[derive(Debug)]
struct Fixtures {
    root: PathBuf,
}

impl ScenarioSource for Fixtures {
    fn list(&self) -> Vec<(String, Difficulty)> {
        Vec::new()
    }

    fn load(&self, name: &str) -> Result<Scenario, String> {
        Scenario::load_named(&self.root, name).map_err(|error| error.to_string())
    }
}

fn uuid_nil() -> uuid::Uuid {
    uuid::Uuid::nil()
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/incidents");
    let scenario = Scenario::load_named(&root, "latency_spike").unwrap();
    let decision: Decision = serde_json::from_str(
        r#"{"action":"call_tool","tool_name":"deploys","params":{},"reasoning":"measure"}"#,
    )
    .unwrap();
    let settings = RunSettings {
        seed: 0,
        max_steps: Some(1000),
    };

    let registry = oncall_tools::ToolRegistry::with_default_tools();
    let store = scenario.data_store();
    let timer = oncall_domain::FrozenTimer;
    let context = oncall_tools::ToolContext::new(
        scenario.incident_spec().created_at,
        oncall_domain::CallId::from_uuid(uuid_nil()),
        oncall_tools::ToolLimits::default(),
        &timer,
    );
    let params = serde_json::json!({});
    let started = Instant::now();
    for _ in 0..EPISODES * STEPS {
        let result = registry.call("deploys", &params, &context, &*store);
        assert!(result.is_success());
    }
    println!(
        "the deploys tool alone (registry call): {:.2} µs per call",
        started.elapsed().as_secs_f64() / (EPISODES * STEPS) as f64 * 1e6
    );

    let (mut acting, mut ending) = (0.0, 0.0);
    for _ in 0..EPISODES {
        let mut episode = start_scenario(&scenario, "bench", settings, None).unwrap();
        let started = Instant::now();
        for _ in 0..STEPS {
            episode.act(decision.clone(), None).unwrap();
        }
        acting += started.elapsed().as_secs_f64();
        let started = Instant::now();
        let outcome = episode.finish().unwrap();
        ending += started.elapsed().as_secs_f64();
        assert_eq!(outcome.run.steps().len() as u64, STEPS);
    }
    let steps = (EPISODES * STEPS) as f64;
    println!(
        "scenario episode, deploys tool step: {:.2} µs per step",
        acting / steps * 1e6
    );
    println!(
        "scenario episode, finish (grade, evaluation event): {:.2} µs per step of the episode",
        ending / steps * 1e6
    );

    let mut sessions = Sessions::new(Fixtures { root });
    let (mut stepping, mut closing) = (0.0, 0.0);
    for episode in 1..=EPISODES {
        let reset = r#"{"jsonrpc":"2.0","id":0,"method":"reset","params":{"scenario":"latency_spike","max_steps":1000}}"#;
        handle_line(&mut sessions, reset.as_bytes()).unwrap();
        let step = format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"step","params":{{"episode":"ep-{episode}","action":{{"action":"call_tool","tool_name":"deploys","params":{{}},"reasoning":"measure"}}}}}}"#
        );
        let started = Instant::now();
        for _ in 0..STEPS {
            let answer = handle_line(&mut sessions, step.as_bytes()).unwrap();
            assert!(!answer.contains(r#""error":{"#), "{answer}");
        }
        stepping += started.elapsed().as_secs_f64();
        let close = format!(
            r#"{{"jsonrpc":"2.0","id":2,"method":"close","params":{{"episode":"ep-{episode}"}}}}"#
        );
        let started = Instant::now();
        handle_line(&mut sessions, close.as_bytes()).unwrap();
        closing += started.elapsed().as_secs_f64();
    }
    println!(
        "protocol step (request line to answer line, no pipe): {:.2} µs per step",
        stepping / steps * 1e6
    );
    println!(
        "protocol close (finish, grade, audit head): {:.2} µs per step of the episode",
        closing / steps * 1e6
    );
}
