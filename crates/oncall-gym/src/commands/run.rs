//! `oncall-gym run SCENARIO [--agent A] [--seed N] [--max-steps N] [--audit FILE] [--json] [--no-validate]`.

use std::fs::File;
use std::io;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use serde::Serialize;

use oncall_audit::{FsyncPolicy, JsonlWriter};
use oncall_domain::{RunStatus, TerminationReason};
use oncall_gym::library::ScenarioLibrary;
use oncall_sim::{Evaluation, RunOutcome, RunSettings, Scenario, run_scenario};

use oncall_gym::eval::TrialRecord;
use oncall_gym::models::{AgentFactory, RunUsage};

use crate::cli::RunArgs;
use crate::commands::{checks, models, score, store};
use crate::describe;
use crate::output;
use crate::table::Table;
use crate::trace::TraceSink;

/// `run --json`: one object.
#[derive(Debug, Serialize)]
struct RunReport<'a> {
    scenario: &'a str,
    agent: &'a str,
    seed: u64,
    run_id: String,
    status: RunStatus,
    termination: Option<&'a TerminationReason>,
    steps: usize,
    score: &'a Evaluation,
    /// What the run spent on a model (zero for an agent that calls none).
    usage: UsageReport,
    /// Present only with `--audit`: where the log went and its head, so a
    /// script can pin the log (`replay --expect-head`) without reading
    /// stderr.
    #[serde(skip_serializing_if = "Option::is_none")]
    audit: Option<AuditSummary>,
}

/// `run --json`'s `usage` member.
#[derive(Debug, Serialize)]
struct UsageReport {
    model_calls: u64,
    input_tokens: u64,
    output_tokens: u64,
    /// `null` when the model's price is unknown.
    cost_usd: Option<f64>,
}

/// `run --json`'s `audit` member.
#[derive(Debug, Serialize)]
struct AuditSummary {
    path: String,
    events: u64,
    head_hash: String,
}

/// Runs the agent on the scenario with a live trace on stderr, then prints
/// the score table (or JSON). A scenario `validate` rejects is not run
/// (exit 1) unless `--no-validate` says to.
pub(crate) fn run(library: &ScenarioLibrary, arguments: &RunArgs) -> anyhow::Result<ExitCode> {
    let scenario = library.resolve(&arguments.scenario)?;
    if !arguments.no_validate && checks::report_invalid(std::slice::from_ref(&scenario)) > 0 {
        eprintln!("error: not running it (--no-validate runs it anyway)");
        return Ok(ExitCode::FAILURE);
    }
    let factory = models::agent_factory(&arguments.agent, &arguments.model, None)?;
    let mut store = store::open(&arguments.store)?;
    let mut log_bytes: Option<Vec<u8>> = None;
    let mut built = factory.build(&scenario, 0, arguments.seed);
    let agent = &mut built.agent;
    let settings = RunSettings {
        seed: arguments.seed,
        max_steps: arguments.max_steps,
    };
    let started = Instant::now();
    let mut audit = None;
    let outcome = match &arguments.audit {
        Some(path) => {
            let file = File::create(path)
                .with_context(|| format!("could not create the audit log {}", path.display()))?;
            let mut writer = JsonlWriter::new(file, FsyncPolicy::EveryStep);
            let outcome = {
                let mut trace = TraceSink::new(io::stderr(), Some(&mut writer));
                run_scenario(&scenario, agent.as_mut(), settings, Some(&mut trace))
            };
            // Finish even when the run failed, so nothing recorded is lost.
            let head = writer
                .finish()
                .with_context(|| format!("could not finish the audit log {}", path.display()))?;
            let outcome = outcome?;
            eprintln!(
                "audit log: {} ({}, head {})",
                path.display(),
                output::count(head.event_count, "event"),
                head.head_hash
            );
            audit = Some(AuditSummary {
                path: path.display().to_string(),
                events: head.event_count,
                head_hash: head.head_hash,
            });
            outcome
        }
        None if store.is_some() => {
            // The store keeps the audit log even without --audit.
            let mut writer = JsonlWriter::new(Vec::new(), FsyncPolicy::AtClose);
            let outcome = {
                let mut trace = TraceSink::new(io::stderr(), Some(&mut writer));
                run_scenario(&scenario, agent.as_mut(), settings, Some(&mut trace))
            };
            log_bytes = writer.finish_into_inner().ok().map(|(_, bytes)| bytes);
            outcome?
        }
        None => {
            let mut trace = TraceSink::new(io::stderr(), None);
            run_scenario(&scenario, agent.as_mut(), settings, Some(&mut trace))?
        }
    };
    let wall_time = started.elapsed();
    eprintln!(
        "wall time: {:.1} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );
    let usage = factory.usage(outcome.run.model_usage(), built.stats.as_deref());
    let mut store_failed = false;
    if let Some(store) = &mut store {
        if let (None, Some(path), Some(summary)) = (&log_bytes, &arguments.audit, &audit) {
            log_bytes = reread_audit(path, &summary.head_hash);
        }
        let mut record = TrialRecord::new(scenario.id(), 0, &factory.name(), &outcome, wall_time);
        if let AgentFactory::Model(_) = &factory {
            record = record.with_usage(usage.clone());
        }
        match store::record_run(store, None, &record, log_bytes.as_deref()) {
            Ok(()) => eprintln!(
                "results: run {} in {} (`oncall-gym runs show {}`)",
                record.run_id,
                store.path().display(),
                record.run_id.get(..8).unwrap_or(&record.run_id)
            ),
            Err(error) => {
                eprintln!("error: the run was not recorded: {error}");
                store_failed = true;
            }
        }
    }
    if let AgentFactory::Model(_) = &factory {
        eprintln!("model: {}", describe_usage(&usage));
    }
    if arguments.json {
        output::print_json(&RunReport {
            scenario: scenario.id(),
            agent: &factory.name(),
            seed: arguments.seed,
            run_id: outcome.run.id().as_uuid().to_string(),
            status: outcome.run.status(),
            termination: outcome.run.termination(),
            steps: outcome.run.steps().len(),
            score: &outcome.evaluation,
            usage: UsageReport {
                model_calls: usage.model_calls,
                input_tokens: usage.input_tokens,
                output_tokens: usage.output_tokens,
                cost_usd: usage.cost_usd,
            },
            audit,
        })?;
    } else {
        output::print(&run_table(&scenario, &outcome).render())?;
    }
    // A run that ends because the agent itself failed is a run that
    // errored; running out of steps is not (the agent just did not
    // resolve the incident).
    if let Some(TerminationReason::AgentError { message }) = outcome.run.termination() {
        eprintln!(
            "error: the {} agent failed: {}",
            arguments.agent,
            output::escape(message)
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(if store_failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The run's identity, how it ended, and its score.
fn run_table(scenario: &Scenario, outcome: &RunOutcome) -> Table {
    let run = &outcome.run;
    let mut table = Table::new();
    table.row([
        "scenario".to_owned(),
        format!("{} ({})", scenario.id(), scenario.title()),
    ]);
    table.row(["agent", run.agent_name()]);
    table.row(["seed".to_owned(), run.seed().to_string()]);
    table.row(["run id".to_owned(), run.id().as_uuid().to_string()]);
    let ending = run
        .termination()
        .map(|reason| format!(": {}", describe::termination(reason)))
        .unwrap_or_default();
    table.row([
        "status".to_owned(),
        format!("{}{ending}", run.status().as_str()),
    ]);
    if let Some(resolution) = run.resolution() {
        table.row(["resolution".to_owned(), describe::resolution(resolution)]);
    }
    for row in score::score_rows(&outcome.evaluation) {
        table.row(row);
    }
    table
}

/// A run's model spending in one line: calls, tokens, cost, latency.
pub(crate) fn describe_usage(usage: &RunUsage) -> String {
    let cost = usage.cost_usd.map_or_else(
        || "cost unknown (give --prices)".to_owned(),
        |cost| format!("${cost:.4}"),
    );
    format!(
        "{}, {} tokens in ({} cached), {} out, {cost}, {:.0} ms waiting on the model",
        output::count(usage.model_calls, "call"),
        usage.input_tokens,
        usage.cached_tokens,
        usage.output_tokens,
        usage.model_latency_ms
    )
}

/// The audit log `run --audit` just wrote, read back for the store: only a
/// regular file, at most the reader's limit, and only when it still ends
/// at the head the writer reported (a device or a pipe is not read back).
fn reread_audit(path: &std::path::Path, head_hash: &str) -> Option<Vec<u8>> {
    let limits = oncall_audit::ReadLimits::default();
    let metadata = std::fs::metadata(path).ok()?;
    if !metadata.is_file() || metadata.len() > limits.max_file_bytes {
        return None;
    }
    let bytes = std::fs::read(path).ok()?;
    let verified = oncall_audit::read_chain_with_limits(&bytes, Some(head_hash), &limits).ok()?;
    verified.warnings().is_empty().then_some(bytes)
}
