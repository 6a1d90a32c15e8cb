//! What the grader decides, and why: the values [`Grader`](super::Grader)
//! returns and the evaluation reports.

use serde::{Deserialize, Serialize};

use oncall_domain::{ActionClaim, MAX_GRADED_ACTIONS};

use crate::evaluation::MitigationVerdict;

/// Which of a scenario's lists a remedy is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RemedyList {
    /// Makes things worse.
    Harmful,
    /// Fixes the cause.
    Correct,
    /// Relieves the symptoms.
    Acceptable,
}

impl RemedyList {
    /// The verdict an answer matching this list gets.
    pub fn verdict(self) -> MitigationVerdict {
        match self {
            RemedyList::Harmful => MitigationVerdict::Harmful,
            RemedyList::Correct => MitigationVerdict::Correct,
            RemedyList::Acceptable => MitigationVerdict::Acceptable,
        }
    }
}

/// What the verdict was graded from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GradedFrom {
    /// The structured answer: a mitigation's `actions`, an escalation's
    /// `team`.
    Actions,
    /// The free text: a mitigation's text, an escalation's target.
    Text,
}

/// How one part of a diagnosis was judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiagnosisVerdict {
    /// As the ground truth says.
    Right,
    /// Given, and not as the ground truth says (or not a known name).
    Wrong,
    /// Not given.
    Missing,
}

impl DiagnosisVerdict {
    /// The snake_case name: `right`, `wrong` or `missing`.
    pub fn as_str(self) -> &'static str {
        match self {
            DiagnosisVerdict::Right => "right",
            DiagnosisVerdict::Wrong => "wrong",
            DiagnosisVerdict::Missing => "missing",
        }
    }

    /// 1 when right, else 0.
    pub fn score(self) -> f64 {
        if self == DiagnosisVerdict::Right {
            1.0
        } else {
            0.0
        }
    }
}

/// What decided a mitigation verdict: the remedy, its list, and for text
/// the sentence it matched in, for actions the action's index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecidedBy {
    /// The list the remedy is in.
    pub list: RemedyList,
    /// The remedy's label or description.
    pub remedy: String,
    /// The sentence of the text it matched in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clause: Option<String>,
    /// The index of the action it matched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<usize>,
}

/// How a free-text mitigation was judged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextJudgement {
    /// Harmful, correct, acceptable or wrong.
    pub verdict: MitigationVerdict,
    /// What decided it; `None` for wrong.
    pub decided_by: Option<DecidedBy>,
}

/// How one structured action was judged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionJudgement {
    /// The kind, as given.
    pub kind: String,
    /// The target, as given.
    pub target: String,
    /// Harmful, correct, acceptable or wrong.
    pub verdict: MitigationVerdict,
    /// The remedy it matched, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remedy: Option<String>,
    /// Why it is wrong, when it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl ActionJudgement {
    pub(crate) fn wrong(claim: &ActionClaim, reason: String) -> ActionJudgement {
        ActionJudgement {
            kind: claim.kind().to_owned(),
            target: claim.target().to_owned(),
            verdict: MitigationVerdict::Wrong,
            remedy: None,
            reason: Some(reason),
        }
    }

    pub(crate) fn listed(claim: &ActionClaim, list: RemedyList, remedy: String) -> ActionJudgement {
        ActionJudgement {
            kind: claim.kind().to_owned(),
            target: claim.target().to_owned(),
            verdict: list.verdict(),
            remedy: Some(remedy),
            reason: None,
        }
    }
}

/// How a structured mitigation (its actions together) was judged.
///
/// The rule, so that listing many actions cannot gain:
///
/// - any harmful action: harmful (however many were listed);
/// - else more than [`MAX_GRADED_ACTIONS`] actions: wrong;
/// - else the best listed action decides (correct over acceptable), and
///   `share` is the share of actions the scenario lists (correct or
///   acceptable); the outcome is the verdict's worth times `share`, so each
///   unlisted action beside a correct one costs part of it (one of two:
///   half), and a run passes only when `share` is 1. Guessing k targets
///   for one right one so earns, in expectation, what guessing one earns,
///   and never passes;
/// - no listed action: wrong.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionsJudgement {
    /// Harmful, correct, acceptable or wrong.
    pub verdict: MitigationVerdict,
    /// The share of the actions the scenario lists, `0..=1`.
    pub share: f64,
    /// What decided it.
    pub decided_by: Option<DecidedBy>,
    /// Each action's judgement, in the order given.
    pub actions: Vec<ActionJudgement>,
    /// Why the whole answer is wrong, when no single action says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl ActionsJudgement {
    pub(crate) fn combine(actions: Vec<ActionJudgement>, too_many: bool) -> ActionsJudgement {
        let wrong = |actions: Vec<ActionJudgement>, reason: String| ActionsJudgement {
            verdict: MitigationVerdict::Wrong,
            share: 0.0,
            decided_by: None,
            actions,
            reason: Some(reason),
        };
        if actions.is_empty() {
            return wrong(actions, "no actions were given".to_owned());
        }
        let decided = |wanted: MitigationVerdict| {
            actions
                .iter()
                .position(|action| action.verdict == wanted)
                .map(|index| (wanted, index))
        };
        let harmful = decided(MitigationVerdict::Harmful);
        if too_many && harmful.is_none() {
            let count = actions.len();
            return wrong(
                actions,
                format!(
                    "{count} actions, more than the {MAX_GRADED_ACTIONS} graded: list only what you would do"
                ),
            );
        }
        let decisive = harmful
            .or_else(|| decided(MitigationVerdict::Correct))
            .or_else(|| decided(MitigationVerdict::Acceptable));
        let Some((verdict, index)) = decisive else {
            return wrong(actions, "no action is one the scenario lists".to_owned());
        };
        let listed = actions
            .iter()
            .filter(|action| {
                matches!(
                    action.verdict,
                    MitigationVerdict::Correct | MitigationVerdict::Acceptable
                )
            })
            .count();
        let share = listed as f64 / actions.len() as f64;
        let list = match verdict {
            MitigationVerdict::Harmful => RemedyList::Harmful,
            MitigationVerdict::Correct => RemedyList::Correct,
            _ => RemedyList::Acceptable,
        };
        ActionsJudgement {
            verdict,
            share: if verdict == MitigationVerdict::Harmful {
                0.0
            } else {
                share
            },
            decided_by: Some(DecidedBy {
                list,
                remedy: actions[index].remedy.clone().unwrap_or_default(),
                clause: None,
                action: Some(index),
            }),
            actions,
            reason: None,
        }
    }
}

/// How a claimed root cause was judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RootCauseJudgement {
    /// Whether the culprit service was named.
    pub localization: DiagnosisVerdict,
    /// Whether the fault category was named.
    pub category: DiagnosisVerdict,
}

impl RootCauseJudgement {
    /// Both parts missing.
    pub fn missing() -> RootCauseJudgement {
        RootCauseJudgement {
            localization: DiagnosisVerdict::Missing,
            category: DiagnosisVerdict::Missing,
        }
    }
}

/// How an escalation's target was judged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscalationJudgement {
    /// Whether it went to whoever owns the incident.
    pub target_right: bool,
    /// From the `team` (actions) or the target text.
    pub graded_from: GradedFrom,
    /// Why it is wrong, when it is.
    pub reason: Option<String>,
}
