//! [`InMemoryDataSource`]: telemetry held in sorted vectors, for tests and
//! for scenarios built in code.

use std::collections::{BTreeMap, BTreeSet};

use crate::error::{DataSourceError, RecordError};
use crate::records::{Deploy, LogEntry, MetricSeries, Runbook, ServiceCatalogue};
use crate::source::{DataSource, DeployPage, DeployQuery, LogPage, LogQuery};

/// Telemetry held in memory: logs and deploys sorted by time (stably, so
/// equal times keep the order given), metric series by service and name,
/// runbooks by id. Queries find their time window by binary search.
#[derive(Debug, Clone, Default)]
pub struct InMemoryDataSource {
    logs: Vec<LogEntry>,
    metrics: BTreeMap<String, Vec<MetricSeries>>,
    deploys: Vec<Deploy>,
    runbooks: Vec<Runbook>,
    services: Vec<String>,
    catalogue: Option<ServiceCatalogue>,
}

impl InMemoryDataSource {
    /// A source over these records, in any order. Two metric series with the
    /// same service and name, two deploys with the same id, or two runbooks
    /// with the same id are an error.
    pub fn new(
        mut logs: Vec<LogEntry>,
        metrics: Vec<MetricSeries>,
        mut deploys: Vec<Deploy>,
        mut runbooks: Vec<Runbook>,
    ) -> Result<InMemoryDataSource, RecordError> {
        logs.sort_by_key(LogEntry::timestamp);
        deploys.sort_by_key(Deploy::deployed_at);
        runbooks.sort_by(|a, b| a.id().cmp(b.id()));
        check_unique("id", deploys.iter().map(Deploy::id))?;
        check_unique("id", runbooks.iter().map(Runbook::id))?;
        check_unique(
            "name",
            metrics
                .iter()
                .map(|series| format!("{}/{}", series.service(), series.name())),
        )?;
        let mut services: BTreeSet<String> = BTreeSet::new();
        services.extend(logs.iter().map(|entry| entry.service().to_owned()));
        services.extend(metrics.iter().map(|series| series.service().to_owned()));
        services.extend(deploys.iter().map(|deploy| deploy.service().to_owned()));
        services.extend(
            runbooks
                .iter()
                .flat_map(|runbook| runbook.services().to_vec()),
        );
        let mut by_service: BTreeMap<String, Vec<MetricSeries>> = BTreeMap::new();
        for series in metrics {
            by_service
                .entry(series.service().to_owned())
                .or_default()
                .push(series);
        }
        for list in by_service.values_mut() {
            list.sort_by(|a, b| a.name().cmp(b.name()));
        }
        Ok(InMemoryDataSource {
            logs,
            metrics: by_service,
            deploys,
            runbooks,
            services: services.into_iter().collect(),
            catalogue: None,
        })
    }

    /// The same source with a service catalogue.
    pub fn with_catalogue(self, catalogue: ServiceCatalogue) -> InMemoryDataSource {
        InMemoryDataSource {
            catalogue: Some(catalogue),
            ..self
        }
    }

    /// A source with no telemetry at all.
    pub fn empty() -> InMemoryDataSource {
        InMemoryDataSource::default()
    }
}

impl DataSource for InMemoryDataSource {
    fn services(&self) -> Result<Vec<String>, DataSourceError> {
        Ok(self.services.clone())
    }

    fn logs(&self, query: &LogQuery<'_>) -> Result<LogPage<'_>, DataSourceError> {
        let in_window = query.window.slice(&self.logs, LogEntry::timestamp);
        Ok(LogPage::collect(query, in_window))
    }

    fn metric_series(&self, service: &str) -> Result<Vec<&MetricSeries>, DataSourceError> {
        Ok(self
            .metrics
            .get(service)
            .map(|list| list.iter().collect())
            .unwrap_or_default())
    }

    fn deploys(&self, query: &DeployQuery<'_>) -> Result<DeployPage<'_>, DataSourceError> {
        let in_window = query.window.slice(&self.deploys, Deploy::deployed_at);
        Ok(DeployPage::collect(query, in_window))
    }

    fn runbooks(&self) -> Result<&[Runbook], DataSourceError> {
        Ok(&self.runbooks)
    }

    fn catalogue(&self) -> Result<Option<&ServiceCatalogue>, DataSourceError> {
        Ok(self.catalogue.as_ref())
    }
}

fn check_unique<S: AsRef<str>>(
    field: &'static str,
    values: impl Iterator<Item = S>,
) -> Result<(), RecordError> {
    let mut seen = BTreeSet::new();
    for value in values {
        if !seen.insert(value.as_ref().to_owned()) {
            return Err(RecordError::Duplicate {
                field,
                value: value.as_ref().to_owned(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use oncall_domain::Timestamp;
    use regex::Regex;

    use super::*;
    use crate::records::LogLevel;
    use crate::window::TimeWindow;

    fn at(minute: u32) -> Timestamp {
        Utc.with_ymd_and_hms(2026, 11, 25, 11, minute, 0).unwrap()
    }

    fn entry(minute: u32, service: &str, level: LogLevel, message: &str) -> LogEntry {
        LogEntry::new(at(minute), service, level, message).unwrap()
    }

    fn source() -> InMemoryDataSource {
        let logs = vec![
            entry(30, "api", LogLevel::Info, "c"),
            entry(10, "api", LogLevel::Info, "a"),
            entry(20, "db", LogLevel::Error, "b").with_attribute("code", serde_json::json!(57014)),
            entry(20, "api", LogLevel::Warn, "b2"),
        ];
        let deploys = vec![
            Deploy::new("d2", "api", "v2", at(20)).unwrap(),
            Deploy::new("d1", "api", "v1", at(10)).unwrap(),
            Deploy::new("d3", "db", "v9", at(30)).unwrap(),
        ];
        InMemoryDataSource::new(logs, Vec::new(), deploys, Vec::new()).unwrap()
    }

    #[test]
    fn logs_come_oldest_first_keeping_the_most_recent_and_counting_all() {
        let source = source();
        let query = LogQuery {
            service: None,
            min_level: LogLevel::Debug,
            window: TimeWindow::new(at(10), at(30)).unwrap(),
            pattern: None,
            limit: 2,
        };
        let page = source.logs(&query).unwrap();
        assert_eq!(page.matched, 4);
        let messages: Vec<&str> = page.entries.iter().map(|entry| entry.message()).collect();
        assert_eq!(messages, vec!["b2", "c"]);
    }

    #[test]
    fn log_filters_combine_and_patterns_see_attributes() {
        let source = source();
        let pattern = Regex::new("570").unwrap();
        let query = LogQuery {
            service: Some("db"),
            min_level: LogLevel::Warn,
            window: TimeWindow::new(at(20), at(20)).unwrap(),
            pattern: Some(&pattern),
            limit: 10,
        };
        let page = source.logs(&query).unwrap();
        assert_eq!(page.matched, 1);
        assert_eq!(page.entries[0].message(), "b");
        let none = source.logs(&LogQuery { limit: 0, ..query }).unwrap();
        assert_eq!((none.matched, none.entries.len()), (1, 0));
    }

    #[test]
    fn deploys_come_newest_first() {
        let source = source();
        let query = DeployQuery {
            service: Some("api"),
            window: TimeWindow::new(at(0), at(59)).unwrap(),
            limit: 10,
        };
        let ids: Vec<String> = source
            .deploys(&query)
            .unwrap()
            .deploys
            .iter()
            .map(|deploy| deploy.id().to_owned())
            .collect();
        assert_eq!(ids, vec!["d2", "d1"]);
        assert_eq!(source.services().unwrap(), vec!["api", "db"]);
    }

    #[test]
    fn duplicates_are_rejected() {
        let deploys = vec![
            Deploy::new("d", "api", "v1", at(1)).unwrap(),
            Deploy::new("d", "api", "v2", at(2)).unwrap(),
        ];
        let error = InMemoryDataSource::new(Vec::new(), Vec::new(), deploys, Vec::new());
        assert_eq!(
            error.unwrap_err().to_string(),
            "`id` `d` appears more than once"
        );
        let series = || MetricSeries::new("api", "rps", "", Vec::new()).unwrap();
        let error =
            InMemoryDataSource::new(Vec::new(), vec![series(), series()], Vec::new(), Vec::new());
        assert!(error.is_err());
    }
}
