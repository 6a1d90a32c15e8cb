//! The live trace of `run`: an [`EventSink`] that prints each event worth
//! showing as it arrives, and forwards every event to the audit file writer
//! when there is one. Text from the agent or the scenario is escaped, so
//! every event prints as the lines this module writes and no others.

use std::fmt;
use std::io::Write;

use oncall_audit::{AuditError, Event, EventKind, EventSink};

use crate::describe;
use crate::output;

/// Prints a line per interesting event to `out` (stderr, in the command)
/// and forwards every event to `next`, when given.
pub(crate) struct TraceSink<'n, W: Write> {
    out: W,
    next: Option<&'n mut (dyn EventSink + Send)>,
    count: u64,
}

impl<W: Write> fmt::Debug for TraceSink<'_, W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TraceSink")
            .field("next", &self.next)
            .field("count", &self.count)
            .finish_non_exhaustive()
    }
}

impl<'n, W: Write> TraceSink<'n, W> {
    /// A trace to `out`, forwarding to `next`.
    pub(crate) fn new(out: W, next: Option<&'n mut (dyn EventSink + Send)>) -> TraceSink<'n, W> {
        TraceSink {
            out,
            next,
            count: 0,
        }
    }
}

impl<W: Write> EventSink for TraceSink<'_, W> {
    fn append(&mut self, event: Event) -> Result<(), AuditError> {
        if let Some(line) = trace_line(&event) {
            // The trace is for people; a closed stderr must not stop the run.
            let _ = writeln!(self.out, "{line}");
        }
        if let Some(next) = self.next.as_mut() {
            next.append(event)?;
        }
        self.count += 1;
        Ok(())
    }

    fn next_sequence(&self) -> u64 {
        match &self.next {
            Some(next) => next.next_sequence(),
            None => self.count,
        }
    }

    fn end_of_step(&mut self) -> Result<(), AuditError> {
        match self.next.as_mut() {
            Some(next) => next.end_of_step(),
            None => Ok(()),
        }
    }
}

/// Indentation of the lines that continue a step.
const CONTINUED: &str = "         ";

/// The trace line for `event`, or `None` for events not worth a line.
pub(crate) fn trace_line(event: &Event) -> Option<String> {
    let step = event.step().unwrap_or(0);
    let line = match event.kind() {
        EventKind::RunStarted {
            incident,
            agent,
            seed,
            limits,
        } => format!(
            "run {} | agent {} | seed {seed} | at most {}\nalert: {} ({}): {}",
            event.run_id().as_uuid(),
            output::escape(agent),
            output::count(limits.max_steps(), "step"),
            output::escape(incident.service()),
            incident.severity().as_str(),
            describe::shorten(incident.description())
        ),
        EventKind::ToolCalled {
            tool_name, params, ..
        } => format!("step {step:>2}  {}", describe::tool_call(tool_name, params)),
        EventKind::ToolResultReceived { result } => {
            format!("{CONTINUED}-> {}", describe::tool_result(result))
        }
        EventKind::DecisionMade { decision } if decision.is_terminal() => {
            format!("step {step:>2}  {}", describe::decision(decision))
        }
        EventKind::HypothesisCreated { hypothesis } => {
            format!(
                "{CONTINUED}hypothesis: {}",
                describe::hypothesis(hypothesis)
            )
        }
        EventKind::HypothesisUpdated {
            hypothesis,
            previous_status,
            previous_confidence,
        } => {
            let mut line = format!(
                "{CONTINUED}hypothesis: {}",
                describe::hypothesis(hypothesis)
            );
            if *previous_status != hypothesis.status()
                || *previous_confidence != hypothesis.confidence()
            {
                line.push_str(&format!(
                    " (was {:.2}, {})",
                    previous_confidence.value(),
                    previous_status.as_str()
                ));
            }
            line
        }
        EventKind::StepFailed { reason } => {
            format!("{CONTINUED}step failed: {}", describe::shorten(reason))
        }
        EventKind::ModelCalled { call } => {
            format!("{CONTINUED}model: {}", describe::model_call(call))
        }
        EventKind::RunCompleted { reason, .. }
        | EventKind::RunFailed { reason, .. }
        | EventKind::RunEscalated { reason, .. } => format!(
            "run {}: {}",
            reason.final_status().as_str(),
            describe::termination(reason)
        ),
        _ => return None,
    };
    Some(line)
}

#[cfg(test)]
mod tests {
    use oncall_agents::HeuristicAgent;
    use oncall_audit::Log;
    use oncall_gym::builtin::find_builtin;
    use oncall_sim::{RunSettings, run_scenario};

    use super::*;

    #[test]
    fn the_trace_shows_calls_results_hypotheses_and_the_end_and_forwards_everything() {
        let scenario = find_builtin("latency_spike").unwrap().load().unwrap();
        let mut copy = Log::new();
        let mut printed = Vec::new();
        let outcome = {
            let mut trace = TraceSink::new(&mut printed, Some(&mut copy));
            run_scenario(
                &scenario,
                &mut HeuristicAgent::new(),
                RunSettings::default(),
                Some(&mut trace),
            )
            .unwrap()
        };
        assert_eq!(copy.events(), outcome.log.events());
        let text = String::from_utf8(printed).unwrap();
        assert!(text.starts_with("run "), "{text}");
        assert!(text.contains("step  1  "), "{text}");
        assert!(text.contains("-> ok"), "{text}");
        assert!(text.contains("hypothesis: \""), "{text}");
        assert!(text.contains("confidence"), "{text}");
        assert!(
            text.trim_end().lines().last().unwrap().starts_with("run "),
            "{text}"
        );
    }

    #[test]
    fn without_a_next_sink_the_trace_counts_sequence_numbers() {
        let mut printed = Vec::new();
        let mut trace = TraceSink::new(&mut printed, None);
        assert_eq!(trace.next_sequence(), 0);
        assert!(trace.end_of_step().is_ok());
        let scenario = find_builtin("latency_spike").unwrap().load().unwrap();
        let outcome = run_scenario(
            &scenario,
            &mut HeuristicAgent::new(),
            RunSettings::default(),
            Some(&mut trace),
        )
        .unwrap();
        // The evaluation is recorded by the runner's own log after the run.
        assert_eq!(trace.next_sequence() as usize, outcome.log.len());
    }
}
