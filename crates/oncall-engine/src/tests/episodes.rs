//! Episodes driven from outside, and what happens when the audit sink
//! refuses an event.

use super::*;

#[test]
fn an_episode_driven_from_outside_writes_the_same_events_as_the_push_loop() {
    let (decisions, analyses) = hypothesis_script();
    let (pushed_run, pushed_log) = run_with(
        &mut ScriptedAgent::new(decisions.clone(), analyses.clone()),
        10,
    );

    let mut log = Log::new();
    let driven_run = {
        let mut engine = engine_over(&mut log, 10);
        let mut episode = engine.start(incident(), "scripted").unwrap();
        let mut analyses = analyses.into_iter();
        for decision in decisions {
            assert!(!episode.is_over());
            let outcome = episode.act(decision).unwrap();
            if outcome.tool_result.is_some() {
                episode.analyze(analyses.next().unwrap()).unwrap();
            }
        }
        assert!(episode.is_over());
        episode.finish().unwrap()
    };
    assert_eq!(driven_run, pushed_run);
    assert_eq!(log.to_jsonl(), pushed_log.to_jsonl());
}

#[test]
fn an_owned_episode_can_move_to_another_thread_and_gives_its_sink_back() {
    fn assert_send_static<T: Send + 'static>(_: &T) {}
    let (decisions, analyses) = hypothesis_script();
    let (pushed_run, pushed_log) = run_with(
        &mut ScriptedAgent::new(decisions.clone(), analyses.clone()),
        10,
    );
    let engine = Engine::new(
        Arc::new(ToolRegistry::with_default_tools()),
        source(),
        config(10),
        Log::new(),
    );
    let mut episode = engine.into_episode(incident(), "scripted").unwrap();
    assert_send_static(&episode);
    let mut analyses = analyses.into_iter();
    // Half the steps here, the rest on another thread: a session map can
    // hand an episode to whichever worker serves the next request.
    let mut decisions = decisions.into_iter();
    for decision in decisions.by_ref().take(1) {
        if episode.act(decision).unwrap().tool_result.is_some() {
            assert!(episode.awaits_analysis());
            episode.analyze(analyses.next().unwrap()).unwrap();
        }
    }
    let (run, log) = std::thread::spawn(move || {
        for decision in decisions {
            if episode.act(decision).unwrap().tool_result.is_some() {
                episode.analyze(analyses.next().unwrap()).unwrap();
            }
        }
        episode.finish_with_sink().unwrap()
    })
    .join()
    .unwrap();
    assert_eq!(run, pushed_run);
    assert_eq!(log.to_jsonl(), pushed_log.to_jsonl());
}

#[test]
fn an_episode_refuses_actions_after_it_ends_and_out_of_order_analyses() {
    let mut log = Log::new();
    let mut engine = engine_over(&mut log, 10);
    let mut episode = engine.start(incident(), "driver").unwrap();
    assert!(matches!(
        episode.analyze(Analysis::new("too early", false)),
        Err(EngineError::NoPendingToolResult)
    ));
    let outcome = episode.act(mitigate("roll back", 0.6)).unwrap();
    assert_eq!(
        outcome.termination,
        Some(TerminationReason::MitigationProposed)
    );
    let refused = episode.act(call("logs", json!({}))).unwrap_err();
    assert_eq!(
        refused.to_string(),
        "the episode has already ended (mitigation_proposed): it takes no more actions"
    );
}

#[test]
fn an_episode_finished_early_is_abandoned_and_closed_in_the_log() {
    let mut log = Log::new();
    let run = {
        let mut engine = engine_over(&mut log, 10);
        let mut episode = engine.start(incident(), "driver").unwrap();
        let outcome = episode.act(call("logs", json!({}))).unwrap();
        assert!(outcome.tool_result.unwrap().is_success());
        episode.finish().unwrap()
    };
    assert_eq!(run.status(), RunStatus::Failed);
    assert!(matches!(
        run.termination(),
        Some(TerminationReason::Abandoned { .. })
    ));
    assert_eq!(run.steps().len(), 1, "the open step is closed");
    let names = event_names(&log);
    assert_eq!(&names[names.len() - 2..], &["step_completed", "run_failed"]);
}

#[test]
fn a_refusing_sink_stops_the_engine_with_the_run_so_far() {
    /// A sink that accepts `capacity` events, then refuses.
    #[derive(Debug)]
    struct FullSink {
        log: Log,
        capacity: usize,
    }
    impl oncall_audit::EventSink for FullSink {
        fn append(&mut self, event: oncall_audit::Event) -> Result<(), oncall_audit::AuditError> {
            if self.log.len() >= self.capacity {
                // Any refusal will do: re-appending a used sequence number.
                let mut copy = Log::new();
                copy.append(event.clone())?;
                return copy.append(event);
            }
            self.log.append(event)
        }
        fn next_sequence(&self) -> u64 {
            self.log.len() as u64
        }
    }
    let mut sink = FullSink {
        log: Log::new(),
        capacity: 4,
    };
    let error = {
        let mut engine = engine_over(&mut sink, 10);
        let (decisions, analyses) = hypothesis_script();
        engine
            .run(&mut ScriptedAgent::new(decisions, analyses), incident())
            .unwrap_err()
    };
    let EngineError::Audit { sequence, run, .. } = error else {
        panic!("expected an audit error, got {error}");
    };
    assert_eq!(sequence, 4);
    assert_eq!(sink.log.len(), 4, "everything before the refusal is kept");
    assert_eq!(run.status(), RunStatus::Running);
}

#[test]
fn an_unreadable_action_fails_its_step_records_no_decision_and_counts_to_the_limit() {
    let mut log = Log::new();
    let mut engine = engine_over(&mut log, 2);
    let mut episode = engine.start(incident(), "driver").unwrap();
    let long = format!("expected `action` {}", "x".repeat(2000));
    let outcome = episode.act_unreadable(&long).unwrap();
    let failure = outcome.step_failure.unwrap();
    assert!(failure.starts_with("the action is not a decision: expected `action` xxx"));
    assert!(failure.ends_with('…'), "{failure}");
    assert!(failure.len() < crate::MAX_UNREADABLE_REASON_BYTES + 64);
    assert_eq!(outcome.termination, None);
    let outcome = episode.act_unreadable("é".repeat(400).as_str()).unwrap();
    assert_eq!(
        outcome.termination,
        Some(TerminationReason::StepLimit { max_steps: 2 })
    );
    let run = episode.finish().unwrap();
    assert!(run.steps().iter().all(|step| step.decision().is_none()));
    assert_eq!(
        event_names(&log),
        [
            "run_started",
            "step_started",
            "step_failed",
            "step_started",
            "step_failed",
            "run_failed"
        ]
    );
}

#[test]
fn a_tool_call_on_the_last_step_ends_the_run_with_its_result_and_no_analysis() {
    let mut log = Log::new();
    let mut engine = engine_over(&mut log, 2);
    let mut episode = engine.start(incident(), "driver").unwrap();
    let first = episode.act(call("logs", json!({}))).unwrap();
    assert_eq!(first.termination, None);
    episode.analyze(Analysis::new("seen", true)).unwrap();
    let last = episode.act(call("logs", json!({}))).unwrap();
    assert!(last.tool_result.is_some());
    assert_eq!(
        last.termination,
        Some(TerminationReason::StepLimit { max_steps: 2 })
    );
    assert!(!episode.awaits_analysis());
    assert!(matches!(
        episode.analyze(Analysis::new("too late", true)),
        Err(EngineError::EpisodeOver { .. })
    ));
    let run = episode.finish().unwrap();
    assert_eq!(run.observations().len(), 1);
    assert_eq!(run.steps().len(), 2);
}

/// An engine over the test source with the default tools, `max_steps`
/// steps, writing into `sink`.
fn engine_over<S: oncall_audit::EventSink>(sink: S, max_steps: u32) -> Engine<S> {
    Engine::new(
        Arc::new(ToolRegistry::with_default_tools()),
        source(),
        config(max_steps),
        sink,
    )
}
