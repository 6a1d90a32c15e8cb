//! [`McpError`]: why an MCP episode could not be started or served.

use oncall_protocol::ProtocolError;
use oncall_sim::RunError;

/// Why `oncall-gym mcp` could not start or serve its episode. A client's
/// bad request is never one of these: it is answered with a JSON-RPC error
/// or a tool error, and the server goes on.
#[derive(Debug, thiserror::Error)]
pub enum McpError {
    /// The scenario's episode could not be started (an invalid incident, a
    /// step limit over the bound, an audit log that refused its first
    /// event).
    #[error("could not start the episode of `{scenario}`: {source}")]
    Start {
        /// The scenario's id.
        scenario: String,
        /// Why.
        #[source]
        source: RunError,
    },
    /// The audit log file could not be created.
    #[error(transparent)]
    AuditFile(#[from] ProtocolError),
    /// The agent name is empty, too long, or not printable.
    #[error("agent name `{name}`: {reason}")]
    AgentName {
        /// The name as given.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The async runtime could not be built.
    #[error("could not start the MCP server's runtime: {0}")]
    Runtime(std::io::Error),
}
