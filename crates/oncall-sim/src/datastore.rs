//! [`DataStore`]: a scenario's telemetry, sorted and indexed, served to the
//! tools through `oncall-tools`' [`DataSource`].
//!
//! Logs are kept sorted by timestamp (stable, so entries with equal
//! timestamps keep the order the file gave them), with a per-service index
//! of positions. A time window is found by binary search (`partition_point`)
//! on the sorted data or on the service's index, never by scanning. When a
//! query filters only by service and time, counting the matches is the
//! length of the window, and the page holds references, not copies. A
//! per-level index answers minimum-level queries the same way, merging only
//! the tails of the level windows; a text pattern is matched inside the
//! window.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use oncall_tools::{
    DataSource, DataSourceError, Deploy, DeployPage, DeployQuery, LogEntry, LogLevel, LogPage,
    LogQuery, MetricSeries, Runbook, ServiceCatalogue,
};

use crate::error::FixtureError;
use crate::fixture::{LoadLimits, load_optional_list};
use crate::log_index::{LogIndex, last_positions};

/// The telemetry files of a scenario directory, by name.
pub const LOGS_FILE: &str = "logs.json";
/// The metrics file.
pub const METRICS_FILE: &str = "metrics.json";
/// The deploys file.
pub const DEPLOYS_FILE: &str = "deploys.json";
/// The runbooks file.
pub const RUNBOOKS_FILE: &str = "runbooks.json";
/// The service catalogue file.
pub const SERVICES_FILE: &str = "services.json";

/// The raw telemetry of a scenario, in any order. The only input a
/// [`DataStore`] is built from: it has no place for ground truth.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Telemetry {
    /// Log entries.
    pub logs: Vec<LogEntry>,
    /// Metric series.
    pub metrics: Vec<MetricSeries>,
    /// Deploys.
    pub deploys: Vec<Deploy>,
    /// Runbooks.
    pub runbooks: Vec<Runbook>,
    /// The service catalogue (empty when the scenario has none).
    pub catalogue: ServiceCatalogue,
}

impl Telemetry {
    /// Reads the five telemetry files of `directory`. A missing file means
    /// none of that kind; a bad one is an error naming the file, line,
    /// column and JSON path.
    pub fn load(directory: &Path, limits: LoadLimits) -> Result<Telemetry, FixtureError> {
        Ok(Telemetry {
            logs: load_optional_list(&directory.join(LOGS_FILE), limits)?,
            metrics: load_optional_list(&directory.join(METRICS_FILE), limits)?,
            deploys: load_optional_list(&directory.join(DEPLOYS_FILE), limits)?,
            runbooks: load_optional_list(&directory.join(RUNBOOKS_FILE), limits)?,
            catalogue: load_optional_list(&directory.join(SERVICES_FILE), limits)?,
        })
    }
}

/// A scenario's telemetry, sorted and indexed for the tools.
#[derive(Debug, Clone, PartialEq)]
pub struct DataStore {
    logs: Vec<LogEntry>,
    log_index: LogIndex,
    metrics_by_service: BTreeMap<String, Vec<MetricSeries>>,
    deploys: Vec<Deploy>,
    runbooks: Vec<Runbook>,
    services: Vec<String>,
    catalogue: ServiceCatalogue,
}

impl DataStore {
    /// Sorts and indexes `telemetry`.
    pub fn from_telemetry(telemetry: Telemetry) -> DataStore {
        let Telemetry {
            mut logs,
            metrics,
            mut deploys,
            mut runbooks,
            catalogue,
        } = telemetry;
        logs.sort_by_key(LogEntry::timestamp);
        let log_index = LogIndex::new(&logs);
        let mut metrics_by_service: BTreeMap<String, Vec<MetricSeries>> = BTreeMap::new();
        for series in metrics {
            metrics_by_service
                .entry(series.service().to_owned())
                .or_default()
                .push(series);
        }
        for series in metrics_by_service.values_mut() {
            series.sort_by(|a, b| a.name().cmp(b.name()));
        }
        deploys.sort_by_key(Deploy::deployed_at);
        runbooks.sort_by(|a, b| a.id().cmp(b.id()));
        let mut services: BTreeSet<String> = log_index.services().cloned().collect();
        services.extend(metrics_by_service.keys().cloned());
        services.extend(deploys.iter().map(|deploy| deploy.service().to_owned()));
        services.extend(
            runbooks
                .iter()
                .flat_map(|runbook| runbook.services().iter().cloned()),
        );
        DataStore {
            logs,
            log_index,
            metrics_by_service,
            deploys,
            runbooks,
            services: services.into_iter().collect(),
            catalogue,
        }
    }

    /// Reads and indexes the telemetry files of `directory`.
    pub fn load(directory: &Path, limits: LoadLimits) -> Result<DataStore, FixtureError> {
        Telemetry::load(directory, limits).map(DataStore::from_telemetry)
    }

    /// Every log entry, oldest first.
    pub fn all_logs(&self) -> &[LogEntry] {
        &self.logs
    }

    /// Every metric series, by service and then name.
    pub fn all_metrics(&self) -> impl Iterator<Item = &MetricSeries> {
        self.metrics_by_service.values().flatten()
    }

    /// Every deploy, oldest first.
    pub fn all_deploys(&self) -> &[Deploy] {
        &self.deploys
    }

    /// Every runbook, by id.
    pub fn all_runbooks(&self) -> &[Runbook] {
        &self.runbooks
    }

    /// Every service with telemetry or a runbook, sorted.
    pub fn all_services(&self) -> &[String] {
        &self.services
    }

    /// The service catalogue (empty when the scenario has none).
    pub fn catalogue(&self) -> &ServiceCatalogue {
        &self.catalogue
    }
}

impl DataSource for DataStore {
    fn services(&self) -> Result<Vec<String>, DataSourceError> {
        Ok(self.services.clone())
    }

    fn logs(&self, query: &LogQuery<'_>) -> Result<LogPage<'_>, DataSourceError> {
        if query.pattern.is_none() && query.min_level != LogLevel::Debug {
            // Answered from the per-level index: count the windows, merge
            // their tails.
            let windows = self.log_index.level_windows(
                &self.logs,
                query.service,
                query.min_level,
                query.window,
            );
            let matched = windows.iter().map(|window| window.len() as u64).sum();
            let entries = last_positions(&windows, query.limit)
                .into_iter()
                .map(|position| &self.logs[position as usize])
                .collect();
            return Ok(LogPage { matched, entries });
        }
        let filters_only_by_time = query.min_level == LogLevel::Debug && query.pattern.is_none();
        match query.service {
            None => {
                let window = query.window.slice(&self.logs, LogEntry::timestamp);
                if filters_only_by_time {
                    return Ok(tail_page(window, query.limit, |entry| entry));
                }
                Ok(LogPage::collect(query, window))
            }
            Some(service) => {
                let Some(positions) = self.log_index.service_positions(service) else {
                    return Ok(LogPage::default());
                };
                let timestamp = |position: &u32| self.logs[*position as usize].timestamp();
                let window = query.window.slice(positions, timestamp);
                let entry_at = |position: &u32| &self.logs[*position as usize];
                if filters_only_by_time {
                    return Ok(tail_page(window, query.limit, entry_at));
                }
                Ok(LogPage::collect(query, window.iter().map(entry_at)))
            }
        }
    }

    fn metric_series(&self, service: &str) -> Result<Vec<&MetricSeries>, DataSourceError> {
        Ok(self
            .metrics_by_service
            .get(service)
            .map(|series| series.iter().collect())
            .unwrap_or_default())
    }

    fn deploys(&self, query: &DeployQuery<'_>) -> Result<DeployPage<'_>, DataSourceError> {
        let window = query.window.slice(&self.deploys, Deploy::deployed_at);
        Ok(DeployPage::collect(query, window))
    }

    fn runbooks(&self) -> Result<&[Runbook], DataSourceError> {
        Ok(&self.runbooks)
    }

    fn catalogue(&self) -> Result<Option<&ServiceCatalogue>, DataSourceError> {
        Ok((!self.catalogue.is_empty()).then_some(&self.catalogue))
    }
}

/// A page of the last `limit` items of `window`, all of which match, oldest
/// first. Only the kept items are touched, and nothing is copied but
/// references.
fn tail_page<'e, T>(
    window: &'e [T],
    limit: usize,
    entry: impl Fn(&'e T) -> &'e LogEntry,
) -> LogPage<'e> {
    let kept = &window[window.len().saturating_sub(limit)..];
    LogPage {
        matched: window.len() as u64,
        entries: kept.iter().map(entry).collect(),
    }
}
