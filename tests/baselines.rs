//! Where the baseline agents stand on the bundled library, and that no
//! scenario's answer is written into their code. These live here, across
//! the crate wall: `oncall-agents` cannot see a scenario, so only a test
//! that depends on both can hold them side by side.
//!
//! The scorecards are `baseline_tables`'s: the same runs as
//! `oncall-gym eval --trials 5`, which the READMEs' tables show.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use oncall_sim::{Difficulty, ExpectedOutcome, NormalizedText, Remedy, Scenario};

use crate::baseline_tables::baselines;
use crate::support::bundled_scenarios;

/// Every bundled scenario, loaded once for all tests here.
fn library() -> &'static [Scenario] {
    static LIBRARY: OnceLock<Vec<Scenario>> = OnceLock::new();
    LIBRARY.get_or_init(bundled_scenarios)
}

/// `text` as the matchers read it: lowercased, every run of characters
/// that are not letters or digits one space.
fn normalized(text: &str) -> String {
    NormalizedText::new(text).words().join(" ")
}

#[test]
fn the_heuristic_passes_between_a_fifth_and_four_fifths_and_random_stays_below_it() {
    let baselines = baselines();
    let (heuristic, random) = (&baselines.heuristic.overall, &baselines.random.overall);
    assert!(
        (0.2..=0.8).contains(&heuristic.pass_rate),
        "the heuristic's pass rate {:.3} is outside 0.2 to 0.8: the library is too easy or too hard for a generic routine",
        heuristic.pass_rate
    );
    assert!(
        random.pass_rate < heuristic.pass_rate,
        "random passes {:.3}, the heuristic {:.3}",
        random.pass_rate,
        heuristic.pass_rate
    );
    assert!(
        heuristic.mean_score > random.mean_score + 0.1,
        "heuristic {:.3} is not clearly above random {:.3}",
        heuristic.mean_score,
        random.mean_score
    );
}

#[test]
fn the_oracle_solves_every_variant_so_no_variant_contradicts_its_answer() {
    let oracle = &baselines().oracle_variants;
    for row in &oracle.scenarios {
        assert_eq!(row.mean_score, 1.0, "{}: {row:?}", row.id);
    }
    assert_eq!(oracle.overall.pass_rate, 1.0);
}

#[test]
fn the_heuristic_solves_most_easy_scenarios_and_fails_some_hard_ones() {
    let rows = &baselines().heuristic.scenarios;
    let difficulty = |id: &str| {
        library()
            .iter()
            .find(|scenario| scenario.id() == id)
            .map(Scenario::difficulty)
            .unwrap()
    };
    let easy: Vec<_> = rows
        .iter()
        .filter(|row| difficulty(&row.id) == Difficulty::Easy)
        .collect();
    let easy_passed = easy.iter().filter(|row| row.pass_rate == 1.0).count();
    // "Most" is a strict majority: exactly half is not most.
    assert!(
        easy_passed * 2 > easy.len(),
        "the heuristic passes only {easy_passed} of {} easy scenarios",
        easy.len()
    );
    let hard_failed = rows
        .iter()
        .filter(|row| difficulty(&row.id) == Difficulty::Hard && row.pass_rate < 1.0)
        .count();
    assert!(hard_failed >= 1, "the heuristic solves every hard scenario");
}

/// The baseline agents' source, tests included. The oracle is left out: it
/// reads the ground truth by design.
const AGENT_SOURCES: &[(&str, &str)] = &[
    (
        "crates/oncall-agents/src/heuristic/mod.rs",
        include_str!("../crates/oncall-agents/src/heuristic/mod.rs"),
    ),
    (
        "crates/oncall-agents/src/heuristic/structure.rs",
        include_str!("../crates/oncall-agents/src/heuristic/structure.rs"),
    ),
    (
        "crates/oncall-agents/src/random.rs",
        include_str!("../crates/oncall-agents/src/random.rs"),
    ),
    (
        "crates/oncall-agents/src/lib.rs",
        include_str!("../crates/oncall-agents/src/lib.rs"),
    ),
];

/// The phrases of the bundled scenarios' answers that an agent's code must
/// not hold, normalised: each scenario's id, root-cause statement and
/// culprit service, key-evidence ids, mitigation labels and action targets,
/// and escalation team, target label and alternatives. Only phrases of two
/// or more words count: single words ("restart", "resync", "provider",
/// "checkout") are the trade's generic vocabulary, while a catalogue name
/// with a separator ("checkout-db", "checkout.new_tax_engine") is two.
fn answer_phrases() -> BTreeSet<String> {
    let mut phrases = BTreeSet::new();
    for scenario in library() {
        let truth = scenario.ground_truth();
        let mitigations = &truth.mitigations;
        let labels = mitigations
            .correct
            .iter()
            .chain(&mitigations.acceptable)
            .chain(&mitigations.harmful)
            .filter_map(Remedy::label);
        let targets = mitigations
            .correct
            .iter()
            .chain(&mitigations.acceptable)
            .chain(&mitigations.harmful)
            .filter_map(|remedy| remedy.action().map(|pattern| pattern.target()));
        let mut texts: Vec<&str> = vec![
            scenario.id(),
            truth.root_cause.statement.as_str(),
            truth.root_cause.service.as_str(),
        ];
        texts.extend(truth.key_evidence.iter().map(|item| item.id.as_str()));
        texts.extend(labels);
        texts.extend(targets);
        if let ExpectedOutcome::Escalate {
            team,
            mentions,
            target,
        } = &truth.expected_outcome
        {
            texts.extend(mentions.iter().map(String::as_str));
            texts.extend(team.as_deref());
            if let Some(target) = target {
                texts.extend(target.label());
                texts.extend(target.all_of().iter().flatten().map(String::as_str));
            }
        }
        phrases.extend(
            texts
                .into_iter()
                .map(normalized)
                .filter(|phrase| phrase.split(' ').count() >= 2),
        );
    }
    // The published vocabulary is every agent's to use, even where a
    // scenario names an entity after it (the `feature-flags` service).
    let vocabulary = oncall_tools::CATALOGUE_SECTIONS
        .iter()
        .map(|(section, _)| *section)
        .chain(oncall_domain::FaultCategory::ALL.iter().map(|c| c.as_str()))
        .chain(
            oncall_domain::RemediationKind::ALL
                .iter()
                .map(|k| k.as_str()),
        )
        .chain(oncall_domain::EntityKind::ALL.iter().map(|k| k.as_str()))
        .map(normalized)
        .collect::<BTreeSet<_>>();
    phrases.retain(|phrase| !vocabulary.contains(phrase));
    phrases
}

/// The answer phrases that appear, on word boundaries and whatever the
/// case or punctuation, in `source`.
fn leaked_answers(source: &str, phrases: &BTreeSet<String>) -> Vec<String> {
    let source = format!(" {} ", normalized(source));
    phrases
        .iter()
        .filter(|phrase| source.contains(&format!(" {phrase} ")))
        .cloned()
        .collect()
}

/// A scenario's answers never appear in a baseline agent's code: no
/// scenario id, root-cause statement, key-evidence id, mitigation label,
/// or escalation target phrase of two or more words (case-insensitive;
/// see [`answer_phrases`]).
#[test]
fn no_scenario_answer_appears_in_a_baseline_agents_code() {
    let phrases = answer_phrases();
    assert!(
        phrases.len() > 3 * library().len(),
        "only {} answer phrases to look for: {phrases:?}",
        phrases.len()
    );
    for (path, source) in AGENT_SOURCES {
        let leaked = leaked_answers(source, &phrases);
        assert!(leaked.is_empty(), "{path} holds answers: {leaked:?}");
    }
    // The check finds what it is meant to, however it is written.
    let (_, heuristic) = AGENT_SOURCES[0];
    for planted in [
        "const SCENARIO: &str = \"notifications_dns_record_removed\";",
        "// page the author of NET-2211",
        "\"Roll back checkout to v2.13.2\"",
        "let target = \"auth-internal-tls\";",
    ] {
        let leaked = leaked_answers(&format!("{heuristic}\n{planted}\n"), &phrases);
        assert_eq!(leaked.len(), 1, "{planted}: {leaked:?}");
    }
}
