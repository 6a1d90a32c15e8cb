//! [`LogEntry`] and [`LogLevel`].

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use oncall_domain::Timestamp;
use serde::{Deserialize, Serialize};

use crate::context::ToolLimits;
use crate::error::RecordError;
use crate::records::{cut_text, non_blank};

/// How severe a log line is, ordered from `Debug` (least) to `Fatal` (most).
/// Written lowercase in JSON; parsed case-insensitively.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", try_from = "String")]
pub enum LogLevel {
    /// Diagnostic detail.
    Debug,
    /// Normal operation.
    Info,
    /// Something unexpected that was handled.
    Warn,
    /// A failed operation.
    Error,
    /// The process cannot go on.
    Fatal,
}

impl LogLevel {
    /// Every level, least severe first.
    pub const ALL: [LogLevel; 5] = [
        LogLevel::Debug,
        LogLevel::Info,
        LogLevel::Warn,
        LogLevel::Error,
        LogLevel::Fatal,
    ];

    /// The lowercase name, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
            LogLevel::Fatal => "fatal",
        }
    }
}

impl fmt::Display for LogLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for LogLevel {
    type Err = RecordError;

    /// Parses case-insensitively, ignoring surrounding whitespace.
    fn from_str(text: &str) -> Result<LogLevel, RecordError> {
        let wanted = text.trim();
        LogLevel::ALL
            .into_iter()
            .find(|level| level.as_str().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| RecordError::UnknownValue {
                field: "level",
                value: text.to_owned(),
                expected: "debug, info, warn, error, fatal",
            })
    }
}

impl TryFrom<String> for LogLevel {
    type Error = RecordError;

    fn try_from(text: String) -> Result<LogLevel, RecordError> {
        text.parse()
    }
}

/// One log line. `service` must not be blank; `message` may be empty.
/// `attributes` are free-form structured fields (e.g. `"status": 503`).
///
/// JSON: `{"timestamp", "service", "level", "message", "attributes"?}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "LogEntryRecord")]
pub struct LogEntry {
    timestamp: Timestamp,
    service: String,
    level: LogLevel,
    message: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    attributes: BTreeMap<String, serde_json::Value>,
}

impl LogEntry {
    /// A log line without attributes.
    pub fn new(
        timestamp: Timestamp,
        service: impl Into<String>,
        level: LogLevel,
        message: impl Into<String>,
    ) -> Result<LogEntry, RecordError> {
        Ok(LogEntry {
            timestamp,
            service: non_blank("service", service.into())?,
            level,
            message: message.into(),
            attributes: BTreeMap::new(),
        })
    }

    /// When it was written.
    pub fn timestamp(&self) -> Timestamp {
        self.timestamp
    }

    /// The service that wrote it.
    pub fn service(&self) -> &str {
        &self.service
    }

    /// How severe it is.
    pub fn level(&self) -> LogLevel {
        self.level
    }

    /// The text.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The structured fields, in key order.
    pub fn attributes(&self) -> &BTreeMap<String, serde_json::Value> {
        &self.attributes
    }

    /// A copy with one more attribute, replacing any with the same key.
    pub fn with_attribute(&self, key: impl Into<String>, value: serde_json::Value) -> LogEntry {
        let mut attributes = self.attributes.clone();
        attributes.insert(key.into(), value);
        LogEntry {
            attributes,
            ..self.clone()
        }
    }

    /// A copy with the message cut to `max_chars` characters, marked with
    /// `… [cut N chars]` when something was cut.
    pub fn with_message_cut_to(&self, max_chars: usize) -> LogEntry {
        LogEntry {
            message: cut_text(&self.message, max_chars).into_owned(),
            ..self.clone()
        }
    }

    /// The copy a tool returns, fit to `limits`: the message cut to
    /// [`ToolLimits::max_message_chars`]; the service and each attribute's
    /// key and value cut to [`ToolLimits::max_field_chars`] (a non-string
    /// value whose compact JSON is too long becomes that JSON, cut); and at
    /// most [`ToolLimits::max_list_items`] attributes, in key order, then
    /// an attribute [`CUT_ATTRIBUTES_KEY`] saying `[cut N attributes]` when
    /// some were left out. Unchanged when everything fits.
    pub(crate) fn bounded(&self, limits: &ToolLimits) -> LogEntry {
        let max_chars = limits.max_field_chars();
        let mut attributes = BTreeMap::new();
        let mut left_out = 0usize;
        for (key, value) in &self.attributes {
            let key = cut_text(key, max_chars).into_owned();
            // A cut key may collide with another: count it as left out.
            if attributes.len() == limits.max_list_items() || attributes.contains_key(&key) {
                left_out += 1;
                continue;
            }
            attributes.insert(key, cut_value(value, max_chars));
        }
        if left_out > 0 {
            // A real attribute with the marker's key gives way to the marker.
            if attributes.remove(CUT_ATTRIBUTES_KEY).is_some() {
                left_out += 1;
            }
            attributes.insert(
                CUT_ATTRIBUTES_KEY.to_owned(),
                serde_json::Value::String(format!("[cut {left_out} attributes]")),
            );
        }
        LogEntry {
            timestamp: self.timestamp,
            service: cut_text(&self.service, max_chars).into_owned(),
            level: self.level,
            message: cut_text(&self.message, limits.max_message_chars()).into_owned(),
            attributes,
        }
    }
}

/// The key of the attribute that says how many attributes a returned log
/// entry left out.
pub(crate) const CUT_ATTRIBUTES_KEY: &str = "…";

/// `value` with a string cut to `max_chars`; any other value whose compact
/// JSON is longer becomes that JSON as a string, cut.
fn cut_value(value: &serde_json::Value, max_chars: usize) -> serde_json::Value {
    let text = match value {
        serde_json::Value::String(text) => Cow::Borrowed(text.as_str()),
        other => Cow::Owned(other.to_string()),
    };
    match cut_text(&text, max_chars) {
        Cow::Borrowed(_) => value.clone(),
        Cow::Owned(cut) => serde_json::Value::String(cut),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LogEntryRecord {
    timestamp: Timestamp,
    service: String,
    level: LogLevel,
    message: String,
    #[serde(default)]
    attributes: BTreeMap<String, serde_json::Value>,
}

impl TryFrom<LogEntryRecord> for LogEntry {
    type Error = RecordError;

    fn try_from(record: LogEntryRecord) -> Result<LogEntry, RecordError> {
        let entry = LogEntry::new(
            record.timestamp,
            record.service,
            record.level,
            record.message,
        )?;
        Ok(LogEntry {
            attributes: record.attributes,
            ..entry
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    #[test]
    fn levels_parse_case_insensitively_and_are_ordered() {
        assert_eq!(" ERROR ".parse::<LogLevel>().unwrap(), LogLevel::Error);
        assert_eq!("Warn".parse::<LogLevel>().unwrap(), LogLevel::Warn);
        assert!(LogLevel::Debug < LogLevel::Info && LogLevel::Error < LogLevel::Fatal);
        assert_eq!(
            "verbose".parse::<LogLevel>().unwrap_err().to_string(),
            "`level` is `verbose`, expected one of: debug, info, warn, error, fatal"
        );
    }

    #[test]
    fn entries_round_trip_through_the_fixture_format() {
        let json = r#"{"timestamp":"2026-11-25T11:58:00Z","service":"checkout","level":"ERROR","message":"pool exhausted","attributes":{"status":503}}"#;
        let entry: LogEntry = serde_json::from_str(json).unwrap();
        assert_eq!(entry.level(), LogLevel::Error);
        assert_eq!(entry.attributes()["status"], serde_json::json!(503));
        let written = serde_json::to_string(&entry).unwrap();
        assert_eq!(
            written,
            r#"{"timestamp":"2026-11-25T11:58:00Z","service":"checkout","level":"error","message":"pool exhausted","attributes":{"status":503}}"#
        );
        assert_eq!(serde_json::from_str::<LogEntry>(&written).unwrap(), entry);
    }

    #[test]
    fn bad_entries_are_rejected_with_the_field_named() {
        let blank =
            r#"{"timestamp":"2026-11-25T11:58:00Z","service":" ","level":"info","message":""}"#;
        let error = serde_json::from_str::<LogEntry>(blank).unwrap_err();
        assert!(
            error.to_string().contains("`service` must not be empty"),
            "{error}"
        );
        let unknown = r#"{"timestamp":"2026-11-25T11:58:00Z","service":"a","level":"info","message":"","host":"x"}"#;
        let error = serde_json::from_str::<LogEntry>(unknown).unwrap_err();
        assert!(
            error.to_string().contains("unknown field `host`"),
            "{error}"
        );
    }

    #[test]
    fn long_messages_are_cut_on_character_boundaries() {
        let at = Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap();
        let entry = LogEntry::new(at, "a", LogLevel::Info, "ééééé").unwrap();
        assert_eq!(entry.with_message_cut_to(2).message(), "éé… [cut 3 chars]");
        assert_eq!(entry.with_message_cut_to(5), entry);
    }

    fn limits(field_chars: usize, list_items: usize) -> ToolLimits {
        ToolLimits::default()
            .with_max_field_chars(field_chars)
            .unwrap()
            .with_max_list_items(list_items)
            .unwrap()
    }

    #[test]
    fn bounded_entries_are_unchanged_when_everything_fits() {
        let at = Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap();
        let entry = LogEntry::new(at, "checkout", LogLevel::Error, "pool exhausted")
            .unwrap()
            .with_attribute("pool", serde_json::json!("orders-db"))
            .with_attribute("waiting", serde_json::json!(42));
        assert_eq!(entry.bounded(&ToolLimits::default()), entry);
        assert_eq!(entry.bounded(&limits(9, 2)), entry);
    }

    #[test]
    fn bounded_entries_cut_attribute_keys_values_and_count() {
        let at = Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap();
        let entry = LogEntry::new(at, "checkout-service", LogLevel::Error, "m")
            .unwrap()
            .with_attribute("a", serde_json::json!("0123456789"))
            .with_attribute("b", serde_json::json!([1, 2, 3, 4, 5]))
            .with_attribute("c", serde_json::json!(7))
            .with_attribute("d", serde_json::json!(true))
            .with_attribute("long-key", serde_json::json!(1));
        let written = serde_json::to_value(entry.bounded(&limits(4, 4))).unwrap();
        assert_eq!(
            written["service"],
            serde_json::json!("chec… [cut 12 chars]")
        );
        assert_eq!(
            written["attributes"],
            serde_json::json!({
                "a": "0123… [cut 6 chars]",
                "b": "[1,2… [cut 7 chars]",
                "c": 7,
                "d": true,
                "…": "[cut 1 attributes]"
            })
        );
    }

    #[test]
    fn keys_that_collide_once_cut_are_counted_as_left_out() {
        let at = Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap();
        let entry = LogEntry::new(at, "a", LogLevel::Info, "m")
            .unwrap()
            .with_attribute("abcd1", serde_json::json!(1))
            .with_attribute("abcd2", serde_json::json!(2));
        let bounded = entry.bounded(&limits(4, 50));
        assert_eq!(
            bounded.attributes(),
            &BTreeMap::from([
                ("abcd… [cut 1 chars]".to_owned(), serde_json::json!(1)),
                (
                    CUT_ATTRIBUTES_KEY.to_owned(),
                    serde_json::json!("[cut 1 attributes]")
                ),
            ])
        );
    }
}
