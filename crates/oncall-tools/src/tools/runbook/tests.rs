use serde_json::{Value, json};

use super::*;
use crate::context::ToolLimits;
use crate::source::InMemoryDataSource;
use crate::tools::fixture::{
    assert_problem, call, call_on, call_with, data, long_text, source, truncation_of,
};

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

fn long_runbook_source(steps: usize, step_chars: usize, list_items: usize) -> InMemoryDataSource {
    let names = |prefix: &str| {
        (0..list_items)
            .map(|i| format!("{prefix}-{i:02}"))
            .collect()
    };
    let runbook = Runbook::new(
        "rb-long",
        "A long runbook",
        (0..steps)
            .map(|i| format!("{i:02} {}", long_text(step_chars - 3)))
            .collect(),
    )
    .unwrap()
    .with_services(names("svc"))
    .unwrap()
    .with_keywords(names("kw"))
    .unwrap();
    InMemoryDataSource::new(Vec::new(), Vec::new(), Vec::new(), vec![runbook]).unwrap()
}

#[test]
fn fetching_by_id_under_the_caps_returns_the_runbook_as_it_is() {
    let result = call("runbook", json!({"runbook_id": "rb-rollback"}));
    assert_eq!(
        data(&result),
        &json!({"runbook": {
            "id": "rb-rollback",
            "title": "Roll back a bad deploy",
            "services": [],
            "keywords": ["deploy", "rollback"],
            "steps": ["Find the last deploy", "Roll it back and watch timeouts"]
        }})
    );
    assert_eq!(truncation_of(&result), None);
}

#[test]
fn fetching_a_long_runbook_keeps_the_default_caps_and_says_so() {
    let source = long_runbook_source(60, 1_010, 55);
    let result = call_on(
        &source,
        "runbook",
        json!({"runbook_id": "rb-long"}),
        ToolLimits::default(),
    );
    let data = data(&result);
    let steps = data["runbook"]["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 50);
    let first = steps[0].as_str().unwrap();
    assert!(first.starts_with("00 abc"), "{first}");
    assert!(first.ends_with("… [cut 10 chars]"), "{first}");
    assert_eq!(
        first.chars().count(),
        1_000 + "… [cut 10 chars]".chars().count()
    );
    assert!(steps[49].as_str().unwrap().starts_with("49 "));
    assert_eq!(truncation_of(&result), Some(("steps", 60, 50, 50)));
    assert_eq!(data["note"], json!("showing the first 50 of 60 steps"));
    let services = data["runbook"]["services"].as_array().unwrap();
    assert_eq!(services.len(), 51);
    assert_eq!(services[49], json!("svc-49"));
    assert_eq!(services[50], json!("… [cut 5 items]"));
    assert_eq!(data["runbook"]["keywords"][50], json!("… [cut 5 items]"));
}

#[test]
fn fetching_with_overridden_caps_cuts_steps_and_text() {
    let limits = ToolLimits::default()
        .with_max_runbook_steps(1)
        .unwrap()
        .with_max_field_chars(4)
        .unwrap()
        .with_max_list_items(1)
        .unwrap();
    let result = call_with("runbook", json!({"runbook_id": "rb-pool"}), limits);
    assert_eq!(
        data(&result),
        &json!({
            "runbook": {
                "id": "rb-p… [cut 3 chars]",
                "title": "Conn… [cut 21 chars]",
                "services": ["chec… [cut 4 chars]"],
                "keywords": ["conn… [cut 11 chars]", "… [cut 1 items]"],
                "steps": ["Chec… [cut 39 chars]"]
            },
            "note": "showing the first 1 of 2 steps"
        })
    );
    assert_eq!(truncation_of(&result), Some(("steps", 2, 1, 1)));
    let two = ToolLimits::default().with_max_runbook_steps(2).unwrap();
    let exact = call_with("runbook", json!({"runbook_id": "rb-pool"}), two);
    assert_eq!(truncation_of(&exact), None);
    assert!(data(&exact).get("note").is_none());
}

#[test]
fn search_results_cut_text_lists_and_reasons() {
    let source = long_runbook_source(1, 20, 55);
    let defaults = call_on(&source, "runbook", json!({}), ToolLimits::default());
    let result = &data(&defaults)["results"][0];
    assert_eq!(result["services"].as_array().unwrap().len(), 51);
    assert_eq!(result["keywords"][50], json!("… [cut 5 items]"));
    assert!(result.get("steps").is_none());
    let limits = ToolLimits::default()
        .with_max_field_chars(6)
        .unwrap()
        .with_max_list_items(1)
        .unwrap();
    let cut = call_with(
        "runbook",
        json!({"service": "checkout", "keywords": "pool"}),
        limits,
    );
    assert_eq!(
        data(&cut)["results"][0],
        json!({
            "id": "rb-poo… [cut 1 chars]",
            "title": "Connec… [cut 19 chars]",
            "services": ["checko… [cut 2 chars]"],
            "keywords": ["connec… [cut 9 chars]", "… [cut 1 items]"],
            "score": 8,
            "reasons": ["servic… [cut 12 chars]", "keywor… [cut 8 chars]"]
        })
    );
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
