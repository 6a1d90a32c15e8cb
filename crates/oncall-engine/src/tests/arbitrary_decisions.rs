//! No sequence of agent decisions panics the engine or loops.
use proptest::prelude::*;

use oncall_domain::{ActionClaim, RootCauseClaim};

use super::*;

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(serde_json::Value::from),
        "[ -~]{0,12}".prop_map(serde_json::Value::from),
        Just(json!("2026-11-25T11:00:00Z")),
    ];
    leaf.prop_recursive(2, 8, 4, |inner| {
        prop::collection::vec(inner, 0..4).prop_map(serde_json::Value::from)
    })
}

fn decision() -> impl Strategy<Value = Decision> {
    let names = prop_oneof![
        Just("logs".to_owned()),
        Just("metrics".to_owned()),
        Just("deploys".to_owned()),
        Just("runbook".to_owned()),
        "[a-z_]{0,8}",
    ];
    let keys = prop_oneof![
        Just("service".to_owned()),
        Just("last_minutes".to_owned()),
        Just("start".to_owned()),
        Just("limit".to_owned()),
        Just("pattern".to_owned()),
        "[a-z]{1,6}",
    ];
    prop_oneof![
        4 => (names, prop::collection::btree_map(keys, json_value(), 0..4)).prop_map(|(tool_name, params)| {
            Decision::CallTool {
                tool_name,
                params: params.into_iter().collect(),
                reasoning: String::new(),
            }
        }),
        1 => ("[ -~]{0,10}", any::<f64>(), root_cause(), prop::collection::vec(("[ -~]{0,8}", "[ -~]{0,8}"), 0..40))
            .prop_map(|(mitigation, confidence, root_cause, actions)| Decision::ProposeMitigation {
                mitigation,
                confidence,
                reasoning: String::new(),
                root_cause,
                actions: actions.into_iter().map(|(kind, target)| ActionClaim::new(kind, target)).collect(),
            }),
        1 => ("[ -~]{0,6}", "[ -~]{0,6}", prop::option::of("[ -~]{0,6}"), root_cause())
            .prop_map(|(reason, target, team, root_cause)| Decision::Escalate { reason, target, team, root_cause }),
    ]
}

fn root_cause() -> impl Strategy<Value = Option<RootCauseClaim>> {
    prop::option::of(
        ("[ -~]{0,8}", "[a-z_]{0,12}")
            .prop_map(|(service, category)| RootCauseClaim::new(service, category)),
    )
}

fn analysis() -> impl Strategy<Value = Analysis> {
    let update = prop_oneof![
        Just(None),
        (
            "[ -~]{0,8}",
            any::<f64>(),
            any::<bool>(),
            proptest::collection::vec(0_u128..64, 0..3),
        )
            .prop_map(|(statement, confidence, cite_observation, cited)| {
                // Small numbers, so that some name ids the sequential
                // generator has handed out and some do not.
                Some(HypothesisUpdate::Create {
                    statement,
                    confidence,
                    cite_observation,
                    cite_observations: cited
                        .into_iter()
                        .map(|n| oncall_domain::ObservationId::from_uuid(uuid::Uuid::from_u128(n)))
                        .collect(),
                })
            }),
        (
            proptest::option::of(any::<f64>()),
            proptest::option::of(prop_oneof![
                Just(HypothesisStatus::Investigating),
                Just(HypothesisStatus::Supported),
                Just(HypothesisStatus::Refuted),
                Just(HypothesisStatus::Actionable),
            ]),
            proptest::option::of("[ -~]{0,8}"),
        )
            .prop_map(|(confidence, status, proposed_mitigation)| {
                Some(HypothesisUpdate::Revise {
                    statement: None,
                    confidence,
                    cite_observation: true,
                    cite_observations: Vec::new(),
                    proposed_mitigation,
                    status,
                })
            }),
    ];
    ("[ -~]{0,10}", any::<bool>(), update).prop_map(|(summary, significant, hypothesis_update)| {
        Analysis {
            summary,
            significant,
            raw: None,
            hypothesis_update,
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever an agent decides, the engine neither panics nor loops:
    /// the run ends within its limit, and the log replays.
    #[test]
    fn any_decisions_end_in_a_recorded_run(
        decisions in prop::collection::vec(decision(), 0..12),
        analyses in prop::collection::vec(analysis(), 0..12),
    ) {
        let mut agent = ScriptedAgent::new(decisions, analyses);
        let (run, log) = run_with(&mut agent, 6);
        prop_assert!(run.status().is_terminal());
        prop_assert!(run.steps().len() <= 6);
        let replayed = oncall_audit::replay(log.events());
        prop_assert!(replayed.is_ok(), "{:?}", replayed.err());
        let reread = Log::from_jsonl(&log.to_jsonl());
        prop_assert!(reread.is_ok(), "{:?}", reread.err());
    }
}
