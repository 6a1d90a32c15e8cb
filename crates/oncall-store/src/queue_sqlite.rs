//! The job queue on SQLite: every claim is one `BEGIN IMMEDIATE`
//! transaction, so two processes sharing the file never claim one row.

use rusqlite::{TransactionBehavior, params};

use crate::error::StoreError;
use crate::queue::{
    GIVE_UP, Job, JobKey, JobOutcome, MAX_ATTEMPTS, OF_CLOSED_EVALS, QueueCounts, done_sql,
    failed_sql, finish_eval_sql, free_rows, read_settings, release_sql, start_sql,
};
use crate::rows::{EvalStatus, NewEval};
use crate::sqlite::{SqliteStore, database_error};

/// Now, in unix milliseconds, by SQLite's clock.
const NOW_MS: &str = "CAST(unixepoch('subsec') * 1000 AS INTEGER)";

impl SqliteStore {
    pub(crate) fn enqueue_eval(
        &mut self,
        eval: &NewEval,
        pairs: &[(String, u32)],
    ) -> Result<(), StoreError> {
        let doing = format!("queue eval {}", eval.id);
        let (path, connection) = self.parts();
        let fail = |e: rusqlite::Error| database_error(path, &doing, &e);
        let transaction = connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(fail)?;
        transaction
            .execute(
                "INSERT INTO evals (id, agent, model, settings, started_at, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![eval.id, eval.agent, eval.model, eval.settings.to_string(), eval.started_at, EvalStatus::Queued.as_str()],
            )
            .map_err(fail)?;
        {
            let mut insert = transaction
                .prepare("INSERT INTO jobs (eval_id, scenario, trial, state) VALUES (?1, ?2, ?3, 'queued')")
                .map_err(fail)?;
            for (scenario, trial) in pairs {
                insert
                    .execute(params![eval.id, scenario, trial])
                    .map_err(fail)?;
            }
        }
        transaction.commit().map_err(fail)
    }

    pub(crate) fn claim_jobs(
        &mut self,
        worker: &str,
        limit: u32,
        lease_ms: i64,
        now: &str,
    ) -> Result<Vec<Job>, StoreError> {
        let doing = format!("claim jobs for worker {worker}");
        let (path, connection) = self.parts();
        let fail = |e: rusqlite::Error| database_error(path, &doing, &e);
        let transaction = connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(fail)?;
        let free = free_rows("", NOW_MS);
        let abandoned: Vec<String> = {
            let mut sweep = transaction
                .prepare(&format!(
                    "UPDATE jobs SET {GIVE_UP} WHERE attempts >= ?1 AND {free} RETURNING eval_id"
                ))
                .map_err(fail)?;
            let rows = sweep
                .query_map([MAX_ATTEMPTS], |row| row.get(0))
                .map_err(fail)?;
            rows.collect::<Result<_, _>>().map_err(fail)?
        };
        let finish = finish_eval_sql('?');
        for eval in &abandoned {
            transaction
                .execute(&finish, params![eval, now])
                .map_err(fail)?;
        }
        transaction
            .execute(
                &format!(
                    "UPDATE jobs SET state = 'cancelled', worker = NULL, lease_until = NULL WHERE {free} AND {OF_CLOSED_EVALS}"
                ),
                [],
            )
            .map_err(fail)?;
        let claimed: Vec<(i64, String, String, u32, u32, String, String)> = {
            let mut select = transaction
                .prepare(&format!(
                    "SELECT j.id, j.eval_id, j.scenario, j.trial, j.attempts, e.agent, e.settings
                     FROM jobs j JOIN evals e ON e.id = j.eval_id
                     WHERE e.status IN ('queued', 'running') AND {}
                     ORDER BY j.id LIMIT ?1",
                    free_rows("j.", NOW_MS)
                ))
                .map_err(fail)?;
            let rows = select
                .query_map([limit], |row| {
                    Ok((
                        row.get(0)?,
                        row.get(1)?,
                        row.get(2)?,
                        row.get(3)?,
                        row.get(4)?,
                        row.get(5)?,
                        row.get(6)?,
                    ))
                })
                .map_err(fail)?;
            rows.collect::<Result<_, _>>().map_err(fail)?
        };
        let mut jobs = Vec::with_capacity(claimed.len());
        for (id, eval_id, scenario, trial, attempts, agent, settings) in claimed {
            transaction
                .execute(
                    &format!(
                        "UPDATE jobs SET state = 'claimed', worker = ?2, lease_until = {NOW_MS} + ?3 WHERE id = ?1"
                    ),
                    params![id, worker, lease_ms],
                )
                .map_err(fail)?;
            transaction
                .execute(
                    "UPDATE evals SET status = 'running' WHERE id = ?1 AND status = 'queued'",
                    [&eval_id],
                )
                .map_err(fail)?;
            let settings = read_settings(path, &eval_id, &settings)?;
            jobs.push(Job {
                eval_id,
                scenario,
                trial,
                attempts,
                agent,
                settings,
            });
        }
        transaction.commit().map_err(fail)?;
        Ok(jobs)
    }

    pub(crate) fn start_job(&mut self, worker: &str, key: &JobKey) -> Result<bool, StoreError> {
        let doing = format!("start trial {} of `{}`", key.trial, key.scenario);
        let (path, connection) = self.parts();
        connection
            .execute(
                &start_sql('?'),
                params![key.eval_id, key.scenario, key.trial, worker],
            )
            .map(|changed| changed == 1)
            .map_err(|e| database_error(path, &doing, &e))
    }

    pub(crate) fn heartbeat(&mut self, worker: &str, lease_ms: i64) -> Result<u64, StoreError> {
        let doing = format!("renew the leases of worker {worker}");
        let (path, connection) = self.parts();
        connection
            .execute(
                &format!(
                    "UPDATE jobs SET lease_until = {NOW_MS} + ?2 WHERE worker = ?1 AND state = 'claimed'"
                ),
                params![worker, lease_ms],
            )
            .map(|count| count as u64)
            .map_err(|e| database_error(path, &doing, &e))
    }

    pub(crate) fn finish_jobs(
        &mut self,
        worker: &str,
        outcomes: &[(JobKey, JobOutcome)],
        finished_at: &str,
    ) -> Result<(), StoreError> {
        let doing = "finish jobs".to_owned();
        let (path, connection) = self.parts();
        let fail = |e: rusqlite::Error| database_error(path, &doing, &e);
        let transaction = connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(fail)?;
        let mut evals = std::collections::BTreeSet::new();
        for (key, outcome) in outcomes {
            match outcome {
                JobOutcome::Done => transaction.execute(
                    &done_sql('?'),
                    params![key.eval_id, key.scenario, key.trial],
                ),
                JobOutcome::Failed(why) => transaction.execute(
                    &failed_sql('?'),
                    params![key.eval_id, key.scenario, key.trial, worker, why],
                ),
            }
            .map_err(fail)?;
            evals.insert(key.eval_id.as_str());
        }
        let finish = finish_eval_sql('?');
        for eval in evals {
            transaction
                .execute(&finish, params![eval, finished_at])
                .map_err(fail)?;
        }
        transaction.commit().map_err(fail)
    }

    pub(crate) fn release_jobs(&mut self, worker: &str) -> Result<u64, StoreError> {
        let doing = format!("release the jobs of worker {worker}");
        let (path, connection) = self.parts();
        connection
            .execute(&release_sql('?'), [worker])
            .map(|count| count as u64)
            .map_err(|e| database_error(path, &doing, &e))
    }

    /// Cancels an open eval; `None` when it was no longer open.
    pub(crate) fn cancel_eval(
        &mut self,
        eval_id: &str,
        finished_at: &str,
    ) -> Result<Option<u64>, StoreError> {
        let doing = format!("cancel eval {eval_id}");
        let (path, connection) = self.parts();
        let fail = |e: rusqlite::Error| database_error(path, &doing, &e);
        let transaction = connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(fail)?;
        // Rows first, then the eval: the order a claim takes them in.
        let dropped = transaction
            .execute(
                "UPDATE jobs SET state = 'cancelled' WHERE eval_id = ?1 AND state = 'queued'",
                [eval_id],
            )
            .map_err(fail)?;
        let changed = transaction
            .execute(
                "UPDATE evals SET status = 'cancelled', finished_at = ?2 WHERE id = ?1 AND status IN ('queued', 'running')",
                params![eval_id, finished_at],
            )
            .map_err(fail)?;
        if changed == 0 {
            return Ok(None);
        }
        transaction.commit().map_err(fail)?;
        Ok(Some(dropped as u64))
    }

    pub(crate) fn queue_counts(
        &mut self,
        eval_id: Option<&str>,
    ) -> Result<QueueCounts, StoreError> {
        let doing = "count jobs".to_owned();
        let (path, connection) = self.parts();
        let fail = |e: rusqlite::Error| database_error(path, &doing, &e);
        let mut select = connection
            .prepare_cached(
                "SELECT state, COUNT(*) FROM jobs WHERE (?1 IS NULL OR eval_id = ?1) GROUP BY state",
            )
            .map_err(fail)?;
        let rows = select
            .query_map([eval_id], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
            })
            .map_err(fail)?;
        let mut counts = QueueCounts::default();
        for row in rows {
            let (state, count) = row.map_err(fail)?;
            counts.add(&state, u64::try_from(count).unwrap_or(0));
        }
        Ok(counts)
    }
}
