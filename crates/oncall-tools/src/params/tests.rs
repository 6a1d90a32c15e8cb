use serde_json::json;

use super::*;
use crate::tools::LogsTool;
use crate::tools::MetricsTool;
use crate::tools::fixture::{assert_problem, call, context, problems};

fn validate(tool: &dyn Tool, params: Value) -> Result<ValidatedParams, Vec<ToolError>> {
    ValidatedParams::validate(tool, &params, &context())
}

#[test]
fn every_kind_of_schema_problem_is_reported_together() {
    let result = call(
        "logs",
        json!({
            "bogus": 1,
            "limit": "ten",
            "min_level": "verbose",
            "start": "yesterday at noon",
            "last_minutes": 0,
            "regex": "yes"
        }),
    );
    assert_eq!(problems(&result).len(), 6, "{:#?}", problems(&result));
    assert_problem(
        &result,
        Some("bogus"),
        "unknown parameter; the parameters are: service, min_level, start, end, last_minutes, pattern, regex, limit",
    );
    assert_problem(
        &result,
        Some("limit"),
        "expected an integer, got a string `ten`",
    );
    assert_problem(
        &result,
        Some("min_level"),
        "must be one of: debug, info, warn, error, fatal; got `verbose`",
    );
    assert_problem(
        &result,
        Some("start"),
        "`yesterday at noon` is not an RFC 3339 timestamp",
    );
    assert_problem(&result, Some("last_minutes"), "must be at least 1, got 0");
    assert_problem(
        &result,
        Some("regex"),
        "expected a boolean (true or false), got a string `yes`",
    );
}

#[test]
fn semantic_problems_are_reported_together_with_schema_problems() {
    let result = call(
        "logs",
        json!({
            "start": "2026-11-25T11:50:00Z",
            "end": "2026-11-25T11:40:00Z",
            "pattern": "(unclosed",
            "regex": true,
            "limit": 500,
            "service": 7
        }),
    );
    assert_eq!(problems(&result).len(), 4, "{:#?}", problems(&result));
    assert_problem(
        &result,
        Some("start"),
        "`start` (2026-11-25T11:50:00Z) is after `end` (2026-11-25T11:40:00Z)",
    );
    assert_problem(
        &result,
        Some("pattern"),
        "is not a valid regex: regex parse error",
    );
    assert_problem(&result, Some("pattern"), "unclosed group");
    assert_problem(
        &result,
        Some("limit"),
        "must be at most 200 (the cap on log entries per call), got 500",
    );
    assert_problem(
        &result,
        Some("service"),
        "expected a string, got a number `7`",
    );
}

#[test]
fn window_forms_cannot_be_mixed_and_start_cannot_follow_now() {
    let result = call(
        "deploys",
        json!({"last_minutes": 30, "start": "2026-11-25T12:30:00Z"}),
    );
    assert_problem(
        &result,
        Some("last_minutes"),
        "give either `last_minutes` or `start`/`end`, not both",
    );
    assert_problem(
        &result,
        Some("start"),
        "is after the incident time (2026-11-25T12:00:00Z)",
    );
}

#[test]
fn missing_and_null_required_parameters_are_errors() {
    assert_problem(
        &call("metrics", json!({})),
        Some("service"),
        "missing required parameter",
    );
    assert_problem(
        &call("metrics", json!({"service": null})),
        Some("service"),
        "is required and must not be null",
    );
}

#[test]
fn numbers_out_of_range_name_the_bound() {
    let result = call(
        "metrics",
        json!({"service": "checkout", "last_minutes": 999_999, "bucket_seconds": 0}),
    );
    assert_problem(
        &result,
        Some("last_minutes"),
        "must be at most 10080, got 999999",
    );
    assert_problem(&result, Some("bucket_seconds"), "must be at least 1, got 0");
    let huge = call("logs", json!({"limit": 18_446_744_073_709_551_615u64}));
    assert_problem(
        &huge,
        Some("limit"),
        "is out of range, got 18446744073709551615",
    );
    let float = call("logs", json!({"limit": 1e300}));
    assert_problem(&float, Some("limit"), "is out of range");
    let fraction = call("logs", json!({"limit": 2.5}));
    assert_problem(
        &fraction,
        Some("limit"),
        "expected an integer, got a number `2.5`",
    );
}

#[test]
fn patterns_over_the_length_cap_or_the_regex_limits_are_rejected() {
    let long = "a".repeat(257);
    assert_problem(
        &call("logs", json!({"pattern": long})),
        Some("pattern"),
        "is 257 characters long; at most 256 are allowed",
    );
    let nested = format!("{}a{}", "(".repeat(60), ")".repeat(60));
    assert_problem(
        &call("logs", json!({"pattern": nested, "regex": true})),
        Some("pattern"),
        "exceed the maximum number of nested parentheses/brackets (50)",
    );
    assert_problem(
        &call(
            "logs",
            json!({"pattern": r"(\w{1000}){1000}", "regex": true}),
        ),
        Some("pattern"),
        "size limit",
    );
    // As plain text, regex syntax is just characters.
    assert!(call("logs", json!({"pattern": "(unclosed"})).is_success());
}

#[test]
fn defaults_apply_when_left_out_or_null() {
    let logs = LogsTool::new();
    for params in [
        json!({}),
        json!({"min_level": null, "regex": null, "limit": null}),
    ] {
        let validated = validate(&logs, params).unwrap();
        assert_eq!(validated.string("min_level"), Some("info"));
        assert_eq!(validated.boolean("regex"), Some(false));
        assert_eq!(validated.get("limit"), None);
    }
    let metrics = MetricsTool::new();
    let validated = validate(&metrics, json!({"service": "checkout"})).unwrap();
    assert_eq!(validated.string("aggregation"), Some("raw"));
    assert_eq!(validated.integer("bucket_seconds"), Some(60));
    let given = validate(
        &metrics,
        json!({"service": "checkout", "bucket_seconds": 5}),
    )
    .unwrap();
    assert_eq!(given.integer("bucket_seconds"), Some(5));
}

#[test]
fn enums_match_case_insensitively_and_integers_may_be_whole_floats() {
    let validated = validate(
        &LogsTool::new(),
        json!({"min_level": " ERROR ", "limit": 5.0}),
    )
    .unwrap();
    assert_eq!(validated.string("min_level"), Some("error"));
    assert_eq!(validated.integer("limit"), Some(5));
}

#[test]
fn parameters_must_be_an_object_but_null_means_none() {
    let result = call("logs", json!([1, 2]));
    assert_eq!(
        problems(&result),
        vec![(
            None,
            "parameters must be a JSON object, got an array `[1,2]`".to_owned()
        )]
    );
    assert!(call("logs", Value::Null).is_success());
    assert_problem(&call("logs", json!("x".repeat(500))), None, "got a string");
    assert!(problems(&call("logs", json!("x".repeat(500))))[0].1.len() < 200);
}

#[test]
fn the_number_of_reported_problems_is_capped() {
    let many: Map<String, Value> = (0..30).map(|i| (format!("p{i}"), json!(i))).collect();
    let result = call("logs", Value::Object(many));
    let listed = problems(&result);
    assert_eq!(listed.len(), MAX_REPORTED_ERRORS + 1);
    assert_eq!(
        listed.last().unwrap(),
        &(None, "and 10 more problems".to_owned())
    );
    let long_name = call("logs", json!({ "n".repeat(1000): 1 }));
    let (name, _) = &problems(&long_name)[0];
    assert_eq!(name.as_ref().unwrap().chars().count(), 65);
}

#[test]
fn timestamps_read_back_in_utc() {
    let validated = ValidatedParams::unchecked(
        json!({"start": "2026-11-25T13:00:00+01:00", "end": 5})
            .as_object()
            .unwrap()
            .clone(),
    );
    assert_eq!(
        validated.timestamp("start").unwrap(),
        Some(crate::tools::fixture::now())
    );
    assert_eq!(validated.timestamp("missing").unwrap(), None);
    assert!(validated.timestamp("end").is_err());
}
