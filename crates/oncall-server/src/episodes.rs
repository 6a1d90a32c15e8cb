//! Episodes over HTTP: the stdio protocol's `reset`, `step`, `close` (and
//! a `describe`), from the same [`Sessions`], so an episode here has the
//! observation, reward, `terminated`, `truncated`, info and audit log it
//! would have over stdio.
//!
//! The open episodes are spread over [`SHARDS`] sessions, each behind its
//! own lock, so concurrent clients seldom wait on each other; an episode's
//! id (`ep{shard}-{n}`) says which holds it. A step is microseconds of
//! work, carried out under its shard's lock on the request's own thread.
//! Episodes untouched for the idle timeout are closed by a reaper.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

use oncall_protocol::{ProtocolError, Sessions};

use crate::error::{ApiError, ErrorBody};
use crate::gym::{Gym, GymSource};
use crate::metrics::Metrics;
use crate::openapi::{
    DescribeResponse, EpisodeClosed, ResetRequest, ResetResponse, StepRequest, StepResponse,
};
use crate::state::{Shared, json_object, json_text, path_id};

/// How many sessions the open episodes are spread over.
pub const SHARDS: usize = 16;

/// How many ids of expired episodes are remembered, to tell a client that
/// its episode expired rather than that it never was.
const REMEMBERED_EXPIRED: usize = 4096;

/// The open episodes.
pub(crate) struct Episodes {
    shards: Vec<Mutex<Shard>>,
    next: AtomicUsize,
    open: AtomicUsize,
    max_open: usize,
    idle: Duration,
    expired: Mutex<VecDeque<String>>,
    metrics: Arc<Metrics>,
}

struct Shard {
    sessions: Sessions<GymSource>,
    touched: HashMap<String, Instant>,
}

#[derive(Deserialize)]
struct ResetHead {
    episode: String,
}

impl Episodes {
    pub(crate) fn new(
        gym: &Arc<dyn Gym>,
        max_open: usize,
        idle: Duration,
        metrics: Arc<Metrics>,
    ) -> Episodes {
        let shards = (0..SHARDS)
            .map(|shard| {
                let sessions = Sessions::with_max_open(GymSource(Arc::clone(gym)), max_open.max(1))
                    .with_episode_prefix(&format!("ep{shard}-"));
                Mutex::new(Shard {
                    sessions,
                    touched: HashMap::new(),
                })
            })
            .collect();
        Episodes {
            shards,
            next: AtomicUsize::new(0),
            open: AtomicUsize::new(0),
            max_open: max_open.max(1),
            idle,
            expired: Mutex::new(VecDeque::new()),
            metrics,
        }
    }

    /// How many are open.
    pub(crate) fn open_count(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }

    /// Opens an episode: `reset`'s answer.
    fn reset(&self, params: serde_json::Map<String, Value>) -> Result<(String, String), ApiError> {
        if params.contains_key("audit") {
            return Err(ApiError::bad_request(
                "invalid_params",
                "params.audit: an HTTP client cannot name a file on the server; the episode's audit log head is in the answer's info when it ends",
            ));
        }
        if self.open.fetch_add(1, Ordering::AcqRel) >= self.max_open {
            self.open.fetch_sub(1, Ordering::AcqRel);
            return Err(ProtocolError::TooManyEpisodes {
                limit: self.max_open,
            }
            .into());
        }
        let shard = self.next.fetch_add(1, Ordering::Relaxed) % SHARDS;
        let mut held = lock(&self.shards[shard]);
        let opened = held.sessions.reset(Some(Value::Object(params)));
        let text = match opened {
            Ok(text) => text,
            Err(error) => {
                self.open.fetch_sub(1, Ordering::AcqRel);
                return Err(error.into());
            }
        };
        let head: ResetHead = serde_json::from_str(&text)
            .map_err(|error| ApiError::internal(format!("reset answered oddly: {error}")))?;
        held.touched.insert(head.episode.clone(), Instant::now());
        self.metrics.episode_opened();
        Ok((head.episode, text))
    }

    /// Runs `work` on the shard holding episode `id`, which must be open.
    fn on<T>(
        &self,
        id: &str,
        work: impl FnOnce(&mut Shard) -> Result<T, ProtocolError>,
    ) -> Result<T, ApiError> {
        let shard = shard_of(id).ok_or_else(|| self.unknown(id))?;
        let mut held = lock(&self.shards[shard]);
        match held.touched.get_mut(id) {
            Some(touched) => *touched = Instant::now(),
            None => return Err(self.unknown(id)),
        }
        work(&mut held).map_err(ApiError::from)
    }

    fn step(
        &self,
        id: &str,
        mut params: serde_json::Map<String, Value>,
    ) -> Result<String, ApiError> {
        match params.get("episode") {
            None => {}
            Some(Value::String(given)) if given == id => {}
            Some(_) => {
                return Err(ApiError::bad_request(
                    "invalid_params",
                    "params.episode: the episode is the one in the path; leave it out of the body",
                ));
            }
        }
        params.insert("episode".to_owned(), Value::String(id.to_owned()));
        let started = Instant::now();
        let answer = self.on(id, |shard| shard.sessions.step(Some(Value::Object(params))));
        self.metrics.step(started.elapsed());
        answer
    }

    fn describe(&self, id: &str) -> Result<String, ApiError> {
        self.on(id, |shard| shard.sessions.describe(id))
    }

    fn close(&self, id: &str) -> Result<String, ApiError> {
        self.on(id, |shard| {
            shard.touched.remove(id);
            // The session is gone whatever `close` answers (a broken
            // episode is removed with its error), so it no longer counts.
            self.open.fetch_sub(1, Ordering::AcqRel);
            shard.sessions.close(Some(json!({"episode": id})))
        })
    }

    /// Closes every episode untouched since `now` less the idle timeout.
    /// Returns how many.
    pub(crate) fn expire_idle(&self, now: Instant) -> usize {
        let mut closed = Vec::new();
        for shard in &self.shards {
            let mut held = lock(shard);
            let idle: Vec<String> = held
                .touched
                .iter()
                .filter(|(_, touched)| now.saturating_duration_since(**touched) >= self.idle)
                .map(|(id, _)| id.clone())
                .collect();
            for id in idle {
                held.touched.remove(&id);
                // Closing completes the episode's log; a failure here has
                // no one to tell, and the episode is gone either way.
                let _ = held.sessions.close(Some(json!({"episode": id})));
                self.open.fetch_sub(1, Ordering::AcqRel);
                self.metrics.episode_expired();
                closed.push(id);
            }
        }
        let count = closed.len();
        let mut expired = self.expired.lock().unwrap_or_else(PoisonError::into_inner);
        for id in closed {
            if expired.len() == REMEMBERED_EXPIRED {
                expired.pop_front();
            }
            expired.push_back(id);
        }
        count
    }

    /// Closes every open episode (at shutdown). Returns how many.
    pub(crate) fn close_all(&self) -> usize {
        let mut closed = 0;
        for shard in &self.shards {
            let mut held = lock(shard);
            held.touched.clear();
            closed += held.sessions.close_all().0;
        }
        self.open.store(0, Ordering::Release);
        closed
    }

    fn unknown(&self, id: &str) -> ApiError {
        let expired = self
            .expired
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .any(|gone| gone == id);
        if expired {
            ApiError::not_found(
                "episode_expired",
                format!(
                    "episode `{id}` was closed after {} s without a request; open a new one",
                    self.idle.as_secs()
                ),
            )
        } else {
            ProtocolError::UnknownEpisode(id.to_owned()).into()
        }
    }
}

/// The shard an id names (`ep{shard}-{n}`), if it names one.
fn shard_of(id: &str) -> Option<usize> {
    let (shard, number) = id.strip_prefix("ep")?.split_once('-')?;
    let valid = |digits: &str| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
    if !valid(shard) || !valid(number) || shard.len() > 3 {
        return None;
    }
    shard.parse::<usize>().ok().filter(|shard| *shard < SHARDS)
}

fn lock(shard: &Mutex<Shard>) -> MutexGuard<'_, Shard> {
    shard.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Opens an episode of a scenario (the protocol's `reset`).
#[utoipa::path(
    post, path = "/v1/episodes", tag = "episodes",
    request_body = ResetRequest,
    responses(
        (status = 201, description = "The episode is open: its id, the first observation (the alert) and, for the harness only, its info.", body = ResetResponse,
         headers(("Location" = String, description = "The episode's URL"))),
        (status = 400, description = "The body is not a reset request, or the scenario is unknown.", body = ErrorBody),
        (status = 413, description = "The body is over the cap.", body = ErrorBody),
        (status = 429, description = "As many episodes are open as the server holds.", body = ErrorBody),
    )
)]
pub(crate) async fn reset(
    State(state): State<Shared>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let params = json_object(body)?;
    let (episode, text) = state.episodes.reset(params)?;
    let mut response = json_text(StatusCode::CREATED, text);
    if let Ok(location) = format!("/v1/episodes/{episode}").parse() {
        response.headers_mut().insert(LOCATION, location);
    }
    Ok(response)
}

/// Takes one step (the protocol's `step`): the analysis of the previous
/// tool result, then the action.
#[utoipa::path(
    post, path = "/v1/episodes/{id}/step", tag = "episodes",
    params(("id" = String, Path, description = "The episode's id")),
    request_body = StepRequest,
    responses(
        (status = 200, description = "The step's observation, reward, terminated, truncated and info. An action that is not a decision fails its step (see observation.step_failure); it is not an error.", body = StepResponse),
        (status = 400, description = "The body is not a step request.", body = ErrorBody),
        (status = 404, description = "No such episode open (never opened, deleted, or expired).", body = ErrorBody),
        (status = 409, description = "The episode is over: delete it, or open a new one.", body = ErrorBody),
        (status = 413, description = "The body is over the cap.", body = ErrorBody),
    )
)]
pub(crate) async fn step(
    State(state): State<Shared>,
    id: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let id = path_id(id)?;
    let params = json_object(body)?;
    let text = state.episodes.step(&id, params)?;
    Ok(json_text(StatusCode::OK, text))
}

/// How an episode stands, changing nothing.
#[utoipa::path(
    get, path = "/v1/episodes/{id}", tag = "episodes",
    params(("id" = String, Path, description = "The episode's id")),
    responses(
        (status = 200, description = "Running: the observation as the agent last saw it (without the last tool result) and the info. Ended: how it ended.", body = DescribeResponse),
        (status = 404, description = "No such episode open.", body = ErrorBody),
    )
)]
pub(crate) async fn describe(
    State(state): State<Shared>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = path_id(id)?;
    Ok(json_text(StatusCode::OK, state.episodes.describe(&id)?))
}

/// Closes an episode (the protocol's `close`), judging it if it was still
/// running.
#[utoipa::path(
    delete, path = "/v1/episodes/{id}", tag = "episodes",
    params(("id" = String, Path, description = "The episode's id")),
    responses(
        (status = 200, description = "The episode is closed: how it ended, its evaluation and its audit log's head.", body = EpisodeClosed),
        (status = 404, description = "No such episode open.", body = ErrorBody),
    )
)]
pub(crate) async fn close(
    State(state): State<Shared>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = path_id(id)?;
    Ok(json_text(StatusCode::OK, state.episodes.close(&id)?))
}

/// Every scenario an episode or an eval may name: `[{id, difficulty}]`,
/// nothing else (a title or category would tell an agent the answer).
#[utoipa::path(
    get, path = "/v1/scenarios", tag = "listings",
    responses((status = 200, description = "The scenarios, sorted by id.", body = [crate::openapi::ScenarioEntry]))
)]
pub(crate) async fn scenarios(State(state): State<Shared>) -> Response {
    let entries: Vec<Value> = state
        .gym
        .scenarios()
        .into_iter()
        .map(|(id, difficulty)| json!({"id": id, "difficulty": difficulty.as_str()}))
        .collect();
    crate::state::json_value(StatusCode::OK, &entries)
}

/// Every tool an agent answers with: diagnostic tools, then the ending
/// actions, as `{name, description, parameters}`.
#[utoipa::path(
    get, path = "/v1/tools", tag = "listings",
    responses((status = 200, description = "The tool definitions.", body = [crate::openapi::ToolEntry]))
)]
pub(crate) async fn tools() -> Response {
    json_text(StatusCode::OK, oncall_protocol::tools())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_name_their_shard_and_nothing_else_does() {
        assert_eq!(shard_of("ep0-1"), Some(0));
        assert_eq!(shard_of("ep15-99"), Some(15));
        for bad in [
            "ep16-1",
            "ep-1",
            "ep1-",
            "ep1-x",
            "xp1-1",
            "ep01234-1",
            "",
            "ep+1-1",
        ] {
            assert_eq!(shard_of(bad), None, "{bad}");
        }
    }
}
