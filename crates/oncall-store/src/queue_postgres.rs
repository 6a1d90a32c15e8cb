//! The job queue on PostgreSQL: claims are `SELECT … FOR UPDATE SKIP
//! LOCKED`, so any number of workers on any number of machines take rows
//! without waiting on each other, and never the same row.

use crate::error::StoreError;
use crate::postgres::{PostgresStore, cell, database_error};
use crate::queue::{
    GIVE_UP, Job, JobKey, JobOutcome, MAX_ATTEMPTS, OF_CLOSED_EVALS, QueueCounts, done_sql,
    failed_sql, finish_eval_sql, free_rows, release_sql, start_sql,
};
use crate::rows::{EvalStatus, NewEval};

/// Now, in unix milliseconds, by the server's clock.
const NOW_MS: &str = "(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT";

impl PostgresStore {
    pub(crate) fn enqueue_eval(
        &mut self,
        eval: &NewEval,
        pairs: &[(String, u32)],
    ) -> Result<(), StoreError> {
        let doing = format!("queue eval {}", eval.id);
        let (label, client) = self.parts();
        let fail = |e: postgres::Error| database_error(label, &doing, &e);
        let mut transaction = client.transaction().map_err(fail)?;
        transaction
            .execute(
                "INSERT INTO evals (id, agent, model, settings, started_at, status) VALUES ($1, $2, $3, $4, $5, $6)",
                &[&eval.id, &eval.agent, &eval.model, &eval.settings.to_string(), &eval.started_at, &EvalStatus::Queued.as_str()],
            )
            .map_err(fail)?;
        let scenarios: Vec<&str> = pairs
            .iter()
            .map(|(scenario, _)| scenario.as_str())
            .collect();
        let trials: Vec<i64> = pairs.iter().map(|(_, trial)| i64::from(*trial)).collect();
        transaction
            .execute(
                "INSERT INTO jobs (eval_id, scenario, trial, state)
                 SELECT $1, scenario, trial, 'queued' FROM UNNEST($2::TEXT[], $3::BIGINT[]) WITH ORDINALITY AS pair (scenario, trial, position)
                 ORDER BY position",
                &[&eval.id, &scenarios, &trials],
            )
            .map_err(fail)?;
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
        let (label, client) = self.parts();
        let fail = |e: postgres::Error| database_error(label, &doing, &e);
        let mut transaction = client.transaction().map_err(fail)?;
        let max_attempts = i64::from(MAX_ATTEMPTS);
        let free = free_rows("", NOW_MS);
        let abandoned = transaction
            .query(
                &format!(
                    "UPDATE jobs SET {GIVE_UP}
                     WHERE id IN (SELECT id FROM jobs WHERE attempts >= $1 AND {free} FOR UPDATE SKIP LOCKED)
                     RETURNING eval_id"
                ),
                &[&max_attempts],
            )
            .map_err(fail)?;
        let mut given_up = std::collections::BTreeSet::new();
        for row in &abandoned {
            given_up.insert(cell::<String>(row, 0, label, "jobs.eval_id")?);
        }
        finish_evals(&mut transaction, given_up.iter().map(String::as_str), now).map_err(fail)?;
        transaction
            .execute(
                &format!(
                    "UPDATE jobs SET state = 'cancelled', worker = NULL, lease_until = NULL
                     WHERE id IN (SELECT id FROM jobs WHERE {free} AND {OF_CLOSED_EVALS} FOR UPDATE SKIP LOCKED)"
                ),
                &[],
            )
            .map_err(fail)?;
        let rows = transaction
            .query(
                &format!(
                    "UPDATE jobs SET state = 'claimed', worker = $1, lease_until = {NOW_MS} + $3
                     WHERE id IN (
                         SELECT j.id FROM jobs j JOIN evals e ON e.id = j.eval_id
                         WHERE e.status IN ('queued', 'running') AND {}
                         ORDER BY j.id LIMIT $2
                         FOR UPDATE OF j SKIP LOCKED)
                     RETURNING id, eval_id, scenario, trial, attempts",
                    free_rows("j.", NOW_MS)
                ),
                &[&worker, &i64::from(limit), &lease_ms],
            )
            .map_err(fail)?;
        let mut claimed = Vec::with_capacity(rows.len());
        for row in &rows {
            let id: i64 = cell(row, 0, label, "jobs.id")?;
            let eval_id: String = cell(row, 1, label, "jobs.eval_id")?;
            let scenario: String = cell(row, 2, label, "jobs.scenario")?;
            let trial: i64 = cell(row, 3, label, "jobs.trial")?;
            let attempts: i64 = cell(row, 4, label, "jobs.attempts")?;
            claimed.push((id, eval_id, scenario, trial, attempts));
        }
        claimed.sort_by_key(|(id, ..)| *id);
        // Each eval once, in id order: two claims never lock evals in
        // opposite orders.
        let evals: std::collections::BTreeSet<&str> =
            claimed.iter().map(|(_, eval, ..)| eval.as_str()).collect();
        let mut settings_of = std::collections::HashMap::new();
        for eval_id in evals {
            transaction
                .execute(
                    "UPDATE evals SET status = 'running' WHERE id = $1 AND status = 'queued'",
                    &[&eval_id],
                )
                .map_err(fail)?;
            let row = transaction
                .query_one(
                    "SELECT agent, settings FROM evals WHERE id = $1",
                    &[&eval_id],
                )
                .map_err(fail)?;
            let agent: String = cell(&row, 0, label, "evals.agent")?;
            let settings: String = cell(&row, 1, label, "evals.settings")?;
            let settings = crate::queue::read_settings(label, eval_id, &settings)?;
            settings_of.insert(eval_id.to_owned(), (agent, settings));
        }
        let mut jobs = Vec::with_capacity(claimed.len());
        for (_, eval_id, scenario, trial, attempts) in claimed {
            let Some((agent, settings)) = settings_of.get(&eval_id).cloned() else {
                continue;
            };
            jobs.push(Job {
                eval_id,
                scenario,
                trial: u32::try_from(trial).unwrap_or(u32::MAX),
                attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
                agent,
                settings,
            });
        }
        transaction.commit().map_err(fail)?;
        Ok(jobs)
    }

    pub(crate) fn start_job(&mut self, worker: &str, key: &JobKey) -> Result<bool, StoreError> {
        let doing = format!("start trial {} of `{}`", key.trial, key.scenario);
        let (label, client) = self.parts();
        client
            .execute(
                &start_sql('$'),
                &[&key.eval_id, &key.scenario, &i64::from(key.trial), &worker],
            )
            .map(|changed| changed == 1)
            .map_err(|e| database_error(label, &doing, &e))
    }

    pub(crate) fn heartbeat(&mut self, worker: &str, lease_ms: i64) -> Result<u64, StoreError> {
        let doing = format!("renew the leases of worker {worker}");
        let (label, client) = self.parts();
        client
            .execute(
                &format!(
                    "UPDATE jobs SET lease_until = {NOW_MS} + $2 WHERE worker = $1 AND state = 'claimed'"
                ),
                &[&worker, &lease_ms],
            )
            .map_err(|e| database_error(label, &doing, &e))
    }

    pub(crate) fn finish_jobs(
        &mut self,
        worker: &str,
        outcomes: &[(JobKey, JobOutcome)],
        finished_at: &str,
    ) -> Result<(), StoreError> {
        let doing = "finish jobs".to_owned();
        let (label, client) = self.parts();
        let fail = |e: postgres::Error| database_error(label, &doing, &e);
        let mut transaction = client.transaction().map_err(fail)?;
        let mut evals = std::collections::BTreeSet::new();
        for (key, outcome) in outcomes {
            let trial = i64::from(key.trial);
            match outcome {
                JobOutcome::Done => {
                    transaction.execute(&done_sql('$'), &[&key.eval_id, &key.scenario, &trial])
                }
                JobOutcome::Failed(why) => transaction.execute(
                    &failed_sql('$'),
                    &[&key.eval_id, &key.scenario, &trial, &worker, why],
                ),
            }
            .map_err(fail)?;
            evals.insert(key.eval_id.as_str());
        }
        finish_evals(&mut transaction, evals.into_iter(), finished_at).map_err(fail)?;
        transaction.commit().map_err(fail)
    }

    pub(crate) fn release_jobs(&mut self, worker: &str) -> Result<u64, StoreError> {
        let doing = format!("release the jobs of worker {worker}");
        let (label, client) = self.parts();
        client
            .execute(&release_sql('$'), &[&worker])
            .map_err(|e| database_error(label, &doing, &e))
    }

    pub(crate) fn cancel_eval(
        &mut self,
        eval_id: &str,
        finished_at: &str,
    ) -> Result<Option<u64>, StoreError> {
        let doing = format!("cancel eval {eval_id}");
        let (label, client) = self.parts();
        let fail = |e: postgres::Error| database_error(label, &doing, &e);
        let mut transaction = client.transaction().map_err(fail)?;
        // Rows first, then the eval: the order a claim locks them in, so
        // the two never wait on each other in a cycle.
        let dropped = transaction
            .execute(
                "UPDATE jobs SET state = 'cancelled' WHERE eval_id = $1 AND state = 'queued'",
                &[&eval_id],
            )
            .map_err(fail)?;
        let changed = transaction
            .execute(
                "UPDATE evals SET status = 'cancelled', finished_at = $2 WHERE id = $1 AND status IN ('queued', 'running')",
                &[&eval_id, &finished_at],
            )
            .map_err(fail)?;
        if changed == 0 {
            return Ok(None);
        }
        transaction.commit().map_err(fail)?;
        Ok(Some(dropped))
    }

    pub(crate) fn queue_counts(
        &mut self,
        eval_id: Option<&str>,
    ) -> Result<QueueCounts, StoreError> {
        let doing = "count jobs".to_owned();
        let (label, client) = self.parts();
        let rows = client
            .query(
                "SELECT state, COUNT(*) FROM jobs WHERE ($1::TEXT IS NULL OR eval_id = $1) GROUP BY state",
                &[&eval_id],
            )
            .map_err(|e| database_error(label, &doing, &e))?;
        let mut counts = QueueCounts::default();
        for row in &rows {
            let state: String = cell(row, 0, label, "jobs.state")?;
            let count: i64 = cell(row, 1, label, "jobs count")?;
            counts.add(&state, u64::try_from(count).unwrap_or(0));
        }
        Ok(counts)
    }
}

/// Finishes each of `evals` (sorted) that has no row left to run. Each eval
/// row is locked first, in id order: the finishing statement then reads a
/// snapshot taken after the lock, which holds every row another transaction
/// finishing the same eval committed. Without the lock, two transactions
/// finishing an eval's last two rows at once would each still see the
/// other's row pending, and neither would finish the eval.
fn finish_evals<'a>(
    transaction: &mut postgres::Transaction<'_>,
    evals: impl Iterator<Item = &'a str>,
    finished_at: &str,
) -> Result<(), postgres::Error> {
    let finish = finish_eval_sql('$');
    for eval in evals {
        transaction.execute("SELECT id FROM evals WHERE id = $1 FOR UPDATE", &[&eval])?;
        transaction.execute(&finish, &[&eval, &finished_at])?;
    }
    Ok(())
}
