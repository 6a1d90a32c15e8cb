//! [`DataSource`]: the read-only telemetry contract that tools query and the
//! simulator implements, its query and page types, and
//! [`InMemoryDataSource`].
//!
//! Semantics every implementation must keep (the tools and their tests rely
//! on them):
//!
//! - Time windows are [`TimeWindow`]s: **both edges inclusive**.
//! - A page reports `matched`, how many items satisfied the query in all,
//!   and carries at most `limit` of them. Counting must not require
//!   materialising every match: a sorted store finds the window with
//!   `partition_point` (see [`TimeWindow::slice`]) and counts inside it.
//! - Logs: the page keeps the **most recent** `limit` matches and returns
//!   them **oldest first**. Deploys: the page keeps the **most recent**
//!   `limit` matches and returns them **newest first**. Ties keep the order
//!   the records were given in.
//! - [`LogQuery::matches`] and [`DeployQuery::matches`] are the predicates;
//!   an implementation may narrow with indexes first but must agree with
//!   them.
//! - Service names match exactly (tools resolve case first, against
//!   [`DataSource::services`]).

mod memory;

use std::collections::VecDeque;
use std::fmt;

use regex::Regex;

use crate::error::DataSourceError;
use crate::records::{Deploy, LogEntry, LogLevel, MetricSeries, Runbook, ServiceCatalogue};
use crate::window::TimeWindow;

pub use crate::source::memory::InMemoryDataSource;

/// Read-only access to an incident's telemetry. Tools see nothing else: no
/// ground truth ever comes through here.
pub trait DataSource: Send + Sync + fmt::Debug {
    /// Every service that has any telemetry (logs, metrics or deploys) or is
    /// named by a runbook, sorted, without duplicates.
    fn services(&self) -> Result<Vec<String>, DataSourceError>;

    /// The log entries that satisfy `query`: how many matched, and the most
    /// recent `query.limit` of them, oldest first.
    fn logs(&self, query: &LogQuery<'_>) -> Result<LogPage<'_>, DataSourceError>;

    /// Every metric series of `service`, sorted by name. Empty for an
    /// unknown service.
    fn metric_series(&self, service: &str) -> Result<Vec<&MetricSeries>, DataSourceError>;

    /// The series `name` of `service`, if there is one.
    fn metric(&self, service: &str, name: &str) -> Result<Option<&MetricSeries>, DataSourceError> {
        Ok(self
            .metric_series(service)?
            .into_iter()
            .find(|series| series.name() == name))
    }

    /// The deploys that satisfy `query`: how many matched, and the most
    /// recent `query.limit` of them, newest first.
    fn deploys(&self, query: &DeployQuery<'_>) -> Result<DeployPage<'_>, DataSourceError>;

    /// Every runbook, sorted by id.
    fn runbooks(&self) -> Result<&[Runbook], DataSourceError>;

    /// The runbook with this exact id, if there is one.
    fn runbook(&self, id: &str) -> Result<Option<&Runbook>, DataSourceError> {
        Ok(self.runbooks()?.iter().find(|runbook| runbook.id() == id))
    }

    /// The service catalogue, when the environment has one. The default is
    /// none; the `services` tool then lists the services that have
    /// telemetry, and says so.
    fn catalogue(&self) -> Result<Option<&ServiceCatalogue>, DataSourceError> {
        Ok(None)
    }
}

/// Which log entries to return. An entry matches when all of these hold:
/// its service is `service` (any service when `None`), its level is at
/// least `min_level`, its timestamp is inside `window` (edges inclusive),
/// and `pattern` (when given) matches its message or one of its attribute
/// values (strings as they are, other values as compact JSON).
#[derive(Debug, Clone, Copy)]
pub struct LogQuery<'a> {
    /// Only this service's entries; all services when `None`.
    pub service: Option<&'a str>,
    /// The least severe level to include.
    pub min_level: LogLevel,
    /// The time window, edges inclusive.
    pub window: TimeWindow,
    /// A compiled pattern the message or an attribute value must match.
    pub pattern: Option<&'a Regex>,
    /// The most entries to return.
    pub limit: usize,
}

impl LogQuery<'_> {
    /// Whether `entry` satisfies the query (the limit aside).
    pub fn matches(&self, entry: &LogEntry) -> bool {
        self.service
            .is_none_or(|service| entry.service() == service)
            && entry.level() >= self.min_level
            && self.window.contains(entry.timestamp())
            && self.pattern.is_none_or(|pattern| {
                pattern.is_match(entry.message())
                    || entry.attributes().values().any(|value| match value {
                        serde_json::Value::String(text) => pattern.is_match(text),
                        other => pattern.is_match(&other.to_string()),
                    })
            })
    }
}

/// The answer to a [`LogQuery`]. It borrows the entries from the source,
/// so a query copies nothing but the references it returns.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LogPage<'a> {
    /// How many entries matched in all.
    pub matched: u64,
    /// The most recent `limit` of them, oldest first.
    pub entries: Vec<&'a LogEntry>,
}

impl<'a> LogPage<'a> {
    /// Builds a page from `candidates` in time order (oldest first): counts
    /// those that match and keeps the last `query.limit` of them, holding no
    /// more than that many at once.
    pub fn collect(
        query: &LogQuery<'_>,
        candidates: impl IntoIterator<Item = &'a LogEntry>,
    ) -> LogPage<'a> {
        let (matched, kept) = keep_last(
            candidates.into_iter().filter(|entry| query.matches(entry)),
            query.limit,
        );
        LogPage {
            matched,
            entries: kept.into_iter().collect(),
        }
    }
}

/// Which deploys to return: those of `service` (any when `None`) deployed
/// inside `window` (edges inclusive).
#[derive(Debug, Clone, Copy)]
pub struct DeployQuery<'a> {
    /// Only this service's deploys; all services when `None`.
    pub service: Option<&'a str>,
    /// The time window over `deployed_at`, edges inclusive.
    pub window: TimeWindow,
    /// The most deploys to return.
    pub limit: usize,
}

impl DeployQuery<'_> {
    /// Whether `deploy` satisfies the query (the limit aside).
    pub fn matches(&self, deploy: &Deploy) -> bool {
        self.service
            .is_none_or(|service| deploy.service() == service)
            && self.window.contains(deploy.deployed_at())
    }
}

/// The answer to a [`DeployQuery`]. It borrows the deploys from the source.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeployPage<'a> {
    /// How many deploys matched in all.
    pub matched: u64,
    /// The most recent `limit` of them, newest first.
    pub deploys: Vec<&'a Deploy>,
}

impl<'a> DeployPage<'a> {
    /// Builds a page from `candidates` in time order (oldest first): counts
    /// those that match and keeps the last `query.limit`, newest first.
    pub fn collect(
        query: &DeployQuery<'_>,
        candidates: impl IntoIterator<Item = &'a Deploy>,
    ) -> DeployPage<'a> {
        let (matched, kept) = keep_last(
            candidates
                .into_iter()
                .filter(|deploy| query.matches(deploy)),
            query.limit,
        );
        DeployPage {
            matched,
            deploys: kept.into_iter().rev().collect(),
        }
    }
}

/// Counts `items` and keeps the last `limit`, in order.
fn keep_last<T>(items: impl Iterator<Item = T>, limit: usize) -> (u64, VecDeque<T>) {
    let mut kept = VecDeque::with_capacity(limit.min(1024));
    let mut matched = 0u64;
    for item in items {
        matched = matched.saturating_add(1);
        if limit == 0 {
            continue;
        }
        if kept.len() == limit {
            kept.pop_front();
        }
        kept.push_back(item);
    }
    (matched, kept)
}
