//! Running an evaluation's (scenario, trial) pairs on a pool of threads:
//! each scenario as loaded, or each as seeded variants rendered from its
//! spec. Every pair is its own task, so the threads stay busy whatever the
//! mix of scenarios, variants and trials; a variant is rendered by the
//! first of its trials to run and dropped when its last one ends, so an
//! evaluation of many variants holds about as many renderings as threads.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use rayon::prelude::*;

use oncall_sim::Scenario;
use oncall_tools::ToolRegistry;

use super::{
    DoneRun, EvalError, EvalSettings, MAX_RUNS_PER_SCENARIO, PoolError, TrialError, TrialFailure,
    TrialResult, run_trial,
};
use crate::variants::{MAX_VARIANTS, VariantOf, VariantSource};

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
) -> Result<Vec<TrialResult>, EvalError> {
    check_runs(1, settings.trials)?;
    let mut ordered: Vec<&Scenario> = scenarios.iter().collect();
    ordered.sort_by(|a, b| a.id().cmp(b.id()));
    let units: Vec<Unit<'_>> = ordered
        .into_iter()
        .map(|scenario| Unit::new(UnitSource::Loaded(scenario), 0..settings.trials))
        .collect();
    run_units(&units, settings, jobs, on_done)
}

/// Runs every scenario as `variants` seeded variants (`eval --variants`),
/// each rendered from its spec with [`VariantSource::variant`] under the
/// base seed, and each run `trials` times: variant `v`'s trial `t` is the
/// scenario's trial `v * trials + t`, so results sort by scenario, variant
/// and trial, and the scorecard aggregates a scenario over all of them.
/// With [`EvalSettings::validate_variants`] each variant is validated
/// before it runs. A variant that does not render or validate fails each of
/// its trials, naming the variant and its seed. `variants` is 1 to
/// [`MAX_VARIANTS`], and variants × trials at most
/// [`MAX_RUNS_PER_SCENARIO`].
pub fn run_variant_trials(
    sources: &[VariantSource],
    variants: u32,
    settings: &EvalSettings,
    jobs: usize,
    on_done: &(dyn Fn(DoneRun<'_>) + Sync),
) -> Result<Vec<TrialResult>, EvalError> {
    if !(1..=MAX_VARIANTS).contains(&variants) {
        return Err(EvalError::TooManyRuns {
            variants,
            trials: settings.trials,
        });
    }
    check_runs(variants, settings.trials)?;
    let mut ordered: Vec<&VariantSource> = sources.iter().collect();
    ordered.sort_by(|a, b| a.scenario().id().cmp(b.scenario().id()));
    let trials = settings.trials;
    let units: Vec<Unit<'_>> = ordered
        .into_iter()
        .flat_map(|source| {
            (0..variants).map(move |index| {
                // Bounded by `check_runs`: no overflow.
                let first = index * trials;
                Unit::new(
                    UnitSource::Variant(source, source.variant(settings.seed, index)),
                    first..first + trials,
                )
            })
        })
        .collect();
    run_units(&units, settings, jobs, on_done)
}

/// Refuses more runs of one scenario than an evaluation may hold.
fn check_runs(variants: u32, trials: u32) -> Result<(), EvalError> {
    match variants.checked_mul(trials) {
        Some(runs) if runs <= MAX_RUNS_PER_SCENARIO => Ok(()),
        _ => Err(EvalError::TooManyRuns { variants, trials }),
    }
}

/// What a unit's trials run on: a scenario as loaded, or a variant to
/// render.
enum UnitSource<'a> {
    Loaded(&'a Scenario),
    Variant(&'a VariantSource, VariantOf),
}

/// Where a unit's variant stands.
enum Rendering {
    /// No trial has needed it yet (or every trial is over and it was
    /// dropped).
    NotYet,
    /// Rendered (and checked), or refused.
    Ready(Result<Scenario, TrialFailure>),
}

/// One scenario (or one variant) and the trials to run on it, each its own
/// task.
struct Unit<'a> {
    source: UnitSource<'a>,
    trials: std::ops::Range<u32>,
    rendering: Mutex<Rendering>,
    /// Trials not yet over; the last one drops the rendering.
    remaining: AtomicU32,
}

impl<'a> Unit<'a> {
    fn new(source: UnitSource<'a>, trials: std::ops::Range<u32>) -> Unit<'a> {
        let count = trials.end - trials.start;
        Unit {
            source,
            trials,
            rendering: Mutex::new(Rendering::NotYet),
            remaining: AtomicU32::new(count),
        }
    }

    fn scenario_id(&self) -> &str {
        match &self.source {
            UnitSource::Loaded(scenario) => scenario.id(),
            UnitSource::Variant(source, _) => source.scenario().id(),
        }
    }

    fn variant(&self) -> Option<VariantOf> {
        match &self.source {
            UnitSource::Loaded(_) => None,
            UnitSource::Variant(_, variant) => Some(*variant),
        }
    }

    /// The scenario to run: the loaded one, or the variant, rendered by the
    /// first trial that asks (the others wait for it).
    fn scenario(&self, validate: bool) -> Result<Scenario, TrialFailure> {
        let (source, variant) = match &self.source {
            UnitSource::Loaded(scenario) => return Ok((*scenario).clone()),
            UnitSource::Variant(source, variant) => (source, *variant),
        };
        let mut rendering = self
            .rendering
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Rendering::Ready(ready) = &*rendering {
            return ready.clone();
        }
        let rendered = source
            .render_checked(variant, validate)
            .map_err(|error| TrialFailure::Variant(Arc::new(error)));
        *rendering = Rendering::Ready(rendered.clone());
        rendered
    }

    /// One of the unit's trials is over; after the last, the rendering is
    /// dropped.
    fn trial_over(&self) {
        if self.remaining.fetch_sub(1, Ordering::AcqRel) == 1 {
            *self
                .rendering
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Rendering::NotYet;
        }
    }
}

fn run_units(
    units: &[Unit<'_>],
    settings: &EvalSettings,
    jobs: usize,
    on_done: &(dyn Fn(DoneRun<'_>) + Sync),
) -> Result<Vec<TrialResult>, EvalError> {
    let registry = Arc::new(ToolRegistry::with_default_tools());
    let spent = Mutex::new(0.0_f64);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.max(1))
        .build()
        .map_err(|error| PoolError {
            jobs,
            message: error.to_string(),
        })?;
    let pairs: Vec<(&Unit<'_>, u32)> = units
        .iter()
        .flat_map(|unit| unit.trials.clone().map(move |trial| (unit, trial)))
        .collect();
    Ok(pool.install(|| {
        pairs
            .par_iter()
            .map(|(unit, trial)| {
                let result = run_pair(unit, *trial, settings, &registry, &spent, on_done);
                unit.trial_over();
                result
            })
            .collect()
    }))
}

fn run_pair(
    unit: &Unit<'_>,
    trial: u32,
    settings: &EvalSettings,
    registry: &Arc<ToolRegistry>,
    spent: &Mutex<f64>,
    on_done: &(dyn Fn(DoneRun<'_>) + Sync),
) -> TrialResult {
    let id = unit.scenario_id();
    if settings.skip.contains(&(id.to_owned(), trial)) {
        on_done(None);
        return TrialResult::AlreadyDone {
            scenario: id.to_owned(),
            trial,
        };
    }
    let over_budget = settings
        .max_cost
        .is_some_and(|budget| read(spent) >= budget);
    if over_budget {
        on_done(None);
        return TrialResult::NotStarted {
            scenario: id.to_owned(),
            trial,
        };
    }
    let result = unit
        .scenario(settings.validate_variants)
        .map_err(|failure| TrialError {
            scenario: id.to_owned(),
            trial,
            source: failure,
        })
        .and_then(|scenario| run_trial(&scenario, trial, settings, Arc::clone(registry)));
    match result {
        Ok((record, audit)) => {
            let record = match unit.variant() {
                Some(variant) => record.of_variant(variant),
                None => record,
            };
            let cost = record.usage.as_ref().and_then(|usage| usage.cost_usd);
            {
                let mut total = spent.lock().unwrap_or_else(PoisonError::into_inner);
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
}

fn read(spent: &Mutex<f64>) -> f64 {
    *spent.lock().unwrap_or_else(PoisonError::into_inner)
}
