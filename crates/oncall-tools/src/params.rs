//! Parameter validation: checks untrusted JSON against a tool's hand-written
//! schema, reports every problem at once, and applies defaults.
//!
//! The validator understands the schema subset that
//! [`schema_problems`](crate::schema_problems) allows: properties of type
//! `string`, `integer`, `number` or `boolean`, each optionally nullable
//! (`["string", "null"]`), with `enum`, `minimum`, `maximum` and
//! `format: "date-time"` (RFC 3339).
//!
//! Rules:
//! - The parameters must be a JSON object; `null` counts as `{}`.
//! - A name not in the schema is an unknown parameter.
//! - A non-nullable property is required: leaving it out or sending `null`
//!   is an error. A nullable one left out or `null` is "not given", and its
//!   default (if any) applies.
//! - Enum values match case-insensitively and are stored in their canonical
//!   spelling. Integers may be written as `5.0`.
//! - At most [`MAX_REPORTED_ERRORS`] problems are listed, then a count of
//!   the rest.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use oncall_domain::{Timestamp, ToolError};
use serde_json::{Map, Value};

use crate::context::ToolContext;
use crate::tool::Tool;

/// The most problems one failed call lists before summarising the rest.
pub const MAX_REPORTED_ERRORS: usize = 20;

/// The parameters of one call after validation, with defaults applied.
/// Parameters that were not given and have no default are absent.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ValidatedParams {
    values: Map<String, Value>,
}

impl ValidatedParams {
    /// Validates `params` against `tool`'s schema, applies its defaults and
    /// runs its [`Tool::check_parameters`], returning every problem found.
    pub fn validate(
        tool: &dyn Tool,
        params: &Value,
        context: &ToolContext<'_>,
    ) -> Result<ValidatedParams, Vec<ToolError>> {
        let empty = Map::new();
        let given = match params {
            Value::Object(map) => map,
            Value::Null => &empty,
            other => {
                return Err(vec![ToolError::call(format!(
                    "parameters must be a JSON object, got {} `{}`",
                    json_type(other),
                    preview(&other.to_string())
                ))]);
            }
        };
        let schema = tool.parameters_schema();
        let properties = schema
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let mut errors = Vec::new();
        let mut failed = BTreeSet::new();
        let known: Vec<&str> = properties.keys().map(String::as_str).collect();
        for name in given.keys().filter(|name| !properties.contains_key(*name)) {
            errors.push(ToolError::parameter(
                preview(name),
                format!(
                    "unknown parameter; the parameters are: {}",
                    known.join(", ")
                ),
            ));
        }
        let mut values = Map::new();
        for (name, spec) in properties {
            let nullable = is_nullable(spec);
            match given.get(name) {
                None | Some(Value::Null) if nullable => {}
                None => {
                    errors.push(ToolError::parameter(name, "missing required parameter"));
                    failed.insert(name.clone());
                }
                Some(Value::Null) => {
                    errors.push(ToolError::parameter(
                        name,
                        "is required and must not be null",
                    ));
                    failed.insert(name.clone());
                }
                Some(value) => match check_value(spec, value) {
                    Ok(value) => {
                        values.insert(name.clone(), value);
                    }
                    Err(message) => {
                        errors.push(ToolError::parameter(name, message));
                        failed.insert(name.clone());
                    }
                },
            }
        }
        for (name, default) in tool.parameter_defaults() {
            if properties.contains_key(&name) && !failed.contains(&name) {
                values.entry(name).or_insert(default);
            }
        }
        let validated = ValidatedParams { values };
        errors.extend(tool.check_parameters(&validated, context));
        if errors.is_empty() {
            Ok(validated)
        } else {
            Err(bounded(errors))
        }
    }

    /// Parameters taken as they are, without validation: for calling
    /// [`Tool::execute`] directly, e.g. in tests. Tools still check what
    /// they cannot do without (and fail with
    /// [`ToolExecutionError::InvalidParameters`](crate::ToolExecutionError::InvalidParameters)).
    pub fn unchecked(values: Map<String, Value>) -> ValidatedParams {
        ValidatedParams { values }
    }

    /// The value of `name`, if given or defaulted.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.values.get(name)
    }

    /// `name` as a string, if it is one.
    pub fn string(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(Value::as_str)
    }

    /// `name` as an integer, if it is one that fits an `i64`.
    pub fn integer(&self, name: &str) -> Option<i64> {
        self.get(name).and_then(Value::as_i64)
    }

    /// `name` as a number, if it is one.
    pub fn number(&self, name: &str) -> Option<f64> {
        self.get(name).and_then(Value::as_f64)
    }

    /// `name` as a boolean, if it is one.
    pub fn boolean(&self, name: &str) -> Option<bool> {
        self.get(name).and_then(Value::as_bool)
    }

    /// `name` as an RFC 3339 timestamp in UTC: `Ok(None)` when absent, an
    /// error naming the parameter when it is not a valid timestamp.
    pub fn timestamp(&self, name: &str) -> Result<Option<Timestamp>, ToolError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(text)) => parse_rfc3339(text)
                .map(Some)
                .map_err(|message| ToolError::parameter(name, message)),
            Some(other) => Err(ToolError::parameter(
                name,
                format!(
                    "expected an RFC 3339 timestamp string, got {}",
                    json_type(other)
                ),
            )),
        }
    }

    /// Every parameter, in schema order.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.values
    }
}

/// Parses an RFC 3339 timestamp into UTC, with a message for the agent on
/// failure.
pub(crate) fn parse_rfc3339(text: &str) -> Result<Timestamp, String> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|at| at.with_timezone(&Utc))
        .map_err(|error| {
            format!(
                "`{}` is not an RFC 3339 timestamp like 2026-11-25T12:00:00Z: {error}",
                preview(text)
            )
        })
}

/// Whether a property schema's `type` includes `"null"`.
pub(crate) fn is_nullable(spec: &Value) -> bool {
    match spec.get("type") {
        Some(Value::Array(types)) => types.iter().any(|kind| kind == "null"),
        _ => false,
    }
}

/// The property's one non-null type, e.g. `"string"`.
pub(crate) fn base_type(spec: &Value) -> Option<&str> {
    match spec.get("type") {
        Some(Value::String(kind)) => Some(kind),
        Some(Value::Array(types)) => {
            let mut others = types.iter().filter(|kind| *kind != "null");
            match (others.next(), others.next()) {
                (Some(Value::String(kind)), None) => Some(kind),
                _ => None,
            }
        }
        _ => None,
    }
}

fn check_value(spec: &Value, value: &Value) -> Result<Value, String> {
    let checked = match base_type(spec) {
        Some("string") => check_string(spec, value)?,
        Some("integer") => check_integer(spec, value)?,
        Some("number") => match value {
            Value::Number(number) => {
                let as_float = number.as_f64().unwrap_or(f64::NAN);
                check_range(spec, as_float, &number.to_string())?;
                value.clone()
            }
            other => return Err(wrong_type("a number", other)),
        },
        Some("boolean") => match value {
            Value::Bool(_) => value.clone(),
            other => return Err(wrong_type("a boolean (true or false)", other)),
        },
        _ => return Err("has a type the validator does not support".to_owned()),
    };
    Ok(checked)
}

fn check_string(spec: &Value, value: &Value) -> Result<Value, String> {
    let Value::String(text) = value else {
        return Err(wrong_type("a string", value));
    };
    if let Some(Value::Array(allowed)) = spec.get("enum") {
        let names: Vec<&str> = allowed.iter().filter_map(Value::as_str).collect();
        return match names
            .iter()
            .find(|name| name.eq_ignore_ascii_case(text.trim()))
        {
            Some(name) => Ok(Value::String((*name).to_owned())),
            None => Err(format!(
                "must be one of: {}; got `{}`",
                names.join(", "),
                preview(text)
            )),
        };
    }
    if spec.get("format").and_then(Value::as_str) == Some("date-time") {
        parse_rfc3339(text)?;
    }
    Ok(value.clone())
}

fn check_integer(spec: &Value, value: &Value) -> Result<Value, String> {
    let Value::Number(number) = value else {
        return Err(wrong_type("an integer", value));
    };
    let integer = if let Some(integer) = number.as_i64() {
        integer
    } else if number.is_u64() {
        return Err(out_of_range(spec, &number.to_string()));
    } else {
        let float = number.as_f64().unwrap_or(f64::NAN);
        if float.fract() != 0.0 {
            return Err(wrong_type("an integer", value));
        }
        // Integral floats up to 2^53 convert exactly.
        const EXACT: f64 = 9_007_199_254_740_992.0;
        if !(-EXACT..=EXACT).contains(&float) {
            return Err(out_of_range(spec, &number.to_string()));
        }
        float as i64
    };
    check_range(spec, integer as f64, &integer.to_string())?;
    Ok(Value::from(integer))
}

fn check_range(spec: &Value, value: f64, shown: &str) -> Result<(), String> {
    if let Some(minimum) = spec.get("minimum").and_then(Value::as_f64)
        && value < minimum
    {
        return Err(format!("must be at least {}, got {shown}", spec["minimum"]));
    }
    if let Some(maximum) = spec.get("maximum").and_then(Value::as_f64)
        && value > maximum
    {
        return Err(format!("must be at most {}, got {shown}", spec["maximum"]));
    }
    Ok(())
}

fn out_of_range(spec: &Value, shown: &str) -> String {
    match spec.get("maximum") {
        Some(maximum) => format!("must be at most {maximum}, got {}", preview(shown)),
        None => format!("is out of range, got {}", preview(shown)),
    }
}

fn wrong_type(expected: &str, got: &Value) -> String {
    let shown = match got {
        Value::String(text) => preview(text),
        other => preview(&other.to_string()),
    };
    format!("expected {expected}, got {} `{shown}`", json_type(got))
}

/// The name of `value`'s JSON type, for messages: "null", "a boolean",
/// "a string", "an array", ... Every crate that names a JSON type in an
/// error uses this one.
pub fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `text` cut to 64 characters, so that no message grows with the input.
pub(crate) fn preview(text: &str) -> String {
    const MAX: usize = 64;
    if text.chars().count() <= MAX {
        text.to_owned()
    } else {
        let kept: String = text.chars().take(MAX).collect();
        format!("{kept}…")
    }
}

fn bounded(mut errors: Vec<ToolError>) -> Vec<ToolError> {
    if errors.len() > MAX_REPORTED_ERRORS {
        let rest = errors.len() - MAX_REPORTED_ERRORS;
        errors.truncate(MAX_REPORTED_ERRORS);
        errors.push(ToolError::call(format!("and {rest} more problems")));
    }
    errors
}

#[cfg(test)]
mod tests;
