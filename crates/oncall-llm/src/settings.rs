//! Which model to call and how: [`ModelSpec`] (`openai:MODEL`,
//! `anthropic:MODEL`), [`Provider`], and [`LlmSettings`].

use std::fmt;
use std::time::Duration;

use crate::error::LlmError;

/// The public OpenAI endpoint, used when no base URL is given.
pub const OPENAI_DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";

/// The public Anthropic endpoint, used when no base URL is given.
pub const ANTHROPIC_DEFAULT_BASE_URL: &str = "https://api.anthropic.com";

/// The `anthropic-version` header sent with every Messages API request.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";

/// The most output tokens a reply may ask for by default.
pub const DEFAULT_MAX_OUTPUT_TOKENS: u32 = 2048;

/// The longest a model name may be.
const MAX_MODEL_NAME_CHARS: usize = 128;

/// An API dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Provider {
    /// OpenAI Chat Completions, `POST {base}/chat/completions`: OpenAI,
    /// vLLM, Ollama, LiteLLM, OpenRouter and other compatible servers.
    OpenAi,
    /// The Anthropic Messages API, `POST {base}/v1/messages`.
    Anthropic,
}

impl Provider {
    /// The prefix `--agent` takes: `openai` or `anthropic`.
    pub fn prefix(self) -> &'static str {
        match self {
            Provider::OpenAi => "openai",
            Provider::Anthropic => "anthropic",
        }
    }

    /// The provider's name in messages.
    pub fn display_name(self) -> &'static str {
        match self {
            Provider::OpenAi => "OpenAI-compatible endpoint",
            Provider::Anthropic => "Anthropic",
        }
    }

    /// The environment variable holding the API key.
    pub fn api_key_variable(self) -> &'static str {
        match self {
            Provider::OpenAi => "OPENAI_API_KEY",
            Provider::Anthropic => "ANTHROPIC_API_KEY",
        }
    }

    /// The environment variable holding the base URL.
    pub fn base_url_variable(self) -> &'static str {
        match self {
            Provider::OpenAi => "OPENAI_BASE_URL",
            Provider::Anthropic => "ANTHROPIC_BASE_URL",
        }
    }

    /// The public endpoint.
    pub fn default_base_url(self) -> &'static str {
        match self {
            Provider::OpenAi => OPENAI_DEFAULT_BASE_URL,
            Provider::Anthropic => ANTHROPIC_DEFAULT_BASE_URL,
        }
    }

    /// The path after the base URL that requests go to.
    pub fn endpoint_path(self) -> &'static str {
        match self {
            Provider::OpenAi => "/chat/completions",
            Provider::Anthropic => "/v1/messages",
        }
    }
}

/// A model agent as `--agent` names it: `openai:gpt-4o`,
/// `anthropic:claude-sonnet-4-5`. The model name is passed to the provider
/// as written; an OpenAI-compatible server's names may hold `:` and `/`
/// (`openai:llama3.1:8b`, `openai:meta-llama/Llama-3.1-8B-Instruct`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ModelSpec {
    provider: Provider,
    model: String,
}

impl ModelSpec {
    /// Parses `PROVIDER:MODEL`. `Ok(None)` when the text has no known
    /// provider prefix (it names another kind of agent).
    pub fn parse(text: &str) -> Result<Option<ModelSpec>, LlmError> {
        let Some((prefix, model)) = text.split_once(':') else {
            return Ok(None);
        };
        let provider = match prefix {
            "openai" => Provider::OpenAi,
            "anthropic" => Provider::Anthropic,
            _ => return Ok(None),
        };
        let printable = model.chars().all(|c| !c.is_control() && !c.is_whitespace());
        if model.is_empty() || model.chars().count() > MAX_MODEL_NAME_CHARS || !printable {
            return Err(LlmError::BadModelName {
                given: text.to_owned(),
            });
        }
        Ok(Some(ModelSpec {
            provider,
            model: model.to_owned(),
        }))
    }

    /// The provider.
    pub fn provider(&self) -> Provider {
        self.provider
    }

    /// The model's name, as the provider knows it.
    pub fn model(&self) -> &str {
        &self.model
    }
}

impl fmt::Display for ModelSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.provider.prefix(), self.model)
    }
}

/// An API key. Its `Debug` never shows it, and nothing in this crate
/// writes it anywhere but the request's auth header.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// A key.
    pub fn new(key: impl Into<String>) -> ApiKey {
        ApiKey(key.into())
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// How failed requests are retried: 429, 5xx (and 408, 409, 529) and
/// transport failures (timeouts, refused or reset connections) are tried
/// again up to `max_retries` times, waiting `base_delay × 2^n` with ±25%
/// jitter, at most `max_delay`, or what `Retry-After` / `retry-after-ms`
/// asks (also at most `max_delay`). Every other status is fatal at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// The first backoff.
    pub base_delay: Duration,
    /// The longest single wait.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_retries: 5,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(60),
        }
    }
}

/// Everything an LLM agent needs besides its transport.
#[derive(Debug, Clone)]
pub struct LlmSettings {
    /// The model.
    pub spec: ModelSpec,
    /// The endpoint's base URL, without the path (`.../v1` for OpenAI).
    pub base_url: String,
    /// The key; `None` for servers that need none (a local Ollama) and for
    /// replays.
    pub api_key: Option<ApiKey>,
    /// Sampling temperature, when set (0 to 2).
    pub temperature: Option<f64>,
    /// The most tokens one reply may hold.
    pub max_output_tokens: u32,
    /// How long to wait for a connection.
    pub connect_timeout: Duration,
    /// How long to wait for a reply once the request is sent.
    pub read_timeout: Duration,
    /// Retries.
    pub retry: RetryPolicy,
    /// The most input plus output tokens one run may spend; the run ends
    /// as `budget_exhausted` at the first model call after it is reached.
    pub max_tokens_per_run: Option<u64>,
}

impl LlmSettings {
    /// Settings for `spec` with the defaults: the public endpoint, no key,
    /// no temperature, [`DEFAULT_MAX_OUTPUT_TOKENS`], a 10 s connect and
    /// 120 s read timeout, [`RetryPolicy::default`], no token budget.
    pub fn new(spec: ModelSpec) -> LlmSettings {
        LlmSettings {
            base_url: spec.provider().default_base_url().to_owned(),
            spec,
            api_key: None,
            temperature: None,
            max_output_tokens: DEFAULT_MAX_OUTPUT_TOKENS,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(120),
            retry: RetryPolicy::default(),
            max_tokens_per_run: None,
        }
    }

    /// Checks the ranges: a base URL that is http(s), a temperature from 0
    /// to 2, at least one output token.
    pub fn validate(&self) -> Result<(), LlmError> {
        let url = self.base_url.trim();
        if !(url.starts_with("http://") || url.starts_with("https://"))
            || url.contains(char::is_whitespace)
        {
            return Err(LlmError::BadSetting {
                setting: "--llm-base-url",
                reason: format!(
                    "must be an http:// or https:// URL, got `{}`",
                    self.base_url
                ),
            });
        }
        if let Some(temperature) = self.temperature
            && !(0.0..=2.0).contains(&temperature)
        {
            return Err(LlmError::BadSetting {
                setting: "--temperature",
                reason: format!("must be between 0 and 2, got {temperature}"),
            });
        }
        if self.max_output_tokens == 0 {
            return Err(LlmError::BadSetting {
                setting: "--max-output-tokens",
                reason: "must be at least 1".to_owned(),
            });
        }
        Ok(())
    }

    /// The URL requests are sent to.
    pub fn endpoint(&self) -> String {
        format!(
            "{}{}",
            self.base_url.trim_end_matches('/'),
            self.spec.provider().endpoint_path()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_with_the_model_as_written() {
        let spec = ModelSpec::parse("openai:llama3.1:8b").unwrap().unwrap();
        assert_eq!(spec.provider(), Provider::OpenAi);
        assert_eq!(spec.model(), "llama3.1:8b");
        assert_eq!(spec.to_string(), "openai:llama3.1:8b");
        let spec = ModelSpec::parse("anthropic:claude-sonnet-4-5")
            .unwrap()
            .unwrap();
        assert_eq!(spec.provider(), Provider::Anthropic);
        assert_eq!(ModelSpec::parse("heuristic").unwrap(), None);
        assert_eq!(ModelSpec::parse("gemini:x").unwrap(), None);
        for bad in [
            "openai:",
            "openai:a b",
            &format!("openai:{}", "m".repeat(129)),
        ] {
            assert!(matches!(
                ModelSpec::parse(bad),
                Err(LlmError::BadModelName { .. })
            ));
        }
    }

    #[test]
    fn settings_check_their_ranges_and_build_the_endpoint() {
        let spec = ModelSpec::parse("openai:m").unwrap().unwrap();
        let mut settings = LlmSettings::new(spec);
        assert_eq!(
            settings.endpoint(),
            "https://api.openai.com/v1/chat/completions"
        );
        settings.base_url = "http://127.0.0.1:11434/v1/".to_owned();
        assert_eq!(
            settings.endpoint(),
            "http://127.0.0.1:11434/v1/chat/completions"
        );
        assert!(settings.validate().is_ok());
        settings.temperature = Some(2.5);
        assert!(
            settings
                .validate()
                .unwrap_err()
                .to_string()
                .contains("--temperature")
        );
        settings.temperature = Some(f64::NAN);
        assert!(settings.validate().is_err());
        settings.temperature = None;
        settings.base_url = "ftp://x".to_owned();
        assert!(
            settings
                .validate()
                .unwrap_err()
                .to_string()
                .contains("--llm-base-url")
        );
        let anthropic = LlmSettings::new(ModelSpec::parse("anthropic:m").unwrap().unwrap());
        assert_eq!(
            anthropic.endpoint(),
            "https://api.anthropic.com/v1/messages"
        );
        assert_eq!(
            format!("{:?}", ApiKey::new("sk-secret")),
            "ApiKey(<redacted>)"
        );
    }
}
