//! The error types of this crate: one per concern.
//!
//! - [`RecordError`]: a telemetry record or a limit broke a rule (also the
//!   error of deserialising fixture JSON, through `try_from`).
//! - [`DataSourceError`]: a [`DataSource`](crate::DataSource) could not answer.
//! - [`ToolExecutionError`]: a tool could not produce its output. The
//!   registry turns it into a failed [`ToolResult`](crate::ToolResult).
//! - [`RegistryError`]: registering or looking up a tool went wrong.
//!
//! Messages do not end with a period.

use oncall_domain::ToolError;

/// A telemetry record, a time window or a [`ToolLimits`](crate::ToolLimits)
/// value broke one of its rules. Each variant names the field.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// A text field was empty, or only whitespace.
    #[error("`{field}` must not be empty or whitespace")]
    EmptyField {
        /// The field's name, e.g. `service`.
        field: &'static str,
    },
    /// A list that must have at least one item was empty.
    #[error("`{field}` must list at least one item")]
    EmptyList {
        /// The field's name, e.g. `steps`.
        field: &'static str,
    },
    /// A number that must be finite was NaN or infinite.
    #[error("`{field}` must be a finite number, got {value}")]
    NotFinite {
        /// The field's name, e.g. `value`.
        field: &'static str,
        /// What was given.
        value: f64,
    },
    /// A name that is not one of the known ones, e.g. a log level.
    #[error("`{field}` is `{value}`, expected one of: {expected}")]
    UnknownValue {
        /// The field's name, e.g. `level`.
        field: &'static str,
        /// What was given.
        value: String,
        /// The accepted names, comma-separated.
        expected: &'static str,
    },
    /// A limit that must be at least 1 was 0.
    #[error("`{field}` must be at least 1")]
    ZeroLimit {
        /// The limit's name, e.g. `max_log_entries`.
        field: &'static str,
    },
    /// A time window whose start is after its end.
    #[error("`start` ({start}) is after `end` ({end})")]
    WindowReversed {
        /// The start, as RFC 3339.
        start: String,
        /// The end, as RFC 3339.
        end: String,
    },
    /// Something in the service catalogue broke a rule; `path` names where
    /// (`services[2].name`).
    #[error("`{path}`: {reason}")]
    Catalogue {
        /// Where, as a JSON path inside the catalogue.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// Two records share what must be unique, e.g. a deploy id.
    #[error("`{field}` `{value}` appears more than once")]
    Duplicate {
        /// What must be unique, e.g. `id`.
        field: &'static str,
        /// The repeated value.
        value: String,
    },
}

/// A [`DataSource`](crate::DataSource) could not answer a query.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DataSourceError {
    /// The data could not be read.
    #[error("the data source could not read {what}: {reason}")]
    Unavailable {
        /// What was asked for, e.g. `logs`.
        what: String,
        /// Why it failed.
        reason: String,
    },
}

/// A tool could not produce its output. The registry turns each into a
/// failed [`ToolResult`](crate::ToolResult) with [`ToolExecutionError::to_tool_errors`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ToolExecutionError {
    /// Parameters that are well-formed but wrong, found during execution
    /// (e.g. a tool's `execute` called without the registry's validation).
    #[error("invalid parameters: {}", join_errors(.0))]
    InvalidParameters(Vec<ToolError>),
    /// A parameter's value is well-formed but names nothing in the data,
    /// e.g. an unknown metric or runbook id. The message lists what exists.
    #[error("`{parameter}`: {message}")]
    NotFound {
        /// The parameter, e.g. `metric`.
        parameter: String,
        /// What was not found and what exists instead.
        message: String,
    },
    /// The data source failed.
    #[error(transparent)]
    DataSource(#[from] DataSourceError),
    /// The output could not be built.
    #[error("the tool could not build its output: {reason}")]
    Output {
        /// Why.
        reason: String,
    },
}

impl ToolExecutionError {
    /// The errors to put in a failed [`ToolResult`](crate::ToolResult), each
    /// naming its parameter when there is one.
    pub fn to_tool_errors(&self) -> Vec<ToolError> {
        match self {
            ToolExecutionError::InvalidParameters(errors) if !errors.is_empty() => errors.clone(),
            ToolExecutionError::NotFound { parameter, message } => {
                vec![ToolError::parameter(parameter.clone(), message.clone())]
            }
            other => vec![ToolError::call(other.to_string())],
        }
    }
}

impl From<serde_json::Error> for ToolExecutionError {
    fn from(error: serde_json::Error) -> ToolExecutionError {
        ToolExecutionError::Output {
            reason: error.to_string(),
        }
    }
}

/// Registering or looking up a tool went wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// A tool with this name is already registered.
    #[error("a tool named `{name}` is already registered")]
    DuplicateName {
        /// The name.
        name: String,
    },
    /// The name is not snake_case `[a-z0-9_]`, 1 to 64 characters, starting
    /// with a letter.
    #[error("tool name `{name}` is invalid: {reason}")]
    InvalidName {
        /// The name.
        name: String,
        /// Which rule it broke.
        reason: &'static str,
    },
    /// The description is empty or whitespace.
    #[error("tool `{name}` has an empty description")]
    EmptyDescription {
        /// The tool's name.
        name: String,
    },
    /// The parameter schema is not strict-valid, or uses a construct the
    /// validator does not support.
    #[error("tool `{name}` has an invalid parameter schema: {}", .problems.join("; "))]
    InvalidSchema {
        /// The tool's name.
        name: String,
        /// Every problem found, see [`schema_problems`](crate::schema_problems).
        problems: Vec<String>,
    },
    /// No tool has this name.
    #[error("unknown tool `{name}`; available tools: {available}")]
    UnknownTool {
        /// The name asked for (cut to 64 characters).
        name: String,
        /// The registered names, comma-separated, in registry order.
        available: String,
    },
}

fn join_errors(errors: &[ToolError]) -> String {
    errors
        .iter()
        .map(ToolError::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn execution_errors_become_tool_errors_naming_their_parameter() {
        let not_found = ToolExecutionError::NotFound {
            parameter: "metric".to_owned(),
            message: "no metric `x`".to_owned(),
        };
        assert_eq!(
            not_found.to_tool_errors(),
            vec![ToolError::parameter("metric", "no metric `x`")]
        );
        let source = ToolExecutionError::from(DataSourceError::Unavailable {
            what: "logs".to_owned(),
            reason: "disk".to_owned(),
        });
        assert_eq!(
            source.to_tool_errors(),
            vec![ToolError::call("the data source could not read logs: disk")]
        );
        let empty = ToolExecutionError::InvalidParameters(Vec::new());
        assert_eq!(empty.to_tool_errors().len(), 1);
    }
}
