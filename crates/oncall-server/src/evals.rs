//! Evals over HTTP: queued as one row per (scenario, trial) for the
//! workers, watched by polling or over Server-Sent Events, and cancelled.

use std::convert::Infallible;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::Response;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use oncall_sim::generator::MAX_VARIANTS;
use oncall_store::{Cancelled, EvalRow, EvalStatus, NewEval, QueueCounts};

use crate::config::{MAX_EVENT_STREAM, MAX_LIST_ROWS};
use crate::error::{ApiError, ErrorBody};
use crate::gym::EvalRequest;
use crate::state::{Shared, json_object, json_value, path_id};

/// The most trials per scenario an eval may ask for.
pub const MAX_TRIALS: u32 = 10_000;

/// How often an event stream looks at its eval.
const EVENT_POLL: Duration = Duration::from_millis(250);

/// How an eval's queued runs stand. An eval run by the CLI's `eval` has
/// none queued: its runs are in `eval.runs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct Progress {
    /// Runs queued in all.
    pub total: u64,
    /// Waiting for a worker.
    pub queued: u64,
    /// Claimed by a worker, under way.
    pub claimed: u64,
    /// Made and stored.
    pub done: u64,
    /// Could not be made.
    pub failed: u64,
    /// Dropped by a cancel.
    pub cancelled: u64,
}

impl From<QueueCounts> for Progress {
    fn from(counts: QueueCounts) -> Progress {
        Progress {
            total: counts.total(),
            queued: counts.queued,
            claimed: counts.claimed,
            done: counts.done,
            failed: counts.failed,
            cancelled: counts.cancelled,
        }
    }
}

/// `GET /v1/evals/{id}`: the eval, its progress and its scorecard so far.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvalView {
    /// The eval.
    pub eval: EvalRow,
    /// Its queued runs.
    pub progress: Progress,
    /// The scorecard of its stored runs (as `evals show --json` prints
    /// it), or null before the first.
    #[schema(value_type = Option<Object>)]
    pub scorecard: Option<serde_json::Value>,
}

/// `POST /v1/evals`'s answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvalCreated {
    /// The eval's id.
    pub id: String,
    /// `queued`.
    pub status: String,
    /// Runs queued: scenarios × trials.
    pub runs: u64,
    /// Where to follow it.
    pub links: EvalLinks,
}

/// Where to follow an eval.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvalLinks {
    /// Its status, progress and scorecard.
    pub eval: String,
    /// Its progress as Server-Sent Events.
    pub events: String,
    /// Its runs.
    pub runs: String,
}

/// `GET /v1/evals`'s answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvalList {
    /// Newest first.
    pub evals: Vec<EvalRow>,
}

/// `POST /v1/evals/{id}/cancel`'s answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvalCancelled {
    /// The eval's id.
    pub id: String,
    /// `cancelled`.
    pub status: String,
    /// Queued runs dropped; runs under way finish and are kept.
    pub dropped: u64,
}

/// One event of `GET /v1/evals/{id}/events` (`progress`, then one `end`).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct EvalEvent {
    /// The eval's id.
    pub eval: String,
    /// Its status.
    pub status: String,
    /// Its queued runs.
    pub progress: Progress,
    /// Runs stored.
    pub runs: u64,
    /// How many passed.
    pub passed: u64,
    /// Their mean score.
    pub mean_score: f64,
}

/// One Server-Sent Event of `GET /v1/evals/{id}/events`, as a client's
/// SSE parser gives it.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvalStreamEvent {
    /// `progress`, `end` (the last), or `error` (the store failed; the
    /// stream ends).
    pub event: String,
    /// An [`EvalEvent`] as JSON text; for `error`, `{"error": {"code",
    /// "message"}}`.
    pub data: String,
}

/// `?limit=`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListQuery {
    /// At most this many rows (default 100, at most 1000).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
}

/// The rows a `limit` asks for.
pub(crate) fn row_limit(limit: Option<u32>) -> Result<usize, ApiError> {
    match limit {
        None => Ok(100),
        Some(limit @ 1..=MAX_LIST_ROWS) => Ok(limit as usize),
        Some(other) => Err(ApiError::bad_request(
            "invalid_query",
            format!("limit is {other}: it must be between 1 and {MAX_LIST_ROWS}"),
        )),
    }
}

/// A query string that does not read, as a 400.
pub(crate) fn query_error(rejection: QueryRejection) -> ApiError {
    ApiError::bad_request("invalid_query", rejection.body_text())
}

/// Queues an eval: one run per (scenario, trial), for the workers.
#[utoipa::path(
    post, path = "/v1/evals", tag = "evals",
    request_body = EvalRequest,
    responses(
        (status = 202, description = "Queued: the workers run it. Follow it at links.eval or links.events.", body = EvalCreated,
         headers(("Location" = String, description = "The eval's URL"))),
        (status = 400, description = "Not an eval request, or an unknown agent or scenario.", body = ErrorBody),
        (status = 413, description = "The body is over the cap.", body = ErrorBody),
        (status = 503, description = "The server has no results store, or it is unreachable.", body = ErrorBody),
    )
)]
pub(crate) async fn create(
    State(state): State<Shared>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = json_object(body)?;
    let request: EvalRequest = serde_path_to_error::deserialize(serde_json::Value::Object(body))
        .map_err(|error| {
            let path = error.path().to_string();
            let message = if path == "." {
                error.into_inner().to_string()
            } else {
                format!("{path}: {}", error.into_inner())
            };
            ApiError::bad_request("invalid_params", message)
        })?;
    if !(1..=MAX_TRIALS).contains(&request.trials) {
        return Err(ApiError::bad_request(
            "invalid_params",
            format!(
                "trials is {}: it must be between 1 and {MAX_TRIALS}",
                request.trials
            ),
        ));
    }
    if let Some(max_steps) = request.max_steps
        && !(1..=oncall_sim::MAX_STEPS).contains(&max_steps)
    {
        return Err(ApiError::bad_request(
            "invalid_params",
            format!(
                "max_steps is {max_steps}: it must be between 1 and {}",
                oncall_sim::MAX_STEPS
            ),
        ));
    }
    if let Some(variants) = request.variants
        && !(1..=MAX_VARIANTS).contains(&variants)
    {
        return Err(ApiError::bad_request(
            "invalid_params",
            format!("variants is {variants}: it must be between 1 and {MAX_VARIANTS}"),
        ));
    }
    let max_runs = state.limits.max_runs_per_eval;
    // Refused before planning, so a plan is never larger than the cap
    // times the scenarios.
    let per_scenario = u64::from(request.trials) * u64::from(request.variants.unwrap_or(1));
    if per_scenario > max_runs as u64 {
        return Err(ApiError::bad_request(
            "too_many_runs",
            format!(
                "the eval would queue {per_scenario} runs per scenario (variants × trials); one eval queues at most {max_runs}"
            ),
        ));
    }
    let pool = state.store()?.clone();
    let gym = state.gym.clone();
    let planned = tokio::task::spawn_blocking(move || gym.plan_eval(&request))
        .await
        .map_err(|error| ApiError::internal(format!("planning the eval stopped: {error}")))?
        .map_err(|message| ApiError::bad_request("invalid_params", message))?;
    if planned.pairs.len() > max_runs {
        return Err(ApiError::bad_request(
            "too_many_runs",
            format!(
                "the eval would queue {} runs (scenarios × variants × trials); one eval queues at most {max_runs}",
                planned.pairs.len()
            ),
        ));
    }
    let eval = NewEval {
        id: uuid::Uuid::new_v4().to_string(),
        agent: planned.agent,
        model: planned.model,
        settings: planned.settings,
        started_at: now(),
        status: EvalStatus::Queued,
    };
    let id = eval.id.clone();
    let runs = planned.pairs.len() as u64;
    pool.with(move |store| Ok(store.enqueue_eval(&eval, &planned.pairs)?))
        .await?;
    let created = EvalCreated {
        links: EvalLinks {
            eval: format!("/v1/evals/{id}"),
            events: format!("/v1/evals/{id}/events"),
            runs: format!("/v1/runs?eval={id}"),
        },
        id,
        status: EvalStatus::Queued.as_str().to_owned(),
        runs,
    };
    let mut response = json_value(StatusCode::ACCEPTED, &created);
    if let Ok(location) = created.links.eval.parse() {
        response.headers_mut().insert(LOCATION, location);
    }
    Ok(response)
}

/// Every eval in the store, newest first.
#[utoipa::path(
    get, path = "/v1/evals", tag = "evals",
    params(ListQuery),
    responses(
        (status = 200, description = "The evals.", body = EvalList),
        (status = 400, description = "A bad limit.", body = ErrorBody),
        (status = 503, description = "No results store, or it is unreachable.", body = ErrorBody),
    )
)]
pub(crate) async fn list(
    State(state): State<Shared>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(query_error)?;
    let limit = row_limit(query.limit)?;
    let rows = state.store()?.with(move |store| Ok(store.evals()?)).await?;
    let evals = rows.into_iter().take(limit).collect();
    Ok(json_value(StatusCode::OK, &EvalList { evals }))
}

/// An eval: its status, progress and scorecard so far.
#[utoipa::path(
    get, path = "/v1/evals/{id}", tag = "evals",
    params(("id" = String, Path, description = "The eval's id, or a unique prefix of it")),
    responses(
        (status = 200, description = "The eval.", body = EvalView),
        (status = 400, description = "Not an id, or a prefix of several.", body = ErrorBody),
        (status = 404, description = "No such eval.", body = ErrorBody),
        (status = 503, description = "No results store, or it is unreachable.", body = ErrorBody),
    )
)]
pub(crate) async fn show(
    State(state): State<Shared>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = path_id(id)?;
    let gym = state.gym.clone();
    let view = state
        .store()?
        .with(move |store| {
            let eval = store.eval(&id)?;
            let runs = store.eval_runs(&eval.id)?;
            let progress = store.queue_counts(Some(&eval.id))?.into();
            let scorecard = gym.scorecard(&eval, &runs).map_err(ApiError::internal)?;
            Ok(EvalView {
                eval,
                progress,
                scorecard,
            })
        })
        .await?;
    Ok(json_value(StatusCode::OK, &view))
}

/// Cancels an eval: its queued runs are dropped; runs under way finish
/// and are kept.
#[utoipa::path(
    post, path = "/v1/evals/{id}/cancel", tag = "evals",
    params(("id" = String, Path, description = "The eval's id, or a unique prefix of it")),
    responses(
        (status = 200, description = "Cancelled.", body = EvalCancelled),
        (status = 400, description = "Not an id, or a prefix of several.", body = ErrorBody),
        (status = 404, description = "No such eval.", body = ErrorBody),
        (status = 409, description = "It had already ended.", body = ErrorBody),
        (status = 503, description = "No results store, or it is unreachable.", body = ErrorBody),
    )
)]
pub(crate) async fn cancel(
    State(state): State<Shared>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = path_id(id)?;
    let answer = state
        .store()?
        .with(move |store| {
            let full = store.eval(&id)?.id;
            match store.cancel_eval(&full, &now())? {
                Cancelled::Now { dropped } => Ok(EvalCancelled {
                    id: full,
                    status: EvalStatus::Cancelled.as_str().to_owned(),
                    dropped,
                }),
                Cancelled::AlreadyFinished(status) => Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "eval_finished",
                    format!("eval {full} has already ended ({})", status.as_str()),
                )),
            }
        })
        .await?;
    Ok(json_value(StatusCode::OK, &answer))
}

/// An eval's progress as Server-Sent Events: a `progress` event whenever
/// it changes, then one `end` event when the eval ends, and the stream
/// closes. It also closes after an hour, or when the server shuts down;
/// reconnect for more. Comments keep the connection alive.
#[utoipa::path(
    get, path = "/v1/evals/{id}/events", tag = "evals",
    params(("id" = String, Path, description = "The eval's id, or a unique prefix of it")),
    responses(
        (status = 200, description = "The stream: `event: progress` and a final `event: end`, each with an EvalEvent as data.", content_type = "text/event-stream", body = EvalStreamEvent),
        (status = 400, description = "Not an id, or a prefix of several.", body = ErrorBody),
        (status = 404, description = "No such eval.", body = ErrorBody),
        (status = 503, description = "No results store, or it is unreachable.", body = ErrorBody),
    )
)]
pub(crate) async fn events(
    State(state): State<Shared>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let id = path_id(id)?;
    let pool = state.store()?.clone();
    let eval_id = pool.with(move |store| Ok(store.eval(&id)?.id)).await?;
    let watch = Watch {
        pool,
        eval_id,
        last: None,
        ended: false,
        deadline: Instant::now() + MAX_EVENT_STREAM,
        shutdown: state.shutdown.clone(),
    };
    let stream = futures_util::stream::unfold(watch, |mut watch| async move {
        let event = watch.next().await?;
        Some((Ok(event), watch))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// What an event stream has sent so far.
struct Watch {
    pool: std::sync::Arc<crate::pool::StorePool>,
    eval_id: String,
    last: Option<EvalEvent>,
    ended: bool,
    deadline: Instant,
    shutdown: tokio::sync::watch::Receiver<bool>,
}

impl Watch {
    /// The next event to send, waiting for a change; `None` to close.
    async fn next(&mut self) -> Option<Event> {
        if self.ended {
            return None;
        }
        loop {
            if *self.shutdown.borrow() || Instant::now() >= self.deadline {
                return None;
            }
            let eval_id = self.eval_id.clone();
            let read = self
                .pool
                .with(move |store| {
                    let eval = store.eval(&eval_id)?;
                    let progress = store.queue_counts(Some(&eval.id))?.into();
                    Ok((eval.status.is_open(), snapshot(eval, progress)))
                })
                .await;
            let (open, snapshot) = match read {
                Ok(read) => read,
                Err(error) => {
                    self.ended = true;
                    let text = serde_json::json!({"error": {"code": error.code(), "message": error.message()}});
                    return Some(Event::default().event("error").data(text.to_string()));
                }
            };
            let data = serde_json::to_string(&snapshot).unwrap_or_default();
            if !open {
                self.ended = true;
                return Some(Event::default().event("end").data(data));
            }
            if self.last.as_ref() != Some(&snapshot) {
                self.last = Some(snapshot);
                return Some(Event::default().event("progress").data(data));
            }
            tokio::select! {
                () = tokio::time::sleep(EVENT_POLL) => {}
                _ = self.shutdown.changed() => {}
            }
        }
    }
}

fn snapshot(eval: EvalRow, progress: Progress) -> EvalEvent {
    EvalEvent {
        status: eval.status.as_str().to_owned(),
        eval: eval.id,
        progress,
        runs: eval.runs,
        passed: eval.passed,
        mean_score: eval.mean_score,
    }
}

/// Now, in RFC 3339 (UTC, to the millisecond).
pub(crate) fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
