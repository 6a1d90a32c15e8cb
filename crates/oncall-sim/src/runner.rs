//! Running an agent against a scenario: the engine wired the way every
//! oncall-gym run is wired, so runs are reproducible from their seed.
//!
//! # Time and ids in a run
//!
//! A run's clock is the scenario's simulated clock: it starts at the
//! incident's `created_at` and advances [`SIMULATED_SECONDS_PER_STEP`]
//! seconds per step. Ids come from a [`SeededIdGenerator`] seeded with the
//! run's seed, and tool execution times read 0 µs ([`FrozenTimer`]). So the
//! same scenario, agent and seed give the same audit log, byte for byte.
//! Wall time is the caller's business, and never enters the log.

use std::sync::Arc;

use chrono::Duration;

use oncall_audit::{AuditError, Event, EventKind, EventSink, Log};
use oncall_domain::{
    EventId, FixedClock, FrozenTimer, IdGenerator, RunLimits, SeededIdGenerator, ValidationError,
};
use oncall_engine::{Agent, Engine, EngineConfig, EngineError, Run};
use oncall_tools::ToolRegistry;

use crate::evaluation::Evaluation;
use crate::scenario::Scenario;
use crate::scenario_file::MAX_STEPS;

/// Simulated seconds each step of a run takes.
pub const SIMULATED_SECONDS_PER_STEP: i64 = 30;

/// How to run a scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RunSettings {
    /// The seed for ids (and for seeded agents, which take it themselves).
    pub seed: u64,
    /// The step limit, 1 to [`MAX_STEPS`]; the scenario's `max_steps` when
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
    /// A step limit above [`MAX_STEPS`], from the settings or from a
    /// scenario built in code (a loaded one cannot have one).
    #[error(
        "scenario `{scenario}` cannot be run with a limit of {max_steps} steps: the limit must be between 1 and {limit}"
    )]
    StepLimitTooHigh {
        /// The scenario's id.
        scenario: String,
        /// The limit asked for.
        max_steps: u32,
        /// The highest allowed: [`MAX_STEPS`].
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
pub fn run_scenario(
    scenario: &Scenario,
    agent: &mut dyn Agent,
    settings: RunSettings,
    mirror: Option<&mut dyn EventSink>,
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
    mirror: Option<&mut dyn EventSink>,
    registry: Arc<ToolRegistry>,
) -> Result<RunOutcome, RunError> {
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
    let ids: Arc<dyn IdGenerator> = Arc::new(SeededIdGenerator::new(settings.seed));
    let incident = scenario.incident(&*ids).map_err(invalid)?;
    let clock = Arc::new(FixedClock::new(incident.created_at()));
    let config = EngineConfig::new(limits, clock.clone(), Arc::clone(&ids))
        .with_timer(Arc::new(FrozenTimer))
        .with_step_duration(Duration::seconds(SIMULATED_SECONDS_PER_STEP))
        .with_seed(settings.seed);
    let mut sink = MirroredLog {
        log: Log::new(),
        mirror,
    };
    let run = {
        let mut engine = Engine::new(registry, scenario.data_store(), config, &mut sink);
        engine.run(agent, incident)?
    };
    let evaluation = scenario.evaluate(&run);
    let recorded_at = run.ended_at().unwrap_or(run.started_at());
    let event = Event::new(
        EventId::generate(&*ids),
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

/// An in-memory log that also forwards every event to another sink.
#[derive(Debug)]
struct MirroredLog<'m> {
    log: Log,
    mirror: Option<&'m mut dyn EventSink>,
}

impl EventSink for MirroredLog<'_> {
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
