//! One-off log lines: bursts (placed relative to the alert or the fault's
//! onset, to the second when a sequence must print in order), and older
//! events, a spec's `history`: single lines from before its hours of
//! telemetry ("the certificate renewal job failed two days ago"), rendered
//! with no background noise around them, so that an old event costs one
//! line, not days of noise.

use chrono::Duration;
use serde::{Deserialize, Serialize};

use oncall_domain::Timestamp;
use oncall_tools::{LogEntry, LogLevel};

use crate::generator::GeneratorError;

/// The most seconds a burst's `offset_seconds` and `spacing_seconds` may be.
pub const MAX_BURST_SECONDS: u32 = 3600;

/// A one-off burst of log lines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BurstSpec {
    /// The service.
    pub service: String,
    /// Minutes before the alert it starts.
    #[serde(default)]
    pub minutes_before_alert: u32,
    /// Starts this many minutes after the fault's onset instead (a one-off
    /// event that belongs to the fault, such as the command that set it
    /// off); it moves with the onset's jitter.
    #[serde(default)]
    pub minutes_after_onset: Option<u32>,
    /// Starts this many minutes before the fault's onset instead (what led
    /// up to it: a config loaded before the record it broke changed); it
    /// moves with the onset's jitter.
    #[serde(default)]
    pub minutes_before_onset: Option<u32>,
    /// Seconds added to the start (0 to 3600), to order bursts that start
    /// in the same minute.
    #[serde(default)]
    pub offset_seconds: u32,
    /// Exactly this many seconds between lines (1 to 3600), with no
    /// jitter; without it, 7 to 11 seconds apart.
    #[serde(default)]
    pub spacing_seconds: Option<u32>,
    /// The level.
    pub level: LogLevel,
    /// How many lines, one every few seconds.
    pub count: u32,
    /// Message templates.
    pub messages: Vec<String>,
    /// Every line comes from this host, instead of one of the service's.
    #[serde(default)]
    pub host: Option<String>,
}

/// One older event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryLineSpec {
    /// How long before the alert it happened, in minutes (up to a year).
    pub minutes_before_alert: u32,
    /// The service that logged it.
    pub service: String,
    /// Its level.
    pub level: LogLevel,
    /// The line, as written (no placeholders: an old event is one fact).
    pub message: String,
    /// The host it came from (default `<service>-1`).
    #[serde(default)]
    pub host: Option<String>,
}

/// The lines of `history`, for an alert at `alert`, in spec order.
pub(super) fn history_lines(
    history: &[HistoryLineSpec],
    alert: Timestamp,
) -> Result<Vec<LogEntry>, GeneratorError> {
    history
        .iter()
        .enumerate()
        .map(|(index, line)| {
            let at = alert - Duration::minutes(i64::from(line.minutes_before_alert));
            let host = line
                .host
                .clone()
                .unwrap_or_else(|| format!("{}-1", line.service));
            LogEntry::new(at, &line.service, line.level, line.message.clone())
                .map(|entry| entry.with_attribute("host", serde_json::json!(host)))
                .map_err(|error| {
                    GeneratorError::InvalidSpec(format!("`telemetry.history[{index}]`: {error}"))
                })
        })
        .collect()
}
