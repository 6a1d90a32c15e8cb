//! Running an agent against a scenario: a loop over a
//! [`ScenarioEpisode`](crate::ScenarioEpisode), which wires the engine the
//! way every oncall-gym run is wired, so runs are reproducible from their
//! scenario, agent and seed.

use std::sync::Arc;

use oncall_audit::{AuditError, EventSink, Log};
use oncall_domain::ValidationError;
use oncall_engine::{Agent, EngineError, Run};
use oncall_tools::ToolRegistry;

use crate::episode::{Mirror, start_scenario_with_registry};
use crate::evaluation::Evaluation;
use crate::scenario::Scenario;

/// How to run a scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RunSettings {
    /// The seed: with the scenario id and the agent's name, it seeds the
    /// run's ids (see [`id_stream_seed`](crate::id_stream_seed)); seeded
    /// agents take it themselves.
    pub seed: u64,
    /// The step limit, 1 to [`MAX_STEPS`](crate::MAX_STEPS); the scenario's `max_steps` when
    /// `None`.
    pub max_steps: Option<u32>,
}

/// A finished run, its audit log (including `evaluation_recorded`), and its
/// evaluation.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    /// The run as the engine left it.
    pub run: Run,
    /// Every event, in order.
    pub log: Log,
    /// The scenario's judgement.
    pub evaluation: Evaluation,
}

/// Why a run could not be carried out (bad decisions are not errors: they
/// are in the run).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// The scenario's incident or limits are invalid.
    #[error("scenario `{scenario}` cannot be run: {source}")]
    InvalidScenario {
        /// The scenario's id.
        scenario: String,
        /// The rule broken.
        #[source]
        source: ValidationError,
    },
    /// A step limit above [`MAX_STEPS`](crate::MAX_STEPS), from the settings or from a
    /// scenario built in code (a loaded one cannot have one).
    #[error(
        "scenario `{scenario}` cannot be run with a limit of {max_steps} steps: the limit must be between 1 and {limit}"
    )]
    StepLimitTooHigh {
        /// The scenario's id.
        scenario: String,
        /// The limit asked for.
        max_steps: u32,
        /// The highest allowed: [`MAX_STEPS`](crate::MAX_STEPS).
        limit: u32,
    },
    /// The engine stopped: the audit log refused an event.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The evaluation could not be recorded.
    #[error("recording the evaluation failed: {0}")]
    Audit(#[from] AuditError),
}

/// Runs `agent` on `scenario` and scores it. Events also go to `mirror`,
/// when given (for example an audit file writer), as they happen.
///
/// A loop over [`start_scenario`](crate::start_scenario)'s episode: whatever an outside driver can
/// do, this does with the agent's decisions.
pub fn run_scenario(
    scenario: &Scenario,
    agent: &mut dyn Agent,
    settings: RunSettings,
    mirror: Option<&mut (dyn EventSink + Send)>,
) -> Result<RunOutcome, RunError> {
    run_scenario_with_registry(
        scenario,
        agent,
        settings,
        mirror,
        Arc::new(ToolRegistry::with_default_tools()),
    )
}

/// [`run_scenario`] with a given tool registry, so callers running many
/// scenarios build it once.
pub fn run_scenario_with_registry(
    scenario: &Scenario,
    agent: &mut dyn Agent,
    settings: RunSettings,
    mirror: Option<&mut (dyn EventSink + Send)>,
    registry: Arc<ToolRegistry>,
) -> Result<RunOutcome, RunError> {
    let mirror = mirror.map(|sink| Box::new(sink) as Mirror<'_>);
    let agent_name = agent.name().to_owned();
    let mut episode =
        start_scenario_with_registry(scenario, &agent_name, settings, mirror, registry)?;
    episode.drive(agent)?;
    episode.finish()
}
