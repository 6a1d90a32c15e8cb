//! The hypothesis lifecycle through the engine: what each update does to
//! the run's hypothesis, its history and the audit log.

use oncall_domain::{Hypothesis, ObservationId};

use super::*;

#[test]
fn the_hypothesis_lifecycle_runs_through_the_engine() {
    let (decisions, analyses) = hypothesis_script();
    let mut agent = ScriptedAgent::new(decisions, analyses);
    let (run, log) = run_with(&mut agent, 10);
    let history = run.hypothesis_history();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].status(), HypothesisStatus::Investigating);
    assert_eq!(
        history[0].supporting_observations(),
        &[run.observations()[0].id()]
    );
    let current = run.hypothesis().unwrap();
    assert_eq!(current, &history[1]);
    assert_eq!(current.status(), HypothesisStatus::Supported);
    assert_eq!(current.confidence().value(), 0.8);
    assert_eq!(current.proposed_mitigation(), Some("Roll back checkout"));
    assert_eq!(current.supporting_observations().len(), 2);
    assert_eq!(run.steps()[0].hypothesis_after(), Some(&history[0]));
    let updated = log
        .events()
        .iter()
        .find_map(|event| match event.kind() {
            EventKind::HypothesisUpdated {
                previous_status,
                previous_confidence,
                ..
            } => Some((*previous_status, previous_confidence.value())),
            _ => None,
        })
        .unwrap();
    assert_eq!(updated, (HypothesisStatus::Investigating, 0.5));
}

#[test]
fn an_illegal_status_change_fails_the_step_and_keeps_the_hypothesis() {
    let mut agent = ScriptedAgent::new(
        vec![
            call("logs", json!({})),
            call("logs", json!({})),
            mitigate("x", 0.5),
        ],
        vec![
            Analysis::new("a", true).with_hypothesis_update(HypothesisUpdate::Create {
                statement: "s".to_owned(),
                confidence: 0.5,
                cite_observation: false,
                cite_observations: Vec::new(),
            }),
            Analysis::new("b", true).with_hypothesis_update(HypothesisUpdate::Revise {
                statement: None,
                confidence: None,
                cite_observation: false,
                cite_observations: Vec::new(),
                proposed_mitigation: None,
                status: Some(HypothesisStatus::Actionable),
            }),
        ],
    );
    let (run, _log) = run_with(&mut agent, 10);
    let StepStatus::Failed { reason } = run.steps()[1].status() else {
        panic!("step 2 should fail");
    };
    assert!(
        reason.contains("cannot change from investigating to actionable"),
        "{reason}"
    );
    assert_eq!(
        run.hypothesis().unwrap().status(),
        HypothesisStatus::Investigating
    );
    assert_eq!(run.hypothesis_history().len(), 1);
}

#[test]
fn a_revision_with_a_mitigation_makes_a_supported_hypothesis_actionable() {
    use HypothesisStatus::{Actionable, Investigating, Supported};
    let mitigation = "Roll back checkout";
    let (run, log) = run_updates(vec![
        create(0.5),
        revise(Some(0.7), None, Supported),
        revise(Some(0.9), Some(mitigation), Actionable),
    ]);
    assert!(
        failure_reasons(&run).is_empty(),
        "{:?}",
        failure_reasons(&run)
    );
    assert_eq!(run.status(), RunStatus::Completed);
    let history = run.hypothesis_history();
    assert_eq!(statuses(history), [Investigating, Supported, Actionable]);
    assert_eq!(
        history[1].proposed_mitigation(),
        None,
        "the mitigation came with the move to actionable"
    );
    let current = run.hypothesis().unwrap();
    assert_eq!(Some(current), history.last());
    assert_eq!(current.id(), history[0].id(), "revisions keep the id");
    assert_eq!(current.proposed_mitigation(), Some(mitigation));
    assert_eq!(current.confidence().value(), 0.9);
    for (step, hypothesis) in run.steps().iter().zip(history) {
        assert_eq!(step.hypothesis_after(), Some(hypothesis));
    }
    assert_updates_follow_the_history(&log, history);
}

#[test]
fn a_supported_hypothesis_can_be_refuted_and_then_stays_refuted() {
    use HypothesisStatus::{Investigating, Refuted, Supported};
    let (run, log) = run_updates(vec![
        create(0.6),
        revise(Some(0.8), None, Supported),
        revise(Some(0.1), None, Refuted),
        revise(Some(0.9), None, Supported),
    ]);
    let reasons = failure_reasons(&run);
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert!(
        reasons[0].contains("cannot change from refuted to supported"),
        "{reasons:?}"
    );
    let history = run.hypothesis_history();
    assert_eq!(statuses(history), [Investigating, Supported, Refuted]);
    let current = run.hypothesis().unwrap();
    assert_eq!(Some(current), history.last());
    assert_eq!(
        current.confidence().value(),
        0.1,
        "the refused update changed nothing"
    );
    assert_eq!(run.steps()[3].hypothesis_after(), Some(current));
    assert_updates_follow_the_history(&log, history);
    assert_eq!(run.status(), RunStatus::Completed);
}

#[test]
fn a_revision_restating_the_current_status_completes_the_step() {
    use HypothesisStatus::{Actionable, Investigating, Supported};
    let (run, log) = run_updates(vec![
        create(0.5),
        revise(Some(0.6), None, Investigating),
        revise(Some(0.7), None, Supported),
        revise(None, None, Supported),
        revise(Some(0.9), Some("Roll back checkout"), Actionable),
        revise(Some(0.95), None, Actionable),
    ]);
    assert!(
        failure_reasons(&run).is_empty(),
        "{:?}",
        failure_reasons(&run)
    );
    let history = run.hypothesis_history();
    assert_eq!(
        statuses(history),
        [
            Investigating,
            Investigating,
            Supported,
            Supported,
            Actionable,
            Actionable
        ]
    );
    assert_eq!(history[1].confidence().value(), 0.6);
    assert_eq!(
        history[3], history[2],
        "restating the status alone changes nothing"
    );
    assert_eq!(history[5].confidence().value(), 0.95);
    assert_eq!(run.hypothesis(), history.last());
    assert_updates_follow_the_history(&log, history);
    let replayed = oncall_audit::replay(log.events()).unwrap();
    assert_eq!(replayed.final_state(), run.investigation_state());
}

/// Runs one `logs` call per update, each analysed with that update, then
/// proposes a mitigation.
fn run_updates(updates: Vec<HypothesisUpdate>) -> (Run, Log) {
    let decisions = updates
        .iter()
        .map(|_| call("logs", json!({})))
        .chain([mitigate("Roll back checkout", 0.9)])
        .collect();
    let analyses = updates
        .into_iter()
        .enumerate()
        .map(|(index, update)| {
            Analysis::new(format!("finding {index}"), true).with_hypothesis_update(update)
        })
        .collect();
    run_with(&mut ScriptedAgent::new(decisions, analyses), 10)
}

fn create(confidence: f64) -> HypothesisUpdate {
    HypothesisUpdate::Create {
        statement: "the checkout database is slow".to_owned(),
        confidence,
        cite_observation: true,
        cite_observations: Vec::new(),
    }
}

fn revise(
    confidence: Option<f64>,
    proposed_mitigation: Option<&str>,
    status: HypothesisStatus,
) -> HypothesisUpdate {
    HypothesisUpdate::Revise {
        statement: None,
        confidence,
        cite_observation: false,
        cite_observations: Vec::new(),
        proposed_mitigation: proposed_mitigation.map(str::to_owned),
        status: Some(status),
    }
}

fn statuses(history: &[Hypothesis]) -> Vec<HypothesisStatus> {
    history.iter().map(Hypothesis::status).collect()
}

/// The log holds one `hypothesis_created` for the first entry of `history`,
/// then one `hypothesis_updated` per later entry, naming the status and
/// confidence of the entry before it.
fn assert_updates_follow_the_history(log: &Log, history: &[Hypothesis]) {
    let created: Vec<&Hypothesis> = log
        .events()
        .iter()
        .filter_map(|event| match event.kind() {
            EventKind::HypothesisCreated { hypothesis } => Some(hypothesis),
            _ => None,
        })
        .collect();
    assert_eq!(created, history.iter().take(1).collect::<Vec<_>>());
    let updated: Vec<(HypothesisStatus, f64, &Hypothesis)> = log
        .events()
        .iter()
        .filter_map(|event| match event.kind() {
            EventKind::HypothesisUpdated {
                hypothesis,
                previous_status,
                previous_confidence,
            } => Some((*previous_status, previous_confidence.value(), hypothesis)),
            _ => None,
        })
        .collect();
    let expected: Vec<(HypothesisStatus, f64, &Hypothesis)> = history
        .windows(2)
        .map(|pair| (pair[0].status(), pair[0].confidence().value(), &pair[1]))
        .collect();
    assert_eq!(updated, expected);
}

/// Calls `logs` three times; after the third result it creates a
/// hypothesis citing this step's observation and the earlier ones the
/// context shows, plus `extra` ids.
#[derive(Debug)]
struct CitingAgent {
    analyses: u32,
    extra: Vec<ObservationId>,
}

impl Agent for CitingAgent {
    fn name(&self) -> &str {
        "citing"
    }

    fn decide_next_action(&mut self, _context: &AgentContext<'_>) -> Result<Decision, AgentError> {
        Ok(if self.analyses < 3 {
            call("logs", json!({}))
        } else {
            mitigate("Roll back checkout", 0.7)
        })
    }

    fn analyze_result(
        &mut self,
        _tool_result: &ToolResult,
        context: &AgentContext<'_>,
    ) -> Result<Analysis, AgentError> {
        self.analyses += 1;
        let analysis = Analysis::new(format!("result {}", self.analyses), true);
        if self.analyses < 3 {
            return Ok(analysis);
        }
        // Cite the first earlier observation twice: a repeat is harmless.
        let mut cited: Vec<ObservationId> = context
            .observations()
            .iter()
            .map(|seen| seen.id())
            .collect();
        cited.extend(cited.first().copied());
        cited.extend(self.extra.iter().copied());
        Ok(analysis.with_hypothesis_update(HypothesisUpdate::Create {
            statement: "checkout's deploy broke it".to_owned(),
            confidence: 0.6,
            cite_observation: true,
            cite_observations: cited,
        }))
    }
}

#[test]
fn an_update_can_cite_earlier_observations_by_id() {
    let mut agent = CitingAgent {
        analyses: 0,
        extra: Vec::new(),
    };
    let (run, log) = run_with(&mut agent, 10);
    assert!(
        failure_reasons(&run).is_empty(),
        "{:?}",
        failure_reasons(&run)
    );
    let ids: Vec<ObservationId> = run.observations().iter().map(|seen| seen.id()).collect();
    assert_eq!(ids.len(), 3);
    let hypothesis = run.hypothesis().unwrap();
    // This step's observation first, then the earlier ones in the order
    // cited, each once.
    assert_eq!(
        hypothesis.supporting_observations(),
        &[ids[2], ids[0], ids[1]]
    );
    let created = log
        .events()
        .iter()
        .find_map(|event| match event.kind() {
            EventKind::HypothesisCreated { hypothesis } => Some(hypothesis),
            _ => None,
        })
        .unwrap();
    assert_eq!(created, hypothesis);
}

#[test]
fn citing_an_observation_the_run_never_made_fails_the_step() {
    let stranger = ObservationId::from_uuid(uuid::Uuid::from_u128(u128::MAX));
    let mut agent = CitingAgent {
        analyses: 0,
        extra: vec![stranger],
    };
    let (run, _log) = run_with(&mut agent, 10);
    let reasons = failure_reasons(&run);
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert!(
        reasons[0].contains(&format!(
            "`cite_observations` names {stranger}, which is not an observation of this run"
        )),
        "{reasons:?}"
    );
    assert!(run.hypothesis().is_none());
    assert_eq!(run.status(), RunStatus::Completed, "the run goes on");

    let mut flood = CitingAgent {
        analyses: 0,
        extra: vec![stranger; crate::MAX_CITED_OBSERVATIONS],
    };
    let (run, _log) = run_with(&mut flood, 10);
    let reasons = failure_reasons(&run);
    assert!(reasons[0].contains("over the limit of 256"), "{reasons:?}");
}
