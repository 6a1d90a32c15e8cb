//! The [`Tool`] trait and [`ToolOutput`], what a tool's execution returns.

use std::fmt;

use oncall_domain::{ToolError, Truncation};

use crate::context::ToolContext;
use crate::error::ToolExecutionError;
use crate::params::ValidatedParams;
use crate::schema::ToolDefinition;
use crate::source::DataSource;

/// A diagnostic tool an agent can call.
///
/// Callers go through [`ToolRegistry::call`](crate::ToolRegistry::call),
/// which validates the parameters against [`Tool::parameters_schema`],
/// applies [`Tool::parameter_defaults`], runs [`Tool::check_parameters`],
/// and only then calls [`Tool::execute`], timing the call with the
/// context's timer.
pub trait Tool: Send + Sync + fmt::Debug {
    /// The name: snake_case `[a-z0-9_]`, 1 to 64 characters, starting with a
    /// letter.
    fn name(&self) -> &str;

    /// What the tool does, its parameters' meaning and its output's shape,
    /// written for the LLM that decides whether to call it.
    fn description(&self) -> &str;

    /// The hand-written JSON Schema object (strict-mode valid; see
    /// [`schema_problems`](crate::schema_problems) for the rules and the
    /// subset the validator understands).
    fn parameters_schema(&self) -> &serde_json::Value;

    /// Defaults for optional parameters, applied when a parameter is left
    /// out or `null`. Defaults that depend on the context (the time window,
    /// limits capped by [`ToolLimits`](crate::ToolLimits)) are resolved in
    /// [`Tool::execute`] instead and documented in the description.
    fn parameter_defaults(&self) -> serde_json::Map<String, serde_json::Value> {
        serde_json::Map::new()
    }

    /// Checks that need more than the schema: how parameters combine, time
    /// formats against the context's "now", regexes, caps from the context.
    /// Gets the parameters that passed the schema, with defaults applied
    /// (ones that failed are absent), and returns every problem found.
    fn check_parameters(
        &self,
        _params: &ValidatedParams,
        _context: &ToolContext<'_>,
    ) -> Vec<ToolError> {
        Vec::new()
    }

    /// Runs with parameters that already passed validation and had defaults
    /// applied.
    fn execute(
        &self,
        params: &ValidatedParams,
        context: &ToolContext<'_>,
        source: &dyn DataSource,
    ) -> Result<ToolOutput, ToolExecutionError>;

    /// The tool's name, description and schema, for export.
    fn definition(&self) -> ToolDefinition {
        ToolDefinition::new(
            self.name(),
            self.description(),
            self.parameters_schema().clone(),
        )
    }
}

/// What a tool's execution returns: the data, and what was left out when a
/// cap was hit.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolOutput {
    data: serde_json::Value,
    truncation: Option<Truncation>,
}

impl ToolOutput {
    /// Output carrying `data`, and `truncation` when a cap cut it.
    pub fn new(data: serde_json::Value, truncation: Option<Truncation>) -> ToolOutput {
        ToolOutput { data, truncation }
    }

    /// The data.
    pub fn data(&self) -> &serde_json::Value {
        &self.data
    }

    /// What was left out, if anything.
    pub fn truncation(&self) -> Option<&Truncation> {
        self.truncation.as_ref()
    }

    /// The data and the truncation.
    pub fn into_parts(self) -> (serde_json::Value, Option<Truncation>) {
        (self.data, self.truncation)
    }
}
