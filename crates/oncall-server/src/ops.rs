//! Operations: liveness, readiness (the store answers), Prometheus
//! metrics, and the OpenAPI document.

use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::state::{Shared, json_text, json_value};

/// `GET /healthz`'s answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: String,
}

/// `GET /readyz`'s answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    /// `ready`.
    pub status: String,
    /// Whether the server has a results store (evals and runs need one).
    pub store: bool,
    /// Episodes open.
    pub episodes_open: usize,
}

/// The process is up.
#[utoipa::path(
    get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "Up.", body = Health))
)]
pub(crate) async fn healthz() -> Response {
    json_value(
        StatusCode::OK,
        &Health {
            status: "ok".to_owned(),
        },
    )
}

/// The server can take requests: its store (if it has one) answers.
#[utoipa::path(
    get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "Ready.", body = Readiness),
        (status = 503, description = "The store does not answer, or the server is shutting down.", body = ErrorBody),
    )
)]
pub(crate) async fn readyz(State(state): State<Shared>) -> Result<Response, ApiError> {
    if *state.shutdown.borrow() {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting_down",
            "the server is shutting down",
        ));
    }
    if let Some(pool) = &state.store {
        pool.with(|store| Ok(store.queue_counts(None)?)).await?;
    }
    Ok(json_value(
        StatusCode::OK,
        &Readiness {
            status: "ready".to_owned(),
            store: state.store.is_some(),
            episodes_open: state.episodes.open_count(),
        },
    ))
}

/// Prometheus metrics: runs done and failed by this process's workers, the
/// queue's depth, open episodes, and the episode step latency histogram.
#[utoipa::path(
    get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format 0.0.4.", content_type = "text/plain", body = String))
)]
pub(crate) async fn metrics(State(state): State<Shared>) -> Response {
    let queue = match &state.store {
        // An unreachable store leaves the queue out rather than failing
        // the scrape: the other metrics still say something.
        Some(pool) => pool.with(|store| Ok(store.queue_counts(None)?)).await.ok(),
        None => None,
    };
    let text = state.metrics.render(state.episodes.open_count(), queue);
    (
        StatusCode::OK,
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        text,
    )
        .into_response()
}

/// The OpenAPI document.
pub(crate) async fn openapi() -> Response {
    json_text(StatusCode::OK, crate::openapi::openapi_json())
}
