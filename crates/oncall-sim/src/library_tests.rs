//! Tests of the bundled scenario library (`fixtures/incidents`): the mix
//! the library promises, that every scenario validates and reproduces from
//! its spec, that other seeds give valid variants, that the matchers judge
//! the way an LLM phrases things fairly. Where the baselines stand is
//! tested across the crate wall, in the workspace's `tests/baselines.rs`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::generator::{generate, load_spec, rendered_files};
use crate::oracle::OracleAgent;
use crate::runner::{RunSettings, run_scenario};
use crate::scenario::{Scenario, scenario_directories};
use crate::scenario_file::{Difficulty, ExpectedOutcome};
use crate::{SCENARIO_FILE, SERVICES_FILE};

mod corpus;
mod phrasings;
mod phrasings_edge_and_access;
mod phrasings_queues_and_databases;

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

#[test]
fn the_library_has_at_least_36_scenarios_in_24_categories() {
    let scenarios = library();
    assert!(
        scenarios.len() >= 36,
        "only {} scenarios are bundled",
        scenarios.len()
    );
    let categories: BTreeSet<&str> = scenarios
        .iter()
        .map(|scenario| scenario.category().as_str())
        .collect();
    assert!(
        categories.len() >= 24,
        "only {} root-cause categories: {categories:?}",
        categories.len()
    );
}

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
    for (difficulty, least) in [
        (Difficulty::Easy, 2),
        (Difficulty::Medium, 2),
        (Difficulty::Hard, 10),
    ] {
        let count = scenarios
            .iter()
            .filter(|scenario| scenario.difficulty() == difficulty)
            .count();
        assert!(
            count >= least,
            "only {count} {} scenarios",
            difficulty.as_str()
        );
    }
    let culprit_elsewhere = scenarios
        .iter()
        .filter(|scenario| {
            scenario.ground_truth().root_cause.service != scenario.incident_spec().service
        })
        .count();
    assert!(
        culprit_elsewhere >= 10,
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
    assert!(escalations >= 4, "only {escalations} escalation scenarios");
    // Every scenario gives an SRE's whole range of answers, and the
    // catalogue to name their targets in.
    for scenario in scenarios {
        let mitigations = &scenario.ground_truth().mitigations;
        assert!(
            mitigations.harmful.len() >= 2,
            "{}: fewer than 2 harmful patterns",
            scenario.id()
        );
        assert!(
            !mitigations.acceptable.is_empty(),
            "{}: no acceptable pattern",
            scenario.id()
        );
        assert!(
            !scenario.data_store().catalogue().is_empty(),
            "{}: no service catalogue",
            scenario.id()
        );
    }
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

/// Seeds each spec is rendered with by the variants test: those of
/// `eval --variants 20` under base seed 0.
const VARIANTS_PER_SPEC: u32 = 20;

/// The valid variants the library must yield: 36 specs times
/// [`VARIANTS_PER_SPEC`].
const MIN_VALID_VARIANTS: usize = 720;

#[test]
fn every_spec_renders_twenty_valid_variants_with_its_ground_truth() {
    let specs: Vec<PathBuf> = scenario_directories(&fixtures_root())
        .unwrap()
        .into_iter()
        .map(|directory| directory.join("spec.json"))
        .filter(|path| path.is_file())
        .collect();
    // Two threads: rendering and validating 720 variants is the slowest
    // test of the crate.
    let halves: Vec<&[PathBuf]> = specs.chunks(specs.len().div_ceil(2).max(1)).collect();
    let valid: usize = std::thread::scope(|scope| {
        let handles: Vec<_> = halves
            .into_iter()
            .map(|half| {
                scope.spawn(move || half.iter().map(|path| valid_variants(path)).sum::<usize>())
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().unwrap())
            .sum()
    });
    assert!(
        valid >= MIN_VALID_VARIANTS,
        "the library yields {valid} valid variants, fewer than {MIN_VALID_VARIANTS}"
    );
}

/// Renders the spec at `path` with the [`VARIANTS_PER_SPEC`] variant seeds
/// of base seed 0, and the last variant `eval --variants` may render under
/// another base seed, and checks each: valid, the spec's ground truth, and
/// logs of its own. Returns how many passed those checks (a failure
/// panics, naming the variant).
fn valid_variants(path: &Path) -> usize {
    let spec = load_spec(path).unwrap();
    let id = spec.scenario.id.clone();
    let seeds = (0..VARIANTS_PER_SPEC)
        .map(|index| (index, crate::seeds::variant_seed(0, &id, index)))
        .chain(std::iter::once((
            crate::generator::MAX_VARIANTS - 1,
            crate::seeds::variant_seed(0x5eed_cafe, &id, crate::generator::MAX_VARIANTS - 1),
        )));
    let mut seen_logs = Vec::new();
    let mut valid = 0;
    for (index, seed) in seeds {
        let generated = generate(&spec, seed).unwrap();
        assert_eq!(
            generated.file.ground_truth, spec.scenario.ground_truth,
            "{id} variant {index}"
        );
        let logs = generated.telemetry.logs.clone();
        let variant = Scenario::from_parts(generated.file, generated.telemetry);
        let problems = variant.validate();
        assert!(
            problems.is_empty(),
            "{id} variant {index} (seed {seed}): {problems:#?}"
        );
        assert!(
            !seen_logs.contains(&logs),
            "{id}: variant {index} renders the logs of an earlier one"
        );
        seen_logs.push(logs);
        if index < VARIANTS_PER_SPEC {
            valid += 1;
        }
    }
    valid
}
