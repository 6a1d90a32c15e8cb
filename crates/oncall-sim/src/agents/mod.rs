//! The baseline agents. They live here, above the engine, because the
//! oracle reads a scenario's ground truth; the heuristic and random agents
//! see only what the engine's context and the tools give them.

mod heuristic;
mod oracle;
mod random;

pub use crate::agents::heuristic::HeuristicAgent;
pub use crate::agents::oracle::OracleAgent;
pub use crate::agents::random::RandomAgent;
