//! [`Sessions`]: the episodes one process holds open for outside drivers,
//! and the five methods that drive them. Every transport (stdio lines
//! today) calls these, so every way in follows the same rules.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde_json::Value;

use oncall_domain::{Decision, ToolResult};
use oncall_engine::{Analysis, EngineError};
use oncall_sim::{
    Difficulty, MAX_STEPS, RunSettings, Scenario, ScenarioEpisode, check_scenario_name,
    start_scenario_with_registry,
};
use oncall_tools::{ToolRegistry, agent_tool_definitions};

use crate::audit_file::{AuditFile, head_of};
use crate::error::ProtocolError;
use crate::params::{
    CloseParams, ResetParams, StepParams, check_agent_name, json_type, no_params, parse_field,
    parse_params, read_action,
};
use crate::view::{
    CloseInfo, CloseResult, Ending, Observation, ResetInfo, ResetResult, ScenarioEntry, StepInfo,
    StepResult, serialize, steps_taken,
};

/// The most episodes one process holds open at once (ended ones count until
/// they are closed). A `reset` past it is refused.
pub const MAX_OPEN_EPISODES: usize = 1024;

/// The longest agent name a `reset` takes, in bytes.
pub const MAX_AGENT_NAME_BYTES: usize = 64;

/// The agent name recorded when a `reset` gives none.
pub const DEFAULT_AGENT_NAME: &str = "external";

/// Where the scenarios come from: the product's library (a fixtures root,
/// then the bundled ones), or anything else that can list and load them.
pub trait ScenarioSource {
    /// Every scenario a client may open, as (id, difficulty), sorted by id.
    fn list(&self) -> Vec<(String, Difficulty)>;

    /// The scenario called `name`, which [`check_scenario_name`] has
    /// accepted. The error says why there is none, for a person to read.
    fn load(&self, name: &str) -> Result<Scenario, String>;
}

/// The open episodes and what they are opened from. See the crate docs for
/// the protocol.
#[derive(Debug)]
pub struct Sessions<S: ScenarioSource> {
    source: S,
    registry: Arc<ToolRegistry>,
    scenarios: HashMap<String, Scenario>,
    episodes: BTreeMap<String, Session>,
    opened: u64,
    max_open: usize,
    prefix: String,
}

impl<S: ScenarioSource> Sessions<S> {
    /// No episodes yet; scenarios from `source`, at most
    /// [`MAX_OPEN_EPISODES`] open at once.
    pub fn new(source: S) -> Sessions<S> {
        Sessions::with_max_open(source, MAX_OPEN_EPISODES)
    }

    /// [`Sessions::new`] with another cap on open episodes (at least 1).
    pub fn with_max_open(source: S, max_open: usize) -> Sessions<S> {
        Sessions {
            source,
            registry: Arc::new(ToolRegistry::with_default_tools()),
            scenarios: HashMap::new(),
            episodes: BTreeMap::new(),
            opened: 0,
            max_open: max_open.max(1),
            prefix: "ep-".to_owned(),
        }
    }

    /// The same sessions, naming episodes `{prefix}{n}` instead of
    /// `ep-{n}`: a server holding several [`Sessions`] gives each its own
    /// prefix, so that an episode's id says which holds it.
    pub fn with_episode_prefix(self, prefix: &str) -> Sessions<S> {
        Sessions {
            prefix: prefix.to_owned(),
            ..self
        }
    }

    /// Whether episode `id` is open here.
    pub fn is_open(&self, id: &str) -> bool {
        self.episodes.contains_key(id)
    }

    /// The ids of the open episodes, in order.
    pub fn episode_ids(&self) -> impl Iterator<Item = &str> {
        self.episodes.keys().map(String::as_str)
    }

    /// How many episodes are open (ended ones included until closed).
    pub fn open_episodes(&self) -> usize {
        self.episodes.len()
    }

    /// Calls `method` with `params` (an object, or absent) and returns its
    /// result as JSON text.
    pub fn call(&mut self, method: &str, params: Option<Value>) -> Result<String, ProtocolError> {
        match method {
            "reset" => self.reset(params),
            "step" => self.step(params),
            "close" => self.close(params),
            "scenarios" => {
                no_params(method, params)?;
                Ok(self.scenarios())
            }
            "tools" => {
                no_params(method, params)?;
                Ok(tools())
            }
            other => Err(ProtocolError::MethodNotFound(other.to_owned())),
        }
    }

    /// `reset {scenario, seed?, max_steps?, agent?, audit?}`: opens an
    /// episode and returns `{episode, observation, info}`.
    pub fn reset(&mut self, params: Option<Value>) -> Result<String, ProtocolError> {
        let params: ResetParams = parse_params(params)?;
        if self.episodes.len() >= self.max_open {
            return Err(ProtocolError::TooManyEpisodes {
                limit: self.max_open,
            });
        }
        let agent = params.agent.as_deref().unwrap_or(DEFAULT_AGENT_NAME);
        check_agent_name(agent)?;
        if let Some(max_steps) = params.max_steps
            && (max_steps == 0 || max_steps > MAX_STEPS)
        {
            return Err(ProtocolError::InvalidParams(format!(
                "params.max_steps is {max_steps}: it must be between 1 and {MAX_STEPS}"
            )));
        }
        let scenario = self.scenario(&params.scenario)?;
        let audit = match params.audit {
            Some(path) => {
                let open = self.episodes.iter().filter_map(|(id, session)| {
                    session.audit.as_ref().map(|audit| (id.as_str(), audit))
                });
                Some(AuditFile::create_unless_open(path, open)?)
            }
            None => None,
        };
        let settings = RunSettings {
            seed: params.seed.unwrap_or(0),
            max_steps: params.max_steps,
        };
        let mirror = audit.as_ref().map(AuditFile::mirror);
        let episode = start_scenario_with_registry(
            &scenario,
            agent,
            settings,
            mirror,
            Arc::clone(&self.registry),
        )
        .map_err(|error| ProtocolError::InvalidParams(error.to_string()))?;
        self.opened += 1;
        let id = format!("{}{}", self.prefix, self.opened);
        let session = Session {
            id: id.clone(),
            scenario: scenario.id().to_owned(),
            run_id: episode.run().id().as_uuid().to_string(),
            audit,
            state: State::Running(Box::new(episode)),
        };
        let State::Running(episode) = &session.state else {
            return Err(ProtocolError::Internal(
                "a new episode is not running".to_owned(),
            ));
        };
        let text = serialize(&ResetResult {
            episode: &id,
            observation: Observation::new(
                &episode.context(),
                episode.run(),
                false,
                None,
                None,
                None,
            ),
            info: ResetInfo {
                scenario: &session.scenario,
                run_id: session.run_id.clone(),
                agent,
                seed: settings.seed,
                max_steps: episode.run().limits().max_steps(),
                audit: session.audit.as_ref().map(|audit| audit.label()),
            },
        })?;
        self.episodes.insert(id, session);
        Ok(text)
    }

    /// `step {episode, action, analysis?}`: gives the previous tool result
    /// its analysis, carries out the action, and returns `{observation,
    /// reward, terminated, truncated, info}`.
    pub fn step(&mut self, params: Option<Value>) -> Result<String, ProtocolError> {
        let params: StepParams = parse_params(params)?;
        let action = read_action(params.action)?;
        let analysis = match params.analysis {
            None => None,
            Some(analysis @ Value::Object(_)) => {
                Some(parse_field::<Analysis>("params.analysis", analysis))
            }
            Some(other) => {
                return Err(ProtocolError::InvalidParams(format!(
                    "params.analysis must be an analysis object, not {}",
                    json_type(&other)
                )));
            }
        };
        let session = self
            .episodes
            .get_mut(&params.episode)
            .ok_or_else(|| ProtocolError::UnknownEpisode(params.episode.clone()))?;
        let outcome = session.step(action, analysis);
        let (previous_failure, step_failure, tool_result) = match outcome {
            Ok(outcome) => outcome,
            Err(error @ ProtocolError::Internal(_)) => {
                session.state = State::Broken(error.to_string());
                return Err(error);
            }
            Err(error) => return Err(error),
        };
        let State::Running(episode) = &session.state else {
            return Err(ProtocolError::Internal(
                "the episode is not running".to_owned(),
            ));
        };
        if !episode.is_over() {
            return serialize(&StepResult {
                observation: Observation::new(
                    &episode.context(),
                    episode.run(),
                    episode.awaits_analysis(),
                    tool_result.as_ref(),
                    step_failure.as_deref(),
                    previous_failure.as_deref(),
                ),
                reward: 0.0,
                terminated: false,
                truncated: false,
                info: StepInfo {
                    scenario: &session.scenario,
                    run_id: session.run_id.clone(),
                    step: steps_taken(episode.run(), episode.awaits_analysis()),
                    step_failure: step_failure.as_deref(),
                    previous_step_failure: previous_failure.as_deref(),
                    ending: None,
                },
            });
        }
        // The episode has just ended: show the last observation, then judge
        // the run and keep only how it ended until the driver closes it.
        let observation = serde_json::to_value(Observation::new(
            &episode.context(),
            episode.run(),
            false,
            tool_result.as_ref(),
            step_failure.as_deref(),
            previous_failure.as_deref(),
        ))
        .map_err(|error| ProtocolError::Internal(error.to_string()))?;
        let step = steps_taken(episode.run(), false);
        if let Err(error) = session.end() {
            session.state = State::Broken(error.to_string());
            return Err(error);
        }
        let ending = session.ending()?;
        serialize(&serde_json::json!({
            "observation": observation,
            "reward": ending.evaluation.total,
            "terminated": !ending.truncated(),
            "truncated": ending.truncated(),
            "info": StepInfo {
                scenario: &session.scenario,
                run_id: session.run_id.clone(),
                step,
                step_failure: step_failure.as_deref(),
                previous_step_failure: previous_failure.as_deref(),
                ending: Some(ending),
            },
        }))
    }

    /// How episode `episode` stands, changing nothing: `{episode, status,
    /// observation, info}` while it runs (the observation as the agent last
    /// saw it, without the last tool result), `{episode, status, info}`
    /// with how it ended once it has.
    pub fn describe(&self, episode: &str) -> Result<String, ProtocolError> {
        let session = self
            .episodes
            .get(episode)
            .ok_or_else(|| ProtocolError::UnknownEpisode(episode.to_owned()))?;
        match &session.state {
            State::Running(running) => serialize(&serde_json::json!({
                "episode": episode,
                "status": "running",
                "observation": Observation::new(
                    &running.context(),
                    running.run(),
                    running.awaits_analysis(),
                    None,
                    None,
                    None,
                ),
                "info": StepInfo {
                    scenario: &session.scenario,
                    run_id: session.run_id.clone(),
                    step: steps_taken(running.run(), running.awaits_analysis()),
                    step_failure: None,
                    previous_step_failure: None,
                    ending: None,
                },
            })),
            State::Ended(ending) => serialize(&serde_json::json!({
                "episode": episode,
                "status": "ended",
                "info": CloseInfo {
                    scenario: &session.scenario,
                    run_id: session.run_id.clone(),
                    ending,
                    audit: session.audit_label(),
                },
            })),
            State::Broken(reason) => Err(ProtocolError::Internal(reason.clone())),
        }
    }

    /// `close {episode}`: ends the episode (abandoning it if it is still
    /// running), completes its audit log, forgets it, and returns `{info}`.
    pub fn close(&mut self, params: Option<Value>) -> Result<String, ProtocolError> {
        let params: CloseParams = parse_params(params)?;
        let mut session = self
            .episodes
            .remove(&params.episode)
            .ok_or_else(|| ProtocolError::UnknownEpisode(params.episode.clone()))?;
        session.end()?;
        let ending = session.ending()?;
        serialize(&CloseResult {
            info: CloseInfo {
                scenario: &session.scenario,
                run_id: session.run_id.clone(),
                ending,
                audit: session.audit_label(),
            },
        })
    }

    /// Closes every open episode, as at the end of input, so that every
    /// audit log is complete. Returns how many were still running, and the
    /// problems met, one line each.
    pub fn close_all(&mut self) -> (usize, Vec<String>) {
        let mut running = 0;
        let mut problems = Vec::new();
        for (id, mut session) in std::mem::take(&mut self.episodes) {
            if matches!(session.state, State::Running(_)) {
                running += 1;
            }
            if let Err(error) = session.end() {
                problems.push(format!("episode {id}: {error}"));
            }
        }
        (running, problems)
    }

    /// `scenarios`: `[{id, difficulty}]`, for the harness. Nothing else:
    /// a title or category would tell an agent the answer.
    pub fn scenarios(&self) -> String {
        let listed = self.source.list();
        let entries: Vec<ScenarioEntry<'_>> = listed
            .iter()
            .map(|(id, difficulty)| ScenarioEntry {
                id,
                difficulty: difficulty.as_str(),
            })
            .collect();
        serde_json::to_string(&entries).unwrap_or_else(|_| "[]".to_owned())
    }

    /// The scenario called `name`, loaded once and kept.
    fn scenario(&mut self, name: &str) -> Result<Scenario, ProtocolError> {
        if let Some(scenario) = self.scenarios.get(name) {
            return Ok(scenario.clone());
        }
        check_scenario_name(name).map_err(|error| {
            ProtocolError::UnknownScenario(format!(
                "{error} (the protocol takes scenario names only; serve --fixtures DIR for your own)"
            ))
        })?;
        let scenario = self
            .source
            .load(name)
            .map_err(ProtocolError::UnknownScenario)?;
        self.scenarios.insert(name.to_owned(), scenario.clone());
        Ok(scenario)
    }
}

/// `tools`: every tool definition an agent answers with, diagnostic tools
/// then the ending actions, as `{name, description, parameters}`.
pub fn tools() -> String {
    serde_json::to_string(&agent_tool_definitions()).unwrap_or_else(|_| "[]".to_owned())
}

/// One open episode.
#[derive(Debug)]
struct Session {
    id: String,
    scenario: String,
    run_id: String,
    audit: Option<AuditFile>,
    state: State,
}

#[derive(Debug)]
enum State {
    Running(Box<ScenarioEpisode<'static>>),
    Ended(Box<Ending>),
    /// The engine or its audit log failed, for this reason; every later
    /// request about the episode says so, until it is closed.
    Broken(String),
}

/// What a step's analysis and action came to: why the previous step failed
/// (or why the analysis was ignored), why this one failed, and the tool
/// result.
type StepOutcome = (Option<String>, Option<String>, Option<ToolResult>);

/// Why an analysis sent with no tool result waiting was ignored.
const IGNORED_ANALYSIS: &str = "the analysis was ignored: no tool result awaited one (send an analysis with the step right after a tool call)";

impl Session {
    /// Ends the episode if it is running (judging it, completing its audit
    /// log), and returns how it ended.
    fn end(&mut self) -> Result<(), ProtocolError> {
        let state = std::mem::replace(
            &mut self.state,
            State::Broken("the episode stopped while it was being closed".to_owned()),
        );
        self.state = match state {
            State::Ended(ending) => State::Ended(ending),
            State::Broken(reason) => State::Broken(reason),
            State::Running(episode) => {
                let outcome = episode
                    .finish()
                    .map_err(|error| ProtocolError::Internal(error.to_string()))?;
                // A file that cannot be finished loses nothing else: the
                // run is judged, and its head comes from the events kept in
                // memory, with the file's problem reported beside it.
                let (head, audit_error) = match self.audit.as_mut().map(AuditFile::finish) {
                    Some(Ok(head)) => (head, None),
                    Some(Err(error)) => (head_of(outcome.log.events())?, Some(error.to_string())),
                    None => (head_of(outcome.log.events())?, None),
                };
                let mut ending = Ending::new(&outcome.run, outcome.evaluation, head);
                ending.audit_error = audit_error;
                State::Ended(Box::new(ending))
            }
        };
        self.ending().map(|_| ())
    }

    /// How the episode ended, once it has.
    fn ending(&self) -> Result<&Ending, ProtocolError> {
        match &self.state {
            State::Ended(ending) => Ok(ending),
            State::Broken(reason) => Err(ProtocolError::Internal(reason.clone())),
            State::Running(_) => Err(ProtocolError::Internal(
                "the episode is still running".to_owned(),
            )),
        }
    }

    /// Carries out one `step` on a running episode: the analysis (given to
    /// the open tool step, refused with its reason when it could not be
    /// read, or ignored when no tool result awaits one), then the action.
    /// Returns why the previous step failed (or why the analysis was
    /// ignored), why this one failed, and the tool result.
    fn step(
        &mut self,
        action: Result<Decision, String>,
        analysis: Option<Result<Analysis, ProtocolError>>,
    ) -> Result<StepOutcome, ProtocolError> {
        let episode = match &mut self.state {
            State::Running(episode) => episode,
            State::Ended(ending) => {
                return Err(ProtocolError::EpisodeOver {
                    episode: self.id.clone(),
                    termination: ending
                        .termination
                        .as_ref()
                        .map_or_else(|| "ended".to_owned(), ToString::to_string),
                });
            }
            State::Broken(reason) => return Err(ProtocolError::Internal(reason.clone())),
        };
        let internal = |error: EngineError| ProtocolError::Internal(error.to_string());
        let mut note = None;
        let analysis = match analysis {
            Some(_) if !episode.awaits_analysis() => {
                note = Some(IGNORED_ANALYSIS.to_owned());
                None
            }
            Some(Ok(analysis)) => Some(analysis),
            Some(Err(error)) => {
                let refused = episode
                    .refuse_analysis(&error.to_string())
                    .map_err(internal)?;
                note = refused.and_then(|outcome| outcome.step_failure);
                None
            }
            None => None,
        };
        let report = match action {
            Ok(decision) => episode.act(decision, analysis),
            Err(reason) => episode.act_unreadable(&reason, analysis),
        }
        .map_err(internal)?;
        let previous_failure = note.or_else(|| {
            report
                .previous
                .as_ref()
                .and_then(|outcome| outcome.step_failure.clone())
        });
        let action = report.action;
        let step_failure = action
            .as_ref()
            .and_then(|outcome| outcome.step_failure.clone());
        let tool_result = action.and_then(|outcome| outcome.tool_result);
        Ok((previous_failure, step_failure, tool_result))
    }

    fn audit_label(&self) -> Option<&str> {
        self.audit.as_ref().map(|audit| audit.label())
    }
}
