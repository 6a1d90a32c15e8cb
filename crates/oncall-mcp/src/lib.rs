//! `oncall-mcp` serves one scenario episode as an MCP server over stdio
//! (what `oncall-gym mcp SCENARIO` runs), so that any MCP client (Claude
//! Code, Claude Desktop, an IDE agent, a framework's MCP adapter) can work
//! an incident and have the run scored with nothing else to write. It uses
//! rmcp, the official Rust SDK, for the protocol (version negotiation,
//! lifecycle, dispatch) and its own line transport for the caps and
//! JSON-RPC errors (see [`MAX_MESSAGE_BYTES`]).
//!
//! The agent gets: the alert, in the server's `instructions`, the
//! `investigate` prompt and the `incident` tool; the diagnostic tools and
//! the ending actions, with the schemas every other way in exports; and
//! `record_observation`, which gives the last tool result its analysis and
//! updates the hypothesis. Every rule of a run is the engine's: this crate
//! turns calls into decisions and analyses for `oncall-sim`'s
//! [`ScenarioEpisode`](oncall_sim::ScenarioEpisode), and the episode ends
//! on an ending action or at the step limit; later calls get a tool error.
//!
//! It depends on `oncall-domain`, `oncall-tools`, `oncall-audit`,
//! `oncall-engine`, `oncall-sim` and `oncall-protocol` (the audit file and
//! the agent's view of the alert), and on rmcp and tokio: it is one of the
//! crates that may hold an async runtime, and it calls the synchronous core
//! under one lock. It must never show the agent the scenario's id, title,
//! category or tags, nor anything of its ground truth or evaluation: those
//! go to the harness (the finish hook, stderr, `--out`), never to the
//! client.

mod episode;
mod error;
mod render;
mod server;
mod tools;
mod transport;

pub use crate::episode::{
    AuditReport, CLIENT_LEFT, FinishHook, Finished, McpEpisode, McpSettings, SERVER_STOPPED,
};
pub use crate::error::McpError;
pub use crate::render::MAX_TEXT_BYTES;
pub use crate::server::{INVESTIGATE_PROMPT, ServeSummary, serve_stdio};
pub use crate::tools::{INCIDENT, RECORD_OBSERVATION, mcp_tool_definitions};
pub use crate::transport::MAX_MESSAGE_BYTES;

#[cfg(test)]
mod tests;
