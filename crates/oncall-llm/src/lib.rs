//! `oncall-llm` holds the model agents: [`LlmAgent`] asks a language model
//! what to do at every step, over OpenAI-compatible Chat Completions
//! (`openai:MODEL`: OpenAI, vLLM, Ollama, LiteLLM, OpenRouter) or the
//! Anthropic Messages API (`anthropic:MODEL`). Around the call it keeps
//! what an evaluation of a model needs: retries with backoff that honour
//! `Retry-After`, a rate limit shared by parallel runs, a token budget per
//! run, token accounting for the audit log ([`ModelCall`](oncall_domain::ModelCall)
//! events), prices ([`PriceTable`]), transcripts, and [`Cassette`]s that
//! record model calls once and replay them byte for byte without the
//! network.
//!
//! It depends on `oncall-domain`, `oncall-tools` and `oncall-engine`, like
//! the baseline agents in `oncall-agents`, and on `ureq`, a blocking HTTP
//! client, so the agent stays synchronous like the core. It must never know
//! about `oncall-sim`: a model sees the incident, the tool catalogue and
//! tool results, never a scenario or its answer. `tests/layering.rs`
//! enforces the wall. API keys live only in request headers: never in a
//! cassette, a transcript, a log or an error message.

mod agent;
mod cassette;
mod client;
mod error;
mod http;
mod prices;
mod prompt;
mod settings;
mod wire;

pub use crate::agent::{LlmAgent, LlmRunStats, NO_CALL_TWICE, NUDGE};
pub use crate::cassette::{
    Cassette, MAX_CASSETTE_BYTES, MAX_CASSETTE_LINE_BYTES, RecordedOutcome, canonical, request_key,
};
pub use crate::client::{CallContext, CompletedCall, ModelClient};
pub use crate::error::LlmError;
pub use crate::http::{
    HttpRequest, HttpResponse, MAX_REPLY_BYTES, RateLimiter, Transport, TransportFailure,
    UreqTransport, backoff, is_retryable_status, retry_after,
};
pub use crate::prices::{BUILT_IN_PRICES_AS_OF, MAX_PRICE_FILE_BYTES, ModelPrice, PriceTable};
pub use crate::prompt::{ANALYSIS_ARGUMENT, MAX_RESULT_BYTES_SHOWN, model_tools, system_prompt};
pub use crate::settings::{
    ANTHROPIC_DEFAULT_BASE_URL, ANTHROPIC_VERSION, ApiKey, DEFAULT_MAX_OUTPUT_TOKENS, LlmSettings,
    ModelSpec, OPENAI_DEFAULT_BASE_URL, Provider, RetryPolicy,
};
pub use crate::wire::{Message, ModelReply, ToolCallRequest};
