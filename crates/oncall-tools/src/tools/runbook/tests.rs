use serde_json::{Value, json};

use super::*;
use crate::context::ToolLimits;
use crate::tools::fixture::{assert_problem, call, call_with, data, source};

fn ranking(data: &Value) -> Vec<(&str, u64)> {
    data["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|result| {
            (
                result["id"].as_str().unwrap(),
                result["score"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn search_ranks_by_service_and_keywords_with_reasons() {
    let result = call(
        "runbook",
        json!({"service": "checkout", "keywords": "connection pool, timeout"}),
    );
    let data = data(&result);
    // rb-pool: service 5 + keywords connection 3, pool 3, timeout(s) 3.
    // rb-rollback: any service 1 + "timeouts" in a step 1.
    // rb-db: keyword "connections" 3.
    assert_eq!(
        ranking(data),
        vec![("rb-pool", 14), ("rb-db", 3), ("rb-rollback", 2)]
    );
    assert_eq!(
        data["results"][0]["reasons"],
        json!([
            "service `checkout`",
            "keyword `connection`",
            "keyword `pool`",
            "keyword `timeout`"
        ])
    );
    assert_eq!(
        data["results"][2]["reasons"],
        json!(["applies to any service", "a step mentions `timeout`"])
    );
    assert!(data["results"][0].get("steps").is_none());
}

#[test]
fn without_criteria_every_runbook_is_listed() {
    let result = call("runbook", json!({}));
    assert_eq!(
        ranking(data(&result)),
        vec![("rb-db", 0), ("rb-pool", 0), ("rb-rollback", 0)]
    );
    let nothing = call("runbook", json!({"keywords": "kernel panic"}));
    assert_eq!(ranking(data(&nothing)), Vec::<(&str, u64)>::new());
}

#[test]
fn titles_count_when_keywords_do_not() {
    let result = call("runbook", json!({"keywords": "database"}));
    assert_eq!(ranking(data(&result)), vec![("rb-db", 2)]);
    assert_eq!(
        data(&result)["results"][0]["reasons"],
        json!(["title mentions `database`"])
    );
}

#[test]
fn fetching_by_id_returns_the_steps() {
    let result = call("runbook", json!({"runbook_id": "RB-POOL"}));
    let runbook = &data(&result)["runbook"];
    assert_eq!(runbook["id"], json!("rb-pool"));
    assert_eq!(runbook["steps"].as_array().unwrap().len(), 2);
    assert_problem(
        &call("runbook", json!({"runbook_id": "rb-nope"})),
        Some("runbook_id"),
        "no runbook with id `rb-nope`; known ids: rb-db, rb-pool, rb-rollback",
    );
    assert_problem(
        &call(
            "runbook",
            json!({"runbook_id": "rb-pool", "keywords": "pool"}),
        ),
        Some("runbook_id"),
        "not both",
    );
}

#[test]
fn results_are_capped_and_say_so() {
    let result = call("runbook", json!({"limit": 2}));
    assert_eq!(data(&result)["returned"], json!(2));
    let truncation = result.truncation().unwrap();
    assert_eq!(
        (
            truncation.items.as_str(),
            truncation.matched,
            truncation.returned
        ),
        ("runbooks", 3, 2)
    );
    let capped = call_with(
        "runbook",
        json!({"limit": 3}),
        ToolLimits::default().with_max_runbook_results(2).unwrap(),
    );
    assert_problem(&capped, Some("limit"), "must be at most 2");
}

#[test]
fn tokens_are_lowercase_words_without_plural_s() {
    assert_eq!(
        tokens("Connection-pool, TIMEOUTS; db's is"),
        vec!["connection-pool", "timeout", "db", "s", "is"]
    );
    let source = source();
    let runbooks = source.runbooks().unwrap();
    let ranked = rank_runbooks(runbooks, Some("db"), "");
    assert_eq!(ranked[0].runbook.id(), "rb-db");
    assert_eq!(ranked[0].score, 5);
}

#[test]
fn output_snapshot() {
    let result = call(
        "runbook",
        json!({"service": "checkout", "keywords": "pool exhausted"}),
    );
    insta::with_settings!({snapshot_path => "../../snapshots"}, {
        insta::assert_json_snapshot!("runbook_search_output", result);
    });
}
