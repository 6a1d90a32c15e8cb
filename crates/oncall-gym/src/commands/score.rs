//! How an evaluation reads in a table: the rows `run`, `replay` and `judge`
//! print, and one-line descriptions of what decided a verdict.

use serde::Serialize;

use oncall_sim::{ActionJudgement, DecidedBy, Evaluation, GradedFrom};

use crate::describe::shorten;
use crate::output;

/// The rows of a score: steps, verdicts and what decided them, the
/// diagnosis, evidence and the total.
pub(crate) fn score_rows(evaluation: &Evaluation) -> Vec<[String; 2]> {
    let steps = &evaluation.steps;
    let evidence = &evaluation.evidence;
    let mut evidence_text = format!("{} of {}", evidence.found, evidence.total);
    if !evidence.ids.is_empty() {
        evidence_text.push_str(&format!(" ({})", evidence.ids.join(", ")));
    }
    if !evidence.missing.is_empty() {
        evidence_text.push_str(&format!("; missing {}", evidence.missing.join(", ")));
    }
    let components = &evaluation.components;
    let mut rows = vec![
        [
            "steps".to_owned(),
            format!(
                "{} (optimal {}, limit {})",
                steps.used, steps.optimal, steps.max
            ),
        ],
        ["mitigation".to_owned(), mitigation_text(evaluation)],
    ];
    rows.extend(action_rows(&evaluation.actions));
    rows.extend([
        ["escalation".to_owned(), escalation_text(evaluation)],
        [
            "diagnosis".to_owned(),
            format!(
                "localization {}, category {}",
                evaluation.localization.as_str(),
                evaluation.root_cause_category.as_str()
            ),
        ],
        ["evidence".to_owned(), evidence_text],
        [
            "score".to_owned(),
            format!(
                "{}  {}  (outcome {}, diagnosis {}, evidence {}, efficiency {})",
                output::score(evaluation.total),
                if evaluation.passed {
                    "PASSED"
                } else {
                    "FAILED"
                },
                output::score(components.outcome),
                output::score(components.diagnosis),
                output::score(components.evidence),
                output::score(components.efficiency),
            ),
        ],
    ]);
    rows
}

/// One row per graded action: its kind and target, its verdict, and the
/// remedy it matched or why it is wrong.
pub(crate) fn action_rows(actions: &[ActionJudgement]) -> Vec<[String; 2]> {
    actions
        .iter()
        .map(|action| {
            let mut text = format!(
                "{} {}: {}",
                shorten(&action.kind),
                shorten(&action.target),
                verdict_name(&action.verdict)
            );
            if let Some(remedy) = &action.remedy {
                text.push_str(&format!(" ({})", shorten(remedy)));
            }
            if let Some(reason) = &action.reason {
                text.push_str(&format!(" ({})", shorten(reason)));
            }
            ["  action".to_owned(), text]
        })
        .collect()
}

/// The mitigation verdict, what it was graded from and what decided it:
/// `harmful, from the text: "restart the database" in "Then restart the
/// db."`.
pub(crate) fn mitigation_text(evaluation: &Evaluation) -> String {
    let mut text = verdict_name(&evaluation.mitigation);
    match evaluation.graded_from {
        Some(GradedFrom::Actions) if evaluation.escalation.escalated => {
            text.push_str(", graded from the team");
        }
        Some(GradedFrom::Actions) => text.push_str(", graded from the actions"),
        Some(GradedFrom::Text) if evaluation.escalation.escalated => {
            text.push_str(", graded from the target text");
        }
        Some(GradedFrom::Text) => text.push_str(", graded from the text"),
        None => {}
    }
    if let Some(decided) = &evaluation.decided_by {
        text.push_str(&format!(": {}", decided_text(decided)));
    }
    text
}

/// What decided a verdict: the remedy and its list, and where it matched.
pub(crate) fn decided_text(decided: &DecidedBy) -> String {
    let mut text = format!(
        "{} remedy \"{}\"",
        verdict_name(&decided.list),
        shorten(&decided.remedy)
    );
    if let Some(clause) = &decided.clause {
        text.push_str(&format!(" in \"{}\"", shorten(clause)));
    }
    if let Some(action) = decided.action {
        text.push_str(&format!(" by action {}", action + 1));
    }
    text
}

fn escalation_text(evaluation: &Evaluation) -> String {
    let escalation = &evaluation.escalation;
    let mut text = format!(
        "{}, {}",
        if escalation.expected {
            "expected"
        } else {
            "not expected"
        },
        if escalation.escalated {
            "escalated"
        } else {
            "not escalated"
        },
    );
    if let Some(target_right) = escalation.target_right {
        text.push_str(if target_right {
            ", right target"
        } else {
            ", wrong target"
        });
    }
    if let Some(reason) = &escalation.reason {
        text.push_str(&format!(" ({})", shorten(reason)));
    }
    text
}

/// The snake_case name a verdict serialises to.
pub(crate) fn verdict_name(verdict: &impl Serialize) -> String {
    match serde_json::to_value(verdict) {
        Ok(serde_json::Value::String(name)) => name,
        _ => "unknown".to_owned(),
    }
}
