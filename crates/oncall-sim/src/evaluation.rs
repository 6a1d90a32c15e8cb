//! Scoring: how a finished run compares with a scenario's ground truth.
//!
//! # The formula
//!
//! A run gets three component scores, each in `0..=1`:
//!
//! - **outcome** (weight 0.7), from the verdicts:
//!   - the scenario expects a mitigation: `correct` 1.0, `acceptable` 0.5,
//!     anything else 0;
//!   - it expects an escalation: escalated to the right target 1.0, to the
//!     wrong target 0.5, not escalated 0.
//! - **evidence** (weight 0.2): the share of key-evidence items found (1.0
//!   when the scenario lists none).
//! - **efficiency** (weight 0.1): 1.0 at or under the optimal step count,
//!   falling linearly to 0 at the step limit:
//!   `1 - (used - optimal) / (max - optimal)`, clamped to `0..=1`.
//!
//! `total = 0.7 × outcome + 0.2 × evidence + 0.1 × efficiency`, except that a
//! **harmful** mitigation scores a total of 0: it makes things worse, and no
//! amount of good investigation makes up for it. Mitigation correctness is
//! dominant by design: a run that finds every clue and proposes the wrong
//! fix scores at most 0.3.
//!
//! A run **passes** when its outcome is right: a correct or acceptable
//! mitigation when one is expected, or an escalation to the right target
//! when that is expected. Totals are rounded to 6 decimal places, so a
//! perfect run is exactly 1.0.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use oncall_audit::{Event, EventKind};
use oncall_domain::Resolution;
use oncall_engine::Run;

use crate::matcher::NormalizedText;
use crate::scenario_file::{ExpectedOutcome, GroundTruth};

/// The weight of the outcome component.
pub const OUTCOME_WEIGHT: f64 = 0.7;
/// The weight of the evidence component.
pub const EVIDENCE_WEIGHT: f64 = 0.2;
/// The weight of the efficiency component.
pub const EFFICIENCY_WEIGHT: f64 = 0.1;

/// How a proposed mitigation was judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MitigationVerdict {
    /// It fixes the cause.
    Correct,
    /// It relieves the symptoms.
    Acceptable,
    /// It makes things worse.
    Harmful,
    /// It matches nothing the scenario knows.
    Wrong,
    /// No mitigation was proposed.
    None,
}

impl MitigationVerdict {
    /// The snake_case name, as in JSON: `correct`, `acceptable`, `harmful`,
    /// `wrong` or `none`.
    pub fn as_str(self) -> &'static str {
        match self {
            MitigationVerdict::Correct => "correct",
            MitigationVerdict::Acceptable => "acceptable",
            MitigationVerdict::Harmful => "harmful",
            MitigationVerdict::Wrong => "wrong",
            MitigationVerdict::None => "none",
        }
    }
}

impl std::fmt::Display for MitigationVerdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the decision to escalate (or not) was judged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscalationVerdict {
    /// Whether the scenario expects an escalation.
    pub expected: bool,
    /// Whether the run escalated.
    pub escalated: bool,
    /// Whether escalating (or not) was right.
    pub right_call: bool,
    /// For an escalation the scenario expects, whether the target was right.
    pub target_right: Option<bool>,
}

/// Which key-evidence items the run uncovered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceReport {
    /// How many were found.
    pub found: usize,
    /// How many the scenario lists.
    pub total: usize,
    /// The ids found, in the scenario's order.
    pub ids: Vec<String>,
    /// The ids not found, in the scenario's order.
    pub missing: Vec<String>,
}

/// The steps a run used against the scenario's optimum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepsReport {
    /// Steps taken.
    pub used: u32,
    /// The reference solution's length.
    pub optimal: u32,
    /// The scenario's step limit.
    pub max: u32,
}

/// The three component scores, before weighting.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ScoreComponents {
    /// From the mitigation and escalation verdicts.
    pub outcome: f64,
    /// The share of key evidence found.
    pub evidence: f64,
    /// Steps used against the optimum.
    pub efficiency: f64,
}

/// A scenario's judgement of one run. See the module docs for the formula.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// `0.7 × outcome + 0.2 × evidence + 0.1 × efficiency`, or 0 for a
    /// harmful mitigation.
    pub total: f64,
    /// Whether the run's outcome was right.
    pub passed: bool,
    /// The mitigation verdict.
    pub mitigation: MitigationVerdict,
    /// The escalation verdict.
    pub escalation: EscalationVerdict,
    /// The key evidence found.
    pub evidence: EvidenceReport,
    /// Steps used.
    pub steps: StepsReport,
    /// The components of `total`.
    pub components: ScoreComponents,
}

/// What scoring needs from a run, whether it comes from the engine's
/// [`Run`] or from an audit log alone.
#[derive(Debug, Clone, PartialEq)]
pub struct RunFacts {
    /// How the run ended, if it was resolved.
    pub resolution: Option<Resolution>,
    /// The steps it took.
    pub steps_used: u32,
    /// Every successful tool result, as (tool name, data).
    pub successful_results: Vec<(String, serde_json::Value)>,
}

impl RunFacts {
    /// The facts of an engine run.
    pub fn from_run(run: &Run) -> RunFacts {
        RunFacts {
            resolution: run.resolution().cloned(),
            steps_used: u32::try_from(run.steps().len()).unwrap_or(u32::MAX),
            successful_results: run
                .tool_results()
                .filter(|result| result.is_success())
                .filter_map(|result| {
                    result
                        .data()
                        .map(|data| (result.tool_name().to_owned(), data.clone()))
                })
                .collect(),
        }
    }

    /// The facts of a run as its audit events record them. Events of other
    /// runs are ignored when `events` holds several; the first run wins.
    pub fn from_events(events: &[Event]) -> RunFacts {
        let run_id = events.first().map(Event::run_id);
        let mut facts = RunFacts {
            resolution: None,
            steps_used: 0,
            successful_results: Vec::new(),
        };
        let mut steps = BTreeSet::new();
        for event in events.iter().filter(|event| Some(event.run_id()) == run_id) {
            if let Some(step) = event.step() {
                steps.insert(step);
            }
            match event.kind() {
                EventKind::ToolResultReceived { result } if result.is_success() => {
                    if let Some(data) = result.data() {
                        facts
                            .successful_results
                            .push((result.tool_name().to_owned(), data.clone()));
                    }
                }
                EventKind::RunCompleted { resolution, .. }
                | EventKind::RunFailed { resolution, .. }
                | EventKind::RunEscalated { resolution, .. } => {
                    facts.resolution = resolution.clone();
                }
                _ => {}
            }
        }
        facts.steps_used = u32::try_from(steps.len()).unwrap_or(u32::MAX);
        facts
    }
}

/// Judges `facts` against `truth`.
pub fn evaluate(truth: &GroundTruth, facts: &RunFacts) -> Evaluation {
    let (mitigation, escalation) = judge_outcome(truth, facts.resolution.as_ref());
    let evidence = find_evidence(truth, &facts.successful_results);
    let steps = StepsReport {
        used: facts.steps_used,
        optimal: truth.optimal_steps,
        max: truth.max_steps,
    };
    let outcome = match (&truth.expected_outcome, mitigation) {
        (ExpectedOutcome::Mitigate, MitigationVerdict::Correct) => 1.0,
        (ExpectedOutcome::Mitigate, MitigationVerdict::Acceptable) => 0.5,
        (ExpectedOutcome::Mitigate, _) => 0.0,
        (ExpectedOutcome::Escalate { .. }, _) => match escalation.target_right {
            Some(true) => 1.0,
            Some(false) => 0.5,
            None => 0.0,
        },
    };
    let evidence_share = if evidence.total == 0 {
        1.0
    } else {
        evidence.found as f64 / evidence.total as f64
    };
    let efficiency = efficiency(steps);
    let components = ScoreComponents {
        outcome,
        evidence: evidence_share,
        efficiency,
    };
    let total = if mitigation == MitigationVerdict::Harmful {
        0.0
    } else {
        round6(
            OUTCOME_WEIGHT * outcome
                + EVIDENCE_WEIGHT * evidence_share
                + EFFICIENCY_WEIGHT * efficiency,
        )
    };
    let passed = match truth.expected_outcome {
        ExpectedOutcome::Mitigate => matches!(
            mitigation,
            MitigationVerdict::Correct | MitigationVerdict::Acceptable
        ),
        ExpectedOutcome::Escalate { .. } => escalation.target_right == Some(true),
    };
    Evaluation {
        total,
        passed,
        mitigation,
        escalation,
        evidence,
        steps,
        components,
    }
}

/// Judges a mitigation text on its own: harmful first, then correct, then
/// acceptable, else wrong.
pub fn judge_mitigation(truth: &GroundTruth, mitigation: &str) -> MitigationVerdict {
    let text = NormalizedText::new(mitigation);
    let lists = [
        (&truth.mitigations.harmful, MitigationVerdict::Harmful),
        (&truth.mitigations.correct, MitigationVerdict::Correct),
        (&truth.mitigations.acceptable, MitigationVerdict::Acceptable),
    ];
    lists
        .into_iter()
        .find(|(matchers, _)| {
            matchers
                .iter()
                .any(|matcher| matcher.matches_normalized(&text))
        })
        .map_or(MitigationVerdict::Wrong, |(_, verdict)| verdict)
}

fn judge_outcome(
    truth: &GroundTruth,
    resolution: Option<&Resolution>,
) -> (MitigationVerdict, EscalationVerdict) {
    let expected = matches!(truth.expected_outcome, ExpectedOutcome::Escalate { .. });
    match resolution {
        Some(Resolution::Mitigation { mitigation, .. }) => (
            judge_mitigation(truth, mitigation),
            EscalationVerdict {
                expected,
                escalated: false,
                right_call: !expected,
                target_right: None,
            },
        ),
        Some(Resolution::Escalation { target, reason }) => {
            let target_right = match &truth.expected_outcome {
                ExpectedOutcome::Escalate { target: matcher } => {
                    // The target may be named in the target field or, as
                    // LLMs do, only in the reason.
                    Some(matcher.matches(target) || matcher.matches(&format!("{target}. {reason}")))
                }
                ExpectedOutcome::Mitigate => None,
            };
            (
                MitigationVerdict::None,
                EscalationVerdict {
                    expected,
                    escalated: true,
                    right_call: expected,
                    target_right,
                },
            )
        }
        None => (
            MitigationVerdict::None,
            EscalationVerdict {
                expected,
                escalated: false,
                right_call: false,
                target_right: None,
            },
        ),
    }
}

fn find_evidence(truth: &GroundTruth, results: &[(String, serde_json::Value)]) -> EvidenceReport {
    let texts: Vec<(&str, NormalizedText)> = results
        .iter()
        .map(|(tool, data)| (tool.as_str(), NormalizedText::new(&json_text(data))))
        .collect();
    let mut ids = Vec::new();
    let mut missing = Vec::new();
    for item in &truth.key_evidence {
        let found = texts
            .iter()
            .any(|(tool, text)| *tool == item.tool && item.matcher.matches_normalized(text));
        if found {
            ids.push(item.id.clone());
        } else {
            missing.push(item.id.clone());
        }
    }
    EvidenceReport {
        found: ids.len(),
        total: truth.key_evidence.len(),
        ids,
        missing,
    }
}

/// The text of a tool result that evidence matchers read: every key and
/// every value, strings as they are (not JSON-escaped, so a newline in a
/// message separates words instead of gluing an `n` to the next one), each
/// field and item ending its clause.
fn json_text(value: &serde_json::Value) -> String {
    fn push(value: &serde_json::Value, text: &mut String) {
        match value {
            serde_json::Value::Object(fields) => {
                for (name, field) in fields {
                    text.push_str(name);
                    text.push_str(": ");
                    push(field, text);
                    text.push_str(". ");
                }
            }
            serde_json::Value::Array(items) => {
                for item in items {
                    push(item, text);
                    text.push_str(". ");
                }
            }
            serde_json::Value::String(string) => text.push_str(string),
            serde_json::Value::Null => {}
            other => text.push_str(&other.to_string()),
        }
    }
    let mut text = String::new();
    push(value, &mut text);
    text
}

fn efficiency(steps: StepsReport) -> f64 {
    if steps.used <= steps.optimal {
        return 1.0;
    }
    let slack = f64::from(steps.max.saturating_sub(steps.optimal).max(1));
    let over = f64::from(steps.used - steps.optimal);
    (1.0 - over / slack).clamp(0.0, 1.0)
}

fn round6(value: f64) -> f64 {
    (value * 1_000_000.0).round() / 1_000_000.0
}
