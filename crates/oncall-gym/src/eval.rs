//! Evaluation: every (scenario, trial) pair of a set of scenarios run by one
//! agent, in parallel on a pool of threads, with results in a fixed order.
//!
//! Each trial runs with its own seed from [`oncall_sim::trial_seed`], so
//! the results do not depend on the number of threads or on which thread
//! ran what. Only [`TrialRecord::wall_time_ms`] (and a model run's
//! latency) varies between runs.
//!
//! An evaluation may have a cost budget (`--max-cost`): once the runs done
//! have spent it, no further run starts; runs already under way finish.
//! With more than one thread, which runs were under way when the budget
//! ran out depends on scheduling, so a stopped evaluation is not
//! reproducible run for run.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use oncall_audit::{FsyncPolicy, JsonlWriter};
use oncall_domain::{RunStatus, TerminationReason};
use oncall_sim::{
    DiagnosisVerdict, Evaluation, RunError, RunOutcome, RunSettings, Scenario,
    run_scenario_with_registry,
};
use oncall_tools::ToolRegistry;

use crate::models::{AgentFactory, RunUsage};
use crate::scorecard::TrialScore;
use oncall_sim::trial_seed;

/// What to evaluate, besides the scenarios.
#[derive(Debug, Clone)]
pub struct EvalSettings {
    /// The agent.
    pub agent: AgentFactory,
    /// Trials per scenario.
    pub trials: u32,
    /// The base seed each trial's seed is derived from.
    pub seed: u64,
    /// A step limit for every run; each scenario's own when `None`.
    pub max_steps: Option<u32>,
    /// No run starts once the runs done have cost this much (US dollars).
    pub max_cost: Option<f64>,
    /// Keep each run's hash-chained audit log, for the results store.
    pub keep_audit: bool,
    /// (scenario, trial) pairs already done (an eval being resumed): they
    /// are not run again.
    pub skip: std::collections::BTreeSet<(String, u32)>,
}

/// One finished run of an evaluation: a line of `eval --out` (and of
/// `mcp --out`). Reading one back goes through the same types, so a line
/// with a missing or mistyped field is refused, naming it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrialRecord {
    /// The scenario's id.
    pub scenario: String,
    /// The trial's index, from 0.
    pub trial: u32,
    /// The run's seed: `oncall-gym run SCENARIO --agent AGENT --seed SEED`
    /// repeats this run.
    pub seed: u64,
    /// The agent's name.
    pub agent: String,
    /// The run's id (from the seed).
    pub run_id: String,
    /// How the run ended.
    pub status: RunStatus,
    /// Why it ended.
    pub termination: Option<TerminationReason>,
    /// The steps it took.
    pub steps: u32,
    /// How long the run took, in wall-clock milliseconds. The only value
    /// that differs between two evaluations with the same seed.
    pub wall_time_ms: f64,
    /// The scenario's judgement.
    pub score: Evaluation,
    /// What the run spent on a model; absent for agents that call none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<RunUsage>,
}

impl TrialRecord {
    /// The record of `outcome`, a run of `scenario` that took
    /// `wall_time` (rounded to the microsecond).
    pub fn new(
        scenario: &str,
        trial: u32,
        agent: &str,
        outcome: &RunOutcome,
        wall_time: Duration,
    ) -> TrialRecord {
        let run = &outcome.run;
        TrialRecord {
            scenario: scenario.to_owned(),
            trial,
            seed: run.seed(),
            agent: agent.to_owned(),
            run_id: run.id().as_uuid().to_string(),
            status: run.status(),
            termination: run.termination().cloned(),
            steps: u32::try_from(run.steps().len()).unwrap_or(u32::MAX),
            wall_time_ms: (wall_time.as_secs_f64() * 1e6).round() / 1e3,
            score: outcome.evaluation.clone(),
            usage: None,
        }
    }

    /// The same record with what the run spent on a model.
    pub fn with_usage(self, usage: RunUsage) -> TrialRecord {
        TrialRecord {
            usage: Some(usage),
            ..self
        }
    }

    /// What the scorecard needs.
    pub fn trial_score(&self) -> TrialScore {
        TrialScore {
            scenario: self.scenario.clone(),
            trial: self.trial,
            score: self.score.total,
            passed: self.score.passed,
            steps: self.steps,
            localized: self.score.localization == DiagnosisVerdict::Right,
            categorized: self.score.root_cause_category == DiagnosisVerdict::Right,
            usage: self.usage.clone(),
        }
    }
}

/// A run of an evaluation that could not be carried out.
#[derive(Debug, thiserror::Error)]
#[error("scenario `{scenario}`, trial {trial}: {source}")]
pub struct TrialError {
    /// The scenario's id.
    pub scenario: String,
    /// The trial's index.
    pub trial: u32,
    /// Why.
    #[source]
    pub source: RunError,
}

/// The thread pool could not be built.
#[derive(Debug, thiserror::Error)]
#[error("could not start {jobs} worker threads: {message}")]
pub struct PoolError {
    /// The threads asked for.
    pub jobs: usize,
    /// What rayon said.
    pub message: String,
}

/// What became of one (scenario, trial) pair.
#[derive(Debug)]
pub enum TrialResult {
    /// It ran.
    Done(Box<TrialRecord>),
    /// It could not be carried out.
    Failed(TrialError),
    /// It was done before (an eval being resumed), so not run again.
    AlreadyDone {
        /// The scenario's id.
        scenario: String,
        /// The trial's index.
        trial: u32,
    },
    /// It was not started: the evaluation had spent its cost budget.
    NotStarted {
        /// The scenario's id.
        scenario: String,
        /// The trial's index.
        trial: u32,
    },
}

/// What `on_done` is told after each pair: the run's record and, with
/// [`EvalSettings::keep_audit`], its audit log; `None` for a pair that did
/// not run.
pub type DoneRun<'a> = Option<(&'a TrialRecord, Option<&'a [u8]>)>;

/// Runs trial 0 to `trials - 1` of every scenario with `jobs` threads (at
/// least 1), calling `on_done` after each pair (from the worker thread).
/// Results come sorted by scenario id, then trial. With a cost budget, a
/// pair whose turn comes once the runs done have spent it is not started;
/// a pair in [`EvalSettings::skip`] is not run.
pub fn run_trials(
    scenarios: &[Scenario],
    settings: &EvalSettings,
    jobs: usize,
    on_done: &(dyn Fn(DoneRun<'_>) + Sync),
) -> Result<Vec<TrialResult>, PoolError> {
    let mut ordered: Vec<&Scenario> = scenarios.iter().collect();
    ordered.sort_by(|a, b| a.id().cmp(b.id()));
    let pairs: Vec<(&Scenario, u32)> = ordered
        .into_iter()
        .flat_map(|scenario| (0..settings.trials).map(move |trial| (scenario, trial)))
        .collect();
    let registry = Arc::new(ToolRegistry::with_default_tools());
    let spent = Mutex::new(0.0_f64);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.max(1))
        .build()
        .map_err(|error| PoolError {
            jobs,
            message: error.to_string(),
        })?;
    Ok(pool.install(|| {
        pairs
            .par_iter()
            .map(|(scenario, trial)| {
                if settings.skip.contains(&(scenario.id().to_owned(), *trial)) {
                    on_done(None);
                    return TrialResult::AlreadyDone {
                        scenario: scenario.id().to_owned(),
                        trial: *trial,
                    };
                }
                let over_budget = settings
                    .max_cost
                    .is_some_and(|budget| read(&spent) >= budget);
                if over_budget {
                    on_done(None);
                    return TrialResult::NotStarted {
                        scenario: scenario.id().to_owned(),
                        trial: *trial,
                    };
                }
                let result = run_trial(scenario, *trial, settings, Arc::clone(&registry));
                match result {
                    Ok((record, audit)) => {
                        let cost = record.usage.as_ref().and_then(|usage| usage.cost_usd);
                        {
                            let mut total = spent
                                .lock()
                                .unwrap_or_else(std::sync::PoisonError::into_inner);
                            *total += cost.unwrap_or(0.0);
                        }
                        on_done(Some((&record, audit.as_deref())));
                        TrialResult::Done(Box::new(record))
                    }
                    Err(error) => {
                        on_done(None);
                        TrialResult::Failed(error)
                    }
                }
            })
            .collect()
    }))
}

fn read(spent: &Mutex<f64>) -> f64 {
    *spent
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Runs one trial; with [`EvalSettings::keep_audit`], also returns its
/// hash-chained audit log.
pub fn run_trial(
    scenario: &Scenario,
    trial: u32,
    settings: &EvalSettings,
    registry: Arc<ToolRegistry>,
) -> Result<(TrialRecord, Option<Vec<u8>>), TrialError> {
    let seed = trial_seed(settings.seed, scenario.id(), trial);
    let mut built = settings.agent.build(scenario, trial, seed);
    let started = Instant::now();
    let run_settings = RunSettings {
        seed,
        max_steps: settings.max_steps,
    };
    let failed = |source| TrialError {
        scenario: scenario.id().to_owned(),
        trial,
        source,
    };
    let (outcome, audit) = if settings.keep_audit {
        let mut writer = JsonlWriter::new(Vec::new(), FsyncPolicy::AtClose);
        let outcome = run_scenario_with_registry(
            scenario,
            built.agent.as_mut(),
            run_settings,
            Some(&mut writer),
            registry,
        )
        .map_err(failed)?;
        // Writing into memory cannot fail but for a bad event, which the
        // run would have reported; an audit that cannot be had is left out.
        let audit = writer.finish_into_inner().ok().map(|(_, bytes)| bytes);
        (outcome, audit)
    } else {
        let outcome = run_scenario_with_registry(
            scenario,
            built.agent.as_mut(),
            run_settings,
            None,
            registry,
        )
        .map_err(failed)?;
        (outcome, None)
    };
    let record = TrialRecord::new(
        scenario.id(),
        trial,
        &settings.agent.name(),
        &outcome,
        started.elapsed(),
    );
    let record = match &settings.agent {
        AgentFactory::Builtin(_) => record,
        AgentFactory::Model(_) => record.with_usage(
            settings
                .agent
                .usage(outcome.run.model_usage(), built.stats.as_deref()),
        ),
    };
    Ok((record, audit))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::agents::AgentKind;
    use crate::builtin::builtin_scenarios;

    fn scenarios() -> Vec<Scenario> {
        builtin_scenarios()
            .iter()
            .map(|builtin| builtin.load().unwrap())
            .collect()
    }

    fn without_wall_time(records: Vec<TrialResult>) -> Vec<TrialRecord> {
        records
            .into_iter()
            .map(|record| match record {
                TrialResult::Done(record) => TrialRecord {
                    wall_time_ms: 0.0,
                    ..*record
                },
                other => panic!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn results_are_the_same_whatever_the_number_of_threads() {
        let scenarios = scenarios();
        let settings = EvalSettings {
            agent: AgentFactory::Builtin(AgentKind::Random),
            trials: 3,
            seed: 11,
            max_steps: None,
            max_cost: None,
            keep_audit: false,
            skip: Default::default(),
        };
        let done = AtomicUsize::new(0);
        let one = run_trials(&scenarios, &settings, 1, &|_| {
            done.fetch_add(1, Ordering::Relaxed);
        })
        .unwrap();
        assert_eq!(done.load(Ordering::Relaxed), scenarios.len() * 3);
        let four = run_trials(&scenarios, &settings, 4, &|_| {}).unwrap();
        let (one, four) = (without_wall_time(one), without_wall_time(four));
        assert_eq!(one, four);
        let order: Vec<(String, u32)> = one.iter().map(|r| (r.scenario.clone(), r.trial)).collect();
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(order, sorted);
    }

    #[test]
    fn a_trial_can_be_repeated_from_its_seed() {
        let scenarios = scenarios();
        let scenario = &scenarios[0];
        let settings = EvalSettings {
            agent: AgentFactory::Builtin(AgentKind::Random),
            trials: 1,
            seed: 5,
            max_steps: None,
            max_cost: None,
            keep_audit: true,
            skip: Default::default(),
        };
        let registry = Arc::new(ToolRegistry::with_default_tools());
        let (record, audit) = run_trial(scenario, 0, &settings, Arc::clone(&registry)).unwrap();
        let audit = oncall_audit::read_chain(&audit.unwrap(), None).unwrap();
        assert_eq!(
            audit.events()[0].run_id().as_uuid().to_string(),
            record.run_id
        );
        assert_eq!(record.usage, None);
        let mut agent = AgentKind::Random.build(scenario, record.seed);
        let again = oncall_sim::run_scenario(
            scenario,
            agent.as_mut(),
            RunSettings {
                seed: record.seed,
                max_steps: None,
            },
            None,
        )
        .unwrap();
        assert_eq!(again.evaluation, record.score);
        assert_eq!(again.run.id().as_uuid().to_string(), record.run_id);
    }
}
