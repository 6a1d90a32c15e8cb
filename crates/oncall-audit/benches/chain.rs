//! Writes 1,000,000 realistic events as hash-chained JSON Lines to a file
//! in the temp directory, then reads and verifies them back.
//!
//! Goals (release): under 2 s to write, at least 100 MB/s to verify.
//! Run with `cargo bench -p oncall-audit`. Prints each round and the median.

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use chrono::{Duration, TimeZone, Utc};
use oncall_audit::{
    Event, EventKind, EventSink, FsyncPolicy, JsonlWriter, ReadLimits, read_chain_file,
};
use oncall_domain::{
    ActionClaim, CallId, Confidence, Decision, EventId, FaultCategory, Hypothesis, HypothesisId,
    HypothesisStatus, Incident, IncidentId, Observation, ObservationId, RemediationKind,
    Resolution, RootCauseClaim, RunId, RunLimits, TerminationReason, ToolCallRef, ToolError,
    ToolResult, Truncation,
};
use serde_json::json;
use uuid::Uuid;

const EVENTS: u64 = 1_000_000;
const ROUNDS: usize = 3;
const STEPS_PER_RUN: u32 = 8;

/// Produces the events of back-to-back runs, each of eight steps: tool calls
/// with log entries and metric points, observations, hypothesis revisions,
/// an occasional failed call, a proposed mitigation and an evaluation.
struct Generator {
    next_id: u128,
    sequence: u64,
    run: RunId,
    step: Option<u32>,
    at: chrono::DateTime<Utc>,
}

impl Generator {
    fn new() -> Generator {
        Generator {
            next_id: 1,
            sequence: 0,
            run: RunId::from_uuid(Uuid::nil()),
            step: None,
            at: Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap(),
        }
    }

    fn uuid(&mut self) -> Uuid {
        self.next_id += 1;
        Uuid::from_u128(self.next_id)
    }

    fn event(&mut self, kind: EventKind) -> Event {
        let id = EventId::from_uuid(self.uuid());
        let event = Event::new(id, self.sequence, self.run, self.step, self.at, kind);
        self.sequence += 1;
        event
    }

    /// The events of one run.
    fn run(&mut self) -> Vec<Event> {
        let mut events = Vec::with_capacity(64);
        self.run = RunId::from_uuid(self.uuid());
        self.step = None;
        let incident = Incident::builder("checkout", "p99 latency above 2s")
            .id(IncidentId::from_uuid(self.uuid()))
            .created_at(self.at)
            .tag("region", "eu-west-1")
            .build(
                &oncall_domain::FixedClock::new(self.at),
                &oncall_domain::SequentialIdGenerator::new(),
            )
            .unwrap();
        events.push(self.event(EventKind::RunStarted {
            incident,
            agent: "scripted-baseline".to_owned(),
            seed: 42,
            limits: RunLimits::new(10).unwrap(),
        }));
        let mut hypothesis: Option<Hypothesis> = None;
        for number in 1..=STEPS_PER_RUN {
            self.at += Duration::seconds(30);
            self.step = Some(number);
            events.push(self.event(EventKind::StepStarted));
            if number == STEPS_PER_RUN {
                events.push(
                    self.event(EventKind::DecisionMade {
                        decision: Decision::mitigation(
                            "raise the payments-db connection pool",
                            0.85,
                            "connections saturate exactly when timeouts begin",
                        )
                        .with_root_cause(RootCauseClaim::of(
                            "payments-db",
                            FaultCategory::ResourceExhaustion,
                        ))
                        .with_actions(vec![ActionClaim::of(
                            RemediationKind::RaiseLimit,
                            "payments-db",
                        )]),
                    }),
                );
                events.push(self.event(EventKind::StepCompleted));
                break;
            }
            let tool = ["logs", "metrics", "traces", "deploys"][number as usize % 4];
            let params = json!({"service": "payments-db", "start": "2026-11-25T11:00:00Z", "end": "2026-11-25T12:00:00Z", "limit": 20});
            events.push(self.event(EventKind::DecisionMade {
                decision: Decision::CallTool {
                    tool_name: tool.to_owned(),
                    params: params.as_object().cloned().unwrap(),
                    reasoning: format!("check {tool} of payments-db around the alert"),
                },
            }));
            let call_id = CallId::from_uuid(self.uuid());
            events.push(self.event(EventKind::ToolCalled {
                tool_name: tool.to_owned(),
                call_id,
                params,
            }));
            let result = if number == 5 {
                ToolResult::failure(
                    tool,
                    call_id,
                    vec![ToolError::parameter("start", "must be before `end`")],
                    120,
                )
                .unwrap()
            } else {
                let entries: Vec<serde_json::Value> = (0..6)
                    .map(|i| json!({"at": format!("2026-11-25T11:4{i}:00Z"), "level": "error", "message": "timeout acquiring connection from pool (100/100 in use)", "latency_ms": 2000.5 + f64::from(i)}))
                    .collect();
                ToolResult::success(
                    tool,
                    call_id,
                    json!({"entries": entries}),
                    850,
                    Some(Truncation {
                        items: "entries".to_owned(),
                        matched: 312,
                        returned: 6,
                        limit: 6,
                    }),
                )
                .unwrap()
            };
            let success = result.is_success();
            events.push(self.event(EventKind::ToolResultReceived { result }));
            if success {
                let observation = Observation::new(
                    ObservationId::from_uuid(self.uuid()),
                    ToolCallRef::new(tool, call_id).unwrap(),
                    "payments-db connection pool is exhausted since 11:40",
                    None,
                    true,
                    self.at,
                )
                .unwrap();
                let observation_id = observation.id();
                events.push(self.event(EventKind::ObservationRecorded { observation }));
                let next = match hypothesis.take() {
                    None => {
                        let created = Hypothesis::new(
                            HypothesisId::from_uuid(self.uuid()),
                            "payments-db is saturated",
                            Confidence::new(0.4).unwrap(),
                        )
                        .unwrap()
                        .with_supporting_observation(observation_id)
                        .unwrap();
                        events.push(self.event(EventKind::HypothesisCreated {
                            hypothesis: created.clone(),
                        }));
                        created
                    }
                    Some(current) => {
                        let revised = current
                            .with_supporting_observation(observation_id)
                            .unwrap()
                            .with_confidence(Confidence::new(0.6).unwrap());
                        let revised = if current.status() == HypothesisStatus::Investigating {
                            revised.transition_to(HypothesisStatus::Supported).unwrap()
                        } else {
                            revised
                        };
                        events.push(self.event(EventKind::HypothesisUpdated {
                            hypothesis: revised.clone(),
                            previous_status: current.status(),
                            previous_confidence: current.confidence(),
                        }));
                        revised
                    }
                };
                hypothesis = Some(next);
            }
            events.push(self.event(EventKind::StepCompleted));
        }
        self.step = None;
        events.push(self.event(EventKind::RunCompleted {
            reason: TerminationReason::MitigationProposed,
            resolution: Some(Resolution::Mitigation {
                mitigation: "raise the payments-db connection pool".to_owned(),
                confidence: Confidence::new(0.85).unwrap(),
                root_cause: Some(RootCauseClaim::of(
                    "payments-db",
                    FaultCategory::ResourceExhaustion,
                )),
                actions: vec![ActionClaim::of(RemediationKind::RaiseLimit, "payments-db")],
            }),
        }));
        events.push(self.event(EventKind::EvaluationRecorded {
            evaluation: json!({"score": 0.9, "root_cause_found": true, "steps_used": STEPS_PER_RUN}),
        }));
        events
    }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let path =
        std::env::temp_dir().join(format!("oncall-audit-bench-{}.jsonl", std::process::id()));
    let mut write_times = Vec::new();
    let mut verify_times = Vec::new();
    let mut megabytes = 0.0;
    for round in 1..=ROUNDS {
        // The events are generated one run at a time, as an engine would
        // produce them; only the writer's time (append, and finish with its
        // flush and fsync) is counted.
        let mut generator = Generator::new();
        let file = std::fs::File::create(&path).expect("create the bench file");
        let mut writer = JsonlWriter::new(file, FsyncPolicy::AtClose);
        let mut write = 0.0;
        let mut written = 0u64;
        while written < EVENTS {
            let batch = generator.run();
            let take = batch.len().min((EVENTS - written) as usize);
            written += take as u64;
            let started = Instant::now();
            for event in batch.into_iter().take(take) {
                writer.append(event).expect("append");
            }
            write += started.elapsed().as_secs_f64();
        }
        let started = Instant::now();
        let head = writer.finish().expect("finish");
        let finish = started.elapsed().as_secs_f64();
        write += finish;

        let size = std::fs::metadata(&path).expect("metadata").len();
        megabytes = size as f64 / 1e6;
        let started = Instant::now();
        let verified =
            read_chain_file(&path, Some(&head.head_hash), &ReadLimits::default()).expect("verify");
        let verify = started.elapsed().as_secs_f64();
        assert_eq!(verified.event_count(), EVENTS);
        drop(verified);

        println!(
            "round {round}: {EVENTS} events, {megabytes:.1} MB; write {write:.2} s (of which finish+fsync {finish:.2} s, {:.0} MB/s); read+verify {verify:.2} s ({:.0} MB/s)",
            megabytes / write,
            megabytes / verify
        );
        write_times.push(write);
        verify_times.push(verify);
    }
    let _ = std::fs::remove_file(&path);
    let write = median(&mut write_times);
    let verify = median(&mut verify_times);
    let rate = megabytes / verify;
    println!(
        "median of {ROUNDS}: {EVENTS} events, {megabytes:.1} MB; write {write:.2} s (goal < 2 s: {}); read+verify {verify:.2} s = {rate:.0} MB/s (goal >= 100 MB/s: {})",
        if write < 2.0 { "met" } else { "MISSED" },
        if rate >= 100.0 { "met" } else { "MISSED" },
    );
}
