//! The scorecard of an evaluation: per scenario and overall, the mean
//! score, the pass rate, pass^k, the localization and root-cause category
//! accuracy (the share of runs whose claimed root cause named the culprit
//! service, and the fault category), and the mean number of steps.
//!
//! # pass^k
//!
//! pass^k is the probability that **all** of k independent trials of a
//! scenario pass: a measure of reliability rather than of luck. It is
//! estimated as in τ-bench: for a scenario run n times with c passes,
//!
//! ```text
//! pass^k = C(c, k) / C(n, k)
//! ```
//!
//! the chance that k trials drawn without replacement from the n all
//! passed. `eval --trials K` uses k = K = n, so a scenario's pass^k is 1
//! when every trial passed and 0 otherwise; the overall pass^k is the mean
//! over scenarios. With k = 1 it is the pass rate.

use serde::Serialize;

use crate::models::{RunUsage, round_cost};

/// What the scorecard needs from one run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrialScore {
    /// The scenario's id.
    pub scenario: String,
    /// The trial's index, from 0.
    pub trial: u32,
    /// The evaluation's total.
    pub score: f64,
    /// Whether the run passed.
    pub passed: bool,
    /// The steps it took.
    pub steps: u32,
    /// Whether its claimed root cause named the culprit service.
    pub localized: bool,
    /// Whether its claimed root cause named the fault category.
    pub categorized: bool,
    /// What it spent on a model, if it called one.
    pub usage: Option<RunUsage>,
}

/// One scenario's line of the scorecard.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScenarioSummary {
    /// The scenario's id.
    pub id: String,
    /// How many runs.
    pub runs: u32,
    /// The mean total score.
    pub mean_score: f64,
    /// The share of runs that passed.
    pub pass_rate: f64,
    /// pass^k with k the number of trials (see the module docs).
    pub pass_hat_k: f64,
    /// The share of runs that named the culprit service.
    pub localization: f64,
    /// The share of runs that named the fault category.
    pub root_cause_category: f64,
    /// The mean number of steps.
    pub mean_steps: f64,
    /// What its runs spent on a model, summed (only when they called one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<UsageTotal>,
}

/// Model spending summed over runs: the scorecard's tokens and cost.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UsageTotal {
    /// Model calls.
    pub model_calls: u64,
    /// Input tokens.
    pub input_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
    /// US dollars; `null` when a run's cost is unknown.
    pub cost_usd: Option<f64>,
}

impl UsageTotal {
    /// The sum over `trials`, or `None` when none called a model.
    fn of(trials: &[&TrialScore]) -> Option<UsageTotal> {
        let usages: Vec<&RunUsage> = trials.iter().filter_map(|t| t.usage.as_ref()).collect();
        if usages.is_empty() {
            return None;
        }
        let cost = usages
            .iter()
            .try_fold(0.0, |sum, usage| usage.cost_usd.map(|cost| sum + cost));
        Some(UsageTotal {
            model_calls: saturating_sum(usages.iter().map(|u| u.model_calls)),
            input_tokens: saturating_sum(usages.iter().map(|u| u.input_tokens)),
            output_tokens: saturating_sum(usages.iter().map(|u| u.output_tokens)),
            cost_usd: cost.map(round_cost),
        })
    }

    /// Input and output tokens.
    pub fn tokens(&self) -> u64 {
        self.input_tokens.saturating_add(self.output_tokens)
    }
}

/// Counts read from `--out` files are outside data: sum without wrapping.
fn saturating_sum(values: impl Iterator<Item = u64>) -> u64 {
    values.fold(0, u64::saturating_add)
}

/// The overall line of the scorecard.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OverallSummary {
    /// How many runs, over every scenario.
    pub runs: u32,
    /// The mean total score over every run.
    pub mean_score: f64,
    /// The share of every run that passed.
    pub pass_rate: f64,
    /// The mean of the scenarios' pass^k.
    pub pass_hat_k: f64,
    /// The share of every run that named the culprit service.
    pub localization: f64,
    /// The share of every run that named the fault category.
    pub root_cause_category: f64,
    /// The mean number of steps over every run.
    pub mean_steps: f64,
    /// What every run spent on a model, summed: the total.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<UsageTotal>,
}

/// A whole scorecard: `{scenarios: [...], overall: {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scorecard {
    /// One line per scenario, sorted by id.
    pub scenarios: Vec<ScenarioSummary>,
    /// Every run together.
    pub overall: OverallSummary,
}

/// pass^k for `passes` passes out of `runs` runs: `C(passes, k) / C(runs,
/// k)`. It is 1 for k = 0, and 0 when k is more than the passes (or the
/// runs).
pub fn pass_hat_k(runs: u32, passes: u32, k: u32) -> f64 {
    if k > runs || k > passes {
        return 0.0;
    }
    // C(c, k) / C(n, k) = prod_{i<k} (c - i) / (n - i), which never
    // overflows.
    (0..k).fold(1.0, |product, i| {
        product * f64::from(passes - i) / f64::from(runs - i)
    })
}

/// The fewest runs any scenario of `trials` has: the k of pass^k when
/// scenarios were run unevenly (a stopped eval, runs summed by hand).
/// `None` when there are no trials.
pub fn fewest_runs(trials: &[TrialScore]) -> Option<u32> {
    let mut runs: std::collections::BTreeMap<&str, u32> = std::collections::BTreeMap::new();
    for trial in trials {
        *runs.entry(trial.scenario.as_str()).or_default() += 1;
    }
    runs.values().copied().min()
}

/// The scorecard of `trials` (in any order), with k = `k`. Means are
/// rounded to 6 decimal places, like scores.
pub fn scorecard(trials: &[TrialScore], k: u32) -> Scorecard {
    let mut ids: Vec<&str> = trials.iter().map(|trial| trial.scenario.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    let scenarios: Vec<ScenarioSummary> = ids
        .into_iter()
        .map(|id| {
            let mine: Vec<&TrialScore> = trials.iter().filter(|t| t.scenario == id).collect();
            let stats = Stats::of(&mine);
            ScenarioSummary {
                id: id.to_owned(),
                runs: stats.runs,
                mean_score: stats.mean_score(),
                pass_rate: stats.pass_rate(),
                pass_hat_k: round6(pass_hat_k(stats.runs, stats.passes, k)),
                localization: stats.share(stats.localized),
                root_cause_category: stats.share(stats.categorized),
                mean_steps: stats.mean_steps(),
                usage: UsageTotal::of(&mine),
            }
        })
        .collect();
    let all: Vec<&TrialScore> = trials.iter().collect();
    let stats = Stats::of(&all);
    let pass_hat_k = mean(scenarios.iter().map(|s| s.pass_hat_k), scenarios.len());
    Scorecard {
        overall: OverallSummary {
            runs: stats.runs,
            mean_score: stats.mean_score(),
            pass_rate: stats.pass_rate(),
            pass_hat_k: round6(pass_hat_k),
            localization: stats.share(stats.localized),
            root_cause_category: stats.share(stats.categorized),
            mean_steps: stats.mean_steps(),
            usage: UsageTotal::of(&all),
        },
        scenarios,
    }
}

struct Stats {
    runs: u32,
    passes: u32,
    localized: u32,
    categorized: u32,
    score_sum: f64,
    step_sum: u64,
}

impl Stats {
    fn of(trials: &[&TrialScore]) -> Stats {
        let count = |keep: fn(&TrialScore) -> bool| {
            u32::try_from(trials.iter().filter(|t| keep(t)).count()).unwrap_or(u32::MAX)
        };
        Stats {
            runs: u32::try_from(trials.len()).unwrap_or(u32::MAX),
            passes: count(|t| t.passed),
            localized: count(|t| t.localized),
            categorized: count(|t| t.categorized),
            score_sum: trials.iter().map(|t| t.score).sum(),
            step_sum: trials.iter().map(|t| u64::from(t.steps)).sum(),
        }
    }

    fn share(&self, count: u32) -> f64 {
        round6(ratio(f64::from(count), self.runs))
    }

    fn mean_score(&self) -> f64 {
        round6(ratio(self.score_sum, self.runs))
    }

    fn pass_rate(&self) -> f64 {
        round6(ratio(f64::from(self.passes), self.runs))
    }

    fn mean_steps(&self) -> f64 {
        // Step counts are far below 2^53, so the conversion is exact.
        round6(ratio(self.step_sum as f64, self.runs))
    }
}

fn ratio(sum: f64, count: u32) -> f64 {
    if count == 0 {
        0.0
    } else {
        sum / f64::from(count)
    }
}

fn mean(values: impl Iterator<Item = f64>, count: usize) -> f64 {
    let sum: f64 = values.sum();
    ratio(sum, u32::try_from(count).unwrap_or(u32::MAX))
}

fn round6(value: f64) -> f64 {
    (value * 1e6).round() / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trial(scenario: &str, trial: u32, score: f64, passed: bool, steps: u32) -> TrialScore {
        TrialScore {
            scenario: scenario.to_owned(),
            trial,
            score,
            passed,
            steps,
            localized: passed,
            categorized: score == 1.0,
            usage: None,
        }
    }

    fn usage(input: u64, output: u64, cost: Option<f64>) -> Option<RunUsage> {
        Some(RunUsage {
            model_calls: 2,
            input_tokens: input,
            output_tokens: output,
            cached_tokens: 0,
            cost_usd: cost,
            model_latency_ms: 12.0,
        })
    }

    #[test]
    fn usage_is_summed_per_scenario_and_overall_and_unknown_costs_stay_unknown() {
        let mut trials = vec![
            trial("a", 0, 1.0, true, 3),
            trial("a", 1, 0.0, false, 5),
            trial("b", 0, 1.0, true, 4),
        ];
        trials[0].usage = usage(1000, 100, Some(0.01));
        trials[1].usage = usage(2000, 200, Some(0.02));
        trials[2].usage = usage(500, 50, None);
        let card = scorecard(&trials, 1);
        let a = card.scenarios[0].usage.as_ref().unwrap();
        assert_eq!(
            (a.model_calls, a.input_tokens, a.output_tokens),
            (4, 3000, 300)
        );
        assert_eq!(a.cost_usd, Some(0.03));
        assert_eq!(a.tokens(), 3300);
        assert_eq!(card.scenarios[1].usage.as_ref().unwrap().cost_usd, None);
        let total = card.overall.usage.as_ref().unwrap();
        assert_eq!(total.input_tokens, 3500);
        assert_eq!(total.cost_usd, None);
        // Counts from a crafted file saturate rather than wrap.
        let mut huge = trials.clone();
        huge[0].usage = usage(u64::MAX, u64::MAX, Some(1.0));
        huge[1].usage = usage(u64::MAX, 1, Some(1.0));
        let card = scorecard(&huge, 1);
        assert_eq!(card.overall.usage.as_ref().unwrap().input_tokens, u64::MAX);
        assert_eq!(card.overall.usage.as_ref().unwrap().tokens(), u64::MAX);
        // Runs without a model leave the scorecard as it was.
        let plain = scorecard(&[trial("a", 0, 1.0, true, 3)], 1);
        assert!(plain.overall.usage.is_none());
        assert!(!serde_json::to_string(&plain).unwrap().contains("usage"));
    }

    #[test]
    fn pass_hat_k_follows_tau_bench() {
        assert_eq!(pass_hat_k(4, 4, 4), 1.0);
        assert_eq!(pass_hat_k(4, 3, 4), 0.0);
        assert_eq!(pass_hat_k(4, 2, 1), 0.5);
        // C(3,2)/C(4,2) = 3/6
        assert!((pass_hat_k(4, 3, 2) - 0.5).abs() < 1e-12);
        // C(4,2)/C(5,2) = 6/10
        assert!((pass_hat_k(5, 4, 2) - 0.6).abs() < 1e-12);
        assert_eq!(pass_hat_k(3, 0, 0), 1.0);
        assert_eq!(pass_hat_k(2, 2, 3), 0.0);
        assert_eq!(pass_hat_k(0, 0, 1), 0.0);
    }

    #[test]
    fn the_scorecard_has_a_line_per_scenario_and_an_overall_line() {
        let trials = vec![
            trial("b", 0, 1.0, true, 4),
            trial("a", 1, 0.2, false, 10),
            trial("a", 0, 0.9, true, 5),
            trial("b", 1, 0.8, true, 6),
        ];
        let card = scorecard(&trials, 2);
        let ids: Vec<&str> = card.scenarios.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["a", "b"]);
        let a = &card.scenarios[0];
        assert_eq!(
            (
                a.runs,
                a.mean_score,
                a.pass_rate,
                a.pass_hat_k,
                a.mean_steps
            ),
            (2, 0.55, 0.5, 0.0, 7.5)
        );
        let b = &card.scenarios[1];
        assert_eq!(
            (
                b.runs,
                b.mean_score,
                b.pass_rate,
                b.pass_hat_k,
                b.mean_steps
            ),
            (2, 0.9, 1.0, 1.0, 5.0)
        );
        let overall = &card.overall;
        assert_eq!(overall.runs, 4);
        assert_eq!(overall.mean_score, 0.725);
        assert_eq!(overall.pass_rate, 0.75);
        assert_eq!(overall.pass_hat_k, 0.5);
        assert_eq!(overall.mean_steps, 6.25);
        assert_eq!((a.localization, a.root_cause_category), (0.5, 0.0));
        assert_eq!(
            (overall.localization, overall.root_cause_category),
            (0.75, 0.25)
        );
    }

    #[test]
    fn the_json_shape_is_the_documented_one() {
        let card = scorecard(&[trial("a", 0, 1.0, true, 3)], 1);
        let json = serde_json::to_value(&card).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "scenarios": [{"id": "a", "runs": 1, "mean_score": 1.0, "pass_rate": 1.0, "pass_hat_k": 1.0, "localization": 1.0, "root_cause_category": 1.0, "mean_steps": 3.0}],
                "overall": {"runs": 1, "mean_score": 1.0, "pass_rate": 1.0, "pass_hat_k": 1.0, "localization": 1.0, "root_cause_category": 1.0, "mean_steps": 3.0}
            })
        );
    }

    #[test]
    fn an_empty_scorecard_is_zeros() {
        let card = scorecard(&[], 1);
        assert!(card.scenarios.is_empty());
        assert_eq!(card.overall.runs, 0);
        assert_eq!(card.overall.mean_score, 0.0);
    }
}
