//! `oncall-agents` holds the baseline agents: the [`HeuristicAgent`], which
//! reads tool results and follows the evidence the way an SRE does, and the
//! [`RandomAgent`], a seeded floor for scorecards. They see only what the
//! engine's [`AgentContext`](oncall_engine::AgentContext) and the tools give
//! any agent.
//!
//! It depends on `oncall-domain`, `oncall-tools` and `oncall-engine`. It must
//! never know about `oncall-sim`: scenarios, their ground truth and the
//! grader are on the other side of a crate wall that `tests/layering.rs`
//! enforces, so no agent here can read an answer, by accident or otherwise.
//! (The oracle, which replays a scenario's reference solution, reads ground
//! truth by design and lives in `oncall-sim`.)

mod heuristic;
mod random;

pub use crate::heuristic::HeuristicAgent;
pub use crate::random::RandomAgent;
