use std::path::PathBuf;

use serde_json::json;

use super::*;
use crate::rows::{EvalStatus, NewEval, NewRun, RunFilter};

fn scratch(name: &str) -> PathBuf {
    let directory = std::env::temp_dir()
        .join(format!("oncall-store-{}", std::process::id()))
        .join(name);
    let _ = std::fs::remove_dir_all(&directory);
    std::fs::create_dir_all(&directory).unwrap();
    directory.join("results.db")
}

fn eval(id: &str, started_at: &str) -> NewEval {
    NewEval {
        id: id.to_owned(),
        agent: "heuristic".to_owned(),
        model: None,
        settings: json!({"trials": 2, "seed": 0}),
        started_at: started_at.to_owned(),
        status: EvalStatus::Running,
    }
}

const AUDIT: &[u8] = b"{\"seq\":0}\n{\"seq\":1}\n{\"seq\":2}\n";

fn run<'a>(
    eval_id: Option<&'a str>,
    run_id: &'a str,
    scenario: &'a str,
    trial: u32,
    passed: bool,
) -> NewRun<'a> {
    NewRun {
        eval_id,
        run_id,
        scenario,
        trial,
        seed: u64::MAX - 1,
        agent: "heuristic",
        status: "completed",
        termination: Some("mitigation_proposed"),
        steps: 5,
        score: if passed { 0.9 } else { 0.2 },
        passed,
        tokens: None,
        cost_usd: None,
        wall_time_ms: 1.5,
        record: "{\"line\":1}",
        evaluation: "{\"total\":0.9}",
        audit: Some(AUDIT),
    }
}

#[test]
fn a_run_and_its_lines_come_back_byte_for_byte() {
    let path = scratch("round_trip");
    let mut store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    store
        .create_eval(&eval(
            "aaaa1111-0000-4000-8000-000000000000",
            "2026-11-30T10:00:00Z",
        ))
        .unwrap();
    store
        .record_run(
            &run(
                Some("aaaa1111-0000-4000-8000-000000000000"),
                "12345678-aaaa-4bbb-8ccc-000000000001",
                "latency_spike",
                0,
                true,
            ),
            "2026-11-30T10:00:01Z",
        )
        .unwrap();
    let row = store.run("1234", None).unwrap();
    assert_eq!(row.seed, u64::MAX - 1);
    assert_eq!(row.event_count, 3);
    assert_eq!(
        row.head_hash.as_deref(),
        Some(oncall_audit::sha256_hex(b"{\"seq\":2}\n").as_str())
    );
    assert_eq!(store.audit_log(&row).unwrap().unwrap(), AUDIT);
    let evals = store.evals().unwrap();
    assert_eq!(evals.len(), 1);
    assert_eq!(
        (evals[0].runs, evals[0].passed, evals[0].mean_score),
        (1, 1, 0.9)
    );
    assert_eq!(evals[0].cost_usd, None);
    store
        .finish_eval(
            "aaaa1111-0000-4000-8000-000000000000",
            EvalStatus::Completed,
            "2026-11-30T10:01:00Z",
        )
        .unwrap();
    drop(store);
    // Reopening changes nothing and migrates nothing.
    let store = Store::open(&path).unwrap();
    let eval = store.eval("AAAA").unwrap();
    assert_eq!(eval.status, EvalStatus::Completed);
    assert_eq!(eval.finished_at.as_deref(), Some("2026-11-30T10:01:00Z"));
    assert_eq!(
        store.recorded_pairs(&eval.id).unwrap(),
        vec![("latency_spike".to_owned(), 0)]
    );
}

#[test]
fn a_pair_is_recorded_once_per_eval_and_a_refused_run_leaves_nothing() {
    let path = scratch("unique");
    let mut store = Store::open(&path).unwrap();
    let id = "bbbb2222-0000-4000-8000-000000000000";
    store
        .create_eval(&eval(id, "2026-11-30T10:00:00Z"))
        .unwrap();
    store
        .record_run(
            &run(
                Some(id),
                "11111111-0000-4000-8000-000000000000",
                "s",
                0,
                true,
            ),
            "t",
        )
        .unwrap();
    let error = store
        .record_run(
            &run(
                Some(id),
                "22222222-0000-4000-8000-000000000000",
                "s",
                0,
                false,
            ),
            "t",
        )
        .unwrap_err();
    assert!(
        matches!(error, StoreError::DuplicateTrial { trial: 0, .. }),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .contains("already holds trial 0 of scenario `s`")
    );
    assert_eq!(store.runs(&RunFilter::default()).unwrap().len(), 1);
    // A run for an eval that does not exist is refused whole: no events
    // are left behind.
    let orphan = run(
        Some("cccc0000-0000-4000-8000-000000000000"),
        "33333333-0000-4000-8000-000000000000",
        "s",
        1,
        true,
    );
    assert!(store.record_run(&orphan, "t").is_err());
    let events: i64 = store
        .connection
        .query_row("SELECT COUNT(*) FROM events", [], |row| row.get(0))
        .unwrap();
    assert_eq!(events, 3);
}

#[test]
fn ids_are_found_by_unique_prefix() {
    let path = scratch("prefix");
    let mut store = Store::open(&path).unwrap();
    for (index, id) in [
        "dddd0001-0000-4000-8000-000000000000",
        "dddd0002-0000-4000-8000-000000000000",
    ]
    .into_iter()
    .enumerate()
    {
        store
            .create_eval(&eval(id, &format!("2026-11-30T10:0{index}:00Z")))
            .unwrap();
        // The same run id in both evals: runs derive their ids from the seed.
        store
            .record_run(
                &run(
                    Some(id),
                    "44444444-0000-4000-8000-000000000000",
                    "s",
                    0,
                    true,
                ),
                "t",
            )
            .unwrap();
    }
    assert!(matches!(
        store.eval("dddd0001").unwrap().id.as_str(),
        "dddd0001-0000-4000-8000-000000000000"
    ));
    let error = store.eval("dddd").unwrap_err().to_string();
    assert!(error.contains("`dddd` names 2 evals"), "{error}");
    let error = store.run("4444", None).unwrap_err().to_string();
    assert!(
        error.contains("names 2 runs") && error.contains("(eval dddd0001)"),
        "{error}"
    );
    let run = store
        .run("4444", Some("dddd0002-0000-4000-8000-000000000000"))
        .unwrap();
    assert_eq!(
        run.eval_id.as_deref(),
        Some("dddd0002-0000-4000-8000-000000000000")
    );
    assert!(
        store
            .eval("ffff")
            .unwrap_err()
            .to_string()
            .contains("no eval")
    );
    for bad in ["", "xyz", "12'; DROP TABLE runs; --", &"a".repeat(37)] {
        assert!(
            matches!(store.run(bad, None), Err(StoreError::BadPrefix { .. })),
            "{bad}"
        );
    }
    assert_eq!(
        store.evals().unwrap()[0].id,
        "dddd0002-0000-4000-8000-000000000000",
        "newest first"
    );
    let filtered = store
        .runs(&RunFilter {
            scenario: Some("s".to_owned()),
            agent: Some("heuristic".to_owned()),
            limit: 1,
            ..RunFilter::default()
        })
        .unwrap();
    assert_eq!(filtered.len(), 1);
}

#[test]
fn files_that_are_not_stores_or_are_too_new_are_refused_and_left_alone() {
    let path = scratch("bad");
    std::fs::write(&path, b"this is not a database, just some text long enough to have a header page....................................").unwrap();
    let before = std::fs::read(&path).unwrap();
    let error = Store::open(&path).unwrap_err().to_string();
    assert!(error.contains("not a SQLite database"), "{error}");
    assert_eq!(std::fs::read(&path).unwrap(), before);

    let path = scratch("too_new");
    drop(Store::open(&path).unwrap());
    let connection = Connection::open(&path).unwrap();
    connection
        .execute("UPDATE schema_version SET version = 99", [])
        .unwrap();
    drop(connection);
    let error = Store::open(&path).unwrap_err().to_string();
    assert!(
        error.contains("schema version 99, newer than this oncall-gym knows (1)"),
        "{error}"
    );

    let path = scratch("dir").with_file_name("");
    let error = Store::open(&path).unwrap_err().to_string();
    assert!(error.contains("could not be opened"), "{error}");
}

#[test]
fn a_store_held_by_another_writer_is_reported_as_locked() {
    let path = scratch("locked");
    let mut store = Store::open(&path).unwrap();
    store
        .connection
        .busy_timeout(std::time::Duration::from_millis(50))
        .unwrap();
    let other = Connection::open(&path).unwrap();
    other
        .execute_batch("BEGIN IMMEDIATE; INSERT INTO schema_version (version) VALUES (1);")
        .unwrap();
    let error = store
        .create_eval(&eval("eeee0000-0000-4000-8000-000000000000", "t"))
        .unwrap_err();
    assert!(matches!(error, StoreError::Locked { .. }), "{error}");
    other.execute_batch("ROLLBACK").unwrap();
    store
        .create_eval(&eval("eeee0000-0000-4000-8000-000000000000", "t"))
        .unwrap();
}
