use serde_json::{Value, json};

use crate::context::ToolLimits;
use crate::records::{LogEntry, LogLevel};
use crate::source::InMemoryDataSource;
use crate::tools::fixture::{
    assert_problem, at, call, call_on, call_with, data, long_text, truncation_of,
};

fn messages(data: &Value) -> Vec<&str> {
    data["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["message"].as_str().unwrap())
        .collect()
}

#[test]
fn the_default_window_is_the_last_hour_with_both_edges_inclusive_and_nothing_after_now() {
    let result = call("logs", json!({}));
    let data = data(&result);
    assert_eq!(
        data["window"],
        json!({"start": "2026-11-25T11:00:00Z", "end": "2026-11-25T12:00:00Z"})
    );
    // 11:00 (start edge) and 12:00 (end edge, = now) are in; 10:00, the
    // debug line and 12:05 (after now) are out.
    assert_eq!(
        messages(data),
        vec![
            "service started",
            "slow query: 850ms",
            "too many connections",
            "Connection pool exhausted",
            "request timeout after 2000ms"
        ]
    );
    assert_eq!(
        (data["matched"].clone(), data["returned"].clone()),
        (json!(5), json!(5))
    );
    assert!(result.truncation().is_none());
    assert!(data.get("note").is_none());
}

#[test]
fn explicit_windows_include_both_edges_and_clamp_the_end_to_now() {
    let result = call(
        "logs",
        json!({"start": "2026-11-25T11:30:00Z", "end": "2026-11-25T11:50:00Z"}),
    );
    assert_eq!(
        messages(data(&result)),
        vec![
            "slow query: 850ms",
            "too many connections",
            "Connection pool exhausted"
        ]
    );
    let beyond = call(
        "logs",
        json!({"start": "2026-11-25T11:55:00Z", "end": "2026-11-25T13:00:00Z", "min_level": "debug"}),
    );
    let data = data(&beyond);
    assert_eq!(data["window"]["end"], json!("2026-11-25T12:00:00Z"));
    assert_eq!(
        messages(data),
        vec!["retrying request", "request timeout after 2000ms"]
    );
    let start_only = call("logs", json!({"start": "2026-11-25T11:50:00+00:00"}));
    assert_eq!(
        messages(crate::tools::fixture::data(&start_only)),
        vec!["Connection pool exhausted", "request timeout after 2000ms"]
    );
    let end_only = call(
        "logs",
        json!({"end": "2026-11-25T11:30:00Z", "min_level": "debug"}),
    );
    let data = crate::tools::fixture::data(&end_only);
    assert_eq!(data["window"]["start"], json!("2026-11-25T10:30:00Z"));
    assert_eq!(messages(data), vec!["service started", "slow query: 850ms"]);
}

#[test]
fn last_minutes_counts_back_from_the_incident_time() {
    let result = call("logs", json!({"last_minutes": 5, "min_level": "debug"}));
    let data = data(&result);
    assert_eq!(data["window"]["start"], json!("2026-11-25T11:55:00Z"));
    assert_eq!(
        messages(data),
        vec!["retrying request", "request timeout after 2000ms"]
    );
}

#[test]
fn service_level_and_pattern_filters_combine() {
    let by_service = call("logs", json!({"service": "Checkout", "min_level": "error"}));
    assert_eq!(
        messages(data(&by_service)),
        vec!["Connection pool exhausted", "request timeout after 2000ms"]
    );
    let text = call("logs", json!({"pattern": "POOL"}));
    assert_eq!(messages(data(&text)), vec!["Connection pool exhausted"]);
    let attribute = call("logs", json!({"pattern": "53300"}));
    assert_eq!(messages(data(&attribute)), vec!["too many connections"]);
    let regex = call("logs", json!({"pattern": r"\d+ms$", "regex": true}));
    assert_eq!(
        messages(data(&regex)),
        vec!["slow query: 850ms", "request timeout after 2000ms"]
    );
    let case_sensitive = call("logs", json!({"pattern": "POOL", "regex": true}));
    assert_eq!(messages(data(&case_sensitive)), Vec::<&str>::new());
    let unknown = call("logs", json!({"service": "billing"}));
    assert_problem(
        &unknown,
        Some("service"),
        "no telemetry for service `billing`; known services: checkout, db, payments",
    );
}

#[test]
fn truncated_results_keep_the_most_recent_and_say_so() {
    let result = call("logs", json!({"limit": 2}));
    let data = data(&result);
    assert_eq!(
        messages(data),
        vec!["Connection pool exhausted", "request timeout after 2000ms"]
    );
    assert_eq!(
        (data["matched"].clone(), data["returned"].clone()),
        (json!(5), json!(2))
    );
    let truncation = result.truncation().unwrap();
    assert_eq!(
        (
            truncation.items.as_str(),
            truncation.matched,
            truncation.returned,
            truncation.limit
        ),
        ("entries", 5, 2, 2)
    );
    assert!(
        data["note"]
            .as_str()
            .unwrap()
            .contains("2 most recent of 5")
    );
}

#[test]
fn limits_from_the_context_cap_results_and_messages() {
    let limits = ToolLimits::default()
        .with_max_log_entries(3)
        .unwrap()
        .with_max_message_chars(10)
        .unwrap();
    let capped = call_with("logs", json!({}), limits.clone());
    let data = data(&capped);
    assert_eq!(data["returned"], json!(3));
    assert_eq!(capped.truncation().unwrap().limit, 3);
    assert_eq!(
        data["entries"][0]["message"],
        json!("too many c… [cut 10 chars]")
    );
    assert_problem(
        &call_with("logs", json!({"limit": 4}), limits),
        Some("limit"),
        "must be at most 3",
    );
}

#[test]
fn attributes_are_capped_by_default_and_the_cut_is_marked() {
    let entry = (0..52).fold(
        LogEntry::new(at(11, 30), "api", LogLevel::Error, "boom").unwrap(),
        |entry, i| entry.with_attribute(format!("k{i:02}"), json!(i)),
    );
    let entry = entry
        .with_attribute("a-long", json!(long_text(1_001)))
        .with_attribute("a-nested", json!({"list": [1, 2, 3]}));
    let source = InMemoryDataSource::new(vec![entry], Vec::new(), Vec::new(), Vec::new()).unwrap();
    let result = call_on(&source, "logs", json!({}), ToolLimits::default());
    let attributes = data(&result)["entries"][0]["attributes"]
        .as_object()
        .unwrap();
    // 54 attributes: the first 50 in key order, then the marker.
    assert_eq!(attributes.len(), 51);
    assert_eq!(
        attributes["a-long"],
        json!(format!("{}… [cut 1 chars]", long_text(1_000)))
    );
    assert_eq!(attributes["a-nested"], json!({"list": [1, 2, 3]}));
    assert_eq!(attributes["k47"], json!(47));
    assert!(attributes.get("k48").is_none());
    assert_eq!(attributes["…"], json!("[cut 4 attributes]"));
    // Cutting inside an entry is marked in it; the entries were not cut.
    assert_eq!(truncation_of(&result), None);
}

#[test]
fn attribute_caps_can_be_overridden_through_the_context() {
    let limits = ToolLimits::default()
        .with_max_list_items(1)
        .unwrap()
        .with_max_field_chars(4)
        .unwrap();
    let result = call_with("logs", json!({"pattern": "pool"}), limits);
    assert_eq!(
        data(&result)["entries"][0],
        json!({
            "timestamp": "2026-11-25T11:50:00Z",
            "service": "chec… [cut 4 chars]",
            "level": "error",
            "message": "Connection pool exhausted",
            "attributes": {"pool": "orde… [cut 5 chars]", "…": "[cut 1 attributes]"}
        })
    );
}

#[test]
fn entries_carry_their_attributes() {
    let result = call("logs", json!({"pattern": "pool"}));
    assert_eq!(
        data(&result)["entries"][0],
        json!({
            "timestamp": "2026-11-25T11:50:00Z",
            "service": "checkout",
            "level": "error",
            "message": "Connection pool exhausted",
            "attributes": {"pool": "orders-db", "waiting": 42}
        })
    );
}

#[test]
fn output_snapshot() {
    let result = call("logs", json!({"service": "checkout", "limit": 3}));
    insta::with_settings!({snapshot_path => "../../snapshots"}, {
        insta::assert_json_snapshot!("logs_output", result);
    });
}

#[test]
fn execute_called_directly_still_checks_and_clamps() {
    use crate::error::ToolExecutionError;
    use crate::params::ValidatedParams;
    use crate::tool::Tool;
    use crate::tools::LogsTool;
    use crate::tools::fixture::{context, source};

    let params = |value: Value| ValidatedParams::unchecked(value.as_object().unwrap().clone());
    let reversed = params(json!({"start": "2026-11-25T11:50:00Z", "end": "2026-11-25T11:40:00Z"}));
    let error = LogsTool::new()
        .execute(&reversed, &context(), &source())
        .unwrap_err();
    assert!(
        matches!(error, ToolExecutionError::InvalidParameters(ref errors) if errors[0].parameter.as_deref() == Some("start"))
    );
    let future = params(
        json!({"start": "2026-11-25T11:59:00Z", "end": "2026-11-26T00:00:00Z", "min_level": "debug"}),
    );
    let output = LogsTool::new()
        .execute(&future, &context(), &source())
        .unwrap();
    assert_eq!(
        messages(output.data()),
        vec!["request timeout after 2000ms"]
    );
}
