//! The store on PostgreSQL, for teams: the same tables and rules as the
//! SQLite store, through the blocking `postgres` client. Migrations take an
//! advisory lock, so two processes opening a new database do not race.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use postgres::error::SqlState;
use postgres::{Client, Config, NoTls, Transaction};

use oncall_audit::GENESIS_HASH;

use crate::error::StoreError;
use crate::prepared::PreparedRun;
use crate::rows::{EvalRow, EvalStatus, NewEval, RunFilter, RunRow, StoredEval};
use crate::schema::{POSTGRES_MIGRATIONS, pending};

/// The advisory lock migrations take.
const MIGRATION_LOCK: i64 = 0x6f6e_6361_6c6c;

pub(crate) struct PostgresStore {
    label: PathBuf,
    client: Client,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("label", &self.label)
            .finish()
    }
}

impl PostgresStore {
    pub(crate) fn open(url: &str) -> Result<PostgresStore, StoreError> {
        let label = PathBuf::from(redacted(url));
        let open_error = |message: String| StoreError::Open {
            path: label.clone(),
            message,
        };
        let mut config =
            Config::from_str(url).map_err(|e| open_error(format!("not a PostgreSQL URL: {e}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        // A server that vanishes without closing the connection is noticed
        // in about a minute, not the system's two hours.
        config.keepalives(true);
        config.keepalives_idle(Duration::from_secs(15));
        config.tcp_user_timeout(Duration::from_secs(60));
        if config.get_application_name().is_none() {
            config.application_name("oncall-gym");
        }
        let client = config
            .connect(NoTls)
            .map_err(|e| open_error(e.to_string()))?;
        let mut store = PostgresStore { label, client };
        store.migrate()?;
        Ok(store)
    }

    /// Its label and its client, borrowed apart.
    pub(crate) fn parts(&mut self) -> (&std::path::Path, &mut Client) {
        (&self.label, &mut self.client)
    }

    pub(crate) fn label(&self) -> &std::path::Path {
        &self.label
    }

    fn error(&self, doing: &str, error: &postgres::Error) -> StoreError {
        database_error(&self.label, doing, error)
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let label = self.label.clone();
        let fail = |e: postgres::Error| database_error(&label, "bring its schema up to date", &e);
        let mut transaction = self.client.transaction().map_err(fail)?;
        transaction
            .execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .map_err(fail)?;
        transaction
            .batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")
            .map_err(fail)?;
        let current: Option<i64> = match transaction
            .query_opt("SELECT version FROM schema_version", &[])
            .map_err(fail)?
        {
            Some(row) => Some(cell(&row, 0, &label, "schema_version")?),
            None => None,
        };
        let current = match current {
            Some(version) => version,
            None => {
                transaction
                    .execute("INSERT INTO schema_version (version) VALUES (0)", &[])
                    .map_err(fail)?;
                0
            }
        };
        for (version, migration) in pending(current, &POSTGRES_MIGRATIONS, &self.label)? {
            transaction.batch_execute(migration).map_err(fail)?;
            transaction
                .execute("UPDATE schema_version SET version = $1", &[&version])
                .map_err(fail)?;
        }
        transaction.commit().map_err(fail)
    }

    pub(crate) fn schema_version(&mut self) -> Result<i64, StoreError> {
        let row = self
            .client
            .query_one("SELECT version FROM schema_version", &[])
            .map_err(|e| self.error("read the schema version", &e))?;
        cell(&row, 0, &self.label, "schema_version")
    }

    pub(crate) fn create_eval(&mut self, eval: &NewEval) -> Result<(), StoreError> {
        let settings = eval.settings.to_string();
        let done = self.client.execute(
            "INSERT INTO evals (id, agent, model, settings, started_at, status) VALUES ($1, $2, $3, $4, $5, $6)",
            &[&eval.id, &eval.agent, &eval.model, &settings, &eval.started_at, &eval.status.as_str()],
        );
        done.map(|_| ())
            .map_err(|e| self.error(&format!("record eval {}", eval.id), &e))
    }

    pub(crate) fn finish_eval(
        &mut self,
        id: &str,
        status: EvalStatus,
        finished_at: &str,
    ) -> Result<(), StoreError> {
        let done = self.client.execute(
            "UPDATE evals SET status = $2, finished_at = $3 WHERE id = $1",
            &[&id, &status.as_str(), &finished_at],
        );
        done.map(|_| ())
            .map_err(|e| self.error(&format!("finish eval {id}"), &e))
    }

    /// Records prepared runs in one transaction: all of them, or (on the
    /// first refusal) none.
    pub(crate) fn record_batch(&mut self, runs: &[PreparedRun]) -> Result<(), StoreError> {
        let Some(first) = runs.first() else {
            return Ok(());
        };
        let label = self.label.clone();
        let doing = format!("record run {}", first.run_id);
        let mut transaction = self
            .client
            .transaction()
            .map_err(|e| database_error(&label, &doing, &e))?;
        let mut refused = None;
        for run in runs {
            if let Err(error) = insert_run(&mut transaction, &label, run) {
                refused = Some(error);
                break;
            }
        }
        match refused {
            None => transaction
                .commit()
                .map_err(|e| database_error(&label, &doing, &e)),
            Some(error) => Err(error),
        }
    }

    pub(crate) fn evals(
        &mut self,
        condition: &str,
        pattern: Option<&str>,
    ) -> Result<Vec<EvalRow>, StoreError> {
        let sql = format!(
            "SELECT e.id, e.agent, e.model, e.settings, e.started_at, e.finished_at, e.status,
                    COUNT(r.key)::BIGINT,
                    COALESCE(SUM(CASE WHEN r.passed THEN 1 ELSE 0 END), 0)::BIGINT,
                    COALESCE(AVG(r.score), 0)::DOUBLE PRECISION,
                    LEAST(COALESCE(SUM(r.tokens), 0), 9223372036854775807)::BIGINT,
                    SUM(r.cost_usd)::DOUBLE PRECISION
             FROM evals e LEFT JOIN runs r ON r.eval_id = e.id
             {condition}
             GROUP BY e.id ORDER BY e.started_at DESC, e.id"
        );
        let rows = match pattern {
            Some(pattern) => self.client.query(&sql, &[&pattern]),
            None => self.client.query(&sql, &[]),
        }
        .map_err(|e| self.error("list the evals", &e))?;
        let mut evals = Vec::new();
        let label = self.label.clone();
        for row in rows {
            let id: String = cell(&row, 0, &label, "an eval")?;
            let what = format!("eval {id}");
            let stored = StoredEval {
                agent: cell(&row, 1, &label, &what)?,
                model: cell(&row, 2, &label, &what)?,
                settings: cell(&row, 3, &label, &what)?,
                started_at: cell(&row, 4, &label, &what)?,
                finished_at: cell(&row, 5, &label, &what)?,
                status: cell(&row, 6, &label, &what)?,
                runs: cell(&row, 7, &label, &what)?,
                passed: cell(&row, 8, &label, &what)?,
                mean_score: cell(&row, 9, &label, &what)?,
                tokens: cell(&row, 10, &label, &what)?,
                cost_usd: cell(&row, 11, &label, &what)?,
                id,
            };
            evals.push(stored.into_row(&label)?);
        }
        Ok(evals)
    }

    pub(crate) fn runs(&mut self, filter: &RunFilter) -> Result<Vec<RunRow>, StoreError> {
        let mut conditions = Vec::new();
        let mut values: Vec<&(dyn postgres::types::ToSql + Sync)> = Vec::new();
        for (column, value) in [
            ("eval_id", &filter.eval_id),
            ("scenario", &filter.scenario),
            ("agent", &filter.agent),
        ] {
            if let Some(value) = value {
                values.push(value);
                conditions.push(format!("{column} = ${}", values.len()));
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
        self.query_runs(&sql, &values)
    }

    pub(crate) fn query_runs(
        &mut self,
        sql: &str,
        values: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<Vec<RunRow>, StoreError> {
        let rows = self
            .client
            .query(sql, values)
            .map_err(|e| self.error("list the runs", &e))?;
        let label = &self.label;
        rows.iter()
            .map(|row| {
                let what = "a run";
                let seed: String = cell(row, 5, label, what)?;
                let seed = seed.parse().map_err(|_| StoreError::Damaged {
                    path: label.clone(),
                    what: what.to_owned(),
                    message: format!("seed `{seed}` is not a number from 0 to 2^64 - 1"),
                })?;
                let number = |index: usize| -> Result<u32, StoreError> {
                    Ok(u32::try_from(cell::<i64>(row, index, label, what)?).unwrap_or(u32::MAX))
                };
                Ok(RunRow {
                    key: cell(row, 0, label, what)?,
                    eval_id: cell(row, 1, label, what)?,
                    run_id: cell(row, 2, label, what)?,
                    scenario: cell(row, 3, label, what)?,
                    trial: number(4)?,
                    seed,
                    agent: cell(row, 6, label, what)?,
                    status: cell(row, 7, label, what)?,
                    termination: cell(row, 8, label, what)?,
                    steps: number(9)?,
                    score: cell(row, 10, label, what)?,
                    passed: cell(row, 11, label, what)?,
                    tokens: cell::<Option<i64>>(row, 12, label, what)?
                        .and_then(|t| u64::try_from(t).ok()),
                    cost_usd: cell(row, 13, label, what)?,
                    wall_time_ms: cell(row, 14, label, what)?,
                    head_hash: cell(row, 15, label, what)?,
                    event_count: u64::try_from(cell::<i64>(row, 16, label, what)?).unwrap_or(0),
                    recorded_at: cell(row, 17, label, what)?,
                    record: cell(row, 18, label, what)?,
                })
            })
            .collect()
    }

    pub(crate) fn audit_lines(&mut self, key: i64, run_id: &str) -> Result<Vec<u8>, StoreError> {
        let rows = self
            .client
            .query(
                "SELECT line FROM events WHERE run_key = $1 ORDER BY seq",
                &[&key],
            )
            .map_err(|e| self.error(&format!("read the events of run {run_id}"), &e))?;
        let mut bytes = Vec::new();
        for row in rows {
            bytes.extend(cell::<Vec<u8>>(&row, 0, &self.label, "an event")?);
        }
        Ok(bytes)
    }

    pub(crate) fn recorded_pairs(
        &mut self,
        eval_id: &str,
    ) -> Result<Vec<(String, u32)>, StoreError> {
        let rows = self
            .client
            .query(
                "SELECT scenario, trial FROM runs WHERE eval_id = $1",
                &[&eval_id],
            )
            .map_err(|e| self.error(&format!("read the runs of eval {eval_id}"), &e))?;
        rows.iter()
            .map(|row| {
                let scenario = cell(row, 0, &self.label, "a run")?;
                let trial = cell::<i64>(row, 1, &self.label, "a run")?;
                Ok((scenario, u32::try_from(trial).unwrap_or(u32::MAX)))
            })
            .collect()
    }
}

/// The columns a [`RunRow`] is read from, in order.
pub(crate) const RUN_COLUMNS: &str = "key, eval_id, run_id, scenario, trial, seed, agent, status, termination, steps, score, passed, tokens, cost_usd, wall_time_ms, head_hash, event_count, recorded_at, record";

fn insert_run(
    transaction: &mut Transaction<'_>,
    label: &std::path::Path,
    run: &PreparedRun,
) -> Result<(), StoreError> {
    let doing = format!("record run {}", run.run_id);
    let database = |e: postgres::Error| database_error(label, &doing, &e);
    let tokens = run.tokens.map(|t| i64::try_from(t).unwrap_or(i64::MAX));
    let inserted = transaction.query_one(
        "INSERT INTO runs (eval_id, run_id, scenario, trial, seed, agent, status, termination, steps, score, passed, tokens, cost_usd, wall_time_ms, head_hash, event_count, recorded_at, record)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) RETURNING key",
        &[
            &run.eval_id,
            &run.run_id,
            &run.scenario,
            &i64::from(run.trial),
            &run.seed.to_string(),
            &run.agent,
            &run.status,
            &run.termination,
            &i64::from(run.steps),
            &run.score,
            &run.passed,
            &tokens,
            &run.cost_usd,
            &run.wall_time_ms,
            &run.head_hash(),
            &(run.ends.len() as i64),
            &run.recorded_at,
            &run.record,
        ],
    );
    let key: i64 = match inserted {
        Ok(row) => cell(&row, 0, label, "a new run")?,
        Err(error) => {
            if let Some(eval) = &run.eval_id
                && error.code() == Some(&SqlState::UNIQUE_VIOLATION)
            {
                return Err(StoreError::DuplicateTrial {
                    eval: eval.clone(),
                    scenario: run.scenario.clone(),
                    trial: run.trial,
                });
            }
            return Err(database(error));
        }
    };
    if !run.ends.is_empty() {
        let seqs: Vec<i64> = (0..run.ends.len() as i64).collect();
        let mut prevs: Vec<&str> = Vec::with_capacity(run.hashes.len());
        prevs.push(GENESIS_HASH);
        prevs.extend(
            run.hashes
                .iter()
                .take(run.hashes.len().saturating_sub(1))
                .map(String::as_str),
        );
        let lines: Vec<&[u8]> = run.lines().collect();
        transaction
            .execute(
                "INSERT INTO events (run_key, seq, prev, hash, line)
                 SELECT $1, * FROM UNNEST($2::BIGINT[], $3::TEXT[], $4::TEXT[], $5::BYTEA[])",
                &[&key, &seqs, &prevs, &run.hashes, &lines],
            )
            .map_err(database)?;
    }
    transaction
        .execute(
            "INSERT INTO evaluations (run_key, recorded_at, evaluation) VALUES ($1, $2, $3)",
            &[&key, &run.recorded_at, &run.evaluation],
        )
        .map(|_| ())
        .map_err(database)
}

pub(crate) fn database_error(
    label: &std::path::Path,
    doing: &str,
    error: &postgres::Error,
) -> StoreError {
    if error.is_closed() {
        return StoreError::Database {
            path: label.to_owned(),
            doing: doing.to_owned(),
            message: "the connection to the server was lost".to_owned(),
        };
    }
    let message = match error.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => error.to_string(),
    };
    StoreError::Database {
        path: label.to_owned(),
        doing: doing.to_owned(),
        message,
    }
}

/// A cell of `row`, or `Damaged` when it is not of the type expected (a
/// table of the same name that is not ours, a store edited by hand).
pub(crate) fn cell<'a, T: postgres::types::FromSql<'a>>(
    row: &'a postgres::Row,
    index: usize,
    label: &std::path::Path,
    what: &str,
) -> Result<T, StoreError> {
    row.try_get(index).map_err(|error| StoreError::Damaged {
        path: label.to_owned(),
        what: what.to_owned(),
        message: format!("column {index}: {error} (is this table oncall-gym's?)"),
    })
}

/// `url` for messages: user, hosts, ports and database as the client reads
/// them, never the password.
pub(crate) fn redacted(url: &str) -> String {
    let Ok(config) = Config::from_str(url) else {
        return "postgres://(a URL that does not parse)".to_owned();
    };
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .zip(config.get_ports().iter().chain(std::iter::repeat(&5432)))
        .map(|(host, port)| match host {
            postgres::config::Host::Tcp(name) => format!("{name}:{port}"),
            postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .collect();
    let user = config.get_user().map(|user| match config.get_password() {
        Some(_) => format!("{user}:***@"),
        None => format!("{user}@"),
    });
    format!(
        "postgres://{}{}/{}",
        user.unwrap_or_default(),
        hosts.join(","),
        config.get_dbname().unwrap_or("")
    )
}
