//! What goes into a store and what comes out: evals and runs as plain rows.

use std::path::Path;

use serde::Serialize;

use crate::error::StoreError;

/// How an eval stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EvalStatus {
    /// Queued over HTTP; no worker has claimed a run of it yet.
    Queued,
    /// Started, not finished (or interrupted).
    Running,
    /// Every run done.
    Completed,
    /// Stopped early (a cost budget).
    Stopped,
    /// Some runs could not be carried out.
    Failed,
    /// Made by `import` from `--out` files or audit logs.
    Imported,
    /// Cancelled over HTTP: runs under way when it was cancelled are kept.
    Cancelled,
}

impl EvalStatus {
    /// Whether it can still change: queued or running.
    pub fn is_open(self) -> bool {
        matches!(self, EvalStatus::Queued | EvalStatus::Running)
    }

    /// The snake_case name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            EvalStatus::Queued => "queued",
            EvalStatus::Running => "running",
            EvalStatus::Completed => "completed",
            EvalStatus::Stopped => "stopped",
            EvalStatus::Failed => "failed",
            EvalStatus::Imported => "imported",
            EvalStatus::Cancelled => "cancelled",
        }
    }

    /// Reads a stored name.
    pub fn parse(text: &str) -> Option<EvalStatus> {
        [
            EvalStatus::Queued,
            EvalStatus::Running,
            EvalStatus::Completed,
            EvalStatus::Stopped,
            EvalStatus::Failed,
            EvalStatus::Imported,
            EvalStatus::Cancelled,
        ]
        .into_iter()
        .find(|status| status.as_str() == text)
    }
}

/// An eval about to be recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEval {
    /// Its id (a UUID).
    pub id: String,
    /// The agent's name.
    pub agent: String,
    /// The model, for a model agent.
    pub model: Option<String>,
    /// What it was run with (trials, seed, scenarios, limits), as JSON.
    pub settings: serde_json::Value,
    /// When it started, RFC 3339.
    pub started_at: String,
    /// How it stands.
    pub status: EvalStatus,
}

/// An eval as stored, with its runs summed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EvalRow {
    /// Its id.
    pub id: String,
    /// The agent's name.
    pub agent: String,
    /// The model, for a model agent.
    pub model: Option<String>,
    /// What it was run with (scenarios, trials, seed, step limit).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub settings: serde_json::Value,
    /// When it started (or was queued), RFC 3339.
    pub started_at: String,
    /// When it finished, if it has.
    pub finished_at: Option<String>,
    /// How it stands.
    pub status: EvalStatus,
    /// Its runs so far.
    pub runs: u64,
    /// How many of them passed.
    pub passed: u64,
    /// Their mean score (0 with no runs).
    pub mean_score: f64,
    /// Their input plus output tokens, where known.
    pub tokens: u64,
    /// Their cost in US dollars; `None` when no run's cost is known.
    pub cost_usd: Option<f64>,
}

/// A run about to be recorded. `record` is the product's own line for it
/// (an `eval --out` line), kept whole so the scorecard can be rebuilt;
/// the other fields are what the commands filter and sort on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NewRun<'a> {
    /// The eval it belongs to, if any.
    pub eval_id: Option<&'a str>,
    /// The run's id, as its audit log has it.
    pub run_id: &'a str,
    /// The scenario's id.
    pub scenario: &'a str,
    /// The trial's index.
    pub trial: u32,
    /// The run's seed.
    pub seed: u64,
    /// The agent's name.
    pub agent: &'a str,
    /// `completed`, `failed` or `escalated`.
    pub status: &'a str,
    /// Why it ended (`mitigation_proposed`, `step_limit`, ...).
    pub termination: Option<&'a str>,
    /// Steps taken.
    pub steps: u32,
    /// The evaluation's total.
    pub score: f64,
    /// Whether it passed.
    pub passed: bool,
    /// Tokens in and out, for a model agent.
    pub tokens: Option<u64>,
    /// Cost in US dollars, when known.
    pub cost_usd: Option<f64>,
    /// Wall-clock milliseconds.
    pub wall_time_ms: f64,
    /// The product's JSON line for the run.
    pub record: &'a str,
    /// The scenario's judgement, as JSON.
    pub evaluation: &'a str,
    /// The hash-chained audit log, exactly as written; `None` when there
    /// is none (an imported `--out` line).
    pub audit: Option<&'a [u8]>,
}

/// A run as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunRow {
    /// The store's own key for the row.
    #[serde(skip)]
    pub key: i64,
    /// The eval it belongs to, if any.
    pub eval_id: Option<String>,
    /// The run's id.
    pub run_id: String,
    /// The scenario's id.
    pub scenario: String,
    /// The trial's index.
    pub trial: u32,
    /// The run's seed.
    pub seed: u64,
    /// The agent's name.
    pub agent: String,
    /// How it ended.
    pub status: String,
    /// Why.
    pub termination: Option<String>,
    /// Steps taken.
    pub steps: u32,
    /// The evaluation's total.
    pub score: f64,
    /// Whether it passed.
    pub passed: bool,
    /// Tokens in and out, for a model agent.
    pub tokens: Option<u64>,
    /// Cost in US dollars, when known.
    pub cost_usd: Option<f64>,
    /// Wall-clock milliseconds.
    pub wall_time_ms: f64,
    /// The audit log's head hash, when it is stored.
    pub head_hash: Option<String>,
    /// How many events are stored.
    pub event_count: u64,
    /// When it was stored, RFC 3339.
    pub recorded_at: String,
    /// The product's JSON line for it.
    #[serde(skip)]
    pub record: String,
}

/// Which runs `runs` lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunFilter {
    /// Only this eval's (a full id).
    pub eval_id: Option<String>,
    /// Only this scenario's.
    pub scenario: Option<String>,
    /// Only this agent's.
    pub agent: Option<String>,
    /// At most this many, newest first (0: no limit).
    pub limit: u32,
}

/// An eval row as a backend reads it, before its text columns are checked:
/// both backends turn theirs into an [`EvalRow`] the same way.
#[derive(Debug)]
pub(crate) struct StoredEval {
    pub(crate) id: String,
    pub(crate) agent: String,
    pub(crate) model: Option<String>,
    pub(crate) settings: String,
    pub(crate) started_at: String,
    pub(crate) finished_at: Option<String>,
    pub(crate) status: String,
    pub(crate) runs: i64,
    pub(crate) passed: i64,
    pub(crate) mean_score: f64,
    pub(crate) tokens: i64,
    pub(crate) cost_usd: Option<f64>,
}

impl StoredEval {
    /// The row, with its settings and status read; `Damaged` when they do
    /// not read (a store edited by hand).
    pub(crate) fn into_row(self, store: &Path) -> Result<EvalRow, StoreError> {
        let damaged = |message: String| StoreError::Damaged {
            path: store.to_owned(),
            what: format!("eval {}", self.id),
            message,
        };
        let settings =
            serde_json::from_str(&self.settings).map_err(|e| damaged(format!("settings: {e}")))?;
        let status = EvalStatus::parse(&self.status)
            .ok_or_else(|| damaged(format!("unknown status `{}`", self.status)))?;
        let round = |value: f64| (value * 1e6).round() / 1e6;
        Ok(EvalRow {
            settings,
            status,
            runs: u64::try_from(self.runs).unwrap_or(0),
            passed: u64::try_from(self.passed).unwrap_or(0),
            mean_score: round(self.mean_score),
            tokens: u64::try_from(self.tokens).unwrap_or(0),
            cost_usd: self.cost_usd.map(round),
            id: self.id,
            agent: self.agent,
            model: self.model,
            started_at: self.started_at,
            finished_at: self.finished_at,
        })
    }
}
