//! Reading a request's params: typed, with the field that is wrong named,
//! and the action read leniently so that an unreadable one fails its step.

use std::path::PathBuf;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use oncall_domain::Decision;
pub(crate) use oncall_tools::json_type;

use crate::error::ProtocolError;
use crate::sessions::MAX_AGENT_NAME_BYTES;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ResetParams {
    pub(crate) scenario: String,
    #[serde(default)]
    pub(crate) seed: Option<u64>,
    #[serde(default)]
    pub(crate) max_steps: Option<u32>,
    #[serde(default)]
    pub(crate) agent: Option<String>,
    #[serde(default)]
    pub(crate) audit: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StepParams {
    pub(crate) episode: String,
    pub(crate) action: Value,
    #[serde(default)]
    pub(crate) analysis: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CloseParams {
    pub(crate) episode: String,
}

/// Reads `params` (which must be an object) as `T`, naming the field that
/// is wrong.
pub(crate) fn parse_params<T: DeserializeOwned>(params: Option<Value>) -> Result<T, ProtocolError> {
    match params {
        Some(params @ Value::Object(_)) => parse_field("params", params),
        Some(_) => Err(ProtocolError::InvalidParams(
            "params must be an object of named parameters".to_owned(),
        )),
        None => parse_field("params", Value::Object(serde_json::Map::new())),
    }
}

pub(crate) fn parse_field<T: DeserializeOwned>(
    name: &str,
    value: Value,
) -> Result<T, ProtocolError> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        let at = if path == "." {
            name.to_owned()
        } else {
            format!("{name}.{path}")
        };
        ProtocolError::InvalidParams(format!("{at}: {}", error.into_inner()))
    })
}

/// The action as a decision, or why it is not one. An object is read as a
/// decision; a string as the JSON text of one (what a model writes). Any
/// other JSON type is a protocol error.
pub(crate) fn read_action(action: Value) -> Result<Result<Decision, String>, ProtocolError> {
    match action {
        Value::Object(_) => Ok(serde_path_to_error::deserialize(action).map_err(|error| {
            let path = error.path().to_string();
            let inner = error.into_inner();
            if path == "." {
                inner.to_string()
            } else {
                format!("{path}: {inner}")
            }
        })),
        Value::String(text) => Ok(serde_json::from_str(&text).map_err(|error| error.to_string())),
        other => Err(ProtocolError::InvalidParams(format!(
            "params.action must be a decision object (or its JSON text), not {}",
            json_type(&other)
        ))),
    }
}

pub(crate) fn no_params(method: &str, params: Option<Value>) -> Result<(), ProtocolError> {
    match params {
        None => Ok(()),
        Some(Value::Object(map)) if map.is_empty() => Ok(()),
        Some(_) => Err(ProtocolError::InvalidParams(format!(
            "`{method}` takes no params"
        ))),
    }
}

pub(crate) fn check_agent_name(agent: &str) -> Result<(), ProtocolError> {
    if is_valid_agent_name(agent) {
        Ok(())
    } else {
        Err(ProtocolError::InvalidParams(format!(
            "params.agent must be 1 to {MAX_AGENT_NAME_BYTES} bytes of printable text"
        )))
    }
}

/// Whether `agent` may name an agent in an audit log: 1 to
/// [`MAX_AGENT_NAME_BYTES`] bytes, not blank, with no control characters.
pub fn is_valid_agent_name(agent: &str) -> bool {
    !agent.trim().is_empty()
        && agent.len() <= MAX_AGENT_NAME_BYTES
        && !agent.chars().any(char::is_control)
}
