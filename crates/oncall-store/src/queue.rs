//! The job queue: an eval queued over HTTP is one row per (scenario,
//! trial) in `jobs`, which workers on any number of machines claim in
//! batches. A claim is a lease, kept alive by a heartbeat; when a worker
//! dies, its rows return to the queue once the lease runs out. On
//! PostgreSQL a claim is `SELECT … FOR UPDATE SKIP LOCKED`, so workers
//! never wait on each other's rows; on SQLite it is one `BEGIN IMMEDIATE`
//! transaction, which serialises claims on the file's write lock. Lease
//! times are the database's clock, so workers on machines whose clocks
//! disagree still agree on when a lease ran out.
//!
//! A row yields at most one stored run: `runs` is UNIQUE on (eval_id,
//! scenario, trial), so a run made twice (a worker whose lease ran out
//! while it was still running) is refused the second time, and its job is
//! done all the same.

use std::time::Duration;

use serde::Serialize;

use crate::error::StoreError;
use crate::rows::{EvalStatus, NewEval};
use crate::store::{Backend, Store};

/// How many times a row's run may be started before it is given up as
/// failed: a run that kills every worker that takes it must not take them
/// all. Only a started run counts, so the rows claimed beside it are
/// never given up for it.
pub const MAX_ATTEMPTS: u32 = 5;

/// The most rows one claim takes.
pub const MAX_CLAIM: u32 = 64;

/// A row claimed by a worker: which run to make, and the eval's agent and
/// settings to make it with.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// The eval.
    pub eval_id: String,
    /// The scenario's id.
    pub scenario: String,
    /// The trial's index.
    pub trial: u32,
    /// How many times its run was started before this claim.
    pub attempts: u32,
    /// The eval's agent, as stored.
    pub agent: String,
    /// The eval's settings, as stored.
    pub settings: serde_json::Value,
}

impl Job {
    /// Its key.
    pub fn key(&self) -> JobKey {
        JobKey {
            eval_id: self.eval_id.clone(),
            scenario: self.scenario.clone(),
            trial: self.trial,
        }
    }
}

/// Which row: an eval's (scenario, trial).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JobKey {
    /// The eval.
    pub eval_id: String,
    /// The scenario's id.
    pub scenario: String,
    /// The trial's index.
    pub trial: u32,
}

/// What became of a claimed row.
#[derive(Debug, Clone, PartialEq)]
pub enum JobOutcome {
    /// Its run is stored (by this worker, or by another before it).
    Done,
    /// Its run could not be made, for this reason.
    Failed(String),
}

/// How many of an eval's rows (or the whole queue's) stand where.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct QueueCounts {
    /// Waiting for a worker (leases that ran out included).
    pub queued: u64,
    /// Claimed by a worker whose lease still runs.
    pub claimed: u64,
    /// Run and stored.
    pub done: u64,
    /// Given up.
    pub failed: u64,
    /// Cancelled before a worker took them.
    pub cancelled: u64,
}

impl QueueCounts {
    /// Every row.
    pub fn total(&self) -> u64 {
        self.queued + self.claimed + self.done + self.failed + self.cancelled
    }

    /// Rows still to run: queued or claimed.
    pub fn pending(&self) -> u64 {
        self.queued + self.claimed
    }

    pub(crate) fn add(&mut self, state: &str, count: u64) {
        match state {
            "queued" => self.queued += count,
            "claimed" => self.claimed += count,
            "done" => self.done += count,
            "failed" => self.failed += count,
            "cancelled" => self.cancelled += count,
            _ => {}
        }
    }
}

/// What cancelling an eval did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cancelled {
    /// It is cancelled now; this many queued rows will not run.
    Now {
        /// Rows taken off the queue.
        dropped: u64,
    },
    /// It had already finished, with this status; nothing changed.
    AlreadyFinished(EvalStatus),
}

impl Store {
    /// Records `eval` (status queued) and one queued row for each (scenario,
    /// trial) of `pairs`, in one transaction.
    pub fn enqueue_eval(
        &mut self,
        eval: &NewEval,
        pairs: &[(String, u32)],
    ) -> Result<(), StoreError> {
        match &mut self.backend {
            Backend::Sqlite(store) => store.enqueue_eval(eval, pairs),
            Backend::Postgres(store) => store.enqueue_eval(eval, pairs),
        }
    }

    /// Claims up to `limit` (at most [`MAX_CLAIM`]) rows of open evals for
    /// `worker`, leased for `lease`: rows queued, and rows whose lease ran
    /// out. First, free rows whose run was started [`MAX_ATTEMPTS`] times
    /// are given up as failed (an eval left with nothing to run is finished
    /// at `now`, RFC 3339), and free rows of evals no longer open are
    /// cancelled. The evals claimed from become running.
    pub fn claim_jobs(
        &mut self,
        worker: &str,
        limit: u32,
        lease: Duration,
        now: &str,
    ) -> Result<Vec<Job>, StoreError> {
        let limit = limit.clamp(1, MAX_CLAIM);
        let lease_ms = lease_millis(lease);
        match &mut self.backend {
            Backend::Sqlite(store) => store.claim_jobs(worker, limit, lease_ms, now),
            Backend::Postgres(store) => store.claim_jobs(worker, limit, lease_ms, now),
        }
    }

    /// Marks the start of `key`'s run: `true` when `worker` still holds it
    /// and its eval is open (then it counts as an attempt), `false` when it
    /// must not run (cancelled, or taken back after the lease ran out).
    pub fn start_job(&mut self, worker: &str, key: &JobKey) -> Result<bool, StoreError> {
        match &mut self.backend {
            Backend::Sqlite(store) => store.start_job(worker, key),
            Backend::Postgres(store) => store.start_job(worker, key),
        }
    }

    /// Extends the lease of every row `worker` holds by `lease` from now.
    /// Returns how many it holds.
    pub fn heartbeat(&mut self, worker: &str, lease: Duration) -> Result<u64, StoreError> {
        let lease_ms = lease_millis(lease);
        match &mut self.backend {
            Backend::Sqlite(store) => store.heartbeat(worker, lease_ms),
            Backend::Postgres(store) => store.heartbeat(worker, lease_ms),
        }
    }

    /// Records what `worker`'s runs came to: a row whose run is stored is
    /// done whoever holds it (a run stored by a worker whose lease ran out
    /// is still stored); a failure counts only while `worker` holds the
    /// row. Then every eval of theirs with no row left to run is finished,
    /// as completed (or failed, when a row failed) at `finished_at` (RFC
    /// 3339).
    pub fn finish_jobs(
        &mut self,
        worker: &str,
        outcomes: &[(JobKey, JobOutcome)],
        finished_at: &str,
    ) -> Result<(), StoreError> {
        if outcomes.is_empty() {
            return Ok(());
        }
        match &mut self.backend {
            Backend::Sqlite(store) => store.finish_jobs(worker, outcomes, finished_at),
            Backend::Postgres(store) => store.finish_jobs(worker, outcomes, finished_at),
        }
    }

    /// Puts every row `worker` holds back on the queue (or, when its eval
    /// is no longer open, cancels it): a worker stopping with runs it has
    /// not started, or whose store failed. Returns how many.
    pub fn release_jobs(&mut self, worker: &str) -> Result<u64, StoreError> {
        match &mut self.backend {
            Backend::Sqlite(store) => store.release_jobs(worker),
            Backend::Postgres(store) => store.release_jobs(worker),
        }
    }

    /// Cancels the eval whose id starts with `prefix` (unique) at
    /// `finished_at`: its queued rows are dropped; rows under way finish
    /// and are kept.
    pub fn cancel_eval(
        &mut self,
        prefix: &str,
        finished_at: &str,
    ) -> Result<Cancelled, StoreError> {
        let eval = self.eval(prefix)?;
        if !eval.status.is_open() {
            return Ok(Cancelled::AlreadyFinished(eval.status));
        }
        let dropped = match &mut self.backend {
            Backend::Sqlite(store) => store.cancel_eval(&eval.id, finished_at),
            Backend::Postgres(store) => store.cancel_eval(&eval.id, finished_at),
        }?;
        match dropped {
            Some(dropped) => Ok(Cancelled::Now { dropped }),
            // It finished between the two reads.
            None => Ok(Cancelled::AlreadyFinished(self.eval(&eval.id)?.status)),
        }
    }

    /// How eval `eval_id`'s rows stand, or the whole queue's with `None`.
    pub fn queue_counts(&mut self, eval_id: Option<&str>) -> Result<QueueCounts, StoreError> {
        match &mut self.backend {
            Backend::Sqlite(store) => store.queue_counts(eval_id),
            Backend::Postgres(store) => store.queue_counts(eval_id),
        }
    }
}

fn lease_millis(lease: Duration) -> i64 {
    i64::try_from(lease.as_millis()).unwrap_or(i64::MAX).max(1)
}

/// The SQL both backends finish an eval with, once none of its rows is
/// left to run; `{p}` is the placeholder prefix (`?` or `$`).
pub(crate) fn finish_eval_sql(p: char) -> String {
    format!(
        "UPDATE evals SET status = CASE WHEN EXISTS (SELECT 1 FROM jobs WHERE eval_id = {p}1 AND state = 'failed') THEN 'failed' ELSE 'completed' END, finished_at = {p}2
         WHERE id = {p}1 AND status IN ('queued', 'running')
           AND NOT EXISTS (SELECT 1 FROM jobs WHERE eval_id = {p}1 AND state IN ('queued', 'claimed'))"
    )
}

/// Which rows are free to take: queued, or claimed under a lease that ran
/// out by `now` (the backend's clock, in unix milliseconds). `table` is
/// the jobs table's alias with its dot, or empty.
pub(crate) fn free_rows(table: &str, now: &str) -> String {
    format!(
        "({table}state = 'queued' OR ({table}state = 'claimed' AND {table}lease_until < {now}))"
    )
}

/// What giving a row up sets.
pub(crate) const GIVE_UP: &str = "state = 'failed', worker = NULL, lease_until = NULL, \
     error = 'given up: its run was started ' || attempts || ' times, and every worker stopped before finishing it'";

/// Rows of evals no longer open (cancelled, or ended while a row waited).
pub(crate) const OF_CLOSED_EVALS: &str =
    "eval_id IN (SELECT id FROM evals WHERE status NOT IN ('queued', 'running'))";

/// Marks the start of a row's run, if `{p}4` still holds it and its eval is
/// open: params eval, scenario, trial, worker.
pub(crate) fn start_sql(p: char) -> String {
    format!(
        "UPDATE jobs SET attempts = attempts + 1
         WHERE eval_id = {p}1 AND scenario = {p}2 AND trial = {p}3 AND worker = {p}4 AND state = 'claimed'
           AND EXISTS (SELECT 1 FROM evals e WHERE e.id = jobs.eval_id AND e.status IN ('queued', 'running'))"
    )
}

/// A row whose run is stored is done, whoever held it and whatever was
/// said of it before: params eval, scenario, trial.
pub(crate) fn done_sql(p: char) -> String {
    format!(
        "UPDATE jobs SET state = 'done', error = NULL, worker = NULL, lease_until = NULL
         WHERE eval_id = {p}1 AND scenario = {p}2 AND trial = {p}3 AND state <> 'done'"
    )
}

/// A row fails only for the worker that holds it (a late worker's failure
/// never overrides another's claim): params eval, scenario, trial, worker,
/// error.
pub(crate) fn failed_sql(p: char) -> String {
    format!(
        "UPDATE jobs SET state = 'failed', error = {p}5, worker = NULL, lease_until = NULL
         WHERE eval_id = {p}1 AND scenario = {p}2 AND trial = {p}3 AND worker = {p}4 AND state = 'claimed'"
    )
}

/// Puts a worker's claimed rows back: on the queue while their eval is
/// open, else cancelled. Param: worker.
pub(crate) fn release_sql(p: char) -> String {
    format!(
        "UPDATE jobs SET worker = NULL, lease_until = NULL,
           state = CASE WHEN EXISTS (SELECT 1 FROM evals e WHERE e.id = jobs.eval_id AND e.status IN ('queued', 'running'))
                        THEN 'queued' ELSE 'cancelled' END
         WHERE worker = {p}1 AND state = 'claimed'"
    )
}

/// An eval's stored settings, read; `Damaged` when they do not read.
pub(crate) fn read_settings(
    store: &std::path::Path,
    eval_id: &str,
    text: &str,
) -> Result<serde_json::Value, StoreError> {
    serde_json::from_str(text).map_err(|error| StoreError::Damaged {
        path: store.to_owned(),
        what: format!("eval {eval_id}"),
        message: format!("settings: {error}"),
    })
}

#[cfg(test)]
#[path = "queue_tests.rs"]
mod tests;
