//! One-line descriptions of what happens in a run, shared by the live trace
//! of `run` and the timeline of `replay`. Every text they show that comes
//! from a log, a scenario or an agent is escaped ([`output::escape`]), so
//! a description is always one line and cannot forge another.

use oncall_domain::{
    ActionClaim, Decision, Hypothesis, Resolution, RootCauseClaim, TerminationReason, ToolResult,
};

use crate::output;

/// The longest parameter or message text shown, in characters.
const MAX_SHOWN_CHARS: usize = 160;

/// A tool call: `logs {"service":"checkout"}`.
pub(crate) fn tool_call(tool_name: &str, params: &serde_json::Value) -> String {
    let params = serde_json::to_string(params).unwrap_or_default();
    format!("{} {}", output::escape(tool_name), shorten(&params))
}

/// A tool result: `ok: 12 matched, 12 returned`, or `failed: ...` with the
/// first error.
pub(crate) fn tool_result(result: &ToolResult) -> String {
    if !result.is_success() {
        let mut text = String::from("failed: ");
        if let Some(first) = result.errors().first() {
            if let Some(parameter) = &first.parameter {
                text.push_str(&format!("`{}`: ", output::escape(parameter)));
            }
            text.push_str(&shorten(&first.message));
        }
        let more = result.errors().len().saturating_sub(1);
        if more > 0 {
            text.push_str(&format!(" (and {more} more)"));
        }
        return text;
    }
    let mut text = String::from("ok");
    let data = result.data();
    let count = |field: &str| {
        data.and_then(|d| d.get(field))
            .and_then(serde_json::Value::as_u64)
    };
    if let (Some(matched), Some(returned)) = (count("matched"), count("returned")) {
        text.push_str(&format!(": {matched} matched, {returned} returned"));
    } else if let Some(points) = count("points_matched") {
        let buckets = data
            .and_then(|d| d.get("buckets"))
            .and_then(serde_json::Value::as_array)
            .map_or(0, Vec::len);
        text.push_str(&format!(": {points} points in {buckets} buckets"));
    } else if let Some(metrics) = data
        .and_then(|d| d.get("metrics"))
        .and_then(serde_json::Value::as_array)
    {
        text.push_str(&format!(": {} metrics", metrics.len()));
    } else if let Some(id) = data
        .and_then(|d| d.get("runbook"))
        .and_then(|runbook| runbook.get("id"))
        .and_then(serde_json::Value::as_str)
    {
        text.push_str(&format!(": runbook {}", shorten(id)));
    }
    if let Some(truncation) = result.truncation() {
        text.push_str(&format!(
            " (truncated: {} of {} {})",
            truncation.returned,
            truncation.matched,
            shorten(&truncation.items)
        ));
    }
    text
}

/// A decision that ends the run (tool calls are shown as calls).
pub(crate) fn decision(decision: &Decision) -> String {
    match decision {
        Decision::CallTool {
            tool_name, params, ..
        } => tool_call(tool_name, &serde_json::Value::Object(params.clone())),
        Decision::ProposeMitigation {
            mitigation,
            confidence,
            root_cause,
            actions,
            ..
        } => format!(
            "propose mitigation: \"{}\" (confidence {confidence:.2}){}",
            shorten(mitigation),
            structure(actions, root_cause.as_ref())
        ),
        Decision::Escalate {
            reason,
            target,
            team,
            root_cause,
        } => format!(
            "escalate to {}: {}{}",
            recipient(target, team.as_deref()),
            shorten(reason),
            structure(&[], root_cause.as_ref())
        ),
    }
}

/// Who an escalation went to: the text, and the catalogue team when given.
fn recipient(target: &str, team: Option<&str>) -> String {
    match (target.trim().is_empty(), team) {
        (_, None) => shorten(target),
        (true, Some(team)) => format!("team {}", shorten(team)),
        (false, Some(team)) => format!("{} (team {})", shorten(target), shorten(team)),
    }
}

/// The structured parts of an answer: `; actions: rollback checkout,
/// scale_out checkout; root cause: checkout (deploy_regression)`, or
/// nothing when there are none.
pub(crate) fn structure(actions: &[ActionClaim], root_cause: Option<&RootCauseClaim>) -> String {
    let mut text = String::new();
    if !actions.is_empty() {
        let listed: Vec<String> = actions
            .iter()
            .map(|action| {
                let mut one = format!("{} {}", shorten(action.kind()), shorten(action.target()));
                if let Some(description) = action.description() {
                    one.push_str(&format!(" \"{}\"", shorten(description)));
                }
                one
            })
            .collect();
        text.push_str(&format!("; actions: {}", listed.join(", ")));
    }
    if let Some(root_cause) = root_cause {
        text.push_str(&format!(
            "; root cause: {} ({})",
            shorten(root_cause.service()),
            shorten(root_cause.category())
        ));
    }
    text
}

/// A hypothesis: `"statement" (confidence 0.60, investigating)`.
pub(crate) fn hypothesis(hypothesis: &Hypothesis) -> String {
    format!(
        "\"{}\" (confidence {:.2}, {})",
        shorten(hypothesis.statement()),
        hypothesis.confidence().value(),
        hypothesis.status().as_str()
    )
}

/// A model call: `gpt-4o: 1200 in (1024 cached), 80 out, tool_calls`.
pub(crate) fn model_call(call: &oncall_domain::ModelCall) -> String {
    let mut text = format!(
        "{}: {} in",
        output::escape(call.model()),
        call.input_tokens()
    );
    if call.cached_tokens() > 0 {
        text.push_str(&format!(" ({} cached)", call.cached_tokens()));
    }
    text.push_str(&format!(", {} out", call.output_tokens()));
    if !call.stop_reason().is_empty() {
        text.push_str(&format!(", {}", output::escape(call.stop_reason())));
    }
    text
}

/// Why a run ended: `mitigation_proposed`, `step_limit (15 steps)`, ...
pub(crate) fn termination(reason: &TerminationReason) -> String {
    match reason {
        TerminationReason::StepLimit { max_steps } => {
            format!("step_limit ({})", output::count(*max_steps, "step"))
        }
        TerminationReason::AgentError { message }
        | TerminationReason::BudgetExhausted { message }
        | TerminationReason::Abandoned { message } => {
            format!("{}: {}", reason.as_str(), shorten(message))
        }
        TerminationReason::MitigationProposed | TerminationReason::Escalated => {
            reason.as_str().to_owned()
        }
    }
}

/// A resolution: the mitigation or the escalation.
pub(crate) fn resolution(resolution: &Resolution) -> String {
    match resolution {
        Resolution::Mitigation {
            mitigation,
            confidence,
            root_cause,
            actions,
        } => format!(
            "mitigation \"{}\" (confidence {:.2}){}",
            shorten(mitigation),
            confidence.value(),
            structure(actions, root_cause.as_ref())
        ),
        Resolution::Escalation {
            reason,
            target,
            team,
            root_cause,
        } => format!(
            "escalation to {}: {}{}",
            recipient(target, team.as_deref()),
            shorten(reason),
            structure(&[], root_cause.as_ref())
        ),
    }
}

/// `text` cut to [`MAX_SHOWN_CHARS`] characters, with `...` when cut, and
/// escaped ([`output::escape`]).
pub(crate) fn shorten(text: &str) -> String {
    if text.chars().count() <= MAX_SHOWN_CHARS {
        return output::escape(text);
    }
    let mut short: String = text.chars().take(MAX_SHOWN_CHARS).collect();
    short.push_str("...");
    output::escape(&short)
}

#[cfg(test)]
mod tests {
    use oncall_domain::{
        CallId, Confidence, HypothesisId, SequentialIdGenerator, ToolError, Truncation,
    };

    use super::*;

    fn call_id() -> CallId {
        CallId::generate(&SequentialIdGenerator::new())
    }

    #[test]
    fn results_are_summarised_by_their_counts() {
        let result = ToolResult::success(
            "logs",
            call_id(),
            serde_json::json!({"entries": [], "matched": 250, "returned": 100}),
            0,
            Some(Truncation {
                items: "entries".to_owned(),
                matched: 250,
                returned: 100,
                limit: 100,
            }),
        )
        .unwrap();
        assert_eq!(
            tool_result(&result),
            "ok: 250 matched, 100 returned (truncated: 100 of 250 entries)"
        );
        let runbook = ToolResult::success(
            "runbook",
            call_id(),
            serde_json::json!({"runbook": {"id": "rb-1"}}),
            0,
            None,
        )
        .unwrap();
        assert_eq!(tool_result(&runbook), "ok: runbook rb-1");
    }

    #[test]
    fn failures_show_the_first_error() {
        let result = ToolResult::failure(
            "logs",
            call_id(),
            vec![
                ToolError::parameter("start", "not RFC 3339"),
                ToolError::call("another"),
            ],
            0,
        )
        .unwrap();
        assert_eq!(
            tool_result(&result),
            "failed: `start`: not RFC 3339 (and 1 more)"
        );
    }

    #[test]
    fn decisions_hypotheses_and_endings_read_well() {
        let mitigation = Decision::mitigation("roll back", 0.9, "");
        assert_eq!(
            decision(&mitigation),
            "propose mitigation: \"roll back\" (confidence 0.90)"
        );
        assert_eq!(
            termination(&TerminationReason::StepLimit { max_steps: 3 }),
            "step_limit (3 steps)"
        );
        let resolved = Resolution::Mitigation {
            mitigation: "x".to_owned(),
            confidence: Confidence::new(0.5).unwrap(),
            root_cause: None,
            actions: Vec::new(),
        };
        assert_eq!(resolution(&resolved), "mitigation \"x\" (confidence 0.50)");
        assert_eq!(
            shorten(&"a".repeat(200)).chars().count(),
            MAX_SHOWN_CHARS + 3
        );
        assert_eq!(
            termination(&TerminationReason::StepLimit { max_steps: 1 }),
            "step_limit (1 step)"
        );
    }

    #[test]
    fn text_from_a_run_cannot_forge_a_line() {
        let forged = Hypothesis::new(
            HypothesisId::generate(&SequentialIdGenerator::new()),
            "x\u{1b}[31m\r\nstep  9  escalate to nobody",
            Confidence::new(0.5).unwrap(),
        )
        .unwrap();
        let text = hypothesis(&forged);
        assert!(!text.chars().any(char::is_control), "{text}");
        assert!(text.contains("x\\u{1b}[31m\\r\\nstep  9"), "{text}");
        let call = tool_call("logs\n", &serde_json::json!({"q": "\u{1b}"}));
        assert_eq!(call, "logs\\n {\"q\":\"\\u001b\"}");
        let escalation = decision(&Decision::escalation("a\nb", "t\r"));
        assert_eq!(escalation, "escalate to t\\r: a\\nb");
        let structured = decision(
            &Decision::escalation("down", "")
                .with_team("pay\nco")
                .with_root_cause(RootCauseClaim::new("payco", "dependency_outage")),
        );
        assert_eq!(
            structured,
            "escalate to team pay\\nco: down; root cause: payco (dependency_outage)"
        );
        let actions = decision(&Decision::mitigation("fix", 0.5, "").with_actions(vec![
            ActionClaim::new("rollback", "checkout"),
            ActionClaim::new("other", "db").with_description("vacuum"),
        ]));
        assert_eq!(
            actions,
            "propose mitigation: \"fix\" (confidence 0.50); actions: rollback checkout, other db \"vacuum\""
        );
    }
}
