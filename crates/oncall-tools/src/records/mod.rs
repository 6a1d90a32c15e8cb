//! The telemetry record types: what a [`DataSource`](crate::DataSource)
//! holds and what scenario authors write in fixture files.
//!
//! Every record is an immutable value that validates on construction and on
//! deserialisation (`try_from` a private record with `deny_unknown_fields`).
//! Their JSON form is the fixture format, with plain field names; optional
//! fields may be left out.

mod deploy;
mod log;
mod metric;
mod runbook;

pub use crate::records::deploy::{Deploy, DeployStatus};
pub use crate::records::log::{LogEntry, LogLevel};
pub use crate::records::metric::{MetricPoint, MetricSeries};
pub use crate::records::runbook::Runbook;

use crate::error::RecordError;

/// Trims `value` and rejects it when nothing is left.
pub(crate) fn non_blank(field: &'static str, value: String) -> Result<String, RecordError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(RecordError::EmptyField { field });
    }
    if trimmed.len() == value.len() {
        Ok(value)
    } else {
        Ok(trimmed.to_owned())
    }
}

/// Trims each item of `values` and rejects blank ones.
pub(crate) fn non_blank_all(
    field: &'static str,
    values: Vec<String>,
) -> Result<Vec<String>, RecordError> {
    values
        .into_iter()
        .map(|value| non_blank(field, value))
        .collect()
}
