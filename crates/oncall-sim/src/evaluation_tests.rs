//! Every evaluation verdict, the formula, and re-scoring from an audit log.

use serde_json::json;

use oncall_domain::{Confidence, Decision, Resolution};

use crate::agents::OracleAgent;
use crate::evaluation::{MitigationVerdict, RunFacts, evaluate, judge_mitigation};
use crate::runner::{RunSettings, run_scenario};
use crate::scenario_file::GroundTruth;
use crate::test_support::{scenario_json, tiny_scenario};

fn truth() -> GroundTruth {
    tiny_scenario().ground_truth().clone()
}

fn escalation_truth() -> GroundTruth {
    let mut file = scenario_json();
    file["ground_truth"]["expected_outcome"] = json!({
        "kind": "escalate",
        "target": {"all_of": [["payments provider", "acme pay"]]}
    });
    serde_json::from_value::<crate::scenario_file::ScenarioFile>(file)
        .unwrap()
        .ground_truth
}

fn mitigation(text: &str) -> Option<Resolution> {
    Some(Resolution::Mitigation {
        mitigation: text.to_owned(),
        confidence: Confidence::new(0.8).unwrap(),
    })
}

fn escalation(target: &str, reason: &str) -> Option<Resolution> {
    Some(Resolution::Escalation {
        reason: reason.to_owned(),
        target: target.to_owned(),
    })
}

fn facts(
    resolution: Option<Resolution>,
    steps: u32,
    results: &[(&str, serde_json::Value)],
) -> RunFacts {
    RunFacts {
        resolution,
        steps_used: steps,
        successful_results: results
            .iter()
            .map(|(tool, data)| ((*tool).to_owned(), data.clone()))
            .collect(),
    }
}

fn all_evidence() -> Vec<(&'static str, serde_json::Value)> {
    vec![
        ("deploys", json!({"deploys": [{"version": "v2.0.0"}]})),
        ("logs", json!({"entries": [{"message": "cart exploded"}]})),
    ]
}

#[test]
fn a_perfect_run_scores_exactly_one() {
    let evaluation = evaluate(
        &truth(),
        &facts(mitigation("Roll back checkout"), 3, &all_evidence()),
    );
    assert_eq!(evaluation.mitigation, MitigationVerdict::Correct);
    assert_eq!(evaluation.total, 1.0);
    assert!(evaluation.passed);
    assert_eq!(evaluation.evidence.ids, vec!["the_deploy", "the_errors"]);
    assert!(evaluation.escalation.right_call);
}

#[test]
fn each_mitigation_verdict() {
    let cases = [
        (
            "Revert the checkout deploy",
            MitigationVerdict::Correct,
            1.0,
            true,
        ),
        (
            "Scale out checkout to 12 replicas",
            MitigationVerdict::Acceptable,
            0.65,
            true,
        ),
        (
            "Restart the checkout database",
            MitigationVerdict::Harmful,
            0.0,
            false,
        ),
        (
            "Roll back checkout and restart the db",
            MitigationVerdict::Harmful,
            0.0,
            false,
        ),
        ("Page the CEO", MitigationVerdict::Wrong, 0.3, false),
    ];
    for (text, verdict, total, passed) in cases {
        let evaluation = evaluate(&truth(), &facts(mitigation(text), 3, &all_evidence()));
        assert_eq!(evaluation.mitigation, verdict, "{text}");
        assert_eq!(evaluation.total, total, "{text}");
        assert_eq!(evaluation.passed, passed, "{text}");
    }
}

#[test]
fn no_resolution_is_none_and_fails() {
    let evaluation = evaluate(&truth(), &facts(None, 8, &[]));
    assert_eq!(evaluation.mitigation, MitigationVerdict::None);
    assert!(!evaluation.passed);
    assert_eq!(evaluation.components.evidence, 0.0);
    assert_eq!(evaluation.components.efficiency, 0.0);
    assert_eq!(evaluation.total, 0.0);
    assert!(!evaluation.escalation.right_call);
}

#[test]
fn escalating_when_a_mitigation_was_expected_is_the_wrong_call() {
    let evaluation = evaluate(
        &truth(),
        &facts(escalation("the db team", "unsure"), 3, &all_evidence()),
    );
    assert_eq!(evaluation.mitigation, MitigationVerdict::None);
    assert!(evaluation.escalation.escalated);
    assert!(!evaluation.escalation.right_call);
    assert_eq!(evaluation.escalation.target_right, None);
    assert!(!evaluation.passed);
    assert_eq!(evaluation.total, 0.3);
}

#[test]
fn escalation_verdicts_judge_the_call_and_the_target() {
    let truth = escalation_truth();
    let right = evaluate(
        &truth,
        &facts(
            escalation("Acme Pay support", "card auths failing"),
            3,
            &all_evidence(),
        ),
    );
    assert!(right.escalation.right_call);
    assert_eq!(right.escalation.target_right, Some(true));
    assert!(right.passed);
    assert_eq!(right.total, 1.0);

    let in_reason = evaluate(
        &truth,
        &facts(
            escalation("vendor", "the payments provider is down"),
            3,
            &all_evidence(),
        ),
    );
    assert_eq!(in_reason.escalation.target_right, Some(true));

    let wrong_target = evaluate(
        &truth,
        &facts(escalation("the database team", "db"), 3, &all_evidence()),
    );
    assert_eq!(wrong_target.escalation.target_right, Some(false));
    assert!(!wrong_target.passed);
    assert_eq!(wrong_target.total, 0.65);

    let mitigated = evaluate(
        &truth,
        &facts(mitigation("Roll back checkout"), 3, &all_evidence()),
    );
    assert!(!mitigated.escalation.right_call);
    assert!(!mitigated.passed);
    assert_eq!(mitigated.components.outcome, 0.0);
}

#[test]
fn evidence_counts_only_the_named_tool() {
    let misplaced = [("logs", json!({"version": "v2.0.0"}))];
    let evaluation = evaluate(
        &truth(),
        &facts(mitigation("Roll back checkout"), 3, &misplaced),
    );
    assert_eq!(evaluation.evidence.found, 0);
    assert_eq!(
        evaluation.evidence.missing,
        vec!["the_deploy", "the_errors"]
    );
    assert_eq!(evaluation.total, 0.8);
}

#[test]
fn efficiency_falls_linearly_to_the_step_limit() {
    let at = |steps| {
        evaluate(
            &truth(),
            &facts(mitigation("Roll back checkout"), steps, &all_evidence()),
        )
        .components
        .efficiency
    };
    assert_eq!(at(2), 1.0);
    assert_eq!(at(3), 1.0);
    assert_eq!(at(8), 0.0);
    assert!((at(5) - 0.6).abs() < 1e-9, "{}", at(5));
}

#[test]
fn judging_a_mitigation_is_harmful_first() {
    assert_eq!(
        judge_mitigation(&truth(), "don't restart the db; roll back checkout"),
        MitigationVerdict::Correct
    );
    assert_eq!(
        judge_mitigation(&truth(), "fail over the DB"),
        MitigationVerdict::Harmful
    );
}

#[test]
fn an_audit_log_alone_gives_the_same_evaluation() {
    let scenario = tiny_scenario();
    let mut oracle = OracleAgent::new(&scenario);
    let outcome = run_scenario(&scenario, &mut oracle, RunSettings::default(), None).unwrap();
    assert_eq!(outcome.evaluation.total, 1.0);
    assert_eq!(
        scenario.evaluate_events(outcome.log.events()),
        outcome.evaluation
    );
    // And after a trip through JSON Lines.
    let reread = oncall_audit::Log::from_jsonl(&outcome.log.to_jsonl()).unwrap();
    assert_eq!(
        scenario.evaluate_events(reread.events()),
        outcome.evaluation
    );
    let last = outcome.log.events().last().unwrap();
    assert_eq!(last.kind().name(), "evaluation_recorded");
}

#[test]
fn a_random_mitigation_with_nan_confidence_is_refused_not_scored() {
    let scenario = tiny_scenario();
    let mut oracle = OracleAgent::from_decisions(vec![
        Decision::ProposeMitigation {
            mitigation: "Roll back checkout".to_owned(),
            confidence: f64::NAN,
            reasoning: String::new(),
        },
        Decision::ProposeMitigation {
            mitigation: "Roll back checkout".to_owned(),
            confidence: 0.5,
            reasoning: String::new(),
        },
    ]);
    let outcome = run_scenario(&scenario, &mut oracle, RunSettings::default(), None).unwrap();
    assert_eq!(outcome.evaluation.mitigation, MitigationVerdict::Correct);
    assert_eq!(outcome.evaluation.steps.used, 2);
}

#[test]
fn evidence_reads_strings_unescaped() {
    // A newline inside a message must separate words, not glue an `n` on.
    let results = [
        ("deploys", json!({"deploys": [{"version": "v2.0.0"}]})),
        (
            "logs",
            json!({"entries": [{"message": "boom:\ncart exploded\tagain"}]}),
        ),
    ];
    let evaluation = evaluate(
        &truth(),
        &facts(mitigation("Roll back checkout"), 3, &results),
    );
    assert_eq!(evaluation.evidence.ids, vec!["the_deploy", "the_errors"]);
}
