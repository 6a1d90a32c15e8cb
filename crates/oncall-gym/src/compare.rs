//! Comparing two evals: per scenario and overall, the change in mean score
//! and pass rate, each with a 95% confidence interval from a paired
//! bootstrap, and the scenarios that newly pass or newly fail.
//!
//! # The bootstrap
//!
//! The overall interval resamples the scenarios both evals ran (with
//! replacement, so a scenario is paired with itself), then, within each
//! drawn scenario, the trials (with replacement): paired by trial number
//! when both evals hold the same trials, each eval's own otherwise. The
//! statistic is the difference of the two means over the drawn runs. A
//! scenario's own interval resamples only its trials. With fewer than two
//! runs on a side there is nothing to measure noise with, so the verdict
//! is `unclear` whatever the difference. The generator is seeded, so the
//! same two evals always print the same intervals. A change whose interval
//! excludes 0 is called `better` or `worse`; otherwise `unclear`: the
//! difference may be noise.
//!
//! A scenario *passes* in an eval when more than half its runs passed.

use std::collections::BTreeMap;

use serde::Serialize;

use oncall_domain::SeededRandom;

use crate::eval::TrialRecord;

/// Resamples used when none is given.
pub const DEFAULT_RESAMPLES: u32 = 2000;

/// The generator's seed: fixed, so the output is stable.
const BOOTSTRAP_SEED: u64 = 0x0c0a_11c0_4a7e;

/// A change and its 95% interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Change {
    /// B minus A.
    pub delta: f64,
    /// The 2.5th percentile of the bootstrap.
    pub low: f64,
    /// The 97.5th percentile.
    pub high: f64,
    /// `better`, `worse` or `unclear`.
    pub verdict: &'static str,
}

/// One scenario's line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScenarioChange {
    /// The scenario.
    pub id: String,
    /// Runs in A and in B.
    pub runs_a: u32,
    /// Runs in B.
    pub runs_b: u32,
    /// Mean score in A.
    pub mean_score_a: f64,
    /// Mean score in B.
    pub mean_score_b: f64,
    /// The change in mean score.
    pub mean_score: Change,
    /// Pass rate in A.
    pub pass_rate_a: f64,
    /// Pass rate in B.
    pub pass_rate_b: f64,
    /// The change in pass rate.
    pub pass_rate: Change,
}

/// The whole comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// Resamples drawn for each interval.
    pub resamples: u32,
    /// The scenarios both ran, by id.
    pub scenarios: Vec<ScenarioChange>,
    /// Over the scenarios both ran.
    pub overall: ScenarioChange,
    /// Scenarios that fail in A and pass in B.
    pub newly_passing: Vec<String>,
    /// Scenarios that pass in A and fail in B.
    pub newly_failing: Vec<String>,
    /// Scenarios only A ran.
    pub only_in_a: Vec<String>,
    /// Scenarios only B ran.
    pub only_in_b: Vec<String>,
}

/// Compares the runs of eval A with those of eval B.
pub fn compare(a: &[TrialRecord], b: &[TrialRecord], resamples: u32) -> Comparison {
    let a = by_scenario(a);
    let b = by_scenario(b);
    let both: Vec<&str> = a.keys().filter(|id| b.contains_key(*id)).copied().collect();
    let only = |x: &BTreeMap<&str, Outcomes>, y: &BTreeMap<&str, Outcomes>| -> Vec<String> {
        x.keys()
            .filter(|id| !y.contains_key(*id))
            .map(|id| (*id).to_owned())
            .collect()
    };
    let random = SeededRandom::new(BOOTSTRAP_SEED);
    let mut scenarios = Vec::with_capacity(both.len());
    let mut newly_passing = Vec::new();
    let mut newly_failing = Vec::new();
    for id in &both {
        let (x, y) = (&a[id], &b[id]);
        let line = scenario_change(id, &[x], &[y], resamples, &random);
        match (x.passes(), y.passes()) {
            (false, true) => newly_passing.push((*id).to_owned()),
            (true, false) => newly_failing.push((*id).to_owned()),
            _ => {}
        }
        scenarios.push(line);
    }
    let xs: Vec<&Outcomes> = both.iter().map(|id| &a[id]).collect();
    let ys: Vec<&Outcomes> = both.iter().map(|id| &b[id]).collect();
    let overall = scenario_change("overall", &xs, &ys, resamples, &random);
    Comparison {
        resamples,
        scenarios,
        overall,
        newly_passing,
        newly_failing,
        only_in_a: only(&a, &b),
        only_in_b: only(&b, &a),
    }
}

/// One scenario's runs: scores, and whether each passed.
#[derive(Debug, Default)]
struct Outcomes {
    trials: Vec<u32>,
    scores: Vec<f64>,
    passes: Vec<f64>,
}

impl Outcomes {
    fn passes(&self) -> bool {
        mean(&self.passes) > 0.5
    }
}

fn by_scenario(records: &[TrialRecord]) -> BTreeMap<&str, Outcomes> {
    let mut map: BTreeMap<&str, Outcomes> = BTreeMap::new();
    for record in records {
        let outcomes = map.entry(record.scenario.as_str()).or_default();
        outcomes.trials.push(record.trial);
        outcomes.scores.push(record.score.total);
        outcomes
            .passes
            .push(if record.score.passed { 1.0 } else { 0.0 });
    }
    map
}

/// The change over the paired groups `xs` (A) and `ys` (B), with its
/// bootstrap: groups drawn with replacement (when there are several), and
/// each group's runs drawn with replacement.
fn scenario_change(
    id: &str,
    xs: &[&Outcomes],
    ys: &[&Outcomes],
    resamples: u32,
    random: &SeededRandom,
) -> ScenarioChange {
    let pooled = |groups: &[&Outcomes], pick: fn(&Outcomes) -> &Vec<f64>| -> Vec<f64> {
        groups
            .iter()
            .flat_map(|g| pick(g).iter().copied())
            .collect()
    };
    let score_a = mean(&pooled(xs, |o| &o.scores));
    let score_b = mean(&pooled(ys, |o| &o.scores));
    let pass_a = mean(&pooled(xs, |o| &o.passes));
    let pass_b = mean(&pooled(ys, |o| &o.passes));
    let mut score_deltas = Vec::with_capacity(resamples as usize);
    let mut pass_deltas = Vec::with_capacity(resamples as usize);
    let groups = xs.len();
    for _ in 0..resamples {
        let mut sums = [0.0; 4];
        let mut counts = [0usize; 2];
        for draw in 0..groups {
            let group = if groups > 1 {
                below(random, groups)
            } else {
                draw
            };
            let (x, y) = (xs[group], ys[group]);
            if x.trials == y.trials {
                // Paired: trial i of A with trial i of B (the same trial
                // seed when both evals used the same base seed).
                for _ in 0..x.scores.len() {
                    let run = below(random, x.scores.len());
                    sums[0] += x.scores[run];
                    sums[1] += x.passes[run];
                    sums[2] += y.scores[run];
                    sums[3] += y.passes[run];
                }
            } else {
                for (side, outcomes) in [x, y].into_iter().enumerate() {
                    for _ in 0..outcomes.scores.len() {
                        let run = below(random, outcomes.scores.len());
                        sums[side * 2] += outcomes.scores[run];
                        sums[side * 2 + 1] += outcomes.passes[run];
                    }
                }
            }
            counts[0] += x.scores.len();
            counts[1] += y.scores.len();
        }
        let per = |sum: f64, count: usize| if count == 0 { 0.0 } else { sum / count as f64 };
        score_deltas.push(per(sums[2], counts[1]) - per(sums[0], counts[0]));
        pass_deltas.push(per(sums[3], counts[1]) - per(sums[1], counts[0]));
    }
    let runs = |groups: &[&Outcomes]| {
        u32::try_from(groups.iter().map(|g| g.scores.len()).sum::<usize>()).unwrap_or(u32::MAX)
    };
    // One run a side says nothing about noise: no verdict from it.
    let too_few = runs(xs) < 2 || runs(ys) < 2;
    let judged = |change: Change| {
        if too_few {
            Change {
                verdict: "unclear",
                ..change
            }
        } else {
            change
        }
    };
    ScenarioChange {
        id: id.to_owned(),
        runs_a: runs(xs),
        runs_b: runs(ys),
        mean_score_a: round6(score_a),
        mean_score_b: round6(score_b),
        mean_score: judged(change(score_b - score_a, &mut score_deltas)),
        pass_rate_a: round6(pass_a),
        pass_rate_b: round6(pass_b),
        pass_rate: judged(change(pass_b - pass_a, &mut pass_deltas)),
    }
}

fn change(delta: f64, draws: &mut [f64]) -> Change {
    draws.sort_by(f64::total_cmp);
    let at = |q: f64| -> f64 {
        if draws.is_empty() {
            return delta;
        }
        let index = ((draws.len() - 1) as f64 * q).round() as usize;
        draws.get(index).copied().unwrap_or(delta)
    };
    let (low, high) = (at(0.025), at(0.975));
    let verdict = if low > 0.0 {
        "better"
    } else if high < 0.0 {
        "worse"
    } else {
        "unclear"
    };
    Change {
        delta: round6(delta),
        low: round6(low),
        high: round6(high),
        verdict,
    }
}

fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        0.0
    } else {
        values.iter().sum::<f64>() / values.len() as f64
    }
}

fn round6(value: f64) -> f64 {
    (value * 1e6).round() / 1e6
}

/// A uniform index below `n` (more than 0).
fn below(random: &SeededRandom, n: usize) -> usize {
    usize::try_from(random.next_below(n as u64)).unwrap_or(0)
}

#[cfg(test)]
#[path = "compare_tests.rs"]
mod tests;
