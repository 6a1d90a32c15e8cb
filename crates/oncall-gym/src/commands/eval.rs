//! `oncall-gym eval [SCENARIO...] [--agent A] [--trials K] [--variants K] [--seed N] [--jobs N] [--out FILE.jsonl] [--json] [--no-validate]`.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::process::ExitCode;
use std::thread;
use std::time::Instant;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

use oncall_domain::TerminationReason;
use oncall_gym::eval::{
    EvalSettings, MAX_RUNS_PER_SCENARIO, TrialRecord, TrialResult, run_trials, run_variant_trials,
};
use oncall_gym::library::ScenarioLibrary;
use oncall_gym::models::AgentFactory;
use oncall_gym::scorecard::{TrialScore, fewest_runs, scorecard};
use oncall_gym::variants::{MAX_VARIANTS, VariantSource};
use oncall_sim::Scenario;
use oncall_store::{EvalRow, EvalStatus, NewEval, Store};

use crate::cli::EvalArgs;
use crate::commands::scorecard::scorecard_table;
use crate::commands::store::{self, Recorder};
use crate::commands::{UsageError, checks, models};
use crate::output;

/// The most errored runs listed one by one; the rest are counted.
const MAX_ERRORS_LISTED: usize = 10;

/// Evaluates the agent over the scenarios and prints the scorecard. Exit
/// code 1 when a scenario is invalid (nothing runs) or a run errored (the
/// scorecard is printed, then the errored runs on stderr).
pub(crate) fn eval(library: &ScenarioLibrary, arguments: &EvalArgs) -> anyhow::Result<ExitCode> {
    let resumed = match &arguments.resume {
        Some(prefix) => Some(resume_target(&arguments.store, prefix)?),
        None => None,
    };
    let (trials, seed, max_steps, variants) = match &resumed {
        Some(target) => (
            target.trials,
            target.seed,
            target.max_steps,
            target.variants,
        ),
        None => (
            arguments.trials,
            arguments.seed,
            arguments.max_steps,
            arguments.variants,
        ),
    };
    if let (Some(target), Some(asked)) = (&resumed, arguments.variants)
        && target.variants != Some(asked)
    {
        return Err(UsageError(format!(
            "--variants {asked} does not match eval {}'s own ({}); --resume runs an eval with its own settings, so leave --variants out",
            target.eval.id,
            target.variants.map_or_else(|| "none".to_owned(), |count| count.to_string())
        ))
        .into());
    }
    let runs_per_scenario = u64::from(trials) * u64::from(variants.unwrap_or(1));
    if runs_per_scenario > u64::from(MAX_RUNS_PER_SCENARIO) {
        let message = format!(
            "--variants {} x --trials {trials} is {runs_per_scenario} runs per scenario; at most {MAX_RUNS_PER_SCENARIO} are allowed",
            variants.unwrap_or(1),
        );
        // The user's flags are a usage error; an eval stored with more
        // (queued on a server with a higher cap) cannot be run here.
        return Err(match &resumed {
            None => UsageError(message).into(),
            Some(target) => anyhow::anyhow!("eval {} asks for {message}", target.eval.id),
        });
    }
    let requested: Vec<String> = match &resumed {
        Some(target) => target.scenarios.clone(),
        None => arguments.scenarios.clone(),
    };
    let Some(scenarios) = scenarios(library, &requested)? else {
        return Ok(ExitCode::FAILURE);
    };
    if !checks::refuse_duplicates(&scenarios) {
        return Ok(ExitCode::FAILURE);
    }
    if !arguments.no_validate {
        let invalid = checks::report_invalid(&scenarios);
        if invalid > 0 {
            eprintln!(
                "error: {} of {} invalid; nothing was run (--no-validate runs them anyway)",
                invalid,
                output::count(scenarios.len() as u64, "scenario"),
            );
            return Ok(ExitCode::FAILURE);
        }
    }
    let jobs = arguments.jobs.map_or_else(
        || thread::available_parallelism().map_or(1, usize::from),
        |jobs| usize::try_from(jobs).unwrap_or(1),
    );
    let factory = models::agent_factory(&arguments.agent, &arguments.model, arguments.max_rps)?;
    // A resumed eval keeps its cost budget, less what its runs spent.
    let whole_budget = arguments
        .max_cost
        .or(resumed.as_ref().and_then(|target| target.max_cost));
    let max_cost = match &resumed {
        Some(target) => arguments
            .max_cost
            .or(target.max_cost)
            .map(|budget| budget - target.eval.cost_usd.unwrap_or(0.0)),
        None => arguments.max_cost,
    };
    check_cost_budget(&factory, max_cost)?;
    // Each scenario's spec, to render its variants from.
    let sources = match variants {
        Some(_) => {
            let mut sources = Vec::with_capacity(scenarios.len());
            for scenario in &scenarios {
                match VariantSource::of(scenario) {
                    Ok(source) => sources.push(source),
                    Err(error) => {
                        eprintln!("error: {}", output::escape(&error.to_string()));
                        return Ok(ExitCode::FAILURE);
                    }
                }
            }
            Some(sources)
        }
        None => None,
    };
    // Where the results go: the eval being resumed, a new eval, or nowhere.
    let (recorder, skip) = match resumed {
        Some(mut target) => {
            if target.eval.agent != factory.name() {
                anyhow::bail!(
                    "eval {} was run by agent {}; resume it with --agent {}",
                    target.eval.id,
                    target.eval.agent,
                    target.eval.agent
                );
            }
            let skip = target
                .store
                .recorded_pairs(&target.eval.id)?
                .into_iter()
                .collect();
            (
                Some(Recorder::resuming(target.store, &target.eval.id)),
                skip,
            )
        }
        None => match store::open(&arguments.store)? {
            Some(opened) => {
                let ids: Vec<&str> = scenarios.iter().map(Scenario::id).collect();
                let eval = NewEval {
                    id: store::new_eval_id(),
                    agent: factory.name(),
                    model: arguments.agent.model().map(ToString::to_string),
                    settings: eval_settings(
                        &ids,
                        trials,
                        seed,
                        max_steps,
                        arguments.max_cost,
                        variants,
                    ),
                    started_at: store::now(),
                    status: EvalStatus::Running,
                };
                (
                    Some(Recorder::new(opened, Some(&eval))?),
                    Default::default(),
                )
            }
            None => (None, Default::default()),
        },
    };
    let settings = EvalSettings {
        agent: factory,
        trials,
        seed,
        max_steps,
        max_cost,
        keep_audit: recorder.is_some(),
        skip,
        validate_variants: !arguments.no_validate,
    };
    let total = scenarios.len() as u64 * runs_per_scenario;
    let progress = progress_bar(total);
    let started = Instant::now();
    let on_done = |done: oncall_gym::eval::DoneRun<'_>| {
        if let (Some(recorder), Some((record, audit))) = (&recorder, done) {
            recorder.record(record, audit);
        }
        progress.inc(1);
    };
    let ran = match (&sources, variants) {
        (Some(sources), Some(count)) => {
            run_variant_trials(sources, count, &settings, jobs, &on_done)
        }
        _ => run_trials(&scenarios, &settings, jobs, &on_done),
    };
    let results = match ran {
        Ok(results) => results,
        Err(error) => {
            // Nothing ran: a new eval is closed as failed, not left
            // running; a resumed one is left as it was.
            if let Some(recorder) = recorder
                && arguments.resume.is_none()
            {
                let _ = recorder.finish(EvalStatus::Failed);
            }
            return Err(error.into());
        }
    };
    progress.finish_and_clear();
    let mut records = Vec::with_capacity(results.len());
    let mut failed = false;
    let mut failures = 0usize;
    let mut not_started = 0usize;
    let mut already_done = 0usize;
    for result in results {
        match result {
            TrialResult::Done(record) => records.push(*record),
            TrialResult::Failed(error) => {
                // A bad variant fails each of its trials: the first few
                // say why, the rest are counted.
                if failures < MAX_ERRORS_LISTED {
                    eprintln!("error: {}", output::escape(&error.to_string()));
                }
                failures += 1;
                failed = true;
            }
            TrialResult::NotStarted { .. } => not_started += 1,
            TrialResult::AlreadyDone { .. } => already_done += 1,
        }
    }
    let status = match (failed, not_started) {
        (true, _) => EvalStatus::Failed,
        (false, 0) => EvalStatus::Completed,
        (false, _) => EvalStatus::Stopped,
    };
    let eval_id = recorder
        .as_ref()
        .and_then(|r| r.eval_id().map(str::to_owned));
    let (mut store, store_failure) = match recorder {
        Some(recorder) => {
            let (store, failure) = recorder.finish(status)?;
            (Some(store), failure)
        }
        None => (None, None),
    };
    if failures > MAX_ERRORS_LISTED {
        eprintln!(
            "error: and {} more runs that could not be carried out",
            failures - MAX_ERRORS_LISTED
        );
    }
    if already_done > 0 {
        eprintln!(
            "resumed: {} already recorded, {} run now",
            output::count(already_done as u64, "run"),
            records.len()
        );
    }
    if failed {
        if let Some(store) = &store {
            store::report(store, eval_id.as_deref(), store_failure.as_ref());
        }
        return Ok(ExitCode::FAILURE);
    }
    let variants_part = variants.map_or_else(String::new, |count| {
        format!(" x {}", output::count(u64::from(count), "variant"))
    });
    eprintln!(
        "evaluated {} ({}{variants_part} x {}, agent {}, seed {}) on {} in {:.2} s",
        output::count(records.len() as u64, "run"),
        output::count(scenarios.len() as u64, "scenario"),
        output::count(trials, "trial"),
        settings.agent.name(),
        seed,
        output::count(jobs as u64, "thread"),
        started.elapsed().as_secs_f64()
    );
    if let Some(store) = &store {
        store::report(store, eval_id.as_deref(), store_failure.as_ref());
    }
    if let Some(path) = &arguments.out {
        write_records(path, &records)
            .with_context(|| format!("could not write {}", path.display()))?;
    }
    // A resumed eval's scorecard covers all its runs: the earlier ones from
    // the store, and this session's (whether or not the store took them).
    if already_done > 0
        && let (Some(store), Some(eval_id)) = (&mut store, &eval_id)
    {
        let mut all: std::collections::BTreeMap<(String, u32), TrialRecord> = BTreeMap::new();
        for run in store.eval_runs(eval_id)? {
            let record: TrialRecord = serde_json::from_str(&run.record).with_context(|| {
                format!(
                    "run {} of eval {eval_id} in the store is damaged",
                    run.run_id
                )
            })?;
            all.insert((record.scenario.clone(), record.trial), record);
        }
        for record in records.drain(..) {
            all.insert((record.scenario.clone(), record.trial), record);
        }
        records = all.into_values().collect();
    }
    let scores: Vec<TrialScore> = records.iter().map(TrialRecord::trial_score).collect();
    // A cost budget can stop a scenario short of its trials: pass^k then
    // uses the fewest runs any scenario has, as `scorecard` does.
    // With variants, a scenario's k is all its runs: every variant's
    // trials.
    let k = if not_started > 0 {
        fewest_runs(&scores).unwrap_or(1)
    } else {
        u32::try_from(runs_per_scenario).unwrap_or(trials)
    };
    let card = scorecard(&scores, k);
    if let Some(usage) = &card.overall.usage {
        let cost = usage.cost_usd.map_or_else(
            || "cost unknown (give --prices)".to_owned(),
            |cost| format!("${cost:.4}"),
        );
        eprintln!(
            "model: {}, {} tokens in, {} out, {cost}",
            output::count(usage.model_calls, "call"),
            usage.input_tokens,
            usage.output_tokens
        );
    }
    if arguments.json {
        output::print_json(&card)?;
    } else {
        output::print(&scorecard_table(&card, k).render())?;
    }
    if not_started > 0 {
        let spent = card
            .overall
            .usage
            .as_ref()
            .and_then(|usage| usage.cost_usd)
            .unwrap_or(0.0);
        eprintln!(
            "error: stopped at the cost budget: the runs done cost ${spent:.4} of --max-cost ${:.4}; {} of {} were not started",
            whole_budget.unwrap_or(0.0),
            not_started,
            output::count(total, "run"),
        );
        return Ok(ExitCode::FAILURE);
    }
    let errored = errored_runs(&records);
    if errored.is_empty() {
        return Ok(if store_failure.is_some() {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        });
    }
    eprintln!(
        "error: {} of {} errored (the {} agent failed):",
        errored.len(),
        output::count(records.len() as u64, "run"),
        settings.agent.name()
    );
    for line in errored.iter().take(MAX_ERRORS_LISTED) {
        eprintln!("  {line}");
    }
    if errored.len() > MAX_ERRORS_LISTED {
        eprintln!("  and {} more", errored.len() - MAX_ERRORS_LISTED);
    }
    Ok(ExitCode::FAILURE)
}

/// What an eval is recorded as run with, for `--resume` and the server's
/// workers: `variants` only when it has some, so an eval without keeps its
/// settings' old shape.
pub(crate) fn eval_settings(
    scenarios: &[&str],
    trials: u32,
    seed: u64,
    max_steps: Option<u32>,
    max_cost: Option<f64>,
    variants: Option<u32>,
) -> serde_json::Value {
    let mut settings = serde_json::json!({
        "scenarios": scenarios, "trials": trials, "seed": seed,
        "max_steps": max_steps, "max_cost": max_cost,
    });
    if let (Some(count), Some(object)) = (variants, settings.as_object_mut()) {
        object.insert("variants".to_owned(), count.into());
    }
    settings
}

/// An eval in the store to complete, with what it was run with.
struct ResumeTarget {
    store: Store,
    eval: EvalRow,
    scenarios: Vec<String>,
    trials: u32,
    seed: u64,
    max_steps: Option<u32>,
    max_cost: Option<f64>,
    variants: Option<u32>,
}

/// The eval `--resume` names, and its settings.
fn resume_target(arguments: &crate::cli::StoreArgs, prefix: &str) -> anyhow::Result<ResumeTarget> {
    if arguments.no_db {
        return Err(UsageError(
            "--resume needs the results store; it cannot go with --no-db".to_owned(),
        )
        .into());
    }
    let mut store = store::open_for_reading(arguments)?;
    let eval = store.eval(prefix)?;
    let settings = &eval.settings;
    let scenarios: Option<Vec<String>> = settings
        .get("scenarios")
        .and_then(|value| serde_json::from_value(value.clone()).ok());
    // Read back from the store, so held to the same bounds as the flags.
    let trials = settings
        .get("trials")
        .and_then(serde_json::Value::as_u64)
        .filter(|t| (1..=crate::cli::MAX_TRIALS as u64).contains(t))
        .and_then(|t| u32::try_from(t).ok());
    let seed = settings.get("seed").and_then(serde_json::Value::as_u64);
    let (Some(scenarios), Some(trials), Some(seed)) = (scenarios, trials, seed) else {
        anyhow::bail!(
            "eval {} was not made by `eval` (it was imported), so it cannot be resumed",
            eval.id
        );
    };
    let max_steps = settings
        .get("max_steps")
        .and_then(serde_json::Value::as_u64)
        .filter(|steps| (1..=crate::cli::MAX_STEPS as u64).contains(steps))
        .and_then(|steps| u32::try_from(steps).ok());
    let max_cost = settings
        .get("max_cost")
        .and_then(serde_json::Value::as_f64)
        .filter(|cost| cost.is_finite() && *cost > 0.0);
    let variants = match settings.get("variants") {
        None | Some(serde_json::Value::Null) => None,
        Some(value) => Some(
            value
                .as_u64()
                .filter(|count| (1..=u64::from(MAX_VARIANTS)).contains(count))
                .and_then(|count| u32::try_from(count).ok())
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "eval {} in the store has a damaged `variants` setting ({value}); it cannot be resumed",
                        eval.id
                    )
                })?,
        ),
    };
    Ok(ResumeTarget {
        store,
        eval,
        scenarios,
        trials,
        seed,
        max_steps,
        max_cost,
        variants,
    })
}

/// A cost budget needs a model whose price is known.
fn check_cost_budget(factory: &AgentFactory, max_cost: Option<f64>) -> anyhow::Result<()> {
    if max_cost.is_none() {
        return Ok(());
    }
    match factory {
        AgentFactory::Builtin(kind) => Err(UsageError(format!(
            "--max-cost only applies to a model agent (--agent openai:MODEL or anthropic:MODEL), not {kind}"
        ))
        .into()),
        AgentFactory::Model(models) if !models.has_price() => Err(UsageError(format!(
            "--max-cost needs the price of {}: give it with --prices FILE",
            models.name()
        ))
        .into()),
        AgentFactory::Model(_) => Ok(()),
    }
}

/// One line per run that ended in `agent_error`: which run, and why.
fn errored_runs(records: &[TrialRecord]) -> Vec<String> {
    records
        .iter()
        .filter_map(|record| match &record.termination {
            Some(TerminationReason::AgentError { message }) => Some(format!(
                "scenario {}, trial {}, seed {}: {}",
                output::escape(&record.scenario),
                record.trial,
                record.seed,
                output::escape(message)
            )),
            _ => None,
        })
        .collect()
}

/// The scenarios named, or the whole default library. `None` when some of
/// the library does not load (the errors are printed).
fn scenarios(
    library: &ScenarioLibrary,
    arguments: &[String],
) -> anyhow::Result<Option<Vec<Scenario>>> {
    let mut scenarios: Vec<Scenario> = Vec::new();
    if arguments.is_empty() {
        let broken;
        (scenarios, broken) = checks::load_default_library(library)?;
        if broken {
            eprintln!(
                "error: some scenarios in {} do not load; `oncall-gym validate` checks them",
                library.default_label()
            );
            return Ok(None);
        }
        if scenarios.is_empty() {
            anyhow::bail!("no scenarios in {}", library.default_label());
        }
    } else {
        // An id given twice is refused by the duplicate check, naming both
        // directories.
        for argument in arguments {
            scenarios.push(library.resolve(argument)?);
        }
    }
    Ok(Some(scenarios))
}

/// A progress bar on stderr when it is a terminal, hidden otherwise.
fn progress_bar(total: u64) -> ProgressBar {
    if !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} runs  {elapsed}") {
        bar.set_style(style);
    }
    bar
}

fn write_records(path: &std::path::Path, records: &[TrialRecord]) -> anyhow::Result<()> {
    let mut out = BufWriter::new(File::create(path)?);
    for record in records {
        serde_json::to_writer(&mut out, record)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}
