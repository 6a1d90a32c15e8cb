//! The five built-in tools and the helpers they share: time windows,
//! service names, limits and patterns.
//!
//! Every tool reads relative windows against the context's "now" (the
//! incident's time) and clamps every window's end to it, so no tool ever
//! returns data from after it.

mod deploys;
mod logs;
mod metrics;
mod runbook;
mod services;

#[cfg(test)]
pub(crate) mod fixture;

use chrono::Duration;
use oncall_domain::{Timestamp, ToolError, Truncation};
use regex::{Regex, RegexBuilder};
use serde_json::{Value, json};

use crate::context::{ToolContext, ToolLimits};
use crate::error::ToolExecutionError;
use crate::params::{ValidatedParams, preview};
use crate::source::DataSource;
use crate::window::{TimeWindow, rfc3339};

pub use crate::tools::deploys::{
    DEPLOYS_DEFAULT_LIMIT, DEPLOYS_DEFAULT_WINDOW_MINUTES, DeploysTool,
};
pub use crate::tools::logs::{LOGS_DEFAULT_LIMIT, LOGS_DEFAULT_WINDOW_MINUTES, LogsTool};
pub use crate::tools::metrics::{
    METRICS_DEFAULT_BUCKET_SECONDS, METRICS_DEFAULT_WINDOW_MINUTES, METRICS_MAX_BUCKET_SECONDS,
    MetricsTool,
};
pub use crate::tools::runbook::{
    RUNBOOK_DEFAULT_LIMIT, RUNBOOK_MAX_TERMS, RankedRunbook, RunbookTool, rank_runbooks,
};
pub use crate::tools::services::ServicesTool;

/// The longest relative window, `last_minutes`, in minutes (7 days).
pub const MAX_LAST_MINUTES: i64 = 10_080;

/// How many names an error lists (services, metrics, runbook ids) before
/// saying how many more there are.
const MAX_LISTED_NAMES: usize = 50;

/// The `start`, `end` and `last_minutes` property schemas, in that order.
fn window_properties(default_minutes: i64) -> [(&'static str, Value); 3] {
    [
        (
            "start",
            json!({
                "type": ["string", "null"],
                "format": "date-time",
                "description": "Window start, RFC 3339 (e.g. \"2026-11-25T11:30:00Z\"), inclusive. With `end`, or alone (the window then ends at the incident time). Not with `last_minutes`."
            }),
        ),
        (
            "end",
            json!({
                "type": ["string", "null"],
                "format": "date-time",
                "description": format!("Window end, RFC 3339, inclusive. Clamped to the incident time: nothing after it exists. Alone, the window is the {default_minutes} minutes before it. Not with `last_minutes`.")
            }),
        ),
        (
            "last_minutes",
            json!({
                "type": ["integer", "null"],
                "minimum": 1,
                "maximum": MAX_LAST_MINUTES,
                "description": format!("Window = the last N minutes up to the incident time. Default when no window is given: {default_minutes}.")
            }),
        ),
    ]
}

/// Resolves the time window from `start`, `end` and `last_minutes`, reading
/// relative times against `now` and clamping the end to `now`:
///
/// - `start` and `end`: `[start, min(end, now)]`;
/// - `start` alone: `[start, now]`; `end` alone: `[end' - default, end']`
///   with `end' = min(end, now)`;
/// - `last_minutes` N: `[now - N minutes, now]`;
/// - nothing: `[now - default, now]`.
///
/// Errors (all reported): `last_minutes` together with `start` or `end`;
/// `start` after `end`; `start` after `now`; a malformed timestamp;
/// `last_minutes` out of range.
fn resolve_window(
    params: &ValidatedParams,
    now: Timestamp,
    default_minutes: i64,
) -> Result<TimeWindow, Vec<ToolError>> {
    let mut errors = Vec::new();
    let start = params.timestamp("start").unwrap_or_else(|error| {
        errors.push(error);
        None
    });
    let end = params.timestamp("end").unwrap_or_else(|error| {
        errors.push(error);
        None
    });
    let last_minutes = params.integer("last_minutes");
    if last_minutes.is_some() && (start.is_some() || end.is_some()) {
        errors.push(ToolError::parameter(
            "last_minutes",
            "give either `last_minutes` or `start`/`end`, not both",
        ));
    }
    if let Some(minutes) = last_minutes
        && !(1..=MAX_LAST_MINUTES).contains(&minutes)
    {
        errors.push(ToolError::parameter(
            "last_minutes",
            format!("must be between 1 and {MAX_LAST_MINUTES}, got {minutes}"),
        ));
    }
    if let (Some(start), Some(end)) = (start, end)
        && start > end
    {
        errors.push(ToolError::parameter(
            "start",
            format!(
                "`start` ({}) is after `end` ({})",
                rfc3339(start),
                rfc3339(end)
            ),
        ));
    }
    if let Some(start) = start
        && start > now
    {
        errors.push(ToolError::parameter(
            "start",
            format!(
                "`start` ({}) is after the incident time ({}); no data exists after it",
                rfc3339(start),
                rfc3339(now)
            ),
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let end = end.map_or(now, |end| end.min(now));
    let minutes_before = |at: Timestamp, minutes: i64| {
        Duration::try_minutes(minutes)
            .and_then(|span| at.checked_sub_signed(span))
            .ok_or_else(|| {
                vec![ToolError::parameter(
                    "last_minutes",
                    "reaches before the earliest representable time",
                )]
            })
    };
    let start = match (start, last_minutes) {
        (Some(start), _) => start,
        (None, Some(minutes)) => minutes_before(now, minutes)?,
        (None, None) => minutes_before(end, default_minutes)?,
    };
    TimeWindow::new(start, end)
        .map_err(|error| vec![ToolError::parameter("start", error.to_string())])
}

/// The limit parameter: given, or `default` (never above `cap`); must be
/// between 1 and `cap`.
fn resolve_limit(
    params: &ValidatedParams,
    default: usize,
    cap: usize,
    what: &str,
) -> Result<usize, ToolError> {
    let Some(limit) = params.integer("limit") else {
        return Ok(default.min(cap));
    };
    match usize::try_from(limit) {
        Ok(limit) if (1..=cap).contains(&limit) => Ok(limit),
        _ if limit < 1 => Err(ToolError::parameter(
            "limit",
            format!("must be at least 1, got {limit}"),
        )),
        _ => Err(ToolError::parameter(
            "limit",
            format!("must be at most {cap} (the cap on {what} per call), got {limit}"),
        )),
    }
}

/// Compiles a `pattern`: plain text matches case-insensitively as a
/// substring; with `regex` it is a regex (case-sensitive unless it says
/// `(?i)`). Both are length-capped and compiled with size and nesting
/// limits; the `regex` crate matches in linear time.
pub fn compile_pattern(
    pattern: &str,
    regex: bool,
    limits: &ToolLimits,
) -> Result<Regex, ToolError> {
    let length = pattern.chars().count();
    if length > limits.max_pattern_length() {
        return Err(ToolError::parameter(
            "pattern",
            format!(
                "is {length} characters long; at most {} are allowed",
                limits.max_pattern_length()
            ),
        ));
    }
    let source = if regex {
        pattern.to_owned()
    } else {
        regex::escape(pattern)
    };
    RegexBuilder::new(&source)
        .case_insensitive(!regex)
        .size_limit(limits.regex_size_limit())
        .dfa_size_limit(limits.regex_size_limit())
        .nest_limit(limits.regex_nest_limit())
        .build()
        .map_err(|error| ToolError::parameter("pattern", format!("is not a valid regex: {error}")))
}

/// The exact name of `given` among the source's services (exact match
/// first, then case-insensitive), or an error listing the known services.
fn resolve_service(source: &dyn DataSource, given: &str) -> Result<String, ToolExecutionError> {
    let services = source.services()?;
    let wanted = given.trim();
    if let Some(exact) = services.iter().find(|service| *service == wanted) {
        return Ok(exact.clone());
    }
    if let Some(close) = services
        .iter()
        .find(|service| service.eq_ignore_ascii_case(wanted))
    {
        return Ok(close.clone());
    }
    Err(ToolExecutionError::NotFound {
        parameter: "service".to_owned(),
        message: format!(
            "no telemetry for service `{}`; known services: {}",
            preview(given),
            list_names(services.iter().map(String::as_str))
        ),
    })
}

/// `a, b, c` (or `(none)`), at most [`MAX_LISTED_NAMES`] then `and N more`.
fn list_names<'n>(names: impl Iterator<Item = &'n str>) -> String {
    let names: Vec<&str> = names.collect();
    if names.is_empty() {
        return "(none)".to_owned();
    }
    let mut listed = names
        .iter()
        .take(MAX_LISTED_NAMES)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > MAX_LISTED_NAMES {
        listed.push_str(&format!(" and {} more", names.len() - MAX_LISTED_NAMES));
    }
    listed
}

/// A truncation report when fewer items came back than matched.
fn truncation(items: &str, matched: u64, returned: usize, limit: usize) -> Option<Truncation> {
    let returned = u64::try_from(returned).unwrap_or(u64::MAX);
    (matched > returned).then(|| Truncation {
        items: items.to_owned(),
        matched,
        returned,
        limit: u64::try_from(limit).unwrap_or(u64::MAX),
    })
}

/// Runs the checks shared by the window tools (window and limit) for
/// [`Tool::check_parameters`](crate::Tool::check_parameters).
fn window_and_limit_problems(
    params: &ValidatedParams,
    context: &ToolContext<'_>,
    default_minutes: i64,
    limit: Option<(usize, usize, &str)>,
) -> Vec<ToolError> {
    let mut errors = resolve_window(params, context.now(), default_minutes)
        .err()
        .unwrap_or_default();
    if let Some((default, cap, what)) = limit {
        errors.extend(resolve_limit(params, default, cap, what).err());
    }
    errors
}

/// Builds a JSON object schema from its properties, all of them required
/// (strict mode) and no others allowed.
fn object_schema(properties: Vec<(&'static str, Value)>) -> Value {
    let required: Vec<Value> = properties.iter().map(|(name, _)| json!(name)).collect();
    let properties: serde_json::Map<String, Value> = properties
        .into_iter()
        .map(|(name, schema)| (name.to_owned(), schema))
        .collect();
    json!({
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    })
}
