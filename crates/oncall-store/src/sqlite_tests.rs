//! What only the SQLite store does: refuse a file that is not a database,
//! refuse a newer schema, and report a lock.

use std::path::PathBuf;

use serde_json::json;

use super::*;
use crate::rows::{EvalStatus, NewEval};
use crate::schema::{SCHEMA_VERSION, SQLITE_MIGRATIONS};

fn scratch(name: &str) -> PathBuf {
    let directory = std::env::temp_dir()
        .join(format!("oncall-store-sqlite-{}", std::process::id()))
        .join(name);
    let _ = std::fs::remove_dir_all(&directory);
    std::fs::create_dir_all(&directory).unwrap();
    directory.join("results.db")
}

fn eval(id: &str) -> NewEval {
    NewEval {
        id: id.to_owned(),
        agent: "heuristic".to_owned(),
        model: None,
        settings: json!({}),
        started_at: "2026-11-30T10:00:00Z".to_owned(),
        status: EvalStatus::Running,
    }
}

#[test]
fn files_that_are_not_stores_or_are_too_new_are_refused_and_left_alone() {
    let path = scratch("bad");
    std::fs::write(
        &path,
        "this is not a database, just some text long enough to have a header page. ".repeat(4),
    )
    .unwrap();
    let before = std::fs::read(&path).unwrap();
    let error = SqliteStore::open(&path).unwrap_err().to_string();
    assert!(error.contains("not a SQLite database"), "{error}");
    assert_eq!(std::fs::read(&path).unwrap(), before);

    let path = scratch("too_new");
    drop(SqliteStore::open(&path).unwrap());
    let connection = Connection::open(&path).unwrap();
    connection
        .execute("UPDATE schema_version SET version = 99", [])
        .unwrap();
    drop(connection);
    let error = SqliteStore::open(&path).unwrap_err().to_string();
    assert!(
        error.contains(&format!(
            "schema version 99, newer than this oncall-gym knows ({SCHEMA_VERSION})"
        )),
        "{error}"
    );

    let path = scratch("dir").with_file_name("");
    let error = SqliteStore::open(&path).unwrap_err().to_string();
    assert!(error.contains("could not be opened"), "{error}");
}

#[test]
fn a_store_held_by_another_writer_is_reported_as_locked() {
    let path = scratch("locked");
    let mut store = SqliteStore::open(&path).unwrap();
    store
        .connection
        .busy_timeout(std::time::Duration::from_millis(50))
        .unwrap();
    let other = Connection::open(&path).unwrap();
    other
        .execute_batch("BEGIN IMMEDIATE; INSERT INTO schema_version (version) VALUES (1);")
        .unwrap();
    let error = store
        .create_eval(&eval("eeee0000-0000-4000-8000-000000000000"))
        .unwrap_err();
    assert!(matches!(error, StoreError::Locked { .. }), "{error}");
    assert!(
        error.to_string().contains("is locked by another process"),
        "{error}"
    );
    other.execute_batch("ROLLBACK").unwrap();
    store
        .create_eval(&eval("eeee0000-0000-4000-8000-000000000000"))
        .unwrap();
}

#[test]
fn a_store_at_version_1_is_upgraded_and_keeps_its_evals() {
    let path = scratch("version_1");
    let connection = Connection::open(&path).unwrap();
    connection
        .execute_batch("CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (1);")
        .unwrap();
    connection.execute_batch(SQLITE_MIGRATIONS[0]).unwrap();
    connection
        .execute(
            "INSERT INTO evals (id, agent, settings, started_at, status) VALUES ('e1', 'heuristic', '{}', 'then', 'completed')",
            [],
        )
        .unwrap();
    drop(connection);
    let mut store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(store.evals().unwrap()[0].id, "e1");
    assert_eq!(store.queue_counts(None).unwrap().total(), 0);
}
