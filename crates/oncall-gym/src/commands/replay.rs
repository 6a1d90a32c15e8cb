//! `oncall-gym replay AUDIT.jsonl [--at-step N] [--scenario S] [--expect-head HASH] [--json]`;
//! `-` reads the log from stdin (`oncall-gym runs export ID | oncall-gym replay -`).

use std::io::Read;
use std::process::ExitCode;

use anyhow::anyhow;
use serde::Serialize;

use oncall_audit::{
    ChainError, InvestigationState, ReadLimits, Replay, ReplayedStep, StepStatus, VerifiedLog,
    read_chain_file, read_chain_with_limits, replay as replay_events,
};
use oncall_gym::library::ScenarioLibrary;
use oncall_sim::Evaluation;

use crate::cli::ReplayArgs;
use crate::commands::score::score_rows;
use crate::describe;
use crate::output;
use crate::table::Table;

/// `replay --json`.
#[derive(Debug, Serialize)]
struct ReplayReport<'a> {
    file: String,
    events: u64,
    head_hash: &'a str,
    warnings: Vec<String>,
    /// The step shown, when `--at-step` was given.
    at_step: Option<u32>,
    state: InvestigationState,
    /// The last evaluation the log records.
    recorded_evaluation: Option<&'a serde_json::Value>,
    /// The evaluation against `--scenario`.
    evaluation: Option<&'a Evaluation>,
}

/// Verifies the log, replays it, and prints the timeline or a step's state,
/// and the re-scoring when asked.
pub(crate) fn replay(
    library: &ScenarioLibrary,
    arguments: &ReplayArgs,
) -> anyhow::Result<ExitCode> {
    let path = &arguments.audit;
    let limits = ReadLimits::default();
    let verified = if path.as_os_str() == "-" {
        // `-` is stdin, read up to the same limit as a file.
        let mut bytes = Vec::new();
        std::io::stdin()
            .lock()
            .take(limits.max_file_bytes.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|error| anyhow!("could not read the audit log from stdin: {error}"))?;
        read_chain_with_limits(&bytes, arguments.expect_head.as_deref(), &limits)
            .map_err(|error| anyhow!("stdin: {error}"))?
    } else {
        read_chain_file(path, arguments.expect_head.as_deref(), &limits).map_err(|error| {
            match error {
                // It already names the file.
                ChainError::Io { .. } => anyhow!("{error}"),
                _ => anyhow!("{}: {error}", path.display()),
            }
        })?
    };
    present(library, arguments, &verified)
}

/// Replays a verified log and prints it as `replay` does; `arguments.audit`
/// names it in messages (a file, or a run in the store).
pub(crate) fn present(
    library: &ScenarioLibrary,
    arguments: &ReplayArgs,
    verified: &VerifiedLog,
) -> anyhow::Result<ExitCode> {
    let path = &arguments.audit;
    let mut warnings: Vec<String> = verified
        .warnings()
        .iter()
        .map(ToString::to_string)
        .collect();
    for warning in &warnings {
        eprintln!("warning: {}: {warning}", path.display());
    }
    let replayed = replay_events(verified.events())
        .map_err(|error| anyhow!("{}: not a well-formed run: {error}", path.display()))?;
    // The chain cannot tell a log cut at a line boundary from a whole one;
    // a run with no ending event is the sign to look for.
    let unfinished = replayed.outcome().is_none();
    let mut late_warnings = Vec::new();
    if unfinished {
        late_warnings.push(no_ending_warning(
            verified.event_count(),
            arguments.expect_head.is_some(),
        ));
        if arguments.scenario.is_some() {
            late_warnings.push(UNFINISHED_SCORE_WARNING.to_owned());
        }
    }
    for warning in late_warnings {
        eprintln!("warning: {}: {warning}", path.display());
        warnings.push(warning);
    }
    let state = match arguments.at_step {
        Some(step) => replayed.state_at(step).ok_or_else(|| {
            anyhow!(
                "{}: the run has no step {step} (its steps are {})",
                path.display(),
                step_range(&replayed)
            )
        })?,
        None => replayed.final_state(),
    };
    let evaluation = match &arguments.scenario {
        Some(name) => {
            let scenario = library.resolve(name)?;
            let spec = scenario.incident_spec();
            let incident = replayed.incident();
            if incident.service() != spec.service
                || incident.description() != spec.description
                || incident.created_at() != spec.created_at
            {
                anyhow::bail!(
                    "{}: the log's incident ({} at {}) is not scenario `{}`'s ({} at {}); re-scoring it there would mean nothing",
                    path.display(),
                    incident.service(),
                    incident.created_at().to_rfc3339(),
                    scenario.id(),
                    spec.service,
                    spec.created_at.to_rfc3339()
                );
            }
            Some(scenario.evaluate_events(verified.events()))
        }
        None => None,
    };
    let recorded = replayed.evaluations().last();
    if let (Some(evaluation), Some(recorded)) = (&evaluation, recorded) {
        let same = serde_json::from_value::<Evaluation>(recorded.clone())
            .is_ok_and(|recorded| recorded == *evaluation);
        if !same {
            eprintln!("note: the new score differs from the one recorded in the log");
        }
    }
    if arguments.json {
        output::print_json(&ReplayReport {
            file: path.display().to_string(),
            events: verified.event_count(),
            head_hash: verified.head_hash(),
            warnings,
            at_step: arguments.at_step,
            state,
            recorded_evaluation: recorded,
            evaluation: evaluation.as_ref(),
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    let pinned = if arguments.expect_head.is_some() {
        "verified to the expected head"
    } else {
        "verified up to its last line, which only --expect-head can check"
    };
    let mut text = format!(
        "{}: {}, hash chain {pinned} (head {})\n",
        path.display(),
        output::count(verified.event_count(), "event"),
        verified.head_hash()
    );
    text.push_str(&format!(
        "run {} | agent {} | seed {} | {} ({}): {}\n\n",
        replayed.run_id().as_uuid(),
        output::escape(replayed.agent()),
        replayed.seed(),
        output::escape(replayed.incident().service()),
        replayed.incident().severity().as_str(),
        describe::shorten(replayed.incident().description())
    ));
    match arguments.at_step {
        Some(step) => text.push_str(&state_text(step, &state, replayed.steps().len())),
        None => text.push_str(&timeline(&replayed)),
    }
    if let Some(total) = recorded
        .and_then(|value| value.get("total"))
        .and_then(serde_json::Value::as_f64)
    {
        text.push_str(&format!("\nrecorded score: {}\n", output::score(total)));
    }
    if let (Some(evaluation), Some(scenario)) = (&evaluation, &arguments.scenario) {
        if unfinished {
            text.push_str(&format!(
                "\nre-scored against {} as an UNFINISHED run (the log has no ending event; this is not the score of a finished run):\n",
                output::escape(scenario)
            ));
        } else {
            text.push_str(&format!(
                "\nre-scored against {}:\n",
                output::escape(scenario)
            ));
        }
        let mut table = Table::new();
        for row in score_rows(evaluation) {
            table.row(row);
        }
        text.push_str(&table.render());
    }
    output::print(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// The JSON `warnings` entry (and stderr warning) when `--scenario`
/// re-scores a run that has not ended.
const UNFINISHED_SCORE_WARNING: &str =
    "the evaluation is the score of an unfinished run: the log has no ending event";

/// The warning for a run with no ending event, after the log's
/// `events` lines.
fn no_ending_warning(events: u64, pinned: bool) -> String {
    if pinned {
        format!(
            "line {events}: the log ends at the expected head, but the run has no ending event (run_completed, run_failed or run_escalated): the run did not finish"
        )
    } else {
        format!(
            "line {events}: the run has no ending event (run_completed, run_failed or run_escalated): the log may have been cut at a line boundary; pin its head with --expect-head to tell"
        )
    }
}

fn step_range(replayed: &Replay) -> String {
    match (replayed.steps().first(), replayed.steps().last()) {
        (Some(first), Some(last)) => format!("{} to {}", first.number, last.number),
        _ => "none".to_owned(),
    }
}

/// One block per step, then how the run ended.
fn timeline(replayed: &Replay) -> String {
    let mut text = String::new();
    for step in replayed.steps() {
        text.push_str(&step_text(step));
    }
    match replayed.outcome() {
        Some(outcome) => {
            text.push_str(&format!(
                "run {}: {}\n",
                outcome.status.as_str(),
                describe::termination(&outcome.reason)
            ));
            if let Some(resolution) = &outcome.resolution {
                text.push_str(&format!(
                    "resolution: {}\n",
                    describe::resolution(resolution)
                ));
            }
        }
        None => text.push_str("the log ends before the run does\n"),
    }
    text
}

fn step_text(step: &ReplayedStep) -> String {
    let what = match (&step.tool_call, &step.decision) {
        (Some(call), _) => describe::tool_call(&call.tool_name, &call.params),
        (None, Some(decision)) => describe::decision(decision),
        (None, None) => "no decision".to_owned(),
    };
    let mut text = format!("step {:>2}  {what}\n", step.number);
    for call in &step.model_calls {
        text.push_str(&format!("         model: {}\n", describe::model_call(call)));
    }
    if let Some(result) = &step.result {
        text.push_str(&format!("         -> {}\n", describe::tool_result(result)));
    }
    if let Some(observation) = &step.observation {
        text.push_str(&format!(
            "         observed: {}\n",
            describe::shorten(observation.summary())
        ));
    }
    if let Some(hypothesis) = &step.hypothesis_after {
        text.push_str(&format!(
            "         hypothesis: {}\n",
            describe::hypothesis(hypothesis)
        ));
    }
    match &step.status {
        StepStatus::Completed => {}
        StepStatus::Failed { reason } => {
            text.push_str(&format!(
                "         step failed: {}\n",
                describe::shorten(reason)
            ));
        }
        StepStatus::InProgress => text.push_str("         (the log ends inside this step)\n"),
    }
    text
}

/// The investigation at the end of step `step`, or as far as the log goes
/// when it ends inside the step.
fn state_text(step: u32, state: &InvestigationState, steps: usize) -> String {
    let mut table = Table::new();
    let incomplete = state
        .steps
        .last()
        .is_some_and(|last| last.status == StepStatus::InProgress);
    table.row([
        "at".to_owned(),
        if incomplete {
            format!(
                "step {step} of {steps}, INCOMPLETE: the log ends inside it (it has no step_completed or step_failed)"
            )
        } else {
            format!("the end of step {step} of {steps}")
        },
    ]);
    table.row(["status", state.status.as_str()]);
    table.row([
        "hypothesis".to_owned(),
        state
            .hypothesis
            .as_ref()
            .map_or_else(|| "none".to_owned(), describe::hypothesis),
    ]);
    table.row([
        "revisions".to_owned(),
        state.hypothesis_history.len().to_string(),
    ]);
    table.row([
        "observations".to_owned(),
        state.observations.len().to_string(),
    ]);
    let mut text = table.render();
    for (index, observation) in state.observations.iter().enumerate() {
        text.push_str(&format!(
            "  {:>2}. {}\n",
            index + 1,
            describe::shorten(observation.summary())
        ));
    }
    if let Some(last) = state.steps.last() {
        text.push_str("\nlast step:\n");
        text.push_str(&step_text(last));
    }
    text
}
