//! `oncall-gym judge SCENARIO (--mitigation TEXT | --actions JSON |
//! --escalate TARGET [--team T] [--reason R]) [--root-cause-service S]
//! [--root-cause-category C] [--json]`.

use std::process::ExitCode;

use serde::Serialize;

use oncall_domain::RootCauseClaim;
use oncall_gym::library::ScenarioLibrary;
use oncall_sim::{
    ActionJudgement, DecidedBy, DiagnosisVerdict, ExpectedOutcome, GradedFrom, Grader, Scenario,
};

use crate::cli::JudgeArgs;
use crate::commands::score::{action_rows, decided_text};
use crate::describe::shorten;
use crate::output;
use crate::table::Table;

/// What `judge --json` prints.
#[derive(Debug, Serialize)]
struct Judged {
    /// `correct`, `acceptable`, `harmful` or `wrong` for a mitigation;
    /// `right_target` or `wrong_target` for an escalation.
    verdict: String,
    /// `actions` or `text`.
    graded_from: GradedFrom,
    /// The remedy, its list, and the sentence or action that matched it.
    decided_by: Option<DecidedBy>,
    /// Each action's judgement, for `--actions`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    actions: Vec<ActionJudgement>,
    /// For `--actions`, the share of them the scenario lists: the outcome
    /// is the verdict's worth times this.
    #[serde(skip_serializing_if = "Option::is_none")]
    share: Option<f64>,
    /// Why the answer is wrong, when nothing else says.
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    /// `mitigate` or `escalate`: what the scenario expects.
    expected: &'static str,
    /// Whether the claimed root cause names the culprit service.
    localization: DiagnosisVerdict,
    /// Whether it names the fault category.
    root_cause_category: DiagnosisVerdict,
}

/// Judges the answer the flags give; exit 1 when the scenario is unknown.
pub(crate) fn judge(library: &ScenarioLibrary, arguments: &JudgeArgs) -> anyhow::Result<ExitCode> {
    let scenario = library.resolve(&arguments.scenario)?;
    let grader = scenario.grader();
    let judged = judged(&scenario, &grader, arguments);
    if arguments.json {
        output::print_json(&judged)?;
    } else {
        output::print(&table(&scenario, &judged).render())?;
    }
    Ok(ExitCode::SUCCESS)
}

fn judged(scenario: &Scenario, grader: &Grader<'_>, arguments: &JudgeArgs) -> Judged {
    let expected = match scenario.ground_truth().expected_outcome {
        ExpectedOutcome::Mitigate => "mitigate",
        ExpectedOutcome::Escalate { .. } => "escalate",
    };
    let claim = (arguments.root_cause_service.is_some() || arguments.root_cause_category.is_some())
        .then(|| {
            RootCauseClaim::new(
                arguments.root_cause_service.clone().unwrap_or_default(),
                arguments.root_cause_category.clone().unwrap_or_default(),
            )
        });
    let diagnosis = grader.judge_root_cause(claim.as_ref());
    let mut judged = Judged {
        verdict: String::new(),
        graded_from: GradedFrom::Text,
        decided_by: None,
        actions: Vec::new(),
        share: None,
        reason: None,
        expected,
        localization: diagnosis.localization,
        root_cause_category: diagnosis.category,
    };
    if let Some(target) = &arguments.escalate {
        let team = arguments.team.as_deref();
        let escalation = grader.judge_escalation(target, team);
        let right = escalation
            .as_ref()
            .is_some_and(|judged| judged.target_right);
        judged.verdict = if right {
            "right_target"
        } else {
            "wrong_target"
        }
        .to_owned();
        judged.graded_from = escalation
            .as_ref()
            .map_or(GradedFrom::Text, |judged| judged.graded_from);
        judged.reason = match escalation {
            Some(escalation) => escalation.reason,
            None => Some("the scenario expects a mitigation, not an escalation".to_owned()),
        };
        return judged;
    }
    if let Some(actions) = &arguments.actions {
        let graded = grader.judge_actions(&actions.0);
        judged.verdict = graded.verdict.as_str().to_owned();
        judged.graded_from = GradedFrom::Actions;
        judged.decided_by = graded.decided_by;
        judged.actions = graded.actions;
        judged.share = Some(graded.share);
        judged.reason = graded.reason;
        return judged;
    }
    let text = grader.judge_text(arguments.mitigation.as_deref().unwrap_or_default());
    judged.verdict = text.verdict.as_str().to_owned();
    judged.decided_by = text.decided_by;
    judged
}

fn table(scenario: &Scenario, judged: &Judged) -> Table {
    let mut table = Table::new();
    table.row([
        "scenario".to_owned(),
        format!("{} (expects: {})", scenario.id(), judged.expected),
    ]);
    let graded_from = match judged.graded_from {
        GradedFrom::Actions => "the structured answer",
        GradedFrom::Text => "the text",
    };
    table.row([
        "verdict".to_owned(),
        format!("{}, graded from {graded_from}", judged.verdict),
    ]);
    if let Some(decided) = &judged.decided_by {
        table.row(["decided by".to_owned(), decided_text(decided)]);
    }
    if let Some(share) = judged.share {
        table.row([
            "listed share".to_owned(),
            format!(
                "{} (the outcome is the verdict's worth times this)",
                output::score(share)
            ),
        ]);
    }
    for row in action_rows(&judged.actions) {
        table.row(row);
    }
    if let Some(reason) = &judged.reason {
        table.row(["reason".to_owned(), shorten(reason)]);
    }
    table.row([
        "diagnosis".to_owned(),
        format!(
            "localization {}, category {}",
            judged.localization.as_str(),
            judged.root_cause_category.as_str()
        ),
    ]);
    table
}
