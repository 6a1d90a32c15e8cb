//! [`Gym`]: what the server needs from the product, which alone knows the
//! scenario library, the agents and the scorecard. The server holds one
//! and calls it from blocking threads.

use std::sync::Arc;

use serde::Deserialize;
use utoipa::ToSchema;

use oncall_protocol::ScenarioSource;
use oncall_sim::{Difficulty, Scenario};
use oncall_store::{EvalRow, Job, PreparedRun, RunRow};

/// The product's side of the server: the library, how an eval is planned
/// and a queued run made, and how stored runs are summed up.
pub trait Gym: Send + Sync + 'static {
    /// Every scenario offered, as (id, difficulty), sorted by id.
    fn scenarios(&self) -> Vec<(String, Difficulty)>;

    /// The scenario called `name` (a name, never a path), or why there is
    /// none.
    fn load(&self, name: &str) -> Result<Scenario, String>;

    /// The eval `request` asks for, or why it cannot be run (a message for
    /// the client: an unknown agent or scenario).
    fn plan_eval(&self, request: &EvalRequest) -> Result<PlannedEval, String>;

    /// Makes the run `job` names: its record and audit log ready to store,
    /// or why it could not be made.
    fn run_job(&self, job: &Job) -> Result<PreparedRun, String>;

    /// The scorecard of `eval`'s stored runs, as the CLI's `evals show
    /// --json` prints it; `None` with no runs.
    fn scorecard(
        &self,
        eval: &EvalRow,
        runs: &[RunRow],
    ) -> Result<Option<serde_json::Value>, String>;

    /// What a person browsing the library sees of scenario `name` before
    /// asking for the answer: `{id, title, difficulty, category, tags,
    /// incident}`; `None` when there is no such scenario.
    fn describe_scenario(&self, name: &str) -> Option<serde_json::Value>;

    /// The answer to scenario `name`, for a person after a run:
    /// `{summary, ground_truth}`; `None` when there is no such scenario.
    fn scenario_answer(&self, name: &str) -> Option<serde_json::Value>;

    /// The comparison of two evals' runs, as the CLI's `compare --json`
    /// prints it, with `resamples` bootstrap resamples.
    fn compare(
        &self,
        a: &[RunRow],
        b: &[RunRow],
        resamples: u32,
    ) -> Result<serde_json::Value, String>;
}

/// `POST /v1/evals`: what to evaluate.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvalRequest {
    /// The agent: `heuristic`, `oracle`, `random`, `openai:MODEL` or
    /// `anthropic:MODEL` (a model agent's key comes from the workers'
    /// environment).
    #[schema(example = "heuristic")]
    pub agent: String,
    /// Scenario names (default: every scenario the server offers).
    #[serde(default)]
    pub scenarios: Option<Vec<String>>,
    /// Trials per scenario (k of pass^k).
    #[schema(minimum = 1, maximum = 10000, example = 3)]
    pub trials: u32,
    /// The base seed; each trial's seed derives from it, the scenario and
    /// the trial (default 0).
    #[serde(default)]
    pub seed: Option<u64>,
    /// A step limit for every run (default: each scenario's own).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 1000)]
    pub max_steps: Option<u32>,
    /// Evaluate each scenario as this many seeded variants rendered from
    /// its spec, each run `trials` times (as `eval --variants`; default:
    /// the scenarios as committed).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 100)]
    pub variants: Option<u32>,
}

/// An eval ready to queue: its agent, model and settings as the store
/// keeps them, and its (scenario, trial) pairs in order.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedEval {
    /// The agent's name, as runs record it.
    pub agent: String,
    /// The model, for a model agent.
    pub model: Option<String>,
    /// What a worker needs to make each run (the CLI's eval settings).
    pub settings: serde_json::Value,
    /// The runs, as (scenario, trial).
    pub pairs: Vec<(String, u32)>,
}

/// A [`Gym`] as the protocol's scenario source, for the episodes' sessions.
#[derive(Clone)]
pub(crate) struct GymSource(pub(crate) Arc<dyn Gym>);

impl std::fmt::Debug for GymSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GymSource")
    }
}

impl ScenarioSource for GymSource {
    fn list(&self) -> Vec<(String, Difficulty)> {
        self.0.scenarios()
    }

    fn load(&self, name: &str) -> Result<Scenario, String> {
        self.0.load(name)
    }
}
