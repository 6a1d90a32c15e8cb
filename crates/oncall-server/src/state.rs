//! What every handler shares, and the helpers they read requests and
//! write answers with.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::Path;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::config::Limits;
use crate::episodes::Episodes;
use crate::error::ApiError;
use crate::gym::Gym;
use crate::metrics::Metrics;
use crate::pool::StorePool;

/// The server's state, shared by every handler.
pub(crate) struct AppState {
    pub(crate) gym: Arc<dyn Gym>,
    pub(crate) episodes: Episodes,
    pub(crate) store: Option<Arc<StorePool>>,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) limits: Limits,
    /// Turns true when the server starts shutting down: event streams end.
    pub(crate) shutdown: tokio::sync::watch::Receiver<bool>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("store", &self.store)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

pub(crate) type Shared = Arc<AppState>;

impl AppState {
    /// The store, or 503 when the server has none.
    pub(crate) fn store(&self) -> Result<&Arc<StorePool>, ApiError> {
        self.store.as_ref().ok_or_else(ApiError::no_store)
    }
}

/// The request's body as a JSON object: 413 past the body cap, 400 when it
/// is not JSON or not an object.
pub(crate) fn json_object(
    body: Result<Bytes, BytesRejection>,
) -> Result<serde_json::Map<String, Value>, ApiError> {
    let bytes = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!(
                    "the request body is larger than {} bytes, the cap on one request",
                    crate::config::MAX_BODY_BYTES
                ),
            )
        } else {
            ApiError::bad_request("unreadable_body", rejection.body_text())
        }
    })?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(
            "invalid_body",
            "the request body is empty: send a JSON object",
        ));
    }
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(ApiError::bad_request(
            "invalid_body",
            format!(
                "the request body must be a JSON object, not {}",
                oncall_tools::json_type(&other)
            ),
        )),
        Err(error) => Err(ApiError::bad_request(
            "invalid_json",
            format!("the request body is not JSON: {error}"),
        )),
    }
}

/// JSON text already serialised, as an answer with `status`.
pub(crate) fn json_text(status: StatusCode, text: String) -> Response {
    (status, [(CONTENT_TYPE, "application/json")], text).into_response()
}

/// `value` as a JSON answer with `status`.
pub(crate) fn json_value<T: serde::Serialize>(status: StatusCode, value: &T) -> Response {
    match serde_json::to_string(value) {
        Ok(text) => json_text(status, text),
        Err(error) => {
            ApiError::internal(format!("could not write the answer: {error}")).into_response()
        }
    }
}

/// The `{id}` of a path, or a 400 when it does not read (not UTF-8 once
/// decoded).
pub(crate) fn path_id(id: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    id.map(|Path(id)| id)
        .map_err(|rejection| ApiError::bad_request("bad_id", rejection.body_text()))
}
