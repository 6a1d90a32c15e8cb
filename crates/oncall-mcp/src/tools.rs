//! The MCP server's tools: `incident`, the diagnostic tools,
//! `record_observation`, and the ending actions. The diagnostic tools and
//! the ending actions are exported exactly as `oncall-gym tools` exports
//! them (one schema for every dialect); `incident` and
//! `record_observation` exist only here, because only an MCP client has no
//! other way to read the alert or to give a tool result its analysis.

use serde_json::json;

use oncall_engine::flat_analysis_schema;
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
    ToolDefinition::new(
        RECORD_OBSERVATION,
        "Record what the last diagnostic tool result showed you, and update your hypothesis. Call it right after a diagnostic tool (logs, metrics, deploys, runbook, services), before the next one: it analyses that result and takes no step of its own. A `hypothesis` different from your current one starts a new one (give its `confidence`; it starts as investigating); leave `hypothesis` null to keep the current one and change its `confidence`, `status` or `proposed_mitigation`. Status moves investigating -> supported or refuted, supported -> actionable or refuted.",
        flat_analysis_schema(),
    )
}

#[cfg(test)]
mod tests {
    use oncall_tools::schema_problems;

    use super::*;

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
}
