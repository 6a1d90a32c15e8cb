//! The tables of the bundled library in `README.md` and
//! `fixtures/README.md`, checked against a fresh run: the scenarios table
//! (from each scenario's ground truth) and the baselines (the heuristic
//! and random agents, five trials each at seed 0, then heuristic, random
//! and oracle over five seeded variants of each scenario), with the same
//! seeds, runner and scorecard as `oncall-gym eval`.
//!
//! `cargo xtask baselines` rewrites them: it runs this test with
//! [`UPDATE_ENV`] set, which writes the fresh tables between their markers
//! instead of failing. Nothing outside the markers is touched.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::OnceLock;

use oncall_gym::agents::AgentKind;
use oncall_gym::eval::{EvalSettings, TrialResult, run_trials, run_variant_trials};
use oncall_gym::models::AgentFactory;
use oncall_gym::scorecard::{Scorecard, TrialScore, scorecard};
use oncall_gym::variants::VariantSource;
use oncall_sim::{Difficulty, ExpectedOutcome, Remedy, Scenario};

use crate::support::{bundled_scenarios, workspace_root};

/// Set to `1` to write the tables instead of checking them.
const UPDATE_ENV: &str = "ONCALL_GYM_UPDATE_BASELINES";

/// Trials per scenario in the baseline tables.
const TRIALS: u32 = 5;

/// Variants per scenario in the variants table.
const VARIANTS: u32 = 5;

/// Threads the evaluations run on (the results do not depend on it).
const JOBS: usize = 2;

/// The scorecards the tables are made of.
pub(crate) struct Baselines {
    pub(crate) heuristic: Scorecard,
    pub(crate) random: Scorecard,
    heuristic_variants: Scorecard,
    random_variants: Scorecard,
    pub(crate) oracle_variants: Scorecard,
}

/// The library, loaded once.
fn library() -> &'static [Scenario] {
    static LIBRARY: OnceLock<Vec<Scenario>> = OnceLock::new();
    LIBRARY.get_or_init(bundled_scenarios)
}

/// The scorecards, computed once for every test that reads them.
pub(crate) fn baselines() -> &'static Baselines {
    static BASELINES: OnceLock<Baselines> = OnceLock::new();
    BASELINES.get_or_init(|| {
        let sources: Vec<VariantSource> = library()
            .iter()
            .map(|scenario| VariantSource::of(scenario).unwrap())
            .collect();
        let committed = |agent| {
            card(
                run_trials(library(), &settings(agent, TRIALS), JOBS, &|_| {}),
                TRIALS,
            )
        };
        let variants = |agent| {
            card(
                run_variant_trials(&sources, VARIANTS, &settings(agent, 1), JOBS, &|_| {}),
                VARIANTS,
            )
        };
        Baselines {
            heuristic: committed(AgentKind::Heuristic),
            random: committed(AgentKind::Random),
            heuristic_variants: variants(AgentKind::Heuristic),
            random_variants: variants(AgentKind::Random),
            oracle_variants: variants(AgentKind::Oracle),
        }
    })
}

fn settings(agent: AgentKind, trials: u32) -> EvalSettings {
    EvalSettings {
        agent: AgentFactory::Builtin(agent),
        trials,
        seed: 0,
        max_steps: None,
        max_cost: None,
        keep_audit: false,
        skip: Default::default(),
        validate_variants: true,
    }
}

fn card(results: Result<Vec<TrialResult>, oncall_gym::eval::EvalError>, k: u32) -> Scorecard {
    let scores: Vec<TrialScore> = results
        .unwrap()
        .into_iter()
        .map(|result| match result {
            TrialResult::Done(record) => record.trial_score(),
            other => panic!("a baseline run did not finish: {other:?}"),
        })
        .collect();
    scorecard(&scores, k)
}

#[test]
fn the_readmes_tables_match_a_fresh_run() {
    let tables = [
        ("README.md", "baselines", baselines_table()),
        ("fixtures/README.md", "scenarios", scenarios_table()),
        ("fixtures/README.md", "baselines", baselines_table()),
    ];
    let update = std::env::var(UPDATE_ENV).is_ok_and(|value| value == "1");
    let mut stale = Vec::new();
    for (file, name, table) in tables {
        let path = workspace_root().join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        let replaced = replace_block(&text, name, &table)
            .unwrap_or_else(|problem| panic!("{file}: {problem}"));
        if replaced != text {
            if update {
                std::fs::write(&path, &replaced).unwrap();
            } else {
                stale.push(format!("{file} ({name})"));
            }
        }
    }
    assert!(
        stale.is_empty(),
        "these tables differ from a fresh run: {stale:?}; `cargo xtask baselines` rewrites them"
    );
}

/// `text` with the block between `name`'s markers replaced by `table`.
fn replace_block(text: &str, name: &str, table: &str) -> Result<String, String> {
    let begin = format!("<!-- {name}: written by `cargo xtask baselines`; do not edit -->\n");
    let end = format!("<!-- end of {name} -->");
    let start = text
        .find(&begin)
        .ok_or_else(|| format!("no `{}` marker", begin.trim()))?
        + begin.len();
    let stop = text[start..]
        .find(&end)
        .ok_or_else(|| format!("no `{end}` marker"))?
        + start;
    Ok(format!("{}{table}{}", &text[..start], &text[stop..]))
}

/// The library in difficulty order, then by id.
fn ordered() -> Vec<&'static Scenario> {
    let mut scenarios: Vec<&Scenario> = library().iter().collect();
    scenarios.sort_by_key(|scenario| (rank(scenario.difficulty()), scenario.id().to_owned()));
    scenarios
}

fn rank(difficulty: Difficulty) -> u8 {
    match difficulty {
        Difficulty::Easy => 0,
        Difficulty::Medium => 1,
        Difficulty::Hard => 2,
    }
}

/// The bundled scenarios, one row each, from their ground truth.
fn scenarios_table() -> String {
    let mut table = String::from(
        "| id | difficulty | category | alerting service | culprit service | expected outcome |\n|---|---|---|---|---|---|\n",
    );
    for scenario in ordered() {
        let truth = scenario.ground_truth();
        let labels = |remedies: &[Remedy]| -> Vec<String> {
            remedies
                .iter()
                .filter_map(Remedy::label)
                .map(str::to_owned)
                .collect()
        };
        let outcome = match &truth.expected_outcome {
            ExpectedOutcome::Escalate { team, .. } => format!(
                "escalate: {}",
                team.as_deref().unwrap_or("the expected target")
            ),
            _ => format!(
                "mitigate: {}",
                labels(&truth.mitigations.correct).join(" / ")
            ),
        };
        let harmful = labels(&truth.mitigations.harmful);
        let harmful = harmful
            .iter()
            .take(2)
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(", ");
        let _ = writeln!(
            table,
            "| `{}` | {} | `{}` | {} | {} | {outcome} (harmful: {harmful}) |",
            scenario.id(),
            scenario.difficulty().as_str(),
            scenario.category(),
            scenario.incident_spec().service,
            truth.root_cause.service,
        );
    }
    let count = |difficulty| {
        library()
            .iter()
            .filter(|scenario| scenario.difficulty() == difficulty)
            .count()
    };
    let categories: std::collections::BTreeSet<_> =
        library().iter().map(Scenario::category).collect();
    let _ = write!(
        table,
        "\n{} scenarios ({} easy, {} medium, {} hard) in {} root-cause categories.\n",
        library().len(),
        count(Difficulty::Easy),
        count(Difficulty::Medium),
        count(Difficulty::Hard),
        categories.len()
    );
    table
}

fn percent(share: f64) -> String {
    format!("{:.0}%", share * 100.0)
}

/// One agent's cells of a baselines row: mean score, pass rate, and
/// localized / category, the first two in bold on the overall row.
fn cells(score: f64, pass_rate: f64, localized: f64, category: f64, bold: bool) -> String {
    let mark = if bold { "**" } else { "" };
    format!(
        "{mark}{score:.3}{mark} | {mark}{}{mark} | {} / {}",
        percent(pass_rate),
        percent(localized),
        percent(category)
    )
}

/// The baselines: per scenario, then by difficulty, then over variants.
fn baselines_table() -> String {
    let baselines = baselines();
    let rows = |card: &'static Scorecard| -> BTreeMap<&'static str, &'static oncall_gym::scorecard::ScenarioSummary> {
        card.scenarios
            .iter()
            .map(|row| (row.id.as_str(), row))
            .collect()
    };
    let (heuristic, random) = (rows(&baselines.heuristic), rows(&baselines.random));
    let mut table = String::from(
        "| scenario | difficulty | heuristic mean score | heuristic pass rate | heuristic localized / category | random mean score | random pass rate | random localized / category |\n|---|---|---|---|---|---|---|---|\n",
    );
    for scenario in ordered() {
        let (h, r) = (heuristic[scenario.id()], random[scenario.id()]);
        let cells = [
            cells(
                h.mean_score,
                h.pass_rate,
                h.localization,
                h.root_cause_category,
                false,
            ),
            cells(
                r.mean_score,
                r.pass_rate,
                r.localization,
                r.root_cause_category,
                false,
            ),
        ];
        let _ = writeln!(
            table,
            "| `{}` | {} | {} | {} |",
            scenario.id(),
            scenario.difficulty().as_str(),
            cells[0],
            cells[1]
        );
    }
    let (h, r) = (&baselines.heuristic.overall, &baselines.random.overall);
    let _ = writeln!(
        table,
        "| **overall** | | {} | {} |",
        cells(
            h.mean_score,
            h.pass_rate,
            h.localization,
            h.root_cause_category,
            true
        ),
        cells(
            r.mean_score,
            r.pass_rate,
            r.localization,
            r.root_cause_category,
            true
        ),
    );
    table.push_str("\nThe heuristic's pass rate by difficulty: ");
    let by_difficulty: Vec<String> = [Difficulty::Easy, Difficulty::Medium, Difficulty::Hard]
        .into_iter()
        .map(|difficulty| {
            let of: Vec<f64> = ordered()
                .into_iter()
                .filter(|scenario| scenario.difficulty() == difficulty)
                .map(|scenario| heuristic[scenario.id()].pass_rate)
                .collect();
            let passed: f64 = of.iter().sum();
            format!("{} {} of {}", difficulty.as_str(), passed.round(), of.len())
        })
        .collect();
    let _ = writeln!(table, "{}.", by_difficulty.join(", "));
    let _ = write!(
        table,
        "\nOver {VARIANTS} seeded variants of each scenario (`oncall-gym eval --variants {VARIANTS} --agent AGENT`, seed 0):\n\n\
         | agent | runs | mean score | pass rate | pass^{VARIANTS} | localized | category |\n|---|---|---|---|---|---|---|\n"
    );
    for (agent, card) in [
        ("heuristic", &baselines.heuristic_variants),
        ("random", &baselines.random_variants),
        ("oracle", &baselines.oracle_variants),
    ] {
        let overall = &card.overall;
        let _ = writeln!(
            table,
            "| {agent} | {} | {:.3} | {} | {:.3} | {} | {} |",
            overall.runs,
            overall.mean_score,
            percent(overall.pass_rate),
            overall.pass_hat_k,
            percent(overall.localization),
            percent(overall.root_cause_category),
        );
    }
    table
}

#[test]
fn replacing_a_block_touches_only_what_is_between_its_markers() {
    let text = "a\n<!-- x: written by `cargo xtask baselines`; do not edit -->\nold\n<!-- end of x -->\nb\n";
    let replaced = replace_block(text, "x", "new\n").unwrap();
    assert_eq!(
        replaced,
        "a\n<!-- x: written by `cargo xtask baselines`; do not edit -->\nnew\n<!-- end of x -->\nb\n"
    );
    assert!(replace_block("a\n", "x", "new\n").is_err());
    assert!(
        replace_block(
            "<!-- x: written by `cargo xtask baselines`; do not edit -->\n",
            "x",
            ""
        )
        .is_err()
    );
}
