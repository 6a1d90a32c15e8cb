//! [`McpEpisode`]: the one episode an MCP server serves, and what each tool
//! call does to it. Synchronous: the server calls it under a lock, and
//! every call is short.

use std::path::PathBuf;

use serde_json::{Map, Value, json};

use oncall_audit::ChainHead;
use oncall_domain::Decision;
use oncall_engine::{ActionOutcome, EngineError, read_flat_analysis};
use oncall_protocol::{AuditFile, IncidentView, is_valid_agent_name, steps_taken};
use oncall_sim::{RunOutcome, RunSettings, Scenario, ScenarioEpisode, start_scenario};
use oncall_tools::decision_from_ending_call;

use crate::error::McpError;
use crate::render::{Answer, instructions, tool_result_text};
use crate::tools::{RECORD_OBSERVATION, ToolKind, tool_kind};

/// Why a run ends `abandoned` when the client goes before it ends.
pub const CLIENT_LEFT: &str = "the MCP client disconnected before the episode ended";

/// Why a run ends `abandoned` when the server stops before it ends and
/// before a client has gone (its runtime could not start, say).
pub const SERVER_STOPPED: &str = "the MCP server stopped before the episode ended";

/// How to start the episode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct McpSettings {
    /// The agent's name, as the audit log records it (with the scenario and
    /// seed, what the run's ids derive from).
    pub agent: String,
    /// The run's seed.
    pub seed: u64,
    /// A step limit; the scenario's own when `None`.
    pub max_steps: Option<u32>,
    /// Where to write the hash-chained audit log, if anywhere.
    pub audit: Option<PathBuf>,
}

/// How the episode ended: the judged run, and its audit log.
#[derive(Debug)]
pub struct Finished {
    /// The scenario's id.
    pub scenario: String,
    /// The run, its in-memory log and its evaluation.
    pub outcome: RunOutcome,
    /// The audit log file, when there is one.
    pub audit: Option<AuditReport>,
}

/// Where the audit log went, and its head or why it could not be finished.
#[derive(Debug)]
pub struct AuditReport {
    /// The path, as given.
    pub path: String,
    /// The chain head, or why the file could not be completed.
    pub head: Result<ChainHead, String>,
}

/// Called once, when the episode has ended and been judged (or failed to
/// be): on its last action, or when the client goes away first.
pub type FinishHook = Box<dyn FnOnce(Result<&Finished, &str>) + Send>;

/// The episode an MCP server serves.
pub struct McpEpisode {
    scenario: String,
    incident: Value,
    instructions: String,
    max_steps: u32,
    diagnostic: Vec<String>,
    state: State,
    audit: Option<AuditFile>,
    on_finish: Option<FinishHook>,
}

/// An episode dropped while running (the server could not start, or a
/// caller forgot it) is still judged and its audit log completed.
impl Drop for McpEpisode {
    fn drop(&mut self) {
        self.close_because(SERVER_STOPPED);
    }
}

impl std::fmt::Debug for McpEpisode {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("McpEpisode")
            .field("scenario", &self.scenario)
            .field("max_steps", &self.max_steps)
            .field("state", &self.state)
            .field("audit", &self.audit)
            .finish_non_exhaustive()
    }
}

#[derive(Debug)]
enum State {
    Running(Box<ScenarioEpisode<'static>>),
    Finished(Box<Finished>),
    /// The run or its log failed, for this reason.
    Broken(String),
}

impl McpEpisode {
    /// Starts a run of `scenario` (writing `run_started`, to the audit file
    /// too when `settings.audit` names one).
    pub fn start(scenario: &Scenario, settings: McpSettings) -> Result<McpEpisode, McpError> {
        if !is_valid_agent_name(&settings.agent) {
            return Err(McpError::AgentName {
                name: settings.agent,
                reason: format!(
                    "it must be 1 to {} bytes of printable text",
                    oncall_protocol::MAX_AGENT_NAME_BYTES
                ),
            });
        }
        let audit = settings.audit.map(AuditFile::create).transpose()?;
        let episode = start_scenario(
            scenario,
            &settings.agent,
            RunSettings {
                seed: settings.seed,
                max_steps: settings.max_steps,
            },
            audit.as_ref().map(AuditFile::mirror),
        )
        .map_err(|source| McpError::Start {
            scenario: scenario.id().to_owned(),
            source,
        })?;
        let context = episode.context();
        let incident = IncidentView::new(context.incident());
        let max_steps = episode.run().limits().max_steps();
        Ok(McpEpisode {
            scenario: scenario.id().to_owned(),
            incident: serde_json::to_value(&incident).unwrap_or(Value::Null),
            instructions: instructions(&incident, max_steps),
            max_steps,
            diagnostic: context
                .tools()
                .iter()
                .map(|definition| definition.name().to_owned())
                .collect(),
            state: State::Running(Box::new(episode)),
            audit,
            on_finish: None,
        })
    }

    /// The same episode, calling `hook` once it has ended and been judged.
    pub fn on_finish(mut self, hook: FinishHook) -> McpEpisode {
        self.on_finish = Some(hook);
        self
    }

    /// The alert and how to work, for the server's `instructions` and the
    /// `investigate` prompt. Nothing of the scenario beyond its alert.
    pub fn instructions(&self) -> &str {
        &self.instructions
    }

    /// Whether the episode has ended.
    pub fn is_over(&self) -> bool {
        !matches!(self.state, State::Running(_))
    }

    /// Ends the episode if it is still running (the client went away: the
    /// run is `abandoned` with [`CLIENT_LEFT`]), and judges it. Does nothing
    /// the second time.
    pub fn close(&mut self) {
        self.close_because(CLIENT_LEFT);
    }

    /// [`McpEpisode::close`], the run abandoned for `reason` if it is still
    /// running.
    pub fn close_because(&mut self, reason: &str) {
        let State::Running(episode) = &mut self.state else {
            return;
        };
        if let Err(error) = episode.abandon(reason) {
            self.fail(format!("the episode could not be closed: {error}"));
            return;
        }
        self.finish();
    }

    /// Ends the episode after the engine or its log failed, for `reason`:
    /// keeps what can be kept (the run is finished if it still can be,
    /// the audit file completed and synced either way), and tells the hook.
    fn fail(&mut self, reason: String) {
        let state = std::mem::replace(&mut self.state, State::Broken(reason.clone()));
        if let State::Running(episode) = state {
            // What it failed with is already in `reason`.
            let _ = episode.finish();
        }
        if let Some(file) = self.audit.as_mut() {
            let _ = file.finish();
        }
        self.report(Err(&reason));
    }

    /// Carries out a call of the tool `name`. `None` when the server has no
    /// such tool (a protocol error, not a step); otherwise the answer, an
    /// error answer when the call failed.
    pub(crate) fn call_tool(
        &mut self,
        name: &str,
        arguments: &Map<String, Value>,
    ) -> Option<Answer> {
        let kind = tool_kind(name, &self.diagnostic)?;
        if kind == ToolKind::Incident {
            return Some(self.incident_answer());
        }
        let State::Running(episode) = &mut self.state else {
            return Some(self.over_answer());
        };
        let answer = match kind {
            ToolKind::RecordObservation => record_observation(episode, arguments),
            ToolKind::Ending | ToolKind::Diagnostic | ToolKind::Incident => {
                let report = if kind == ToolKind::Ending {
                    match decision_from_ending_call(name, &Value::Object(arguments.clone())) {
                        Ok(decision) => episode.act(decision, None),
                        Err(reason) => episode.act_unreadable(&reason, None),
                    }
                } else {
                    episode.act(
                        Decision::CallTool {
                            tool_name: name.to_owned(),
                            params: arguments.clone(),
                            reasoning: String::new(),
                        },
                        None,
                    )
                };
                report.map(|report| action_answer(episode, name, report.previous, report.action))
            }
        };
        let answer = match answer {
            Ok(answer) => answer,
            Err(error) => {
                let reason = format!("the episode failed: {error}");
                self.fail(reason.clone());
                return Some(Answer::error(reason, json!({"episode_over": true})));
            }
        };
        if matches!(&self.state, State::Running(episode) if episode.is_over()) {
            self.finish();
        }
        Some(answer)
    }

    fn incident_answer(&self) -> Answer {
        let (step, steps_remaining) = match &self.state {
            State::Running(episode) => {
                let taken = steps_taken(episode.run(), episode.awaits_analysis());
                (taken, self.max_steps.saturating_sub(taken))
            }
            State::Finished(finished) => {
                let taken = u32::try_from(finished.outcome.run.steps().len()).unwrap_or(u32::MAX);
                (taken, 0)
            }
            State::Broken(_) => (0, 0),
        };
        Answer::success(
            format!(
                "{}\n\nStep {step} of {}; {steps_remaining} left.",
                self.instructions, self.max_steps
            ),
            json!({
                "incident": self.incident,
                "step": step,
                "steps_remaining": steps_remaining,
                "episode_over": self.is_over(),
            }),
        )
    }

    fn over_answer(&self) -> Answer {
        let how = match &self.state {
            State::Finished(finished) => finished
                .outcome
                .run
                .termination()
                .map_or_else(|| "ended".to_owned(), |reason| reason.as_str().to_owned()),
            State::Broken(reason) => reason.clone(),
            State::Running(_) => "running".to_owned(),
        };
        Answer::error(
            format!("the episode is over ({how}): no more tool calls are taken"),
            json!({"episode_over": true, "termination": how}),
        )
    }

    /// Judges the run, completes the audit log, and tells the hook.
    fn finish(&mut self) {
        let state = std::mem::replace(
            &mut self.state,
            State::Broken("the episode stopped while it was being judged".to_owned()),
        );
        let State::Running(episode) = state else {
            self.state = state;
            return;
        };
        let outcome = episode.finish();
        // The file is finished whatever became of the run, so that every
        // event that was recorded is kept and the chain is closed.
        let audit = self.audit.as_mut().map(|file| AuditReport {
            path: file.label().to_owned(),
            head: file.finish().map_err(|error| error.to_string()),
        });
        match outcome {
            Ok(outcome) => {
                let finished = Finished {
                    scenario: self.scenario.clone(),
                    outcome,
                    audit,
                };
                self.report(Ok(&finished));
                self.state = State::Finished(Box::new(finished));
            }
            Err(error) => {
                let reason = format!("the run could not be judged: {error}");
                self.report(Err(&reason));
                self.state = State::Broken(reason);
            }
        }
    }

    fn report(&mut self, ending: Result<&Finished, &str>) {
        if let Some(hook) = self.on_finish.take() {
            hook(ending);
        }
    }
}

/// `record_observation`: gives the open tool step its analysis. Arguments
/// that cannot be read change nothing, so the agent can correct them; what
/// the engine refuses (a confidence out of range, an illegal status change)
/// fails and closes the step, as it does for every driver.
fn record_observation(
    episode: &mut ScenarioEpisode<'static>,
    arguments: &Map<String, Value>,
) -> Result<Answer, EngineError> {
    let progress = |episode: &ScenarioEpisode<'static>| {
        let taken = steps_taken(episode.run(), episode.awaits_analysis());
        let left = episode.run().limits().max_steps().saturating_sub(taken);
        (taken, left)
    };
    let refused = |episode: &ScenarioEpisode<'static>, reason: String| {
        let (step, left) = progress(episode);
        Answer::error(
            format!("nothing was recorded: {reason}"),
            json!({"step": step, "steps_remaining": left, "recorded": false}),
        )
    };
    if !episode.awaits_analysis() {
        return Ok(refused(
            episode,
            format!(
                "no tool result awaits an observation. Call {RECORD_OBSERVATION} right after a diagnostic tool (logs, metrics, deploys, runbook, services), once per result"
            ),
        ));
    }
    let what = format!("the arguments of `{RECORD_OBSERVATION}`");
    let analysis = match read_flat_analysis(arguments, &what)
        .and_then(|flat| flat.into_analysis(episode.context().hypothesis()))
    {
        Ok(analysis) => analysis,
        Err(reason) => return Ok(refused(episode, reason)),
    };
    let observations_before = episode.context().observations().len();
    let outcome = episode.analyze(analysis)?;
    let (_, left) = progress(episode);
    let context = episode.context();
    // The engine keeps the observation even when it refuses the hypothesis
    // update (a confidence out of range, an illegal status change).
    let recorded = context.observations().len() > observations_before;
    let structured = json!({
        "step": outcome.step,
        "steps_remaining": left,
        "recorded": recorded,
        "step_failure": outcome.step_failure,
        "observation_count": context.observations().len(),
        "hypothesis": context.hypothesis(),
    });
    Ok(match &outcome.step_failure {
        Some(failure) if recorded => Answer::error(
            format!(
                "step {} failed: the observation was recorded, but the hypothesis update was refused: {failure}",
                outcome.step
            ),
            structured,
        ),
        Some(failure) => Answer::error(
            format!(
                "step {} failed, and its observation was not recorded: {failure}",
                outcome.step
            ),
            structured,
        ),
        None => {
            let hypothesis = context.hypothesis().map_or_else(
                || "no hypothesis".to_owned(),
                |hypothesis| {
                    format!(
                        "hypothesis ({}, confidence {}): {}",
                        hypothesis.status().as_str(),
                        hypothesis.confidence().value(),
                        hypothesis.statement()
                    )
                },
            );
            Answer::success(
                format!(
                    "Observation {} recorded for step {}; {hypothesis}.",
                    context.observations().len(),
                    outcome.step
                ),
                structured,
            )
        }
    })
}

/// The answer to a diagnostic tool call or an ending action.
fn action_answer(
    episode: &ScenarioEpisode<'static>,
    name: &str,
    previous: Option<ActionOutcome>,
    action: Option<ActionOutcome>,
) -> Answer {
    let run = episode.run();
    let max_steps = run.limits().max_steps();
    let taken = steps_taken(run, episode.awaits_analysis());
    let left = max_steps.saturating_sub(taken);
    let over = episode.is_over();
    let previous_failure = previous.and_then(|outcome| outcome.step_failure);
    let Some(action) = action else {
        // Closing the previous step used the last one.
        return Answer::error(
            format!("the episode is over (step_limit): `{name}` was not carried out"),
            json!({"step": taken, "steps_remaining": 0, "episode_over": true, "previous_step_failure": previous_failure}),
        );
    };
    let structured = json!({
        "step": action.step,
        "steps_remaining": left,
        "tool_result": action.tool_result,
        "step_failure": action.step_failure,
        "previous_step_failure": previous_failure,
        "episode_over": over,
    });
    let progress = if over {
        format!("step {} of {max_steps}", action.step)
    } else {
        format!("step {} of {max_steps}, {left} left", action.step)
    };
    let mut text = match (&action.step_failure, &action.tool_result) {
        (Some(failure), _) => format!("{name} failed ({progress}): {failure}"),
        (None, Some(result)) => tool_result_text(result, &progress),
        (None, None) if over => format!(
            "{name} recorded ({progress}). The episode is over: no more tool calls are taken."
        ),
        (None, None) => format!("{name} done ({progress})."),
    };
    if over && (action.tool_result.is_some() || action.step_failure.is_some()) {
        text.push_str(
            "\n\nThat was the last step: the episode is over, and no more tool calls are taken.",
        );
    }
    let failed = action.step_failure.is_some()
        || action
            .tool_result
            .as_ref()
            .is_some_and(|result| !result.is_success());
    if failed {
        Answer::error(text, structured)
    } else {
        Answer::success(text, structured)
    }
}
