//! Turning `--agent` and the model flags into an [`AgentFactory`]: where
//! the endpoint is, the key (from the environment only), the cassette, the
//! prices and the transcripts.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use oncall_gym::agents::AgentChoice;
use oncall_gym::models::{AgentFactory, ModelAgents};
use oncall_llm::{
    ApiKey, Cassette, LlmError, LlmSettings, ModelClient, ModelSpec, PriceTable, RateLimiter,
    RetryPolicy, UreqTransport,
};

use crate::cli::ModelArgs;
use crate::commands::UsageError;

/// How long to wait for a connection to a model's endpoint.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The factory for `choice`. A model flag given to a baseline, a missing
/// key or an out-of-range setting is a usage error (exit 2); a cassette or
/// price file that cannot be read is an error (exit 1).
pub(crate) fn agent_factory(
    choice: &AgentChoice,
    arguments: &ModelArgs,
    max_rps: Option<f64>,
) -> anyhow::Result<AgentFactory> {
    let spec = match choice {
        AgentChoice::Builtin(kind) => {
            let mut flags = arguments.model_only_flags();
            if max_rps.is_some() {
                flags.push("--max-rps");
            }
            if !flags.is_empty() {
                return Err(UsageError(format!(
                    "{} only apply to a model agent (--agent openai:MODEL or anthropic:MODEL), not {kind}",
                    flags.join(", ")
                ))
                .into());
            }
            return Ok(AgentFactory::Builtin(*kind));
        }
        AgentChoice::Model(spec) => spec,
    };
    let settings = settings(spec, arguments);
    // Everything that can refuse comes before a cassette is opened, so a
    // refused command never empties a cassette it was to record into.
    let prices = match &arguments.prices {
        Some(path) => PriceTable::built_in_with_file(path)?,
        None => PriceTable::built_in(),
    };
    if let Some(directory) = &arguments.transcripts {
        create_directory(directory)?;
    }
    let transport = Arc::new(UreqTransport::new(
        settings.connect_timeout,
        settings.read_timeout,
    ));
    let cassette = match &arguments.cassette {
        Some(path) if arguments.record => {
            ModelClient::new(settings.clone(), transport.clone(), None).map_err(usage_or_error)?;
            Some(Arc::new(Cassette::record(path)?))
        }
        Some(path) => Some(Arc::new(Cassette::replay(path)?)),
        None => None,
    };
    let mut client = ModelClient::new(settings, transport, cassette).map_err(usage_or_error)?;
    if let Some(limiter) = max_rps.and_then(RateLimiter::new) {
        client = client.with_rate_limiter(Arc::new(limiter));
    }
    Ok(AgentFactory::Model(Arc::new(ModelAgents::new(
        Arc::new(client),
        prices,
        arguments.transcripts.clone(),
    ))))
}

/// The settings the flags and the environment give.
fn settings(spec: &ModelSpec, arguments: &ModelArgs) -> LlmSettings {
    let provider = spec.provider();
    let mut settings = LlmSettings::new(spec.clone());
    let from_environment = |variable: &str| {
        std::env::var(variable)
            .ok()
            .map(|value| value.trim().to_owned())
            .filter(|value| !value.is_empty())
    };
    if let Some(url) = arguments
        .llm_base_url
        .clone()
        .or_else(|| from_environment(provider.base_url_variable()))
    {
        settings.base_url = url;
    }
    settings.api_key = from_environment(provider.api_key_variable()).map(ApiKey::new);
    settings.temperature = arguments.temperature;
    settings.max_output_tokens = arguments.max_output_tokens;
    settings.connect_timeout = CONNECT_TIMEOUT;
    settings.read_timeout = Duration::from_secs(arguments.llm_timeout);
    settings.retry = RetryPolicy {
        max_retries: arguments.llm_retries,
        ..RetryPolicy::default()
    };
    settings.max_tokens_per_run = arguments.max_tokens_per_run;
    settings
}

/// A missing key or a bad setting is the user's to fix on the command
/// line (exit 2); anything else failed (exit 1).
fn usage_or_error(error: LlmError) -> anyhow::Error {
    match error {
        LlmError::MissingApiKey { .. } | LlmError::BadSetting { .. } => {
            UsageError(error.to_string()).into()
        }
        other => other.into(),
    }
}

fn create_directory(directory: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(directory).with_context(|| {
        format!(
            "could not create the transcripts directory {}",
            directory.display()
        )
    })
}
