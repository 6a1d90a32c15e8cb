//! `oncall-gym` is the product: a facade over the crates and the
//! `oncall-gym` command. It depends on every other crate and re-exports
//! them, so a user can write `oncall_gym::sim::Scenario` (the baselines are
//! `oncall_gym::baselines`, the model agents `oncall_gym::llm`, the gym
//! protocol `oncall_gym::protocol`, the MCP server `oncall_gym::mcp`).
//! Nothing depends on it.
//! It is the only place that may read the wall clock (to report how long
//! runs took, never inside an audit log) and run things in parallel.
//!
//! Besides the re-exports it holds what the command is made of, so that it
//! can be tested and reused: the scenarios compiled into the binary
//! ([`builtin`]), finding a scenario by name or path ([`library`]), the
//! agents a user can pick ([`agents`]), building a baseline or a model
//! agent per run and what a run spent ([`models`]),
//! parallel evaluation ([`eval`]), seeded variants rendered from a
//! scenario's spec ([`variants`]) and the scorecard with pass^k
//! ([`scorecard`]).

pub mod agents;
pub mod builtin;
pub mod compare;
pub mod eval;
pub mod library;
pub mod models;
pub mod scorecard;
pub mod variants;

pub use oncall_agents as baselines;
pub use oncall_audit as audit;
pub use oncall_domain as domain;
pub use oncall_engine as engine;
pub use oncall_llm as llm;
pub use oncall_mcp as mcp;
pub use oncall_protocol as protocol;
pub use oncall_sim as sim;
pub use oncall_tools as tools;
