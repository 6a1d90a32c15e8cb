//! How an [`Episode`]'s steps close, and how the episode ends: the
//! `step_completed`/`step_failed` events, the step limit, and the run's
//! final event.

use oncall_audit::{EventKind, EventSink};
use oncall_domain::{Decision, Observation, Resolution, RunStatus, TerminationReason, Timestamp};

use super::{ActionOutcome, Episode, PendingToolStep, StepRecord};
use crate::error::EngineError;
use crate::run::{Step, StepStatus};

impl<S: EventSink> Episode<S> {
    /// Closes a tool step. It fails when the tool call failed or the analysis
    /// had a problem. Returns the failure reason, if any.
    pub(super) fn close_tool_step(
        &mut self,
        pending: PendingToolStep,
        observation: Option<Observation>,
        analysis_problem: Option<String>,
    ) -> Result<Option<String>, EngineError> {
        let mut reasons = Vec::new();
        if !pending.tool_result.is_success() {
            let errors: Vec<String> = pending
                .tool_result
                .errors()
                .iter()
                .map(ToString::to_string)
                .collect();
            reasons.push(format!(
                "tool `{}` failed: {}",
                pending.tool_call.tool_name,
                errors.join("; ")
            ));
        }
        reasons.extend(analysis_problem);
        let status = if reasons.is_empty() {
            StepStatus::Completed
        } else {
            StepStatus::Failed {
                reason: reasons.join("; "),
            }
        };
        let failure = match &status {
            StepStatus::Failed { reason } => Some(reason.clone()),
            StepStatus::Completed => None,
        };
        let record = StepRecord {
            number: pending.number,
            decision: Some(pending.decision),
            tool_call: Some(pending.tool_call),
            tool_result: Some(pending.tool_result),
            observation,
            started_at: pending.started_at,
        };
        self.close_step(record, status, true)?;
        Ok(failure)
    }

    pub(super) fn close_terminal_step(
        &mut self,
        number: u32,
        decision: Decision,
        started_at: Timestamp,
        resolution: Result<(Resolution, TerminationReason), String>,
    ) -> Result<ActionOutcome, EngineError> {
        let record = StepRecord {
            number,
            decision: Some(decision),
            tool_call: None,
            tool_result: None,
            observation: None,
            started_at,
        };
        match resolution {
            Ok((resolution, termination)) => {
                self.close_step(record, StepStatus::Completed, false)?;
                self.end(termination, Some(resolution))?;
                Ok(self.closed(number, None, None))
            }
            Err(reason) => self.fail_step_without_result(record, reason),
        }
    }

    /// Writes `step_completed` or `step_failed`, advances the simulated
    /// time, records the step, and, when `enforce_limit` and the run has used
    /// its last step, ends it with `step_limit`.
    /// Closes `record` as failed for `reason` (no tool ran), enforcing the
    /// step limit, and says so to the caller.
    pub(super) fn fail_step_without_result(
        &mut self,
        record: StepRecord,
        reason: String,
    ) -> Result<ActionOutcome, EngineError> {
        let step = record.number;
        self.close_step(
            record,
            StepStatus::Failed {
                reason: reason.clone(),
            },
            true,
        )?;
        Ok(self.closed(step, None, Some(reason)))
    }

    pub(super) fn close_step(
        &mut self,
        record: StepRecord,
        status: StepStatus,
        enforce_limit: bool,
    ) -> Result<(), EngineError> {
        self.elapsed = self
            .elapsed
            .checked_add(&self.engine.config.step_duration)
            .unwrap_or(self.elapsed);
        let kind = match &status {
            StepStatus::Completed => EventKind::StepCompleted,
            StepStatus::Failed { reason } => EventKind::StepFailed {
                reason: reason.clone(),
            },
        };
        self.emit(Some(record.number), kind)?;
        self.run.steps.push(Step {
            number: record.number,
            decision: record.decision,
            tool_call: record.tool_call,
            tool_result: record.tool_result,
            observation: record.observation,
            hypothesis_after: self.run.hypothesis.clone(),
            status,
            started_at: record.started_at,
            ended_at: self.now(),
            model_calls: std::mem::take(&mut self.step_calls),
        });
        let sequence = self.engine.sink.next_sequence();
        self.engine
            .sink
            .end_of_step()
            .map_err(|source| EngineError::Audit {
                sequence,
                kind: "step_end_sync",
                source,
                run: Box::new(self.run.clone()),
            })?;
        let max_steps = self.engine.config.limits.max_steps();
        if enforce_limit && !self.is_over() && self.run.steps.len() >= max_steps as usize {
            self.end(TerminationReason::StepLimit { max_steps }, None)?;
        }
        Ok(())
    }

    pub(super) fn end(
        &mut self,
        termination: TerminationReason,
        resolution: Option<Resolution>,
    ) -> Result<(), EngineError> {
        let status = termination.final_status();
        let kind = match status {
            RunStatus::Completed => EventKind::RunCompleted {
                reason: termination.clone(),
                resolution: resolution.clone(),
            },
            RunStatus::Escalated => EventKind::RunEscalated {
                reason: termination.clone(),
                resolution: resolution.clone(),
            },
            _ => EventKind::RunFailed {
                reason: termination.clone(),
                resolution: resolution.clone(),
            },
        };
        self.emit(None, kind)?;
        self.run.status = status;
        self.run.resolution = resolution;
        self.run.termination = Some(termination);
        self.run.ended_at = Some(self.now());
        Ok(())
    }
}
