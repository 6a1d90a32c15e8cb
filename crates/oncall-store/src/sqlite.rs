//! [`Store`] on SQLite: one file, WAL journal, a busy timeout, foreign
//! keys on. Each run is written with its events in one transaction.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, params};

use oncall_audit::{GENESIS_HASH, sha256_hex};

use crate::error::StoreError;
use crate::rows::{EvalRow, EvalStatus, NewEval, NewRun, RunFilter, RunRow};
use crate::schema::{MIGRATIONS, SCHEMA_VERSION};

/// How long a write waits for another process's lock before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// A results store in one SQLite file.
#[derive(Debug)]
pub struct Store {
    path: PathBuf,
    connection: Connection,
}

impl Store {
    /// Opens the store at `path`, creating it (and its directory) when it
    /// does not exist, and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
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
        let mut store = Store {
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

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version it is at.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        self.connection
            .query_row("SELECT version FROM schema_version", [], |row| row.get(0))
            .map_err(|e| self.error("read the schema version", &e))
    }

    /// Records a new eval.
    pub fn create_eval(&mut self, eval: &NewEval) -> Result<(), StoreError> {
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
    pub fn finish_eval(
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

    /// Records a run and its audit log's lines in one transaction: either
    /// all of it is stored, or none. `recorded_at` is RFC 3339.
    pub fn record_run(&mut self, run: &NewRun<'_>, recorded_at: &str) -> Result<(), StoreError> {
        let lines = run.audit.map(split_lines).unwrap_or_default();
        let mut hashes = Vec::with_capacity(lines.len());
        for line in &lines {
            hashes.push(sha256_hex(line));
        }
        let head_hash = hashes.last().cloned();
        let doing = format!("record run {}", run.run_id);
        let path = self.path.clone();
        let database = |e: rusqlite::Error| database_error(&path, &doing, &e);
        let transaction = self.connection.transaction().map_err(database)?;
        let inserted = transaction.execute(
            "INSERT INTO runs (eval_id, run_id, scenario, trial, seed, agent, status, termination, steps, score, passed, tokens, cost_usd, wall_time_ms, head_hash, event_count, recorded_at, record)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
            params![
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
                head_hash,
                lines.len() as i64,
                recorded_at,
                run.record,
            ],
        );
        if let Err(error) = inserted {
            if let Some(eval) = run.eval_id
                && error.sqlite_error_code() == Some(ErrorCode::ConstraintViolation)
                && error.to_string().contains("UNIQUE")
            {
                return Err(StoreError::DuplicateTrial {
                    eval: eval.to_owned(),
                    scenario: run.scenario.to_owned(),
                    trial: run.trial,
                });
            }
            return Err(database(error));
        }
        let key = transaction.last_insert_rowid();
        {
            let mut insert = transaction
                .prepare_cached("INSERT INTO events (run_key, seq, prev, hash, line) VALUES (?1, ?2, ?3, ?4, ?5)")
                .map_err(database)?;
            let mut prev = GENESIS_HASH.to_owned();
            for (seq, (line, hash)) in lines.iter().zip(&hashes).enumerate() {
                insert
                    .execute(params![key, seq as i64, prev, hash, line])
                    .map_err(database)?;
                prev.clone_from(hash);
            }
            transaction
                .execute(
                    "INSERT INTO evaluations (run_key, recorded_at, evaluation) VALUES (?1, ?2, ?3)",
                    params![key, recorded_at, run.evaluation],
                )
                .map_err(database)?;
        }
        transaction.commit().map_err(database)
    }

    /// Every eval, newest first, with its runs summed.
    pub fn evals(&self) -> Result<Vec<EvalRow>, StoreError> {
        self.query_evals("", [])
    }

    /// The eval whose id starts with `prefix` (unique).
    pub fn eval(&self, prefix: &str) -> Result<EvalRow, StoreError> {
        check_prefix(prefix)?;
        let pattern = format!("{}%", prefix.to_lowercase());
        let mut rows = self.query_evals("WHERE e.id LIKE ?1", [pattern])?;
        self.unique("eval", prefix, &mut rows, |row| row.id.clone())
    }

    /// The runs `filter` selects, newest first.
    pub fn runs(&self, filter: &RunFilter) -> Result<Vec<RunRow>, StoreError> {
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
    pub fn eval_runs(&self, eval_id: &str) -> Result<Vec<RunRow>, StoreError> {
        let sql =
            format!("SELECT {RUN_COLUMNS} FROM runs WHERE eval_id = ?1 ORDER BY scenario, trial");
        self.query_runs(&sql, [eval_id])
    }

    /// The run whose id starts with `prefix`, in eval `eval_id` when given.
    /// Two evals run with the same seed hold runs with the same id (ids
    /// derive from the seed), so a prefix they share is ambiguous unless an
    /// eval is named.
    pub fn run(&self, prefix: &str, eval_id: Option<&str>) -> Result<RunRow, StoreError> {
        check_prefix(prefix)?;
        let pattern = format!("{}%", prefix.to_lowercase());
        let mut rows = match eval_id {
            Some(eval) => {
                let sql = format!(
                    "SELECT {RUN_COLUMNS} FROM runs WHERE run_id LIKE ?1 AND eval_id = ?2 ORDER BY key DESC LIMIT 11"
                );
                self.query_runs(&sql, [pattern.as_str(), eval])?
            }
            None => {
                let sql = format!(
                    "SELECT {RUN_COLUMNS} FROM runs WHERE run_id LIKE ?1 ORDER BY key DESC LIMIT 11"
                );
                self.query_runs(&sql, [pattern.as_str()])?
            }
        };
        self.unique("run", prefix, &mut rows, |row| match &row.eval_id {
            Some(eval) => format!("{} (eval {})", row.run_id, short(eval)),
            None => row.run_id.clone(),
        })
    }

    /// A stored run's audit log, byte for byte as it was written. `None`
    /// when none was stored (a run imported from an `--out` line).
    pub fn audit_log(&self, run: &RunRow) -> Result<Option<Vec<u8>>, StoreError> {
        if run.head_hash.is_none() {
            return Ok(None);
        }
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
        Ok(Some(bytes))
    }

    /// The (scenario, trial) pairs eval `eval_id` already holds.
    pub fn recorded_pairs(&self, eval_id: &str) -> Result<Vec<(String, u32)>, StoreError> {
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
        if current > SCHEMA_VERSION {
            return Err(StoreError::TooNew {
                path: self.path.clone(),
                found: current,
                known: SCHEMA_VERSION,
            });
        }
        for (index, migration) in MIGRATIONS.iter().enumerate() {
            let version = index as i64 + 1;
            if version > current {
                transaction.execute_batch(migration).map_err(fail)?;
                transaction
                    .execute("UPDATE schema_version SET version = ?1", [version])
                    .map_err(fail)?;
            }
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
                    COALESCE(SUM(r.tokens), 0), SUM(r.cost_usd)
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
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, Option<String>>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, String>(4)?,
                    row.get::<_, Option<String>>(5)?,
                    row.get::<_, String>(6)?,
                    row.get::<_, i64>(7)?,
                    row.get::<_, i64>(8)?,
                    row.get::<_, f64>(9)?,
                    row.get::<_, i64>(10)?,
                    row.get::<_, Option<f64>>(11)?,
                ))
            })
            .map_err(|e| self.error(doing, &e))?;
        let mut evals = Vec::new();
        for row in rows {
            let (
                id,
                agent,
                model,
                settings,
                started_at,
                finished_at,
                status,
                runs,
                passed,
                mean,
                tokens,
                cost,
            ) = row.map_err(|e| self.error(doing, &e))?;
            let damaged = |message: String| StoreError::Damaged {
                path: self.path.clone(),
                what: format!("eval {id}"),
                message,
            };
            let settings =
                serde_json::from_str(&settings).map_err(|e| damaged(format!("settings: {e}")))?;
            let status = EvalStatus::parse(&status)
                .ok_or_else(|| damaged(format!("unknown status `{status}`")))?;
            evals.push(EvalRow {
                id,
                agent,
                model,
                settings,
                started_at,
                finished_at,
                status,
                runs: u64::try_from(runs).unwrap_or(0),
                passed: u64::try_from(passed).unwrap_or(0),
                mean_score: (mean * 1e6).round() / 1e6,
                tokens: u64::try_from(tokens).unwrap_or(0),
                cost_usd: cost.map(|c| (c * 1e6).round() / 1e6),
            });
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
                    seed: row.get::<_, String>(5)?.parse().unwrap_or(0),
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

    fn unique<T>(
        &self,
        what: &'static str,
        prefix: &str,
        rows: &mut Vec<T>,
        name: impl Fn(&T) -> String,
    ) -> Result<T, StoreError> {
        match rows.len() {
            0 => Err(StoreError::NotFound {
                what,
                prefix: prefix.to_owned(),
                path: self.path.clone(),
            }),
            1 => Ok(rows.remove(0)),
            count => {
                let shown: Vec<String> = rows.iter().take(5).map(&name).collect();
                let count_text = if count > 10 {
                    "more than 10".to_owned()
                } else {
                    count.to_string()
                };
                Err(StoreError::Ambiguous {
                    what,
                    prefix: prefix.to_owned(),
                    count: count.min(11),
                    examples: format!("{} ({count_text} in all)", shown.join(", ")),
                    path: self.path.clone(),
                })
            }
        }
    }

    fn error(&self, doing: &str, error: &rusqlite::Error) -> StoreError {
        database_error(&self.path, doing, error)
    }
}

/// The columns a [`RunRow`] is read from, in order.
const RUN_COLUMNS: &str = "key, eval_id, run_id, scenario, trial, seed, agent, status, termination, steps, score, passed, tokens, cost_usd, wall_time_ms, head_hash, event_count, recorded_at, record";

fn database_error(path: &Path, doing: &str, error: &rusqlite::Error) -> StoreError {
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

/// `bytes` cut after each newline; a torn last line is kept as it is.
fn split_lines(bytes: &[u8]) -> Vec<&[u8]> {
    bytes.split_inclusive(|byte| *byte == b'\n').collect()
}

fn check_prefix(prefix: &str) -> Result<(), StoreError> {
    let valid = !prefix.is_empty()
        && prefix.len() <= 36
        && prefix.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
    if valid {
        Ok(())
    } else {
        Err(StoreError::BadPrefix {
            prefix: prefix.to_owned(),
        })
    }
}

fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

#[cfg(test)]
#[path = "sqlite_tests.rs"]
mod tests;
