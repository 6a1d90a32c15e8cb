//! What the model is told: the instructions, the alert, the tools (each
//! with the `analysis` argument), and each tool result.

use serde_json::{Value, json};

use oncall_domain::ToolResult;
use oncall_engine::{AgentContext, flat_analysis_schema};
use oncall_tools::{ToolDefinition, ending_definitions};

use crate::wire::cut;

/// The argument every tool takes besides its own: the analysis of the
/// previous tool result.
pub const ANALYSIS_ARGUMENT: &str = "analysis";

/// The most bytes of a tool result shown to the model.
pub const MAX_RESULT_BYTES_SHOWN: usize = 48 * 1024;

/// The instructions.
pub fn system_prompt() -> String {
    format!(
        "You are the on-call engineer for a production system, investigating the alert below with diagnostic tools. \
Each reply must call exactly one tool; only the first tool call of a reply is carried out, and each call is one step of a limited budget. \
Start with `services` (the catalogue: who depends on what, who owns it), then follow the evidence with `logs`, `metrics`, `deploys` and `runbook`. \
The culprit is not always the alerting service: look at what it depends on.\n\n\
Every tool takes an `{ANALYSIS_ARGUMENT}` argument: what the previous tool result showed you (`summary`, whether it is `significant`), and your hypothesis as it now stands (`hypothesis`, `confidence` 0 to 1, `status`, `proposed_mitigation`). \
Give null on your first call. A new hypothesis starts as investigating; later move it to supported, refuted or actionable. \
Write your reasoning in words before the call.\n\n\
End the investigation with `propose_mitigation` (the root cause as the catalogue names it and its category, and the exact actions, graded: an action that is not needed costs score, a harmful one scores 0) \
or with `escalate` when the fix is not yours to make (a third party, another team's platform, a security event). \
End before your steps run out: a run that uses every step without ending fails."
    )
}

/// The first user message: the alert, and the step budget.
pub(crate) fn incident_message(context: &AgentContext<'_>) -> String {
    let incident = serde_json::to_string_pretty(context.incident())
        .unwrap_or_else(|_| context.incident().description().to_owned());
    format!(
        "The alert:\n{incident}\n\nYou have {} steps. Investigate, then end with propose_mitigation or escalate.",
        context.steps_remaining().saturating_add(1)
    )
}

/// The tools the model is offered: the run's diagnostic tools, then the
/// ending actions, each with the `analysis` argument added (nullable, and
/// required, as strict mode wants).
pub fn model_tools(diagnostic: &[ToolDefinition]) -> Vec<ToolDefinition> {
    diagnostic
        .iter()
        .cloned()
        .chain(ending_definitions())
        .map(|definition| with_analysis_argument(&definition))
        .collect()
}

fn with_analysis_argument(definition: &ToolDefinition) -> ToolDefinition {
    let mut parameters = definition.parameters().clone();
    if let Some(object) = parameters.as_object_mut() {
        let analysis = json!({
            "description": "What the previous tool result showed you and your hypothesis now; null on your first call.",
            "anyOf": [flat_analysis_schema(), {"type": "null"}]
        });
        if let Some(Value::Object(properties)) = object.get_mut("properties") {
            properties.insert(ANALYSIS_ARGUMENT.to_owned(), analysis);
        }
        if let Some(Value::Array(required)) = object.get_mut("required") {
            required.push(json!(ANALYSIS_ARGUMENT));
        }
    }
    ToolDefinition::new(
        definition.name(),
        format!(
            "{} Also give `{ANALYSIS_ARGUMENT}`: your reading of the previous result.",
            definition.description()
        ),
        parameters,
    )
}

/// A tool result as the model reads it: the result's JSON (cut to
/// [`MAX_RESULT_BYTES_SHOWN`]), any notes for the model, and the steps
/// left after the model's next call.
pub(crate) fn render_result(result: &ToolResult, notes: &[String], after_next: u32) -> String {
    let json = serde_json::to_string(result).unwrap_or_else(|_| "{}".to_owned());
    let mut text = cut(&json, MAX_RESULT_BYTES_SHOWN);
    for note in notes {
        text.push_str("\n\nNote: ");
        text.push_str(note);
    }
    text.push_str(&steps_left(after_next));
    text
}

/// The reminder of the steps left after the call the model makes next,
/// with a warning on the last ones.
pub(crate) fn steps_left(after_next: u32) -> String {
    match after_next {
        0 => "\n\n[Your next call is your last step: end with propose_mitigation or escalate.]"
            .to_owned(),
        1 | 2 => format!(
            "\n\n[{after_next} step(s) left after your next call: end soon with propose_mitigation or escalate.]"
        ),
        n => format!("\n\n[{n} steps left after your next call.]"),
    }
}

#[cfg(test)]
mod tests {
    use oncall_tools::ToolRegistry;

    use super::*;

    #[test]
    fn every_tool_takes_a_nullable_required_analysis() {
        let tools = model_tools(&ToolRegistry::with_default_tools().definitions());
        let names: Vec<&str> = tools.iter().map(ToolDefinition::name).collect();
        assert!(names.contains(&"logs") && names.ends_with(&["propose_mitigation", "escalate"]));
        for tool in &tools {
            let parameters = tool.parameters();
            assert!(
                parameters["properties"][ANALYSIS_ARGUMENT]["anyOf"].is_array(),
                "{}",
                tool.name()
            );
            let required = parameters["required"].as_array().unwrap();
            assert!(
                required.contains(&json!(ANALYSIS_ARGUMENT)),
                "{}",
                tool.name()
            );
            assert_eq!(parameters["additionalProperties"], json!(false));
        }
    }

    #[test]
    fn the_last_steps_are_announced() {
        assert!(steps_left(0).contains("Your next call is your last step"));
        assert!(steps_left(2).contains("end soon"));
        assert!(steps_left(9).contains("9 steps left after your next call"));
    }
}
