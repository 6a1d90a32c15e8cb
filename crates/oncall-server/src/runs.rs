//! Stored runs over HTTP: lists, one run with its record, its audit log
//! (verified as it is read), and the comparison of two evals.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use oncall_store::{RunFilter, RunRow};

use crate::error::{ApiError, ErrorBody};
use crate::evals::{query_error, row_limit};
use crate::state::{Shared, json_value, path_id};

/// The most resamples `compare` takes.
pub const MAX_RESAMPLES: u32 = 100_000;

/// `GET /v1/runs`'s answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunList {
    /// Newest first.
    pub runs: Vec<RunRow>,
}

/// `GET /v1/runs/{id}`'s answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunView {
    /// The run.
    pub run: RunRow,
    /// Its `eval --out` line: the scenario's judgement, the usage.
    #[schema(value_type = Object)]
    pub record: serde_json::Value,
}

/// `GET /v1/runs/{id}/events`'s answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunEvents {
    /// The run's id.
    pub run_id: String,
    /// The head hash stored with the run.
    pub head_hash: String,
    /// Whether the log, as read back, verifies and ends at that head.
    pub verified: bool,
    /// Why it does not verify, when it does not.
    pub problem: Option<String>,
    /// The events, in order.
    #[schema(value_type = Vec<Object>)]
    pub events: Vec<serde_json::Value>,
}

/// `GET /v1/runs`'s filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct RunsQuery {
    /// Only this eval's runs (an id or a unique prefix).
    eval: Option<String>,
    /// Only this scenario's.
    scenario: Option<String>,
    /// Only this agent's.
    agent: Option<String>,
    /// At most this many (default 100, at most 1000).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
}

/// Which stored copy of a run: the one in this eval.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct RunQuery {
    /// The eval whose copy is meant (an id or a unique prefix); the newest
    /// copy without it.
    eval: Option<String>,
    /// `jsonl` for the audit log's exact bytes (events only).
    format: Option<String>,
}

/// `GET /v1/compare`'s evals.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct CompareQuery {
    /// Eval A (the baseline): an id or a unique prefix.
    a: String,
    /// Eval B: an id or a unique prefix.
    b: String,
    /// Bootstrap resamples (default 10000).
    #[param(minimum = 1, maximum = 100000)]
    resamples: Option<u32>,
}

/// Stored runs, newest first.
#[utoipa::path(
    get, path = "/v1/runs", tag = "runs",
    params(RunsQuery),
    responses(
        (status = 200, description = "The runs.", body = RunList),
        (status = 400, description = "A bad filter or limit.", body = ErrorBody),
        (status = 404, description = "No such eval.", body = ErrorBody),
        (status = 503, description = "No results store, or it is unreachable.", body = ErrorBody),
    )
)]
pub(crate) async fn list(
    State(state): State<Shared>,
    query: Result<Query<RunsQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(query_error)?;
    let limit = row_limit(query.limit)?;
    let rows = state
        .store()?
        .with(move |store| {
            let filter = RunFilter {
                eval_id: store.eval_id(query.eval.as_deref())?,
                scenario: query.scenario,
                agent: query.agent,
                limit: u32::try_from(limit).unwrap_or(u32::MAX),
            };
            Ok(store.runs(&filter)?)
        })
        .await?;
    Ok(json_value(StatusCode::OK, &RunList { runs: rows }))
}

/// One stored run, with its record.
#[utoipa::path(
    get, path = "/v1/runs/{id}", tag = "runs",
    params(("id" = String, Path, description = "The run's id, or a unique prefix of it"), RunQuery),
    responses(
        (status = 200, description = "The run.", body = RunView),
        (status = 400, description = "Not an id, or a prefix of several.", body = ErrorBody),
        (status = 404, description = "No such run (in that eval).", body = ErrorBody),
        (status = 503, description = "No results store, or it is unreachable.", body = ErrorBody),
    )
)]
pub(crate) async fn show(
    State(state): State<Shared>,
    id: Result<Path<String>, PathRejection>,
    query: Result<Query<RunQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let id = path_id(id)?;
    let Query(query) = query.map_err(query_error)?;
    let row = state
        .store()?
        .with(move |store| Ok(store.run_in(&id, query.eval.as_deref())?))
        .await?;
    let record = serde_json::from_str(&row.record).map_err(|error| {
        ApiError::internal(format!(
            "run {} in the store is damaged: {error}",
            row.run_id
        ))
    })?;
    let view = RunView { run: row, record };
    Ok(json_value(StatusCode::OK, &view))
}

/// A stored run's audit log, verified as it is read: JSON (`events`, and
/// whether the chain verifies), or with `format=jsonl` its exact bytes, for
/// `oncall-gym replay -`.
#[utoipa::path(
    get, path = "/v1/runs/{id}/events", tag = "runs",
    params(("id" = String, Path, description = "The run's id, or a unique prefix of it"), RunQuery),
    responses(
        (status = 200, description = "The audit log.",
         content((RunEvents = "application/json"), (String = "application/x-ndjson"))),
        (status = 400, description = "Not an id, a prefix of several, or an unknown format.", body = ErrorBody),
        (status = 404, description = "No such run, or it has no stored audit log (imported from an --out line).", body = ErrorBody),
        (status = 503, description = "No results store, or it is unreachable.", body = ErrorBody),
    )
)]
pub(crate) async fn events(
    State(state): State<Shared>,
    id: Result<Path<String>, PathRejection>,
    query: Result<Query<RunQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let id = path_id(id)?;
    let Query(query) = query.map_err(query_error)?;
    let raw = match query.format.as_deref() {
        None | Some("json") => false,
        Some("jsonl") => true,
        Some(other) => {
            return Err(ApiError::bad_request(
                "invalid_query",
                format!("format is `{}`: it is json or jsonl", preview(other)),
            ));
        }
    };
    let (row, bytes) = state
        .store()?
        .with(move |store| {
            let row = store.run_in(&id, query.eval.as_deref())?;
            let bytes = store.audit_log(&row)?.ok_or_else(|| {
                ApiError::not_found(
                    "no_audit_log",
                    format!(
                        "run {} has no audit log in the store (it was imported from an --out line)",
                        row.run_id
                    ),
                )
            })?;
            Ok((row, bytes))
        })
        .await?;
    if raw {
        return Ok(([(CONTENT_TYPE, "application/x-ndjson")], bytes).into_response());
    }
    Ok(json_value(StatusCode::OK, &run_events(row, &bytes)))
}

/// A stored run's audit log as `GET /v1/runs/{id}/events` answers it: its
/// events, and whether the bytes verify and end at the head stored with it.
pub fn run_events(row: RunRow, bytes: &[u8]) -> RunEvents {
    let head = row.head_hash.unwrap_or_default();
    let (verified, problem) = match oncall_audit::read_chain(bytes, Some(&head)) {
        Ok(_) => (true, None),
        Err(error) => (false, Some(error.to_string())),
    };
    let events = bytes
        .split(|byte| *byte == b'\n')
        .filter(|line| !line.is_empty())
        .map(|line| serde_json::from_slice(line).unwrap_or(serde_json::Value::Null))
        .collect();
    RunEvents {
        run_id: row.run_id,
        head_hash: head,
        verified,
        problem,
        events,
    }
}

/// Compares two evals scenario by scenario, with bootstrap confidence
/// intervals (as `oncall-gym compare --json`).
#[utoipa::path(
    get, path = "/v1/compare", tag = "runs",
    params(CompareQuery),
    responses(
        (status = 200, description = "The comparison.", body = Object),
        (status = 400, description = "Missing or bad ids, or evals that share no scenario.", body = ErrorBody),
        (status = 404, description = "No such eval.", body = ErrorBody),
        (status = 503, description = "No results store, or it is unreachable.", body = ErrorBody),
    )
)]
pub(crate) async fn compare(
    State(state): State<Shared>,
    query: Result<Query<CompareQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(query_error)?;
    let resamples = query.resamples.unwrap_or(10_000);
    if !(1..=MAX_RESAMPLES).contains(&resamples) {
        return Err(ApiError::bad_request(
            "invalid_query",
            format!("resamples is {resamples}: it must be between 1 and {MAX_RESAMPLES}"),
        ));
    }
    let gym = state.gym.clone();
    let comparison = state
        .store()?
        .with(move |store| {
            let a = store.eval(&query.a)?;
            let b = store.eval(&query.b)?;
            let runs_a = store.eval_runs(&a.id)?;
            let runs_b = store.eval_runs(&b.id)?;
            let comparison = gym
                .compare(&runs_a, &runs_b, resamples)
                .map_err(ApiError::internal)?;
            let shared = comparison
                .get("scenarios")
                .and_then(serde_json::Value::as_array)
                .is_some_and(|scenarios| !scenarios.is_empty());
            if !shared {
                return Err(ApiError::bad_request(
                    "nothing_to_compare",
                    format!("evals {} and {} share no scenario", a.id, b.id),
                ));
            }
            Ok(comparison)
        })
        .await?;
    Ok(json_value(StatusCode::OK, &comparison))
}

/// `text` cut short for a message.
fn preview(text: &str) -> String {
    text.chars().take(32).collect()
}
