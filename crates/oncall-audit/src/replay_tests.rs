//! Tests of replay: the state at each step of a sample run, snapshots, and
//! every way a list of events can fail to be one well-formed run.

use oncall_domain::{
    CallId, Confidence, HypothesisStatus, Resolution, RunId, RunStatus, TerminationReason,
};
use serde_json::json;
use uuid::Uuid;

use super::*;
use crate::chain::{FsyncPolicy, JsonlWriter};
use crate::log::EventSink;
use crate::reader::read_chain;
use crate::test_support::{failed_run, sample_run};

/// `events` numbered 0, 1, 2, ...
fn renumber(events: Vec<Event>) -> Vec<Event> {
    events
        .into_iter()
        .enumerate()
        .map(|(index, event)| rebuild(&event, index as u64, event.step(), event.kind().clone()))
        .collect()
}

fn rebuild(event: &Event, sequence: u64, step: Option<u32>, kind: EventKind) -> Event {
    Event::new(
        event.id(),
        sequence,
        event.run_id(),
        step,
        event.timestamp(),
        kind,
    )
}

fn with_kind(event: &Event, kind: EventKind) -> Event {
    rebuild(event, event.sequence(), event.step(), kind)
}

fn with_step(event: &Event, step: Option<u32>) -> Event {
    rebuild(event, event.sequence(), step, event.kind().clone())
}

fn position(events: &[Event], step: Option<u32>, kind: EventKindName) -> usize {
    events
        .iter()
        .position(|e| e.step() == step && e.kind().kind_name() == kind)
        .unwrap()
}

fn replay_error(events: Vec<Event>) -> ReplayError {
    replay(&events).unwrap_err()
}

#[test]
fn the_sample_run_replays_step_by_step() {
    let replay = replay(&sample_run()).unwrap();
    assert_eq!(replay.step_numbers(), [1, 2, 3, 4]);
    assert_eq!(replay.agent(), "scripted-baseline");
    assert_eq!(replay.seed(), 42);
    assert_eq!(replay.limits().max_steps(), 5);
    assert_eq!(replay.incident().service(), "checkout");
    assert_eq!(
        replay.evaluations(),
        [json!({"score": 0.9, "root_cause_found": true})]
    );

    let initial = replay.initial_state();
    assert_eq!(initial.status, RunStatus::Started);
    assert!(initial.steps.is_empty() && initial.observations.is_empty());
    assert_eq!(initial.hypothesis, None);

    let expected = [
        // (observations, hypothesis status, history length, tool, result ok)
        (
            1,
            HypothesisStatus::Investigating,
            1,
            Some("logs"),
            Some(true),
        ),
        (
            2,
            HypothesisStatus::Supported,
            2,
            Some("metrics"),
            Some(true),
        ),
        (
            2,
            HypothesisStatus::Supported,
            2,
            Some("deploys"),
            Some(false),
        ),
        (2, HypothesisStatus::Actionable, 3, None, None),
    ];
    for (number, (observations, status, history, tool, success)) in (1..).zip(expected) {
        let state = replay.state_at(number).unwrap();
        assert_eq!(state.status, RunStatus::Running, "step {number}");
        assert_eq!(state.steps.len(), number as usize, "step {number}");
        assert_eq!(state.observations.len(), observations, "step {number}");
        let hypothesis = state.hypothesis.clone().unwrap();
        assert_eq!(hypothesis.status(), status, "step {number}");
        assert_eq!(state.hypothesis_history.len(), history, "step {number}");
        assert_eq!(state.hypothesis_history.last(), Some(&hypothesis));
        let step = state.steps.last().unwrap();
        assert_eq!(step.number, number);
        assert_eq!(step.status, StepStatus::Completed);
        let step_start =
            crate::test_support::noon() + chrono::Duration::seconds(30 * i64::from(number));
        assert_eq!(
            (step.started_at, step.ended_at),
            (step_start, Some(step_start))
        );
        assert!(step.decision.is_some());
        assert_eq!(step.tool_call.as_ref().map(|c| c.tool_name.as_str()), tool);
        assert_eq!(step.result.as_ref().map(|r| r.is_success()), success);
        assert_eq!(step.hypothesis_after.as_ref(), Some(&hypothesis));
        assert_eq!(state.outcome, None);
    }
    assert_eq!(replay.state_at(5), None);
    assert_eq!(replay.state_at(0), None);

    let last = replay.final_state();
    assert_eq!(last.status, RunStatus::Completed);
    assert_eq!(last.started_at, crate::test_support::noon());
    assert_eq!(
        last.ended_at,
        Some(crate::test_support::noon() + chrono::Duration::seconds(120))
    );
    assert_eq!(replay.ended_at(), last.ended_at);
    assert_eq!(replay.started_at(), last.started_at);
    assert_eq!(replay.state_at(4).unwrap().ended_at, None);
    let outcome = last.outcome.clone().unwrap();
    assert_eq!(outcome.reason, TerminationReason::MitigationProposed);
    assert_eq!(
        outcome.resolution,
        Some(Resolution::Mitigation {
            mitigation: "raise the payments-db connection pool".to_owned(),
            confidence: Confidence::new(0.85).unwrap(),
            root_cause: Some(oncall_domain::RootCauseClaim::of(
                "payments-db",
                oncall_domain::FaultCategory::ResourceExhaustion
            )),
            actions: vec![oncall_domain::ActionClaim::of(
                oncall_domain::RemediationKind::RaiseLimit,
                "payments-db"
            )],
        })
    );
    let at_four = replay.state_at(4).unwrap();
    assert_eq!(last.steps, at_four.steps);
    assert_eq!(last.hypothesis, at_four.hypothesis);
}

#[test]
fn replay_snapshots() {
    let replay = replay(&sample_run()).unwrap();
    insta::assert_json_snapshot!("sample_run_state_at_step_2", replay.state_at(2).unwrap());
    insta::assert_json_snapshot!("sample_run_final_state", replay.final_state());
    let failed = super::replay(&failed_run()).unwrap();
    insta::assert_json_snapshot!("failed_run_final_state", failed.final_state());
}

#[test]
fn a_failed_run_replays_with_its_failed_step() {
    let state = replay(&failed_run()).unwrap().final_state();
    assert_eq!(state.status, RunStatus::Failed);
    assert_eq!(
        state.steps[1].status,
        StepStatus::Failed {
            reason: "agent returned invalid JSON: expected value at line 1 column 1".to_owned()
        }
    );
    assert_eq!(state.hypothesis, None);
    assert!(state.hypothesis_history.is_empty());
}

#[test]
fn a_log_that_ends_early_replays_with_an_open_step() {
    let events = sample_run();
    let cut = position(&events, Some(2), EventKindName::ToolCalled);
    let replay = replay(&events[..=cut]).unwrap();
    let state = replay.final_state();
    assert_eq!(state.status, RunStatus::Running);
    assert_eq!(state.outcome, None);
    let open = state.steps.last().unwrap();
    assert_eq!(open.status, StepStatus::InProgress);
    assert_eq!(open.ended_at, None);
    assert!(open.tool_call.is_some() && open.result.is_none());
    assert_eq!(open.hypothesis_after, state.hypothesis);
}

#[test]
fn replaying_the_verified_file_gives_the_same_state() {
    let events = sample_run();
    let mut writer = JsonlWriter::new(Vec::new(), FsyncPolicy::AtClose);
    for event in &events {
        writer.append(event.clone()).unwrap();
    }
    let (head, bytes) = writer.finish_into_inner().unwrap();
    let read = read_chain(&bytes, Some(&head.head_hash)).unwrap();
    assert_eq!(
        replay(read.events()).unwrap().final_state(),
        replay(&events).unwrap().final_state()
    );
}

#[test]
fn one_run_is_picked_out_of_a_shared_log() {
    let other = RunId::from_uuid(Uuid::from_u128(777));
    let failed: Vec<Event> = failed_run()
        .iter()
        .map(|e| {
            Event::new(
                e.id(),
                e.sequence(),
                other,
                e.step(),
                e.timestamp(),
                e.kind().clone(),
            )
        })
        .collect();
    let mixed = renumber(sample_run().into_iter().chain(failed).collect());
    assert!(matches!(replay(&mixed), Err(ReplayError::MixedRuns { .. })));
    let first = replay_run(&mixed, mixed[0].run_id()).unwrap();
    assert_eq!(
        first.final_state(),
        replay(&sample_run()).unwrap().final_state()
    );
    let second = replay_run(&mixed, other).unwrap();
    assert_eq!(second.final_state().status, RunStatus::Failed);
    let nobody = RunId::from_uuid(Uuid::from_u128(5));
    assert_eq!(replay_run(&mixed, nobody).unwrap_err(), ReplayError::Empty);
}

#[test]
fn runs_must_start_with_run_started() {
    assert_eq!(replay(&[]).unwrap_err(), ReplayError::Empty);
    let events = sample_run();
    let error = replay_error(events[1..].to_vec());
    assert_eq!(
        error.to_string(),
        "event 1 (line 2): expected run_started first, found step_started"
    );
    let mut twice = events.clone();
    twice.insert(1, events[0].clone());
    let error = replay_error(renumber(twice));
    assert_eq!(
        error.to_string(),
        "event 1 (line 2): a second run_started: replay one run at a time (filter by run id first)"
    );
    let error = replay_error(vec![with_step(&events[0], Some(1))]);
    assert!(matches!(error, ReplayError::WrongStep { .. }), "{error}");
    assert_eq!(
        error.to_string(),
        "event 0 (line 1): run_started carries step 1, expected no step number"
    );
}

#[test]
fn sequence_numbers_and_run_ids_are_checked() {
    let mut events = sample_run();
    events.swap(2, 3);
    let error = replay_error(events);
    assert_eq!(
        error.to_string(),
        "event 2 (line 3): sequence numbers must increase, but it follows event 3 (line 4)"
    );

    let mut events = sample_run();
    let other = RunId::from_uuid(Uuid::from_u128(777));
    let e = &events[3];
    events[3] = Event::new(
        e.id(),
        e.sequence(),
        other,
        e.step(),
        e.timestamp(),
        e.kind().clone(),
    );
    let error = replay_error(events);
    assert!(
        matches!(error, ReplayError::MixedRuns { sequence: 3, .. }),
        "{error}"
    );
}

#[test]
fn step_structure_is_checked() {
    let events = sample_run();

    // A decision outside any step.
    let mut outside = events.clone();
    let close = position(&events, Some(1), EventKindName::StepCompleted);
    outside.swap(close - 1, close);
    let error = replay_error(renumber(outside));
    assert_eq!(
        error.to_string(),
        format!(
            "event {close} (line {}): hypothesis_created outside a step (expected after step_started)",
            close + 1
        )
    );

    // An event carrying another step's number.
    let mut wrong = events.clone();
    wrong[2] = with_step(&wrong[2], Some(2));
    let error = replay_error(wrong);
    assert_eq!(
        error.to_string(),
        "event 2 (line 3): decision_made carries step 2, expected step 1"
    );
    let mut unnumbered = events.clone();
    unnumbered[1] = with_step(&unnumbered[1], None);
    assert_eq!(
        replay_error(unnumbered).to_string(),
        "event 1 (line 2): step_started carries no step number, expected step 1"
    );

    // A step that skips a number.
    let renumbered: Vec<Event> = events
        .iter()
        .map(|e| with_step(e, e.step().map(|s| if s >= 3 { s + 1 } else { s })))
        .collect();
    let error = replay_error(renumbered);
    assert!(
        matches!(
            error,
            ReplayError::StepOutOfOrder {
                expected: 3,
                found: 4,
                ..
            }
        ),
        "{error}"
    );

    // A step opened inside another.
    let mut nested = events.clone();
    let close = position(&events, Some(1), EventKindName::StepCompleted);
    nested.remove(close);
    let error = replay_error(nested);
    assert!(
        matches!(error, ReplayError::InsideStep { open_step: 1, .. }),
        "{error}"
    );

    // A run that ends with a step open.
    let mut open_end = events.clone();
    let close = position(&events, Some(4), EventKindName::StepCompleted);
    open_end.remove(close);
    let error = replay_error(open_end);
    assert!(
        error
            .to_string()
            .ends_with("run_completed while step 4 is still open (close it first)"),
        "{error}"
    );
}

#[test]
fn the_step_limit_is_checked() {
    let events = sample_run();
    let EventKind::RunStarted {
        incident,
        agent,
        seed,
        ..
    } = events[0].kind().clone()
    else {
        panic!("not run_started");
    };
    let mut limited = events.clone();
    limited[0] = with_kind(
        &events[0],
        EventKind::RunStarted {
            incident,
            agent,
            seed,
            limits: oncall_domain::RunLimits::new(3).unwrap(),
        },
    );
    let error = replay_error(limited);
    assert!(
        error
            .to_string()
            .ends_with("step 4 is beyond the run's limit of 3 steps"),
        "{error}"
    );
}

#[test]
fn steps_hold_each_thing_once() {
    let events = sample_run();
    let decision = position(&events, Some(1), EventKindName::DecisionMade);
    let mut twice = events.clone();
    twice.insert(decision + 1, events[decision].clone());
    let error = replay_error(renumber(twice));
    assert_eq!(
        error.to_string(),
        "event 3 (line 4): a second decision_made in step 1"
    );

    let result = position(&events, Some(1), EventKindName::ToolResultReceived);
    let EventKind::ToolResultReceived { result: original } = events[result].kind() else {
        panic!("not a result");
    };
    let other_call = CallId::from_uuid(Uuid::from_u128(4242));
    let stranger =
        oncall_domain::ToolResult::success(original.tool_name(), other_call, json!({}), 0, None)
            .unwrap();
    let mut mismatched = events.clone();
    mismatched[result] = with_kind(
        &events[result],
        EventKind::ToolResultReceived { result: stranger },
    );
    let error = replay_error(mismatched);
    assert!(
        matches!(error, ReplayError::CallIdMismatch { .. }),
        "{error}"
    );
}

#[test]
fn hypothesis_updates_are_checked() {
    let events = sample_run();
    let update = position(&events, Some(2), EventKindName::HypothesisUpdated);
    let EventKind::HypothesisUpdated {
        hypothesis,
        previous_status,
        previous_confidence,
    } = events[update].kind().clone()
    else {
        panic!("not an update");
    };

    // Claims a previous confidence the hypothesis never had.
    let mut lying = events.clone();
    lying[update] = with_kind(
        &events[update],
        EventKind::HypothesisUpdated {
            hypothesis: hypothesis.clone(),
            previous_status,
            previous_confidence: Confidence::new(0.1).unwrap(),
        },
    );
    let error = replay_error(lying);
    assert!(
        error
            .to_string()
            .ends_with("previous state was investigating at 0.1, but it was investigating at 0.4"),
        "{error}"
    );

    // Updates a hypothesis that does not exist.
    let created = position(&events, Some(1), EventKindName::HypothesisCreated);
    let mut unknown = events.clone();
    unknown.remove(created);
    let error = replay_error(unknown);
    assert!(
        matches!(error, ReplayError::UnknownHypothesis { .. }),
        "{error}"
    );
    assert!(
        error.to_string().contains("but the current one is none"),
        "{error}"
    );

    // Moves a refuted hypothesis back to supported.
    let refuted = hypothesis.transition_to(HypothesisStatus::Refuted).unwrap();
    let mut illegal = events.clone();
    illegal[update] = with_kind(
        &events[update],
        EventKind::HypothesisUpdated {
            hypothesis: refuted,
            previous_status,
            previous_confidence,
        },
    );
    let next = position(&events, Some(4), EventKindName::HypothesisUpdated);
    let error = replay_error(illegal);
    assert!(
        matches!(error, ReplayError::PreviousHypothesisMismatch { sequence, .. } if sequence == next as u64),
        "{error}"
    );
}

#[test]
fn illegal_hypothesis_transitions_are_refused() {
    let events = sample_run();
    let update = position(&events, Some(2), EventKindName::HypothesisUpdated);
    let EventKind::HypothesisUpdated {
        hypothesis,
        previous_confidence,
        ..
    } = events[update].kind().clone()
    else {
        panic!("not an update");
    };
    // Claims to go from investigating straight to actionable.
    let actionable = hypothesis
        .with_proposed_mitigation("restart")
        .unwrap()
        .transition_to(HypothesisStatus::Actionable)
        .unwrap();
    let mut illegal = events.clone();
    illegal[update] = with_kind(
        &events[update],
        EventKind::HypothesisUpdated {
            hypothesis: actionable,
            previous_status: HypothesisStatus::Investigating,
            previous_confidence,
        },
    );
    let error = replay_error(illegal);
    assert_eq!(
        error.to_string(),
        format!(
            "event {update} (line {}): hypothesis status cannot change from investigating to actionable",
            update + 1
        )
    );
}

#[test]
fn run_endings_are_checked() {
    let events = sample_run();
    let end = position(&events, None, EventKindName::RunCompleted);

    let mut inconsistent = events.clone();
    inconsistent[end] = with_kind(
        &events[end],
        EventKind::RunCompleted {
            reason: TerminationReason::StepLimit { max_steps: 5 },
            resolution: None,
        },
    );
    let error = replay_error(inconsistent);
    assert_eq!(
        error.to_string(),
        format!(
            "event {end} (line {}): run_completed with reason step_limit, which ends a run as failed",
            end + 1
        )
    );

    let mut after = events.clone();
    after.push(rebuild(
        &events[1],
        events.len() as u64,
        Some(5),
        EventKind::StepStarted,
    ));
    let error = replay_error(after);
    assert!(
        error
            .to_string()
            .ends_with("step_started after the run ended (only evaluation_recorded may follow)"),
        "{error}"
    );

    // The end may carry the last step's number, but no other.
    let mut numbered = events.clone();
    numbered[end] = with_step(&events[end], Some(4));
    assert!(replay(&numbered).is_ok());
    numbered[end] = with_step(&events[end], Some(2));
    assert!(matches!(
        replay_error(numbered),
        ReplayError::WrongStep { .. }
    ));
}
