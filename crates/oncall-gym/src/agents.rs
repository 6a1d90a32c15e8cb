//! The agents a user can pick by name: the baselines from `oncall-agents`
//! and the oracle from `oncall-sim`.

use std::fmt;

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
}
