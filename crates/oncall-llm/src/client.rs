//! [`ModelClient`]: one model call, with retries, the shared rate limit,
//! and the cassette (replayed instead of the network, or recorded as it
//! happens).

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use oncall_tools::ToolDefinition;

use crate::cassette::{Cassette, RecordedOutcome, request_key};
use crate::error::LlmError;
use crate::http::{HttpRequest, RateLimiter, Transport, backoff, is_retryable_status};
use crate::settings::{ANTHROPIC_VERSION, LlmSettings, Provider};
use crate::wire::{self, Message, ModelReply};

/// A model call's place: the run's seed (part of the cassette key and of
/// the jitter) and the step it is for (named when a cassette misses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallContext {
    /// The run's seed.
    pub seed: u64,
    /// The step being decided or analysed.
    pub step: u32,
}

/// A model call that returned a reply.
#[derive(Debug, Clone, PartialEq)]
pub struct CompletedCall {
    /// The reply.
    pub reply: ModelReply,
    /// Wall-clock time from the first attempt to the reply, waits included.
    pub latency: Duration,
    /// How many attempts it took.
    pub attempts: u32,
}

/// Calls one model. Shared (in an `Arc`) by every run of an evaluation.
#[derive(Debug)]
pub struct ModelClient {
    settings: LlmSettings,
    transport: Arc<dyn Transport>,
    limiter: Option<Arc<RateLimiter>>,
    cassette: Option<Arc<Cassette>>,
}

impl ModelClient {
    /// A client. Fails when a setting is out of range, or when it would
    /// call a public endpoint without a key (a cassette being replayed needs
    /// none, nor does a server at another base URL, such as a local Ollama).
    pub fn new(
        settings: LlmSettings,
        transport: Arc<dyn Transport>,
        cassette: Option<Arc<Cassette>>,
    ) -> Result<ModelClient, LlmError> {
        settings.validate()?;
        let replaying = cassette.as_ref().is_some_and(|c| !c.is_recording());
        let provider = settings.spec.provider();
        let public = settings.base_url.trim_end_matches('/') == provider.default_base_url();
        if settings.api_key.is_none() && !replaying && (public || provider == Provider::Anthropic) {
            return Err(LlmError::MissingApiKey {
                variable: provider.api_key_variable(),
                provider: provider.display_name(),
            });
        }
        Ok(ModelClient {
            settings,
            transport,
            limiter: None,
            cassette,
        })
    }

    /// The same client, sharing `limiter` with others.
    pub fn with_rate_limiter(self, limiter: Arc<RateLimiter>) -> ModelClient {
        ModelClient {
            limiter: Some(limiter),
            ..self
        }
    }

    /// The settings.
    pub fn settings(&self) -> &LlmSettings {
        &self.settings
    }

    /// Sends `messages` with `tools` and reads the reply. Replaying a
    /// cassette, the recorded outcome stands in for the network; recording,
    /// the outcome is stored once it is final. Retryable failures are
    /// retried per [`RetryPolicy`](crate::RetryPolicy); what is left is an
    /// error naming the provider's message.
    pub fn complete(
        &self,
        messages: &[Message],
        tools: &[ToolDefinition],
        context: CallContext,
    ) -> Result<CompletedCall, LlmError> {
        let provider = self.settings.spec.provider();
        let body = wire::request_body(&self.settings, messages, tools);
        let key = request_key(provider.endpoint_path(), context.seed, &body);
        let started = Instant::now();
        let outcome = match &self.cassette {
            Some(cassette) if !cassette.is_recording() => cassette.lookup(&key, context.step)?,
            recording => {
                let outcome = self.send_with_retries(&body, context);
                if let Some(cassette) = recording {
                    cassette.store(&key, context.step, &body, &outcome)?;
                }
                outcome
            }
        };
        let latency = started.elapsed();
        interpret(provider, outcome, latency)
    }

    fn send_with_retries(&self, body: &Value, context: CallContext) -> RecordedOutcome {
        let request = HttpRequest {
            url: self.settings.endpoint(),
            headers: self.headers(),
            body: body.to_string().into_bytes(),
        };
        let policy = self.settings.retry;
        let jitter_seed = context.seed ^ (u64::from(context.step) << 32);
        let mut attempts = 0u32;
        loop {
            attempts += 1;
            if let Some(limiter) = &self.limiter {
                limiter.acquire();
            }
            let retries_left = attempts <= policy.max_retries;
            let wait = match self.transport.send(&request) {
                Ok(response) if retries_left && is_retryable_status(response.status) => {
                    response.retry_after
                }
                Ok(response) => {
                    // An error body can quote the request; a gateway that
                    // echoes the key must not put it in a log or cassette.
                    let body = if (200..300).contains(&response.status) {
                        response.body
                    } else {
                        self.redact(&response.body)
                    };
                    return RecordedOutcome::Answer {
                        status: response.status,
                        attempts,
                        body,
                    };
                }
                Err(failure) if retries_left && failure.is_retryable() => None,
                Err(failure) => {
                    return RecordedOutcome::Failure {
                        failure: self.redact(failure.message()),
                        attempts,
                    };
                }
            };
            std::thread::sleep(backoff(&policy, attempts - 1, wait, jitter_seed));
        }
    }

    /// `text` with the API key, if it appears, replaced.
    fn redact(&self, text: &str) -> String {
        match &self.settings.api_key {
            Some(key) if !key.expose().is_empty() => text.replace(key.expose(), "[redacted]"),
            _ => text.to_owned(),
        }
    }

    fn headers(&self) -> Vec<(String, String)> {
        let mut headers = vec![("content-type".to_owned(), "application/json".to_owned())];
        let key = self
            .settings
            .api_key
            .as_ref()
            .map(|key| key.expose().to_owned());
        match self.settings.spec.provider() {
            Provider::OpenAi => {
                if let Some(key) = key {
                    headers.push(("authorization".to_owned(), format!("Bearer {key}")));
                }
            }
            Provider::Anthropic => {
                if let Some(key) = key {
                    headers.push(("x-api-key".to_owned(), key));
                }
                headers.push(("anthropic-version".to_owned(), ANTHROPIC_VERSION.to_owned()));
            }
        }
        headers
    }
}

/// What a final outcome means: a reply, or the error it is.
fn interpret(
    provider: Provider,
    outcome: RecordedOutcome,
    latency: Duration,
) -> Result<CompletedCall, LlmError> {
    let name = provider.display_name();
    match outcome {
        RecordedOutcome::Failure { failure, attempts } => Err(LlmError::Transport {
            provider: name,
            attempts,
            message: failure,
        }),
        RecordedOutcome::Answer {
            status,
            attempts,
            body,
        } if (200..300).contains(&status) => {
            let value: Value =
                serde_json::from_str(&body).map_err(|error| LlmError::MalformedReply {
                    provider: name,
                    message: format!("not JSON ({error}): {}", wire::cut(&body, 200)),
                })?;
            let reply = wire::parse_reply(provider, &value).map_err(|message| {
                LlmError::MalformedReply {
                    provider: name,
                    message,
                }
            })?;
            Ok(CompletedCall {
                reply,
                latency,
                attempts,
            })
        }
        RecordedOutcome::Answer {
            status,
            attempts,
            body,
        } => {
            let message = wire::error_message(&body);
            if wire::is_context_length_error(status, &message) {
                return Err(LlmError::ContextLength { message });
            }
            Err(LlmError::Provider {
                provider: name,
                status,
                attempts,
                message,
            })
        }
    }
}
