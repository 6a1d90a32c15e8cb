//! The `logs` tool: search log entries by service, level, window and text.

use oncall_domain::ToolError;
use serde_json::{Map, Value, json};

use crate::context::ToolContext;
use crate::error::ToolExecutionError;
use crate::params::ValidatedParams;
use crate::records::LogLevel;
use crate::source::{DataSource, LogQuery};
use crate::tool::{Tool, ToolOutput};
use crate::tools::{
    compile_pattern, object_schema, resolve_limit, resolve_service, resolve_window, truncation,
    window_and_limit_problems, window_properties,
};

/// The window when none is given, in minutes before the incident time.
pub const LOGS_DEFAULT_WINDOW_MINUTES: i64 = 60;
/// How many entries come back when `limit` is not given (never more than
/// [`ToolLimits::max_log_entries`](crate::ToolLimits::max_log_entries)).
pub const LOGS_DEFAULT_LIMIT: usize = 100;

const DESCRIPTION: &str = "Search the application logs around the incident. Filters: `service` (default: all services), `min_level` (default: info), a time window (`last_minutes`, or `start`/`end` in RFC 3339; default: the last 60 minutes before the incident), and `pattern` (text the message or an attribute value must contain, case-insensitive; with `regex`: true, a regex). Nothing after the incident time is ever returned. \
Returns {\"window\": {\"start\", \"end\"}, \"entries\": [{\"timestamp\", \"service\", \"level\", \"message\", \"attributes\"?}], \"matched\": N, \"returned\": M}, entries oldest first. At most `limit` entries (default 100, cap 200) come back: when matched > returned, they are the most recent ones and a \"note\" says so; narrow the window, raise min_level or add a pattern to see the rest. Long text is cut and marked \"… [cut N chars]\" (messages after 2000 characters, other values after 1000); an entry shows at most 50 attributes, then \"…\": \"[cut N attributes]\".";

/// The `logs` tool. See its description for parameters and output.
#[derive(Debug, Clone)]
pub struct LogsTool {
    schema: Value,
}

impl LogsTool {
    /// The tool, with its schema.
    pub fn new() -> LogsTool {
        let [start, end, last_minutes] = window_properties(LOGS_DEFAULT_WINDOW_MINUTES);
        let schema = object_schema(vec![
            (
                "service",
                json!({
                    "type": ["string", "null"],
                    "description": "Only this service's logs, e.g. \"checkout\". Null for all services."
                }),
            ),
            (
                "min_level",
                json!({
                    "type": ["string", "null"],
                    "enum": ["debug", "info", "warn", "error", "fatal", null],
                    "description": "The least severe level to include. Default: info."
                }),
            ),
            start,
            end,
            last_minutes,
            (
                "pattern",
                json!({
                    "type": ["string", "null"],
                    "description": "Text the message or an attribute value must contain, case-insensitive. With `regex`: true, a regex (case-sensitive unless it starts with (?i)). At most 256 characters."
                }),
            ),
            (
                "regex",
                json!({
                    "type": ["boolean", "null"],
                    "description": "Whether `pattern` is a regex rather than plain text. Default: false."
                }),
            ),
            (
                "limit",
                json!({
                    "type": ["integer", "null"],
                    "minimum": 1,
                    "description": "The most entries to return, at most 200. Default: 100. When more match, the most recent are returned."
                }),
            ),
        ]);
        LogsTool { schema }
    }

    fn pattern_problem(params: &ValidatedParams, context: &ToolContext<'_>) -> Option<ToolError> {
        let pattern = params.string("pattern")?;
        let regex = params.boolean("regex").unwrap_or(false);
        compile_pattern(pattern, regex, context.limits()).err()
    }
}

impl Default for LogsTool {
    fn default() -> LogsTool {
        LogsTool::new()
    }
}

impl Tool for LogsTool {
    fn name(&self) -> &str {
        "logs"
    }

    fn description(&self) -> &str {
        DESCRIPTION
    }

    fn parameters_schema(&self) -> &Value {
        &self.schema
    }

    fn parameter_defaults(&self) -> Map<String, Value> {
        let mut defaults = Map::new();
        defaults.insert("min_level".to_owned(), json!("info"));
        defaults.insert("regex".to_owned(), json!(false));
        defaults
    }

    fn check_parameters(
        &self,
        params: &ValidatedParams,
        context: &ToolContext<'_>,
    ) -> Vec<ToolError> {
        let limit = (
            LOGS_DEFAULT_LIMIT,
            context.limits().max_log_entries(),
            "log entries",
        );
        let mut errors =
            window_and_limit_problems(params, context, LOGS_DEFAULT_WINDOW_MINUTES, Some(limit));
        errors.extend(LogsTool::pattern_problem(params, context));
        errors
    }

    fn execute(
        &self,
        params: &ValidatedParams,
        context: &ToolContext<'_>,
        source: &dyn DataSource,
    ) -> Result<ToolOutput, ToolExecutionError> {
        let limits = context.limits();
        let window = resolve_window(params, context.now(), LOGS_DEFAULT_WINDOW_MINUTES)
            .map_err(ToolExecutionError::InvalidParameters)?;
        let limit = resolve_limit(
            params,
            LOGS_DEFAULT_LIMIT,
            limits.max_log_entries(),
            "log entries",
        )
        .map_err(|error| ToolExecutionError::InvalidParameters(vec![error]))?;
        let min_level = match params.string("min_level") {
            Some(level) => level.parse::<LogLevel>().map_err(|error| {
                ToolExecutionError::InvalidParameters(vec![ToolError::parameter(
                    "min_level",
                    error.to_string(),
                )])
            })?,
            None => LogLevel::Info,
        };
        let pattern = match params.string("pattern") {
            Some(pattern) => Some(
                compile_pattern(pattern, params.boolean("regex").unwrap_or(false), limits)
                    .map_err(|error| ToolExecutionError::InvalidParameters(vec![error]))?,
            ),
            None => None,
        };
        let service = match params.string("service") {
            Some(service) => Some(resolve_service(source, service)?),
            None => None,
        };
        let query = LogQuery {
            service: service.as_deref(),
            min_level,
            window,
            pattern: pattern.as_ref(),
            limit,
        };
        let page = source.logs(&query)?;
        // Defence in depth: whatever the source returns, nothing outside the
        // window (so nothing after "now") and never more than the limit.
        let mut entries = page.entries;
        entries.retain(|entry| window.contains(entry.timestamp()));
        let skip = entries.len().saturating_sub(limit);
        let entries: Vec<Value> = entries
            .iter()
            .skip(skip)
            .map(|entry| serde_json::to_value(entry.bounded(limits)))
            .collect::<Result<_, _>>()?;
        let returned = entries.len();
        let truncation = truncation("entries", page.matched, returned, limit);
        let mut data = json!({
            "window": window.to_json(),
            "entries": entries,
            "matched": page.matched,
            "returned": returned,
        });
        if truncation.is_some() {
            data["note"] = json!(format!(
                "showing the {returned} most recent of {} matching entries; narrow the window, raise min_level or add a pattern to see the rest",
                page.matched
            ));
        }
        Ok(ToolOutput::new(data, truncation))
    }
}

#[cfg(test)]
mod tests;
