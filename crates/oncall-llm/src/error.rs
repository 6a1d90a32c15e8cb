//! The one error type of this crate.

use std::path::PathBuf;

/// What went wrong setting up or calling a model. Messages name the thing
/// that was wrong (the flag, the variable, the file and line, the provider's
/// own message) and never an API key.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum LlmError {
    /// `--agent` named something that is not `openai:MODEL` or
    /// `anthropic:MODEL`.
    #[error(
        "`{given}` is not a model agent: write openai:MODEL (OpenAI and compatible servers) or anthropic:MODEL"
    )]
    NotAModelAgent {
        /// What was given.
        given: String,
    },
    /// A model name that is empty, too long, or not printable.
    #[error("the model name in `{given}` must be 1 to 128 printable characters")]
    BadModelName {
        /// What was given.
        given: String,
    },
    /// A setting out of its range.
    #[error("{setting} {reason}")]
    BadSetting {
        /// The flag or setting, e.g. `--temperature`.
        setting: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// No API key in the environment, and no cassette to replay.
    #[error(
        "{variable} is not set: the {provider} agent needs an API key (or --cassette FILE to replay a recorded run without the network)"
    )]
    MissingApiKey {
        /// The environment variable.
        variable: &'static str,
        /// The provider's name.
        provider: &'static str,
    },
    /// The request could not be sent or its answer read, after every retry.
    #[error("{provider} request failed after {attempts} attempt(s): {message}")]
    Transport {
        /// The provider's name.
        provider: &'static str,
        /// How many attempts were made.
        attempts: u32,
        /// The last failure.
        message: String,
    },
    /// The provider answered with an error: fatal, or retryable and retried
    /// until the retries ran out.
    #[error("{provider} answered HTTP {status} after {attempts} attempt(s): {message}")]
    Provider {
        /// The provider's name.
        provider: &'static str,
        /// The HTTP status.
        status: u16,
        /// How many attempts were made.
        attempts: u32,
        /// The provider's own message (cut to a few hundred bytes).
        message: String,
    },
    /// The conversation no longer fits the model's context window.
    #[error("the conversation no longer fits the model's context window: {message}")]
    ContextLength {
        /// The provider's message.
        message: String,
    },
    /// The provider answered 200 with something that is not a reply.
    #[error("{provider}'s reply could not be read: {message}")]
    MalformedReply {
        /// The provider's name.
        provider: &'static str,
        /// What was wrong with it.
        message: String,
    },
    /// A cassette could not be read or written.
    #[error("cassette {path}: {message}")]
    Cassette {
        /// The cassette file.
        path: PathBuf,
        /// What went wrong (with the line, when it is about one).
        message: String,
    },
    /// Replaying, a request the cassette does not hold.
    #[error(
        "cassette {path} has no recorded reply for step {step}'s model call (request {key}); record it again with --record"
    )]
    CassetteMiss {
        /// The cassette file.
        path: PathBuf,
        /// The step the call was for.
        step: u32,
        /// The request's key, shortened.
        key: String,
    },
    /// A price file could not be read.
    #[error("prices {path}: {message}")]
    Prices {
        /// The file.
        path: PathBuf,
        /// What is wrong (line and column, or the model and field).
        message: String,
    },
    /// A transcript could not be written.
    #[error("could not write the transcript {path}: {message}")]
    Transcript {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
}
