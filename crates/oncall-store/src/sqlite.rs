//! [`Store`] on SQLite: one file, WAL journal, a busy timeout, foreign
//! keys on. Each run is written with its events in one transaction.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, params};

use oncall_audit::GENESIS_HASH;

use crate::error::StoreError;
use crate::prepared::PreparedRun;
use crate::rows::{EvalRow, EvalStatus, NewEval, RunFilter, RunRow, StoredEval};
use crate::schema::{SQLITE_MIGRATIONS, pending};

/// How long a write waits for another process's lock before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// A results store in one SQLite file.
#[derive(Debug)]
pub(crate) struct SqliteStore {
    path: PathBuf,
    connection: Connection,
}

impl SqliteStore {
    /// Opens the store at `path`, creating it (and its directory) when it
    /// does not exist, and brings its schema up to date.
    pub(crate) fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let open_error = |message: String| StoreError::Open {
            path: path.to_owned(),
            message,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|e| open_error(format!("could not create {}: {e}", parent.display())))?;
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let connection =
            Connection::open_with_flags(path, flags).map_err(|e| open_error(e.to_string()))?;
        let mut store = SqliteStore {
            path: path.to_owned(),
            connection,
        };
        store
            .connection
            .busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| open_error(e.to_string()))?;
        store.configure()?;
        store.migrate()?;
        Ok(store)
    }

    /// Its path and its connection, borrowed apart.
    pub(crate) fn parts(&mut self) -> (&Path, &mut Connection) {
        (&self.path, &mut self.connection)
    }

    /// Where it is.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version it is at.
    pub(crate) fn schema_version(&self) -> Result<i64, StoreError> {
        self.connection
            .query_row("SELECT version FROM schema_version", [], |row| row.get(0))
            .map_err(|e| self.error("read the schema version", &e))
    }

    /// Records a new eval.
    pub(crate) fn create_eval(&mut self, eval: &NewEval) -> Result<(), StoreError> {
        let settings = eval.settings.to_string();
        self.connection
            .execute(
                "INSERT INTO evals (id, agent, model, settings, started_at, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![eval.id, eval.agent, eval.model, settings, eval.started_at, eval.status.as_str()],
            )
            .map(|_| ())
            .map_err(|e| self.error(&format!("record eval {}", eval.id), &e))
    }

    /// Marks an eval finished, with its final status.
    pub(crate) fn finish_eval(
        &mut self,
        id: &str,
        status: EvalStatus,
        finished_at: &str,
    ) -> Result<(), StoreError> {
        self.connection
            .execute(
                "UPDATE evals SET status = ?2, finished_at = ?3 WHERE id = ?1",
                params![id, status.as_str(), finished_at],
            )
            .map(|_| ())
            .map_err(|e| self.error(&format!("finish eval {id}"), &e))
    }

    /// Records prepared runs in one transaction: all of them, or (on the
    /// first refusal) none.
    pub(crate) fn record_batch(&mut self, runs: &[PreparedRun]) -> Result<(), StoreError> {
        let Some(first) = runs.first() else {
            return Ok(());
        };
        let path = self.path.clone();
        let doing = format!("record run {}", first.run_id);
        let database = |e: rusqlite::Error| database_error(&path, &doing, &e);
        let transaction = self.connection.transaction().map_err(database)?;
        let mut refused = None;
        for run in runs {
            if let Err(error) = insert_run(&transaction, &self.path, run) {
                refused = Some(error);
                break;
            }
        }
        match refused {
            None => transaction.commit().map_err(database),
            Some(error) => Err(error),
        }
    }

    /// Every eval, newest first, with its runs summed.
    pub(crate) fn evals(&self) -> Result<Vec<EvalRow>, StoreError> {
        self.query_evals("", [])
    }

    /// The evals whose id starts with `pattern`'s prefix (a LIKE pattern).
    pub(crate) fn evals_like(&self, pattern: &str) -> Result<Vec<EvalRow>, StoreError> {
        self.query_evals("WHERE e.id LIKE ?1", [pattern])
    }

    /// The runs `filter` selects, newest first.
    pub(crate) fn runs(&self, filter: &RunFilter) -> Result<Vec<RunRow>, StoreError> {
        let mut conditions = Vec::new();
        let mut values: Vec<String> = Vec::new();
        for (column, value) in [
            ("eval_id", &filter.eval_id),
            ("scenario", &filter.scenario),
            ("agent", &filter.agent),
        ] {
            if let Some(value) = value {
                values.push(value.clone());
                conditions.push(format!("{column} = ?{}", values.len()));
            }
        }
        let mut sql = format!("SELECT {RUN_COLUMNS} FROM runs");
        if !conditions.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&conditions.join(" AND "));
        }
        sql.push_str(" ORDER BY key DESC");
        if filter.limit > 0 {
            sql.push_str(&format!(" LIMIT {}", filter.limit));
        }
        self.query_runs(&sql, rusqlite::params_from_iter(values))
    }

    /// The runs of eval `eval_id`, by scenario then trial.
    pub(crate) fn eval_runs(&self, eval_id: &str) -> Result<Vec<RunRow>, StoreError> {
        let sql =
            format!("SELECT {RUN_COLUMNS} FROM runs WHERE eval_id = ?1 ORDER BY scenario, trial");
        self.query_runs(&sql, [eval_id])
    }

    /// At most 11 runs whose id matches `pattern` (a LIKE pattern), in
    /// eval `eval_id` when given, newest first.
    pub(crate) fn runs_like(
        &self,
        pattern: &str,
        eval_id: Option<&str>,
    ) -> Result<Vec<RunRow>, StoreError> {
        match eval_id {
            Some(eval) => {
                let sql = format!(
                    "SELECT {RUN_COLUMNS} FROM runs WHERE run_id LIKE ?1 AND eval_id = ?2 ORDER BY key DESC LIMIT 11"
                );
                self.query_runs(&sql, [pattern, eval])
            }
            None => {
                let sql = format!(
                    "SELECT {RUN_COLUMNS} FROM runs WHERE run_id LIKE ?1 ORDER BY key DESC LIMIT 11"
                );
                self.query_runs(&sql, [pattern])
            }
        }
    }

    /// At most one run whose id matches `pattern` but is not `id`, in eval
    /// `eval_id` when given.
    pub(crate) fn other_ids_like(
        &self,
        pattern: &str,
        id: &str,
        eval_id: Option<&str>,
    ) -> Result<Vec<RunRow>, StoreError> {
        let sql = format!(
            "SELECT {RUN_COLUMNS} FROM runs WHERE run_id LIKE ?1 AND run_id <> ?2 AND (?3 IS NULL OR eval_id = ?3) LIMIT 1"
        );
        self.query_runs(&sql, rusqlite::params![pattern, id, eval_id])
    }

    /// A stored run's lines, concatenated.
    pub(crate) fn audit_lines(&self, run: &RunRow) -> Result<Vec<u8>, StoreError> {
        let doing = format!("read the events of run {}", run.run_id);
        let mut statement = self
            .connection
            .prepare_cached("SELECT line FROM events WHERE run_key = ?1 ORDER BY seq")
            .map_err(|e| self.error(&doing, &e))?;
        let lines = statement
            .query_map([run.key], |row| row.get::<_, Vec<u8>>(0))
            .map_err(|e| self.error(&doing, &e))?;
        let mut bytes = Vec::new();
        for line in lines {
            bytes.extend(line.map_err(|e| self.error(&doing, &e))?);
        }
        Ok(bytes)
    }

    /// The (scenario, trial) pairs eval `eval_id` already holds.
    pub(crate) fn recorded_pairs(&self, eval_id: &str) -> Result<Vec<(String, u32)>, StoreError> {
        let doing = format!("read the runs of eval {eval_id}");
        let mut statement = self
            .connection
            .prepare("SELECT scenario, trial FROM runs WHERE eval_id = ?1")
            .map_err(|e| self.error(&doing, &e))?;
        let pairs = statement
            .query_map([eval_id], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, u32>(1)?))
            })
            .map_err(|e| self.error(&doing, &e))?;
        pairs
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.error(&doing, &e))
    }

    fn configure(&mut self) -> Result<(), StoreError> {
        let path = self.path.clone();
        let fail = |e: rusqlite::Error| classify_open(&path, e);
        // A file that is not a database fails here, on its first read.
        self.connection
            .pragma_update(None, "journal_mode", "WAL")
            .map_err(fail)?;
        self.connection
            .pragma_update(None, "synchronous", "NORMAL")
            .map_err(fail)?;
        // A bigger page cache and fewer checkpoints: an eval writes many
        // runs in a row.
        self.connection
            .pragma_update(None, "cache_size", -65_536)
            .map_err(fail)?;
        self.connection
            .pragma_update(None, "wal_autocheckpoint", 10_000)
            .map_err(fail)?;
        self.connection
            .pragma_update(None, "foreign_keys", "ON")
            .map_err(fail)
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let path = self.path.clone();
        let fail = |e: rusqlite::Error| classify_open(&path, e);
        let transaction = self
            .connection
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(fail)?;
        transaction
            .execute_batch("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            .map_err(fail)?;
        let current: Option<i64> = transaction
            .query_row("SELECT version FROM schema_version", [], |row| row.get(0))
            .optional()
            .map_err(fail)?;
        let current = match current {
            Some(version) => version,
            None => {
                transaction
                    .execute("INSERT INTO schema_version (version) VALUES (0)", [])
                    .map_err(fail)?;
                0
            }
        };
        for (version, migration) in pending(current, &SQLITE_MIGRATIONS, &self.path)? {
            transaction.execute_batch(migration).map_err(fail)?;
            transaction
                .execute("UPDATE schema_version SET version = ?1", [version])
                .map_err(fail)?;
        }
        transaction.commit().map_err(fail)
    }

    fn query_evals<P: rusqlite::Params>(
        &self,
        condition: &str,
        values: P,
    ) -> Result<Vec<EvalRow>, StoreError> {
        let sql = format!(
            "SELECT e.id, e.agent, e.model, e.settings, e.started_at, e.finished_at, e.status,
                    COUNT(r.key), COALESCE(SUM(r.passed), 0), COALESCE(AVG(r.score), 0.0),
                    CAST(MIN(TOTAL(r.tokens), 9.2e18) AS INTEGER), SUM(r.cost_usd)
             FROM evals e LEFT JOIN runs r ON r.eval_id = e.id
             {condition}
             GROUP BY e.id ORDER BY e.started_at DESC, e.id"
        );
        let doing = "list the evals";
        let mut statement = self
            .connection
            .prepare(&sql)
            .map_err(|e| self.error(doing, &e))?;
        let rows = statement
            .query_map(values, |row| {
                Ok(StoredEval {
                    id: row.get(0)?,
                    agent: row.get(1)?,
                    model: row.get(2)?,
                    settings: row.get(3)?,
                    started_at: row.get(4)?,
                    finished_at: row.get(5)?,
                    status: row.get(6)?,
                    runs: row.get(7)?,
                    passed: row.get(8)?,
                    mean_score: row.get(9)?,
                    tokens: row.get(10)?,
                    cost_usd: row.get(11)?,
                })
            })
            .map_err(|e| self.error(doing, &e))?;
        let mut evals = Vec::new();
        for row in rows {
            let stored = row.map_err(|e| self.error(doing, &e))?;
            evals.push(stored.into_row(&self.path)?);
        }
        Ok(evals)
    }

    fn query_runs<P: rusqlite::Params>(
        &self,
        sql: &str,
        values: P,
    ) -> Result<Vec<RunRow>, StoreError> {
        let doing = "list the runs";
        let mut statement = self
            .connection
            .prepare(sql)
            .map_err(|e| self.error(doing, &e))?;
        let rows = statement
            .query_map(values, |row| {
                Ok(RunRow {
                    key: row.get(0)?,
                    eval_id: row.get(1)?,
                    run_id: row.get(2)?,
                    scenario: row.get(3)?,
                    trial: row.get(4)?,
                    seed: row.get::<_, String>(5)?.parse().map_err(|_| {
                        rusqlite::Error::FromSqlConversionFailure(
                            5,
                            rusqlite::types::Type::Text,
                            "the seed is not a number from 0 to 2^64 - 1".into(),
                        )
                    })?,
                    agent: row.get(6)?,
                    status: row.get(7)?,
                    termination: row.get(8)?,
                    steps: row.get(9)?,
                    score: row.get(10)?,
                    passed: row.get(11)?,
                    tokens: row
                        .get::<_, Option<i64>>(12)?
                        .and_then(|t| u64::try_from(t).ok()),
                    cost_usd: row.get(13)?,
                    wall_time_ms: row.get(14)?,
                    head_hash: row.get(15)?,
                    event_count: u64::try_from(row.get::<_, i64>(16)?).unwrap_or(0),
                    recorded_at: row.get(17)?,
                    record: row.get(18)?,
                })
            })
            .map_err(|e| self.error(doing, &e))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.error(doing, &e))
    }

    fn error(&self, doing: &str, error: &rusqlite::Error) -> StoreError {
        database_error(&self.path, doing, error)
    }
}

/// Inserts one run, its lines and its evaluation, inside `transaction`.
fn insert_run(
    transaction: &rusqlite::Transaction<'_>,
    path: &Path,
    run: &PreparedRun,
) -> Result<(), StoreError> {
    let doing = format!("record run {}", run.run_id);
    let database = |e: rusqlite::Error| database_error(path, &doing, &e);
    let inserted = transaction
        .prepare_cached(
            "INSERT INTO runs (eval_id, run_id, scenario, trial, seed, agent, status, termination, steps, score, passed, tokens, cost_usd, wall_time_ms, head_hash, event_count, recorded_at, record)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
        )
        .and_then(|mut statement| {
            statement.execute(params![
                run.eval_id,
                run.run_id,
                run.scenario,
                run.trial,
                run.seed.to_string(),
                run.agent,
                run.status,
                run.termination,
                run.steps,
                run.score,
                run.passed,
                run.tokens.map(|t| i64::try_from(t).unwrap_or(i64::MAX)),
                run.cost_usd,
                run.wall_time_ms,
                run.head_hash(),
                run.ends.len() as i64,
                run.recorded_at,
                run.record,
            ])
        });
    if let Err(error) = inserted {
        if let Some(eval) = &run.eval_id
            && error.sqlite_error_code() == Some(ErrorCode::ConstraintViolation)
            && error.to_string().contains("UNIQUE")
        {
            return Err(StoreError::DuplicateTrial {
                eval: eval.clone(),
                scenario: run.scenario.clone(),
                trial: run.trial,
            });
        }
        return Err(database(error));
    }
    let key = transaction.last_insert_rowid();
    let mut insert = transaction
        .prepare_cached(
            "INSERT INTO events (run_key, seq, prev, hash, line) VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .map_err(database)?;
    let mut prev = GENESIS_HASH;
    for (seq, (line, hash)) in run.lines().zip(&run.hashes).enumerate() {
        insert
            .execute(params![key, seq as i64, prev, hash, line])
            .map_err(database)?;
        prev = hash;
    }
    transaction
        .prepare_cached(
            "INSERT INTO evaluations (run_key, recorded_at, evaluation) VALUES (?1, ?2, ?3)",
        )
        .and_then(|mut statement| statement.execute(params![key, run.recorded_at, run.evaluation]))
        .map(|_| ())
        .map_err(database)
}

/// The columns a [`RunRow`] is read from, in order.
const RUN_COLUMNS: &str = "key, eval_id, run_id, scenario, trial, seed, agent, status, termination, steps, score, passed, tokens, cost_usd, wall_time_ms, head_hash, event_count, recorded_at, record";

pub(crate) fn database_error(path: &Path, doing: &str, error: &rusqlite::Error) -> StoreError {
    if matches!(
        error.sqlite_error_code(),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
    ) {
        return StoreError::Locked {
            path: path.to_owned(),
            waited_ms: u64::try_from(BUSY_TIMEOUT.as_millis()).unwrap_or(u64::MAX),
        };
    }
    StoreError::Database {
        path: path.to_owned(),
        doing: doing.to_owned(),
        message: error.to_string(),
    }
}

/// An error while opening: a file that is not a database, a read-only
/// location and a lock are each named as such.
fn classify_open(path: &Path, error: rusqlite::Error) -> StoreError {
    match error.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => StoreError::Open {
            path: path.to_owned(),
            message:
                "it is not a SQLite database (or it is damaged); choose another file with --db"
                    .to_owned(),
        },
        Some(ErrorCode::ReadOnly | ErrorCode::CannotOpen | ErrorCode::PermissionDenied) => {
            StoreError::Open {
                path: path.to_owned(),
                message: format!(
                    "it cannot be written ({error}); choose another file with --db, or --no-db"
                ),
            }
        }
        _ => database_error(path, "open it", &error),
    }
}

#[cfg(test)]
#[path = "sqlite_tests.rs"]
mod tests;
