use serde_json::json;

use crate::context::ToolLimits;
use crate::records::{MetricPoint, MetricSeries};
use crate::source::InMemoryDataSource;
use crate::tools::fixture::{
    assert_problem, at, call, call_on, call_with, data, long_text, truncation_of,
};

#[test]
fn without_a_metric_name_the_service_metrics_are_listed() {
    let result = call("metrics", json!({"service": "checkout"}));
    assert_eq!(
        data(&result),
        &json!({
            "service": "checkout",
            "window": {"start": "2026-11-25T11:00:00Z", "end": "2026-11-25T12:00:00Z"},
            "metrics": [
                {"name": "error_rate", "unit": "ratio", "points_in_window": 3},
                {"name": "latency_p99_ms", "unit": "ms", "points_in_window": 61}
            ]
        })
    );
}

#[test]
fn the_listing_is_capped_by_default_and_says_so() {
    let series: Vec<MetricSeries> = (0..101)
        .map(|i| {
            let point = MetricPoint::new(at(11, 30), 1.0).unwrap();
            MetricSeries::new("api", format!("m{i:03}"), "count", vec![point]).unwrap()
        })
        .collect();
    let source = InMemoryDataSource::new(Vec::new(), series, Vec::new(), Vec::new()).unwrap();
    let result = call_on(
        &source,
        "metrics",
        json!({"service": "api"}),
        ToolLimits::default(),
    );
    let metrics = data(&result)["metrics"].as_array().unwrap();
    assert_eq!(metrics.len(), 100);
    assert_eq!(metrics[99]["name"], json!("m099"));
    assert_eq!(truncation_of(&result), Some(("metrics", 101, 100, 100)));
}

#[test]
fn the_listing_cap_can_be_overridden_through_the_context() {
    let limits = ToolLimits::default().with_max_metrics_listed(1).unwrap();
    let result = call_with("metrics", json!({"service": "checkout"}), limits.clone());
    assert_eq!(
        data(&result)["metrics"],
        json!([{"name": "error_rate", "unit": "ratio", "points_in_window": 3}])
    );
    assert_eq!(truncation_of(&result), Some(("metrics", 2, 1, 1)));
    let two = limits.with_max_metrics_listed(2).unwrap();
    assert_eq!(
        truncation_of(&call_with("metrics", json!({"service": "checkout"}), two)),
        None
    );
}

#[test]
fn names_and_units_are_cut_to_the_field_cap() {
    let point = MetricPoint::new(at(11, 30), 1.0).unwrap();
    let name = long_text(1_001);
    let series = MetricSeries::new("api", name.clone(), long_text(1_000), vec![point]).unwrap();
    let source = InMemoryDataSource::new(Vec::new(), vec![series], Vec::new(), Vec::new()).unwrap();
    let listing = call_on(
        &source,
        "metrics",
        json!({"service": "api"}),
        ToolLimits::default(),
    );
    let listed = &data(&listing)["metrics"][0];
    let cut_name = format!("{}… [cut 1 chars]", &name[..1_000]);
    assert_eq!(listed["name"], json!(cut_name));
    assert_eq!(listed["unit"], json!(long_text(1_000)));
    let read = call_on(
        &source,
        "metrics",
        json!({"service": "api", "metric": name}),
        ToolLimits::default().with_max_field_chars(2).unwrap(),
    );
    let data = data(&read);
    assert_eq!(
        (&data["service"], &data["metric"], &data["unit"]),
        (
            &json!("ap… [cut 1 chars]"),
            &json!("ab… [cut 999 chars]"),
            &json!("ab… [cut 998 chars]")
        )
    );
    assert_eq!(data["points"][0]["value"], json!(1.0));
}

#[test]
fn raw_points_cover_the_window_edges_and_nothing_after_now() {
    let result = call(
        "metrics",
        json!({"service": "checkout", "metric": "latency_p99_ms"}),
    );
    let data = data(&result);
    let points = data["points"].as_array().unwrap();
    assert_eq!(points.len(), 61);
    assert_eq!(
        points[0],
        json!({"timestamp": "2026-11-25T11:00:00Z", "value": 100.0})
    );
    assert_eq!(
        points[60],
        json!({"timestamp": "2026-11-25T12:00:00Z", "value": 2010.0})
    );
    assert!(!data.to_string().contains("99999"));
    assert_eq!(
        (data["matched"].clone(), data["returned"].clone()),
        (json!(61), json!(61))
    );
    let edges = call(
        "metrics",
        json!({"service": "checkout", "metric": "error_rate", "start": "2026-11-25T11:40:00Z", "end": "2026-11-25T11:50:00Z"}),
    );
    assert_eq!(crate::tools::fixture::data(&edges)["matched"], json!(2));
    let future = call(
        "metrics",
        json!({"service": "checkout", "metric": "error_rate", "start": "2026-11-25T11:45:00Z", "end": "2026-11-25T12:30:00Z"}),
    );
    let future = crate::tools::fixture::data(&future);
    assert_eq!(future["window"]["end"], json!("2026-11-25T12:00:00Z"));
    assert_eq!(future["matched"], json!(2));
}

#[test]
fn long_series_are_thinned_evenly_keeping_first_and_last() {
    let limits = ToolLimits::default().with_max_metric_points(10).unwrap();
    let result = call_with(
        "metrics",
        json!({"service": "checkout", "metric": "latency_p99_ms"}),
        limits,
    );
    let data = data(&result);
    let times: Vec<&str> = data["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|point| &point["timestamp"].as_str().unwrap()[11..16])
        .collect();
    assert_eq!(
        times,
        vec![
            "11:00", "11:06", "11:13", "11:20", "11:26", "11:33", "11:40", "11:46", "11:53",
            "12:00"
        ]
    );
    let truncation = result.truncation().unwrap();
    assert_eq!(
        (
            truncation.items.as_str(),
            truncation.matched,
            truncation.returned,
            truncation.limit
        ),
        ("points", 61, 10, 10)
    );
}

#[test]
fn buckets_give_min_max_avg_p95_and_count() {
    let result = call(
        "metrics",
        json!({"service": "checkout", "metric": "latency_p99_ms", "aggregation": "buckets",
               "bucket_seconds": 600, "start": "2026-11-25T11:40:00Z", "end": "2026-11-25T11:50:00Z"}),
    );
    let data = data(&result);
    assert_eq!(data["points_matched"], json!(11));
    assert_eq!(
        data["buckets"],
        json!([
            {"start": "2026-11-25T11:40:00Z", "count": 10, "min": 100.0, "max": 104.0, "avg": 102.0, "p95": 104.0},
            {"start": "2026-11-25T11:50:00Z", "count": 1, "min": 2000.0, "max": 2000.0, "avg": 2000.0, "p95": 2000.0}
        ])
    );
    let last = call(
        "metrics",
        json!({"service": "checkout", "metric": "latency_p99_ms", "aggregation": "BUCKETS",
               "bucket_seconds": 300, "last_minutes": 10}),
    );
    let buckets = crate::tools::fixture::data(&last)["buckets"].clone();
    let summary: Vec<(String, u64, f64)> = buckets
        .as_array()
        .unwrap()
        .iter()
        .map(|bucket| {
            (
                bucket["start"].as_str().unwrap()[11..16].to_owned(),
                bucket["count"].as_u64().unwrap(),
                bucket["avg"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("11:50".to_owned(), 5, 2002.0),
            ("11:55".to_owned(), 5, 2007.0),
            ("12:00".to_owned(), 1, 2010.0)
        ]
    );
    assert!(last.truncation().is_none());
}

#[test]
fn too_many_buckets_widen_the_bucket_and_say_so() {
    let result = call(
        "metrics",
        json!({"service": "checkout", "metric": "latency_p99_ms", "aggregation": "buckets",
               "bucket_seconds": 1, "last_minutes": 10_080}),
    );
    let data = data(&result);
    assert_eq!(data["bucket_seconds"], json!(1210));
    assert_eq!(data["requested_bucket_seconds"], json!(1));
    let truncation = result.truncation().unwrap();
    assert_eq!(
        (
            truncation.items.as_str(),
            truncation.matched,
            truncation.returned,
            truncation.limit
        ),
        ("buckets", 604_801, 500, 500)
    );
}

#[test]
fn unknown_metrics_list_what_the_service_has_and_names_match_case_insensitively() {
    let unknown = call("metrics", json!({"service": "checkout", "metric": "cpu"}));
    assert_problem(
        &unknown,
        Some("metric"),
        "service `checkout` has no metric `cpu`; its metrics: error_rate, latency_p99_ms",
    );
    let loose = call(
        "metrics",
        json!({"service": "DB", "metric": "Connections", "last_minutes": 30}),
    );
    assert_eq!(data(&loose)["metric"], json!("connections"));
    assert_eq!(data(&loose)["unit"], json!("count"));
}

#[test]
fn output_snapshot() {
    let result = call(
        "metrics",
        json!({"service": "checkout", "metric": "error_rate", "aggregation": "buckets", "bucket_seconds": 900}),
    );
    insta::with_settings!({snapshot_path => "../../snapshots"}, {
        insta::assert_json_snapshot!("metrics_buckets_output", result);
    });
}
