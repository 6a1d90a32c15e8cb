//! The `metrics` tool: list a service's metrics, or read one series as raw
//! points or per-bucket statistics.

use oncall_domain::{ToolError, Truncation};
use serde_json::{Map, Value, json};

use crate::context::{ToolContext, ToolLimits};
use crate::error::ToolExecutionError;
use crate::params::{ValidatedParams, preview};
use crate::records::{MetricPoint, MetricSeries, cut_text};
use crate::source::DataSource;
use crate::tool::{Tool, ToolOutput};
use crate::tools::{
    list_names, object_schema, resolve_service, resolve_window, truncation,
    window_and_limit_problems, window_properties,
};
use crate::window::{TimeWindow, rfc3339};

/// The window when none is given, in minutes before the incident time.
pub const METRICS_DEFAULT_WINDOW_MINUTES: i64 = 60;
/// The bucket size when `bucket_seconds` is not given.
pub const METRICS_DEFAULT_BUCKET_SECONDS: i64 = 60;
/// The largest `bucket_seconds` (one day).
pub const METRICS_MAX_BUCKET_SECONDS: i64 = 86_400;

const DESCRIPTION: &str = "Read a service's metrics around the incident (e.g. latency, error rate, saturation). Without `metric`, lists the service's metrics (at most 100, sorted by name) so you can pick one: {\"service\", \"window\": {\"start\", \"end\"}, \"metrics\": [{\"name\", \"unit\", \"points_in_window\"}]}. \
With `metric` and aggregation \"raw\" (default): {\"service\", \"metric\", \"unit\", \"window\", \"aggregation\": \"raw\", \"points\": [{\"timestamp\", \"value\"}], \"matched\": N, \"returned\": M}, oldest first; more than 500 points are thinned evenly (first and last kept). \
With aggregation \"buckets\": {\"service\", \"metric\", \"unit\", \"window\", \"aggregation\": \"buckets\", \"bucket_seconds\", \"points_matched\": N, \"buckets\": [{\"start\", \"count\", \"min\", \"max\", \"avg\", \"p95\"}]}; buckets start at the window start, empty ones are left out, and bucket_seconds is raised if the window would need more than 500 buckets. \
Window: `last_minutes`, or `start`/`end` in RFC 3339 (edges inclusive); default: the last 60 minutes before the incident. Nothing after the incident time is ever returned.";

/// The `metrics` tool. See its description for parameters and output.
#[derive(Debug, Clone)]
pub struct MetricsTool {
    schema: Value,
}

impl MetricsTool {
    /// The tool, with its schema.
    pub fn new() -> MetricsTool {
        let [start, end, last_minutes] = window_properties(METRICS_DEFAULT_WINDOW_MINUTES);
        let schema = object_schema(vec![
            (
                "service",
                json!({
                    "type": "string",
                    "description": "The service whose metrics to read, e.g. \"checkout\"."
                }),
            ),
            (
                "metric",
                json!({
                    "type": ["string", "null"],
                    "description": "The metric's name, e.g. \"latency_p99_ms\". Null to list the service's metrics."
                }),
            ),
            start,
            end,
            last_minutes,
            (
                "aggregation",
                json!({
                    "type": ["string", "null"],
                    "enum": ["raw", "buckets", null],
                    "description": "\"raw\": the points themselves. \"buckets\": min, max, avg, p95 and count per bucket of `bucket_seconds`. Default: raw."
                }),
            ),
            (
                "bucket_seconds",
                json!({
                    "type": ["integer", "null"],
                    "minimum": 1,
                    "maximum": METRICS_MAX_BUCKET_SECONDS,
                    "description": "Bucket size in seconds for aggregation \"buckets\"; ignored for \"raw\". Default: 60."
                }),
            ),
        ]);
        MetricsTool { schema }
    }
}

impl Default for MetricsTool {
    fn default() -> MetricsTool {
        MetricsTool::new()
    }
}

impl Tool for MetricsTool {
    fn name(&self) -> &str {
        "metrics"
    }

    fn description(&self) -> &str {
        DESCRIPTION
    }

    fn parameters_schema(&self) -> &Value {
        &self.schema
    }

    fn parameter_defaults(&self) -> Map<String, Value> {
        let mut defaults = Map::new();
        defaults.insert("aggregation".to_owned(), json!("raw"));
        defaults.insert(
            "bucket_seconds".to_owned(),
            json!(METRICS_DEFAULT_BUCKET_SECONDS),
        );
        defaults
    }

    fn check_parameters(
        &self,
        params: &ValidatedParams,
        context: &ToolContext<'_>,
    ) -> Vec<ToolError> {
        window_and_limit_problems(params, context, METRICS_DEFAULT_WINDOW_MINUTES, None)
    }

    fn execute(
        &self,
        params: &ValidatedParams,
        context: &ToolContext<'_>,
        source: &dyn DataSource,
    ) -> Result<ToolOutput, ToolExecutionError> {
        let window = resolve_window(params, context.now(), METRICS_DEFAULT_WINDOW_MINUTES)
            .map_err(ToolExecutionError::InvalidParameters)?;
        let Some(service) = params.string("service") else {
            return Err(ToolExecutionError::InvalidParameters(vec![
                ToolError::parameter("service", "missing required parameter"),
            ]));
        };
        let service = resolve_service(source, service)?;
        let limits = context.limits();
        let max_points = limits.max_metric_points();
        let Some(metric) = params.string("metric") else {
            return list_metrics(source, &service, &window, limits);
        };
        let series = find_series(source, &service, metric)?;
        let points = series.points_in(&window);
        // Defence in depth against a source whose slice strays.
        let points: Vec<MetricPoint> = points
            .iter()
            .filter(|point| window.contains(point.timestamp()))
            .copied()
            .collect();
        let max_chars = limits.max_field_chars();
        let mut data = json!({
            "service": cut_text(&service, max_chars),
            "metric": cut_text(series.name(), max_chars),
            "unit": cut_text(series.unit(), max_chars),
            "window": window.to_json(),
        });
        if params.string("aggregation") == Some("buckets") {
            let requested = params
                .integer("bucket_seconds")
                .unwrap_or(METRICS_DEFAULT_BUCKET_SECONDS)
                .clamp(1, METRICS_MAX_BUCKET_SECONDS);
            let (bucket_seconds, truncation) = fit_buckets(&window, requested, max_points);
            data["aggregation"] = json!("buckets");
            data["bucket_seconds"] = json!(bucket_seconds);
            if bucket_seconds != requested {
                data["requested_bucket_seconds"] = json!(requested);
            }
            data["points_matched"] = json!(points.len());
            data["buckets"] = Value::Array(buckets(&points, &window, bucket_seconds));
            Ok(ToolOutput::new(data, truncation))
        } else {
            let kept = thin(&points, max_points);
            let returned = kept.len();
            data["aggregation"] = json!("raw");
            data["points"] = serde_json::to_value(&kept)?;
            data["matched"] = json!(points.len());
            data["returned"] = json!(returned);
            let matched = u64::try_from(points.len()).unwrap_or(u64::MAX);
            Ok(ToolOutput::new(
                data,
                truncation("points", matched, returned, max_points),
            ))
        }
    }
}

/// The service's metrics, at most [`ToolLimits::max_metrics_listed`] of
/// them (sorted by name, as the source gives them), with a truncation
/// report when more exist.
fn list_metrics(
    source: &dyn DataSource,
    service: &str,
    window: &TimeWindow,
    limits: &ToolLimits,
) -> Result<ToolOutput, ToolExecutionError> {
    let all = source.metric_series(service)?;
    let max_listed = limits.max_metrics_listed();
    let max_chars = limits.max_field_chars();
    let listed: Vec<Value> = all
        .iter()
        .take(max_listed)
        .map(|series| {
            json!({
                "name": cut_text(series.name(), max_chars),
                "unit": cut_text(series.unit(), max_chars),
                "points_in_window": series.points_in(window).len(),
            })
        })
        .collect();
    let matched = u64::try_from(all.len()).unwrap_or(u64::MAX);
    let truncation = truncation("metrics", matched, listed.len(), max_listed);
    let data = json!({
        "service": cut_text(service, max_chars),
        "window": window.to_json(),
        "metrics": listed,
    });
    Ok(ToolOutput::new(data, truncation))
}

fn find_series<'s>(
    source: &'s dyn DataSource,
    service: &str,
    metric: &str,
) -> Result<&'s MetricSeries, ToolExecutionError> {
    let wanted = metric.trim();
    if let Some(series) = source.metric(service, wanted)? {
        return Ok(series);
    }
    let all = source.metric_series(service)?;
    if let Some(series) = all
        .iter()
        .find(|series| series.name().eq_ignore_ascii_case(wanted))
    {
        return Ok(series);
    }
    Err(ToolExecutionError::NotFound {
        parameter: "metric".to_owned(),
        message: format!(
            "service `{service}` has no metric `{}`; its metrics: {}",
            preview(metric),
            list_names(all.iter().map(|series| series.name()))
        ),
    })
}

/// At most `max` points, evenly spaced over `points` and keeping the first
/// and the last.
fn thin(points: &[MetricPoint], max: usize) -> Vec<MetricPoint> {
    let count = points.len();
    if count <= max {
        return points.to_vec();
    }
    if max <= 1 {
        return points.last().copied().into_iter().collect();
    }
    (0..max)
        .filter_map(|i| {
            let index = (i as u128 * (count as u128 - 1)) / (max as u128 - 1);
            usize::try_from(index)
                .ok()
                .and_then(|index| points.get(index).copied())
        })
        .collect()
}

/// The bucket size to use: `requested`, raised to whole seconds so that the
/// window needs at most `max` buckets; with a truncation report when raised.
fn fit_buckets(window: &TimeWindow, requested: i64, max: usize) -> (i64, Option<Truncation>) {
    let span_ms = window_span_ms(window).unsigned_abs();
    let slots = |bucket_seconds: u64| span_ms / bucket_seconds.saturating_mul(1000).max(1) + 1;
    let max_slots = u64::try_from(max).unwrap_or(u64::MAX).max(1);
    let requested_seconds = requested.unsigned_abs().max(1);
    if slots(requested_seconds) <= max_slots {
        return (requested, None);
    }
    let needed_ms = (span_ms + 1).div_ceil(max_slots);
    let widened = needed_ms.div_ceil(1000).max(requested_seconds);
    let report = Truncation {
        items: "buckets".to_owned(),
        matched: slots(requested_seconds),
        returned: slots(widened),
        limit: max_slots,
    };
    (i64::try_from(widened).unwrap_or(i64::MAX), Some(report))
}

fn window_span_ms(window: &TimeWindow) -> i64 {
    window
        .end()
        .signed_duration_since(window.start())
        .num_milliseconds()
        .max(0)
}

/// Per-bucket statistics of `points` (sorted, inside `window`). Bucket `k`
/// covers `[start + k·size, start + (k+1)·size)`; empty buckets are left
/// out. p95 is the nearest-rank percentile.
fn buckets(points: &[MetricPoint], window: &TimeWindow, bucket_seconds: i64) -> Vec<Value> {
    let bucket_ms = bucket_seconds.saturating_mul(1000).max(1);
    let index_of = |point: &MetricPoint| {
        point
            .timestamp()
            .signed_duration_since(window.start())
            .num_milliseconds()
            .max(0)
            / bucket_ms
    };
    let mut result = Vec::new();
    let mut rest = points;
    while let Some(first) = rest.first() {
        let index = index_of(first);
        let size = rest.partition_point(|point| index_of(point) == index);
        let (group, tail) = rest.split_at(size.max(1));
        rest = tail;
        let start = chrono::Duration::try_milliseconds(index.saturating_mul(bucket_ms))
            .and_then(|offset| window.start().checked_add_signed(offset))
            .unwrap_or(first.timestamp());
        result.push(bucket_statistics(group, rfc3339(start)));
    }
    result
}

fn bucket_statistics(group: &[MetricPoint], start: String) -> Value {
    let mut values: Vec<f64> = group.iter().map(MetricPoint::value).collect();
    values.sort_by(f64::total_cmp);
    let count = values.len();
    let min = values.first().copied().unwrap_or(0.0);
    let max = values.last().copied().unwrap_or(0.0);
    let divisor = count.max(1) as f64;
    let sum: f64 = values.iter().sum();
    let avg = if sum.is_finite() {
        sum / divisor
    } else {
        values.iter().map(|value| value / divisor).sum()
    };
    let rank = (95 * count).div_ceil(100).max(1);
    let p95 = values.get(rank - 1).copied().unwrap_or(max);
    json!({"start": start, "count": count, "min": min, "max": max, "avg": avg, "p95": p95})
}

#[cfg(test)]
mod tests;
