//! The store's contract, checked on SQLite always and on PostgreSQL when
//! `ONCALL_GYM_TEST_POSTGRES` holds a URL (`.ci/run` sets it). With `CI`
//! set, a missing or unreachable PostgreSQL fails the test rather than
//! skipping it. Each PostgreSQL test works in a schema of its own, dropped
//! at the end.

use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::json;

use super::*;
use crate::schema::SCHEMA_VERSION;

/// The stores a test runs on: a fresh SQLite file, and a fresh PostgreSQL
/// schema when one is configured.
pub(crate) fn stores(name: &str) -> Vec<(Store, Option<PostgresSchema>)> {
    let directory = std::env::temp_dir()
        .join(format!("oncall-store-{}", std::process::id()))
        .join(name);
    let _ = std::fs::remove_dir_all(&directory);
    std::fs::create_dir_all(&directory).unwrap();
    let mut stores = vec![(
        Store::open_file(&directory.join("results.db")).unwrap(),
        None,
    )];
    if let Some(schema) = PostgresSchema::create(name) {
        stores.push((Store::open(&schema.url).unwrap(), Some(schema)));
    }
    stores
}

/// A schema of its own on the test PostgreSQL, dropped on drop.
pub(crate) struct PostgresSchema {
    admin: String,
    name: String,
    pub(crate) url: String,
}

impl PostgresSchema {
    pub(crate) fn create(test: &str) -> Option<PostgresSchema> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let Ok(admin) = std::env::var("ONCALL_GYM_TEST_POSTGRES") else {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but ONCALL_GYM_TEST_POSTGRES is not: the PostgreSQL tests must run in CI"
            );
            return None;
        };
        let name = format!(
            "store_{}_{}_{}",
            test,
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let mut client = postgres::Client::connect(&admin, postgres::NoTls)
            .unwrap_or_else(|e| panic!("ONCALL_GYM_TEST_POSTGRES ({admin}) is unreachable: {e}"));
        client
            .batch_execute(&format!(
                "DROP SCHEMA IF EXISTS {name} CASCADE; CREATE SCHEMA {name}"
            ))
            .unwrap();
        let separator = if admin.contains('?') { '&' } else { '?' };
        let url = format!("{admin}{separator}options=-c%20search_path%3D{name}");
        Some(PostgresSchema { admin, name, url })
    }
}

impl Drop for PostgresSchema {
    fn drop(&mut self) {
        if let Ok(mut client) = postgres::Client::connect(&self.admin, postgres::NoTls) {
            let _ = client.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
        }
    }
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
        tokens: Some(1200),
        cost_usd: Some(0.25),
        wall_time_ms: 1.5,
        record: "{\"line\":1}",
        evaluation: "{\"total\":0.9}",
        audit: Some(AUDIT),
    }
}

#[test]
fn a_run_and_its_lines_come_back_byte_for_byte() {
    for (mut store, _schema) in stores("round_trip") {
        let id = "aaaa1111-0000-4000-8000-000000000000";
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        store
            .create_eval(&eval(id, "2026-11-30T10:00:00Z"))
            .unwrap();
        store
            .record_run(
                &run(
                    Some(id),
                    "12345678-aaaa-4bbb-8ccc-000000000001",
                    "latency_spike",
                    0,
                    true,
                ),
                "2026-11-30T10:00:01Z",
            )
            .unwrap();
        let row = store.run("1234", None).unwrap();
        assert_eq!(row.seed, u64::MAX - 1, "{:?}", store.path());
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
        assert_eq!((evals[0].tokens, evals[0].cost_usd), (1200, Some(0.25)));
        store
            .finish_eval(id, EvalStatus::Completed, "2026-11-30T10:01:00Z")
            .unwrap();
        let eval = store.eval("AAAA").unwrap();
        assert_eq!(eval.status, EvalStatus::Completed);
        assert_eq!(eval.finished_at.as_deref(), Some("2026-11-30T10:01:00Z"));
        assert_eq!(eval.settings, json!({"trials": 2, "seed": 0}));
        assert_eq!(
            store.recorded_pairs(&eval.id).unwrap(),
            vec![("latency_spike".to_owned(), 0)]
        );
        assert_eq!(store.eval_runs(&eval.id).unwrap().len(), 1);
        // A run with no log exports nothing.
        let mut bare = run(None, "99999999-0000-4000-8000-000000000000", "s", 0, true);
        bare.audit = None;
        store.record_run(&bare, "t").unwrap();
        let bare = store.run("9999", None).unwrap();
        assert_eq!(store.audit_log(&bare).unwrap(), None);
    }
}

#[test]
fn a_pair_is_recorded_once_per_eval_and_a_refused_run_leaves_nothing() {
    for (mut store, _schema) in stores("unique") {
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
        // In a batch, the refused run is left out and the others go in.
        let batch = [
            PreparedRun::new(
                &run(
                    Some(id),
                    "33333333-0000-4000-8000-000000000000",
                    "s",
                    1,
                    true,
                ),
                "t",
            ),
            PreparedRun::new(
                &run(
                    Some(id),
                    "44444444-0000-4000-8000-000000000000",
                    "s",
                    0,
                    true,
                ),
                "t",
            ),
            PreparedRun::new(
                &run(
                    Some(id),
                    "55555555-0000-4000-8000-000000000000",
                    "s",
                    2,
                    true,
                ),
                "t",
            ),
        ];
        assert!(matches!(
            store.record_prepared(&batch),
            Err(StoreError::DuplicateTrial { .. })
        ));
        let mut trials: Vec<u32> = store
            .eval_runs(id)
            .unwrap()
            .iter()
            .map(|r| r.trial)
            .collect();
        trials.sort_unstable();
        assert_eq!(trials, vec![0, 1, 2]);
        // A run for an eval that does not exist is refused whole.
        let orphan = run(
            Some("cccc0000-0000-4000-8000-000000000000"),
            "66666666-0000-4000-8000-000000000000",
            "s",
            1,
            true,
        );
        assert!(store.record_run(&orphan, "t").is_err());
        assert!(store.run("6666", None).is_err());
        assert_eq!(store.runs(&RunFilter::default()).unwrap().len(), 3);
    }
}

#[test]
fn ids_are_found_by_unique_prefix() {
    for (mut store, _schema) in stores("prefix") {
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
        assert_eq!(
            store.eval("dddd0001").unwrap().id,
            "dddd0001-0000-4000-8000-000000000000"
        );
        let error = store.eval("dddd").unwrap_err().to_string();
        assert!(error.contains("`dddd` names 2 evals"), "{error}");
        // The same run in two evals: the newest is meant, or the one of
        // the eval named.
        let newest = store.run("4444", None).unwrap();
        assert_eq!(
            newest.eval_id.as_deref(),
            Some("dddd0002-0000-4000-8000-000000000000")
        );
        // Different runs that share a prefix are ambiguous.
        store
            .record_run(
                &run(None, "44440000-0000-4000-8000-000000000000", "s", 0, true),
                "t",
            )
            .unwrap();
        let error = store.run("4444", None).unwrap_err().to_string();
        assert!(
            error.contains("names 3 runs") && error.contains("(eval dddd0002)"),
            "{error}"
        );
        let found = store
            .run("4444", Some("dddd0002-0000-4000-8000-000000000000"))
            .unwrap();
        assert_eq!(
            found.eval_id.as_deref(),
            Some("dddd0002-0000-4000-8000-000000000000")
        );
        assert!(
            store
                .eval("ffff")
                .unwrap_err()
                .to_string()
                .contains("no eval")
        );
        for bad in ["", "xyz", "12'; DROP TABLE runs; --", "%", &"a".repeat(37)] {
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
}

#[test]
fn a_newer_schema_is_refused_on_every_backend() {
    for (mut store, schema) in stores("too_new") {
        let location = match &schema {
            Some(schema) => schema.url.clone(),
            None => store.path().display().to_string(),
        };
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        drop(store);
        match &schema {
            Some(schema) => {
                let mut client = postgres::Client::connect(&schema.url, postgres::NoTls).unwrap();
                client
                    .execute("UPDATE schema_version SET version = 42", &[])
                    .unwrap();
            }
            None => {
                let connection = rusqlite::Connection::open(&location).unwrap();
                connection
                    .execute("UPDATE schema_version SET version = 42", [])
                    .unwrap();
            }
        }
        let error = Store::open(&location).unwrap_err().to_string();
        assert!(
            error.contains("schema version 42, newer than this oncall-gym knows"),
            "{error}"
        );
    }
}

#[test]
fn postgres_urls_are_recognised_and_their_passwords_never_shown() {
    assert!(is_postgres_url("postgres://u@h/db"));
    assert!(is_postgres_url("postgresql://u@h/db"));
    assert!(!is_postgres_url("results.db"));
    let error = Store::open("postgres://ghost:hunter2@127.0.0.1:1/none?connect_timeout=1")
        .unwrap_err()
        .to_string();
    assert!(!error.contains("hunter2"), "{error}");
    assert!(
        error.contains("postgres://ghost:***@127.0.0.1:1/none"),
        "{error}"
    );
}

#[test]
fn a_server_that_goes_away_keeps_what_was_recorded_and_says_so() {
    let Some(schema) = PostgresSchema::create("gone") else {
        return;
    };
    let name = format!("oncall-gym-gone-{}", std::process::id());
    let url = format!("{}&application_name={name}", schema.url);
    let mut store = Store::open(&url).unwrap();
    let id = "eeee3333-0000-4000-8000-000000000000";
    store
        .create_eval(&eval(id, "2026-11-30T10:00:00Z"))
        .unwrap();
    store
        .record_run(
            &run(
                Some(id),
                "77777777-0000-4000-8000-000000000000",
                "s",
                0,
                true,
            ),
            "t",
        )
        .unwrap();
    // The server drops the connection.
    let mut admin = postgres::Client::connect(&schema.url, postgres::NoTls).unwrap();
    let killed = admin
        .query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
            &[&name],
        )
        .unwrap();
    assert_eq!(killed.len(), 1);
    let error = store
        .record_run(
            &run(
                Some(id),
                "88888888-0000-4000-8000-000000000000",
                "s",
                1,
                true,
            ),
            "t",
        )
        .unwrap_err()
        .to_string();
    assert!(error.contains("could not record run 88888888"), "{error}");
    // What was recorded before is there, whole.
    let mut again = Store::open(&schema.url).unwrap();
    let kept = again.run("7777", None).unwrap();
    assert_eq!(again.audit_log(&kept).unwrap().unwrap(), AUDIT);
    assert!(again.run("8888", None).is_err());
}

#[test]
fn another_tools_tables_are_refused_not_a_panic() {
    let Some(schema) = PostgresSchema::create("foreign") else {
        return;
    };
    let mut admin = postgres::Client::connect(&schema.url, postgres::NoTls).unwrap();
    admin
        .batch_execute("CREATE TABLE schema_version (version VARCHAR(50)); INSERT INTO schema_version VALUES ('1.0.3')")
        .unwrap();
    let error = Store::open(&schema.url).unwrap_err().to_string();
    assert!(error.contains("is this table oncall-gym's?"), "{error}");
    let version: String = admin
        .query_one("SELECT version FROM schema_version", &[])
        .unwrap()
        .get(0);
    assert_eq!(version, "1.0.3", "nothing was changed");
}

#[test]
fn a_run_stored_many_times_does_not_hide_another_that_shares_the_prefix() {
    for (mut store, _schema) in stores("many") {
        store
            .record_run(
                &run(None, "abab0000-0000-4000-8000-000000000000", "s", 0, true),
                "t",
            )
            .unwrap();
        for _ in 0..12 {
            store
                .record_run(
                    &run(None, "abab1111-0000-4000-8000-000000000000", "s", 0, true),
                    "t",
                )
                .unwrap();
        }
        let error = store.run("abab", None).unwrap_err().to_string();
        assert!(error.contains("names"), "{error}");
        assert_eq!(
            store.run("abab1", None).unwrap().run_id,
            "abab1111-0000-4000-8000-000000000000"
        );
        assert_eq!(
            store.run("abab0", None).unwrap().run_id,
            "abab0000-0000-4000-8000-000000000000"
        );
    }
}
