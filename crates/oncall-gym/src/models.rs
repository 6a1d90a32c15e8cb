//! Model agents in the product: one [`ModelAgents`] per command, which
//! builds an [`LlmAgent`] for each run (sharing the client, its rate limit
//! and its cassette), names its transcript, and prices what it spent.
//! [`AgentFactory`] puts them beside the baselines, so `run` and `eval`
//! build either the same way.

use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use oncall_domain::ModelUsage;
use oncall_engine::Agent;
use oncall_llm::{LlmAgent, LlmRunStats, ModelClient, PriceTable};
use oncall_sim::Scenario;

use crate::agents::AgentKind;

/// Builds model agents for the runs of one command.
#[derive(Debug)]
pub struct ModelAgents {
    client: Arc<ModelClient>,
    prices: PriceTable,
    transcripts: Option<PathBuf>,
}

impl ModelAgents {
    /// Agents calling through `client`, priced by `prices`, writing a
    /// transcript per run into `transcripts` when given.
    pub fn new(
        client: Arc<ModelClient>,
        prices: PriceTable,
        transcripts: Option<PathBuf>,
    ) -> ModelAgents {
        ModelAgents {
            client,
            prices,
            transcripts,
        }
    }

    /// `provider:model`.
    pub fn name(&self) -> String {
        self.client.settings().spec.to_string()
    }

    /// The price table.
    pub fn prices(&self) -> &PriceTable {
        &self.prices
    }

    /// Whether the model's price is known.
    pub fn has_price(&self) -> bool {
        self.prices
            .price(self.client.settings().spec.model())
            .is_some()
    }

    /// What `usage` cost, by the model's price; `None` when it is unknown.
    pub fn cost(&self, usage: &ModelUsage) -> Option<f64> {
        self.prices.cost(self.client.settings().spec.model(), usage)
    }

    /// An agent for one run with `seed`; its transcript (if any) is
    /// `DIR/{scenario}-trial{trial}-seed{seed}.json`.
    pub fn build(&self, scenario: &str, trial: u32, seed: u64) -> (LlmAgent, Arc<LlmRunStats>) {
        let mut agent = LlmAgent::new(Arc::clone(&self.client), seed);
        if let Some(directory) = &self.transcripts {
            let name = format!("{scenario}-trial{trial}-seed{seed}.json");
            agent = agent.with_transcript(directory.join(name));
        }
        let stats = agent.stats();
        (agent, stats)
    }
}

/// How the agent of each run is made.
#[derive(Debug, Clone)]
pub enum AgentFactory {
    /// A baseline or the oracle.
    Builtin(AgentKind),
    /// A model.
    Model(Arc<ModelAgents>),
}

/// An agent built for one run, with its model statistics when it is a
/// model.
pub struct BuiltAgent {
    /// The agent.
    pub agent: Box<dyn Agent>,
    /// Latency and attempts, for a model agent.
    pub stats: Option<Arc<LlmRunStats>>,
}

impl std::fmt::Debug for BuiltAgent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BuiltAgent")
            .field("agent", &self.agent.name())
            .field("stats", &self.stats)
            .finish()
    }
}

impl AgentFactory {
    /// The agent's name, as logs record it.
    pub fn name(&self) -> String {
        match self {
            AgentFactory::Builtin(kind) => kind.name().to_owned(),
            AgentFactory::Model(models) => models.name(),
        }
    }

    /// An agent for trial `trial` of `scenario` with `seed`. Only the
    /// oracle is handed the scenario.
    pub fn build(&self, scenario: &Scenario, trial: u32, seed: u64) -> BuiltAgent {
        match self {
            AgentFactory::Builtin(kind) => BuiltAgent {
                agent: kind.build(scenario, seed),
                stats: None,
            },
            AgentFactory::Model(models) => {
                let (agent, stats) = models.build(scenario.id(), trial, seed);
                BuiltAgent {
                    agent: Box::new(agent),
                    stats: Some(stats),
                }
            }
        }
    }

    /// The usage report of a run that spent `usage`: cost by the model's
    /// price (0 for a baseline, which calls no model; `None` when the
    /// model's price is unknown), and the model calls' wall-clock latency.
    pub fn usage(&self, usage: ModelUsage, stats: Option<&LlmRunStats>) -> RunUsage {
        let cost_usd = match self {
            AgentFactory::Builtin(_) => Some(0.0),
            AgentFactory::Model(models) => models.cost(&usage),
        };
        RunUsage {
            model_calls: usage.model_calls,
            input_tokens: usage.input_tokens,
            output_tokens: usage.output_tokens,
            cached_tokens: usage.cached_tokens,
            cost_usd: cost_usd.map(round_cost),
            model_latency_ms: stats.map_or(0.0, LlmRunStats::latency_ms),
        }
    }
}

/// What a run spent on a model: the `usage` of an `eval --out` line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunUsage {
    /// Model calls.
    pub model_calls: u64,
    /// Input tokens, cached ones included.
    pub input_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
    /// Input tokens read from a prompt cache.
    pub cached_tokens: u64,
    /// US dollars, by `--prices` or the built-in prices; `null` when the
    /// model's price is unknown.
    pub cost_usd: Option<f64>,
    /// The model calls' wall-clock latency, retries and waits included, in
    /// milliseconds. Never in the audit log, which stays deterministic.
    pub model_latency_ms: f64,
}

impl RunUsage {
    /// The tokens, in and out.
    pub fn total_tokens(&self) -> u64 {
        self.input_tokens.saturating_add(self.output_tokens)
    }
}

/// A cost rounded to a millionth of a dollar, so sums print stably.
pub fn round_cost(cost: f64) -> f64 {
    (cost * 1e6).round() / 1e6
}
