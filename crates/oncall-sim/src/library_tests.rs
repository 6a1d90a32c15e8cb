//! Tests of the bundled scenario library (`fixtures/incidents`): the mix
//! the library promises, that every scenario validates and reproduces from
//! its spec, that other seeds give valid variants, that the matchers judge
//! the way an LLM phrases things fairly, and where the baselines stand.
//!
//! `cargo test -p oncall-sim library_tests -- --nocapture` also prints the
//! baseline scorecards (heuristic and random, 5 trials each).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use oncall_engine::Agent;

use crate::agents::{HeuristicAgent, OracleAgent, RandomAgent};
use crate::generator::{generate, load_spec, rendered_files};
use crate::matcher::NormalizedText;
use crate::runner::{RunSettings, run_scenario};
use crate::scenario::{Scenario, scenario_directories};
use crate::scenario_file::{Difficulty, ExpectedOutcome};
use crate::{SCENARIO_FILE, SERVICES_FILE};

mod corpus;
mod phrasings;

/// Trials per agent in the scorecards.
const TRIALS: u64 = 5;

fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/incidents")
}

/// Every bundled scenario, loaded once for all tests.
fn library() -> &'static [Scenario] {
    static LIBRARY: OnceLock<Vec<Scenario>> = OnceLock::new();
    LIBRARY.get_or_init(|| {
        scenario_directories(&fixtures_root())
            .unwrap()
            .iter()
            .map(|directory| Scenario::load(directory).unwrap())
            .collect()
    })
}

pub(crate) fn scenario(id: &str) -> &'static Scenario {
    library()
        .iter()
        .find(|scenario| scenario.id() == id)
        .unwrap_or_else(|| panic!("no bundled scenario `{id}`"))
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
fn the_library_has_at_least_twelve_scenarios_in_twelve_categories() {
    let scenarios = library();
    assert!(
        scenarios.len() >= 12,
        "only {} scenarios are bundled",
        scenarios.len()
    );
    let categories: BTreeSet<&str> = scenarios
        .iter()
        .map(|scenario| scenario.category().as_str())
        .collect();
    assert!(
        categories.len() >= 12,
        "only {} root-cause categories: {categories:?}",
        categories.len()
    );
}

/// `fixtures/README.md` publishes the whole taxonomy, each name with the
/// meaning the code gives it.
#[test]
fn the_readme_lists_the_whole_taxonomy() {
    let readme = std::fs::read_to_string(fixtures_root().join("../README.md")).unwrap();
    for category in oncall_domain::FaultCategory::ALL {
        let row = format!("| `{category}` | {} |", category.description());
        assert!(readme.contains(&row), "fixtures/README.md lacks {row}");
    }
    for kind in oncall_domain::RemediationKind::ALL {
        let targets: Vec<&str> = kind.target_kinds().iter().map(|k| k.as_str()).collect();
        let targets = if *kind == oncall_domain::RemediationKind::Other {
            "anything".to_owned()
        } else {
            targets.join(", ")
        };
        let row = format!("| `{kind}` | {targets} | {} |", kind.description());
        assert!(readme.contains(&row), "fixtures/README.md lacks {row}");
    }
    for entity in oncall_domain::EntityKind::ALL {
        let row = format!("| `{entity}` | {} |", entity.description());
        assert!(readme.contains(&row), "fixtures/README.md lacks {row}");
    }
}

/// Every bundled scenario is in the structured format: a catalogue, at
/// least two harmful and one acceptable remedy with a structured pattern,
/// and a text side for every remedy.
#[test]
fn every_bundled_scenario_has_structured_remedies_and_their_text() {
    for scenario in library() {
        let id = scenario.id();
        let mitigations = &scenario.ground_truth().mitigations;
        let patterns = |remedies: &[crate::grader::Remedy]| {
            remedies
                .iter()
                .filter(|remedy| remedy.action().is_some())
                .count()
        };
        assert!(
            !scenario.data_store().catalogue().is_empty(),
            "{id} has no catalogue"
        );
        assert!(
            patterns(&mitigations.harmful) >= 2,
            "{id}: fewer than 2 harmful patterns"
        );
        assert!(
            patterns(&mitigations.acceptable) >= 1,
            "{id}: no acceptable pattern"
        );
        let every = mitigations
            .correct
            .iter()
            .chain(&mitigations.acceptable)
            .chain(&mitigations.harmful);
        for remedy in every {
            assert!(
                remedy.reads_verbs(),
                "{id}: `{}` has no text side",
                remedy.describe()
            );
        }
    }
}

/// The most aliases a bundled catalogue entity has. Aliases are telemetry,
/// the other names people use for a thing; the phrasings a scenario's
/// answers may use belong in its ground truth (a remedy's or the
/// escalation's `mentions`). A long alias list only on the entities an
/// answer names would tell an agent which ones matter.
const MAX_BUNDLED_ALIASES: usize = 2;

#[test]
fn catalogue_aliases_are_few_so_they_never_point_at_the_answer() {
    for scenario in library() {
        for entity in scenario.data_store().catalogue().entities() {
            assert!(
                entity.aliases.len() <= MAX_BUNDLED_ALIASES,
                "{}: `{}` has {} aliases ({:?}); move answer phrasings into the ground truth's mentions",
                scenario.id(),
                entity.name,
                entity.aliases.len(),
                entity.aliases
            );
        }
    }
}

#[test]
fn the_library_mixes_difficulties_culprits_escalations_and_harmful_fixes() {
    let scenarios = library();
    for difficulty in [Difficulty::Easy, Difficulty::Medium, Difficulty::Hard] {
        let count = scenarios
            .iter()
            .filter(|scenario| scenario.difficulty() == difficulty)
            .count();
        assert!(count >= 2, "only {count} {} scenarios", difficulty.as_str());
    }
    let culprit_elsewhere = scenarios
        .iter()
        .filter(|scenario| {
            scenario.ground_truth().root_cause.service != scenario.incident_spec().service
        })
        .count();
    assert!(
        culprit_elsewhere >= 4,
        "only {culprit_elsewhere} scenarios have a culprit other than the alerting service"
    );
    let escalations = scenarios
        .iter()
        .filter(|scenario| {
            matches!(
                scenario.ground_truth().expected_outcome,
                ExpectedOutcome::Escalate { .. }
            )
        })
        .count();
    assert!(escalations >= 2, "only {escalations} escalation scenarios");
    let with_harmful = scenarios
        .iter()
        .filter(|scenario| !scenario.ground_truth().mitigations.harmful.is_empty())
        .count();
    assert!(
        with_harmful >= 2,
        "only {with_harmful} scenarios list a harmful mitigation"
    );
}

#[test]
fn every_bundled_scenario_validates() {
    let problems: Vec<String> = library()
        .iter()
        .flat_map(Scenario::validate)
        .map(|problem| problem.to_string())
        .collect();
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn the_oracle_scores_exactly_one_on_every_bundled_scenario() {
    for scenario in library() {
        let mut oracle = OracleAgent::new(scenario);
        let outcome = run_scenario(scenario, &mut oracle, RunSettings::default(), None).unwrap();
        assert_eq!(outcome.evaluation.total, 1.0, "{}", scenario.id());
        assert!(outcome.evaluation.passed, "{}", scenario.id());
        assert_eq!(
            outcome.evaluation.steps.used,
            scenario.ground_truth().optimal_steps,
            "{}",
            scenario.id()
        );
    }
}

#[test]
fn every_committed_spec_reproduces_its_files_byte_for_byte() {
    let mut checked = 0;
    for directory in scenario_directories(&fixtures_root()).unwrap() {
        let spec_path = directory.join("spec.json");
        if !spec_path.is_file() {
            continue;
        }
        let spec = load_spec(&spec_path).unwrap();
        let generated = generate(&spec, spec.seed).unwrap();
        let expected = rendered_files(&generated).unwrap();
        assert!(
            expected.iter().any(|(name, _)| *name == SERVICES_FILE),
            "{}: no catalogue",
            directory.display()
        );
        assert!(expected.iter().any(|(name, _)| *name == SCENARIO_FILE));
        for (name, text) in expected {
            let committed = std::fs::read(directory.join(name)).unwrap();
            assert!(
                committed == text.as_bytes(),
                "{}/{name} differs from its spec rendered with seed {}; re-render it with `oncall-gym gen-scenario`",
                directory.display(),
                spec.seed
            );
        }
        checked += 1;
    }
    assert!(checked >= 12, "only {checked} scenarios have a spec");
}

#[test]
fn other_seeds_render_valid_variants_with_the_same_root_cause() {
    for directory in scenario_directories(&fixtures_root()).unwrap() {
        let spec_path = directory.join("spec.json");
        if !spec_path.is_file() {
            continue;
        }
        let spec = load_spec(&spec_path).unwrap();
        let mut previous_logs = None;
        for seed in [spec.seed.wrapping_add(1), spec.seed.wrapping_add(1_000)] {
            let generated = generate(&spec, seed).unwrap();
            assert_eq!(
                generated.file.ground_truth.root_cause,
                spec.scenario.ground_truth.root_cause
            );
            let logs = generated.telemetry.logs.clone();
            let variant = Scenario::from_parts(generated.file, generated.telemetry);
            let problems = variant.validate();
            assert!(
                problems.is_empty(),
                "{} with seed {seed}: {problems:#?}",
                spec.scenario.id
            );
            assert_ne!(
                previous_logs.as_ref(),
                Some(&logs),
                "seeds render the same logs"
            );
            previous_logs = Some(logs);
        }
    }
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
        "agents/heuristic/mod.rs",
        include_str!("agents/heuristic/mod.rs"),
    ),
    (
        "agents/heuristic/structure.rs",
        include_str!("agents/heuristic/structure.rs"),
    ),
    ("agents/random.rs", include_str!("agents/random.rs")),
];

/// `text` as the matchers read it: lowercased, every run of characters
/// that are not letters or digits one space.
fn normalized(text: &str) -> String {
    NormalizedText::new(text).words().join(" ")
}

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
            .filter_map(crate::grader::Remedy::label);
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
