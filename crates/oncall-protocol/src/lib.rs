//! `oncall-protocol` opens the gym to agents in any process and any
//! language. [`Sessions`] holds up to [`MAX_OPEN_EPISODES`] scenario
//! episodes open at once, each driven one message per step, and
//! [`serve_lines`] speaks the gym protocol over JSON-RPC 2.0 lines (what
//! `oncall-gym serve --stdio` runs). Every rule of a run is the engine's:
//! a session only reads parameters, calls `oncall-sim`'s
//! [`ScenarioEpisode`](oncall_sim::ScenarioEpisode), and shapes the answer.
//!
//! It depends on `oncall-domain`, `oncall-tools`, `oncall-audit`,
//! `oncall-engine` and `oncall-sim`, and it is synchronous. It must never
//! put anything from a scenario's ground truth, nor the scenario's id,
//! title, summary, category or tags, into an `observation`: those go to
//! `info`, which is for the harness and must never be shown to the agent.
//!
//! # The protocol
//!
//! One JSON object per line on stdin, one answer per line on stdout.
//!
//! - `reset {scenario, seed?, max_steps?, agent?, audit?}` →
//!   `{episode, observation, info}`. `scenario` is a name (never a path);
//!   `seed` defaults to 0; `agent` (default `external`) is the name the
//!   audit log records and, with the scenario and seed, what the run's ids
//!   derive from; `audit` is a file to write the hash-chained log to.
//! - `step {episode, action, analysis?}` → `{observation, reward,
//!   terminated, truncated, info}`. `action` is a decision object (or its
//!   JSON text); `analysis` analyses the previous tool result. An action
//!   that is not a decision fails its step, with the reason in
//!   `observation.step_failure`.
//! - `close {episode}` → `{info}`, with the evaluation and audit head.
//! - `scenarios` → `[{id, difficulty}]`; `tools` → every tool definition.
//!
//! `reward` is 0 until the episode ends, then the score's total;
//! `truncated` means the step limit ended it. Requests that are wrong are
//! answered with a JSON-RPC error (see [`ProtocolError`]) and change
//! nothing.

mod audit_file;
mod error;
mod jsonrpc;
mod params;
mod sessions;
mod view;

pub use crate::audit_file::AuditFile;
pub use crate::error::ProtocolError;
pub use crate::jsonrpc::{MAX_LINE_BYTES, ServeSummary, error_response, handle_line, serve_lines};
pub use crate::params::is_valid_agent_name;
pub use crate::sessions::{
    DEFAULT_AGENT_NAME, MAX_AGENT_NAME_BYTES, MAX_OPEN_EPISODES, ScenarioSource, Sessions, tools,
};
pub use crate::view::{IncidentView, steps_taken};

#[cfg(test)]
mod tests;
