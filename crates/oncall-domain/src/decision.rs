//! [`Decision`]: what an agent chose to do next.

use serde::{Deserialize, Serialize};

use crate::answer::{ActionClaim, RootCauseClaim};

/// What an agent chose to do next. Produced by agents, which may be LLMs, so
/// the engine treats it as untrusted: the confidence is carried as the raw
/// number the agent gave, and the engine validates it into a
/// [`Confidence`](crate::Confidence) before acting on it.
///
/// JSON form: `{"action": "call_tool" | "propose_mitigation" | "escalate", ...}`.
///
/// An ending decision may carry a structured answer beside its free text:
/// a [`RootCauseClaim`], and for a mitigation up to
/// [`MAX_GRADED_ACTIONS`](crate::MAX_GRADED_ACTIONS) [`ActionClaim`]s, for
/// an escalation a `team`. They are optional, and left out of the JSON when
/// absent, so a free-text decision reads and writes exactly as before they
/// existed.
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
        /// What to do, in free text. The scenario judges it when no actions
        /// are given. It may be left out when actions are given.
        #[serde(default)]
        mitigation: String,
        /// How sure the agent is, as given (validated by the engine).
        #[serde(with = "raw_number")]
        confidence: f64,
        /// Why, in the agent's words.
        #[serde(default)]
        reasoning: String,
        /// Where the fault is and what kind it is.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        root_cause: Option<RootCauseClaim>,
        /// What to do, in structured form. When given, they are graded
        /// instead of the text.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        actions: Vec<ActionClaim>,
    },
    /// End the investigation by handing it to someone else.
    Escalate {
        /// Why.
        reason: String,
        /// To whom, in free text, e.g. "the database team". It may be left
        /// out when `team` is given.
        #[serde(default)]
        target: String,
        /// To whom, as a team or provider of the service catalogue. When
        /// given, it is graded instead of `target`. A value of another type
        /// is kept as its JSON text, and judged wrong.
        #[serde(
            default,
            deserialize_with = "crate::answer::lenient::optional_text",
            skip_serializing_if = "Option::is_none"
        )]
        team: Option<String>,
        /// Where the fault is and what kind it is.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        root_cause: Option<RootCauseClaim>,
    },
}

impl Decision {
    /// A free-text mitigation with no structured answer.
    pub fn mitigation(
        mitigation: impl Into<String>,
        confidence: f64,
        reasoning: impl Into<String>,
    ) -> Decision {
        Decision::ProposeMitigation {
            mitigation: mitigation.into(),
            confidence,
            reasoning: reasoning.into(),
            root_cause: None,
            actions: Vec::new(),
        }
    }

    /// A free-text escalation with no structured answer.
    pub fn escalation(reason: impl Into<String>, target: impl Into<String>) -> Decision {
        Decision::Escalate {
            reason: reason.into(),
            target: target.into(),
            team: None,
            root_cause: None,
        }
    }

    /// The same decision with a structured root cause (for an ending
    /// decision; a tool call is returned unchanged).
    pub fn with_root_cause(self, claim: RootCauseClaim) -> Decision {
        match self {
            Decision::ProposeMitigation {
                mitigation,
                confidence,
                reasoning,
                actions,
                ..
            } => Decision::ProposeMitigation {
                mitigation,
                confidence,
                reasoning,
                root_cause: Some(claim),
                actions,
            },
            Decision::Escalate {
                reason,
                target,
                team,
                ..
            } => Decision::Escalate {
                reason,
                target,
                team,
                root_cause: Some(claim),
            },
            call @ Decision::CallTool { .. } => call,
        }
    }

    /// The same mitigation with these structured actions (any other
    /// decision is returned unchanged).
    pub fn with_actions(self, claims: Vec<ActionClaim>) -> Decision {
        match self {
            Decision::ProposeMitigation {
                mitigation,
                confidence,
                reasoning,
                root_cause,
                ..
            } => Decision::ProposeMitigation {
                mitigation,
                confidence,
                reasoning,
                root_cause,
                actions: claims,
            },
            other => other,
        }
    }

    /// The same escalation with a catalogue team (any other decision is
    /// returned unchanged).
    pub fn with_team(self, name: impl Into<String>) -> Decision {
        match self {
            Decision::Escalate {
                reason,
                target,
                root_cause,
                ..
            } => Decision::Escalate {
                reason,
                target,
                team: Some(name.into()),
                root_cause,
            },
            other => other,
        }
    }

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
            let decision = Decision::mitigation("roll back", value, "");
            let json = serde_json::to_string(&decision).unwrap();
            let back: Decision = serde_json::from_str(&json).unwrap();
            let Decision::ProposeMitigation { confidence, .. } = back else {
                panic!("wrong variant from {json}");
            };
            assert_eq!(confidence.to_bits(), value.to_bits(), "{json}");
        }
    }

    #[test]
    fn structured_answers_are_optional_and_left_out_when_absent() {
        let plain = Decision::mitigation("roll back checkout", 0.5, "");
        let json = serde_json::to_string(&plain).unwrap();
        assert_eq!(
            json,
            r#"{"action":"propose_mitigation","mitigation":"roll back checkout","confidence":0.5,"reasoning":""}"#
        );
        let structured = plain
            .with_root_cause(RootCauseClaim::new("checkout", "deploy_regression"))
            .with_actions(vec![ActionClaim::new("rollback", "checkout")]);
        let json = serde_json::to_string(&structured).unwrap();
        assert_eq!(
            json,
            r#"{"action":"propose_mitigation","mitigation":"roll back checkout","confidence":0.5,"reasoning":"","root_cause":{"service":"checkout","category":"deploy_regression"},"actions":[{"kind":"rollback","target":"checkout"}]}"#
        );
        assert_eq!(serde_json::from_str::<Decision>(&json).unwrap(), structured);
        let escalation = Decision::escalation("provider down", "PayCo").with_team("payco");
        let json = serde_json::to_string(&escalation).unwrap();
        assert_eq!(
            json,
            r#"{"action":"escalate","reason":"provider down","target":"PayCo","team":"payco"}"#
        );
        // Only the text may be left out, not the shape broken.
        let actions_only = r#"{"action":"propose_mitigation","confidence":1,"actions":[{"kind":"restart","target":"x"}]}"#;
        assert!(serde_json::from_str::<Decision>(actions_only).is_ok());
        let team_only = r#"{"action":"escalate","reason":"r","team":"netops"}"#;
        assert!(serde_json::from_str::<Decision>(team_only).is_ok());
        let wrong_shape =
            r#"{"action":"propose_mitigation","confidence":1,"actions":{"kind":"restart"}}"#;
        assert!(serde_json::from_str::<Decision>(wrong_shape).is_err());
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
