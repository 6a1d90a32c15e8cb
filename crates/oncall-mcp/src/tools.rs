//! The MCP server's tools: `incident`, the diagnostic tools,
//! `record_observation`, and the ending actions. The diagnostic tools and
//! the ending actions are exported exactly as `oncall-gym tools` exports
//! them (one schema for every dialect); `incident` and
//! `record_observation` exist only here, because only an MCP client has no
//! other way to read the alert or to give a tool result its analysis.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use oncall_domain::{Hypothesis, HypothesisStatus};
use oncall_engine::{Analysis, HypothesisUpdate};
use oncall_tools::{ENDING_ACTIONS, ToolDefinition, agent_tool_definitions};

/// The tool that shows the alert (it takes no step).
pub const INCIDENT: &str = "incident";

/// The tool that records what the last tool result showed and updates the
/// hypothesis (it takes no step: it closes the tool's).
pub const RECORD_OBSERVATION: &str = "record_observation";

/// Every tool the server lists, in order: `incident`, the diagnostic tools,
/// `record_observation`, `propose_mitigation`, `escalate`.
pub fn mcp_tool_definitions() -> Vec<ToolDefinition> {
    let mut definitions = vec![incident_definition()];
    let (ending, diagnostic): (Vec<ToolDefinition>, Vec<ToolDefinition>) = agent_tool_definitions()
        .into_iter()
        .partition(|definition| ENDING_ACTIONS.contains(&definition.name()));
    definitions.extend(diagnostic);
    definitions.push(record_observation_definition());
    definitions.extend(ending);
    definitions
}

/// What a tool is, for the server: how a call to it is carried out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ToolKind {
    Incident,
    Diagnostic,
    RecordObservation,
    Ending,
}

/// The kind of the tool called `name`, or `None` when the server has none
/// by that name.
pub(crate) fn tool_kind(name: &str, diagnostic: &[String]) -> Option<ToolKind> {
    if name == INCIDENT {
        Some(ToolKind::Incident)
    } else if name == RECORD_OBSERVATION {
        Some(ToolKind::RecordObservation)
    } else if ENDING_ACTIONS.contains(&name) {
        Some(ToolKind::Ending)
    } else if diagnostic.iter().any(|tool| tool == name) {
        Some(ToolKind::Diagnostic)
    } else {
        None
    }
}

fn incident_definition() -> ToolDefinition {
    ToolDefinition::new(
        INCIDENT,
        "Show the alert you are investigating: the alerting service, what it says, its severity and tags, and when it was raised. It takes no step; call it whenever you need the alert again.",
        json!({
            "type": "object",
            "properties": {},
            "required": [],
            "additionalProperties": false
        }),
    )
}

fn record_observation_definition() -> ToolDefinition {
    let statuses: Vec<Value> = [
        HypothesisStatus::Supported,
        HypothesisStatus::Refuted,
        HypothesisStatus::Actionable,
    ]
    .iter()
    .map(|status| json!(status.as_str()))
    .chain([Value::Null])
    .collect();
    ToolDefinition::new(
        RECORD_OBSERVATION,
        "Record what the last diagnostic tool result showed you, and update your hypothesis. Call it right after a diagnostic tool (logs, metrics, deploys, runbook, services), before the next one: it analyses that result and takes no step of its own. A `hypothesis` different from your current one starts a new one (give its `confidence`; it starts as investigating); leave `hypothesis` null to keep the current one and change its `confidence`, `status` or `proposed_mitigation`. Status moves investigating -> supported or refuted, supported -> actionable or refuted.",
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
        }),
    )
}

/// `record_observation`'s arguments. Missing and `null` are the same.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ObservationArguments {
    summary: String,
    significant: bool,
    #[serde(default)]
    hypothesis: Option<String>,
    #[serde(default)]
    confidence: Option<f64>,
    #[serde(default)]
    status: Option<HypothesisStatus>,
    #[serde(default)]
    proposed_mitigation: Option<String>,
}

/// Reads `record_observation`'s arguments, naming the one that is wrong.
pub(crate) fn read_observation_arguments(
    arguments: &Map<String, Value>,
) -> Result<ObservationArguments, String> {
    serde_path_to_error::deserialize(Value::Object(arguments.clone())).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        if path == "." {
            format!("the arguments of `{RECORD_OBSERVATION}`: {inner}")
        } else {
            format!("argument `{path}`: {inner}")
        }
    })
}

/// The engine's analysis for `arguments`, given the current hypothesis.
/// Fails, before anything is recorded, when the arguments cannot say one
/// update (a new hypothesis without its confidence, or with a status; a
/// change with no hypothesis to change). Whether the values are allowed (a
/// confidence in range, a legal status change) is the engine's to judge.
pub(crate) fn analysis_from(
    arguments: ObservationArguments,
    current: Option<&Hypothesis>,
) -> Result<Analysis, String> {
    let ObservationArguments {
        summary,
        significant,
        hypothesis,
        confidence,
        status,
        proposed_mitigation,
    } = arguments;
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

#[cfg(test)]
mod tests {
    use oncall_domain::{Confidence, HypothesisId, SeededIdGenerator};
    use oncall_tools::schema_problems;

    use super::*;

    fn arguments(value: Value) -> Result<ObservationArguments, String> {
        read_observation_arguments(value.as_object().unwrap())
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
    fn the_server_lists_the_alert_the_diagnostic_tools_the_observation_and_the_endings() {
        let names: Vec<String> = mcp_tool_definitions()
            .iter()
            .map(|definition| definition.name().to_owned())
            .collect();
        assert_eq!(names.first().map(String::as_str), Some(INCIDENT));
        assert_eq!(
            &names[names.len() - 3..],
            [RECORD_OBSERVATION, "propose_mitigation", "escalate"]
        );
        for tool in ["logs", "metrics", "deploys", "runbook", "services"] {
            assert!(
                names.iter().any(|name| name == tool),
                "{tool} is missing: {names:?}"
            );
        }
    }

    #[test]
    fn the_two_tools_of_our_own_have_strict_schemas() {
        for definition in [incident_definition(), record_observation_definition()] {
            let problems = schema_problems(definition.parameters());
            assert!(problems.is_empty(), "{}: {problems:#?}", definition.name());
        }
    }

    #[test]
    fn a_first_hypothesis_is_created_and_cites_a_significant_observation() {
        let analysis = analysis_from(
            arguments(json!({"summary": "a deploy at 14:09", "significant": true, "hypothesis": "the deploy", "confidence": 0.6})).unwrap(),
            None,
        )
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
        let analysis = analysis_from(
            arguments(json!({"summary": "errors since 14:09", "significant": true, "hypothesis": "the deploy", "confidence": 0.9, "status": "supported", "proposed_mitigation": null})).unwrap(),
            Some(&current),
        )
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
            analysis_from(new_with_status, None)
                .unwrap_err()
                .contains("later")
        );
        let new_without_confidence =
            arguments(json!({"summary": "s", "significant": true, "hypothesis": "x"})).unwrap();
        assert!(
            analysis_from(new_without_confidence, None)
                .unwrap_err()
                .contains("confidence")
        );
        let change_of_nothing =
            arguments(json!({"summary": "s", "significant": false, "confidence": 0.5})).unwrap();
        assert!(
            analysis_from(change_of_nothing, None)
                .unwrap_err()
                .contains("no hypothesis yet")
        );
    }

    #[test]
    fn a_plain_observation_carries_no_update() {
        let analysis = analysis_from(
            arguments(json!({"summary": "nothing here", "significant": false, "hypothesis": null}))
                .unwrap(),
            Some(&held("x")),
        )
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
