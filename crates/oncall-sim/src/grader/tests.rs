//! Tests of the grader on a small scenario of its own: the free-text rules
//! one by one (each class of mistake the first grader made), structured
//! actions, diagnosis and escalation.

use oncall_domain::{ActionClaim, RootCauseClaim};
use oncall_tools::ServiceCatalogue;
use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::evaluation::MitigationVerdict;
use crate::scenario_file::GroundTruth;

fn catalogue() -> ServiceCatalogue {
    serde_json::from_value(json!({
        "services": [
            {"name": "checkout", "team": "shop-team", "depends_on": ["checkout-db"], "datastores": ["checkout-db"]},
            {"name": "checkout-db", "team": "db-team", "hosts": ["checkout-db-1"], "aliases": ["checkout database"]},
            {"name": "search", "team": "search-team"},
            {"name": "storefront", "team": "shop-team"},
            {"name": "auth", "team": "shop-team", "hosts": ["auth-1", "auth-3"]}
        ],
        "providers": [{"name": "payco", "aliases": ["payments provider"]}],
        "teams": [{"name": "shop-team"}, {"name": "db-team"}, {"name": "search-team"},
                  {"name": "network-team", "aliases": ["netops", "network team"]}],
        "feature_flags": [{"name": "checkout.new_tax_engine", "service": "checkout", "aliases": ["new tax engine"]}],
        "jobs": [{"name": "nightly-report", "service": "search"}]
    }))
    .unwrap()
}

fn truth(expected: serde_json::Value) -> GroundTruth {
    serde_json::from_value(json!({
        "root_cause": {"statement": "checkout v2 is slow", "service": "checkout", "category": "deploy_regression", "also_categories": ["config_change"]},
        "mitigations": {
            "correct": [
                {"label": "roll back checkout", "action": {"kind": "rollback", "target": "checkout"}, "mentions": ["v2.14.0"], "none_of": ["storefront"]},
                {"label": "resync auth-3", "action": {"kind": "resync_clock", "target": "auth-3"}}
            ],
            "acceptable": [
                {"label": "scale out checkout", "action": {"kind": "scale_out", "target": "checkout"}},
                {"label": "turn the flag off", "action": {"kind": "disable_flag", "target": "checkout.new_tax_engine"}}
            ],
            "harmful": [
                {"label": "restart the database", "action": {"kind": "restart", "target": "checkout-db"}, "mentions": ["database", "db"]},
                {"label": "fail the database over", "action": {"kind": "failover", "target": "checkout-db"}, "mentions": ["database", "db"]},
                {"label": "delete WAL", "action": {"kind": "other", "target": "checkout-db"}, "verbs": ["delete", "rm"], "mentions": ["wal"]}
            ]
        },
        "expected_outcome": expected,
        "optimal_steps": 1,
        "max_steps": 5,
        "reference_solution": []
    }))
    .unwrap()
}

fn verdict(text: &str) -> MitigationVerdict {
    let truth = truth(json!({"kind": "mitigate"}));
    let catalogue = catalogue();
    Grader::new(&truth, &catalogue).judge_text(text).verdict
}

fn check(cases: &[(&str, MitigationVerdict)]) {
    let wrong: Vec<String> = cases
        .iter()
        .filter(|(text, expected)| verdict(text) != *expected)
        .map(|(text, expected)| format!("{text:?}: expected {expected}, got {}", verdict(text)))
        .collect();
    assert!(wrong.is_empty(), "{wrong:#?}");
}

use MitigationVerdict::{Acceptable, Correct, Harmful, Wrong};

#[test]
fn words_are_matched_within_a_sentence_and_a_verb_governs_its_object() {
    check(&[
        (
            "Roll back checkout. A database restart, as the runbook suggests, would make things worse.",
            Correct,
        ),
        ("Roll back checkout. Then restart the database.", Harmful),
        ("Restart checkout and roll back the database.", Wrong),
        ("Roll back the search deploy, then check checkout.", Wrong),
        ("Roll back checkout because search is fine.", Correct),
        ("Roll back the latest deploy.", Wrong),
    ]);
}

#[test]
fn negation_reaches_coordinated_verbs_and_has_a_wide_vocabulary() {
    check(&[
        (
            "Roll back checkout; do not restart or fail over the database.",
            Correct,
        ),
        ("Roll back checkout, you shouldn't restart the db.", Correct),
        (
            "Restarting the database won't help; roll back checkout.",
            Correct,
        ),
        (
            "Roll back checkout rather than restarting the database.",
            Correct,
        ),
        (
            "Instead of failing over the database, roll back checkout.",
            Correct,
        ),
        (
            "Avoid a restart of the database and roll back checkout.",
            Correct,
        ),
        ("Never rm the WAL by hand. Roll back checkout.", Correct),
        ("Don't panic, restart the database.", Harmful),
        ("Without further delay restart the database.", Harmful),
        (
            "Do not restart the database and roll back checkout.",
            Correct,
        ),
    ]);
}

#[test]
fn an_excluded_name_vetoes_only_when_said_in_the_clause_of_the_match() {
    check(&[
        ("Don't roll back storefront; roll back checkout.", Correct),
        ("Roll back checkout, not storefront.", Correct),
        ("Roll back checkout (storefront is unrelated).", Correct),
        ("Roll back checkout and storefront.", Wrong),
    ]);
}

#[test]
fn inflections_split_verbs_and_synonyms_are_read() {
    check(&[
        ("Reverted checkout to the previous build.", Correct),
        ("Rolled checkout back.", Correct),
        ("Rolling back checkout now", Correct),
        ("rb checkout pls", Correct),
        ("undo v2.14.0", Correct),
        ("Checkout should be rolled back.", Correct),
        ("Scale checkout out by two pods.", Acceptable),
        ("Turn the new tax engine off.", Acceptable),
        ("checkout.new_tax_engine should be switched off", Acceptable),
        ("kill checkout.new_tax_engine", Acceptable),
        ("Bounced the checkout database.", Harmful),
        ("Fail the checkout database over.", Harmful),
        ("Resync the clock on auth-3.", Correct),
        ("auth-3's clock should be brought back in sync", Correct),
        ("Drain auth-3 and resync its clock.", Correct),
    ]);
}

#[test]
fn generic_nouns_do_not_name_a_target() {
    check(&[
        ("Disable the flag.", Wrong),
        ("Roll back the service.", Wrong),
        ("Resync the clock.", Wrong),
        ("Restart the pods.", Wrong),
    ]);
}

#[test]
fn harmful_wins_over_correct_and_names_the_sentence() {
    let truth = truth(json!({"kind": "mitigate"}));
    let catalogue = catalogue();
    let judged = Grader::new(&truth, &catalogue)
        .judge_text("Roll back checkout. Also rm the WAL on checkout-db-1 to free space.");
    assert_eq!(judged.verdict, Harmful);
    let decided = judged.decided_by.unwrap();
    assert_eq!(decided.list, RemedyList::Harmful);
    assert_eq!(decided.remedy, "delete WAL");
    assert_eq!(
        decided.clause.as_deref(),
        Some("Also rm the WAL on checkout-db-1 to free space.")
    );
}

fn actions(claims: &[(&str, &str)]) -> ActionsJudgement {
    let truth = truth(json!({"kind": "mitigate"}));
    let catalogue = catalogue();
    let claims: Vec<ActionClaim> = claims
        .iter()
        .map(|(kind, target)| ActionClaim::new(*kind, *target))
        .collect();
    Grader::new(&truth, &catalogue).judge_actions(&claims)
}

#[test]
fn structured_actions_are_graded_exactly() {
    let correct = actions(&[("rollback", "Checkout")]);
    assert_eq!((correct.verdict, correct.share), (Correct, 1.0));
    assert_eq!(correct.decided_by.unwrap().action, Some(0));
    let with_stop_gap = actions(&[("scale_out", "checkout"), ("rollback", "checkout")]);
    assert_eq!((with_stop_gap.verdict, with_stop_gap.share), (Correct, 1.0));
    let host = actions(&[("restart", "checkout-db-1")]);
    assert_eq!(
        host.verdict, Harmful,
        "a pattern on a service covers its hosts"
    );
    let harmful = actions(&[("rollback", "checkout"), ("failover", "checkout-db")]);
    assert_eq!((harmful.verdict, harmful.share), (Harmful, 0.0));
}

#[test]
fn listing_more_actions_cannot_gain() {
    let shotgun = actions(&[
        ("rollback", "checkout"),
        ("rollback", "search"),
        ("rollback", "storefront"),
    ]);
    assert_eq!(shotgun.verdict, Correct);
    assert!(
        (shotgun.share - 1.0 / 3.0).abs() < 1e-9,
        "{}",
        shotgun.share
    );
    let halved = actions(&[("rollback", "checkout"), ("restart", "search")]);
    assert_eq!(halved.share, 0.5);
    let four = actions(&[("rollback", "checkout"); 4]);
    assert_eq!(four.verdict, Wrong);
    assert!(four.reason.unwrap().contains("more than the 3 graded"));
    let padded_harm = actions(&[
        ("rollback", "checkout"),
        ("rollback", "checkout"),
        ("rollback", "checkout"),
        ("failover", "checkout-db"),
    ]);
    assert_eq!(
        (padded_harm.verdict, padded_harm.share),
        (Harmful, 0.0),
        "padding past the limit does not hide a harmful action"
    );
}

#[test]
fn bad_actions_are_wrong_with_a_reason_never_a_panic() {
    let reasons: Vec<String> = [
        ("reboot_the_internet", "checkout"),
        ("rollback", "nowhere"),
        ("rollback", "shop-team"),
        ("disable_flag", "checkout"),
        ("rollback", "search"),
        ("other", "checkout"),
        ("other", "nowhere"),
    ]
    .iter()
    .map(|claim| {
        let judged = actions(&[*claim]);
        assert_eq!(judged.verdict, Wrong, "{claim:?}");
        judged.actions[0].reason.clone().unwrap()
    })
    .collect();
    assert_eq!(
        reasons,
        [
            "unknown kind `reboot_the_internet`: the kinds are the taxonomy's remediation kinds",
            "`nowhere` is not in the service catalogue",
            "`rollback` acts on a service, but `shop-team` is a team",
            "`disable_flag` acts on a feature_flag, but `checkout` is a service",
            "no remedy lists `rollback` on `search`",
            "an action of kind `other` needs a `description`",
            "`nowhere` is not in the service catalogue",
        ]
    );
    let truth = truth(json!({"kind": "mitigate"}));
    let catalogue = catalogue();
    let other =
        Grader::new(&truth, &catalogue).judge_actions(&[
            ActionClaim::new("other", "checkout-db").with_description("rm the old WAL files")
        ]);
    assert_eq!(other.verdict, Harmful, "`other` is graded as text");
    let judge_other = |target: &str, description: &str| {
        Grader::new(&truth, &catalogue)
            .judge_actions(&[ActionClaim::new("other", target).with_description(description)])
    };
    let unknown = judge_other("no-such-thing", "roll back checkout");
    assert_eq!(
        unknown.verdict, Wrong,
        "the target must be in the catalogue"
    );
    let elsewhere = judge_other("search", "roll back checkout");
    assert_eq!(elsewhere.verdict, Wrong);
    assert_eq!(
        elsewhere.actions[0].reason.as_deref(),
        Some(
            "its description matches the remedy \"roll back checkout\", which acts on `checkout`, not on `search`"
        )
    );
    assert_eq!(judge_other("checkout", "roll it back").verdict, Correct);
    assert_eq!(judge_other("checkout", "roll back").verdict, Correct);
    assert_eq!(judge_other("checkout-db", "Restart").verdict, Harmful);
    assert_eq!(
        judge_other("search", "rm the WAL on checkout-db").verdict,
        Harmful,
        "a harmful description is harmful wherever it is aimed"
    );
}

#[test]
fn diagnosis_is_right_wrong_or_missing() {
    let truth = truth(json!({"kind": "mitigate"}));
    let catalogue = catalogue();
    let grader = Grader::new(&truth, &catalogue);
    let judge = |service: &str, category: &str| {
        let judged = grader.judge_root_cause(Some(&RootCauseClaim::new(service, category)));
        (judged.localization, judged.category)
    };
    use DiagnosisVerdict::{Missing, Right, Wrong as W};
    assert_eq!(judge("checkout", "deploy_regression"), (Right, Right));
    assert_eq!(judge(" CHECKOUT ", "config_change"), (Right, Right));
    assert_eq!(judge("search", "gremlins"), (W, W));
    assert_eq!(judge("", ""), (Missing, Missing));
    assert_eq!(grader.judge_root_cause(None), RootCauseJudgement::missing());
}

#[test]
fn escalations_are_graded_by_team_or_by_the_target_alone() {
    let truth =
        truth(json!({"kind": "escalate", "team": "network-team", "mentions": ["NET-2211"]}));
    let catalogue = catalogue();
    let grader = Grader::new(&truth, &catalogue);
    let right = |target: &str, team: Option<&str>| {
        grader.judge_escalation(target, team).unwrap().target_right
    };
    assert!(right("", Some("Network-Team")));
    assert!(
        !right("the network team", Some("shop-team")),
        "the team decides"
    );
    assert!(right("netops on-call", None));
    assert!(right("owner of NET-2211", None));
    assert!(!right("the payments team", None));
    assert!(!right("not the network team, the shop team", None));
    let unknown = grader.judge_escalation("", Some("ghosts")).unwrap();
    assert_eq!(
        unknown.reason.as_deref(),
        Some("`ghosts` is not in the service catalogue")
    );
    let not_a_team = grader.judge_escalation("", Some("checkout")).unwrap();
    assert!(
        not_a_team
            .reason
            .unwrap()
            .contains("is a service, not a team or a provider")
    );
    let mitigate = super::tests::truth(json!({"kind": "mitigate"}));
    assert!(
        Grader::new(&mitigate, &catalogue)
            .judge_escalation("x", None)
            .is_none()
    );
}

/// Words the grammar reacts to: verbs of the shared table, negations,
/// pronouns, subordinators, names of the test catalogue, and the
/// punctuation that ends clauses and sentences.
const GRAMMAR_WORDS: &[&str] = &[
    "roll",
    "back",
    "rolled",
    "revert",
    "restart",
    "restarts",
    "fail",
    "over",
    "scale",
    "out",
    "turn",
    "off",
    "drain",
    "resync",
    "rm",
    "undo",
    "rb",
    "do",
    "not",
    "don't",
    "never",
    "shouldn't",
    "rather",
    "than",
    "instead",
    "of",
    "without",
    "avoid",
    "or",
    "and",
    "but",
    "because",
    "until",
    "if",
    "it",
    "them",
    "the",
    "should",
    "be",
    "is",
    "checkout",
    "checkout-db",
    "checkout-db-1",
    "search",
    "storefront",
    "auth-3",
    "database",
    "db",
    "WAL",
    "v2.14.0",
    "new tax engine",
    "checkout.new_tax_engine",
    "flag",
    ",",
    ".",
    ";",
    ":",
    "(",
    ")",
    " - ",
    "\n",
    "'",
    "\"",
];

proptest! {
    #[test]
    fn judging_any_text_never_panics(text in "\\PC{0,160}") {
        let _ = verdict(&text);
    }

    /// Random sentences of the words the grammar reacts to reach the
    /// governing, negation and clause code that random characters rarely
    /// do: they never panic, and the same text always gets the same verdict.
    #[test]
    fn judging_grammar_words_never_panics_and_is_deterministic(
        picks in prop::collection::vec(0..GRAMMAR_WORDS.len(), 0..40)
    ) {
        let text = picks
            .iter()
            .map(|index| GRAMMAR_WORDS[*index])
            .collect::<Vec<_>>()
            .join(" ");
        prop_assert_eq!(verdict(&text), verdict(&text));
    }

    #[test]
    fn judging_any_actions_never_panics(claims in prop::collection::vec(("\\PC{0,12}", "\\PC{0,12}"), 0..6)) {
        let claims: Vec<(&str, &str)> = claims.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        let judged = actions(&claims);
        prop_assert!((0.0..=1.0).contains(&judged.share));
    }
}
