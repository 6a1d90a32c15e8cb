use insta::assert_json_snapshot;
use serde_json::{Value, json};

use crate::context::ToolLimits;
use crate::records::ServiceCatalogue;
use crate::source::InMemoryDataSource;
use crate::tools::fixture::{
    assert_problem, call, call_on, data, long_text, source, truncation_of,
};

fn catalogue() -> ServiceCatalogue {
    serde_json::from_value(json!({
        "services": [
            {"name": "checkout", "team": "shop", "depends_on": ["db", "payco"], "hosts": ["checkout-1", "checkout-2"],
             "datastores": ["db"], "description": "takes orders"},
            {"name": "db", "team": "data", "hosts": ["db-1"]},
            {"name": "payments", "team": "shop", "depends_on": ["payco"]}
        ],
        "providers": [{"name": "payco", "used_by": ["payments", "checkout"], "contact": "support@payco.example"}],
        "teams": [{"name": "shop", "contact": "#shop"}, {"name": "data", "aliases": ["the database team"]}],
        "feature_flags": [{"name": "checkout.fast_path", "service": "checkout", "team": "shop"}],
        "jobs": [{"name": "db-vacuum", "service": "db", "team": "data", "schedule": "daily 03:00"}]
    }))
    .unwrap()
}

fn with_catalogue() -> InMemoryDataSource {
    source().with_catalogue(catalogue())
}

fn names(data: &Value, section: &str) -> Vec<String> {
    data[section]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn the_whole_catalogue_comes_back_by_section() {
    let result = call_on(
        &with_catalogue(),
        "services",
        json!({}),
        ToolLimits::default(),
    );
    insta::with_settings!({snapshot_path => "../../snapshots"}, {
        assert_json_snapshot!("services_output", data(&result));
    });
    assert!(result.truncation().is_none());
}

#[test]
fn a_name_narrows_to_what_is_or_mentions_it() {
    let result = call_on(
        &with_catalogue(),
        "services",
        json!({"name": "PAYCO"}),
        ToolLimits::default(),
    );
    let data = data(&result);
    assert_eq!(names(data, "services"), vec!["checkout", "payments"]);
    assert_eq!(names(data, "providers"), vec!["payco"]);
    assert_eq!(names(data, "teams"), Vec::<String>::new());
    assert_eq!(
        (data["matched"].as_u64(), data["returned"].as_u64()),
        (Some(3), Some(3))
    );
    let alias = call_on(
        &with_catalogue(),
        "services",
        json!({"name": "the database team"}),
        ToolLimits::default(),
    );
    assert_eq!(names(data_of(&alias), "teams"), vec!["data"]);
    let section = call_on(
        &with_catalogue(),
        "services",
        json!({"section": "jobs", "name": "db"}),
        ToolLimits::default(),
    );
    let section = data_of(&section);
    assert_eq!(names(section, "jobs"), vec!["db-vacuum"]);
    assert!(section.get("services").is_none(), "{section}");
}

fn data_of(result: &oncall_domain::ToolResult) -> &Value {
    data(result)
}

#[test]
fn output_is_bounded_and_says_so() {
    let limits = ToolLimits::default()
        .with_max_catalogue_entries(2)
        .unwrap()
        .with_max_list_items(1)
        .unwrap()
        .with_max_field_chars(8)
        .unwrap();
    let result = call_on(&with_catalogue(), "services", json!({}), limits);
    let data = data(&result);
    assert_eq!(names(data, "services"), vec!["checkout", "db"]);
    assert_eq!(
        data["services"][0]["hosts"],
        json!(["checkout… [cut 2 chars]", "… [cut 1 items]"])
    );
    assert_eq!(
        data["services"][0]["description"],
        json!("takes or… [cut 4 chars]")
    );
    assert_eq!(names(data, "teams"), Vec::<String>::new());
    assert_eq!(truncation_of(&result), Some(("entries", 8, 2, 2)));
    let long = long_text(1_500);
    let big: ServiceCatalogue = serde_json::from_value(json!({"teams": [{"name": long}]})).unwrap();
    let result = call_on(
        &source().with_catalogue(big),
        "services",
        json!({}),
        ToolLimits::default(),
    );
    assert!(
        data_of(&result)["teams"][0]["name"]
            .as_str()
            .unwrap()
            .ends_with("… [cut 500 chars]")
    );
}

#[test]
fn without_a_catalogue_the_services_with_telemetry_are_listed_and_noted() {
    let result = call("services", json!({}));
    let data = data(&result);
    assert_eq!(names(data, "services"), vec!["checkout", "db", "payments"]);
    assert!(
        data["note"]
            .as_str()
            .unwrap()
            .contains("no service catalogue")
    );
}

#[test]
fn bad_parameters_are_named() {
    assert_problem(
        &call("services", json!({"section": "pets"})),
        Some("section"),
        "must be one of",
    );
    assert_problem(
        &call("services", json!({"name": "  "})),
        Some("name"),
        "must not be empty",
    );
    assert_problem(
        &call("services", json!({"colour": 1})),
        Some("colour"),
        "unknown parameter",
    );
}
