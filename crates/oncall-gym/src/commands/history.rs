//! The results store's commands: `evals list|show`, `runs
//! list|show|export`, and `import`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use oncall_audit::{ReadLimits, read_chain, read_chain_with_limits};
use oncall_gym::eval::TrialRecord;
use oncall_gym::library::ScenarioLibrary;
use oncall_gym::scorecard::{TrialScore, fewest_runs, scorecard};
use oncall_store::{EvalRow, EvalStatus, NewEval, RunFilter, RunRow, Store};

use crate::cli::{EvalsCommand, ReplayArgs, RunsCommand, StoreArgs};
use crate::commands::replay;
use crate::commands::scorecard::scorecard_table;
use crate::commands::store;
use crate::output;
use crate::table::Table;

/// `evals list|show`.
pub(crate) fn evals(command: &EvalsCommand, arguments: &StoreArgs) -> anyhow::Result<ExitCode> {
    let mut store = store::open_for_reading(arguments)?;
    match command {
        EvalsCommand::List { json } => {
            let evals = store.evals()?;
            if *json {
                output::print_json(&evals)?;
            } else if evals.is_empty() {
                eprintln!("no evals in {}", store.path().display());
            } else {
                output::print(&evals_table(&evals).render())?;
            }
            Ok(ExitCode::SUCCESS)
        }
        EvalsCommand::Show { id, json } => {
            let eval = store.eval(id)?;
            let records = eval_records(&mut store, &eval)?;
            if records.is_empty() {
                anyhow::bail!("eval {} has no runs", eval.id);
            }
            let scores: Vec<TrialScore> = records.iter().map(TrialRecord::trial_score).collect();
            let k = eval_k(&eval, &scores);
            let card = scorecard(&scores, k);
            eprintln!(
                "eval {} ({}, agent {}, {}, started {})",
                eval.id,
                eval.status.as_str(),
                output::escape(&eval.agent),
                output::count(eval.runs, "run"),
                eval.started_at
            );
            if *json {
                output::print_json(&card)?;
            } else {
                output::print(&scorecard_table(&card, k).render())?;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `runs list|show|export`.
pub(crate) fn runs(
    library: &ScenarioLibrary,
    command: &RunsCommand,
    arguments: &StoreArgs,
) -> anyhow::Result<ExitCode> {
    let mut store = store::open_for_reading(arguments)?;
    match command {
        RunsCommand::List {
            eval,
            scenario,
            agent,
            limit,
            json,
        } => {
            let filter = RunFilter {
                eval_id: store.eval_id(eval.as_deref())?,
                scenario: scenario.clone(),
                agent: agent.clone(),
                limit: *limit,
            };
            let runs = store.runs(&filter)?;
            if *json {
                output::print_json(&runs)?;
            } else if runs.is_empty() {
                eprintln!("no runs in {} match", store.path().display());
            } else {
                output::print(&runs_table(&runs).render())?;
            }
            Ok(ExitCode::SUCCESS)
        }
        RunsCommand::Show { run_id, eval, json } => {
            let run = store.run_in(run_id, eval.as_deref())?;
            let bytes = audit_log(&mut store, &run)?;
            let verified = read_chain(&bytes, run.head_hash.as_deref())
                .map_err(|error| anyhow::anyhow!("run {} in the store: {error}", run.run_id))?;
            let arguments = ReplayArgs {
                audit: PathBuf::from(format!("run {}", run.run_id)),
                at_step: None,
                scenario: None,
                expect_head: run.head_hash.clone(),
                json: *json,
            };
            replay::present(library, &arguments, &verified)
        }
        RunsCommand::Export { run_id, eval, out } => {
            let run = store.run_in(run_id, eval.as_deref())?;
            let bytes = audit_log(&mut store, &run)?;
            match out {
                Some(path) => std::fs::write(path, &bytes)
                    .with_context(|| format!("could not write {}", path.display()))?,
                None => {
                    let mut stdout = std::io::stdout().lock();
                    stdout.write_all(&bytes)?;
                    stdout.flush()?;
                }
            }
            eprintln!(
                "run {}: {} (head {})",
                run.run_id,
                output::count(run.event_count, "event"),
                run.head_hash.as_deref().unwrap_or("none")
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `import FILE...`: each file is an audit log (its first line has `prev`)
/// or a file of `eval --out` lines. An `--out` file becomes one imported
/// eval; an audit log is stored as a run of no eval, re-scored against the
/// scenario whose incident it holds. Exit 1 when a file could not be
/// imported (the others still are; nothing stored is changed).
pub(crate) fn import(
    library: &ScenarioLibrary,
    files: &[PathBuf],
    arguments: &StoreArgs,
) -> anyhow::Result<ExitCode> {
    let Some(mut store) = store::open(arguments)? else {
        anyhow::bail!("import needs a results store; it cannot go with --no-db");
    };
    let mut failed = false;
    for file in files {
        let result = first_line(file).and_then(|line| {
            if line.contains("\"prev\":") {
                import_audit_log(library, &mut store, file)
            } else {
                import_records(&mut store, file)
            }
        });
        match result {
            Ok(summary) => eprintln!("imported {}: {summary}", file.display()),
            Err(error) => {
                eprintln!(
                    "error: {}: {}",
                    file.display(),
                    output::escape(&format!("{error:#}"))
                );
                failed = true;
            }
        }
    }
    eprintln!("results store: {}", store.path().display());
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn import_audit_log(
    library: &ScenarioLibrary,
    store: &mut Store,
    file: &Path,
) -> anyhow::Result<String> {
    // Read once: the bytes checked are the bytes stored.
    let limits = ReadLimits::default();
    let metadata = std::fs::metadata(file)?;
    if !metadata.is_file() || metadata.len() > limits.max_file_bytes {
        anyhow::bail!(
            "not a regular file of at most {} bytes",
            limits.max_file_bytes
        );
    }
    let bytes = std::fs::read(file)?;
    let verified = read_chain_with_limits(&bytes, None, &limits)?;
    if !verified.warnings().is_empty() {
        anyhow::bail!("its last line is torn; only whole logs are imported");
    }
    let replayed = oncall_audit::replay(verified.events())
        .map_err(|error| anyhow::anyhow!("not a well-formed run: {error}"))?;
    let incident = replayed.incident();
    let (scenarios, _) = crate::commands::checks::load_default_library(library)?;
    let scenario = scenarios
        .iter()
        .find(|scenario| {
            let spec = scenario.incident_spec();
            spec.service == incident.service()
                && spec.description == incident.description()
                && spec.created_at == incident.created_at()
        })
        .ok_or_else(|| {
            anyhow::anyhow!(
                "its incident is no scenario's in {}",
                library.default_label()
            )
        })?;
    let outcome = replayed.outcome().ok_or_else(|| {
        anyhow::anyhow!("the run has no ending event; only finished runs are imported")
    })?;
    let record = TrialRecord {
        scenario: scenario.id().to_owned(),
        trial: 0,
        seed: replayed.seed(),
        // An audit log does not say which rendering it ran on.
        variant: None,
        agent: replayed.agent().to_owned(),
        run_id: replayed.run_id().as_uuid().to_string(),
        status: outcome.status,
        termination: Some(outcome.reason.clone()),
        steps: u32::try_from(replayed.steps().len()).unwrap_or(u32::MAX),
        wall_time_ms: 0.0,
        score: scenario.evaluate_events(verified.events()),
        usage: None,
    };
    store::record_run(store, None, &record, Some(&bytes))?;
    Ok(format!(
        "run {} of {} ({})",
        record.run_id,
        record.scenario,
        output::count(verified.event_count(), "event")
    ))
}

fn import_records(store: &mut Store, file: &Path) -> anyhow::Result<String> {
    let mut records = Vec::new();
    crate::commands::scorecard::read_records(file, &mut records)?;
    let Some(first) = records.first() else {
        anyhow::bail!("it holds no runs");
    };
    // One eval holds a (scenario, trial) pair once: refuse the file before
    // storing any of it.
    let mut pairs = std::collections::BTreeSet::new();
    for record in &records {
        if !pairs.insert((record.scenario.as_str(), record.trial)) {
            anyhow::bail!(
                "it holds trial {} of `{}` twice (an eval holds each pair once; give repeated runs distinct --trial numbers); nothing was imported",
                record.trial,
                record.scenario
            );
        }
    }
    let eval = NewEval {
        id: store::new_eval_id(),
        agent: first.agent.clone(),
        model: None,
        settings: serde_json::json!({"imported_from": file.display().to_string()}),
        started_at: store::now(),
        status: EvalStatus::Running,
    };
    store.create_eval(&eval)?;
    for record in &records {
        if let Err(error) = store::record_run(store, Some(&eval.id), record, None) {
            let _ = store.finish_eval(&eval.id, EvalStatus::Failed, &store::now());
            return Err(error.into());
        }
    }
    store.finish_eval(&eval.id, EvalStatus::Imported, &store::now())?;
    Ok(format!(
        "eval {} ({})",
        eval.id,
        output::count(records.len() as u64, "run")
    ))
}

fn first_line(file: &Path) -> anyhow::Result<String> {
    use std::io::{BufRead, BufReader, Read};
    let handle = std::fs::File::open(file).with_context(|| "could not open it".to_owned())?;
    let mut line = String::new();
    BufReader::new(handle.take(1024 * 1024))
        .read_line(&mut line)
        .with_context(|| "could not read it".to_owned())?;
    Ok(line)
}

fn audit_log(store: &mut Store, run: &RunRow) -> anyhow::Result<Vec<u8>> {
    store.audit_log(run)?.ok_or_else(|| {
        anyhow::anyhow!(
            "run {} has no audit log in the store (it was imported from an --out line)",
            run.run_id
        )
    })
}

/// The eval's runs, as the `eval --out` lines they were.
pub(crate) fn eval_records(store: &mut Store, eval: &EvalRow) -> anyhow::Result<Vec<TrialRecord>> {
    records_of(&store.eval_runs(&eval.id)?)
}

/// Stored runs as the `eval --out` lines they were.
pub(crate) fn records_of(runs: &[RunRow]) -> anyhow::Result<Vec<TrialRecord>> {
    runs.iter()
        .map(|run| {
            serde_json::from_str(&run.record)
                .with_context(|| format!("run {} in the store is damaged", run.run_id))
        })
        .collect()
}

/// k for an eval's pass^k: its runs per scenario (trials, times variants
/// when it has some), or the fewest runs a scenario has when it stopped
/// short.
pub(crate) fn eval_k(eval: &EvalRow, scores: &[TrialScore]) -> u32 {
    let fewest = fewest_runs(scores).unwrap_or(1);
    let setting = |name: &str| eval.settings.get(name).and_then(serde_json::Value::as_u64);
    let variants = setting("variants").unwrap_or(1).max(1);
    setting("trials")
        .map(|trials| trials.saturating_mul(variants))
        .and_then(|runs| u32::try_from(runs).ok())
        .map_or(fewest, |runs| runs.min(fewest))
}

fn evals_table(evals: &[EvalRow]) -> Table {
    let mut table = Table::with_header([
        "eval",
        "started",
        "agent",
        "status",
        "runs",
        "pass rate",
        "mean score",
        "tokens",
        "cost",
    ])
    .right_align(&[4, 5, 6, 7, 8]);
    for eval in evals {
        let pass_rate = if eval.runs == 0 {
            0.0
        } else {
            eval.passed as f64 / eval.runs as f64
        };
        table.row([
            eval.id.get(..8).unwrap_or(&eval.id).to_owned(),
            eval.started_at
                .get(..19)
                .unwrap_or(&eval.started_at)
                .replace('T', " "),
            output::escape(&eval.agent),
            eval.status.as_str().to_owned(),
            eval.runs.to_string(),
            output::score(pass_rate),
            output::score(eval.mean_score),
            if eval.tokens == 0 {
                "-".to_owned()
            } else {
                eval.tokens.to_string()
            },
            eval.cost_usd
                .map_or_else(|| "-".to_owned(), |cost| format!("${cost:.4}")),
        ]);
    }
    table
}

fn runs_table(runs: &[RunRow]) -> Table {
    let mut table = Table::with_header([
        "run", "eval", "scenario", "trial", "agent", "status", "steps", "score", "passed", "events",
    ])
    .right_align(&[3, 6, 7, 9]);
    for run in runs {
        table.row([
            output::escape(run.run_id.get(..8).unwrap_or(&run.run_id)),
            run.eval_id
                .as_deref()
                .map_or("-", |eval| eval.get(..8).unwrap_or(eval))
                .to_owned(),
            output::escape(&run.scenario),
            run.trial.to_string(),
            output::escape(&run.agent),
            run.termination
                .clone()
                .unwrap_or_else(|| run.status.clone()),
            run.steps.to_string(),
            output::score(run.score),
            if run.passed { "yes" } else { "no" }.to_owned(),
            run.event_count.to_string(),
        ]);
    }
    table
}
