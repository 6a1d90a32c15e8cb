//! A small incident's telemetry for the tests: checkout's connection pool
//! runs dry after a deploy at 11:40; the incident fires at 12:00 ("now").
//! Some records lie after "now" and must never come back from a tool.

use chrono::{Duration, TimeZone, Utc};
use oncall_domain::{CallId, FrozenTimer, Timestamp, ToolResult};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::context::{ToolContext, ToolLimits};
use crate::records::{
    Deploy, DeployStatus, LogEntry, LogLevel, MetricPoint, MetricSeries, Runbook,
};
use crate::registry::ToolRegistry;
use crate::source::InMemoryDataSource;

static TIMER: FrozenTimer = FrozenTimer;

/// The incident's time: 2026-11-25T12:00:00Z.
pub(crate) fn now() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap()
}

/// `hour:minute` on the incident's day.
pub(crate) fn at(hour: u32, minute: u32) -> Timestamp {
    Utc.with_ymd_and_hms(2026, 11, 25, hour, minute, 0).unwrap()
}

pub(crate) fn call_id() -> CallId {
    CallId::from_uuid(Uuid::from_u128(7))
}

pub(crate) fn context_with(limits: ToolLimits) -> ToolContext<'static> {
    ToolContext::new(now(), call_id(), limits, &TIMER)
}

pub(crate) fn context() -> ToolContext<'static> {
    context_with(ToolLimits::default())
}

fn log(at: Timestamp, service: &str, level: LogLevel, message: &str) -> LogEntry {
    LogEntry::new(at, service, level, message).unwrap()
}

pub(crate) fn source() -> InMemoryDataSource {
    let logs = vec![
        log(at(10, 0), "payments", LogLevel::Info, "healthy"),
        log(at(11, 0), "checkout", LogLevel::Info, "service started"),
        log(at(11, 30), "checkout", LogLevel::Warn, "slow query: 850ms")
            .with_attribute("db", json!("orders")),
        log(at(11, 45), "db", LogLevel::Error, "too many connections")
            .with_attribute("code", json!(53300)),
        log(
            at(11, 50),
            "checkout",
            LogLevel::Error,
            "Connection pool exhausted",
        )
        .with_attribute("pool", json!("orders-db"))
        .with_attribute("waiting", json!(42)),
        log(at(11, 55), "checkout", LogLevel::Debug, "retrying request"),
        log(
            at(12, 0),
            "checkout",
            LogLevel::Error,
            "request timeout after 2000ms",
        ),
        log(
            at(12, 5),
            "checkout",
            LogLevel::Fatal,
            "AFTER NOW: must never be returned",
        ),
    ];
    let latency: Vec<MetricPoint> = (0..=70)
        .map(|minute| {
            let time = at(11, 0) + Duration::minutes(minute);
            let value = match minute {
                0..=49 => 100.0 + f64::from(u32::try_from(minute % 5).unwrap()),
                50..=60 => 2000.0 + f64::from(u32::try_from(minute - 50).unwrap()),
                _ => 99_999.0,
            };
            MetricPoint::new(time, value).unwrap()
        })
        .collect();
    let errors: Vec<MetricPoint> = [(11, 40, 0.01), (11, 50, 0.2), (12, 0, 0.35), (12, 10, 9.0)]
        .into_iter()
        .map(|(hour, minute, value)| MetricPoint::new(at(hour, minute), value).unwrap())
        .collect();
    let connections = vec![MetricPoint::new(at(11, 45), 500.0).unwrap()];
    let metrics = vec![
        MetricSeries::new("checkout", "latency_p99_ms", "ms", latency).unwrap(),
        MetricSeries::new("checkout", "error_rate", "ratio", errors).unwrap(),
        MetricSeries::new("db", "connections", "count", connections).unwrap(),
    ];
    let deploys = vec![
        Deploy::new("d-0", "checkout", "v40", now() - Duration::hours(26)).unwrap(),
        Deploy::new("d-1", "checkout", "v41", at(11, 40))
            .unwrap()
            .with_previous_version("v40")
            .unwrap()
            .with_author("ana")
            .with_change_summary("connection pool size 50 -> 5"),
        Deploy::new("d-2", "db", "v7", at(11, 10)).unwrap(),
        Deploy::new("d-3", "payments", "v3", at(8, 0))
            .unwrap()
            .with_status(DeployStatus::RolledBack),
        Deploy::new("d-4", "checkout", "v42", at(12, 30)).unwrap(),
    ];
    let runbooks = vec![
        Runbook::new(
            "rb-pool",
            "Connection pool exhausted",
            vec![
                "Check the pool metrics and waiting requests".to_owned(),
                "Roll back the last deploy if it changed the pool size".to_owned(),
            ],
        )
        .unwrap()
        .with_services(vec!["checkout".to_owned()])
        .unwrap()
        .with_keywords(vec!["connection pool".to_owned(), "timeouts".to_owned()])
        .unwrap(),
        Runbook::new(
            "rb-db",
            "Database overloaded",
            vec![
                "Find the slow queries".to_owned(),
                "Raise max connections".to_owned(),
            ],
        )
        .unwrap()
        .with_services(vec!["db".to_owned()])
        .unwrap()
        .with_keywords(vec![
            "too many connections".to_owned(),
            "slow query".to_owned(),
        ])
        .unwrap(),
        Runbook::new(
            "rb-rollback",
            "Roll back a bad deploy",
            vec![
                "Find the last deploy".to_owned(),
                "Roll it back and watch timeouts".to_owned(),
            ],
        )
        .unwrap()
        .with_keywords(vec!["deploy".to_owned(), "rollback".to_owned()])
        .unwrap(),
    ];
    InMemoryDataSource::new(logs, metrics, deploys, runbooks).unwrap()
}

/// Calls `tool` through the default registry with default limits.
pub(crate) fn call(tool: &str, params: Value) -> ToolResult {
    call_with(tool, params, ToolLimits::default())
}

/// Calls `tool` through the default registry with `limits`.
pub(crate) fn call_with(tool: &str, params: Value, limits: ToolLimits) -> ToolResult {
    call_on(&source(), tool, params, limits)
}

/// Calls `tool` through the default registry with `limits`, over `source`.
pub(crate) fn call_on(
    source: &InMemoryDataSource,
    tool: &str,
    params: Value,
    limits: ToolLimits,
) -> ToolResult {
    ToolRegistry::with_default_tools().call(tool, &params, &context_with(limits), source)
}

/// `count` characters: `a` to `z` over and over.
pub(crate) fn long_text(count: usize) -> String {
    ('a'..='z').cycle().take(count).collect()
}

/// The `(items, matched, returned, limit)` of a call's truncation report.
pub(crate) fn truncation_of(result: &ToolResult) -> Option<(&str, u64, u64, u64)> {
    result.truncation().map(|truncation| {
        (
            truncation.items.as_str(),
            truncation.matched,
            truncation.returned,
            truncation.limit,
        )
    })
}

/// The data of a successful call, or a panic showing the errors.
pub(crate) fn data(result: &ToolResult) -> &Value {
    assert!(
        result.is_success(),
        "expected success, got {:?}",
        result.errors()
    );
    result.data().unwrap()
}

/// The `(parameter, message)` pairs of a failed call.
pub(crate) fn problems(result: &ToolResult) -> Vec<(Option<String>, String)> {
    assert!(
        !result.is_success(),
        "expected failure, got {:?}",
        result.data()
    );
    result
        .errors()
        .iter()
        .map(|error| (error.parameter.clone(), error.message.clone()))
        .collect()
}

/// Asserts that some problem names `parameter` and contains `fragment`.
pub(crate) fn assert_problem(result: &ToolResult, parameter: Option<&str>, fragment: &str) {
    let problems = problems(result);
    assert!(
        problems
            .iter()
            .any(|(name, message)| name.as_deref() == parameter && message.contains(fragment)),
        "no problem for {parameter:?} containing {fragment:?} in {problems:#?}"
    );
}
