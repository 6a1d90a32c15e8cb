//! [`ToolContext`]: what a tool knows about the call besides its parameters
//! (the simulated "now", the call id, the limits and the timer), and
//! [`ToolLimits`]: the caps that keep every result bounded.

use oncall_domain::{CallId, ExecutionTimer, Timestamp};
use serde::{Deserialize, Serialize};

use crate::error::RecordError;

/// Default cap on log entries returned by one `logs` call.
pub const DEFAULT_MAX_LOG_ENTRIES: usize = 200;
/// Default cap on points (raw) or buckets (aggregated) per metric series.
pub const DEFAULT_MAX_METRIC_POINTS: usize = 500;
/// Default cap on deploys returned by one `deploys` call.
pub const DEFAULT_MAX_DEPLOYS: usize = 50;
/// Default cap on runbooks returned by one `runbook` search.
pub const DEFAULT_MAX_RUNBOOK_RESULTS: usize = 10;
/// Default cap on the length of a `pattern`, in characters.
pub const DEFAULT_MAX_PATTERN_LENGTH: usize = 256;
/// Default cap on the size of a compiled regex, in bytes
/// ([`regex::RegexBuilder::size_limit`]).
pub const DEFAULT_REGEX_SIZE_LIMIT: usize = 1 << 20;
/// Default cap on the nesting depth of a regex
/// ([`regex::RegexBuilder::nest_limit`]).
pub const DEFAULT_REGEX_NEST_LIMIT: u32 = 50;
/// Default cap on the characters of one log message; longer ones are cut.
pub const DEFAULT_MAX_MESSAGE_CHARS: usize = 2_000;
/// Default cap on the metrics one `metrics` listing (no `metric` given)
/// returns.
pub const DEFAULT_MAX_METRICS_LISTED: usize = 100;
/// Default cap on the steps returned when one runbook is fetched by id.
pub const DEFAULT_MAX_RUNBOOK_STEPS: usize = 50;
/// Default cap on the characters of every other text a tool returns: ids,
/// service, metric and version names, units, authors, change summaries,
/// runbook titles, steps, services and keywords, ranking reasons, and each
/// log attribute's key and value (a non-string value counted as compact
/// JSON). Longer ones are cut like messages.
pub const DEFAULT_MAX_FIELD_CHARS: usize = 1_000;
/// Default cap on the items of a list inside one returned record: a log
/// entry's attributes, a runbook's services and its keywords. When more
/// exist, one marker item says how many were left out.
pub const DEFAULT_MAX_LIST_ITEMS: usize = 50;
/// Default cap on the entries one `services` call returns, over every
/// section of the service catalogue together.
pub const DEFAULT_MAX_CATALOGUE_ENTRIES: usize = 200;

/// The caps on what tools return and accept. Every field is at least 1.
///
/// [`ToolLimits::default`] gives the documented `DEFAULT_*` constants; the
/// `with_*` methods return changed copies. In JSON, missing fields take
/// their defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ToolLimitsRecord")]
pub struct ToolLimits {
    max_log_entries: usize,
    max_metric_points: usize,
    max_deploys: usize,
    max_runbook_results: usize,
    max_pattern_length: usize,
    regex_size_limit: usize,
    regex_nest_limit: u32,
    max_message_chars: usize,
    max_metrics_listed: usize,
    max_runbook_steps: usize,
    max_field_chars: usize,
    max_list_items: usize,
    max_catalogue_entries: usize,
}

impl Default for ToolLimits {
    fn default() -> ToolLimits {
        ToolLimits {
            max_log_entries: DEFAULT_MAX_LOG_ENTRIES,
            max_metric_points: DEFAULT_MAX_METRIC_POINTS,
            max_deploys: DEFAULT_MAX_DEPLOYS,
            max_runbook_results: DEFAULT_MAX_RUNBOOK_RESULTS,
            max_pattern_length: DEFAULT_MAX_PATTERN_LENGTH,
            regex_size_limit: DEFAULT_REGEX_SIZE_LIMIT,
            regex_nest_limit: DEFAULT_REGEX_NEST_LIMIT,
            max_message_chars: DEFAULT_MAX_MESSAGE_CHARS,
            max_metrics_listed: DEFAULT_MAX_METRICS_LISTED,
            max_runbook_steps: DEFAULT_MAX_RUNBOOK_STEPS,
            max_field_chars: DEFAULT_MAX_FIELD_CHARS,
            max_list_items: DEFAULT_MAX_LIST_ITEMS,
            max_catalogue_entries: DEFAULT_MAX_CATALOGUE_ENTRIES,
        }
    }
}

macro_rules! limit_accessors {
    ($($(#[$doc:meta])* $field:ident, $with:ident: $type:ty;)*) => {
        impl ToolLimits {
            $(
                $(#[$doc])*
                pub fn $field(&self) -> $type {
                    self.$field
                }

                /// A copy with this limit changed. It must be at least 1.
                pub fn $with(&self, $field: $type) -> Result<ToolLimits, RecordError> {
                    ToolLimits { $field, ..self.clone() }.validated()
                }
            )*

            fn validated(self) -> Result<ToolLimits, RecordError> {
                $(
                    if self.$field == 0 {
                        return Err(RecordError::ZeroLimit { field: stringify!($field) });
                    }
                )*
                Ok(self)
            }
        }
    };
}

limit_accessors! {
    /// The most log entries one `logs` call returns.
    max_log_entries, with_max_log_entries: usize;
    /// The most points (raw) or buckets (aggregated) one metric series returns.
    max_metric_points, with_max_metric_points: usize;
    /// The most deploys one `deploys` call returns.
    max_deploys, with_max_deploys: usize;
    /// The most runbooks one `runbook` search returns.
    max_runbook_results, with_max_runbook_results: usize;
    /// The longest `pattern` accepted, in characters.
    max_pattern_length, with_max_pattern_length: usize;
    /// The largest compiled regex, in bytes.
    regex_size_limit, with_regex_size_limit: usize;
    /// The deepest regex nesting accepted.
    regex_nest_limit, with_regex_nest_limit: u32;
    /// The most characters of one log message returned; longer ones are
    /// cut and marked `… [cut N chars]`.
    max_message_chars, with_max_message_chars: usize;
    /// The most metrics one `metrics` listing returns.
    max_metrics_listed, with_max_metrics_listed: usize;
    /// The most steps returned when one runbook is fetched by id.
    max_runbook_steps, with_max_runbook_steps: usize;
    /// The most characters of any other text returned (see
    /// [`DEFAULT_MAX_FIELD_CHARS`]); longer ones are cut and marked
    /// `… [cut N chars]`.
    max_field_chars, with_max_field_chars: usize;
    /// The most items of a list inside one returned record (a log entry's
    /// attributes, a runbook's services and keywords); the rest are
    /// replaced by one marker item.
    max_list_items, with_max_list_items: usize;
    /// The most service-catalogue entries one `services` call returns.
    max_catalogue_entries, with_max_catalogue_entries: usize;
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct ToolLimitsRecord {
    max_log_entries: usize,
    max_metric_points: usize,
    max_deploys: usize,
    max_runbook_results: usize,
    max_pattern_length: usize,
    regex_size_limit: usize,
    regex_nest_limit: u32,
    max_message_chars: usize,
    max_metrics_listed: usize,
    max_runbook_steps: usize,
    max_field_chars: usize,
    max_list_items: usize,
    max_catalogue_entries: usize,
}

impl Default for ToolLimitsRecord {
    fn default() -> ToolLimitsRecord {
        let limits = ToolLimits::default();
        ToolLimitsRecord {
            max_log_entries: limits.max_log_entries,
            max_metric_points: limits.max_metric_points,
            max_deploys: limits.max_deploys,
            max_runbook_results: limits.max_runbook_results,
            max_pattern_length: limits.max_pattern_length,
            regex_size_limit: limits.regex_size_limit,
            regex_nest_limit: limits.regex_nest_limit,
            max_message_chars: limits.max_message_chars,
            max_metrics_listed: limits.max_metrics_listed,
            max_runbook_steps: limits.max_runbook_steps,
            max_field_chars: limits.max_field_chars,
            max_list_items: limits.max_list_items,
            max_catalogue_entries: limits.max_catalogue_entries,
        }
    }
}

impl TryFrom<ToolLimitsRecord> for ToolLimits {
    type Error = RecordError;

    fn try_from(record: ToolLimitsRecord) -> Result<ToolLimits, RecordError> {
        ToolLimits {
            max_log_entries: record.max_log_entries,
            max_metric_points: record.max_metric_points,
            max_deploys: record.max_deploys,
            max_runbook_results: record.max_runbook_results,
            max_pattern_length: record.max_pattern_length,
            regex_size_limit: record.regex_size_limit,
            regex_nest_limit: record.regex_nest_limit,
            max_message_chars: record.max_message_chars,
            max_metrics_listed: record.max_metrics_listed,
            max_runbook_steps: record.max_runbook_steps,
            max_field_chars: record.max_field_chars,
            max_list_items: record.max_list_items,
            max_catalogue_entries: record.max_catalogue_entries,
        }
        .validated()
    }
}

/// What a tool knows about its call besides the parameters: the simulated
/// "now" (the incident's time; tools never return data from after it and
/// read relative windows against it, never the wall clock), the call's id,
/// the limits, and the timer the registry measures the call with.
#[derive(Debug, Clone)]
pub struct ToolContext<'a> {
    now: Timestamp,
    call_id: CallId,
    limits: ToolLimits,
    timer: &'a dyn ExecutionTimer,
}

impl<'a> ToolContext<'a> {
    /// A context for one call.
    pub fn new(
        now: Timestamp,
        call_id: CallId,
        limits: ToolLimits,
        timer: &'a dyn ExecutionTimer,
    ) -> ToolContext<'a> {
        ToolContext {
            now,
            call_id,
            limits,
            timer,
        }
    }

    /// The simulated "now". No data after it is ever returned.
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// The call's id.
    pub fn call_id(&self) -> CallId {
        self.call_id
    }

    /// The caps in force.
    pub fn limits(&self) -> &ToolLimits {
        &self.limits
    }

    /// The timer that measures the call.
    pub fn timer(&self) -> &'a dyn ExecutionTimer {
        self.timer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_documented_caps() {
        let limits = ToolLimits::default();
        assert_eq!(limits.max_log_entries(), 200);
        assert_eq!(limits.max_metric_points(), 500);
        assert_eq!(limits.max_deploys(), 50);
        assert_eq!(limits.max_runbook_results(), 10);
        assert_eq!(limits.max_pattern_length(), 256);
        assert_eq!(limits.max_message_chars(), 2_000);
        assert_eq!(limits.max_metrics_listed(), 100);
        assert_eq!(limits.max_runbook_steps(), 50);
        assert_eq!(limits.max_field_chars(), 1_000);
        assert_eq!(limits.max_list_items(), 50);
    }

    #[test]
    fn the_new_caps_read_from_json_and_reject_zero() {
        let limits: ToolLimits = serde_json::from_str(
            r#"{"max_metrics_listed": 2, "max_runbook_steps": 3, "max_field_chars": 4, "max_list_items": 5}"#,
        )
        .unwrap();
        assert_eq!(
            (
                limits.max_metrics_listed(),
                limits.max_runbook_steps(),
                limits.max_field_chars(),
                limits.max_list_items()
            ),
            (2, 3, 4, 5)
        );
        assert_eq!(limits.max_log_entries(), DEFAULT_MAX_LOG_ENTRIES);
        for field in [
            "max_metrics_listed",
            "max_runbook_steps",
            "max_field_chars",
            "max_list_items",
        ] {
            let error =
                serde_json::from_str::<ToolLimits>(&format!(r#"{{"{field}": 0}}"#)).unwrap_err();
            assert!(
                error
                    .to_string()
                    .contains(&format!("`{field}` must be at least 1")),
                "{error}"
            );
        }
        assert_eq!(
            ToolLimits::default().with_max_list_items(0).unwrap_err(),
            RecordError::ZeroLimit {
                field: "max_list_items"
            }
        );
    }

    #[test]
    fn limits_can_be_overridden_but_not_to_zero() {
        let limits = ToolLimits::default().with_max_log_entries(3).unwrap();
        assert_eq!(limits.max_log_entries(), 3);
        assert_eq!(
            ToolLimits::default().with_max_deploys(0).unwrap_err(),
            RecordError::ZeroLimit {
                field: "max_deploys"
            }
        );
    }

    #[test]
    fn limits_read_from_json_with_defaults_and_validation() {
        let limits: ToolLimits = serde_json::from_str(r#"{"max_log_entries": 10}"#).unwrap();
        assert_eq!(
            limits,
            ToolLimits::default().with_max_log_entries(10).unwrap()
        );
        let json = serde_json::to_string(&limits).unwrap();
        assert_eq!(serde_json::from_str::<ToolLimits>(&json).unwrap(), limits);
        let zero = serde_json::from_str::<ToolLimits>(r#"{"max_deploys": 0}"#).unwrap_err();
        assert!(
            zero.to_string()
                .contains("`max_deploys` must be at least 1"),
            "{zero}"
        );
        assert!(serde_json::from_str::<ToolLimits>(r#"{"nope": 1}"#).is_err());
    }
}
