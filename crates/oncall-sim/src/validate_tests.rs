//! `validate()` on a good scenario, on a broken one (every problem at
//! once), and the ground-truth isolation check.

use serde_json::json;

use oncall_domain::Timestamp;
use oncall_engine::{Agent, AgentContext, AgentError, Analysis};
use oncall_tools::{Deploy, LogEntry, LogLevel, MetricPoint, MetricSeries, Runbook};

use crate::datastore::{DataStore, Telemetry};
use crate::runner::{RunSettings, run_scenario};
use crate::scenario::Scenario;
use crate::scenario_file::ScenarioFile;
use crate::test_support::{
    TempDir, before, catalogue_json, scenario_json, structured_scenario, structured_scenario_json,
    telemetry, tiny_scenario,
};

#[test]
fn the_tiny_scenario_is_valid() {
    assert_eq!(tiny_scenario().validate(), Vec::new());
}

#[test]
fn a_broken_scenario_reports_every_problem() {
    let mut file = scenario_json();
    file["id"] = json!("Broken Scenario");
    file["incident"]["service"] = json!("ghost");
    file["ground_truth"]["root_cause"]["category"] = json!("dns");
    file["ground_truth"]["optimal_steps"] = json!(2);
    file["ground_truth"]["key_evidence"] = json!([
        {"id": "dup", "tool": "deploys", "matcher": {"all_of": [["v2 0 0"]]}},
        {"id": "dup", "tool": "telepathy", "matcher": {"all_of": [["never"]]}}
    ]);
    file["ground_truth"]["reference_solution"][2]["mitigation"] = json!("Restart the database");
    let file: ScenarioFile = serde_json::from_value(file).unwrap();
    let mut telemetry = telemetry();
    telemetry
        .deploys
        .push(Deploy::new("d1", "payments", "v9", Timestamp::default()).unwrap());
    telemetry
        .logs
        .push(LogEntry::new(before(-30), "checkout", LogLevel::Info, "from the future").unwrap());
    let problems: Vec<String> = Scenario::from_parts(file, telemetry)
        .validate()
        .into_iter()
        .map(|problem| problem.to_string())
        .collect();
    let expected = [
        "Broken Scenario: id `Broken Scenario` is not a valid scenario name",
        "Broken Scenario: incident.service `ghost` has no logs, metrics, deploys or runbooks",
        "Broken Scenario: key_evidence id `dup` is used more than once",
        "Broken Scenario: deploy id `d1` is used more than once",
        "Broken Scenario: log entries outside the window",
        "Broken Scenario: deploys outside the window",
        "Broken Scenario: ground_truth.root_cause.category `dns` differs",
        "Broken Scenario: key evidence `dup` names tool `telepathy`, which does not exist",
        "Broken Scenario: the length of ground_truth.reference_solution (3) differs from optimal_steps (2)",
        "Broken Scenario: ground_truth.reference_solution[2]: mitigation `Restart the database` is judged harmful, not correct",
        "Broken Scenario: the reference solution scores 0 (passed: false), not exactly 1.0",
    ];
    for prefix in expected {
        assert!(
            problems.iter().any(|problem| problem.starts_with(prefix)),
            "missing {prefix:?} in:\n{}",
            problems.join("\n")
        );
    }
}

/// The problems `validate()` reports for a scenario file and telemetry,
/// as displayed.
fn problems_of(file: serde_json::Value, telemetry: Telemetry) -> Vec<String> {
    let file: ScenarioFile = serde_json::from_value(file).unwrap();
    Scenario::from_parts(file, telemetry)
        .validate()
        .into_iter()
        .map(|problem| problem.to_string())
        .collect()
}

fn assert_reports(problems: &[String], expected: &str) {
    assert!(
        problems.iter().any(|problem| problem == expected),
        "missing {expected:?} in:\n{}",
        problems.join("\n")
    );
}

#[test]
fn duplicate_runbook_ids_and_metric_series_are_reported_once_each() {
    let mut telemetry = telemetry();
    for _ in 0..2 {
        telemetry
            .runbooks
            .push(Runbook::new("rb1", "Another runbook", vec!["Wait.".to_owned()]).unwrap());
        telemetry.metrics.push(
            MetricSeries::new(
                "checkout",
                "error_rate",
                "ratio",
                vec![MetricPoint::new(before(15), 0.1).unwrap()],
            )
            .unwrap(),
        );
    }
    let problems = problems_of(scenario_json(), telemetry);
    assert_eq!(
        problems,
        [
            "tiny: runbook id `rb1` is used more than once",
            "tiny: metric series `checkout/error_rate` is used more than once",
        ],
    );
}

#[test]
fn metric_points_outside_the_window_are_reported() {
    let mut telemetry = telemetry();
    telemetry.metrics.push(
        MetricSeries::new(
            "checkout",
            "latency_p99_ms",
            "ms",
            vec![
                MetricPoint::new(before(200), 100.0).unwrap(),
                MetricPoint::new(before(60), 100.0).unwrap(),
                MetricPoint::new(before(-1), 100.0).unwrap(),
            ],
        )
        .unwrap(),
    );
    let problems = problems_of(scenario_json(), telemetry);
    assert_eq!(
        problems,
        [
            "tiny: metric points outside the window 2026-11-20T12:30:00+00:00 to \
          2026-11-20T14:30:00+00:00: 2 (first at 2026-11-20T11:10:00+00:00)"
        ],
    );
}

#[test]
fn an_incident_created_outside_the_window_is_reported() {
    let mut file = scenario_json();
    file["incident"]["created_at"] = json!("2026-11-20T14:45:00Z");
    let problems = problems_of(file, telemetry());
    assert_reports(
        &problems,
        "tiny: incident.created_at 2026-11-20T14:45:00+00:00 lies outside the window \
         2026-11-20T12:30:00+00:00 to 2026-11-20T14:30:00+00:00",
    );
}

#[test]
fn key_evidence_no_result_of_its_tool_matches_is_reported() {
    let mut file = scenario_json();
    file["ground_truth"]["key_evidence"]
        .as_array_mut()
        .unwrap()
        .push(json!({"id": "unreachable", "tool": "logs", "matcher": {"all_of": [["disk full"]]}}));
    let problems = problems_of(file, telemetry());
    assert_reports(
        &problems,
        "tiny: key evidence `unreachable` is not found by the reference solution: \
         no successful result of its tool matches",
    );
    assert!(
        problems
            .iter()
            .all(|problem| !problem.contains("`the_deploy`") && !problem.contains("`the_errors`")),
        "evidence the reference solution finds is reported: {problems:#?}"
    );
}

#[test]
fn blank_text_fields_are_all_reported() {
    let mut file = scenario_json();
    file["title"] = json!("  ");
    file["summary"] = json!("");
    file["ground_truth"]["root_cause"]["statement"] = json!("\n");
    let problems = problems_of(file, telemetry());
    assert_eq!(
        problems,
        [
            "tiny: title is blank",
            "tiny: summary is blank",
            "tiny: ground_truth.root_cause.statement is blank",
        ],
    );
    // A category is from the taxonomy, so a blank one does not load.
    let mut file = scenario_json();
    file["category"] = json!(" \t");
    let error = serde_json::from_value::<ScenarioFile>(file).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("unknown fault category ` \t`"),
        "{error}"
    );
}

#[test]
fn the_structured_scenario_is_valid() {
    assert_eq!(structured_scenario().validate(), Vec::new());
}

#[test]
fn structured_ground_truth_is_checked_against_the_catalogue() {
    let mut file = structured_scenario_json();
    file["ground_truth"]["root_cause"]["service"] = json!("shop-team");
    file["ground_truth"]["mitigations"]["acceptable"] = json!([
        {"action": {"kind": "scale_out", "target": "ghost"}},
        {"action": {"kind": "disable_flag", "target": "checkout"}}
    ]);
    file["ground_truth"]["reference_solution"][2]["actions"] = json!([{"kind": "rollback", "target": "checkout"}, {"kind": "restart", "target": "payments"}]);
    let mut telemetry = telemetry();
    let mut catalogue = catalogue_json();
    catalogue["services"][0]["team"] = json!("nobody");
    telemetry.catalogue = serde_json::from_value(catalogue).unwrap();
    telemetry.logs.push(
        LogEntry::new(before(5), "checkout", LogLevel::Info, "ok")
            .unwrap()
            .with_attribute("host", json!("checkout-9")),
    );
    let problems = problems_of(file, telemetry);
    let expected = [
        "tiny: services.json: services[0].team: `nobody` should name a team, but names nothing in the catalogue",
        "tiny: ground_truth.root_cause.service `shop-team` is a team in the catalogue, not a service or provider",
        "tiny: ground_truth.mitigations.acceptable[0]: action target `ghost` is not in the service catalogue",
        "tiny: ground_truth.mitigations.acceptable[1]: `disable_flag` cannot act on `checkout`, a service",
        "tiny: the logs name host `checkout-9` for `checkout`, which services.json does not list among its hosts",
        "tiny: ground_truth.reference_solution[2]: its actions are judged correct (share 0.5)",
    ];
    for prefix in expected {
        assert!(
            problems.iter().any(|problem| problem.starts_with(prefix)),
            "missing {prefix:?} in:\n{}",
            problems.join("\n")
        );
    }
}

#[test]
fn structured_remedies_need_a_catalogue_and_a_reference_with_actions() {
    let mut file = structured_scenario_json();
    file["ground_truth"]["reference_solution"][2]
        .as_object_mut()
        .unwrap()
        .remove("actions");
    let problems = problems_of(file.clone(), telemetry());
    assert!(
        problems
            .iter()
            .any(|problem| problem.contains("has no services.json catalogue")),
        "{problems:#?}"
    );
    let mut telemetry = telemetry();
    telemetry.catalogue = serde_json::from_value(catalogue_json()).unwrap();
    let problems = problems_of(file, telemetry);
    assert!(
        problems
            .iter()
            .any(|problem| problem.contains("must give `actions`")),
        "{problems:#?}"
    );
    let mut escalation = scenario_json();
    escalation["ground_truth"]["expected_outcome"] = json!({"kind": "escalate"});
    let problems = problems_of(escalation, crate::test_support::telemetry());
    assert!(
        problems
            .iter()
            .any(|problem| problem.contains("names no `team` and has no `target` matcher")),
        "{problems:#?}"
    );
}

#[test]
fn a_window_that_starts_after_it_ends_is_reported_once() {
    let mut file = scenario_json();
    file["window"] = json!({"start": "2026-11-20T14:30:00Z", "end": "2026-11-20T12:30:00Z"});
    let problems = problems_of(file, telemetry());
    assert_eq!(
        problems,
        [
            "tiny: window.start 2026-11-20T14:30:00+00:00 is after window.end 2026-11-20T12:30:00+00:00"
        ],
    );
}

#[test]
fn the_directory_name_must_match_the_id() {
    let temp = TempDir::new("dir-name");
    let directory = temp.write_tiny("tiny");
    let renamed = temp.path.join("other_name");
    std::fs::rename(&directory, &renamed).unwrap();
    let problems = Scenario::load(&renamed).unwrap().validate();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(
        problems[0].to_string(),
        "tiny: id `tiny` does not match its directory name `other_name`"
    );
}

/// Ground truth never reaches the tools: the data store a scenario serves
/// is exactly the one built from its telemetry files alone, with no
/// scenario file present.
#[test]
fn the_data_store_is_built_from_telemetry_alone() {
    let temp = TempDir::new("isolation");
    let directory = temp.write_tiny("tiny");
    let scenario = Scenario::load(&directory).unwrap();
    std::fs::remove_file(directory.join("scenario.json")).unwrap();
    let telemetry_only =
        DataStore::load(&directory, crate::fixture::LoadLimits::default()).unwrap();
    assert_eq!(*scenario.data_store(), telemetry_only);
}

/// An agent that records every context and tool result it is shown.
#[derive(Debug)]
struct Spy<A> {
    inner: A,
    seen: Vec<String>,
}

impl<A: Agent> Agent for Spy<A> {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn decide_next_action(
        &mut self,
        context: &AgentContext<'_>,
    ) -> Result<oncall_domain::Decision, AgentError> {
        self.seen.push(format!("{context:?}"));
        self.inner.decide_next_action(context)
    }

    fn analyze_result(
        &mut self,
        tool_result: &oncall_domain::ToolResult,
        context: &AgentContext<'_>,
    ) -> Result<Analysis, AgentError> {
        self.seen.push(serde_json::to_string(tool_result).unwrap());
        self.inner.analyze_result(tool_result, context)
    }
}

/// Calls every tool it is shown, once, with no parameters and then with a
/// wide window, then escalates: it sees everything an agent can be shown.
/// (The baselines get the same check across the crate wall, in the
/// workspace's `tests/baselines.rs`.)
#[derive(Debug, Default)]
struct SweepAgent {
    calls: usize,
}

impl Agent for SweepAgent {
    fn name(&self) -> &str {
        "sweep"
    }

    fn decide_next_action(
        &mut self,
        context: &AgentContext<'_>,
    ) -> Result<oncall_domain::Decision, AgentError> {
        let tools = context.tools();
        let index = self.calls;
        self.calls += 1;
        let decision = match tools.get(index % tools.len().max(1)) {
            Some(tool) if index < 2 * tools.len() => {
                let params = if index < tools.len() {
                    serde_json::json!({})
                } else {
                    serde_json::json!({"since_minutes": 1440})
                };
                serde_json::json!({
                    "action": "call_tool", "tool_name": tool.name(),
                    "params": params, "reasoning": "sweep"
                })
            }
            _ => serde_json::json!({
                "action": "escalate", "reason": "seen everything", "target": "someone"
            }),
        };
        serde_json::from_value(decision).map_err(|error| AgentError::new(error.to_string()))
    }

    fn analyze_result(
        &mut self,
        _tool_result: &oncall_domain::ToolResult,
        _context: &AgentContext<'_>,
    ) -> Result<Analysis, AgentError> {
        Ok(Analysis::new("seen", false))
    }
}

/// And end to end: nothing an agent is shown contains the root cause or
/// the ground truth's own words.
#[test]
fn nothing_an_agent_sees_contains_the_ground_truth() {
    let scenario = tiny_scenario();
    let statement = &scenario.ground_truth().root_cause.statement;
    let mut sweep = Spy {
        inner: SweepAgent::default(),
        seen: Vec::new(),
    };
    let settings = RunSettings {
        seed: 0,
        max_steps: Some(40),
    };
    run_scenario(&scenario, &mut sweep, settings, None).unwrap();
    assert!(sweep.inner.calls > 2 * 5, "{}", sweep.inner.calls);
    for seen in &sweep.seen {
        assert!(!seen.contains(statement.as_str()), "{seen}");
        assert!(!seen.contains("ground_truth"), "{seen}");
        assert!(
            !seen.contains("Tiny checkout incident"),
            "the summary is not shown: {seen}"
        );
    }
    assert!(
        sweep
            .seen
            .iter()
            .any(|seen| seen.contains("\"success\":true"))
    );
}
