//! [`Decision`]: what an agent chose to do next.

use serde::{Deserialize, Serialize};

/// What an agent chose to do next. Produced by agents, which may be LLMs, so
/// the engine treats it as untrusted: the confidence is carried as the raw
/// number the agent gave, and the engine validates it into a
/// [`Confidence`](crate::Confidence) before acting on it.
///
/// JSON form: `{"action": "call_tool" | "propose_mitigation" | "escalate", ...}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum Decision {
    /// Call a diagnostic tool.
    CallTool {
        /// The tool's name, as the catalogue lists it.
        tool_name: String,
        /// The parameters, as a JSON object.
        params: serde_json::Map<String, serde_json::Value>,
        /// Why, in the agent's words.
        #[serde(default)]
        reasoning: String,
    },
    /// End the investigation by proposing a mitigation.
    ProposeMitigation {
        /// What to do, in free text. The scenario judges it.
        mitigation: String,
        /// How sure the agent is, as given (validated by the engine).
        #[serde(with = "raw_number")]
        confidence: f64,
        /// Why, in the agent's words.
        #[serde(default)]
        reasoning: String,
    },
    /// End the investigation by handing it to someone else.
    Escalate {
        /// Why.
        reason: String,
        /// To whom, e.g. "the database team".
        target: String,
    },
}

impl Decision {
    /// The snake_case action name, as in the JSON tag.
    pub fn action(&self) -> &'static str {
        match self {
            Decision::CallTool { .. } => "call_tool",
            Decision::ProposeMitigation { .. } => "propose_mitigation",
            Decision::Escalate { .. } => "escalate",
        }
    }

    /// Whether this decision ends the run.
    pub fn is_terminal(&self) -> bool {
        !matches!(self, Decision::CallTool { .. })
    }
}

/// Writes a finite `f64` as a JSON number and NaN or an infinity as the
/// strings `"NaN"`, `"inf"` and `"-inf"`, which plain JSON cannot hold. An
/// agent's invalid confidence must survive a trip through the audit log
/// unchanged, so that replay sees exactly what the engine rejected.
pub mod raw_number {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// Serialises `value`, spelling out the non-finite ones.
    pub fn serialize<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
        if value.is_nan() {
            "NaN".serialize(serializer)
        } else if *value == f64::INFINITY {
            "inf".serialize(serializer)
        } else if *value == f64::NEG_INFINITY {
            "-inf".serialize(serializer)
        } else {
            value.serialize(serializer)
        }
    }

    /// Reads a number, or one of the three spelled-out non-finite values.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum NumberOrWord {
            Number(f64),
            Word(String),
        }
        match NumberOrWord::deserialize(deserializer)? {
            NumberOrWord::Number(number) => Ok(number),
            NumberOrWord::Word(word) => match word.as_str() {
                "NaN" => Ok(f64::NAN),
                "inf" => Ok(f64::INFINITY),
                "-inf" => Ok(f64::NEG_INFINITY),
                other => Err(serde::de::Error::custom(format!(
                    "expected a number, \"NaN\", \"inf\" or \"-inf\", got \"{other}\""
                ))),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions_are_tagged_by_action() {
        let decision = Decision::CallTool {
            tool_name: "logs".to_owned(),
            params: serde_json::json!({"service": "api"})
                .as_object()
                .cloned()
                .unwrap(),
            reasoning: "look at errors".to_owned(),
        };
        let json = serde_json::to_string(&decision).unwrap();
        assert_eq!(
            json,
            r#"{"action":"call_tool","tool_name":"logs","params":{"service":"api"},"reasoning":"look at errors"}"#
        );
        assert_eq!(serde_json::from_str::<Decision>(&json).unwrap(), decision);
        assert_eq!(decision.action(), "call_tool");
        assert!(!decision.is_terminal());
    }

    #[test]
    fn non_finite_confidence_survives_a_round_trip() {
        for value in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1.5, 0.25] {
            let decision = Decision::ProposeMitigation {
                mitigation: "roll back".to_owned(),
                confidence: value,
                reasoning: String::new(),
            };
            let json = serde_json::to_string(&decision).unwrap();
            let back: Decision = serde_json::from_str(&json).unwrap();
            let Decision::ProposeMitigation { confidence, .. } = back else {
                panic!("wrong variant from {json}");
            };
            assert_eq!(confidence.to_bits(), value.to_bits(), "{json}");
        }
    }

    #[test]
    fn bad_actions_and_params_are_rejected() {
        let unknown = r#"{"action":"reboot_everything"}"#;
        assert!(serde_json::from_str::<Decision>(unknown).is_err());
        let not_an_object = r#"{"action":"call_tool","tool_name":"logs","params":[1]}"#;
        assert!(serde_json::from_str::<Decision>(not_an_object).is_err());
        let bad_word = r#"{"action":"propose_mitigation","mitigation":"x","confidence":"lots"}"#;
        let error = serde_json::from_str::<Decision>(bad_word).unwrap_err();
        assert!(error.to_string().contains("expected a number"), "{error}");
    }
}
