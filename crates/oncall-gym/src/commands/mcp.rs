//! `oncall-gym mcp SCENARIO [--seed N] [--max-steps N] [--audit FILE] [--out FILE] [--agent NAME] [--trial N]`:
//! one scenario episode as an MCP server on stdin and stdout.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use anyhow::Context;

use oncall_gym::eval::TrialRecord;
use oncall_gym::library::ScenarioLibrary;
use oncall_mcp::{Finished, McpEpisode, McpSettings, serve_stdio};

use crate::cli::McpArgs;
use crate::commands::checks;
use crate::describe;
use crate::output;

/// Serves the episode until the client disconnects. When the episode ends
/// (or the client goes first), appends the `--out` line and prints a
/// one-line summary on stderr. Exit 0 once the episode is judged, 1 when
/// the scenario is invalid or the run, its audit log or `--out` failed.
pub(crate) fn mcp(library: &ScenarioLibrary, arguments: &McpArgs) -> anyhow::Result<ExitCode> {
    let scenario = library.resolve(&arguments.scenario)?;
    if !arguments.no_validate && checks::report_invalid(std::slice::from_ref(&scenario)) > 0 {
        eprintln!("error: not serving it (--no-validate serves it anyway)");
        return Ok(ExitCode::FAILURE);
    }
    // Opened before the client connects, so that a bad path fails at once.
    let out = match &arguments.out {
        Some(path) => Some(open_for_append(path)?),
        None => None,
    };
    let problems: Arc<Mutex<Vec<String>>> = Arc::default();
    let started = Instant::now();
    let hook = {
        let problems = Arc::clone(&problems);
        let agent = arguments.agent.clone();
        let trial = arguments.trial;
        let out_label = arguments
            .out
            .as_ref()
            .map(|path| path.display().to_string());
        Box::new(move |ending: Result<&Finished, &str>| {
            let mut problems = problems.lock().unwrap_or_else(PoisonError::into_inner);
            let finished = match ending {
                Ok(finished) => finished,
                Err(reason) => {
                    problems.push(reason.to_owned());
                    return;
                }
            };
            eprintln!("{}", summary_line(finished, &agent));
            if let Some(audit) = &finished.audit
                && let Err(error) = &audit.head
            {
                problems.push(format!("the audit log {}: {error}", audit.path));
            }
            let record = TrialRecord::new(
                &finished.scenario,
                trial,
                &agent,
                &finished.outcome,
                started.elapsed(),
            );
            if let (Some(mut file), Some(label)) = (out, out_label)
                && let Err(error) = append_line(&mut file, &record)
            {
                problems.push(format!("could not append to {label}: {error}"));
            }
        })
    };
    let episode = McpEpisode::start(
        &scenario,
        McpSettings {
            agent: arguments.agent.clone(),
            seed: arguments.seed,
            max_steps: arguments.max_steps,
            audit: arguments.audit.clone(),
        },
    )?
    .on_finish(hook);
    eprintln!(
        "oncall-gym mcp: serving one episode of {} on stdio (agent {}, seed {}); waiting for an MCP client",
        scenario.id(),
        arguments.agent,
        arguments.seed
    );
    let summary = serve_stdio(episode)?;
    if let Some(reason) = &summary.ended_early {
        eprintln!(
            "oncall-gym mcp: the client broke off the session: {}",
            output::escape(reason)
        );
    }
    let problems = problems.lock().unwrap_or_else(PoisonError::into_inner);
    for problem in problems.iter() {
        eprintln!("error: {}", output::escape(problem));
    }
    Ok(if problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `scenario, agent A, seed N: how it ended after S steps, score X PASSED;
/// audit log F (E events, head H)`.
fn summary_line(finished: &Finished, agent: &str) -> String {
    let run = &finished.outcome.run;
    let evaluation = &finished.outcome.evaluation;
    let ending = run
        .termination()
        .map_or_else(|| run.status().as_str().to_owned(), describe::termination);
    let audit = match &finished.audit {
        Some(audit) => match &audit.head {
            Ok(head) => format!(
                "; audit log {} ({}, head {})",
                audit.path,
                output::count(head.event_count, "event"),
                head.head_hash
            ),
            Err(_) => format!("; audit log {} INCOMPLETE", audit.path),
        },
        None => String::new(),
    };
    output::escape(&format!(
        "oncall-gym mcp: {}, agent {agent}, seed {}: {ending} after {}, score {} {}{audit}",
        finished.scenario,
        run.seed(),
        output::count(run.steps().len() as u64, "step"),
        output::score(evaluation.total),
        if evaluation.passed {
            "PASSED"
        } else {
            "FAILED"
        },
    ))
}

fn open_for_append(path: &Path) -> anyhow::Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("could not open {} to append to it", path.display()))
}

/// Appends `record` as one line, in one write, so that agents appending to
/// one file at once do not tear each other's lines.
fn append_line(file: &mut File, record: &TrialRecord) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(record).map_err(std::io::Error::other)?;
    line.push(b'\n');
    file.write_all(&line)?;
    file.sync_data()
}
