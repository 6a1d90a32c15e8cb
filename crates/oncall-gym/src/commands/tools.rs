//! `oncall-gym tools [--format openai|anthropic|mcp|json-schema]`: the
//! diagnostic tools, then the two ending actions (`propose_mitigation`,
//! `escalate`), from the one source of each schema.

use std::process::ExitCode;

use serde_json::{Value, json};

use oncall_tools::{ToolDefinition, agent_tool_definitions};

use crate::cli::ToolFormat;
use crate::output;

/// Prints the default tools' and the ending actions' definitions in
/// `format`.
pub(crate) fn tools(format: ToolFormat) -> anyhow::Result<ExitCode> {
    output::print_json(&render(&exported(), format))?;
    Ok(ExitCode::SUCCESS)
}

/// Everything an agent answering through tools needs: the diagnostic tools,
/// then `propose_mitigation` and `escalate`.
fn exported() -> Vec<ToolDefinition> {
    agent_tool_definitions()
}

/// The definitions as the dialect wants them.
fn render(definitions: &[ToolDefinition], format: ToolFormat) -> Value {
    let each = |convert: fn(&ToolDefinition) -> Value| -> Vec<Value> {
        definitions.iter().map(convert).collect()
    };
    match format {
        ToolFormat::Openai => Value::Array(each(ToolDefinition::to_openai)),
        ToolFormat::Anthropic => Value::Array(each(ToolDefinition::to_anthropic)),
        ToolFormat::Mcp => json!({ "tools": each(ToolDefinition::to_mcp) }),
        ToolFormat::JsonSchema => Value::Array(each(|definition| {
            json!({
                "name": definition.name(),
                "description": definition.description(),
                "parameters": definition.parameters(),
            })
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_lists_every_tool_by_name() {
        let definitions = exported();
        let names: Vec<&str> = definitions.iter().map(ToolDefinition::name).collect();
        let openai = render(&definitions, ToolFormat::Openai);
        let listed: Vec<&str> = openai
            .as_array()
            .unwrap()
            .iter()
            .map(|tool| tool["function"]["name"].as_str().unwrap())
            .collect();
        assert_eq!(listed, names);
        let anthropic = render(&definitions, ToolFormat::Anthropic);
        assert!(anthropic[0]["input_schema"].is_object());
        let mcp = render(&definitions, ToolFormat::Mcp);
        assert_eq!(mcp["tools"].as_array().unwrap().len(), names.len());
        assert!(mcp["tools"][0]["inputSchema"].is_object());
        let schema = render(&definitions, ToolFormat::JsonSchema);
        assert_eq!(schema[0]["parameters"]["type"], "object");
        assert_eq!(
            names[names.len() - 2..],
            ["propose_mitigation", "escalate"],
            "the ending actions come last"
        );
        assert_eq!(names[0], "services");
    }
}
