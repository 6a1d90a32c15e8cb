//! Scoring: how a finished run compares with a scenario's ground truth.
//!
//! # The formula
//!
//! A run gets four component scores, each in `0..=1`:
//!
//! - **outcome** (weight 0.6), from the verdicts:
//!   - the scenario expects a mitigation: `correct` 1.0, `acceptable` 0.5,
//!     anything else 0; for a structured answer, times the share of its
//!     actions the scenario lists (see
//!     [`ActionsJudgement`](crate::grader::ActionsJudgement)), so an
//!     unlisted action beside a correct one halves it;
//!   - it expects an escalation: escalated to the right target 1.0, to the
//!     wrong target 0.5, not escalated 0, except that a mitigation judged
//!     correct or acceptable (a stop-gap on our side) earns 0.5.
//! - **diagnosis** (weight 0.1): half for the culprit service
//!   (localization) and half for the fault category, each right only when
//!   the answer's `root_cause` names it; wrong and missing earn nothing.
//! - **evidence** (weight 0.2): the share of key-evidence items found (1.0
//!   when the scenario lists none).
//! - **efficiency** (weight 0.1): 1.0 at or under the optimal step count,
//!   falling linearly to 0 at the step limit:
//!   `1 - (used - optimal) / (max - optimal)`, clamped to `0..=1`.
//!
//! `total = 0.6 × outcome + 0.1 × diagnosis + 0.2 × evidence + 0.1 ×
//! efficiency`, except that a **harmful** mitigation scores a total of 0: it
//! makes things worse, and no amount of good investigation makes up for
//! it. Mitigation correctness is dominant by design: a run that finds every
//! clue and names the culprit but proposes the wrong fix scores at most
//! 0.4.
//!
//! A run **passes** when its outcome is right: when a mitigation is
//! expected, a correct or acceptable one whose actions the scenario all
//! lists (an unlisted action beside a right one costs part of the outcome
//! and the pass); when an escalation is expected, an escalation to the
//! right target (a stop-gap mitigation earns 0.5 but does not pass). Totals are
//! rounded to 6 decimal places, so a perfect run is exactly 1.0.
//!
//! `graded_from` says whether the verdict came from the structured answer
//! (`actions`: a mitigation's actions, an escalation's `team`) or from the
//! free text (`text`).

use std::collections::{BTreeSet, HashSet};

use serde::{Deserialize, Serialize};

use oncall_audit::{Event, EventKind};
use oncall_domain::Resolution;
use oncall_engine::Run;

use crate::grader::{ActionJudgement, DecidedBy, DiagnosisVerdict, GradedFrom, Grader};
use crate::matcher::NormalizedText;
use crate::scenario_file::{ExpectedOutcome, GroundTruth};

/// The weight of the outcome component.
pub const OUTCOME_WEIGHT: f64 = 0.6;
/// The weight of the diagnosis component (localization and category).
pub const DIAGNOSIS_WEIGHT: f64 = 0.1;
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
    /// Why the target is wrong, when it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
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

/// The four component scores, before weighting.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ScoreComponents {
    /// From the mitigation and escalation verdicts.
    pub outcome: f64,
    /// From localization and category, half each.
    pub diagnosis: f64,
    /// The share of key evidence found.
    pub evidence: f64,
    /// Steps used against the optimum.
    pub efficiency: f64,
}

/// A scenario's judgement of one run. See the module docs for the formula.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// `0.6 × outcome + 0.1 × diagnosis + 0.2 × evidence + 0.1 ×
    /// efficiency`, or 0 for a harmful mitigation.
    pub total: f64,
    /// Whether the run's outcome was right.
    pub passed: bool,
    /// Whether the verdict came from the structured answer or the text;
    /// `None` when the run was not resolved.
    pub graded_from: Option<GradedFrom>,
    /// The mitigation verdict.
    pub mitigation: MitigationVerdict,
    /// What decided the mitigation verdict: the remedy, its list, and the
    /// sentence or action that matched it.
    pub decided_by: Option<DecidedBy>,
    /// Each structured action's judgement, when actions were given.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<ActionJudgement>,
    /// The escalation verdict.
    pub escalation: EscalationVerdict,
    /// Whether the claimed root cause named the culprit service.
    pub localization: DiagnosisVerdict,
    /// Whether the claimed root cause named the fault category.
    pub root_cause_category: DiagnosisVerdict,
    /// The key evidence found.
    pub evidence: EvidenceReport,
    /// Steps used.
    pub steps: StepsReport,
    /// The components of `total`.
    pub components: ScoreComponents,
}

/// What scoring needs from a run, whether it comes from the engine's
/// [`Run`] or from an audit log alone. It borrows the tool results from
/// whichever it was read from, so judging a long run copies none of them.
#[derive(Debug, Clone, PartialEq)]
pub struct RunFacts<'a> {
    /// How the run ended, if it was resolved.
    pub resolution: Option<Resolution>,
    /// The steps it took.
    pub steps_used: u32,
    /// Every successful tool result, as (tool name, data).
    pub successful_results: Vec<(&'a str, &'a serde_json::Value)>,
}

impl<'a> RunFacts<'a> {
    /// The facts of an engine run.
    pub fn from_run(run: &'a Run) -> RunFacts<'a> {
        RunFacts {
            resolution: run.resolution().cloned(),
            steps_used: u32::try_from(run.steps().len()).unwrap_or(u32::MAX),
            successful_results: run
                .tool_results()
                .filter(|result| result.is_success())
                .filter_map(|result| result.data().map(|data| (result.tool_name(), data)))
                .collect(),
        }
    }

    /// The facts of a run as its audit events record them. Events of other
    /// runs are ignored when `events` holds several; the first run wins.
    pub fn from_events(events: &'a [Event]) -> RunFacts<'a> {
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
                        facts.successful_results.push((result.tool_name(), data));
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

/// Judges `facts` with `grader` (a scenario's ground truth over its
/// catalogue).
pub fn evaluate(grader: &Grader<'_>, facts: &RunFacts<'_>) -> Evaluation {
    let truth = grader.truth();
    let outcome = judge_outcome(grader, facts.resolution.as_ref());
    let diagnosis =
        grader.judge_root_cause(facts.resolution.as_ref().and_then(Resolution::root_cause));
    let evidence = find_evidence(truth, &facts.successful_results);
    let steps = StepsReport {
        used: facts.steps_used,
        optimal: truth.optimal_steps,
        max: truth.max_steps,
    };
    let evidence_share = if evidence.total == 0 {
        1.0
    } else {
        evidence.found as f64 / evidence.total as f64
    };
    let efficiency = efficiency(steps);
    let diagnosis_share = 0.5 * diagnosis.localization.score() + 0.5 * diagnosis.category.score();
    let components = ScoreComponents {
        outcome: round6(outcome.worth),
        diagnosis: diagnosis_share,
        evidence: evidence_share,
        efficiency,
    };
    let total = if outcome.mitigation == MitigationVerdict::Harmful {
        0.0
    } else {
        round6(
            OUTCOME_WEIGHT * outcome.worth
                + DIAGNOSIS_WEIGHT * diagnosis_share
                + EVIDENCE_WEIGHT * evidence_share
                + EFFICIENCY_WEIGHT * efficiency,
        )
    };
    let passed = match truth.expected_outcome {
        ExpectedOutcome::Mitigate => {
            matches!(
                outcome.mitigation,
                MitigationVerdict::Correct | MitigationVerdict::Acceptable
            ) && outcome.share >= 1.0
        }
        ExpectedOutcome::Escalate { .. } => outcome.escalation.target_right == Some(true),
    };
    Evaluation {
        total,
        passed,
        graded_from: outcome.graded_from,
        mitigation: outcome.mitigation,
        decided_by: outcome.decided_by,
        actions: outcome.actions,
        escalation: outcome.escalation,
        localization: diagnosis.localization,
        root_cause_category: diagnosis.category,
        evidence,
        steps,
        components,
    }
}

/// Everything the resolution decides.
struct Outcome {
    mitigation: MitigationVerdict,
    graded_from: Option<GradedFrom>,
    decided_by: Option<DecidedBy>,
    actions: Vec<ActionJudgement>,
    escalation: EscalationVerdict,
    worth: f64,
    /// The share of a structured mitigation's actions the scenario lists
    /// (1 for text, an escalation, or no answer).
    share: f64,
}

fn judge_outcome(grader: &Grader<'_>, resolution: Option<&Resolution>) -> Outcome {
    let expected = matches!(
        grader.truth().expected_outcome,
        ExpectedOutcome::Escalate { .. }
    );
    match resolution {
        Some(Resolution::Mitigation {
            mitigation,
            actions,
            ..
        }) => {
            let (verdict, share, graded_from, decided_by, judged) = if actions.is_empty() {
                let judged = grader.judge_text(mitigation);
                (
                    judged.verdict,
                    1.0,
                    GradedFrom::Text,
                    judged.decided_by,
                    Vec::new(),
                )
            } else {
                let judged = grader.judge_actions(actions);
                (
                    judged.verdict,
                    judged.share,
                    GradedFrom::Actions,
                    judged.decided_by,
                    judged.actions,
                )
            };
            let worth = match (expected, verdict) {
                (false, MitigationVerdict::Correct) => share,
                (false, MitigationVerdict::Acceptable) => 0.5 * share,
                // A stop-gap on our side, when the fix is someone else's.
                (true, MitigationVerdict::Correct | MitigationVerdict::Acceptable) => 0.5 * share,
                _ => 0.0,
            };
            Outcome {
                mitigation: verdict,
                graded_from: Some(graded_from),
                decided_by,
                actions: judged,
                escalation: EscalationVerdict {
                    expected,
                    escalated: false,
                    right_call: !expected,
                    target_right: None,
                    reason: None,
                },
                worth,
                share,
            }
        }
        Some(Resolution::Escalation { target, team, .. }) => {
            let judged = grader.judge_escalation(target, team.as_deref());
            let target_right = judged.as_ref().map(|judged| judged.target_right);
            let worth = match target_right {
                Some(true) => 1.0,
                Some(false) => 0.5,
                None => 0.0,
            };
            let graded_from = match team.as_deref().map(str::trim) {
                Some(team) if !team.is_empty() => GradedFrom::Actions,
                _ => GradedFrom::Text,
            };
            Outcome {
                mitigation: MitigationVerdict::None,
                graded_from: Some(graded_from),
                decided_by: None,
                actions: Vec::new(),
                escalation: EscalationVerdict {
                    expected,
                    escalated: true,
                    right_call: expected,
                    target_right,
                    reason: judged.and_then(|judged| judged.reason),
                },
                worth,
                share: 1.0,
            }
        }
        None => Outcome {
            mitigation: MitigationVerdict::None,
            graded_from: None,
            decided_by: None,
            actions: Vec::new(),
            escalation: EscalationVerdict {
                expected,
                escalated: false,
                right_call: false,
                target_right: None,
                reason: None,
            },
            worth: 0.0,
            share: 1.0,
        },
    }
}

/// Which key evidence the results hold. An item reads the results of its
/// own tool in order and stops at the first that matches; a result is
/// turned into text at most once, and a text already read (the same call
/// made again) is not normalised again, so a long run that repeats a call
/// costs little to judge.
fn find_evidence(truth: &GroundTruth, results: &[(&str, &serde_json::Value)]) -> EvidenceReport {
    // Per result: not read yet (`None`), a repeat of an earlier text
    // (`Some(None)`), or its normalised text.
    let mut readings: Vec<Option<Option<NormalizedText>>> = std::iter::repeat_with(|| None)
        .take(results.len())
        .collect();
    let mut seen: HashSet<(&str, String)> = HashSet::new();
    let mut ids = Vec::new();
    let mut missing = Vec::new();
    for item in &truth.key_evidence {
        let mut found = false;
        for (index, &(tool, data)) in results.iter().enumerate() {
            if tool != item.tool {
                continue;
            }
            let reading = readings[index].get_or_insert_with(|| {
                let key = (tool, json_text(data));
                if seen.contains(&key) {
                    return None;
                }
                let text = NormalizedText::new(&key.1);
                seen.insert(key);
                Some(text)
            });
            if reading
                .as_ref()
                .is_some_and(|text| item.matcher.matches_normalized(text))
            {
                found = true;
                break;
            }
        }
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
