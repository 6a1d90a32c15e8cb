//! What the agent reads: the instructions (the alert and how to work), and
//! each tool call's answer as structured content plus a short text. Many
//! clients show a model only the text, so the text carries the result's
//! data too, as compact JSON, capped at [`MAX_TEXT_BYTES`].

use std::fmt::Write as _;

use serde_json::Value;

use oncall_domain::ToolResult;
use oncall_protocol::IncidentView;

use crate::tools::{INCIDENT, RECORD_OBSERVATION};

/// The longest text rendering of one answer, in bytes. The structured
/// content carries the whole result (which the tool itself bounds).
pub const MAX_TEXT_BYTES: usize = 64 * 1024;

/// One tool call's answer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Answer {
    pub(crate) text: String,
    pub(crate) structured: Value,
    pub(crate) is_error: bool,
}

impl Answer {
    pub(crate) fn success(text: String, structured: Value) -> Answer {
        Answer {
            text: capped(text),
            structured,
            is_error: false,
        }
    }

    pub(crate) fn error(text: String, structured: Value) -> Answer {
        Answer {
            text: capped(text),
            structured,
            is_error: true,
        }
    }
}

/// The server's instructions: the alert, the step budget and how to work.
pub(crate) fn instructions(incident: &IncidentView<'_>, max_steps: u32) -> String {
    let mut text = format!(
        "You are on call. An alert fired:\n\n  [{}] {}: {}\n",
        incident.severity().as_str(),
        incident.service(),
        incident.description()
    );
    if !incident.tags().is_empty() {
        let tags: Vec<String> = incident
            .tags()
            .iter()
            .map(|(key, value)| format!("{key}={value}"))
            .collect();
        let _ = writeln!(text, "  tags: {}", tags.join(", "));
    }
    let _ = write!(
        text,
        "  raised at {} (simulated time; the telemetry is from then)\n\n\
         Find the root cause and end the incident. Investigate with the diagnostic tools \
         (start with `services` for the catalogue, then deploys, logs, metrics, runbook). \
         After each diagnostic result, call `{RECORD_OBSERVATION}` with what it showed and \
         your current hypothesis. Finish with exactly one call: `propose_mitigation` (the \
         root cause and 1 to 3 actions on catalogue entities) or `escalate` (when the fix \
         belongs to another team or a provider). You have {max_steps} steps: each diagnostic \
         tool call and the final call take one; `{RECORD_OBSERVATION}` and `{INCIDENT}` take \
         none. When the steps run out, or after the final call, the episode is over.",
        incident
            .created_at()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    text
}

/// A diagnostic tool's result as text: a line saying what came back, then
/// its data (or its errors) as compact JSON.
pub(crate) fn tool_result_text(result: &ToolResult, progress: &str) -> String {
    let name = result.tool_name();
    if !result.is_success() {
        let errors: Vec<String> = result
            .errors()
            .iter()
            .map(|error| match &error.parameter {
                Some(parameter) => format!("{parameter}: {}", error.message),
                None => error.message.clone(),
            })
            .collect();
        return format!("{name} failed ({progress}): {}", errors.join("; "));
    }
    let mut text = format!("{name} ({progress})");
    if let Some(truncation) = result.truncation() {
        let _ = write!(
            text,
            "; truncated: {} of {} {} returned (limit {}), narrow the query for the rest",
            truncation.returned, truncation.matched, truncation.items, truncation.limit
        );
    }
    text.push('\n');
    match result.data() {
        Some(data) => text.push_str(&serde_json::to_string(data).unwrap_or_default()),
        None => text.push_str("(no data)"),
    }
    text
}

/// `text`, cut at [`MAX_TEXT_BYTES`] on a character boundary, saying so.
fn capped(mut text: String) -> String {
    if text.len() <= MAX_TEXT_BYTES {
        return text;
    }
    let note = format!(
        "\n[text cut at {MAX_TEXT_BYTES} bytes; the structured content has the whole result]"
    );
    let mut end = MAX_TEXT_BYTES - note.len();
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    text.push_str(&note);
    text
}
