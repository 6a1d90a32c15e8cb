use serde_json::{Value, json};

use crate::context::ToolLimits;
use crate::records::Deploy;
use crate::source::InMemoryDataSource;
use crate::tools::fixture::{
    assert_problem, at, call, call_on, call_with, data, long_text, truncation_of,
};

fn ids(data: &Value) -> Vec<&str> {
    data["deploys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|deploy| deploy["id"].as_str().unwrap())
        .collect()
}

#[test]
fn the_default_window_is_one_day_newest_first_and_nothing_after_now() {
    let result = call("deploys", json!({}));
    let data = data(&result);
    // d-0 is 26 hours old, d-4 comes after now.
    assert_eq!(ids(data), vec!["d-1", "d-2", "d-3"]);
    assert_eq!(data["window"]["start"], json!("2026-11-24T12:00:00Z"));
    assert_eq!(
        data["deploys"][0]["change_summary"],
        json!("connection pool size 50 -> 5")
    );
    assert_eq!(data["deploys"][2]["status"], json!("rolled_back"));
}

#[test]
fn window_edges_are_inclusive_and_the_end_is_clamped() {
    let edges = call(
        "deploys",
        json!({"start": "2026-11-25T11:10:00Z", "end": "2026-11-25T11:40:00Z"}),
    );
    assert_eq!(ids(data(&edges)), vec!["d-1", "d-2"]);
    let just_inside = call(
        "deploys",
        json!({"start": "2026-11-25T11:10:00.001Z", "end": "2026-11-25T11:39:59Z"}),
    );
    assert_eq!(ids(data(&just_inside)), Vec::<&str>::new());
    let future = call(
        "deploys",
        json!({"start": "2026-11-25T11:00:00Z", "end": "2026-11-26T00:00:00Z"}),
    );
    assert_eq!(ids(data(&future)), vec!["d-1", "d-2"]);
}

#[test]
fn service_filter_limit_and_truncation() {
    let checkout = call(
        "deploys",
        json!({"service": "checkout", "last_minutes": 10_080}),
    );
    assert_eq!(ids(data(&checkout)), vec!["d-1", "d-0"]);
    let limited = call("deploys", json!({"limit": 1}));
    assert_eq!(ids(data(&limited)), vec!["d-1"]);
    let truncation = limited.truncation().unwrap();
    assert_eq!((truncation.matched, truncation.returned), (3, 1));
    let capped = call_with(
        "deploys",
        json!({"limit": 2}),
        ToolLimits::default().with_max_deploys(1).unwrap(),
    );
    assert_problem(
        &capped,
        Some("limit"),
        "must be at most 1 (the cap on deploys per call), got 2",
    );
}

#[test]
fn long_text_is_cut_to_the_default_field_cap() {
    let summary = long_text(1_500);
    let deploy = Deploy::new("d-1", "api", "v2", at(11, 0))
        .unwrap()
        .with_previous_version(long_text(1_000))
        .unwrap()
        .with_author("ana")
        .with_change_summary(summary.clone());
    let source = InMemoryDataSource::new(Vec::new(), Vec::new(), vec![deploy], Vec::new()).unwrap();
    let result = call_on(&source, "deploys", json!({}), ToolLimits::default());
    let deploy = &data(&result)["deploys"][0];
    assert_eq!(
        deploy["change_summary"],
        json!(format!("{}… [cut 500 chars]", &summary[..1_000]))
    );
    assert_eq!(deploy["previous_version"], json!(long_text(1_000)));
    assert_eq!(deploy["author"], json!("ana"));
    assert_eq!(truncation_of(&result), None);
}

#[test]
fn the_field_cap_can_be_overridden_through_the_context() {
    let limits = ToolLimits::default().with_max_field_chars(3).unwrap();
    let result = call_with("deploys", json!({"limit": 1}), limits);
    assert_eq!(
        data(&result)["deploys"][0],
        json!({
            "id": "d-1",
            "service": "che… [cut 5 chars]",
            "version": "v41",
            "previous_version": "v40",
            "deployed_at": "2026-11-25T11:40:00Z",
            "author": "ana",
            "change_summary": "con… [cut 25 chars]",
            "status": "succeeded"
        })
    );
}

#[test]
fn output_snapshot() {
    let result = call(
        "deploys",
        json!({"service": "checkout", "last_minutes": 120}),
    );
    insta::with_settings!({snapshot_path => "../../snapshots"}, {
        insta::assert_json_snapshot!("deploys_output", result);
    });
}
