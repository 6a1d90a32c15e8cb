//! Replay, or time travel: rebuilding an investigation from its events, as
//! it stood at the end of any step, or at the end of the run.
//!
//! [`replay`] takes the events of **one run** and checks that they form a
//! well-formed run before rebuilding it:
//!
//! - the first event is `run_started`, at run level (no step);
//! - every event carries that run's id, and sequence numbers increase
//!   (they need not be consecutive, so the events of one run filtered out
//!   of a shared log replay too: see [`replay_run`]);
//! - steps come one after another: `step_started` opens step N, the next
//!   `step_completed` or `step_failed` closes it, and the next step is N+1.
//!   The first step may be numbered 0 or 1. There are at most the run
//!   limits' `max_steps` steps;
//! - `decision_made`, `tool_called`, `tool_result_received`,
//!   `observation_recorded`, `hypothesis_created` and `hypothesis_updated`
//!   happen inside an open step and carry its number. A step holds at most
//!   one decision, one tool call, one tool result (for the step's call, when
//!   there was one) and one observation;
//! - `hypothesis_updated` revises the current hypothesis (same id), states
//!   its previous status and confidence truthfully, and follows the status
//!   state machine (or keeps the status);
//! - `run_completed`, `run_failed` and `run_escalated` come once, outside a
//!   step (with no step number or the last step's), with a reason whose
//!   final status matches the kind; afterwards only `evaluation_recorded`
//!   may follow. `evaluation_recorded` comes outside steps, with no step.
//!
//! A log that ends early (no run end, or a step left open) replays too: the
//! outcome is `None` and the open step is [`StepStatus::InProgress`].

use oncall_domain::{
    Hypothesis, Incident, ModelUsage, Observation, Resolution, RunId, RunLimits, RunStatus,
    TerminationReason, Timestamp,
};

pub use crate::replay_state::{InvestigationState, Outcome, ReplayedStep, StepStatus, ToolCall};

use crate::error::ReplayError;
use crate::event::{Event, EventKind, EventKindName};

/// Rebuilds the run in `events` (the events of exactly one run), checking
/// that they form a well-formed run as described in [the module
/// docs](mod@crate::replay).
pub fn replay(events: &[Event]) -> Result<Replay, ReplayError> {
    let Some((first, rest)) = events.split_first() else {
        return Err(ReplayError::Empty);
    };
    let mut builder = Builder::start(first)?;
    for event in rest {
        builder.apply(event)?;
    }
    Ok(builder.finish())
}

/// Rebuilds run `run` out of a log that may hold several runs: its events
/// are picked out (in order) and replayed.
pub fn replay_run(events: &[Event], run: RunId) -> Result<Replay, ReplayError> {
    let mine: Vec<Event> = events
        .iter()
        .filter(|event| event.run_id() == run)
        .cloned()
        .collect();
    replay(&mine)
}

/// A replayed run, from which the state at any step can be read.
#[derive(Debug, Clone, PartialEq)]
pub struct Replay {
    run_id: RunId,
    incident: Incident,
    agent: String,
    seed: u64,
    limits: RunLimits,
    started_at: Timestamp,
    ended_at: Option<Timestamp>,
    steps: Vec<ReplayedStep>,
    /// Each observation with the index (in `steps`) of its step.
    observations: Vec<(usize, Observation)>,
    /// Each hypothesis revision with the index of its step.
    revisions: Vec<(usize, Hypothesis)>,
    outcome: Option<Outcome>,
    evaluations: Vec<serde_json::Value>,
}

impl Replay {
    /// The run's id.
    pub fn run_id(&self) -> RunId {
        self.run_id
    }

    /// The incident under investigation.
    pub fn incident(&self) -> &Incident {
        &self.incident
    }

    /// The agent's name.
    pub fn agent(&self) -> &str {
        &self.agent
    }

    /// The run's seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The run's limits.
    pub fn limits(&self) -> RunLimits {
        self.limits
    }

    /// When the run started.
    pub fn started_at(&self) -> Timestamp {
        self.started_at
    }

    /// When the run ended, if it did.
    pub fn ended_at(&self) -> Option<Timestamp> {
        self.ended_at
    }

    /// Every step, in order.
    pub fn steps(&self) -> &[ReplayedStep] {
        &self.steps
    }

    /// The step numbers, in order.
    pub fn step_numbers(&self) -> Vec<u32> {
        self.steps.iter().map(|step| step.number).collect()
    }

    /// How the run ended, if it did.
    pub fn outcome(&self) -> Option<&Outcome> {
        self.outcome.as_ref()
    }

    /// The evaluations recorded, in order (the scenario's JSON form).
    pub fn evaluations(&self) -> &[serde_json::Value] {
        &self.evaluations
    }

    /// The run's calls to a language model, summed over its steps.
    pub fn model_usage(&self) -> ModelUsage {
        self.steps
            .iter()
            .flat_map(|step| &step.model_calls)
            .fold(ModelUsage::default(), ModelUsage::with_call)
    }

    /// The state before any step: the incident and nothing else.
    pub fn initial_state(&self) -> InvestigationState {
        self.state_through(None)
    }

    /// The state at the end of step `step` (as the log numbers steps), or
    /// `None` if there is no such step. The outcome is not part of it, even
    /// for the last step: see [`final_state`](Replay::final_state).
    pub fn state_at(&self, step: u32) -> Option<InvestigationState> {
        let index = self.steps.iter().position(|s| s.number == step)?;
        Some(self.state_through(Some(index)))
    }

    /// The state at the end of the log, with the outcome.
    pub fn final_state(&self) -> InvestigationState {
        let mut state = self.state_through(self.steps.len().checked_sub(1));
        if let Some(outcome) = &self.outcome {
            state.status = outcome.status;
            state.outcome = Some(outcome.clone());
            state.ended_at = self.ended_at;
        }
        state
    }

    /// The state with steps `0..=last` (none when `last` is `None`).
    fn state_through(&self, last: Option<usize>) -> InvestigationState {
        let included = |index: &usize| last.is_some_and(|last| *index <= last);
        let steps = match last {
            Some(last) => self.steps.iter().take(last + 1).cloned().collect(),
            None => Vec::new(),
        };
        let hypothesis_history: Vec<Hypothesis> = self
            .revisions
            .iter()
            .filter(|(index, _)| included(index))
            .map(|(_, hypothesis)| hypothesis.clone())
            .collect();
        InvestigationState {
            run_id: self.run_id,
            incident: self.incident.clone(),
            agent: self.agent.clone(),
            seed: self.seed,
            limits: self.limits,
            status: if last.is_some() {
                RunStatus::Running
            } else {
                RunStatus::Started
            },
            started_at: self.started_at,
            ended_at: None,
            steps,
            observations: self
                .observations
                .iter()
                .filter(|(index, _)| included(index))
                .map(|(_, observation)| observation.clone())
                .collect(),
            hypothesis: hypothesis_history.last().cloned(),
            hypothesis_history,
            outcome: None,
        }
    }
}

/// Folds events into a [`Replay`], checking each.
struct Builder {
    replay: Replay,
    previous_sequence: u64,
    step_open: bool,
    current: Option<Hypothesis>,
}

impl Builder {
    fn start(first: &Event) -> Result<Builder, ReplayError> {
        let EventKind::RunStarted {
            incident,
            agent,
            seed,
            limits,
        } = first.kind()
        else {
            return Err(ReplayError::NotStartedByRunStarted {
                sequence: first.sequence(),
                found: first.kind().kind_name(),
            });
        };
        if first.step().is_some() {
            return Err(ReplayError::WrongStep {
                sequence: first.sequence(),
                kind: EventKindName::RunStarted,
                expected: None,
                found: first.step(),
            });
        }
        Ok(Builder {
            replay: Replay {
                run_id: first.run_id(),
                incident: incident.clone(),
                agent: agent.clone(),
                seed: *seed,
                limits: *limits,
                started_at: first.timestamp(),
                ended_at: None,
                steps: Vec::new(),
                observations: Vec::new(),
                revisions: Vec::new(),
                outcome: None,
                evaluations: Vec::new(),
            },
            previous_sequence: first.sequence(),
            step_open: false,
            current: None,
        })
    }

    fn finish(self) -> Replay {
        self.replay
    }

    fn apply(&mut self, event: &Event) -> Result<(), ReplayError> {
        let sequence = event.sequence();
        let kind = event.kind().kind_name();
        if sequence <= self.previous_sequence {
            return Err(ReplayError::SequenceNotIncreasing {
                sequence,
                previous: self.previous_sequence,
            });
        }
        self.previous_sequence = sequence;
        if event.run_id() != self.replay.run_id {
            return Err(ReplayError::MixedRuns {
                sequence,
                expected: self.replay.run_id,
                found: event.run_id(),
            });
        }
        if self.replay.outcome.is_some() && kind != EventKindName::EvaluationRecorded {
            return Err(ReplayError::AfterRunEnded { sequence, kind });
        }
        match event.kind() {
            EventKind::RunStarted { .. } => Err(ReplayError::SecondRunStarted { sequence }),
            EventKind::StepStarted => self.start_step(event),
            EventKind::StepCompleted => self.close_step(event, StepStatus::Completed),
            EventKind::StepFailed { reason } => self.close_step(
                event,
                StepStatus::Failed {
                    reason: reason.clone(),
                },
            ),
            EventKind::RunCompleted { reason, resolution }
            | EventKind::RunFailed { reason, resolution }
            | EventKind::RunEscalated { reason, resolution } => {
                self.end_run(event, reason, resolution)
            }
            EventKind::EvaluationRecorded { evaluation } => {
                self.expect_run_level(event, None)?;
                self.replay.evaluations.push(evaluation.clone());
                Ok(())
            }
            _ => self.apply_in_step(event),
        }
    }

    /// Checks `event` comes outside a step, with no step number or `allowed`.
    fn expect_run_level(&self, event: &Event, allowed: Option<u32>) -> Result<(), ReplayError> {
        let kind = event.kind().kind_name();
        if let (true, Some(open)) = (self.step_open, self.replay.steps.last()) {
            return Err(ReplayError::InsideStep {
                sequence: event.sequence(),
                kind,
                open_step: open.number,
            });
        }
        if event.step().is_some() && event.step() != allowed {
            return Err(ReplayError::WrongStep {
                sequence: event.sequence(),
                kind,
                expected: None,
                found: event.step(),
            });
        }
        Ok(())
    }

    fn start_step(&mut self, event: &Event) -> Result<(), ReplayError> {
        let sequence = event.sequence();
        if let (true, Some(open)) = (self.step_open, self.replay.steps.last()) {
            return Err(ReplayError::InsideStep {
                sequence,
                kind: EventKindName::StepStarted,
                open_step: open.number,
            });
        }
        let expected = self
            .replay
            .steps
            .last()
            .map(|step| step.number.saturating_add(1));
        let Some(number) = event.step() else {
            return Err(ReplayError::WrongStep {
                sequence,
                kind: EventKindName::StepStarted,
                expected: Some(expected.unwrap_or(1)),
                found: None,
            });
        };
        match expected {
            Some(expected) if number != expected => {
                return Err(ReplayError::StepOutOfOrder {
                    sequence,
                    expected,
                    found: number,
                });
            }
            None if number > 1 => {
                return Err(ReplayError::StepOutOfOrder {
                    sequence,
                    expected: 1,
                    found: number,
                });
            }
            _ => {}
        }
        let max_steps = self.replay.limits.max_steps();
        if self.replay.steps.len() >= max_steps as usize {
            return Err(ReplayError::TooManySteps {
                sequence,
                step: number,
                max_steps,
            });
        }
        self.replay.steps.push(ReplayedStep {
            number,
            decision: None,
            tool_call: None,
            result: None,
            observation: None,
            hypothesis_after: self.current.clone(),
            status: StepStatus::InProgress,
            started_at: event.timestamp(),
            ended_at: None,
            model_calls: Vec::new(),
        });
        self.step_open = true;
        Ok(())
    }

    fn close_step(&mut self, event: &Event, status: StepStatus) -> Result<(), ReplayError> {
        let step = open_step(&mut self.replay.steps, self.step_open, event)?;
        step.status = status;
        step.ended_at = Some(event.timestamp());
        self.step_open = false;
        Ok(())
    }

    fn end_run(
        &mut self,
        event: &Event,
        reason: &TerminationReason,
        resolution: &Option<Resolution>,
    ) -> Result<(), ReplayError> {
        let last_step = self.replay.steps.last().map(|step| step.number);
        self.expect_run_level(event, last_step)?;
        let kind = event.kind().kind_name();
        let status = match kind {
            EventKindName::RunCompleted => RunStatus::Completed,
            EventKindName::RunEscalated => RunStatus::Escalated,
            _ => RunStatus::Failed,
        };
        if reason.final_status() != status {
            return Err(ReplayError::ReasonDoesNotMatchKind {
                sequence: event.sequence(),
                kind,
                reason: reason.as_str().to_owned(),
                expected_status: reason.final_status().as_str().to_owned(),
            });
        }
        self.replay.ended_at = Some(event.timestamp());
        self.replay.outcome = Some(Outcome {
            status,
            reason: reason.clone(),
            resolution: resolution.clone(),
        });
        Ok(())
    }

    fn apply_in_step(&mut self, event: &Event) -> Result<(), ReplayError> {
        let sequence = event.sequence();
        let kind = event.kind().kind_name();
        let index = self.replay.steps.len().saturating_sub(1);
        let step = open_step(&mut self.replay.steps, self.step_open, event)?;
        let duplicate = ReplayError::DuplicateInStep {
            sequence,
            kind,
            step: step.number,
        };
        match event.kind() {
            EventKind::DecisionMade { decision } => {
                if step.decision.is_some() {
                    return Err(duplicate);
                }
                step.decision = Some(decision.clone());
            }
            EventKind::ToolCalled {
                tool_name,
                call_id,
                params,
            } => {
                if step.tool_call.is_some() {
                    return Err(duplicate);
                }
                step.tool_call = Some(ToolCall {
                    tool_name: tool_name.clone(),
                    call_id: *call_id,
                    params: params.clone(),
                });
            }
            EventKind::ToolResultReceived { result } => {
                if step.result.is_some() {
                    return Err(duplicate);
                }
                if let Some(call) = &step.tool_call
                    && call.call_id != result.call_id()
                {
                    return Err(ReplayError::CallIdMismatch {
                        sequence,
                        expected: call.call_id.to_string(),
                        found: result.call_id().to_string(),
                    });
                }
                step.result = Some(result.clone());
            }
            EventKind::ObservationRecorded { observation } => {
                if step.observation.is_some() {
                    return Err(duplicate);
                }
                step.observation = Some(observation.clone());
                self.replay.observations.push((index, observation.clone()));
            }
            EventKind::HypothesisCreated { hypothesis } => {
                step.hypothesis_after = Some(hypothesis.clone());
                self.current = Some(hypothesis.clone());
                self.replay.revisions.push((index, hypothesis.clone()));
            }
            EventKind::HypothesisUpdated {
                hypothesis,
                previous_status,
                previous_confidence,
            } => {
                let Some(current) = self.current.as_ref().filter(|c| c.id() == hypothesis.id())
                else {
                    return Err(ReplayError::UnknownHypothesis {
                        sequence,
                        expected: self
                            .current
                            .as_ref()
                            .map_or_else(|| "none".to_owned(), |c| c.id().to_string()),
                        found: hypothesis.id(),
                    });
                };
                if current.status() != *previous_status
                    || current.confidence() != *previous_confidence
                {
                    return Err(ReplayError::PreviousHypothesisMismatch {
                        sequence,
                        claimed_status: *previous_status,
                        claimed_confidence: previous_confidence.value(),
                        actual_status: current.status(),
                        actual_confidence: current.confidence().value(),
                    });
                }
                let (from, to) = (current.status(), hypothesis.status());
                if from != to && !from.can_move_to(to) {
                    return Err(ReplayError::IllegalHypothesisTransition { sequence, from, to });
                }
                step.hypothesis_after = Some(hypothesis.clone());
                self.current = Some(hypothesis.clone());
                self.replay.revisions.push((index, hypothesis.clone()));
            }
            EventKind::ModelCalled { call } => step.model_calls.push(call.clone()),
            // Run-level kinds are handled by `apply`.
            _ => return Err(ReplayError::OutsideStep { sequence, kind }),
        }
        Ok(())
    }
}

/// The open step, after checking `event` carries its number.
fn open_step<'a>(
    steps: &'a mut [ReplayedStep],
    step_open: bool,
    event: &Event,
) -> Result<&'a mut ReplayedStep, ReplayError> {
    let sequence = event.sequence();
    let kind = event.kind().kind_name();
    let step = match steps.last_mut() {
        Some(step) if step_open => step,
        _ => return Err(ReplayError::OutsideStep { sequence, kind }),
    };
    if event.step() != Some(step.number) {
        return Err(ReplayError::WrongStep {
            sequence,
            kind,
            expected: Some(step.number),
            found: event.step(),
        });
    }
    Ok(step)
}

#[cfg(test)]
#[path = "replay_tests.rs"]
mod tests;
