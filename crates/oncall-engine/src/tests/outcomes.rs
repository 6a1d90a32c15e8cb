//! How runs end, and how bad decisions fail a step but never the engine:
//! each terminal decision, the step limit, unknown tools, invalid
//! parameters, agent errors, invalid confidences and oversized text.

use super::*;

#[test]
fn happy_path_ends_in_a_mitigation() {
    let (decisions, analyses) = hypothesis_script();
    let mut agent = ScriptedAgent::new(decisions, analyses);
    let (run, log) = run_with(&mut agent, 10);
    assert_eq!(run.status(), RunStatus::Completed);
    assert_eq!(
        run.termination(),
        Some(&TerminationReason::MitigationProposed)
    );
    assert_eq!(run.steps().len(), 3);
    assert!(
        run.steps()
            .iter()
            .all(|step| *step.status() == StepStatus::Completed)
    );
    assert_eq!(run.observations().len(), 2);
    let Some(oncall_domain::Resolution::Mitigation {
        mitigation,
        confidence,
        ..
    }) = run.resolution()
    else {
        panic!("expected a mitigation, got {:?}", run.resolution());
    };
    assert_eq!(mitigation, "Roll back checkout");
    assert_eq!(confidence.value(), 0.85);
    assert_eq!(agent.seen_steps_remaining, vec![9, 8, 7]);
    // Time: 30 simulated seconds per step.
    assert_eq!(run.steps()[1].started_at(), noon() + Duration::seconds(30));
    assert_eq!(run.steps()[1].ended_at(), noon() + Duration::seconds(60));
    assert_eq!(run.ended_at(), Some(noon() + Duration::seconds(90)));
    assert_eq!(log.events().last().unwrap().kind().name(), "run_completed");
}

#[test]
fn tools_see_the_incident_time_as_now() {
    let mut agent = ScriptedAgent::new(
        vec![
            call("logs", json!({"last_minutes": 60})),
            mitigate("restart", 0.5),
        ],
        Vec::new(),
    );
    let (_run, _log) = run_with(&mut agent, 5);
    let data = agent.seen_results[0].data().unwrap().to_string();
    assert!(data.contains("db timeout"), "{data}");
    assert!(!data.contains("from the future"), "{data}");
}

#[test]
fn escalation_ends_the_run_as_escalated() {
    let mut agent = ScriptedAgent::new(
        vec![Decision::escalation(
            "the payments provider is down",
            "the payments provider",
        )],
        Vec::new(),
    );
    let (run, log) = run_with(&mut agent, 5);
    assert_eq!(run.status(), RunStatus::Escalated);
    assert_eq!(run.termination(), Some(&TerminationReason::Escalated));
    assert!(matches!(
        run.resolution(),
        Some(oncall_domain::Resolution::Escalation { target, .. }) if target == "the payments provider"
    ));
    assert_eq!(
        kinds(&log),
        vec![
            "0: run_started",
            "1 step 1: step_started",
            "2 step 1: decision_made",
            "3 step 1: step_completed",
            "4: run_escalated",
        ]
    );
}

#[test]
fn the_step_limit_ends_the_run_as_failed() {
    let mut agent = ScriptedAgent::new(Vec::new(), Vec::new());
    let (run, log) = run_with(&mut agent, 3);
    assert_eq!(run.status(), RunStatus::Failed);
    assert_eq!(
        run.termination(),
        Some(&TerminationReason::StepLimit { max_steps: 3 })
    );
    assert_eq!(run.steps().len(), 3);
    assert_eq!(run.resolution(), None);
    let last = log.events().last().unwrap();
    assert!(matches!(
        last.kind(),
        EventKind::RunFailed {
            reason: TerminationReason::StepLimit { max_steps: 3 },
            ..
        }
    ));
}

#[test]
fn an_unknown_tool_fails_the_step_and_the_run_goes_on() {
    let mut agent = ScriptedAgent::new(
        vec![
            call("telepathy", json!({})),
            mitigate("restart checkout", 0.4),
        ],
        Vec::new(),
    );
    let (run, _log) = run_with(&mut agent, 5);
    assert_eq!(run.status(), RunStatus::Completed);
    let StepStatus::Failed { reason } = run.steps()[0].status() else {
        panic!("step 1 should fail");
    };
    assert!(reason.starts_with("tool `telepathy` failed:"), "{reason}");
    assert!(
        reason.contains("logs"),
        "the error lists the tools: {reason}"
    );
    assert!(
        !agent.seen_results[0].is_success(),
        "the agent saw the failure"
    );
}

#[test]
fn invalid_parameters_fail_the_step_and_the_agent_sees_every_problem() {
    let mut agent = ScriptedAgent::new(
        vec![
            call(
                "logs",
                json!({"min_level": "loud", "limit": 0, "colour": "red"}),
            ),
            mitigate("restart checkout", 0.4),
        ],
        Vec::new(),
    );
    let (run, _log) = run_with(&mut agent, 5);
    assert!(matches!(run.steps()[0].status(), StepStatus::Failed { .. }));
    let errors = agent.seen_results[0].errors();
    let parameters: Vec<_> = errors
        .iter()
        .filter_map(|e| e.parameter.as_deref())
        .collect();
    assert!(parameters.contains(&"min_level"), "{errors:?}");
    assert!(parameters.contains(&"limit"), "{errors:?}");
    assert!(parameters.contains(&"colour"), "{errors:?}");
    assert_eq!(run.status(), RunStatus::Completed);
}

#[test]
fn an_agent_error_while_deciding_ends_the_run_as_failed() {
    let mut agent = ScriptedAgent::default();
    agent.decisions.push_back(Ok(call("logs", json!({}))));
    agent
        .decisions
        .push_back(Err(AgentError::new("model timed out")));
    let (run, log) = run_with(&mut agent, 5);
    assert_eq!(run.status(), RunStatus::Failed);
    assert_eq!(
        run.termination(),
        Some(&TerminationReason::AgentError {
            message: "model timed out".to_owned()
        })
    );
    assert_eq!(run.steps().len(), 2);
    assert_eq!(
        run.steps()[1].status(),
        &StepStatus::Failed {
            reason: "agent error: model timed out".to_owned()
        }
    );
    assert!(run.steps()[1].decision().is_none());
    let names = event_names(&log);
    assert_eq!(
        &names[names.len() - 3..],
        &["step_started", "step_failed", "run_failed"]
    );
}

#[test]
fn an_agent_error_while_analysing_keeps_the_tool_result() {
    let mut agent = ScriptedAgent::default();
    agent.decisions.push_back(Ok(call("logs", json!({}))));
    agent
        .analyses
        .push_back(Err(AgentError::new("parse failure")));
    let (run, log) = run_with(&mut agent, 5);
    assert_eq!(run.status(), RunStatus::Failed);
    assert!(run.steps()[0].tool_result().is_some());
    let names = event_names(&log);
    assert_eq!(
        names,
        vec![
            "run_started",
            "step_started",
            "decision_made",
            "tool_called",
            "tool_result_received",
            "step_failed",
            "run_failed"
        ]
    );
}

#[test]
fn nan_and_out_of_range_confidences_fail_the_step_not_the_engine() {
    let mut agent = ScriptedAgent::new(
        vec![
            mitigate("roll back", f64::NAN),
            mitigate("roll back", 1.5),
            call("logs", json!({})),
            mitigate("roll back", 0.7),
        ],
        vec![
            Analysis::new("x", true).with_hypothesis_update(HypothesisUpdate::Create {
                statement: "bad deploy".to_owned(),
                confidence: f64::INFINITY,
                cite_observation: false,
                cite_observations: Vec::new(),
            }),
        ],
    );
    let (run, log) = run_with(&mut agent, 10);
    let reasons = failure_reasons(&run);
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert!(reasons[0].contains("finite number"), "{reasons:?}");
    assert!(reasons[1].contains("between 0.0 and 1.0"), "{reasons:?}");
    assert!(
        reasons[2].starts_with("hypothesis update refused"),
        "{reasons:?}"
    );
    assert!(run.hypothesis().is_none());
    assert_eq!(run.observations().len(), 1, "the valid observation is kept");
    assert_eq!(run.status(), RunStatus::Completed);
    // The NaN the agent sent is in the log as it was sent.
    let jsonl = log.to_jsonl();
    assert!(jsonl.contains("\"confidence\":\"NaN\""), "{jsonl}");
}

#[test]
fn oversized_agent_text_fails_the_step_and_stays_out_of_the_log() {
    let huge = "x".repeat(crate::MAX_AGENT_TEXT_BYTES + 1);
    let mut agent = ScriptedAgent::new(
        vec![
            Decision::mitigation("roll back", 0.5, huge.clone()),
            call("logs", json!({})),
            mitigate("roll back", 0.5),
        ],
        vec![Analysis::new(huge.clone(), true)],
    );
    let (run, log) = run_with(&mut agent, 10);
    let reasons = failure_reasons(&run);
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(
        reasons[0].starts_with("`reasoning` is 16385 bytes, over the 16384-byte limit"),
        "{reasons:?}"
    );
    assert!(
        reasons[1].contains("`summary` is 16385 bytes"),
        "{reasons:?}"
    );
    assert!(run.steps()[0].decision().is_none());
    assert!(run.observations().is_empty());
    assert_eq!(run.status(), RunStatus::Completed);
    assert!(!log.to_jsonl().contains(&huge));
    assert!(oncall_audit::replay(log.events()).is_ok());
}

#[test]
fn structured_answers_are_recorded_as_given_and_names_are_left_to_the_grader() {
    use oncall_domain::{ActionClaim, RootCauseClaim};
    let actions: Vec<ActionClaim> = (0..4)
        .map(|index| ActionClaim::new("reboot_the_internet", format!("nowhere-{index}")))
        .collect();
    let mut agent = ScriptedAgent::new(
        vec![
            Decision::mitigation("", 0.5, "only actions")
                .with_root_cause(RootCauseClaim::new("checkout", "gremlins"))
                .with_actions(actions.clone()),
        ],
        Vec::new(),
    );
    let (run, log) = run_with(&mut agent, 5);
    assert_eq!(run.status(), RunStatus::Completed);
    let Some(oncall_domain::Resolution::Mitigation {
        mitigation,
        root_cause,
        actions: recorded,
        ..
    }) = run.resolution()
    else {
        panic!("not a mitigation: {:?}", run.resolution());
    };
    assert_eq!(mitigation, "");
    assert_eq!(
        recorded, &actions,
        "four actions, unknown kind: recorded as given"
    );
    assert_eq!(
        root_cause.as_ref().map(RootCauseClaim::category),
        Some("gremlins")
    );
    assert!(log.to_jsonl().contains("reboot_the_internet"));
    assert!(oncall_audit::replay(log.events()).is_ok());
}

#[test]
fn an_ending_decision_needs_text_or_structure_and_floods_are_refused() {
    use oncall_domain::ActionClaim;
    let flood: Vec<ActionClaim> = (0..=crate::MAX_RECORDED_ACTIONS)
        .map(|index| ActionClaim::new("restart", format!("svc-{index}")))
        .collect();
    let mut agent = ScriptedAgent::new(
        vec![
            Decision::mitigation("  ", 0.5, ""),
            Decision::mitigation("x", 0.5, "").with_actions(flood),
            Decision::escalation("provider down", " "),
            Decision::escalation("provider down", "").with_team("payco"),
        ],
        Vec::new(),
    );
    let (run, log) = run_with(&mut agent, 10);
    let reasons = failure_reasons(&run);
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert!(
        reasons[0].contains("`mitigation` must not be empty"),
        "{reasons:?}"
    );
    assert!(
        reasons[1].starts_with("`actions` lists 33 actions, over the 32-action limit"),
        "{reasons:?}"
    );
    assert!(
        reasons[2].contains("or give a catalogue `team`"),
        "{reasons:?}"
    );
    assert!(
        !log.to_jsonl().contains("svc-32"),
        "the flood is not recorded"
    );
    assert_eq!(run.status(), RunStatus::Escalated);
    assert!(matches!(
        run.resolution(),
        Some(oncall_domain::Resolution::Escalation { team: Some(team), target, .. }) if team == "payco" && target.is_empty()
    ));
}
