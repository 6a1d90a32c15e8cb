//! The agents a user can pick by name: the baselines from `oncall-agents`,
//! the oracle from `oncall-sim`, and models (`openai:MODEL`,
//! `anthropic:MODEL`) from `oncall-llm`.

use std::fmt;
use std::str::FromStr;

use oncall_llm::ModelSpec;

use oncall_agents::{HeuristicAgent, RandomAgent};
use oncall_engine::Agent;
use oncall_sim::{OracleAgent, Scenario};

/// A baseline agent, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum AgentKind {
    /// Reads the tool results and follows the evidence: the baseline.
    Heuristic,
    /// Replays the scenario's reference solution. It reads the ground
    /// truth: the ceiling of a scorecard, never a baseline.
    Oracle,
    /// Random valid tool calls, then a random generic action: the floor.
    Random,
}

impl AgentKind {
    /// Every agent, in the order the help lists them.
    pub const ALL: [AgentKind; 3] = [AgentKind::Heuristic, AgentKind::Oracle, AgentKind::Random];

    /// The name the command line takes, and the audit log records.
    pub fn name(self) -> &'static str {
        match self {
            AgentKind::Heuristic => "heuristic",
            AgentKind::Oracle => "oracle",
            AgentKind::Random => "random",
        }
    }

    /// A fresh agent for one run of `scenario`. `seed` seeds the random
    /// agent; the others are deterministic without one. Only the oracle is
    /// handed the scenario: the baselines are built from nothing but their
    /// seed, behind the `oncall-agents` crate wall.
    pub fn build(self, scenario: &Scenario, seed: u64) -> Box<dyn Agent> {
        match self {
            AgentKind::Heuristic => Box::new(HeuristicAgent::new()),
            AgentKind::Oracle => Box::new(OracleAgent::new(scenario)),
            AgentKind::Random => Box::new(RandomAgent::new(seed)),
        }
    }
}

impl fmt::Display for AgentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An agent as `--agent` names it: a baseline (or the oracle), or a model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentChoice {
    /// `heuristic`, `oracle` or `random`.
    Builtin(AgentKind),
    /// `openai:MODEL` or `anthropic:MODEL`.
    Model(ModelSpec),
}

impl AgentChoice {
    /// The model, when it is one.
    pub fn model(&self) -> Option<&ModelSpec> {
        match self {
            AgentChoice::Model(spec) => Some(spec),
            AgentChoice::Builtin(_) => None,
        }
    }
}

impl FromStr for AgentChoice {
    type Err = String;

    fn from_str(text: &str) -> Result<AgentChoice, String> {
        if let Some(kind) = AgentKind::ALL.into_iter().find(|kind| kind.name() == text) {
            return Ok(AgentChoice::Builtin(kind));
        }
        match ModelSpec::parse(text) {
            Ok(Some(spec)) => Ok(AgentChoice::Model(spec)),
            Ok(None) => Err(format!(
                "unknown agent `{text}`: heuristic, oracle, random, openai:MODEL or anthropic:MODEL"
            )),
            Err(error) => Err(error.to_string()),
        }
    }
}

impl fmt::Display for AgentChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AgentChoice::Builtin(kind) => kind.fmt(f),
            AgentChoice::Model(spec) => spec.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::find_builtin;

    #[test]
    fn every_agent_is_named_as_it_names_itself() {
        let scenario = find_builtin("latency_spike").unwrap().load().unwrap();
        for kind in AgentKind::ALL {
            let agent = kind.build(&scenario, 7);
            assert_eq!(agent.name(), kind.name());
            assert_eq!(kind.to_string(), kind.name());
        }
    }

    #[test]
    fn choices_parse_baselines_and_models() {
        assert_eq!(
            "random".parse::<AgentChoice>(),
            Ok(AgentChoice::Builtin(AgentKind::Random))
        );
        let model: AgentChoice = "openai:gpt-4o".parse().unwrap();
        assert_eq!(model.to_string(), "openai:gpt-4o");
        assert_eq!(model.model().map(ModelSpec::model), Some("gpt-4o"));
        let error = "gpt-4o".parse::<AgentChoice>().unwrap_err();
        assert!(error.contains("openai:MODEL"), "{error}");
        assert!("anthropic:".parse::<AgentChoice>().is_err());
    }
}
