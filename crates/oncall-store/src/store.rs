//! [`Store`]: the one interface over both backends, SQLite (a file path)
//! and PostgreSQL (a `postgres://` URL), with id prefixes resolved the same
//! way for both.

use std::path::Path;

use crate::error::StoreError;
use crate::postgres::{PostgresStore, RUN_COLUMNS};
use crate::prepared::PreparedRun;
use crate::rows::{EvalRow, EvalStatus, NewEval, NewRun, RunFilter, RunRow};
use crate::sqlite::SqliteStore;

/// A results store.
#[derive(Debug)]
pub struct Store {
    pub(crate) backend: Backend,
}

#[derive(Debug)]
pub(crate) enum Backend {
    Sqlite(SqliteStore),
    Postgres(Box<PostgresStore>),
}

impl Store {
    /// Opens the store at `location`: a `postgres://` (or `postgresql://`)
    /// URL, or the path of a SQLite file, created (with its directory) when
    /// it does not exist. Its schema is brought up to date.
    pub fn open(location: &str) -> Result<Store, StoreError> {
        let backend = if is_postgres_url(location) {
            Backend::Postgres(Box::new(PostgresStore::open(location)?))
        } else {
            Backend::Sqlite(SqliteStore::open(Path::new(location))?)
        };
        Ok(Store { backend })
    }

    /// Opens the SQLite store at `path`.
    pub fn open_file(path: &Path) -> Result<Store, StoreError> {
        Ok(Store {
            backend: Backend::Sqlite(SqliteStore::open(path)?),
        })
    }

    /// Where it is: the file, or the URL without its password.
    pub fn path(&self) -> &Path {
        match &self.backend {
            Backend::Sqlite(store) => store.path(),
            Backend::Postgres(store) => store.label(),
        }
    }

    /// The schema version it is at.
    pub fn schema_version(&mut self) -> Result<i64, StoreError> {
        match &mut self.backend {
            Backend::Sqlite(store) => store.schema_version(),
            Backend::Postgres(store) => store.schema_version(),
        }
    }

    /// Records a new eval.
    pub fn create_eval(&mut self, eval: &NewEval) -> Result<(), StoreError> {
        match &mut self.backend {
            Backend::Sqlite(store) => store.create_eval(eval),
            Backend::Postgres(store) => store.create_eval(eval),
        }
    }

    /// Marks an eval finished, with its final status.
    pub fn finish_eval(
        &mut self,
        id: &str,
        status: EvalStatus,
        finished_at: &str,
    ) -> Result<(), StoreError> {
        match &mut self.backend {
            Backend::Sqlite(store) => store.finish_eval(id, status, finished_at),
            Backend::Postgres(store) => store.finish_eval(id, status, finished_at),
        }
    }

    /// Records a run and its audit log's lines in one transaction: all of
    /// it, or none. `recorded_at` is RFC 3339.
    pub fn record_run(&mut self, run: &NewRun<'_>, recorded_at: &str) -> Result<(), StoreError> {
        self.record_prepared(std::slice::from_ref(&PreparedRun::new(run, recorded_at)))
    }

    /// Records prepared runs, in one transaction when they all go in; when
    /// one is refused, the others are still recorded and the first refusal
    /// is returned. A run is always whole or absent.
    pub fn record_prepared(&mut self, runs: &[PreparedRun]) -> Result<(), StoreError> {
        match self.record_batch(runs) {
            // Only a refused pair is worth retrying the others around; a
            // lock or a broken connection would refuse them all again.
            Err(StoreError::DuplicateTrial { .. }) if runs.len() > 1 => {
                // A real failure outranks a refused pair, so it is never
                // passed off as a duplicate.
                let mut duplicate = None;
                let mut failure = None;
                for run in runs {
                    match self.record_batch(std::slice::from_ref(run)) {
                        Ok(()) => {}
                        Err(error @ StoreError::DuplicateTrial { .. }) => {
                            duplicate.get_or_insert(error);
                        }
                        Err(error) => {
                            failure.get_or_insert(error);
                        }
                    }
                }
                failure.or(duplicate).map_or(Ok(()), Err)
            }
            done => done,
        }
    }

    fn record_batch(&mut self, runs: &[PreparedRun]) -> Result<(), StoreError> {
        match &mut self.backend {
            Backend::Sqlite(store) => store.record_batch(runs),
            Backend::Postgres(store) => store.record_batch(runs),
        }
    }

    /// Every eval, newest first, with its runs summed.
    pub fn evals(&mut self) -> Result<Vec<EvalRow>, StoreError> {
        match &mut self.backend {
            Backend::Sqlite(store) => store.evals(),
            Backend::Postgres(store) => store.evals("", None),
        }
    }

    /// The eval whose id starts with `prefix` (unique).
    pub fn eval(&mut self, prefix: &str) -> Result<EvalRow, StoreError> {
        let pattern = pattern(prefix)?;
        let mut rows = match &mut self.backend {
            Backend::Sqlite(store) => store.evals_like(&pattern)?,
            Backend::Postgres(store) => store.evals("WHERE e.id LIKE $1", Some(&pattern))?,
        };
        self.unique("eval", prefix, &mut rows, |row| row.id.clone())
    }

    /// The runs `filter` selects, newest first.
    pub fn runs(&mut self, filter: &RunFilter) -> Result<Vec<RunRow>, StoreError> {
        match &mut self.backend {
            Backend::Sqlite(store) => store.runs(filter),
            Backend::Postgres(store) => store.runs(filter),
        }
    }

    /// The runs of eval `eval_id`, by scenario then trial.
    pub fn eval_runs(&mut self, eval_id: &str) -> Result<Vec<RunRow>, StoreError> {
        match &mut self.backend {
            Backend::Sqlite(store) => store.eval_runs(eval_id),
            Backend::Postgres(store) => {
                let sql = format!(
                    "SELECT {RUN_COLUMNS} FROM runs WHERE eval_id = $1 ORDER BY scenario, trial"
                );
                store.query_runs(&sql, &[&eval_id])
            }
        }
    }

    /// The run whose id starts with `prefix`, in eval `eval_id` when given.
    /// Runs take their ids from their seed, so the same run recorded twice
    /// (two evals with one seed, `run` twice) shares an id: then the newest
    /// is meant, and `eval_id` picks one in a given eval. A prefix of
    /// different ids is ambiguous.
    pub fn run(&mut self, prefix: &str, eval_id: Option<&str>) -> Result<RunRow, StoreError> {
        let pattern = pattern(prefix)?;
        let mut rows = match &mut self.backend {
            Backend::Sqlite(store) => store.runs_like(&pattern, eval_id)?,
            Backend::Postgres(store) => match eval_id {
                Some(eval) => {
                    let sql = format!(
                        "SELECT {RUN_COLUMNS} FROM runs WHERE run_id LIKE $1 AND eval_id = $2 ORDER BY key DESC LIMIT 11"
                    );
                    store.query_runs(&sql, &[&pattern, &eval])?
                }
                None => {
                    let sql = format!(
                        "SELECT {RUN_COLUMNS} FROM runs WHERE run_id LIKE $1 ORDER BY key DESC LIMIT 11"
                    );
                    store.query_runs(&sql, &[&pattern])?
                }
            },
        };
        if let Some(newest) = rows.first()
            && rows.iter().all(|row| row.run_id == newest.run_id)
            && !self.another_id_like(&pattern, &newest.run_id, eval_id)?
        {
            return Ok(rows.remove(0));
        }
        self.unique("run", prefix, &mut rows, |row| match &row.eval_id {
            Some(eval) => format!("{} (eval {})", row.run_id, eval.get(..8).unwrap_or(eval)),
            None => row.run_id.clone(),
        })
    }

    /// The full id of the eval `prefix` names (a unique prefix), when one
    /// is given.
    pub fn eval_id(&mut self, prefix: Option<&str>) -> Result<Option<String>, StoreError> {
        prefix.map(|prefix| Ok(self.eval(prefix)?.id)).transpose()
    }

    /// [`Store::run`], in the eval `eval_prefix` names (an id or a unique
    /// prefix) when given.
    pub fn run_in(
        &mut self,
        prefix: &str,
        eval_prefix: Option<&str>,
    ) -> Result<RunRow, StoreError> {
        let eval_id = self.eval_id(eval_prefix)?;
        self.run(prefix, eval_id.as_deref())
    }

    /// Whether a run whose id matches `pattern` but is not `id` is stored
    /// (in eval `eval_id` when given): the rows `run` reads are capped, so a
    /// prefix shared by one run stored many times and another is checked
    /// here.
    fn another_id_like(
        &mut self,
        pattern: &str,
        id: &str,
        eval_id: Option<&str>,
    ) -> Result<bool, StoreError> {
        let rows = match &mut self.backend {
            Backend::Sqlite(store) => store.other_ids_like(pattern, id, eval_id)?,
            Backend::Postgres(store) => {
                let sql = format!(
                    "SELECT {RUN_COLUMNS} FROM runs WHERE run_id LIKE $1 AND run_id <> $2 AND ($3::TEXT IS NULL OR eval_id = $3) LIMIT 1"
                );
                store.query_runs(&sql, &[&pattern, &id, &eval_id])?
            }
        };
        Ok(!rows.is_empty())
    }

    /// A stored run's audit log, byte for byte as it was written. `None`
    /// when none was stored (a run imported from an `--out` line).
    pub fn audit_log(&mut self, run: &RunRow) -> Result<Option<Vec<u8>>, StoreError> {
        if run.head_hash.is_none() {
            return Ok(None);
        }
        let bytes = match &mut self.backend {
            Backend::Sqlite(store) => store.audit_lines(run)?,
            Backend::Postgres(store) => store.audit_lines(run.key, &run.run_id)?,
        };
        Ok(Some(bytes))
    }

    /// The (scenario, trial) pairs eval `eval_id` already holds.
    pub fn recorded_pairs(&mut self, eval_id: &str) -> Result<Vec<(String, u32)>, StoreError> {
        match &mut self.backend {
            Backend::Sqlite(store) => store.recorded_pairs(eval_id),
            Backend::Postgres(store) => store.recorded_pairs(eval_id),
        }
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
                path: self.path().to_owned(),
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
                    path: self.path().to_owned(),
                })
            }
        }
    }
}

/// `location` for messages: a PostgreSQL URL without its password, or the
/// path as given.
pub fn display_location(location: &str) -> String {
    if is_postgres_url(location) {
        crate::postgres::redacted(location)
    } else {
        location.to_owned()
    }
}

/// Whether `location` is a PostgreSQL URL.
pub fn is_postgres_url(location: &str) -> bool {
    location.starts_with("postgres://") || location.starts_with("postgresql://")
}

/// The LIKE pattern for an id prefix: hex digits and dashes only, so it
/// holds no wildcard.
fn pattern(prefix: &str) -> Result<String, StoreError> {
    let valid = !prefix.is_empty()
        && prefix.len() <= 36
        && prefix.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
    if valid {
        Ok(format!("{}%", prefix.to_lowercase()))
    } else {
        Err(StoreError::BadPrefix {
            prefix: prefix.to_owned(),
        })
    }
}

#[cfg(test)]
#[path = "store_tests.rs"]
pub(crate) mod tests;
