//! [`Scenario::validate`]: everything beyond parsing.

use std::collections::BTreeSet;
use std::fmt;

use serde::Serialize;

use oncall_domain::Decision;
use oncall_tools::ToolRegistry;

use crate::evaluation::MitigationVerdict;
use crate::grader::Remedy;
use crate::oracle::OracleAgent;
use crate::runner::{RunSettings, run_scenario};
use crate::scenario::{Scenario, check_scenario_name};
use crate::scenario_file::{ExpectedOutcome, MAX_STEPS};

/// One thing wrong with a scenario, beyond parsing. Displays as
/// `scenario: message`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The scenario's id.
    pub scenario: String,
    /// What is wrong, and where.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.scenario, self.message)
    }
}

impl Scenario {
    /// Checks everything beyond parsing and returns every problem found,
    /// not just the first:
    ///
    /// - the id is a valid scenario name, and matches its directory;
    /// - the title, summary, category and root-cause statement are not
    ///   blank;
    /// - ids are unique: key evidence, deploys, runbooks, metric series;
    /// - the window's start is not after its end, and every telemetry
    ///   timestamp and the incident's `created_at` lie inside it;
    /// - the incident's service appears in the telemetry;
    /// - the root cause's category is the scenario's category;
    /// - `max_steps` is 1 to [`MAX_STEPS`] (loading already refuses others;
    ///   this catches scenarios built in code);
    /// - `optimal_steps` is at least 1 and at most `max_steps`, and the
    ///   reference solution has exactly `optimal_steps` decisions, the last
    ///   one ending the run;
    /// - every key-evidence tool exists, and every item is found by the
    ///   reference solution;
    /// - the service catalogue (`services.json`): every reference in it
    ///   names an entity of the right kind, it lists the alerting and the
    ///   culprit service, and every host the logs name for a service it
    ///   lists is among that service's hosts;
    /// - every remedy's action names a catalogue entity its kind can act
    ///   on, and an expected escalation names a catalogue team or provider
    ///   (or, without one, has a target matcher);
    /// - a mitigation is expected ⇒ there is a correct remedy, and the
    ///   reference solution's mitigation is judged correct from its text,
    ///   and from its actions (which it must give when any remedy has a
    ///   structured pattern);
    /// - the reference solution, replayed by the oracle, scores exactly 1.0
    ///   and passes.
    pub fn validate(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        let mut problem = |message: String| {
            problems.push(Problem {
                scenario: self.id().to_owned(),
                message,
            });
        };
        self.check_identity(&mut problem);
        self.check_text(&mut problem);
        self.check_unique_ids(&mut problem);
        self.check_window(&mut problem);
        self.check_ground_truth(&mut problem);
        self.check_catalogue(&mut problem);
        self.check_reference_solution(&mut problem);
        problems
    }

    fn check_identity(&self, problem: &mut impl FnMut(String)) {
        if check_scenario_name(self.id()).is_err() {
            problem(format!(
                "id `{}` is not a valid scenario name (1 to 64 characters of a-z, 0-9, `_`, `-`)",
                self.id()
            ));
        }
        if let Some(name) = self
            .directory()
            .and_then(|directory| directory.file_name())
            .and_then(|name| name.to_str())
            && name != self.id()
        {
            problem(format!(
                "id `{}` does not match its directory name `{name}`",
                self.id()
            ));
        }
        let service = &self.incident_spec().service;
        if !self
            .data_store()
            .all_services()
            .iter()
            .any(|known| known == service)
        {
            problem(format!(
                "incident.service `{service}` has no logs, metrics, deploys or runbooks"
            ));
        }
    }

    fn check_text(&self, problem: &mut impl FnMut(String)) {
        let fields = [
            ("title", self.title()),
            ("summary", self.summary()),
            (
                "ground_truth.root_cause.statement",
                self.ground_truth().root_cause.statement.as_str(),
            ),
        ];
        for (field, text) in fields {
            if text.trim().is_empty() {
                problem(format!("{field} is blank"));
            }
        }
    }

    fn check_unique_ids(&self, problem: &mut impl FnMut(String)) {
        let store = self.data_store();
        let truth = self.ground_truth();
        report_duplicates(
            "key_evidence id",
            truth.key_evidence.iter().map(|item| item.id.clone()),
            problem,
        );
        report_duplicates(
            "deploy id",
            store
                .all_deploys()
                .iter()
                .map(|deploy| deploy.id().to_owned()),
            problem,
        );
        report_duplicates(
            "runbook id",
            store
                .all_runbooks()
                .iter()
                .map(|runbook| runbook.id().to_owned()),
            problem,
        );
        report_duplicates(
            "metric series",
            store
                .all_metrics()
                .map(|series| format!("{}/{}", series.service(), series.name())),
            problem,
        );
    }

    fn check_window(&self, problem: &mut impl FnMut(String)) {
        let window = self.window();
        if window.start > window.end {
            // An inverted window holds nothing: every timestamp would be
            // reported outside it, so the inversion is the one problem.
            problem(format!(
                "window.start {} is after window.end {}",
                window.start.to_rfc3339(),
                window.end.to_rfc3339()
            ));
            return;
        }
        let outside = |at: oncall_domain::Timestamp| at < window.start || at > window.end;
        let store = self.data_store();
        let describe = |what: &str, count: usize, first: Option<oncall_domain::Timestamp>| {
            format!(
                "{what} outside the window {} to {}: {count} (first at {})",
                window.start.to_rfc3339(),
                window.end.to_rfc3339(),
                first.map(|at| at.to_rfc3339()).unwrap_or_default()
            )
        };
        let logs: Vec<_> = store
            .all_logs()
            .iter()
            .map(|entry| entry.timestamp())
            .filter(|at| outside(*at))
            .collect();
        if !logs.is_empty() {
            problem(describe("log entries", logs.len(), logs.first().copied()));
        }
        let points: Vec<_> = store
            .all_metrics()
            .flat_map(|series| series.points().iter().map(|point| point.timestamp()))
            .filter(|at| outside(*at))
            .collect();
        if !points.is_empty() {
            problem(describe(
                "metric points",
                points.len(),
                points.first().copied(),
            ));
        }
        let deploys: Vec<_> = store
            .all_deploys()
            .iter()
            .map(|deploy| deploy.deployed_at())
            .filter(|at| outside(*at))
            .collect();
        if !deploys.is_empty() {
            problem(describe("deploys", deploys.len(), deploys.first().copied()));
        }
        let created_at = self.incident_spec().created_at;
        if outside(created_at) {
            problem(format!(
                "incident.created_at {} lies outside the window {} to {}",
                created_at.to_rfc3339(),
                window.start.to_rfc3339(),
                window.end.to_rfc3339()
            ));
        }
    }

    fn check_ground_truth(&self, problem: &mut impl FnMut(String)) {
        let truth = self.ground_truth();
        if truth.root_cause.category != self.category() {
            problem(format!(
                "ground_truth.root_cause.category `{}` differs from the scenario's category `{}`",
                truth.root_cause.category,
                self.category()
            ));
        }
        if !(1..=MAX_STEPS).contains(&truth.max_steps) {
            problem(format!(
                "ground_truth.max_steps is {}, but must be between 1 and {MAX_STEPS}",
                truth.max_steps
            ));
        }
        if truth.optimal_steps == 0 || truth.optimal_steps > truth.max_steps {
            problem(format!(
                "ground_truth.optimal_steps is {}, but must be between 1 and max_steps ({})",
                truth.optimal_steps, truth.max_steps
            ));
        }
        let registry = ToolRegistry::with_default_tools();
        for item in &truth.key_evidence {
            if registry.get(&item.tool).is_err() {
                problem(format!(
                    "key evidence `{}` names tool `{}`, which does not exist (tools: {})",
                    item.id,
                    item.tool,
                    registry.names().join(", ")
                ));
            }
        }
        if matches!(truth.expected_outcome, ExpectedOutcome::Mitigate)
            && truth.mitigations.correct.is_empty()
        {
            problem(
                "ground_truth.mitigations.correct is empty, but a mitigation is expected"
                    .to_owned(),
            );
        }
        if let ExpectedOutcome::Escalate {
            team: None,
            target: None,
            ..
        } = &truth.expected_outcome
        {
            problem(
                "ground_truth.expected_outcome escalates, but names no `team` and has no `target` matcher"
                    .to_owned(),
            );
        }
    }

    fn check_catalogue(&self, problem: &mut impl FnMut(String)) {
        let store = self.data_store();
        let catalogue = store.catalogue();
        let truth = self.ground_truth();
        if catalogue.is_empty() {
            let structured = self
                .remedies()
                .any(|(_, _, remedy)| remedy.action().is_some())
                || matches!(
                    &truth.expected_outcome,
                    ExpectedOutcome::Escalate { team: Some(_), .. }
                );
            if structured {
                problem(
                    "the ground truth has structured remedies or an escalation team, but the scenario has no services.json catalogue to name them in"
                        .to_owned(),
                );
            }
            return;
        }
        for reference in catalogue.reference_problems() {
            problem(format!("services.json: {reference}"));
        }
        use oncall_domain::EntityKind;
        let as_kind =
            |name: &str, field: &str, allowed: &[EntityKind], problem: &mut dyn FnMut(String)| {
                match catalogue.resolve(name) {
                    Some(entity) if allowed.contains(&entity.kind) => {}
                    Some(entity) => problem(format!(
                        "{field} `{name}` is a {} in the catalogue, not a {}",
                        entity.kind,
                        allowed
                            .iter()
                            .map(|kind| kind.as_str())
                            .collect::<Vec<_>>()
                            .join(" or ")
                    )),
                    None => problem(format!("{field} `{name}` is not in the service catalogue")),
                }
            };
        as_kind(
            &self.incident_spec().service,
            "incident.service",
            &[EntityKind::Service],
            problem,
        );
        as_kind(
            &truth.root_cause.service,
            "ground_truth.root_cause.service",
            &[EntityKind::Service, EntityKind::Provider],
            problem,
        );
        for (list, index, remedy) in self.remedies() {
            let at = format!("ground_truth.mitigations.{list}[{index}]");
            if let Some(pattern) = remedy.action() {
                match catalogue.resolve(pattern.target()) {
                    None => problem(format!(
                        "{at}: action target `{}` is not in the service catalogue",
                        pattern.target()
                    )),
                    Some(entity) if !pattern.kind().may_target(entity.kind) => problem(format!(
                        "{at}: `{}` cannot act on `{}`, a {}",
                        pattern.kind(),
                        entity.name,
                        entity.kind
                    )),
                    Some(_) => {}
                }
            }
        }
        if let ExpectedOutcome::Escalate {
            team: Some(team), ..
        } = &truth.expected_outcome
        {
            as_kind(
                team,
                "ground_truth.expected_outcome.team",
                oncall_domain::ESCALATION_TEAM_KINDS,
                problem,
            );
        }
        let mut unlisted = BTreeSet::new();
        for entry in store.all_logs() {
            let Some(host) = entry
                .attributes()
                .get("host")
                .and_then(|host| host.as_str())
            else {
                continue;
            };
            let listed = catalogue
                .services()
                .iter()
                .find(|service| service.name() == entry.service())
                .is_none_or(|service| service.hosts().iter().any(|known| known == host));
            if !listed {
                unlisted.insert((entry.service().to_owned(), host.to_owned()));
            }
        }
        for (service, host) in unlisted {
            problem(format!(
                "the logs name host `{host}` for `{service}`, which services.json does not list among its hosts"
            ));
        }
    }

    /// Every remedy with the name of its list and its index in it.
    fn remedies(&self) -> impl Iterator<Item = (&'static str, usize, &Remedy)> {
        let mitigations = &self.ground_truth().mitigations;
        [
            ("correct", &mitigations.correct),
            ("acceptable", &mitigations.acceptable),
            ("harmful", &mitigations.harmful),
        ]
        .into_iter()
        .flat_map(|(list, remedies)| {
            remedies
                .iter()
                .enumerate()
                .map(move |(index, remedy)| (list, index, remedy))
        })
    }

    fn check_reference_solution(&self, problem: &mut impl FnMut(String)) {
        let truth = self.ground_truth();
        let solution = &truth.reference_solution;
        if solution.len() != truth.optimal_steps as usize {
            problem(format!(
                "the length of ground_truth.reference_solution ({}) differs from optimal_steps ({})",
                solution.len(),
                truth.optimal_steps
            ));
        }
        match solution.last() {
            Some(last) if last.is_terminal() => {}
            _ => problem(
                "ground_truth.reference_solution must end with propose_mitigation or escalate"
                    .to_owned(),
            ),
        }
        for (index, decision) in solution.iter().enumerate() {
            if index + 1 < solution.len() && decision.is_terminal() {
                problem(format!(
                    "ground_truth.reference_solution[{index}] ends the run before the last decision"
                ));
            }
            if let Decision::ProposeMitigation {
                mitigation,
                actions,
                ..
            } = decision
            {
                self.check_reference_mitigation(index, mitigation, actions, problem);
            }
        }
        let mut oracle = OracleAgent::new(self);
        let settings = RunSettings {
            seed: 0,
            max_steps: Some(truth.max_steps.clamp(1, MAX_STEPS)),
        };
        match run_scenario(self, &mut oracle, settings, None) {
            Err(error) => problem(format!("the reference solution cannot be run: {error}")),
            Ok(outcome) => {
                for step in outcome.run.steps() {
                    if let oncall_engine::StepStatus::Failed { reason } = step.status() {
                        problem(format!(
                            "ground_truth.reference_solution[{}] fails: {reason}",
                            step.number() - 1
                        ));
                    }
                }
                for missing in &outcome.evaluation.evidence.missing {
                    problem(format!(
                        "key evidence `{missing}` is not found by the reference solution: no successful result of its tool matches"
                    ));
                }
                let evaluation = &outcome.evaluation;
                if evaluation.total != 1.0 || !evaluation.passed {
                    problem(format!(
                        "the reference solution scores {} (passed: {}), not exactly 1.0",
                        evaluation.total, evaluation.passed
                    ));
                }
            }
        }
    }
}

impl Scenario {
    fn check_reference_mitigation(
        &self,
        index: usize,
        mitigation: &str,
        actions: &[oncall_domain::ActionClaim],
        problem: &mut impl FnMut(String),
    ) {
        let grader = self.grader();
        let at = format!("ground_truth.reference_solution[{index}]");
        let judged = |verdict: MitigationVerdict| match verdict {
            MitigationVerdict::Wrong => {
                "wrong (no correct, acceptable or harmful remedy matches it)"
            }
            other => other.as_str(),
        };
        if !mitigation.trim().is_empty() {
            let text = grader.judge_text(mitigation);
            if text.verdict != MitigationVerdict::Correct {
                problem(format!(
                    "{at}: mitigation `{mitigation}` is judged {}, not correct",
                    judged(text.verdict)
                ));
            }
        }
        let structured = self
            .remedies()
            .any(|(_, _, remedy)| remedy.action().is_some());
        if actions.is_empty() {
            if structured {
                problem(format!(
                    "{at}: the scenario has structured remedies, so the reference mitigation must give `actions` (and a `root_cause`)"
                ));
            }
            return;
        }
        let graded = grader.judge_actions(actions);
        if graded.verdict != MitigationVerdict::Correct || graded.share < 1.0 {
            let reasons: Vec<String> = graded
                .actions
                .iter()
                .map(|action| {
                    format!(
                        "{} {}: {}{}",
                        action.kind,
                        action.target,
                        action.verdict,
                        action
                            .reason
                            .as_deref()
                            .map(|reason| format!(" ({reason})"))
                            .unwrap_or_default()
                    )
                })
                .collect();
            problem(format!(
                "{at}: its actions are judged {} (share {}), not all correct or acceptable with one correct: {}",
                judged(graded.verdict),
                graded.share,
                reasons.join("; ")
            ));
        }
    }
}

fn report_duplicates(
    what: &str,
    ids: impl Iterator<Item = String>,
    problem: &mut impl FnMut(String),
) {
    let mut seen = BTreeSet::new();
    let mut reported = BTreeSet::new();
    for id in ids {
        if !seen.insert(id.clone()) && reported.insert(id.clone()) {
            problem(format!("{what} `{id}` is used more than once"));
        }
    }
}
