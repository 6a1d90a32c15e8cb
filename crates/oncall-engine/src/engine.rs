//! [`Engine`]: construction, configuration, and the push loop.

use std::sync::Arc;

use chrono::Duration;

use oncall_audit::EventSink;
use oncall_domain::{Clock, ExecutionTimer, FrozenTimer, IdGenerator, Incident, RunId, RunLimits};
use oncall_tools::{DataSource, ToolDefinition, ToolLimits, ToolRegistry};

use crate::agent::Agent;
use crate::episode::Episode;
use crate::error::EngineError;
use crate::run::Run;

/// How the engine runs: the limits, and the injected sources of time, ids
/// and timing. There is no default for the limits: whoever builds a config
/// says how many steps a run may take.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    pub(crate) limits: RunLimits,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) ids: Arc<dyn IdGenerator>,
    pub(crate) timer: Arc<dyn ExecutionTimer>,
    pub(crate) tool_limits: ToolLimits,
    pub(crate) step_duration: Duration,
    pub(crate) seed: u64,
}

impl EngineConfig {
    /// A config with the given limits, clock and id generator; a
    /// [`FrozenTimer`] (every tool reports 0 µs), the default tool limits, no
    /// simulated time per step, and seed 0.
    pub fn new(
        limits: RunLimits,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> EngineConfig {
        EngineConfig {
            limits,
            clock,
            ids,
            timer: Arc::new(FrozenTimer),
            tool_limits: ToolLimits::default(),
            step_duration: Duration::zero(),
            seed: 0,
        }
    }

    /// The same config timing tools with `timer`.
    pub fn with_timer(self, timer: Arc<dyn ExecutionTimer>) -> EngineConfig {
        EngineConfig { timer, ..self }
    }

    /// The same config bounding tool output with `tool_limits`.
    pub fn with_tool_limits(self, tool_limits: ToolLimits) -> EngineConfig {
        EngineConfig {
            tool_limits,
            ..self
        }
    }

    /// The same config adding `step_duration` of simulated time per step: a
    /// step's events carry the clock's time plus the duration of the steps
    /// before it, and the step ends one `step_duration` after it started.
    /// Negative durations count as zero.
    pub fn with_step_duration(self, step_duration: Duration) -> EngineConfig {
        EngineConfig {
            step_duration: step_duration.max(Duration::zero()),
            ..self
        }
    }

    /// The same config recording `seed` in every run it starts.
    pub fn with_seed(self, seed: u64) -> EngineConfig {
        EngineConfig { seed, ..self }
    }

    /// The run limits.
    pub fn limits(&self) -> RunLimits {
        self.limits
    }

    /// The seed recorded in runs.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The simulated time per step.
    pub fn step_duration(&self) -> Duration {
        self.step_duration
    }
}

/// Runs investigations: built from a tool registry, a data source, a config
/// and an audit sink.
///
/// Tools see the incident's `created_at` as "now", so they never return data
/// from after the alert, however long the investigation takes.
#[derive(Debug)]
pub struct Engine<S: EventSink> {
    pub(crate) registry: Arc<ToolRegistry>,
    pub(crate) source: Arc<dyn DataSource>,
    pub(crate) config: EngineConfig,
    pub(crate) catalogue: Arc<[ToolDefinition]>,
    pub(crate) sink: S,
}

impl<S: EventSink> Engine<S> {
    /// An engine that calls `registry`'s tools against `source` and writes
    /// every event to `sink`. Pass `&mut log` as the sink to keep the log.
    pub fn new(
        registry: Arc<ToolRegistry>,
        source: Arc<dyn DataSource>,
        config: EngineConfig,
        sink: S,
    ) -> Engine<S> {
        let catalogue = registry.definitions().into();
        Engine {
            registry,
            source,
            config,
            catalogue,
            sink,
        }
    }

    /// Starts an episode for `incident`, to be driven from outside one
    /// decision at a time, writing into this engine's sink. Writes
    /// `run_started`.
    pub fn start(
        &mut self,
        incident: Incident,
        agent_name: &str,
    ) -> Result<Episode<&mut S>, EngineError> {
        self.lend().into_episode(incident, agent_name)
    }

    /// Starts an episode for `incident` that owns this engine, sink and
    /// all, so that it can be kept (in a session map, on another thread)
    /// and driven one decision at a time. Writes `run_started`; the sink
    /// comes back from [`Episode::finish_with_sink`].
    pub fn into_episode(
        self,
        incident: Incident,
        agent_name: &str,
    ) -> Result<Episode<S>, EngineError> {
        let run_id = RunId::generate(&*self.config.ids);
        Episode::begin(self, run_id, incident, agent_name.to_owned())
    }

    /// An engine sharing this one's tools, data and config that writes into
    /// this one's sink.
    fn lend(&mut self) -> Engine<&mut S> {
        Engine {
            registry: Arc::clone(&self.registry),
            source: Arc::clone(&self.source),
            config: self.config.clone(),
            catalogue: Arc::clone(&self.catalogue),
            sink: &mut self.sink,
        }
    }

    /// Drives `agent` through an investigation of `incident` until it ends,
    /// and returns the run. Built on [`Engine::start`], so both ways in share
    /// one set of rules.
    ///
    /// Bad decisions do not make this fail: they fail a step, or end the run,
    /// as the run records. It fails only when the audit sink refuses an event.
    pub fn run(&mut self, agent: &mut dyn Agent, incident: Incident) -> Result<Run, EngineError> {
        let agent_name = agent.name().to_owned();
        let mut episode = self.start(incident, &agent_name)?;
        episode.drive(agent)?;
        episode.finish()
    }

    /// The tool catalogue agents see.
    pub fn catalogue(&self) -> &[ToolDefinition] {
        &self.catalogue
    }

    /// The config.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// The audit sink.
    pub fn sink(&self) -> &S {
        &self.sink
    }

    /// Gives the audit sink back.
    pub fn into_sink(self) -> S {
        self.sink
    }
}
