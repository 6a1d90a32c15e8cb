//! Answers graded exactly: `oncall-gym judge` as a user runs it, structured
//! decisions through the engine and back out of the audit log, and logs in
//! the first audit format, which still verify, replay and re-score.

use oncall_audit::{read_chain, replay};
use oncall_domain::{ActionClaim, Decision, RootCauseClaim};
use oncall_gym::agents::AgentKind;
use oncall_gym::tools::{decision_from_ending_call, ending_definitions, nested_schema_problems};
use oncall_sim::{
    DiagnosisVerdict, GradedFrom, MitigationVerdict, OracleAgent, RunSettings, run_scenario,
};

use crate::support::{assert_has, bundled_scenarios, oncall_gym, workspace_root};

/// The head hashes `run --audit` printed for the committed v1 logs when
/// they were written (by the command as it was before format 2).
const V1_LOGS: &[(&str, &str, &str)] = &[
    (
        "latency_spike_heuristic.jsonl",
        "latency_spike",
        "2012a8bab6fa04e8bb67cb09cf57cf7843b9db9e85b07c042b05905f438b23a5",
    ),
    (
        "payments_provider_outage_heuristic.jsonl",
        "payments_provider_outage",
        "dc0bf7841966df263c3a387a0fa13dbbe1f57c475027d64c28f637a94331a63c",
    ),
];

#[test]
fn judge_gives_the_verdict_and_what_decided_it() {
    let harmful = oncall_gym(&[
        "judge",
        "latency_spike",
        "--mitigation",
        "Roll back checkout. Then restart the checkout database primary.",
        "--json",
    ]);
    let harmful = harmful.expect_code(0).json();
    assert_eq!(harmful["verdict"], "harmful");
    assert_eq!(harmful["graded_from"], "text");
    assert_eq!(
        harmful["decided_by"]["clause"],
        "Then restart the checkout database primary."
    );
    let rejected = oncall_gym(&[
        "judge",
        "latency_spike",
        "--mitigation",
        "Roll back checkout. A database restart, as the runbook suggests, would make things worse.",
        "--json",
    ]);
    assert_eq!(rejected.expect_code(0).json()["verdict"], "correct");
    let structured = oncall_gym(&[
        "judge",
        "latency_spike",
        "--actions",
        r#"[{"kind": "rollback", "target": "checkout"}, {"kind": "restart", "target": "search"}]"#,
        "--root-cause-service",
        "checkout",
        "--root-cause-category",
        "deploy_regression",
        "--json",
    ]);
    let structured = structured.expect_code(0).json();
    assert_eq!(structured["verdict"], "correct");
    assert_eq!(structured["graded_from"], "actions");
    assert_eq!(structured["share"], 0.5);
    assert_eq!(structured["actions"][1]["verdict"], "wrong");
    assert_eq!(
        (
            structured["localization"].as_str(),
            structured["root_cause_category"].as_str()
        ),
        (Some("right"), Some("right"))
    );
    let table = oncall_gym(&[
        "judge",
        "latency_spike",
        "--actions",
        r#"[{"kind": "rollback", "target": "nowhere"}]"#,
    ]);
    assert_has(
        &table.expect_code(0).stdout,
        "`nowhere` is not in the service catalogue",
    );
}

#[test]
fn judge_escalations_never_rescue_a_target_with_the_reason() {
    let by_reason = oncall_gym(&[
        "judge",
        "payments_provider_outage",
        "--escalate",
        "the payments team",
        "--reason",
        "PayCo, our payments provider, is down",
        "--json",
    ]);
    assert_eq!(by_reason.expect_code(0).json()["verdict"], "wrong_target");
    let by_team = oncall_gym(&[
        "judge",
        "payments_provider_outage",
        "--escalate",
        "their support line",
        "--team",
        "payco",
        "--json",
    ]);
    let by_team = by_team.expect_code(0).json();
    assert_eq!(by_team["verdict"], "right_target");
    assert_eq!(by_team["graded_from"], "actions");
    let in_mitigation_scenario = oncall_gym(&[
        "judge",
        "latency_spike",
        "--escalate",
        "the database team",
        "--json",
    ]);
    let judged = in_mitigation_scenario.expect_code(0).json();
    assert_eq!(judged["verdict"], "wrong_target");
    assert_has(judged["reason"].as_str().unwrap(), "expects a mitigation");
}

#[test]
fn judge_refuses_bad_input_with_the_documented_exit_codes() {
    let unknown = oncall_gym(&["judge", "no_such_scenario", "--mitigation", "x"]);
    assert_has(
        &unknown.expect_code(1).stderr,
        "no scenario named `no_such_scenario`",
    );
    for arguments in [
        vec!["judge", "latency_spike"],
        vec!["judge", "latency_spike", "--actions", "[{"],
        vec![
            "judge",
            "latency_spike",
            "--actions",
            r#"[{"kind": "rollback", "target": "checkout", "why": "x"}]"#,
        ],
        vec![
            "judge",
            "latency_spike",
            "--actions",
            r#"{"kind": "rollback"}"#,
        ],
        vec!["judge", "latency_spike", "--actions", "[]"],
        vec!["judge", "latency_spike", "--mitigation", "  "],
        vec![
            "judge",
            "latency_spike",
            "--mitigation",
            "x",
            "--actions",
            "[]",
        ],
        vec!["judge", "latency_spike", "--mitigation", "x", "--team", "t"],
    ] {
        oncall_gym(&arguments).expect_code(2);
    }
    let malformed = oncall_gym(&["judge", "latency_spike", "--actions", "[{"]);
    assert_has(
        &malformed.stderr,
        "expected a JSON array of {\"kind\", \"target\", \"description\"?}",
    );
    // A value of the wrong type is an answer, judged wrong with a reason,
    // as the engine records it.
    let typed_wrong = oncall_gym(&[
        "judge",
        "latency_spike",
        "--actions",
        r#"[{"kind": 1, "target": "checkout"}]"#,
        "--json",
    ]);
    let judged: serde_json::Value =
        serde_json::from_str(&typed_wrong.expect_code(0).stdout).unwrap();
    assert_eq!(judged["verdict"], "wrong");
    assert_has(
        judged["actions"][0]["reason"].as_str().unwrap(),
        "unknown kind `1`",
    );
    // Text pasted from a bulleted list starts with a hyphen.
    let bullet = oncall_gym(&[
        "judge",
        "latency_spike",
        "--mitigation",
        "- roll back checkout",
    ]);
    assert_has(
        &bullet.expect_code(0).stdout,
        "correct, graded from the text",
    );
}

#[test]
fn a_structured_decision_from_a_tool_call_is_graded_and_re_scored_from_its_log() {
    for definition in ending_definitions() {
        assert!(nested_schema_problems(definition.parameters()).is_empty());
    }
    let scenario = bundled_scenarios()
        .into_iter()
        .find(|scenario| scenario.id() == "checkout_tax_flag_rollout")
        .unwrap();
    // As an LLM answering through the exported tool would.
    let decision = decision_from_ending_call(
        "propose_mitigation",
        &serde_json::json!({
            "mitigation": "Turn the new tax engine flag off",
            "confidence": 0.8,
            "reasoning": "errors began with the flag push",
            "root_cause": {"service": "feature-flags", "category": "feature_flag_change"},
            "actions": [{"kind": "disable_flag", "target": "checkout.new_tax_engine", "description": null}]
        }),
    )
    .unwrap();
    let (evaluation, bytes) = decide_once(&scenario, decision);
    let evaluation = &evaluation;
    assert_eq!(evaluation.mitigation, MitigationVerdict::Correct);
    assert_eq!(evaluation.graded_from, Some(GradedFrom::Actions));
    assert_eq!(evaluation.localization, DiagnosisVerdict::Right);
    assert_eq!(evaluation.root_cause_category, DiagnosisVerdict::Right);
    let text = String::from_utf8(bytes.clone()).unwrap();
    // Structured answers came with version 2, the version every event but a
    // model call is written with.
    assert_has(&text, "{\"v\":2,");
    assert_has(
        &text,
        r#""actions":[{"kind":"disable_flag","target":"checkout.new_tax_engine"}]"#,
    );
    let log = read_chain(&bytes, None).unwrap();
    assert_eq!(&scenario.evaluate_events(log.events()), evaluation);
    // Unknown names are recorded as given and judged wrong with a reason.
    let odd = Decision::mitigation("", 0.5, "")
        .with_root_cause(RootCauseClaim::new("checkout", "gremlins"))
        .with_actions(vec![ActionClaim::new("reboot_everything", "checkout")]);
    let mut agent = OracleAgent::from_decisions(vec![odd]);
    let outcome = run_scenario(&scenario, &mut agent, RunSettings::default(), None).unwrap();
    assert_eq!(outcome.evaluation.mitigation, MitigationVerdict::Wrong);
    assert_eq!(
        outcome.evaluation.root_cause_category,
        DiagnosisVerdict::Wrong
    );
    assert_has(
        outcome.evaluation.actions[0].reason.as_deref().unwrap(),
        "unknown kind `reboot_everything`",
    );
    // So are values of the wrong type, kept as their JSON text.
    let typed_wrong = decision_from_ending_call(
        "propose_mitigation",
        &serde_json::json!({
            "mitigation": "",
            "confidence": 0.5,
            "root_cause": {"service": 7, "category": ["feature_flag_change"]},
            "actions": [{"kind": "disable_flag", "target": {"name": "checkout.new_tax_engine"}}]
        }),
    )
    .unwrap();
    let (evaluation, bytes) = decide_once(&scenario, typed_wrong);
    let evaluation = &evaluation;
    assert_eq!(evaluation.mitigation, MitigationVerdict::Wrong);
    assert_eq!(evaluation.localization, DiagnosisVerdict::Wrong);
    assert_eq!(evaluation.root_cause_category, DiagnosisVerdict::Wrong);
    assert_has(
        evaluation.actions[0].reason.as_deref().unwrap(),
        r#"`{"name":"checkout.new_tax_engine"}` is not in the service catalogue"#,
    );
    let log = read_chain(&bytes, None).unwrap();
    assert_eq!(&scenario.evaluate_events(log.events()), evaluation);
}

/// Runs `scenario` with one decision, writing an audit log: the evaluation
/// and the log's bytes.
fn decide_once(
    scenario: &oncall_sim::Scenario,
    decision: Decision,
) -> (oncall_sim::Evaluation, Vec<u8>) {
    let mut agent = OracleAgent::from_decisions(vec![decision]);
    let mut writer = oncall_audit::JsonlWriter::new(Vec::new(), oncall_audit::FsyncPolicy::AtClose);
    let outcome = run_scenario(
        scenario,
        &mut agent,
        RunSettings::default(),
        Some(&mut writer),
    )
    .unwrap();
    let (_, bytes) = writer.finish_into_inner().unwrap();
    (outcome.evaluation, bytes)
}

#[test]
fn logs_in_the_first_format_still_verify_replay_and_re_score() {
    for (file, scenario, head) in V1_LOGS {
        let path = workspace_root().join("tests/data/audit-v1").join(file);
        let bytes = std::fs::read(&path).unwrap();
        assert!(bytes.starts_with(br#"{"v":1,"#), "{file} is not a v1 log");
        let log = read_chain(&bytes, Some(head)).unwrap_or_else(|error| panic!("{file}: {error}"));
        assert!(replay(log.events()).is_ok(), "{file}");
        let path = path.display().to_string();
        let replayed = oncall_gym(&[
            "replay",
            &path,
            "--scenario",
            scenario,
            "--expect-head",
            head,
            "--json",
        ]);
        let report = replayed.expect_code(0).json();
        assert_eq!(report["head_hash"], *head);
        // Re-scored by today's grader: free text, so no diagnosis.
        assert_eq!(report["evaluation"]["graded_from"], "text");
        assert_eq!(report["evaluation"]["localization"], "missing");
        assert!(report["evaluation"]["passed"].as_bool().unwrap(), "{file}");
    }
    // The same agent today writes a v2 log that answers in structure.
    let latency = bundled_scenarios()
        .into_iter()
        .find(|scenario| scenario.id() == "latency_spike")
        .unwrap();
    let (outcome, _) = crate::support::run_with_audit(&latency, AgentKind::Heuristic, 3);
    assert_eq!(outcome.evaluation.graded_from, Some(GradedFrom::Actions));
    assert_eq!(outcome.evaluation.localization, DiagnosisVerdict::Right);
}
