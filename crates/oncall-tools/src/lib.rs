//! `oncall-tools` is the diagnostic tool system an oncall-gym agent
//! investigates with: the [`Tool`] contract, the [`ToolRegistry`] and its one
//! shared call path ([`ToolRegistry::call`]: validate, apply defaults,
//! execute, time, return a [`ToolResult`]), the five built-in tools
//! (`services`, `logs`, `metrics`, `deploys`, `runbook`), the read-only
//! [`DataSource`] they query with its telemetry record types (the
//! [`ServiceCatalogue`] among them) and an [`InMemoryDataSource`], the two
//! ending actions (`propose_mitigation`, `escalate`) as tool definitions
//! with their parser ([`ending_definitions`], [`decision_from_ending_call`]),
//! and the schema exports for OpenAI function calling, Anthropic tool use
//! and MCP.
//! It depends only on `oncall-domain` among the workspace crates, and must
//! never know about the engine, scenarios, ground truth or the audit log:
//! tools see telemetry, and nothing else.
//!
//! Agents may be LLMs sending arbitrary JSON, so parameters are untrusted:
//! every problem is reported at once, each naming its parameter, and no
//! input makes a call panic. Every result is bounded by [`ToolLimits`] and
//! says what it left out through a [`Truncation`]. Tools read relative time
//! windows against the context's simulated "now" and never return data
//! from after it.
//!
//! # Time windows
//!
//! Every window is a [`TimeWindow`] with **both edges inclusive**. A tool's
//! window is `last_minutes` (N minutes up to "now"), or `start` and/or `end`
//! in RFC 3339; giving both forms is an error, `start` after `end` or after
//! "now" is an error, and `end` is clamped to "now". With no window, each
//! tool uses its default (logs and metrics: 60 minutes; deploys: one day).
//!
//! # Tool outputs
//!
//! These shapes are stable; the baseline agent and the engine read them.
//! Every output that lists a window echoes the window actually used as
//! `"window": {"start", "end"}` (RFC 3339, UTC, `Z`).
//!
//! - `services`: `{"services": [..], "providers": [..], "teams": [..],
//!   "feature_flags": [..], "jobs": [..], "dns_records": [..],
//!   "certificates": [..], "queues": [..], "matched", "returned",
//!   "note"?}` (only the asked-for section with `section`), entries in
//!   catalogue order as [`ServiceCatalogue`] documents them, at most
//!   [`ToolLimits::max_catalogue_entries`] in all; each list inside an entry
//!   at most [`ToolLimits::max_list_items`] items. Without a catalogue, the
//!   services with telemetry, and a `note` saying so.
//! - `logs`: `{"window", "entries": [{"timestamp", "service", "level",
//!   "message", "attributes"?}], "matched", "returned", "note"?}`. Entries
//!   oldest first; when more matched than the limit, the most recent are
//!   kept and `note` says so. An entry shows at most
//!   [`ToolLimits::max_list_items`] attributes, then an attribute
//!   `"…": "[cut N attributes]"`.
//! - `metrics` without `metric`: `{"service", "window", "metrics": [{"name",
//!   "unit", "points_in_window"}]}`, at most
//!   [`ToolLimits::max_metrics_listed`] metrics, sorted by name.
//! - `metrics`, raw: `{"service", "metric", "unit", "window", "aggregation":
//!   "raw", "points": [{"timestamp", "value"}], "matched", "returned"}`;
//!   over the cap the points are thinned evenly, keeping first and last.
//! - `metrics`, buckets: `{"service", "metric", "unit", "window",
//!   "aggregation": "buckets", "bucket_seconds", "requested_bucket_seconds"?,
//!   "points_matched", "buckets": [{"start", "count", "min", "max", "avg",
//!   "p95"}]}`; empty buckets are left out, p95 is nearest-rank, and the
//!   bucket is widened (with `requested_bucket_seconds` and a truncation)
//!   when the window would need more buckets than the cap.
//! - `deploys`: `{"window", "deploys": [{"id", "service", "version",
//!   "previous_version"?, "deployed_at", "author"?, "change_summary"?,
//!   "status"}], "matched", "returned"}`, newest first.
//! - `runbook` search: `{"results": [{"id", "title", "services", "keywords",
//!   "score", "reasons"}], "matched", "returned"}`, best first (see
//!   [`rank_runbooks`]); fetch by id: `{"runbook": {"id", "title",
//!   "services", "keywords", "steps"}, "note"?}`, the first
//!   [`ToolLimits::max_runbook_steps`] steps, with `note` saying how many
//!   there are when more. A runbook shows at most
//!   [`ToolLimits::max_list_items`] services and keywords, then an item
//!   `… [cut N items]`.
//!
//! `?` marks a field left out when empty. Truncation items are `entries`
//! (log entries, and catalogue entries), `points`, `buckets`, `metrics`,
//! `deploys`, `runbooks` and `steps`.
//!
//! Every returned text is bounded: log messages by
//! [`ToolLimits::max_message_chars`], every other string (ids, names,
//! versions, units, authors, change summaries, runbook texts, reasons, log
//! attribute keys and values) by [`ToolLimits::max_field_chars`]. Longer
//! text is cut and marked `… [cut N chars]`; a non-string attribute value
//! whose compact JSON is too long becomes that JSON, cut.

mod context;
mod ending;
mod error;
mod params;
mod records;
mod registry;
mod schema;
mod source;
mod tool;
mod tools;
mod window;

pub use oncall_domain::{ToolError, ToolResult, Truncation};

pub use crate::context::{
    DEFAULT_MAX_CATALOGUE_ENTRIES, DEFAULT_MAX_DEPLOYS, DEFAULT_MAX_FIELD_CHARS,
    DEFAULT_MAX_LIST_ITEMS, DEFAULT_MAX_LOG_ENTRIES, DEFAULT_MAX_MESSAGE_CHARS,
    DEFAULT_MAX_METRIC_POINTS, DEFAULT_MAX_METRICS_LISTED, DEFAULT_MAX_PATTERN_LENGTH,
    DEFAULT_MAX_RUNBOOK_RESULTS, DEFAULT_MAX_RUNBOOK_STEPS, DEFAULT_REGEX_NEST_LIMIT,
    DEFAULT_REGEX_SIZE_LIMIT, ToolContext, ToolLimits,
};
pub use crate::ending::{
    ENDING_ACTIONS, ESCALATE, PROPOSE_MITIGATION, agent_tool_definitions,
    decision_from_ending_call, ending_definitions,
};
pub use crate::error::{DataSourceError, RecordError, RegistryError, ToolExecutionError};
pub use crate::params::{MAX_REPORTED_ERRORS, ValidatedParams, json_type};
pub use crate::records::{
    CATALOGUE_SECTIONS, CatalogueEntity, CatalogueEntry, Deploy, DeployStatus, LogEntry, LogLevel,
    MetricPoint, MetricSeries, Runbook, ServiceCatalogue,
};
pub use crate::registry::{MAX_TOOL_NAME_LENGTH, ToolRegistry};
pub use crate::schema::{ToolDefinition, nested_schema_problems, schema_problems};
pub use crate::source::{
    DataSource, DeployPage, DeployQuery, InMemoryDataSource, LogPage, LogQuery,
};
pub use crate::tool::{Tool, ToolOutput};
pub use crate::tools::{
    DEPLOYS_DEFAULT_LIMIT, DEPLOYS_DEFAULT_WINDOW_MINUTES, DeploysTool, LOGS_DEFAULT_LIMIT,
    LOGS_DEFAULT_WINDOW_MINUTES, LogsTool, MAX_LAST_MINUTES, METRICS_DEFAULT_BUCKET_SECONDS,
    METRICS_DEFAULT_WINDOW_MINUTES, METRICS_MAX_BUCKET_SECONDS, MetricsTool, RUNBOOK_DEFAULT_LIMIT,
    RUNBOOK_MAX_TERMS, RankedRunbook, RunbookTool, ServicesTool, compile_pattern, rank_runbooks,
};
pub use crate::window::{TimeWindow, rfc3339};
