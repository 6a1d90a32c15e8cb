//! Every evaluation verdict, the formula, and re-scoring from an audit log.

use serde_json::json;

use oncall_domain::{ActionClaim, Confidence, Decision, Resolution, RootCauseClaim};

use crate::evaluation::{MitigationVerdict, RunFacts, evaluate};
use crate::grader::{DiagnosisVerdict, GradedFrom, Grader};
use crate::oracle::OracleAgent;
use crate::runner::{RunSettings, run_scenario};
use crate::scenario::Scenario;
use crate::test_support::{scenario_json, structured_scenario, tiny_scenario};

fn escalation_scenario() -> Scenario {
    let mut file = scenario_json();
    file["ground_truth"]["expected_outcome"] = json!({
        "kind": "escalate",
        "target": {"all_of": [["payments provider", "acme pay"]]}
    });
    let file: crate::scenario_file::ScenarioFile = serde_json::from_value(file).unwrap();
    Scenario::from_parts(file, crate::test_support::telemetry())
}

fn mitigation(text: &str) -> Option<Resolution> {
    Some(Resolution::Mitigation {
        mitigation: text.to_owned(),
        confidence: Confidence::new(0.8).unwrap(),
        root_cause: None,
        actions: Vec::new(),
    })
}

fn structured(actions: &[(&str, &str)], root_cause: Option<(&str, &str)>) -> Option<Resolution> {
    Some(Resolution::Mitigation {
        mitigation: "see the actions".to_owned(),
        confidence: Confidence::new(0.8).unwrap(),
        root_cause: root_cause.map(|(service, category)| RootCauseClaim::new(service, category)),
        actions: actions
            .iter()
            .map(|(kind, target)| ActionClaim::new(*kind, *target))
            .collect(),
    })
}

fn escalation(target: &str, reason: &str) -> Option<Resolution> {
    Some(Resolution::Escalation {
        reason: reason.to_owned(),
        target: target.to_owned(),
        team: None,
        root_cause: None,
    })
}

fn facts<'a>(
    resolution: Option<Resolution>,
    steps: u32,
    results: &'a [(&'a str, serde_json::Value)],
) -> RunFacts<'a> {
    RunFacts {
        resolution,
        steps_used: steps,
        successful_results: results.iter().map(|(tool, data)| (*tool, data)).collect(),
    }
}

fn all_evidence() -> Vec<(&'static str, serde_json::Value)> {
    vec![
        ("deploys", json!({"deploys": [{"version": "v2.0.0"}]})),
        ("logs", json!({"entries": [{"message": "cart exploded"}]})),
    ]
}

fn judge(scenario: &Scenario, resolution: Option<Resolution>) -> crate::Evaluation {
    evaluate(&scenario.grader(), &facts(resolution, 3, &all_evidence()))
}

#[test]
fn a_perfect_run_scores_exactly_one() {
    let scenario = structured_scenario();
    let evaluation = judge(
        &scenario,
        structured(
            &[("rollback", "checkout")],
            Some(("checkout", "deploy_regression")),
        ),
    );
    assert_eq!(evaluation.mitigation, MitigationVerdict::Correct);
    assert_eq!(evaluation.graded_from, Some(GradedFrom::Actions));
    assert_eq!(evaluation.localization, DiagnosisVerdict::Right);
    assert_eq!(evaluation.root_cause_category, DiagnosisVerdict::Right);
    assert_eq!(evaluation.total, 1.0);
    assert!(evaluation.passed);
    assert_eq!(evaluation.evidence.ids, vec!["the_deploy", "the_errors"]);
    assert!(evaluation.escalation.right_call);
}

#[test]
fn each_free_text_verdict_in_the_first_format() {
    // The tiny scenario keeps first-format matchers: they still grade, by
    // sentence and with the new negation rules. No root cause: 0.1 short.
    let cases = [
        (
            "Revert the checkout deploy",
            MitigationVerdict::Correct,
            0.9,
            true,
        ),
        (
            "Scale out checkout to 12 replicas",
            MitigationVerdict::Acceptable,
            0.6,
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
        (
            "Roll back checkout. Restarting the db would make things worse.",
            MitigationVerdict::Correct,
            0.9,
            true,
        ),
        ("Page the CEO", MitigationVerdict::Wrong, 0.3, false),
    ];
    let scenario = tiny_scenario();
    for (text, verdict, total, passed) in cases {
        let evaluation = judge(&scenario, mitigation(text));
        assert_eq!(evaluation.mitigation, verdict, "{text}");
        assert_eq!(evaluation.graded_from, Some(GradedFrom::Text), "{text}");
        assert_eq!(evaluation.total, total, "{text}");
        assert_eq!(evaluation.passed, passed, "{text}");
        assert_eq!(evaluation.localization, DiagnosisVerdict::Missing);
    }
}

#[test]
fn structured_verdicts_and_what_decided_them() {
    let scenario = structured_scenario();
    let harmful = judge(
        &scenario,
        structured(
            &[("rollback", "checkout"), ("restart", "checkout-db-1")],
            None,
        ),
    );
    assert_eq!(
        (harmful.mitigation, harmful.total),
        (MitigationVerdict::Harmful, 0.0)
    );
    assert_eq!(harmful.decided_by.as_ref().unwrap().action, Some(1));
    assert_eq!(harmful.actions.len(), 2);
    // Half the outcome for an unlisted action beside the correct one:
    // 0.6 × 0.5 + 0.2 + 0.1.
    let halved = judge(
        &scenario,
        structured(&[("rollback", "checkout"), ("rollback", "payments")], None),
    );
    assert_eq!(halved.mitigation, MitigationVerdict::Correct);
    assert_eq!(halved.components.outcome, 0.5);
    assert_eq!(halved.total, 0.6);
    assert!(
        !halved.passed,
        "a hedge does not pass: guessing two targets must not double the pass chance"
    );
    let with_stop_gap = judge(
        &scenario,
        structured(&[("rollback", "checkout"), ("scale_out", "checkout")], None),
    );
    assert!(with_stop_gap.passed, "every action listed");
    assert_eq!(with_stop_gap.components.outcome, 1.0);
    let thirds = judge(
        &scenario,
        structured(
            &[
                ("rollback", "checkout"),
                ("rollback", "payments"),
                ("restart", "payments"),
            ],
            None,
        ),
    );
    assert!(!thirds.passed, "a shotgun of actions does not pass");
    let unknown = judge(&scenario, structured(&[("rollback", "nowhere")], None));
    assert_eq!(unknown.mitigation, MitigationVerdict::Wrong);
    assert_eq!(
        unknown.actions[0].reason.as_deref(),
        Some("`nowhere` is not in the service catalogue")
    );
    // The text is not read when actions are given.
    let text_ignored = Some(Resolution::Mitigation {
        mitigation: "restart the database".to_owned(),
        confidence: Confidence::new(0.5).unwrap(),
        root_cause: None,
        actions: vec![ActionClaim::new("scale_out", "checkout")],
    });
    assert_eq!(
        judge(&scenario, text_ignored).mitigation,
        MitigationVerdict::Acceptable
    );
}

#[test]
fn diagnosis_counts_a_tenth_split_between_localization_and_category() {
    let scenario = structured_scenario();
    let only_service = judge(
        &scenario,
        structured(
            &[("rollback", "checkout")],
            Some(("checkout", "memory_leak")),
        ),
    );
    assert_eq!(only_service.localization, DiagnosisVerdict::Right);
    assert_eq!(only_service.root_cause_category, DiagnosisVerdict::Wrong);
    assert_eq!(only_service.components.diagnosis, 0.5);
    assert_eq!(only_service.total, 0.95);
    let none = judge(&scenario, structured(&[("rollback", "checkout")], None));
    assert_eq!(none.components.diagnosis, 0.0);
    assert_eq!(none.total, 0.9);
}

#[test]
fn no_resolution_is_none_and_fails() {
    let scenario = tiny_scenario();
    let evaluation = evaluate(&scenario.grader(), &facts(None, 8, &[]));
    assert_eq!(evaluation.mitigation, MitigationVerdict::None);
    assert_eq!(evaluation.graded_from, None);
    assert!(!evaluation.passed);
    assert_eq!(evaluation.components.evidence, 0.0);
    assert_eq!(evaluation.components.efficiency, 0.0);
    assert_eq!(evaluation.total, 0.0);
    assert!(!evaluation.escalation.right_call);
}

#[test]
fn escalating_when_a_mitigation_was_expected_is_the_wrong_call() {
    let evaluation = judge(&tiny_scenario(), escalation("the db team", "unsure"));
    assert_eq!(evaluation.mitigation, MitigationVerdict::None);
    assert!(evaluation.escalation.escalated);
    assert!(!evaluation.escalation.right_call);
    assert_eq!(evaluation.escalation.target_right, None);
    assert!(!evaluation.passed);
    assert_eq!(evaluation.total, 0.3);
}

#[test]
fn escalation_verdicts_judge_the_call_and_the_target_never_the_reason() {
    let scenario = escalation_scenario();
    let right = judge(
        &scenario,
        escalation("Acme Pay support", "card auths failing"),
    );
    assert!(right.escalation.right_call);
    assert_eq!(right.escalation.target_right, Some(true));
    assert!(right.passed);
    assert_eq!(right.total, 0.9);

    let in_reason = judge(
        &scenario,
        escalation("the payments team", "the payments provider is down"),
    );
    assert_eq!(
        in_reason.escalation.target_right,
        Some(false),
        "the reason never rescues a target"
    );
    assert!(!in_reason.passed);

    let wrong_target = judge(&scenario, escalation("the database team", "db"));
    assert_eq!(wrong_target.escalation.target_right, Some(false));
    assert!(!wrong_target.passed);
    assert_eq!(wrong_target.total, 0.6);
}

#[test]
fn a_stop_gap_in_an_escalation_scenario_earns_half_the_outcome() {
    let scenario = escalation_scenario();
    let stop_gap = judge(
        &scenario,
        mitigation("Scale out checkout while the provider recovers"),
    );
    assert_eq!(stop_gap.mitigation, MitigationVerdict::Acceptable);
    assert_eq!(stop_gap.components.outcome, 0.5);
    assert!(!stop_gap.escalation.right_call);
    assert!(!stop_gap.passed, "the right call was to escalate");
    assert_eq!(stop_gap.total, 0.6);
    let harmful = judge(&scenario, mitigation("Restart the db"));
    assert_eq!(harmful.total, 0.0);
}

#[test]
fn evidence_counts_only_the_named_tool() {
    let misplaced = [("logs", json!({"version": "v2.0.0"}))];
    let scenario = tiny_scenario();
    let evaluation = evaluate(
        &scenario.grader(),
        &facts(mitigation("Roll back checkout"), 3, &misplaced),
    );
    assert_eq!(evaluation.evidence.found, 0);
    assert_eq!(
        evaluation.evidence.missing,
        vec!["the_deploy", "the_errors"]
    );
    assert_eq!(evaluation.total, 0.7);
}

#[test]
fn repeated_results_are_read_once_and_evidence_in_a_later_one_still_counts() {
    let scenario = tiny_scenario();
    let mut results: Vec<(&str, serde_json::Value)> = vec![("deploys", json!({"deploys": []})); 50];
    results.push(("metrics", json!({"version": "v2.0.0"})));
    results.extend(vec![("logs", json!({"entries": []})); 50]);
    results.push(("deploys", json!({"deploys": [{"version": "v2.0.0"}]})));
    results.push(("deploys", json!({"deploys": []})));
    let evaluation = evaluate(
        &scenario.grader(),
        &facts(mitigation("Roll back checkout"), 3, &results),
    );
    assert_eq!(evaluation.evidence.ids, vec!["the_deploy"]);
    assert_eq!(evaluation.evidence.missing, vec!["the_errors"]);
}

#[test]
fn efficiency_falls_linearly_to_the_step_limit() {
    let scenario = tiny_scenario();
    let grader: Grader<'_> = scenario.grader();
    let at = |steps| {
        evaluate(
            &grader,
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
fn an_audit_log_alone_gives_the_same_evaluation() {
    for scenario in [tiny_scenario(), structured_scenario()] {
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
}

#[test]
fn a_random_mitigation_with_nan_confidence_is_refused_not_scored() {
    let scenario = tiny_scenario();
    let mut oracle = OracleAgent::from_decisions(vec![
        Decision::mitigation("Roll back checkout", f64::NAN, ""),
        Decision::mitigation("Roll back checkout", 0.5, ""),
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
    let scenario = tiny_scenario();
    let evaluation = evaluate(
        &scenario.grader(),
        &facts(mitigation("Roll back checkout"), 3, &results),
    );
    assert_eq!(evaluation.evidence.ids, vec!["the_deploy", "the_errors"]);
}
