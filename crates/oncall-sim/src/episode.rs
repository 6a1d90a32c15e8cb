//! [`ScenarioEpisode`]: one run of a scenario, held and driven from outside
//! (a protocol session, a test, a loop over an agent). It owns everything it
//! needs, so it can sit in a session map or move between threads, and it
//! wires the engine exactly as every oncall-gym run is wired.
//! [`run_scenario`](crate::run_scenario) is a loop over it, so a run driven
//! from outside and a run of a built-in agent follow one set of rules.
//!
//! # Time and ids in a run
//!
//! A run's clock is the scenario's simulated clock: it starts at the
//! incident's `created_at` and advances [`SIMULATED_SECONDS_PER_STEP`]
//! seconds per step. Ids come from a [`SeededIdGenerator`] seeded with
//! [`id_stream_seed`]`(scenario id, agent name, seed)`, and tool execution
//! times read 0 µs ([`FrozenTimer`]). So the same scenario, agent and seed
//! give the same audit log, byte for byte, and two runs that differ in any
//! of them have different ids. Wall time is the caller's business, and
//! never enters the log.

use std::sync::Arc;

use chrono::Duration;

use oncall_audit::{AuditError, Event, EventKind, EventSink, Log};
use oncall_domain::{
    Decision, EventId, FixedClock, FrozenTimer, IdGenerator, RunLimits, SeededIdGenerator,
};
use oncall_engine::{
    ActionOutcome, Agent, AgentContext, AgentError, Analysis, Engine, EngineConfig, EngineError,
    Episode, Run,
};
use oncall_tools::ToolRegistry;

use crate::runner::{RunError, RunOutcome, RunSettings};
use crate::scenario::Scenario;
use crate::scenario_file::MAX_STEPS;
use crate::seeds::id_stream_seed;

/// Simulated seconds each step of a run takes.
pub const SIMULATED_SECONDS_PER_STEP: i64 = 30;

/// A sink that also receives every event as it happens (an audit file
/// writer, a live trace). `'m` is how long it is borrowed for; a session
/// that keeps an episode uses an owned one (`'static`).
pub type Mirror<'m> = Box<dyn EventSink + Send + 'm>;

/// Starts a run of `scenario` by the agent called `agent_name`, to be driven
/// one decision at a time. Writes `run_started`, to `mirror` too when given.
///
/// Fails when the scenario's incident or step limit is invalid, or when the
/// mirror refuses the first event.
pub fn start_scenario<'m>(
    scenario: &Scenario,
    agent_name: &str,
    settings: RunSettings,
    mirror: Option<Mirror<'m>>,
) -> Result<ScenarioEpisode<'m>, RunError> {
    start_scenario_with_registry(
        scenario,
        agent_name,
        settings,
        mirror,
        Arc::new(ToolRegistry::with_default_tools()),
    )
}

/// [`start_scenario`] with a given tool registry, so callers starting many
/// episodes build it once.
pub fn start_scenario_with_registry<'m>(
    scenario: &Scenario,
    agent_name: &str,
    settings: RunSettings,
    mirror: Option<Mirror<'m>>,
    registry: Arc<ToolRegistry>,
) -> Result<ScenarioEpisode<'m>, RunError> {
    let invalid = |source| RunError::InvalidScenario {
        scenario: scenario.id().to_owned(),
        source,
    };
    let max_steps = settings
        .max_steps
        .unwrap_or(scenario.ground_truth().max_steps);
    if max_steps > MAX_STEPS {
        return Err(RunError::StepLimitTooHigh {
            scenario: scenario.id().to_owned(),
            max_steps,
            limit: MAX_STEPS,
        });
    }
    let limits = RunLimits::new(max_steps).map_err(invalid)?;
    let ids: Arc<dyn IdGenerator> = Arc::new(SeededIdGenerator::new(id_stream_seed(
        scenario.id(),
        agent_name,
        settings.seed,
    )));
    let incident = scenario.incident(&*ids).map_err(invalid)?;
    let clock = Arc::new(FixedClock::new(incident.created_at()));
    let config = EngineConfig::new(limits, clock, Arc::clone(&ids))
        .with_timer(Arc::new(FrozenTimer))
        .with_step_duration(Duration::seconds(SIMULATED_SECONDS_PER_STEP))
        .with_seed(settings.seed);
    let sink = ScenarioSink {
        log: Log::new(),
        mirror,
    };
    let episode = Engine::new(registry, scenario.data_store(), config, sink)
        .into_episode(incident, agent_name)?;
    Ok(ScenarioEpisode {
        scenario: scenario.clone(),
        ids,
        episode,
    })
}

/// What one [`ScenarioEpisode::act`] did: how the previous tool step
/// closed, when one was open, and the action, unless the episode ended
/// before it could be carried out (closing that step used the last one).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StepReport {
    /// How the open tool step closed (with the analysis given, or with no
    /// observation), when one was open.
    pub previous: Option<ActionOutcome>,
    /// What the action did; `None` when the episode ended first.
    pub action: Option<ActionOutcome>,
}

/// One run of a scenario in progress, from [`start_scenario`]: the engine
/// wired as every run is (the scenario's clock, ids from the scenario, agent
/// and seed), owned, so that a session map can hold it.
#[derive(Debug)]
pub struct ScenarioEpisode<'m> {
    scenario: Scenario,
    ids: Arc<dyn IdGenerator>,
    episode: Episode<ScenarioSink<'m>>,
}

impl<'m> ScenarioEpisode<'m> {
    /// What the agent may see now: the incident, its own observations and
    /// hypothesis, the step and the tools. Never the scenario or its ground
    /// truth.
    pub fn context(&self) -> AgentContext<'_> {
        self.episode.context()
    }

    /// Gives the previous tool result its `analysis`, when there is one,
    /// then carries out `decision`: one message per step for an agent
    /// outside the process.
    ///
    /// Without an analysis, an open tool step closes with no observation.
    /// When closing it uses the last step, the episode ends there and the
    /// decision is not carried out (`action` is `None`). An analysis with no
    /// tool result waiting is refused before anything is recorded, as is
    /// any action once the episode is over.
    pub fn act(
        &mut self,
        decision: Decision,
        analysis: Option<Analysis>,
    ) -> Result<StepReport, EngineError> {
        self.act_with(analysis, |episode| episode.act(decision))
    }

    /// [`ScenarioEpisode::act`] for an action that could not be read as a
    /// decision: the step fails with `reason` and records no decision (see
    /// [`Episode::act_unreadable`]).
    pub fn act_unreadable(
        &mut self,
        reason: &str,
        analysis: Option<Analysis>,
    ) -> Result<StepReport, EngineError> {
        self.act_with(analysis, |episode| episode.act_unreadable(reason))
    }

    fn act_with(
        &mut self,
        analysis: Option<Analysis>,
        action: impl FnOnce(&mut Episode<ScenarioSink<'m>>) -> Result<ActionOutcome, EngineError>,
    ) -> Result<StepReport, EngineError> {
        if self.episode.is_over() {
            // The engine's refusal, which names how the episode ended.
            action(&mut self.episode)?;
            return Ok(StepReport::default());
        }
        if analysis.is_some() && !self.episode.awaits_analysis() {
            return Err(EngineError::NoPendingToolResult);
        }
        let previous = match analysis {
            Some(analysis) => Some(self.episode.analyze(analysis)?),
            None => self.episode.close_without_analysis()?,
        };
        let action = if self.episode.is_over() {
            None
        } else {
            Some(action(&mut self.episode)?)
        };
        Ok(StepReport { previous, action })
    }

    /// Refuses an analysis that could not be read: the open tool step, if
    /// any, fails with `reason` (see [`Episode::refuse_analysis`]).
    pub fn refuse_analysis(&mut self, reason: &str) -> Result<Option<ActionOutcome>, EngineError> {
        self.episode.refuse_analysis(reason)
    }

    /// Gives the open tool step its analysis, and closes it.
    pub fn analyze(&mut self, analysis: Analysis) -> Result<ActionOutcome, EngineError> {
        self.episode.analyze(analysis)
    }

    /// Ends the run as `abandoned`, for `message` (why the driver stopped:
    /// a client that went away, say). Refused once the run has ended.
    pub fn abandon(&mut self, message: &str) -> Result<(), EngineError> {
        self.episode.abandon(message)
    }

    /// Records that the agent failed, ending the run with `agent_error`.
    pub fn agent_failed(&mut self, error: &AgentError) -> Result<(), EngineError> {
        self.episode.agent_failed(error)
    }

    /// Drives `agent` until the episode ends.
    pub fn drive(&mut self, agent: &mut dyn Agent) -> Result<(), EngineError> {
        self.episode.drive(agent)
    }

    /// Whether the run has ended.
    pub fn is_over(&self) -> bool {
        self.episode.is_over()
    }

    /// Whether a tool result awaits an analysis.
    pub fn awaits_analysis(&self) -> bool {
        self.episode.awaits_analysis()
    }

    /// The run as it stands.
    pub fn run(&self) -> &Run {
        self.episode.run()
    }

    /// The events so far.
    pub fn log(&self) -> &Log {
        &self.episode.sink().log
    }

    /// Ends the episode (abandoning it if it has not ended), judges the run,
    /// and appends `evaluation_recorded`, exactly as every run does.
    pub fn finish(self) -> Result<RunOutcome, RunError> {
        let (run, mut sink) = self.episode.finish_with_sink()?;
        let evaluation = self.scenario.evaluate(&run);
        let recorded_at = run.ended_at().unwrap_or(run.started_at());
        let event = Event::new(
            EventId::generate(&*self.ids),
            sink.next_sequence(),
            run.id(),
            None,
            recorded_at,
            EventKind::EvaluationRecorded {
                evaluation: serde_json::to_value(&evaluation).unwrap_or(serde_json::Value::Null),
            },
        );
        sink.append(event)?;
        Ok(RunOutcome {
            run,
            log: sink.log,
            evaluation,
        })
    }
}

/// The episode's own in-memory log, which also forwards every event to the
/// mirror as it happens.
#[derive(Debug)]
struct ScenarioSink<'m> {
    log: Log,
    mirror: Option<Mirror<'m>>,
}

impl EventSink for ScenarioSink<'_> {
    fn append(&mut self, event: Event) -> Result<(), AuditError> {
        if let Some(mirror) = self.mirror.as_mut() {
            mirror.append(event.clone())?;
        }
        self.log.append(event)
    }

    fn next_sequence(&self) -> u64 {
        self.log.next_sequence()
    }

    fn end_of_step(&mut self) -> Result<(), AuditError> {
        match self.mirror.as_mut() {
            Some(mirror) => mirror.end_of_step(),
            None => Ok(()),
        }
    }
}
