//! [`ProtocolError`]: everything a request can get wrong, each with its
//! JSON-RPC error code and a message a person can act on.

/// Why a request was refused. Nothing is recorded in any episode when a
/// request is refused, except where a variant says so.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// The line is not JSON.
    #[error("the request is not JSON: {0}")]
    Parse(String),
    /// The line is JSON but not a JSON-RPC 2.0 request.
    #[error("the request is not a JSON-RPC 2.0 request: {0}")]
    InvalidRequest(String),
    /// The line is longer than the cap.
    #[error("the request is longer than {limit} bytes, the cap on one line; it was skipped unread")]
    LineTooLong {
        /// The cap, in bytes.
        limit: usize,
    },
    /// No such method.
    #[error("there is no method `{0}`: the methods are reset, step, close, scenarios and tools")]
    MethodNotFound(String),
    /// A parameter is missing, of the wrong type, or out of range.
    #[error("invalid params: {0}")]
    InvalidParams(String),
    /// No open episode has this id.
    #[error("there is no open episode `{0}`: it was never opened, or it has been closed")]
    UnknownEpisode(String),
    /// The episode has ended, so it takes no more steps.
    #[error(
        "episode `{episode}` is over ({termination}): it takes no more steps; `close` it, or `reset` for a new one"
    )]
    EpisodeOver {
        /// The episode's id.
        episode: String,
        /// Why it ended.
        termination: String,
    },
    /// Opening another episode would pass the cap.
    #[error(
        "{limit} episodes are open, the most one process holds: `close` one before opening another"
    )]
    TooManyEpisodes {
        /// The cap.
        limit: usize,
    },
    /// No scenario has this name, or the name is not a valid one.
    #[error("{0}")]
    UnknownScenario(String),
    /// The audit log could not be created or written.
    #[error("{0}")]
    Audit(String),
    /// The engine stopped (its audit sink refused an event). The episode is
    /// closed and removed.
    #[error("the episode stopped: {0}")]
    Internal(String),
}

impl ProtocolError {
    /// The JSON-RPC error code: the standard ones for parse errors, invalid
    /// requests, unknown methods and invalid params, and -32001 to -32006
    /// for the gym's own.
    pub fn code(&self) -> i64 {
        match self {
            ProtocolError::Parse(_) => -32700,
            ProtocolError::InvalidRequest(_) | ProtocolError::LineTooLong { .. } => -32600,
            ProtocolError::MethodNotFound(_) => -32601,
            ProtocolError::InvalidParams(_) => -32602,
            ProtocolError::Internal(_) => -32603,
            ProtocolError::UnknownEpisode(_) => -32001,
            ProtocolError::EpisodeOver { .. } => -32002,
            ProtocolError::TooManyEpisodes { .. } => -32003,
            ProtocolError::UnknownScenario(_) => -32004,
            ProtocolError::Audit(_) => -32005,
        }
    }

    /// A short name for the kind of error, carried as the error's `data`
    /// so that a client can branch on it without matching codes.
    pub fn kind(&self) -> &'static str {
        match self {
            ProtocolError::Parse(_) => "parse_error",
            ProtocolError::InvalidRequest(_) => "invalid_request",
            ProtocolError::LineTooLong { .. } => "line_too_long",
            ProtocolError::MethodNotFound(_) => "method_not_found",
            ProtocolError::InvalidParams(_) => "invalid_params",
            ProtocolError::Internal(_) => "internal_error",
            ProtocolError::UnknownEpisode(_) => "unknown_episode",
            ProtocolError::EpisodeOver { .. } => "episode_over",
            ProtocolError::TooManyEpisodes { .. } => "too_many_episodes",
            ProtocolError::UnknownScenario(_) => "unknown_scenario",
            ProtocolError::Audit(_) => "audit_error",
        }
    }
}
