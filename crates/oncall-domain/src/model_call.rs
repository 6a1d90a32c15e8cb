//! [`ModelCall`]: what one call to a language model cost, as an audit log
//! records it, and [`ModelUsage`], the sum over a run.
//!
//! They hold counts the provider reported and nothing that varies between
//! two replays of the same run: no latency, no price. Wall-clock latency
//! and cost belong to reports, so a log written under a recorded cassette
//! is the same byte for byte.

use serde::{Deserialize, Serialize};

use crate::error::ValidationError;

/// The most bytes of a model name a [`ModelCall`] keeps.
pub const MAX_MODEL_NAME_BYTES: usize = 128;

/// The most bytes of a stop reason a [`ModelCall`] keeps.
pub const MAX_STOP_REASON_BYTES: usize = 64;

/// One call to a language model: the model that answered, the tokens it
/// read (of which `cached_tokens` came from the provider's prompt cache),
/// the tokens it wrote, and why it stopped, in the provider's own words
/// (`tool_calls`, `end_turn`, `length`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ModelCallRecord")]
pub struct ModelCall {
    model: String,
    input_tokens: u64,
    output_tokens: u64,
    cached_tokens: u64,
    stop_reason: String,
}

impl ModelCall {
    /// A call, validated: the model name is 1 to [`MAX_MODEL_NAME_BYTES`]
    /// bytes, the stop reason at most [`MAX_STOP_REASON_BYTES`], and the
    /// cached tokens are part of the input tokens.
    pub fn new(
        model: impl Into<String>,
        input_tokens: u64,
        output_tokens: u64,
        cached_tokens: u64,
        stop_reason: impl Into<String>,
    ) -> Result<ModelCall, ValidationError> {
        ModelCall::try_from(ModelCallRecord {
            model: model.into(),
            input_tokens,
            output_tokens,
            cached_tokens,
            stop_reason: stop_reason.into(),
        })
    }

    /// The model that answered, as the provider named it.
    pub fn model(&self) -> &str {
        &self.model
    }

    /// The tokens of the request, cached ones included.
    pub fn input_tokens(&self) -> u64 {
        self.input_tokens
    }

    /// The tokens of the reply.
    pub fn output_tokens(&self) -> u64 {
        self.output_tokens
    }

    /// The part of [`ModelCall::input_tokens`] read from the prompt cache.
    pub fn cached_tokens(&self) -> u64 {
        self.cached_tokens
    }

    /// Why the model stopped, in the provider's words (empty when it did
    /// not say).
    pub fn stop_reason(&self) -> &str {
        &self.stop_reason
    }
}

/// The model calls of a run, summed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelUsage {
    /// How many calls.
    pub model_calls: u64,
    /// Their input tokens, cached ones included.
    pub input_tokens: u64,
    /// Their output tokens.
    pub output_tokens: u64,
    /// Their input tokens read from a prompt cache.
    pub cached_tokens: u64,
}

impl ModelUsage {
    /// This usage plus `call` (saturating).
    pub fn with_call(self, call: &ModelCall) -> ModelUsage {
        ModelUsage {
            model_calls: self.model_calls.saturating_add(1),
            input_tokens: self.input_tokens.saturating_add(call.input_tokens),
            output_tokens: self.output_tokens.saturating_add(call.output_tokens),
            cached_tokens: self.cached_tokens.saturating_add(call.cached_tokens),
        }
    }

    /// Both usages summed (saturating).
    pub fn plus(self, other: ModelUsage) -> ModelUsage {
        ModelUsage {
            model_calls: self.model_calls.saturating_add(other.model_calls),
            input_tokens: self.input_tokens.saturating_add(other.input_tokens),
            output_tokens: self.output_tokens.saturating_add(other.output_tokens),
            cached_tokens: self.cached_tokens.saturating_add(other.cached_tokens),
        }
    }

    /// Input and output tokens together.
    pub fn total_tokens(&self) -> u64 {
        self.input_tokens.saturating_add(self.output_tokens)
    }
}

/// The wire form of a [`ModelCall`], validated on the way in.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelCallRecord {
    model: String,
    input_tokens: u64,
    output_tokens: u64,
    #[serde(default)]
    cached_tokens: u64,
    #[serde(default)]
    stop_reason: String,
}

impl TryFrom<ModelCallRecord> for ModelCall {
    type Error = ValidationError;

    fn try_from(record: ModelCallRecord) -> Result<ModelCall, ValidationError> {
        if record.model.trim().is_empty() {
            return Err(ValidationError::EmptyField { field: "model" });
        }
        if record.model.len() > MAX_MODEL_NAME_BYTES {
            return Err(ValidationError::Inconsistent {
                field: "model",
                reason: "a model name is at most 128 bytes",
            });
        }
        if record.stop_reason.len() > MAX_STOP_REASON_BYTES {
            return Err(ValidationError::Inconsistent {
                field: "stop_reason",
                reason: "a stop reason is at most 64 bytes",
            });
        }
        if record.cached_tokens > record.input_tokens {
            return Err(ValidationError::Inconsistent {
                field: "cached_tokens",
                reason: "cached tokens are part of the input tokens, so cannot exceed them",
            });
        }
        Ok(ModelCall {
            model: record.model,
            input_tokens: record.input_tokens,
            output_tokens: record.output_tokens,
            cached_tokens: record.cached_tokens,
            stop_reason: record.stop_reason,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_call_round_trips_through_json_and_is_validated_on_the_way_in() {
        let call = ModelCall::new("gpt-4o", 1200, 80, 1024, "tool_calls").unwrap();
        let json = serde_json::to_string(&call).unwrap();
        assert_eq!(
            json,
            r#"{"model":"gpt-4o","input_tokens":1200,"output_tokens":80,"cached_tokens":1024,"stop_reason":"tool_calls"}"#
        );
        assert_eq!(serde_json::from_str::<ModelCall>(&json).unwrap(), call);
        let bad = r#"{"model":"m","input_tokens":1,"output_tokens":0,"cached_tokens":2}"#;
        let error = serde_json::from_str::<ModelCall>(bad).unwrap_err();
        assert!(error.to_string().contains("cached_tokens"), "{error}");
        assert!(ModelCall::new(" ", 0, 0, 0, "").is_err());
        assert!(ModelCall::new("m".repeat(129), 0, 0, 0, "").is_err());
        assert!(ModelCall::new("m", 0, 0, 0, "x".repeat(65)).is_err());
    }

    #[test]
    fn usage_sums_calls_and_saturates() {
        let a = ModelCall::new("m", 10, 5, 2, "end_turn").unwrap();
        let usage = ModelUsage::default().with_call(&a).with_call(&a);
        assert_eq!(
            usage,
            ModelUsage {
                model_calls: 2,
                input_tokens: 20,
                output_tokens: 10,
                cached_tokens: 4
            }
        );
        assert_eq!(usage.total_tokens(), 30);
        let huge = ModelCall::new("m", u64::MAX, u64::MAX, 0, "").unwrap();
        let saturated = usage.with_call(&huge);
        assert_eq!(saturated.input_tokens, u64::MAX);
        assert_eq!(usage.plus(usage).model_calls, 4);
    }

    proptest! {
        #[test]
        fn any_json_object_reads_without_panicking(
            input in 0u64..u64::MAX, cached in 0u64..u64::MAX, model in ".{0,200}"
        ) {
            let json = serde_json::json!({
                "model": model, "input_tokens": input, "output_tokens": 1,
                "cached_tokens": cached, "stop_reason": "x"
            });
            if let Ok(call) = serde_json::from_value::<ModelCall>(json) {
                prop_assert!(call.cached_tokens() <= call.input_tokens());
                let back: ModelCall = serde_json::from_str(&serde_json::to_string(&call).unwrap()).unwrap();
                prop_assert_eq!(back, call);
            }
        }
    }
}
