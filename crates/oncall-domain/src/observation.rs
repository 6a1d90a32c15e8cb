//! [`Observation`]: what an agent learned from one tool invocation.

use serde::{Deserialize, Serialize};

use crate::Timestamp;
use crate::error::ValidationError;
use crate::ids::{CallId, ObservationId};
use crate::incident::non_blank;

/// Which tool invocation something came from: the tool's name and the id of
/// the call.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "ToolCallRefRecord")]
pub struct ToolCallRef {
    tool_name: String,
    call_id: CallId,
}

impl ToolCallRef {
    /// Refers to call `call_id` of tool `tool_name`, which must not be blank.
    pub fn new(
        tool_name: impl Into<String>,
        call_id: CallId,
    ) -> Result<ToolCallRef, ValidationError> {
        Ok(ToolCallRef {
            tool_name: non_blank("tool_name", tool_name.into())?,
            call_id,
        })
    }

    /// The tool's name.
    pub fn tool_name(&self) -> &str {
        &self.tool_name
    }

    /// The call's id.
    pub fn call_id(&self) -> CallId {
        self.call_id
    }
}

/// What an agent learned from one tool invocation.
///
/// The summary is the agent's own words; `raw` optionally keeps the data it
/// was drawn from. `significant` marks the observations that move the
/// investigation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "ObservationRecord")]
pub struct Observation {
    id: ObservationId,
    source: ToolCallRef,
    summary: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    raw: Option<serde_json::Value>,
    significant: bool,
    recorded_at: Timestamp,
}

impl Observation {
    /// An observation of call `source`. `summary` must not be blank.
    pub fn new(
        id: ObservationId,
        source: ToolCallRef,
        summary: impl Into<String>,
        raw: Option<serde_json::Value>,
        significant: bool,
        recorded_at: Timestamp,
    ) -> Result<Observation, ValidationError> {
        Ok(Observation {
            id,
            source,
            summary: non_blank("summary", summary.into())?,
            raw,
            significant,
            recorded_at,
        })
    }

    /// The observation's id.
    pub fn id(&self) -> ObservationId {
        self.id
    }

    /// The tool call it came from.
    pub fn source(&self) -> &ToolCallRef {
        &self.source
    }

    /// What was learned, in words.
    pub fn summary(&self) -> &str {
        &self.summary
    }

    /// The data it was drawn from, when kept.
    pub fn raw(&self) -> Option<&serde_json::Value> {
        self.raw.as_ref()
    }

    /// Whether it moves the investigation.
    pub fn is_significant(&self) -> bool {
        self.significant
    }

    /// When it was recorded, by the injected clock.
    pub fn recorded_at(&self) -> Timestamp {
        self.recorded_at
    }

    /// A copy with another summary. Validates again.
    pub fn with_summary(&self, summary: impl Into<String>) -> Result<Observation, ValidationError> {
        Ok(Observation {
            summary: non_blank("summary", summary.into())?,
            ..self.clone()
        })
    }

    /// A copy marked significant or not.
    pub fn with_significant(&self, significant: bool) -> Observation {
        Observation {
            significant,
            ..self.clone()
        }
    }

    /// A copy with other raw data, or none.
    pub fn with_raw(&self, raw: Option<serde_json::Value>) -> Observation {
        Observation {
            raw,
            ..self.clone()
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ToolCallRefRecord {
    tool_name: String,
    call_id: CallId,
}

impl TryFrom<ToolCallRefRecord> for ToolCallRef {
    type Error = ValidationError;

    fn try_from(record: ToolCallRefRecord) -> Result<ToolCallRef, ValidationError> {
        ToolCallRef::new(record.tool_name, record.call_id)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ObservationRecord {
    id: ObservationId,
    source: ToolCallRef,
    summary: String,
    // A present `null` is data (`Some(Null)`); only an absent field is None.
    #[serde(default, deserialize_with = "crate::present_value")]
    raw: Option<serde_json::Value>,
    significant: bool,
    recorded_at: Timestamp,
}

impl TryFrom<ObservationRecord> for Observation {
    type Error = ValidationError;

    fn try_from(record: ObservationRecord) -> Result<Observation, ValidationError> {
        Observation::new(
            record.id,
            record.source,
            record.summary,
            record.raw,
            record.significant,
            record.recorded_at,
        )
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use proptest::prelude::*;
    use uuid::Uuid;

    use super::*;

    fn sample() -> Observation {
        Observation::new(
            ObservationId::from_uuid(Uuid::from_u128(1)),
            ToolCallRef::new("logs", CallId::from_uuid(Uuid::from_u128(2))).unwrap(),
            "checkout errors began at 11:40",
            Some(serde_json::json!({"matched": 12})),
            true,
            Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn getters_return_what_was_given() {
        let observation = sample();
        assert_eq!(observation.source().tool_name(), "logs");
        assert_eq!(observation.summary(), "checkout errors began at 11:40");
        assert!(observation.is_significant());
        assert_eq!(observation.raw(), Some(&serde_json::json!({"matched": 12})));
    }

    #[test]
    fn blank_summary_and_tool_name_are_rejected_by_name() {
        let error = sample().with_summary(" ").unwrap_err();
        assert_eq!(
            error.to_string(),
            "`summary` must not be empty or whitespace"
        );
        let error = ToolCallRef::new("", CallId::from_uuid(Uuid::nil())).unwrap_err();
        assert_eq!(
            error.to_string(),
            "`tool_name` must not be empty or whitespace"
        );
    }

    #[test]
    fn with_methods_leave_the_original_unchanged() {
        let original = sample();
        let quiet = original.with_significant(false);
        let bare = original.with_raw(None);
        let reworded = original.with_summary("other").unwrap();
        assert!(original.is_significant());
        assert!(original.raw().is_some());
        assert_eq!(original.summary(), "checkout errors began at 11:40");
        assert!(!quiet.is_significant());
        assert!(bare.raw().is_none());
        assert_eq!(reworded.summary(), "other");
    }

    #[test]
    fn raw_null_round_trips_as_null_and_absent_raw_as_none() {
        for raw in [None, Some(serde_json::Value::Null)] {
            let observation = sample().with_raw(raw);
            let json = serde_json::to_string(&observation).unwrap();
            assert_eq!(
                serde_json::from_str::<Observation>(&json).unwrap(),
                observation,
                "{json}"
            );
        }
    }

    #[test]
    fn json_round_trip_and_validation() {
        let observation = sample();
        let json = serde_json::to_string(&observation).unwrap();
        assert_eq!(
            serde_json::from_str::<Observation>(&json).unwrap(),
            observation
        );
        let blank = json.replace("checkout errors began at 11:40", "  ");
        let error = serde_json::from_str::<Observation>(&blank).unwrap_err();
        assert!(
            error.to_string().contains("`summary` must not be empty"),
            "{error}"
        );
    }

    proptest! {
        #[test]
        fn any_valid_observation_round_trips(
            summary in "[a-z][ -~]{0,40}",
            significant in any::<bool>(),
            number in any::<i64>(),
        ) {
            let observation = sample()
                .with_summary(summary).unwrap()
                .with_significant(significant)
                .with_raw(Some(serde_json::json!({"n": number})));
            let json = serde_json::to_string(&observation).unwrap();
            prop_assert_eq!(serde_json::from_str::<Observation>(&json).unwrap(), observation);
        }
    }
}
