//! The analysis of a tool result in flat form, as tool-calling agents give
//! it: `{summary, significant, hypothesis, confidence, status,
//! proposed_mitigation}`, every field but the first two nullable. An MCP
//! client sends it as `record_observation`'s arguments, an LLM agent as the
//! `analysis` argument of its next tool call. [`FlatAnalysis::into_analysis`]
//! turns it into the engine's [`Analysis`] with at most one
//! [`HypothesisUpdate`], so both ways in say the same thing the same way.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use oncall_domain::{Hypothesis, HypothesisStatus};

use crate::agent::{Analysis, HypothesisUpdate};

/// The JSON Schema of a flat analysis: strict (every property required,
/// the optional ones nullable, nothing else allowed).
pub fn flat_analysis_schema() -> Value {
    let statuses: Vec<Value> = [
        HypothesisStatus::Supported,
        HypothesisStatus::Refuted,
        HypothesisStatus::Actionable,
    ]
    .iter()
    .map(|status| json!(status.as_str()))
    .chain([Value::Null])
    .collect();
    json!({
        "type": "object",
        "properties": {
            "summary": {
                "type": "string",
                "description": "What the last tool result showed, in a sentence or two."
            },
            "significant": {
                "type": "boolean",
                "description": "Whether it moves the investigation: true when it is evidence for (or against) a hypothesis, false for noise."
            },
            "hypothesis": {
                "type": ["string", "null"],
                "description": "What you now believe is wrong, when it is new or restated; null keeps the current hypothesis."
            },
            "confidence": {
                "type": ["number", "null"],
                "minimum": 0,
                "maximum": 1,
                "description": "How sure you are of the hypothesis, from 0 to 1. Required with a new hypothesis; null leaves it as it is."
            },
            "status": {
                "type": ["string", "null"],
                "enum": statuses,
                "description": "Move the current hypothesis to this status, or null to leave it."
            },
            "proposed_mitigation": {
                "type": ["string", "null"],
                "description": "The mitigation the current hypothesis points to, in words, or null."
            }
        },
        "required": ["summary", "significant", "hypothesis", "confidence", "status", "proposed_mitigation"],
        "additionalProperties": false
    })
}

/// A flat analysis, as read. Missing and `null` are the same.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlatAnalysis {
    pub summary: String,
    pub significant: bool,
    #[serde(default)]
    pub hypothesis: Option<String>,
    #[serde(default)]
    pub confidence: Option<f64>,
    #[serde(default)]
    pub status: Option<HypothesisStatus>,
    #[serde(default)]
    pub proposed_mitigation: Option<String>,
}

/// Reads a flat analysis from `arguments`, naming the field that is
/// wrong; `what` names the whole ("the arguments of `record_observation`").
pub fn read_flat_analysis(
    arguments: &Map<String, Value>,
    what: &str,
) -> Result<FlatAnalysis, String> {
    serde_path_to_error::deserialize(Value::Object(arguments.clone())).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        if path == "." {
            format!("{what}: {inner}")
        } else {
            format!("{what}, `{path}`: {inner}")
        }
    })
}

impl FlatAnalysis {
    /// The engine's analysis this says, given the current hypothesis.
    /// Fails, before anything is recorded, when the arguments cannot say one
    /// update (a new hypothesis without its confidence, or with a status; a
    /// change with no hypothesis to change). Whether the values are allowed (a
    /// confidence in range, a legal status change) is the engine's to judge.
    pub fn into_analysis(self, current: Option<&Hypothesis>) -> Result<Analysis, String> {
        let FlatAnalysis {
            summary,
            significant,
            hypothesis,
            confidence,
            status,
            proposed_mitigation,
        } = self;
        let analysis = Analysis::new(summary, significant);
        // A refuting observation is not evidence for the hypothesis.
        let cite = significant && status != Some(HypothesisStatus::Refuted);
        let new_statement =
            hypothesis.filter(|statement| current.is_none_or(|held| held.statement() != statement));
        let update = match (new_statement, current) {
            (Some(statement), _) => {
                if status.is_some() || proposed_mitigation.is_some() {
                    return Err("a new hypothesis starts as investigating, with no mitigation: give `status` and `proposed_mitigation` in a later record_observation".to_owned());
                }
                let Some(confidence) = confidence else {
                    return Err("a new hypothesis needs its `confidence` (0 to 1)".to_owned());
                };
                Some(HypothesisUpdate::Create {
                    statement,
                    confidence,
                    cite_observation: cite,
                    cite_observations: Vec::new(),
                })
            }
            (None, None)
                if confidence.is_some() || status.is_some() || proposed_mitigation.is_some() =>
            {
                return Err("there is no hypothesis yet: give `hypothesis` (a statement) and its `confidence` to start one".to_owned());
            }
            (None, None) => None,
            (None, Some(_))
                if confidence.is_none()
                    && status.is_none()
                    && proposed_mitigation.is_none()
                    && !cite =>
            {
                None
            }
            (None, Some(_)) => Some(HypothesisUpdate::Revise {
                statement: None,
                confidence,
                cite_observation: cite,
                cite_observations: Vec::new(),
                proposed_mitigation,
                status,
            }),
        };
        Ok(match update {
            Some(update) => analysis.with_hypothesis_update(update),
            None => analysis,
        })
    }
}

#[cfg(test)]
mod tests {
    use oncall_domain::{Confidence, HypothesisId, SeededIdGenerator};

    use super::*;

    fn arguments(value: Value) -> Result<FlatAnalysis, String> {
        read_flat_analysis(value.as_object().unwrap(), "the analysis")
    }

    fn held(statement: &str) -> Hypothesis {
        let ids = SeededIdGenerator::new(1);
        Hypothesis::new(
            HypothesisId::generate(&ids),
            statement,
            Confidence::new(0.5).unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn the_schema_is_strict() {
        let problems = oncall_tools::schema_problems(&flat_analysis_schema());
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn a_first_hypothesis_is_created_and_cites_a_significant_observation() {
        let analysis = arguments(json!({"summary": "a deploy at 14:09", "significant": true, "hypothesis": "the deploy", "confidence": 0.6}))
            .unwrap()
            .into_analysis(None)
            .unwrap();
        assert_eq!(
            analysis.hypothesis_update,
            Some(HypothesisUpdate::Create {
                statement: "the deploy".to_owned(),
                confidence: 0.6,
                cite_observation: true,
                cite_observations: Vec::new()
            })
        );
    }

    #[test]
    fn the_same_statement_with_a_status_revises_the_current_hypothesis() {
        let current = held("the deploy");
        let analysis = arguments(json!({"summary": "errors since 14:09", "significant": true, "hypothesis": "the deploy", "confidence": 0.9, "status": "supported", "proposed_mitigation": null}))
            .unwrap()
            .into_analysis(Some(&current))
            .unwrap();
        assert!(matches!(
            analysis.hypothesis_update,
            Some(HypothesisUpdate::Revise { statement: None, confidence: Some(c), status: Some(HypothesisStatus::Supported), cite_observation: true, .. }) if c == 0.9
        ));
    }

    #[test]
    fn updates_that_cannot_be_said_in_one_step_are_refused_before_anything_is_recorded() {
        let new_with_status = arguments(json!({"summary": "s", "significant": true, "hypothesis": "x", "confidence": 0.5, "status": "supported"})).unwrap();
        assert!(
            new_with_status
                .into_analysis(None)
                .unwrap_err()
                .contains("later")
        );
        let new_without_confidence =
            arguments(json!({"summary": "s", "significant": true, "hypothesis": "x"})).unwrap();
        assert!(
            new_without_confidence
                .into_analysis(None)
                .unwrap_err()
                .contains("confidence")
        );
        let change_of_nothing =
            arguments(json!({"summary": "s", "significant": false, "confidence": 0.5})).unwrap();
        assert!(
            change_of_nothing
                .into_analysis(None)
                .unwrap_err()
                .contains("no hypothesis yet")
        );
    }

    #[test]
    fn a_plain_observation_carries_no_update() {
        let analysis =
            arguments(json!({"summary": "nothing here", "significant": false, "hypothesis": null}))
                .unwrap()
                .into_analysis(Some(&held("x")))
                .unwrap();
        assert_eq!(analysis.hypothesis_update, None);
        assert_eq!(analysis.summary, "nothing here");
    }

    #[test]
    fn wrong_argument_types_name_the_argument() {
        let error = arguments(json!({"summary": "s", "significant": "yes"})).unwrap_err();
        assert!(error.contains("`significant`"), "{error}");
        let error = arguments(json!({"summary": "s", "significant": true, "mood": 1})).unwrap_err();
        assert!(error.contains("mood"), "{error}");
        let error = arguments(json!({"summary": "s", "significant": true, "status": "certain"}))
            .unwrap_err();
        assert!(error.contains("`status`"), "{error}");
    }
}
