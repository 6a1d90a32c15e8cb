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

use std::sync::Arc;
use std::time::{Duration, Instant};

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
use crate::variants::VariantOf;
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
    /// Validate each variant rendered by [`run_variant_trials`] before
    /// running it (`eval --no-validate` turns it off). Scenarios as loaded
    /// are the caller's to check.
    pub validate_variants: bool,
}

/// One finished run of an evaluation: a line of `eval --out` (and of
/// `mcp --out`). Reading one back goes through the same types, so a line
/// with a missing or mistyped field is refused, naming it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrialRecord {
    /// The scenario's id.
    pub scenario: String,
    /// The trial's index, from 0. With `--variants`, variant `v`'s trial
    /// `t` is `v * trials + t`.
    pub trial: u32,
    /// The run's seed: `oncall-gym run SCENARIO --agent AGENT --seed SEED`
    /// repeats this run (on the variant's rendering, for a variant).
    pub seed: u64,
    /// The seeded variant (`eval --variants`) the run was of; absent for a
    /// scenario as committed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<VariantOf>,
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
            variant: None,
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

    /// The same record, as a run of `variant`.
    pub fn of_variant(self, variant: VariantOf) -> TrialRecord {
        TrialRecord {
            variant: Some(variant),
            ..self
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
    pub source: TrialFailure,
}

/// Why a run of an evaluation could not be carried out.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum TrialFailure {
    /// The run failed.
    #[error(transparent)]
    Run(Arc<RunError>),
    /// The variant it was to run on did not render, or is invalid.
    #[error(transparent)]
    Variant(Arc<crate::variants::VariantError>),
}

/// An evaluation could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EvalError {
    /// The thread pool could not be built.
    #[error(transparent)]
    Pool(#[from] PoolError),
    /// More variants, or more runs per scenario, than an evaluation may
    /// hold.
    #[error(
        "{variants} variants x {trials} trials: an evaluation renders 1 to {max_variants} variants of a scenario, and at most {max_runs} runs of it",
        max_variants = crate::variants::MAX_VARIANTS,
        max_runs = MAX_RUNS_PER_SCENARIO
    )]
    TooManyRuns {
        /// The variants asked for.
        variants: u32,
        /// The trials asked for.
        trials: u32,
    },
}

/// The most runs of one scenario an evaluation makes (trials, times
/// variants): every run's result is held until the scorecard.
pub const MAX_RUNS_PER_SCENARIO: u32 = 10_000;

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

mod pairs;

pub use self::pairs::{run_trials, run_variant_trials};

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
        source: TrialFailure::Run(Arc::new(source)),
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
    use crate::variants::VariantSource;

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
            validate_variants: true,
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
    fn variants_run_the_same_whatever_the_threads_and_a_bad_variant_fails_its_trials() {
        let sources: Vec<VariantSource> = scenarios()
            .iter()
            .take(3)
            .map(|scenario| VariantSource::of(scenario).unwrap())
            .collect();
        let settings = EvalSettings {
            agent: AgentFactory::Builtin(AgentKind::Random),
            trials: 2,
            seed: 3,
            max_steps: None,
            max_cost: None,
            keep_audit: false,
            skip: [(sources[0].scenario().id().to_owned(), 1)].into(),
            validate_variants: true,
        };
        let one = run_variant_trials(&sources, 2, &settings, 1, &|_| {}).unwrap();
        let two = run_variant_trials(&sources, 2, &settings, 2, &|_| {}).unwrap();
        assert_eq!(one.len(), 3 * 2 * 2);
        assert!(matches!(&one[1], TrialResult::AlreadyDone { trial: 1, .. }));
        let done = |results: Vec<TrialResult>| -> Vec<TrialRecord> {
            without_wall_time(
                results
                    .into_iter()
                    .filter(|result| !matches!(result, TrialResult::AlreadyDone { .. }))
                    .collect(),
            )
        };
        let (one, two) = (done(one), done(two));
        assert_eq!(one, two);
        for record in &one {
            let source = sources
                .iter()
                .find(|source| source.scenario().id() == record.scenario)
                .unwrap();
            let variant = record.variant.unwrap();
            assert_eq!(variant.index, record.trial / 2);
            assert_eq!(variant, source.variant(3, variant.index));
            assert_eq!(record.seed, trial_seed(3, &record.scenario, record.trial));
        }
        // A spec whose variants do not validate fails each of their trials.
        let mut spec = sources[0].spec().clone();
        spec.scenario.ground_truth.optimal_steps = 999;
        let broken = VariantSource::with_spec(sources[0].scenario(), spec);
        let settings = EvalSettings {
            skip: Default::default(),
            ..settings
        };
        let results = run_variant_trials(&[broken], 1, &settings, 1, &|_| {}).unwrap();
        assert_eq!(results.len(), 2);
        let TrialResult::Failed(error) = &results[1] else {
            panic!("{:?}", results[1]);
        };
        let message = error.to_string();
        assert!(
            message.contains("variant 0 (rendered with seed"),
            "{message}"
        );
        assert!(message.contains("is invalid"), "{message}");
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
            validate_variants: true,
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
