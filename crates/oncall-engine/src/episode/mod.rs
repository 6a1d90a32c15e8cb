//! [`Episode`]: one run, driven one decision at a time. This is the engine's
//! only implementation of the rules; [`Engine::run`](crate::Engine::run) is a
//! loop over it.
//!
//! This file holds the protocol (`act`, `analyze`, `agent_failed`,
//! `abandon`, `finish`) and the plumbing every step uses (time, tool calls,
//! events). `analysis.rs` turns an [`Analysis`] into an observation and a
//! hypothesis change; `closing.rs` closes steps, enforces the step limit and
//! ends the run.

mod analysis;
mod closing;
mod driving;

use chrono::Duration;

use oncall_audit::{Event, EventKind, EventSink, ToolCall};
use oncall_domain::{
    CallId, Decision, EventId, Incident, ModelCall, Observation, RunId, RunStatus,
    TerminationReason, Timestamp, ToolResult,
};
use oncall_tools::ToolContext;

use crate::agent::{AgentContext, AgentError, Analysis};
use crate::decision_rules::{oversized_analysis, oversized_decision, resolve};
use crate::engine::Engine;
use crate::error::EngineError;
use crate::run::{Run, StepStatus};

/// What the caller learns from one action: the step it belonged to, the
/// tool result (for a tool call, which then awaits [`Episode::analyze`]),
/// why the step failed if it did, and why the episode ended if it has.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionOutcome {
    /// The step's number, from 1.
    pub step: u32,
    /// What the tool returned, for a `call_tool` decision.
    pub tool_result: Option<ToolResult>,
    /// Why the step failed, when it did and has been closed.
    pub step_failure: Option<String>,
    /// Why the episode ended, when it has.
    pub termination: Option<TerminationReason>,
}

/// One run in progress, driven from outside.
///
/// The protocol: read [`Episode::context`], pass a [`Decision`] to
/// [`Episode::act`]. For a tool call, the outcome carries the result, and
/// the step stays open until [`Episode::analyze`] is given an [`Analysis`];
/// acting again without one closes the step with no observation. Stop when
/// [`Episode::is_over`], then [`Episode::finish`] for the [`Run`].
///
/// An episode owns its engine (whose sink may itself be a borrow, as
/// [`Engine::start`] gives), so an episode over an owned sink is `'static`
/// and, with a `Send` sink, `Send`.
#[derive(Debug)]
pub struct Episode<S: EventSink> {
    engine: Engine<S>,
    run: Run,
    pending: Option<PendingToolStep>,
    elapsed: Duration,
    /// Model calls of the open step, recorded; they go into its [`Step`].
    step_calls: Vec<ModelCall>,
    /// Model calls made while no step was open, recorded with the next.
    unplaced_calls: Vec<ModelCall>,
}

impl<S: EventSink> Episode<S> {
    pub(crate) fn begin(
        engine: Engine<S>,
        run_id: RunId,
        incident: Incident,
        agent_name: String,
    ) -> Result<Episode<S>, EngineError> {
        let started_at = engine.config.clock.now();
        let run = Run {
            id: run_id,
            incident,
            agent_name,
            seed: engine.config.seed,
            limits: engine.config.limits,
            steps: Vec::new(),
            observations: Vec::new(),
            hypothesis: None,
            hypothesis_history: Vec::new(),
            status: RunStatus::Started,
            resolution: None,
            termination: None,
            started_at,
            ended_at: None,
        };
        let mut episode = Episode {
            engine,
            run,
            pending: None,
            elapsed: Duration::zero(),
            step_calls: Vec::new(),
            unplaced_calls: Vec::new(),
        };
        let kind = EventKind::RunStarted {
            incident: episode.run.incident.clone(),
            agent: episode.run.agent_name.clone(),
            seed: episode.run.seed,
            limits: episode.run.limits,
        };
        episode.emit(None, kind)?;
        Ok(episode)
    }

    /// What the agent may see now.
    pub fn context(&self) -> AgentContext<'_> {
        let step_number = match &self.pending {
            Some(pending) => pending.number,
            None => self.next_step_number(),
        };
        AgentContext {
            incident: &self.run.incident,
            observations: &self.run.observations,
            hypothesis: self.run.hypothesis.as_ref(),
            step_number,
            steps_remaining: self
                .engine
                .config
                .limits
                .max_steps()
                .saturating_sub(step_number),
            tools: &self.engine.catalogue,
        }
    }

    /// Whether the run has ended.
    pub fn is_over(&self) -> bool {
        self.run.termination.is_some()
    }

    /// The run as it stands.
    pub fn run(&self) -> &Run {
        &self.run
    }

    /// Carries out `decision` as the next step.
    ///
    /// - `call_tool` runs the tool through the registry's one call path and
    ///   returns its result; the step stays open for [`Episode::analyze`],
    ///   except on the run's last step, which closes at once (no analysis)
    ///   and ends the run with `step_limit`: nothing can follow it. An
    ///   unknown tool or invalid parameters give a failed result, which the
    ///   agent sees; the step will be recorded as failed, and the run goes on.
    /// - `propose_mitigation` with a valid confidence, and a non-blank
    ///   mitigation or at least one action, ends the run as completed.
    ///   Otherwise the step fails with the validation error and the run
    ///   goes on. A structured answer is recorded as given; the grader
    ///   judges its names.
    /// - `escalate` with a non-blank reason, and a non-blank target or team,
    ///   ends the run as escalated. Otherwise the step fails and the run
    ///   goes on.
    ///
    /// When a step closes and the run has used all its steps without ending,
    /// it ends as failed with reason `step_limit`.
    pub fn act(&mut self, decision: Decision) -> Result<ActionOutcome, EngineError> {
        self.refuse_if_over()?;
        self.close_without_analysis()?;
        self.refuse_if_over()?;
        let number = self.next_step_number();
        self.run.status = RunStatus::Running;
        let started_at = self.now();
        self.start_step(number)?;
        if let Some(reason) = oversized_decision(&decision) {
            // Refused before it is recorded, so an agent cannot flood the
            // audit log: the step holds no decision, only the reason.
            let record = StepRecord::without_decision(number, started_at);
            return self.fail_step_without_result(record, reason);
        }
        self.emit(
            Some(number),
            EventKind::DecisionMade {
                decision: decision.clone(),
            },
        )?;
        match &decision {
            Decision::CallTool {
                tool_name, params, ..
            } => {
                let tool_call = ToolCall {
                    tool_name: tool_name.clone(),
                    call_id: CallId::generate(&*self.engine.config.ids),
                    params: serde_json::Value::Object(params.clone()),
                };
                self.emit(
                    Some(number),
                    EventKind::ToolCalled {
                        tool_name: tool_call.tool_name.clone(),
                        call_id: tool_call.call_id,
                        params: tool_call.params.clone(),
                    },
                )?;
                let tool_result = self.call_tool(&tool_call);
                self.emit(
                    Some(number),
                    EventKind::ToolResultReceived {
                        result: tool_result.clone(),
                    },
                )?;
                self.pending = Some(PendingToolStep {
                    number,
                    decision: decision.clone(),
                    tool_call,
                    tool_result: tool_result.clone(),
                    started_at,
                });
                // A tool call on the last step ends the run with its result:
                // no decision can follow, so no analysis is awaited.
                let step_failure = if number >= self.engine.config.limits.max_steps() {
                    self.close_without_analysis()?
                        .and_then(|closed| closed.step_failure)
                } else {
                    None
                };
                Ok(self.closed(number, Some(tool_result), step_failure))
            }
            Decision::ProposeMitigation { .. } | Decision::Escalate { .. } => {
                let resolution = resolve(&decision);
                self.close_terminal_step(number, decision.clone(), started_at, resolution)
            }
        }
    }

    /// Records that the agent sent something that is not a decision (an
    /// outside driver's unreadable action): the next step fails with
    /// `reason`, cut to [`MAX_UNREADABLE_REASON_BYTES`], and records no
    /// decision, so the step limit still bounds a confused agent. An open
    /// tool step closes first with no observation, as for [`Episode::act`].
    pub fn act_unreadable(&mut self, reason: &str) -> Result<ActionOutcome, EngineError> {
        self.fail_undecided_step("the action is not a decision", reason)
    }

    /// Fails the next step, which records no decision, with `what: reason`
    /// (`reason` cut to [`MAX_UNREADABLE_REASON_BYTES`]). An open tool step
    /// closes first with no observation; the step limit applies.
    pub(super) fn fail_undecided_step(
        &mut self,
        what: &str,
        reason: &str,
    ) -> Result<ActionOutcome, EngineError> {
        self.refuse_if_over()?;
        self.close_without_analysis()?;
        self.refuse_if_over()?;
        let number = self.next_step_number();
        self.run.status = RunStatus::Running;
        let started_at = self.now();
        self.start_step(number)?;
        let record = StepRecord::without_decision(number, started_at);
        let reason = format!(
            "{what}: {}",
            cut_to_bytes(reason, MAX_UNREADABLE_REASON_BYTES)
        );
        self.fail_step_without_result(record, reason)
    }

    /// Refuses the analysis an outside driver sent for the open tool step,
    /// because it could not be read: the step closes as failed with
    /// `reason` (cut to [`MAX_UNREADABLE_REASON_BYTES`]) and no observation,
    /// so the agent learns why and the run goes on. Returns that step's
    /// outcome, or `None` when no tool step is open.
    pub fn refuse_analysis(&mut self, reason: &str) -> Result<Option<ActionOutcome>, EngineError> {
        self.refuse_if_over()?;
        let Some(pending) = self.pending.take() else {
            return Ok(None);
        };
        let step = pending.number;
        let reason = format!(
            "the analysis was refused: {}",
            cut_to_bytes(reason, MAX_UNREADABLE_REASON_BYTES)
        );
        let step_failure = self.close_tool_step(pending, None, Some(reason))?;
        Ok(Some(self.closed(step, None, step_failure)))
    }

    /// Closes the open tool step, if any, with no observation, as acting
    /// again without an analysis does. The step limit applies, so the
    /// episode may end here; returns that step's outcome.
    pub fn close_without_analysis(&mut self) -> Result<Option<ActionOutcome>, EngineError> {
        let Some(pending) = self.pending.take() else {
            return Ok(None);
        };
        let step = pending.number;
        let step_failure = self.close_tool_step(pending, None, None)?;
        Ok(Some(self.closed(step, None, step_failure)))
    }

    /// Gives the open tool step the agent's analysis: records the
    /// observation, applies the hypothesis update, and closes the step.
    ///
    /// A blank summary, an invalid confidence or an illegal status change
    /// fails the step (what was valid is still recorded), and the run goes
    /// on.
    pub fn analyze(&mut self, analysis: Analysis) -> Result<ActionOutcome, EngineError> {
        self.refuse_if_over()?;
        let pending = self
            .pending
            .take()
            .ok_or(EngineError::NoPendingToolResult)?;
        let step = pending.number;
        let mut problems = Vec::new();
        let mut observation = None;
        match oversized_analysis(&analysis) {
            Some(reason) => problems.push(reason),
            None => {
                observation = self.record_observation(&pending, &analysis, &mut problems)?;
                if let Some(update) = &analysis.hypothesis_update {
                    let cited = observation.as_ref().map(Observation::id);
                    self.apply_hypothesis_update(step, update, cited, &mut problems)?;
                }
            }
        }
        let problem = (!problems.is_empty()).then(|| problems.join("; "));
        let step_failure = self.close_tool_step(pending, observation, problem)?;
        Ok(self.closed(step, None, step_failure))
    }

    /// Records that the agent failed, and ends the run as failed with reason
    /// `agent_error`. An open tool step is closed as failed; otherwise the
    /// failure is recorded as a step of its own with no decision.
    pub fn agent_failed(&mut self, error: &AgentError) -> Result<(), EngineError> {
        self.refuse_if_over()?;
        let reason = format!("agent error: {}", error.message());
        let record = match self.pending.take() {
            Some(pending) => StepRecord {
                number: pending.number,
                decision: Some(pending.decision),
                tool_call: Some(pending.tool_call),
                tool_result: Some(pending.tool_result),
                observation: None,
                started_at: pending.started_at,
            },
            None => {
                let number = self.next_step_number();
                self.run.status = RunStatus::Running;
                let started_at = self.now();
                self.start_step(number)?;
                StepRecord::without_decision(number, started_at)
            }
        };
        self.close_step(record, StepStatus::Failed { reason }, false)?;
        self.end(
            TerminationReason::AgentError {
                message: error.message().to_owned(),
            },
            None,
        )
    }

    /// Ends a run the driver will not finish, as failed with reason
    /// `abandoned`. An open tool step is closed first.
    pub fn abandon(&mut self, message: &str) -> Result<(), EngineError> {
        self.refuse_if_over()?;
        if let Some(pending) = self.pending.take() {
            self.close_tool_step(pending, None, None)?;
            if self.is_over() {
                return Ok(());
            }
        }
        self.end(
            TerminationReason::Abandoned {
                message: message.to_owned(),
            },
            None,
        )
    }

    /// The finished run. An episode that has not ended is abandoned first,
    /// so the audit log always closes the run.
    pub fn finish(self) -> Result<Run, EngineError> {
        self.finish_with_sink().map(|(run, _)| run)
    }

    /// [`Episode::finish`], giving the sink back too, for whoever records
    /// more after the run (an evaluation, say).
    pub fn finish_with_sink(mut self) -> Result<(Run, S), EngineError> {
        if !self.is_over() {
            self.abandon("the driver finished the episode before it ended")?;
        }
        Ok((self.run, self.engine.sink))
    }

    /// Whether a tool step's result awaits [`Episode::analyze`].
    pub fn awaits_analysis(&self) -> bool {
        self.pending.is_some()
    }

    /// The audit sink.
    pub fn sink(&self) -> &S {
        &self.engine.sink
    }

    /// The engine's config.
    pub fn config(&self) -> &crate::EngineConfig {
        &self.engine.config
    }

    /// The outcome of step `step` as the run stands now.
    fn closed(
        &self,
        step: u32,
        tool_result: Option<ToolResult>,
        step_failure: Option<String>,
    ) -> ActionOutcome {
        ActionOutcome {
            step,
            tool_result,
            step_failure,
            termination: self.run.termination.clone(),
        }
    }

    fn refuse_if_over(&self) -> Result<(), EngineError> {
        match &self.run.termination {
            Some(termination) => Err(EngineError::EpisodeOver {
                termination: termination.to_string(),
            }),
            None => Ok(()),
        }
    }

    fn next_step_number(&self) -> u32 {
        u32::try_from(self.run.steps.len())
            .unwrap_or(u32::MAX)
            .saturating_add(1)
    }

    fn now(&self) -> Timestamp {
        let now = self.engine.config.clock.now();
        now.checked_add_signed(self.elapsed).unwrap_or(now)
    }

    fn call_tool(&self, tool_call: &ToolCall) -> ToolResult {
        let config = &self.engine.config;
        let context = ToolContext::new(
            self.run.incident.created_at(),
            tool_call.call_id,
            config.tool_limits.clone(),
            &*config.timer,
        );
        self.engine.registry.call(
            &tool_call.tool_name,
            &tool_call.params,
            &context,
            &*self.engine.source,
        )
    }

    fn emit(&mut self, step: Option<u32>, kind: EventKind) -> Result<(), EngineError> {
        let sequence = self.engine.sink.next_sequence();
        let name = kind.name();
        let event = Event::new(
            EventId::generate(&*self.engine.config.ids),
            sequence,
            self.run.id,
            step,
            self.now(),
            kind,
        );
        self.engine
            .sink
            .append(event)
            .map_err(|source| EngineError::Audit {
                sequence,
                kind: name,
                source,
                run: Box::new(self.run.clone()),
            })
    }
}

/// The most bytes of an unreadable action's reason an audit log keeps.
pub const MAX_UNREADABLE_REASON_BYTES: usize = 512;

/// `text`, cut on a character boundary to at most `limit` bytes, with `…`
/// when it was cut.
fn cut_to_bytes(text: &str, limit: usize) -> String {
    if text.len() <= limit {
        return text.to_owned();
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// A tool step whose result awaits the agent's analysis.
#[derive(Debug)]
struct PendingToolStep {
    number: u32,
    decision: Decision,
    tool_call: ToolCall,
    tool_result: ToolResult,
    started_at: Timestamp,
}

/// Everything about a step but how it ended.
struct StepRecord {
    number: u32,
    decision: Option<Decision>,
    tool_call: Option<ToolCall>,
    tool_result: Option<ToolResult>,
    observation: Option<Observation>,
    started_at: Timestamp,
}

impl StepRecord {
    /// A step that records no decision: one refused before it was recorded,
    /// or an analysis with no pending tool call.
    fn without_decision(number: u32, started_at: Timestamp) -> StepRecord {
        StepRecord {
            number,
            decision: None,
            tool_call: None,
            tool_result: None,
            observation: None,
            started_at,
        }
    }
}
