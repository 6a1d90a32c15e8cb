//! Starting and stopping: the router with its guards (token, timeout,
//! body cap), `serve --http`, and `worker`, each ending cleanly on SIGTERM
//! or SIGINT.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::StatusCode;
use axum::http::header::{AUTHORIZATION, CONTENT_LENGTH};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use oncall_store::Store;

use crate::config::{ServerConfig, WorkerOptions};
use crate::episodes::Episodes;
use crate::error::{ApiError, ServerError};
use crate::gym::Gym;
use crate::metrics::Metrics;
use crate::pool::StorePool;
use crate::state::{AppState, Shared};
use crate::worker::Workers;
use crate::{episodes, evals, ops, runs, scenarios, ui};

/// What a server did, for its last line on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServeSummary {
    /// Episodes still open at shutdown, closed then.
    pub episodes_closed: usize,
    /// Queued runs its workers made.
    pub runs_done: u64,
    /// Queued runs its workers could not make.
    pub runs_failed: u64,
}

/// Serves `config` until SIGTERM or SIGINT: then it stops taking
/// connections, answers the requests under way, lets its workers finish
/// the runs they are making (putting the rest back on the queue), closes
/// every episode, and returns. `ready` is told the address it listens on
/// (port 0 picks a free one).
pub fn serve(
    config: ServerConfig,
    gym: Arc<dyn Gym>,
    ready: impl FnOnce(std::net::SocketAddr),
) -> Result<ServeSummary, ServerError> {
    if !config.address.ip().is_loopback() && config.token.is_none() {
        return Err(ServerError::TokenRequired {
            address: config.address,
        });
    }
    if let Some(token) = &config.token
        && token.len() < 16
    {
        return Err(ServerError::WeakToken {
            length: token.len(),
        });
    }
    if config.workers.threads > 0 && config.store.is_none() {
        return Err(ServerError::WorkersNeedStore);
    }
    let store = match &config.store {
        Some(location) => Some(Arc::new(StorePool::new(
            location.clone(),
            Store::open(location)?,
        ))),
        None => None,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|source| ServerError::Io {
            doing: "could not start the async runtime",
            source,
        })?;
    let metrics = Arc::new(Metrics::default());
    let (shutdown_sender, shutdown) = tokio::sync::watch::channel(false);
    let state: Shared = Arc::new(AppState {
        episodes: Episodes::new(
            &gym,
            config.limits.max_open_episodes,
            config.limits.episode_idle,
            Arc::clone(&metrics),
        ),
        gym: Arc::clone(&gym),
        store,
        metrics: Arc::clone(&metrics),
        limits: config.limits.clone(),
        shutdown,
    });
    // The workers start, and the store's connections close, outside the
    // runtime: the PostgreSQL client blocks on a runtime of its own, which
    // must never happen on an async thread.
    let workers = match (&config.store, config.workers.threads) {
        (Some(location), threads) if threads > 0 => Some(Workers::start(
            location,
            Arc::clone(&gym),
            &config.workers,
            Arc::clone(&metrics),
            Arc::new(AtomicBool::new(false)),
        )?),
        _ => None,
    };
    let kept = Arc::clone(&state);
    let served = runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::bind(config.address).await {
            Ok(listener) => listener,
            Err(source) => {
                return (
                    workers,
                    Err(ServerError::Bind {
                        address: config.address,
                        source,
                    }),
                );
            }
        };
        let address = match listener.local_addr() {
            Ok(address) => address,
            Err(source) => {
                return (
                    workers,
                    Err(ServerError::Io {
                        doing: "could not read the address listened on",
                        source,
                    }),
                );
            }
        };
        tokio::spawn(reap_idle_episodes(Arc::clone(&state)));
        let app = router(Arc::clone(&state), config.token.clone());
        ready(address);
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                shutdown_signal().await;
                let _ = shutdown_sender.send(true);
            })
            .await
            .map_err(|source| ServerError::Io {
                doing: "the server stopped",
                source,
            });
        (workers, served)
    });
    let (workers, served) = served;
    if let Some(workers) = workers {
        workers.stop();
        workers.join();
    }
    drop(runtime);
    let episodes_closed = kept.episodes.close_all();
    if let Some(pool) = &kept.store {
        pool.close();
    }
    served?;
    Ok(ServeSummary {
        episodes_closed,
        runs_done: metrics.runs_done(),
        runs_failed: metrics.runs_failed(),
    })
}

/// Runs `options.threads` workers on the store at `location` until SIGTERM
/// or SIGINT; then each finishes the run it is making and puts the rest of
/// its batch back on the queue. `started` is told the workers' name.
/// Returns the runs made and the runs that failed.
pub fn run_workers(
    location: &str,
    gym: Arc<dyn Gym>,
    options: &WorkerOptions,
    started: impl FnOnce(&str),
) -> Result<(u64, u64), ServerError> {
    let stop = Arc::new(AtomicBool::new(false));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|source| ServerError::Io {
            doing: "could not start the signal handler",
            source,
        })?;
    let metrics = Arc::new(Metrics::default());
    let workers = Workers::start(
        location,
        gym,
        options,
        Arc::clone(&metrics),
        Arc::clone(&stop),
    )?;
    started(workers.name());
    let signal_stop = Arc::clone(&stop);
    std::thread::spawn(move || {
        runtime.block_on(shutdown_signal());
        signal_stop.store(true, Ordering::SeqCst);
    });
    workers.join();
    Ok((metrics.runs_done(), metrics.runs_failed()))
}

/// The routes, behind the guards.
fn router(state: Shared, token: Option<String>) -> Router {
    let guard = Arc::new(Guard {
        token,
        timeout: state.limits.request_timeout,
        max_body: state.limits.max_body_bytes,
    });
    Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/v1/openapi.json", get(ops::openapi))
        .route("/", get(ui::index))
        .route("/ui/app.js", get(ui::script))
        .route("/ui/app.css", get(ui::styles))
        .route("/v1/scenarios", get(episodes::scenarios))
        .route("/v1/scenarios/{id}", get(scenarios::scenario))
        .route("/v1/scenarios/{id}/answer", get(scenarios::answer))
        .route("/v1/tools", get(episodes::tools))
        .route("/v1/episodes", post(episodes::reset))
        .route(
            "/v1/episodes/{id}",
            get(episodes::describe).delete(episodes::close),
        )
        .route("/v1/episodes/{id}/step", post(episodes::step))
        .route("/v1/evals", post(evals::create).get(evals::list))
        .route("/v1/evals/{id}", get(evals::show))
        .route("/v1/evals/{id}/events", get(evals::events))
        .route("/v1/evals/{id}/cancel", post(evals::cancel))
        .route("/v1/runs", get(runs::list))
        .route("/v1/runs/{id}", get(runs::show))
        .route("/v1/runs/{id}/events", get(runs::events))
        .route("/v1/compare", get(runs::compare))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(state.limits.max_body_bytes))
        .layer(axum::middleware::from_fn_with_state(guard, check))
        .with_state(state)
}

/// What every request passes: the token, a declared body under the cap,
/// then the timeout.
#[derive(Debug)]
struct Guard {
    token: Option<String>,
    timeout: Duration,
    max_body: usize,
}

async fn check(State(guard): State<Arc<Guard>>, request: Request, next: Next) -> Response {
    // The UI's page, script and styles hold no data, and a browser cannot
    // send a bearer token when it loads a page: they are served to anyone,
    // and the page asks for the token before it calls the API.
    let static_asset = matches!(request.uri().path(), "/" | "/ui/app.js" | "/ui/app.css");
    if let Some(token) = guard.token.as_ref().filter(|_| !static_asset) {
        let given = request
            .headers()
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "));
        let matches = given.is_some_and(|given| same_secret(given.as_bytes(), token.as_bytes()));
        if !matches {
            return ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "this server needs `Authorization: Bearer TOKEN` with its token",
            )
            .into_response();
        }
    }
    // A body declared over the cap is refused before a byte of it is read
    // (one sent without a length is cut off at the cap as it is read).
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > guard.max_body as u64) {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!(
                "the request body is larger than {} bytes, the cap on one request",
                guard.max_body
            ),
        )
        .into_response();
    }
    match tokio::time::timeout(guard.timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            format!(
                "the request took longer than {} s, the cap on one request",
                guard.timeout.as_secs()
            ),
        )
        .into_response(),
    }
}

/// Compares two secrets in time that depends only on their lengths.
fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    if given.len() != expected.len() {
        return false;
    }
    given
        .iter()
        .zip(expected)
        .fold(0u8, |difference, (a, b)| difference | (a ^ b))
        == 0
}

async fn not_found() -> ApiError {
    ApiError::not_found(
        "not_found",
        "no such endpoint: see /v1/openapi.json for the API",
    )
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not take that method: see /v1/openapi.json",
    )
}

/// Closes idle episodes, looking a few times per idle timeout.
async fn reap_idle_episodes(state: Shared) {
    let every =
        (state.limits.episode_idle / 4).clamp(Duration::from_millis(50), Duration::from_secs(30));
    loop {
        tokio::time::sleep(every).await;
        if *state.shutdown.borrow() {
            return;
        }
        state.episodes.expire_idle(Instant::now());
    }
}

/// Resolves on SIGTERM or SIGINT (never, if neither can be watched).
async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let terminate = signal(SignalKind::terminate());
    let interrupt = signal(SignalKind::interrupt());
    match (terminate, interrupt) {
        (Ok(mut terminate), Ok(mut interrupt)) => {
            tokio::select! {
                _ = terminate.recv() => {}
                _ = interrupt.recv() => {}
            }
        }
        (Ok(mut one), Err(_)) | (Err(_), Ok(mut one)) => {
            one.recv().await;
        }
        (Err(_), Err(_)) => std::future::pending::<()>().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_match_only_when_equal() {
        assert!(same_secret(b"0123456789abcdef", b"0123456789abcdef"));
        assert!(!same_secret(b"0123456789abcdeF", b"0123456789abcdef"));
        assert!(!same_secret(b"0123456789abcde", b"0123456789abcdef"));
        assert!(!same_secret(b"", b"0123456789abcdef"));
    }
}
