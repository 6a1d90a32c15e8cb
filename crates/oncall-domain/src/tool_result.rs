//! [`ToolResult`]: what one tool invocation returned. It lives here, not in
//! `oncall-tools`, because the audit log records it and `oncall-audit` may
//! depend only on this crate; `oncall-tools` re-exports it.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::error::ValidationError;
use crate::ids::CallId;
use crate::incident::non_blank;

/// The outcome of one tool invocation: data on success, errors on failure,
/// how long it took by the injected timer, and what was left out.
///
/// Rules, checked on construction and deserialisation: a success has data
/// and no errors; a failure has at least one error and no data; a
/// truncation names what it counted and reports fewer items returned than
/// matched (otherwise nothing was left out).
///
/// The data is shared, not copied, when a result is cloned: a result is
/// kept by the step, the audit event and whoever drove the step, and can
/// be large.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "ToolResultRecord")]
pub struct ToolResult {
    tool_name: String,
    call_id: CallId,
    success: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<Arc<serde_json::Value>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<ToolError>,
    execution_time_us: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    truncation: Option<Truncation>,
}

/// One problem with a tool call, naming the parameter it concerns when there
/// is one (`None` for problems with the call as a whole, such as an unknown
/// tool).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolError {
    /// The parameter, e.g. `start`, or `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameter: Option<String>,
    /// What was wrong, for a person or an LLM to act on.
    pub message: String,
}

/// What a bounded tool result left out: how many items matched, how many
/// were returned, and the limit that cut them, so the agent can narrow its
/// query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Truncation {
    /// What was counted, e.g. `entries` or `points`.
    pub items: String,
    /// How many matched the query.
    pub matched: u64,
    /// How many came back.
    pub returned: u64,
    /// The limit in force.
    pub limit: u64,
}

impl ToolError {
    /// A problem with `parameter`.
    pub fn parameter(parameter: impl Into<String>, message: impl Into<String>) -> ToolError {
        ToolError {
            parameter: Some(parameter.into()),
            message: message.into(),
        }
    }

    /// A problem with the call as a whole.
    pub fn call(message: impl Into<String>) -> ToolError {
        ToolError {
            parameter: None,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for ToolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.parameter {
            Some(parameter) => write!(f, "`{parameter}`: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl ToolResult {
    /// A successful result carrying `data`.
    pub fn success(
        tool_name: impl Into<String>,
        call_id: CallId,
        data: serde_json::Value,
        execution_time_us: u64,
        truncation: Option<Truncation>,
    ) -> Result<ToolResult, ValidationError> {
        if let Some(truncation) = &truncation {
            check_truncation(truncation)?;
        }
        Ok(ToolResult {
            tool_name: non_blank("tool_name", tool_name.into())?,
            call_id,
            success: true,
            data: Some(Arc::new(data)),
            errors: Vec::new(),
            execution_time_us,
            truncation,
        })
    }

    /// A failed result carrying `errors`, of which there must be at least one.
    pub fn failure(
        tool_name: impl Into<String>,
        call_id: CallId,
        errors: Vec<ToolError>,
        execution_time_us: u64,
    ) -> Result<ToolResult, ValidationError> {
        if errors.is_empty() {
            return Err(ValidationError::EmptyList { field: "errors" });
        }
        Ok(ToolResult {
            tool_name: non_blank("tool_name", tool_name.into())?,
            call_id,
            success: false,
            data: None,
            errors,
            execution_time_us,
            truncation: None,
        })
    }

    /// A failed result that cannot itself fail: a blank tool name is
    /// recorded as `unknown`, and an empty error list as one error saying the
    /// tool gave no reason. For call paths that must always return a result.
    pub fn failed(
        tool_name: &str,
        call_id: CallId,
        mut errors: Vec<ToolError>,
        execution_time_us: u64,
    ) -> ToolResult {
        if errors.is_empty() {
            errors.push(ToolError::call("the tool failed without saying why"));
        }
        let tool_name = tool_name.trim();
        ToolResult {
            tool_name: if tool_name.is_empty() {
                "unknown"
            } else {
                tool_name
            }
            .to_owned(),
            call_id,
            success: false,
            data: None,
            errors,
            execution_time_us,
            truncation: None,
        }
    }

    /// The tool that ran, or was asked for.
    pub fn tool_name(&self) -> &str {
        &self.tool_name
    }

    /// The call's id.
    pub fn call_id(&self) -> CallId {
        self.call_id
    }

    /// Whether the call succeeded.
    pub fn is_success(&self) -> bool {
        self.success
    }

    /// The data, on success.
    pub fn data(&self) -> Option<&serde_json::Value> {
        self.data.as_deref()
    }

    /// The errors, on failure.
    pub fn errors(&self) -> &[ToolError] {
        &self.errors
    }

    /// How long the tool ran, by the injected timer.
    pub fn execution_time_us(&self) -> u64 {
        self.execution_time_us
    }

    /// What was left out, if anything.
    pub fn truncation(&self) -> Option<&Truncation> {
        self.truncation.as_ref()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ToolResultRecord {
    tool_name: String,
    call_id: CallId,
    success: bool,
    // A present `null` is data (`Some(Null)`); only an absent field is None.
    #[serde(default, deserialize_with = "crate::present_value")]
    data: Option<serde_json::Value>,
    #[serde(default)]
    errors: Vec<ToolError>,
    execution_time_us: u64,
    #[serde(default)]
    truncation: Option<Truncation>,
}

impl TryFrom<ToolResultRecord> for ToolResult {
    type Error = ValidationError;

    fn try_from(record: ToolResultRecord) -> Result<ToolResult, ValidationError> {
        if record.success {
            if !record.errors.is_empty() {
                return Err(ValidationError::Inconsistent {
                    field: "errors",
                    reason: "a successful tool result carries no errors",
                });
            }
            let data = record.data.ok_or(ValidationError::Inconsistent {
                field: "data",
                reason: "a successful tool result carries data",
            })?;
            ToolResult::success(
                record.tool_name,
                record.call_id,
                data,
                record.execution_time_us,
                record.truncation,
            )
        } else {
            if record.data.is_some() || record.truncation.is_some() {
                return Err(ValidationError::Inconsistent {
                    field: "data",
                    reason: "a failed tool result carries no data and no truncation",
                });
            }
            ToolResult::failure(
                record.tool_name,
                record.call_id,
                record.errors,
                record.execution_time_us,
            )
        }
    }
}

/// A truncation must say what it counted and that something was left out.
fn check_truncation(truncation: &Truncation) -> Result<(), ValidationError> {
    non_blank("truncation.items", truncation.items.clone())?;
    if truncation.returned >= truncation.matched {
        return Err(ValidationError::Inconsistent {
            field: "truncation",
            reason: "a truncation reports fewer items returned than matched",
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;

    fn call() -> CallId {
        CallId::from_uuid(Uuid::from_u128(3))
    }

    #[test]
    fn success_and_failure_round_trip() {
        let truncation = Truncation {
            items: "entries".to_owned(),
            matched: 900,
            returned: 200,
            limit: 200,
        };
        let success = ToolResult::success(
            "logs",
            call(),
            serde_json::json!({"entries": []}),
            12,
            Some(truncation),
        )
        .unwrap();
        let failure = ToolResult::failure(
            "logs",
            call(),
            vec![ToolError::parameter(
                "limit",
                "must be at most 200, got 500",
            )],
            0,
        )
        .unwrap();
        for result in [success, failure] {
            let json = serde_json::to_string(&result).unwrap();
            assert_eq!(serde_json::from_str::<ToolResult>(&json).unwrap(), result);
        }
    }

    #[test]
    fn null_data_round_trips() {
        let result = ToolResult::success("noop", call(), serde_json::Value::Null, 0, None).unwrap();
        let json = serde_json::to_string(&result).unwrap();
        assert!(json.contains("\"data\":null"), "{json}");
        assert_eq!(serde_json::from_str::<ToolResult>(&json).unwrap(), result);
    }

    #[test]
    fn failed_never_fails() {
        let result = ToolResult::failed("  ", call(), Vec::new(), 5);
        assert_eq!(result.tool_name(), "unknown");
        assert_eq!(result.errors().len(), 1);
        assert!(!result.is_success());
        let json = serde_json::to_string(&result).unwrap();
        assert_eq!(serde_json::from_str::<ToolResult>(&json).unwrap(), result);
    }

    #[test]
    fn a_failure_needs_an_error() {
        let error = ToolResult::failure("logs", call(), Vec::new(), 0).unwrap_err();
        assert_eq!(error.to_string(), "`errors` must list at least one item");
    }

    #[test]
    fn inconsistent_json_is_rejected() {
        let both = r#"{"tool_name":"logs","call_id":"00000000-0000-0000-0000-000000000003","success":true,"data":1,"errors":[{"message":"x"}],"execution_time_us":0}"#;
        let error = serde_json::from_str::<ToolResult>(both).unwrap_err();
        assert!(error.to_string().contains("carries no errors"), "{error}");
        let none = r#"{"tool_name":"logs","call_id":"00000000-0000-0000-0000-000000000003","success":false,"execution_time_us":0}"#;
        assert!(serde_json::from_str::<ToolResult>(none).is_err());
    }

    #[test]
    fn a_truncation_must_have_left_something_out() {
        let truncation = |items: &str, matched, returned| {
            Some(Truncation {
                items: items.to_owned(),
                matched,
                returned,
                limit: 10,
            })
        };
        let ok = ToolResult::success(
            "logs",
            call(),
            serde_json::json!([]),
            0,
            truncation("entries", 11, 10),
        );
        assert!(ok.is_ok());
        for (items, matched, returned) in [("entries", 10, 10), ("entries", 3, 10), (" ", 11, 10)] {
            let error = ToolResult::success(
                "logs",
                call(),
                serde_json::json!([]),
                0,
                truncation(items, matched, returned),
            )
            .unwrap_err()
            .to_string();
            assert!(error.contains("truncation"), "{error}");
        }
        let json = r#"{"tool_name":"logs","call_id":"00000000-0000-0000-0000-000000000003","success":true,"data":[],"execution_time_us":0,"truncation":{"items":"entries","matched":5,"returned":5,"limit":5}}"#;
        let error = serde_json::from_str::<ToolResult>(json)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("fewer items returned than matched"),
            "{error}"
        );
    }

    #[test]
    fn errors_display_with_their_parameter() {
        assert_eq!(
            ToolError::parameter("start", "is after `end`").to_string(),
            "`start`: is after `end`"
        );
        assert_eq!(ToolError::call("unknown tool").to_string(), "unknown tool");
    }
}
