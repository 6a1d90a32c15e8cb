//! Shared helpers for the simulator's tests: a small, valid scenario built
//! in code.

use chrono::{Duration, TimeZone, Utc};
use serde_json::json;

use oncall_domain::Timestamp;
use oncall_tools::{Deploy, LogEntry, LogLevel, MetricPoint, MetricSeries, Runbook};

use crate::datastore::Telemetry;
use crate::scenario::Scenario;
use crate::scenario_file::ScenarioFile;

/// The incident time of the test scenario.
pub(crate) fn alert_time() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 11, 20, 14, 30, 0).unwrap()
}

/// `minutes` before the alert.
pub(crate) fn before(minutes: i64) -> Timestamp {
    alert_time() - Duration::minutes(minutes)
}

/// The test scenario's `scenario.json`, as JSON, so tests can break it.
pub(crate) fn scenario_json() -> serde_json::Value {
    json!({
        "id": "tiny",
        "title": "Tiny checkout incident",
        "summary": "A deploy broke checkout.",
        "difficulty": "easy",
        "tags": ["test"],
        "category": "deploy_regression",
        "incident": {
            "service": "checkout",
            "description": "checkout errors above 5%",
            "created_at": "2026-11-20T14:30:00Z"
        },
        "window": {"start": "2026-11-20T12:30:00Z", "end": "2026-11-20T14:30:00Z"},
        "ground_truth": {
            "root_cause": {"statement": "checkout v2 broke the cart", "service": "checkout", "category": "deploy_regression"},
            "mitigations": {
                "correct": [{"all_of": [["roll back", "revert", "roll*"], ["checkout"]]}],
                "acceptable": [{"all_of": [["scale out", "scale up"], ["checkout"]]}],
                "harmful": [{"all_of": [["restart", "fail over"], ["database", "db"]]}]
            },
            "expected_outcome": {"kind": "mitigate"},
            "key_evidence": [
                {"id": "the_deploy", "tool": "deploys", "matcher": {"all_of": [["v2 0 0"]]}},
                {"id": "the_errors", "tool": "logs", "matcher": {"all_of": [["cart exploded"]]}}
            ],
            "optimal_steps": 3,
            "max_steps": 8,
            "reference_solution": [
                {"action": "call_tool", "tool_name": "deploys", "params": {"service": "checkout"}, "reasoning": "changes"},
                {"action": "call_tool", "tool_name": "logs", "params": {"service": "checkout", "min_level": "error"}, "reasoning": "errors"},
                {"action": "propose_mitigation", "mitigation": "Roll back checkout to v1.9.0", "confidence": 0.9, "reasoning": "deploy",
                 "root_cause": {"service": "checkout", "category": "deploy_regression"}}
            ]
        }
    })
}

/// The test scenario in the structured format: remedies with action
/// patterns over a service catalogue, and a reference solution that gives
/// actions. Its telemetry is [`telemetry`] with [`catalogue_json`].
pub(crate) fn structured_scenario_json() -> serde_json::Value {
    let mut file = scenario_json();
    file["ground_truth"]["mitigations"] = json!({
        "correct": [{"label": "roll back checkout", "action": {"kind": "rollback", "target": "checkout"}, "mentions": ["v2.0.0"]}],
        "acceptable": [{"label": "scale out checkout", "action": {"kind": "scale_out", "target": "checkout"}}],
        "harmful": [
            {"label": "restart the database", "action": {"kind": "restart", "target": "checkout-db"}, "mentions": ["database", "db"]},
            {"label": "fail the database over", "action": {"kind": "failover", "target": "checkout-db"}, "mentions": ["database", "db"]}
        ]
    });
    file["ground_truth"]["reference_solution"][2]["actions"] =
        json!([{"kind": "rollback", "target": "checkout"}]);
    file
}

/// The structured test scenario's `services.json`.
pub(crate) fn catalogue_json() -> serde_json::Value {
    json!({
        "services": [
            {"name": "checkout", "team": "shop-team", "depends_on": ["checkout-db", "payments"], "datastores": ["checkout-db"]},
            {"name": "checkout-db", "team": "db-team", "hosts": ["checkout-db-1"]},
            {"name": "payments", "team": "payments-team", "depends_on": ["acme-pay"]}
        ],
        "providers": [{"name": "acme-pay", "used_by": ["payments"], "aliases": ["Acme Pay", "payments provider"]}],
        "teams": [{"name": "shop-team"}, {"name": "db-team"}, {"name": "payments-team"}]
    })
}

/// The structured test scenario, built in code.
pub(crate) fn structured_scenario() -> Scenario {
    let file: ScenarioFile = serde_json::from_value(structured_scenario_json()).unwrap();
    let mut telemetry = telemetry();
    telemetry.catalogue = serde_json::from_value(catalogue_json()).unwrap();
    Scenario::from_parts(file, telemetry)
}

/// The test scenario's telemetry.
pub(crate) fn telemetry() -> Telemetry {
    let logs = vec![
        LogEntry::new(before(50), "checkout", LogLevel::Info, "ok").unwrap(),
        LogEntry::new(before(20), "checkout", LogLevel::Error, "cart exploded").unwrap(),
        LogEntry::new(before(10), "payments", LogLevel::Warn, "slow bank").unwrap(),
    ];
    let metrics = vec![
        MetricSeries::new(
            "checkout",
            "error_rate",
            "ratio",
            vec![
                MetricPoint::new(before(30), 0.01).unwrap(),
                MetricPoint::new(before(5), 0.2).unwrap(),
            ],
        )
        .unwrap(),
    ];
    let deploys = vec![
        Deploy::new("d1", "checkout", "v2.0.0", before(25))
            .unwrap()
            .with_previous_version("v1.9.0")
            .unwrap(),
    ];
    let runbooks = vec![
        Runbook::new(
            "rb1",
            "Checkout errors",
            vec!["Roll back checkout.".to_owned()],
        )
        .unwrap()
        .with_services(vec!["checkout".to_owned()])
        .unwrap(),
    ];
    Telemetry {
        logs,
        metrics,
        deploys,
        runbooks,
        catalogue: oncall_tools::ServiceCatalogue::empty(),
    }
}

/// The test scenario, built in code.
pub(crate) fn tiny_scenario() -> Scenario {
    let file: ScenarioFile = serde_json::from_value(scenario_json()).unwrap();
    Scenario::from_parts(file, telemetry())
}

/// A temporary directory for one test, removed when dropped.
pub(crate) struct TempDir {
    pub(crate) path: std::path::PathBuf,
}

impl TempDir {
    pub(crate) fn new(name: &str) -> TempDir {
        let path =
            std::env::temp_dir().join(format!("oncall-sim-test-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir { path }
    }

    /// Writes the tiny scenario's five files into `self.path/<id>`.
    pub(crate) fn write_tiny(&self, id: &str) -> std::path::PathBuf {
        let directory = self.path.join(id);
        std::fs::create_dir_all(&directory).unwrap();
        let mut file = scenario_json();
        file["id"] = json!(id);
        let telemetry = telemetry();
        let write =
            |name: &str, value: String| std::fs::write(directory.join(name), value).unwrap();
        write(
            "scenario.json",
            serde_json::to_string_pretty(&file).unwrap(),
        );
        write(
            "logs.json",
            serde_json::to_string_pretty(&telemetry.logs).unwrap(),
        );
        write(
            "metrics.json",
            serde_json::to_string_pretty(&telemetry.metrics).unwrap(),
        );
        write(
            "deploys.json",
            serde_json::to_string_pretty(&telemetry.deploys).unwrap(),
        );
        write(
            "runbooks.json",
            serde_json::to_string_pretty(&telemetry.runbooks).unwrap(),
        );
        directory
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}
