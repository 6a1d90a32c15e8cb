//! How an [`Episode`] drives an [`Agent`] in-process: the push loop, what
//! each kind of [`AgentError`] does to the run, and the agent's model calls,
//! which become `model_called` events in the step that was open.

use oncall_audit::{EventKind, EventSink};
use oncall_domain::{ModelCall, RunStatus, TerminationReason};

use super::{Episode, MAX_UNREADABLE_REASON_BYTES, StepRecord, cut_to_bytes};
use crate::agent::{Agent, AgentError, AgentErrorKind};
use crate::error::EngineError;
use crate::run::StepStatus;

impl<S: EventSink> Episode<S> {
    /// Drives `agent` until the episode ends: the agent decides from the
    /// context, the decision is carried out, and a tool result goes back to
    /// the agent for its analysis before it decides again. After each call
    /// the agent's model calls ([`Agent::take_model_calls`]) are recorded.
    ///
    /// What an [`AgentError`] does depends on its kind: a fatal one ends the
    /// run as `agent_error`; a step failure fails the step (the decision's,
    /// or the open tool step with no observation) and the run goes on; an
    /// exhausted budget ends the run as `budget_exhausted`. Fails only when
    /// the audit sink refuses an event.
    pub fn drive(&mut self, agent: &mut dyn Agent) -> Result<(), EngineError> {
        while !self.is_over() {
            let decided = agent.decide_next_action(&self.context());
            self.record_model_calls(agent.take_model_calls())?;
            let decision = match decided {
                Ok(decision) => decision,
                Err(error) => {
                    self.agent_error(&error, false)?;
                    continue;
                }
            };
            let outcome = self.act(decision)?;
            let Some(tool_result) = outcome.tool_result else {
                continue;
            };
            if outcome.termination.is_some() {
                break;
            }
            let analysed = agent.analyze_result(&tool_result, &self.context());
            self.record_model_calls(agent.take_model_calls())?;
            match analysed {
                Ok(analysis) => {
                    self.analyze(analysis)?;
                }
                Err(error) => self.agent_error(&error, true)?,
            }
        }
        Ok(())
    }

    /// Records a call the agent made to a language model as a
    /// `model_called` event: in the open tool step, or, when no step is
    /// open, in the next step as soon as it starts.
    pub fn record_model_call(&mut self, call: ModelCall) -> Result<(), EngineError> {
        self.refuse_if_over()?;
        match self.pending.as_ref().map(|pending| pending.number) {
            Some(number) => self.emit_model_call(number, call),
            None => {
                self.unplaced_calls.push(call);
                Ok(())
            }
        }
    }

    /// Ends the run because the agent ran out of budget: an open tool step
    /// closes first with no observation (model calls made since no step
    /// was open get a failed step of their own, so every call is in the
    /// log), then the run ends as failed with reason `budget_exhausted`.
    pub fn budget_exhausted(&mut self, message: &str) -> Result<(), EngineError> {
        self.refuse_if_over()?;
        if let Some(pending) = self.pending.take() {
            self.close_tool_step(pending, None, None)?;
            if self.is_over() {
                return Ok(());
            }
        }
        if !self.unplaced_calls.is_empty() {
            // The calls that spent the budget decided nothing, but they were
            // made and paid for: a failed step of their own records them.
            let number = self.next_step_number();
            self.run.status = RunStatus::Running;
            let started_at = self.now();
            self.start_step(number)?;
            let record = StepRecord::without_decision(number, started_at);
            let reason = format!("the agent's budget is spent: {message}");
            self.close_step(record, StepStatus::Failed { reason }, false)?;
        }
        self.end(
            TerminationReason::BudgetExhausted {
                message: message.to_owned(),
            },
            None,
        )
    }

    /// What `drive` does with an agent's error (see [`Episode::drive`]);
    /// `analysing` says whether it came from the analysis of a result.
    pub(super) fn agent_error(
        &mut self,
        error: &AgentError,
        analysing: bool,
    ) -> Result<(), EngineError> {
        match error.kind() {
            AgentErrorKind::Fatal => self.agent_failed(error),
            AgentErrorKind::BudgetExhausted => self.budget_exhausted(error.message()),
            AgentErrorKind::StepFailed if analysing => {
                if let Some(pending) = self.pending.take() {
                    let reason = format!(
                        "the agent could not analyse the result: {}",
                        cut_to_bytes(error.message(), MAX_UNREADABLE_REASON_BYTES)
                    );
                    self.close_tool_step(pending, None, Some(reason))?;
                }
                Ok(())
            }
            AgentErrorKind::StepFailed => self
                .fail_undecided_step("the agent gave no decision", error.message())
                .map(|_| ()),
        }
    }

    fn record_model_calls(&mut self, calls: Vec<ModelCall>) -> Result<(), EngineError> {
        if self.is_over() {
            return Ok(());
        }
        for call in calls {
            self.record_model_call(call)?;
        }
        Ok(())
    }

    /// Writes `step_started`, then the model calls made since the last
    /// step closed.
    pub(super) fn start_step(&mut self, number: u32) -> Result<(), EngineError> {
        self.emit(Some(number), EventKind::StepStarted)?;
        for call in std::mem::take(&mut self.unplaced_calls) {
            self.emit_model_call(number, call)?;
        }
        Ok(())
    }

    fn emit_model_call(&mut self, number: u32, call: ModelCall) -> Result<(), EngineError> {
        self.emit(Some(number), EventKind::ModelCalled { call: call.clone() })?;
        self.step_calls.push(call);
        Ok(())
    }
}
