//! The two ending actions as tools: `propose_mitigation` and `escalate`.
//!
//! An agent that answers through tool calls (an LLM with function calling,
//! an MCP client) ends a run by calling one of them. Their schemas are
//! written here once, from the taxonomy in `oncall-domain`, and exported
//! with the diagnostic tools in every dialect; [`decision_from_ending_call`]
//! turns such a call back into the engine's [`Decision`]. They are strict
//! (every property required, nothing else allowed), so an answer given
//! through them is always in graded form: a root cause with a category
//! from [`FaultCategory`], and actions with kinds from [`RemediationKind`]
//! aimed at catalogue entities.
//!
//! They are not [`Tool`](crate::Tool)s: ending a run is the engine's rule,
//! not something a tool executes.

use oncall_domain::{Decision, FaultCategory, MAX_GRADED_ACTIONS, RemediationKind};
use serde_json::{Map, Value, json};

use crate::schema::ToolDefinition;

/// The name of the tool that ends a run with a mitigation.
pub const PROPOSE_MITIGATION: &str = "propose_mitigation";

/// The name of the tool that ends a run by escalating.
pub const ESCALATE: &str = "escalate";

/// The names of the ending actions, in export order.
pub const ENDING_ACTIONS: [&str; 2] = [PROPOSE_MITIGATION, ESCALATE];

/// Every tool an agent answers with: the default registry's diagnostic
/// tools, then [`ending_definitions`]. What `oncall-gym tools` prints and
/// the gym protocol's `tools` returns.
pub fn agent_tool_definitions() -> Vec<ToolDefinition> {
    let mut definitions = crate::ToolRegistry::with_default_tools().definitions();
    definitions.extend(ending_definitions());
    definitions
}

/// The definitions of `propose_mitigation` and `escalate`, in that order.
pub fn ending_definitions() -> Vec<ToolDefinition> {
    vec![
        ToolDefinition::new(
            PROPOSE_MITIGATION,
            format!(
                "End the investigation by proposing a mitigation. Give the root cause (the culprit service as the catalogue names it, and its fault category) and 1 to {MAX_GRADED_ACTIONS} actions, each a remediation kind aimed at one catalogue entity by its exact name (see the `services` tool); the actions are graded exactly. Every action the scenario does not list costs part of the score, and any harmful one scores 0, so list only what you would do. Use kind `other` with a `description` for anything the kinds do not cover. `mitigation` says the same in words for the humans reading the log."
            ),
            propose_mitigation_schema(),
        ),
        ToolDefinition::new(
            ESCALATE,
            "End the investigation by handing it to someone else, when the fix is not yours to make: a third-party provider, another team's platform, a security event. Name the `team` exactly as the catalogue does (a team or a provider), say why, and give the root cause as you understand it.",
            escalate_schema(),
        ),
    ]
}

/// The decision an ending-action call means: `name` is
/// [`PROPOSE_MITIGATION`] or [`ESCALATE`], `arguments` the call's JSON
/// object. `null` arguments count as not given (strict-mode clients send
/// them for optional fields). Fails with a message naming what is wrong
/// (an unknown tool, or arguments of the wrong shape); names outside the
/// taxonomy or the catalogue are not refused here: the grader judges them.
pub fn decision_from_ending_call(name: &str, arguments: &Value) -> Result<Decision, String> {
    if !ENDING_ACTIONS.contains(&name) {
        return Err(format!(
            "`{name}` is not an ending action; they are: {}",
            ENDING_ACTIONS.join(", ")
        ));
    }
    let Value::Object(fields) = arguments else {
        return Err(format!("the arguments of `{name}` must be a JSON object"));
    };
    let mut decision = Map::new();
    decision.insert("action".to_owned(), json!(name));
    for (key, value) in fields {
        if key == "action" {
            return Err(format!("`{name}` has no argument `action`"));
        }
        if !value.is_null() {
            decision.insert(key.clone(), without_nulls(value));
        }
    }
    serde_json::from_value(Value::Object(decision))
        .map_err(|error| format!("the arguments of `{name}` are malformed: {error}"))
}

/// `value` with every `null` object field left out, all the way down.
fn without_nulls(value: &Value) -> Value {
    match value {
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .filter(|(_, field)| !field.is_null())
                .map(|(key, field)| (key.clone(), without_nulls(field)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_nulls).collect()),
        other => other.clone(),
    }
}

fn root_cause_schema() -> Value {
    json!({
        "type": "object",
        "description": "The root cause as you understand it.",
        "properties": {
            "service": {
                "type": "string",
                "description": "The culprit: a service (or one of its hosts) exactly as the catalogue names it. Not necessarily the alerting service."
            },
            "category": {
                "type": "string",
                "enum": FaultCategory::names(),
                "description": category_description(),
            }
        },
        "required": ["service", "category"],
        "additionalProperties": false
    })
}

fn propose_mitigation_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "mitigation": {
                "type": "string",
                "description": "What to do, in words, as you would tell the incident channel."
            },
            "confidence": {
                "type": "number",
                "minimum": 0,
                "maximum": 1,
                "description": "How sure you are that this fixes the incident, from 0 to 1."
            },
            "reasoning": {
                "type": "string",
                "description": "Why: the evidence that points there."
            },
            "root_cause": root_cause_schema(),
            "actions": {
                "type": "array",
                "description": format!("1 to {MAX_GRADED_ACTIONS} actions. More than {MAX_GRADED_ACTIONS} are judged wrong."),
                "items": {
                    "type": "object",
                    "properties": {
                        "kind": {
                            "type": "string",
                            "enum": RemediationKind::names(),
                            "description": kind_description(),
                        },
                        "target": {
                            "type": "string",
                            "description": "The entity acted on, exactly as the catalogue names it: a service, host, feature flag, job, DNS record, certificate or queue, as the kind requires."
                        },
                        "description": {
                            "type": ["string", "null"],
                            "description": "For kind `other`: what to do, in words (graded as text). Null otherwise."
                        }
                    },
                    "required": ["kind", "target", "description"],
                    "additionalProperties": false
                }
            }
        },
        "required": ["mitigation", "confidence", "reasoning", "root_cause", "actions"],
        "additionalProperties": false
    })
}

fn escalate_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "team": {
                "type": "string",
                "description": "Who takes it: a team or a provider, exactly as the catalogue names it."
            },
            "target": {
                "type": "string",
                "description": "Who takes it, in words (e.g. \"the network team's on-call\")."
            },
            "reason": {
                "type": "string",
                "description": "Why it is theirs to fix: the evidence."
            },
            "root_cause": root_cause_schema()
        },
        "required": ["team", "target", "reason", "root_cause"],
        "additionalProperties": false
    })
}

fn category_description() -> String {
    let listed: Vec<String> = FaultCategory::ALL
        .iter()
        .map(|category| format!("{category}: {}", category.description()))
        .collect();
    format!("The kind of fault. {}.", listed.join("; "))
}

fn kind_description() -> String {
    let listed: Vec<String> = RemediationKind::ALL
        .iter()
        .map(|kind| {
            let targets: Vec<&str> = kind.target_kinds().iter().map(|k| k.as_str()).collect();
            format!(
                "{kind}: {} (targets: {})",
                kind.description(),
                targets.join(", ")
            )
        })
        .collect();
    format!("What the action does. {}.", listed.join("; "))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use oncall_domain::{ActionClaim, RootCauseClaim};

    use super::*;
    use crate::schema::nested_schema_problems;

    #[test]
    fn both_schemas_are_strict_and_list_the_taxonomy() {
        for definition in ending_definitions() {
            let problems = nested_schema_problems(definition.parameters());
            assert!(problems.is_empty(), "{}: {problems:#?}", definition.name());
        }
        let mitigation = &ending_definitions()[0];
        let parameters = mitigation.parameters();
        let kinds = &parameters["properties"]["actions"]["items"]["properties"]["kind"]["enum"];
        assert_eq!(kinds.as_array().unwrap().len(), RemediationKind::ALL.len());
        let categories = &parameters["properties"]["root_cause"]["properties"]["category"]["enum"];
        assert_eq!(
            categories.as_array().unwrap().len(),
            FaultCategory::ALL.len()
        );
        assert_eq!(ending_definitions()[1].name(), "escalate");
    }

    #[test]
    fn the_strictness_check_sees_inside_nested_objects() {
        let mut broken = propose_mitigation_schema();
        broken["properties"]["root_cause"]["properties"]["category"]["enum"] = json!([1]);
        broken["properties"]["actions"]["items"]["additionalProperties"] = json!(true);
        broken["properties"]["actions"]["items"]["required"] = json!(["kind"]);
        let problems = nested_schema_problems(&broken);
        let expected = [
            "property `root_cause.category` may have an `enum` only as a non-empty list of strings",
            "property `actions[]`: `additionalProperties` must be false",
            "property `actions[].target` is not in `required`",
        ];
        for fragment in expected {
            assert!(
                problems.iter().any(|problem| problem.contains(fragment)),
                "missing {fragment:?} in {problems:#?}"
            );
        }
        // The registry's flat check refuses nesting outright.
        assert!(!crate::schema_problems(&propose_mitigation_schema()).is_empty());
    }

    #[test]
    fn calls_become_decisions_and_nulls_count_as_not_given() {
        let decision = decision_from_ending_call(
            PROPOSE_MITIGATION,
            &json!({
                "mitigation": "roll back checkout",
                "confidence": 0.8,
                "reasoning": "the deploy",
                "root_cause": {"service": "checkout", "category": "deploy_regression"},
                "actions": [{"kind": "rollback", "target": "checkout", "description": null}]
            }),
        )
        .unwrap();
        let expected = Decision::mitigation("roll back checkout", 0.8, "the deploy")
            .with_root_cause(RootCauseClaim::new("checkout", "deploy_regression"))
            .with_actions(vec![ActionClaim::new("rollback", "checkout")]);
        assert_eq!(decision, expected);
        let escalation = decision_from_ending_call(
            ESCALATE,
            &json!({"team": "payco", "target": "PayCo support", "reason": "503s", "root_cause": null}),
        )
        .unwrap();
        assert_eq!(
            escalation,
            Decision::escalation("503s", "PayCo support").with_team("payco")
        );
    }

    /// A value for every property `schema` declares, all the way down:
    /// the first of an enum, one item of an array.
    fn filled(schema: &Value) -> Value {
        if let Some(choices) = schema["enum"].as_array() {
            return choices[0].clone();
        }
        if let Some(properties) = schema["properties"].as_object() {
            return Value::Object(
                properties
                    .iter()
                    .map(|(name, property)| (name.clone(), filled(property)))
                    .collect(),
            );
        }
        let types: Vec<&str> = match &schema["type"] {
            Value::String(single) => vec![single.as_str()],
            Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if types.contains(&"array") {
            json!([filled(&schema["items"])])
        } else if types.contains(&"number") {
            json!(0.5)
        } else {
            json!("x")
        }
    }

    /// The paths of every object key in `value` (`actions[].kind`).
    fn key_paths(value: &Value, prefix: &str, paths: &mut BTreeSet<String>) {
        match value {
            Value::Object(fields) => {
                for (name, field) in fields {
                    let path = format!("{prefix}{name}");
                    paths.insert(path.clone());
                    key_paths(field, &format!("{path}."), paths);
                }
            }
            Value::Array(items) => {
                let prefix = format!("{}[].", prefix.trim_end_matches('.'));
                for item in items {
                    key_paths(item, &prefix, paths);
                }
            }
            _ => {}
        }
    }

    #[test]
    fn the_schemas_and_the_decision_agree_on_every_field() {
        for definition in ending_definitions() {
            let name = definition.name();
            let call = filled(definition.parameters());
            let decision = decision_from_ending_call(name, &call).unwrap_or_else(|error| {
                panic!("{name}: the schema allows what the decision refuses: {error}")
            });
            let mut declared = BTreeSet::new();
            key_paths(&call, "", &mut declared);
            let mut read = BTreeSet::new();
            key_paths(&serde_json::to_value(&decision).unwrap(), "", &mut read);
            read.remove("action");
            assert_eq!(declared, read, "{name}: schema fields vs decision fields");
        }
    }

    #[test]
    fn malformed_calls_are_refused_with_the_reason() {
        let error = decision_from_ending_call("reboot", &json!({})).unwrap_err();
        assert_eq!(
            error,
            "`reboot` is not an ending action; they are: propose_mitigation, escalate"
        );
        let error = decision_from_ending_call(ESCALATE, &json!([1])).unwrap_err();
        assert!(error.contains("must be a JSON object"), "{error}");
        let error = decision_from_ending_call(
            PROPOSE_MITIGATION,
            &json!({"confidence": 1, "actions": "all"}),
        )
        .unwrap_err();
        assert!(
            error.starts_with("the arguments of `propose_mitigation` are malformed"),
            "{error}"
        );
        let error =
            decision_from_ending_call(ESCALATE, &json!({"action": "call_tool"})).unwrap_err();
        assert!(error.contains("no argument `action`"), "{error}");
    }
}
