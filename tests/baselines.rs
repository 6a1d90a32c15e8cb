//! Where the baseline agents stand on the bundled library, and that no
//! scenario's answer is written into their code. These live here, across
//! the crate wall: `oncall-agents` cannot see a scenario, so only a test
//! that depends on both can hold them side by side.
//!
//! `cargo test --test integration baselines -- --nocapture` also prints
//! the baseline scorecards (heuristic and random, 5 trials each).

use std::collections::BTreeSet;
use std::sync::OnceLock;

use oncall_agents::{HeuristicAgent, RandomAgent};
use oncall_engine::Agent;
use oncall_sim::{
    Difficulty, ExpectedOutcome, NormalizedText, Remedy, RunSettings, Scenario, run_scenario,
};

use crate::support::bundled_scenarios;

/// Trials per agent in the scorecards.
const TRIALS: u64 = 5;

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

/// One agent's results on one scenario over several trials.
#[derive(Debug, Clone)]
struct ScorecardRow {
    id: String,
    difficulty: Difficulty,
    mean_score: f64,
    pass_rate: f64,
    mean_steps: f64,
}

fn scorecard(make_agent: &dyn Fn(u64) -> Box<dyn Agent>) -> Vec<ScorecardRow> {
    library()
        .iter()
        .map(|scenario| {
            let (mut score, mut passes, mut steps) = (0.0, 0.0, 0.0);
            for seed in 1..=TRIALS {
                let mut agent = make_agent(seed);
                let outcome = run_scenario(
                    scenario,
                    agent.as_mut(),
                    RunSettings {
                        seed,
                        max_steps: None,
                    },
                    None,
                )
                .unwrap();
                score += outcome.evaluation.total;
                passes += f64::from(u8::from(outcome.evaluation.passed));
                steps += f64::from(outcome.evaluation.steps.used);
            }
            let trials = TRIALS as f64;
            ScorecardRow {
                id: scenario.id().to_owned(),
                difficulty: scenario.difficulty(),
                mean_score: score / trials,
                pass_rate: passes / trials,
                mean_steps: steps / trials,
            }
        })
        .collect()
}

fn mean(rows: &[ScorecardRow], field: impl Fn(&ScorecardRow) -> f64) -> f64 {
    rows.iter().map(field).sum::<f64>() / rows.len().max(1) as f64
}

#[expect(
    clippy::print_stdout,
    reason = "the scorecards are for people running the tests with --nocapture"
)]
fn print_scorecard(agent: &str, rows: &[ScorecardRow]) {
    println!("\n{agent} ({TRIALS} trials per scenario)\n");
    println!("| scenario | difficulty | mean score | pass rate | mean steps |");
    println!("|---|---|---|---|---|");
    for row in rows {
        println!(
            "| {} | {} | {:.3} | {:.0}% | {:.1} |",
            row.id,
            row.difficulty.as_str(),
            row.mean_score,
            row.pass_rate * 100.0,
            row.mean_steps
        );
    }
    println!(
        "| **overall** | | **{:.3}** | **{:.0}%** | **{:.1}** |",
        mean(rows, |row| row.mean_score),
        mean(rows, |row| row.pass_rate) * 100.0,
        mean(rows, |row| row.mean_steps)
    );
}

fn heuristic_scorecard() -> &'static [ScorecardRow] {
    static ROWS: OnceLock<Vec<ScorecardRow>> = OnceLock::new();
    ROWS.get_or_init(|| scorecard(&|_| Box::new(HeuristicAgent::new())))
}

fn random_scorecard() -> &'static [ScorecardRow] {
    static ROWS: OnceLock<Vec<ScorecardRow>> = OnceLock::new();
    ROWS.get_or_init(|| scorecard(&|seed| Box::new(RandomAgent::new(seed))))
}

#[test]
fn baseline_scorecards_show_heuristic_above_random() {
    let heuristic = heuristic_scorecard();
    let random = random_scorecard();
    print_scorecard("heuristic", heuristic);
    print_scorecard("random", random);
    let heuristic_mean = mean(heuristic, |row| row.mean_score);
    let random_mean = mean(random, |row| row.mean_score);
    assert!(
        heuristic_mean > random_mean + 0.1,
        "heuristic {heuristic_mean:.3} is not clearly above random {random_mean:.3}"
    );
}

#[test]
fn the_heuristic_solves_most_easy_scenarios_and_fails_some_hard_ones() {
    let rows = heuristic_scorecard();
    let easy: Vec<&ScorecardRow> = rows
        .iter()
        .filter(|row| row.difficulty == Difficulty::Easy)
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
        .filter(|row| row.difficulty == Difficulty::Hard && row.pass_rate < 1.0)
        .count();
    assert!(hard_failed >= 1, "the heuristic solves every hard scenario");
    let all_passed = rows.iter().all(|row| row.pass_rate == 1.0);
    assert!(!all_passed, "the heuristic solves the whole library");
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
