//! [`ToolRegistry`]: the named tools of a run, and [`ToolRegistry::call`],
//! the one shared path every tool call takes.

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};

use oncall_domain::{CallId, ToolError, ToolResult};

use crate::context::ToolContext;
use crate::error::RegistryError;
use crate::params::{ValidatedParams, preview};
use crate::schema::{ToolDefinition, schema_problems};
use crate::source::DataSource;
use crate::tool::Tool;
use crate::tools::{DeploysTool, LogsTool, MetricsTool, RunbookTool, ServicesTool};

/// The longest tool name.
pub const MAX_TOOL_NAME_LENGTH: usize = 64;

/// The tools available to a run, by name, in registration order.
#[derive(Debug, Default)]
pub struct ToolRegistry {
    tools: Vec<Box<dyn Tool>>,
    index: BTreeMap<String, usize>,
}

impl ToolRegistry {
    /// An empty registry.
    pub fn new() -> ToolRegistry {
        ToolRegistry::default()
    }

    /// A registry with the five built-in tools, in this order: `services`,
    /// `logs`, `metrics`, `deploys`, `runbook`.
    pub fn with_default_tools() -> ToolRegistry {
        let tools: [Box<dyn Tool>; 5] = [
            Box::new(ServicesTool::new()),
            Box::new(LogsTool::new()),
            Box::new(MetricsTool::new()),
            Box::new(DeploysTool::new()),
            Box::new(RunbookTool::new()),
        ];
        let mut registry = ToolRegistry::new();
        for tool in tools {
            // The built-in tools have distinct valid names and strict
            // schemas (tested), so registration cannot fail; if it ever
            // did, the tool would simply be missing.
            let _ = registry.register(tool);
        }
        registry
    }

    /// Adds a tool. Fails when its name is taken or is not snake_case
    /// `[a-z0-9_]` of 1 to 64 characters starting with a letter, when its
    /// description is blank, or when its schema has
    /// [`schema_problems`].
    pub fn register(&mut self, tool: Box<dyn Tool>) -> Result<(), RegistryError> {
        let name = tool.name().to_owned();
        if let Some(reason) = name_problem(&name) {
            return Err(RegistryError::InvalidName {
                name: preview(&name),
                reason,
            });
        }
        if self.index.contains_key(&name) {
            return Err(RegistryError::DuplicateName { name });
        }
        if tool.description().trim().is_empty() {
            return Err(RegistryError::EmptyDescription { name });
        }
        let problems = schema_problems(tool.parameters_schema());
        if !problems.is_empty() {
            return Err(RegistryError::InvalidSchema { name, problems });
        }
        self.index.insert(name, self.tools.len());
        self.tools.push(tool);
        Ok(())
    }

    /// The tool called `name`, or an error listing the available tools.
    pub fn get(&self, name: &str) -> Result<&dyn Tool, RegistryError> {
        self.index
            .get(name)
            .and_then(|position| self.tools.get(*position))
            .map(|tool| tool.as_ref())
            .ok_or_else(|| RegistryError::UnknownTool {
                name: preview(name),
                available: self.names().join(", "),
            })
    }

    /// The tools' names, in registration order.
    pub fn names(&self) -> Vec<&str> {
        self.tools.iter().map(|tool| tool.name()).collect()
    }

    /// The tools' definitions, in registration order.
    pub fn definitions(&self) -> Vec<ToolDefinition> {
        self.tools.iter().map(|tool| tool.definition()).collect()
    }

    /// How many tools are registered.
    pub fn len(&self) -> usize {
        self.tools.len()
    }

    /// Whether no tool is registered.
    pub fn is_empty(&self) -> bool {
        self.tools.is_empty()
    }

    /// Calls a tool: looks it up, validates `params` (any JSON value; `null`
    /// counts as `{}`, anything else but an object is an error) against its
    /// schema, applies defaults, executes it against `source`, and
    /// returns a [`ToolResult`] timed with the context's timer (from lookup
    /// to output, validation included). Never panics: an unknown tool,
    /// invalid parameters, an execution error or even a panicking tool give
    /// a failed result. An unknown tool's result names the tool as asked
    /// (cut to 64 characters; `unknown` if blank) and lists the available
    /// tools in an error without a parameter.
    pub fn call(
        &self,
        tool_name: &str,
        params: &serde_json::Value,
        context: &ToolContext<'_>,
        source: &dyn DataSource,
    ) -> ToolResult {
        let timer = context.timer();
        let started = timer.read_micros();
        let elapsed = || timer.read_micros().saturating_sub(started);
        let tool = match self.get(tool_name) {
            Ok(tool) => tool,
            Err(error) => {
                let asked = preview(tool_name);
                return failed(
                    &asked,
                    context.call_id(),
                    vec![ToolError::call(error.to_string())],
                    elapsed(),
                );
            }
        };
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let validated = ValidatedParams::validate(tool, params, context)?;
            tool.execute(&validated, context, source)
                .map_err(|error| error.to_tool_errors())
        }));
        let outcome = outcome.unwrap_or_else(|_| {
            Err(vec![ToolError::call(
                "the tool failed unexpectedly (it panicked); this is a bug in the tool",
            )])
        });
        match outcome {
            Ok(output) => {
                let micros = elapsed();
                let (data, truncation) = output.into_parts();
                ToolResult::success(tool.name(), context.call_id(), data, micros, truncation)
                    .unwrap_or_else(|error| {
                        failed(
                            tool.name(),
                            context.call_id(),
                            vec![ToolError::call(error.to_string())],
                            micros,
                        )
                    })
            }
            Err(errors) => failed(tool.name(), context.call_id(), errors, elapsed()),
        }
    }
}

/// A failed result; see [`ToolResult::failed`].
fn failed(tool_name: &str, call_id: CallId, errors: Vec<ToolError>, micros: u64) -> ToolResult {
    ToolResult::failed(tool_name, call_id, errors, micros)
}

fn name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("it is empty")
    } else if name.len() > MAX_TOOL_NAME_LENGTH {
        Some("it is longer than 64 characters")
    } else if !name.starts_with(|first: char| first.is_ascii_lowercase()) {
        Some("it must start with a lowercase letter")
    } else if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        Some("it may hold only lowercase letters, digits and underscores")
    } else {
        None
    }
}

#[cfg(test)]
mod tests;
