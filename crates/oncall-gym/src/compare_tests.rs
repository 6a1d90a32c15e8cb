use super::*;
use crate::agents::AgentKind;
use crate::builtin::builtin_scenarios;
use crate::eval::{EvalSettings, TrialResult, run_trials};
use crate::models::AgentFactory;

fn records(agent: AgentKind, trials: u32, seed: u64, take: usize) -> Vec<TrialRecord> {
    let scenarios: Vec<_> = builtin_scenarios()
        .iter()
        .take(take)
        .map(|builtin| builtin.load().unwrap())
        .collect();
    let settings = EvalSettings {
        agent: AgentFactory::Builtin(agent),
        trials,
        seed,
        max_steps: None,
        max_cost: None,
        keep_audit: false,
        skip: Default::default(),
        validate_variants: true,
    };
    run_trials(&scenarios, &settings, 2, &|_| {})
        .unwrap()
        .into_iter()
        .map(|result| match result {
            TrialResult::Done(record) => *record,
            other => panic!("{other:?}"),
        })
        .collect()
}

#[test]
fn the_oracle_is_clearly_better_than_chance_and_the_output_is_stable() {
    let random = records(AgentKind::Random, 4, 1, 6);
    let oracle = records(AgentKind::Oracle, 4, 1, 6);
    let comparison = compare(&random, &oracle, 500);
    assert_eq!(comparison.scenarios.len(), 6);
    let overall = &comparison.overall;
    assert_eq!((overall.runs_a, overall.runs_b), (24, 24));
    assert!(overall.mean_score.delta > 0.3, "{overall:?}");
    assert!(overall.mean_score.low > 0.0 && overall.mean_score.low <= overall.mean_score.delta);
    assert!(overall.mean_score.high >= overall.mean_score.delta);
    assert_eq!(overall.mean_score.verdict, "better");
    assert_eq!(overall.pass_rate_b, 1.0);
    assert!(!comparison.newly_passing.is_empty());
    assert!(comparison.newly_failing.is_empty());
    // The reverse is worse, and the same inputs give the same output.
    assert_eq!(
        compare(&oracle, &random, 500).overall.mean_score.verdict,
        "worse"
    );
    assert_eq!(compare(&random, &oracle, 500), comparison);
}

#[test]
fn an_eval_against_itself_changes_nothing_and_unpaired_scenarios_are_listed() {
    let heuristic = records(AgentKind::Heuristic, 2, 0, 5);
    let fewer = records(AgentKind::Heuristic, 2, 0, 3);
    let comparison = compare(&heuristic, &fewer, 200);
    assert_eq!(comparison.scenarios.len(), 3);
    assert_eq!(comparison.only_in_a.len(), 2);
    assert!(comparison.only_in_b.is_empty());
    for line in comparison.scenarios.iter().chain([&comparison.overall]) {
        assert_eq!(line.mean_score.delta, 0.0);
        assert_eq!(line.mean_score.verdict, "unclear", "{line:?}");
    }
    assert!(comparison.newly_passing.is_empty() && comparison.newly_failing.is_empty());
    let empty = compare(&[], &heuristic, 10);
    assert!(empty.scenarios.is_empty());
    assert_eq!(empty.overall.runs_a, 0);
    assert_eq!(empty.only_in_b.len(), 5);
}

#[test]
fn one_run_a_side_is_never_called_a_change() {
    let random = records(AgentKind::Random, 1, 1, 3);
    let oracle = records(AgentKind::Oracle, 1, 1, 3);
    let comparison = compare(&random, &oracle, 200);
    for line in &comparison.scenarios {
        assert_eq!(line.mean_score.verdict, "unclear", "{line:?}");
    }
    // Three scenarios together are runs enough for a verdict.
    assert_eq!(comparison.overall.runs_a, 3);
    assert_eq!(comparison.overall.mean_score.verdict, "better");
}
