//! The library for people: one scenario as its browser shows it, and its
//! answer, asked for separately. Neither is for an agent: the episode
//! endpoints and the listing never show them.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use crate::error::{ApiError, ErrorBody};
use crate::gym::Gym;
use crate::state::{Shared, json_value, path_id};

/// One scenario before its answer: title, difficulty, category, tags and
/// the alert.
#[utoipa::path(
    get, path = "/v1/scenarios/{id}", tag = "listings",
    params(("id" = String, Path, description = "The scenario's name")),
    responses(
        (status = 200, description = "{id, title, difficulty, category, tags, incident}: for a person browsing the library, never for the agent under test.", body = Object),
        (status = 400, description = "Not a name.", body = ErrorBody),
        (status = 404, description = "No such scenario.", body = ErrorBody),
    )
)]
pub(crate) async fn scenario(
    State(state): State<Shared>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    from_library(&state, id, |gym, id| gym.describe_scenario(id)).await
}

/// A scenario's answer: its summary and ground truth.
#[utoipa::path(
    get, path = "/v1/scenarios/{id}/answer", tag = "listings",
    params(("id" = String, Path, description = "The scenario's name")),
    responses(
        (status = 200, description = "{id, summary, ground_truth}: the answer, for a person after a run.", body = Object),
        (status = 400, description = "Not a name.", body = ErrorBody),
        (status = 404, description = "No such scenario.", body = ErrorBody),
    )
)]
pub(crate) async fn answer(
    State(state): State<Shared>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    from_library(&state, id, |gym, id| gym.scenario_answer(id)).await
}

/// What `read` finds of the scenario in the path, on a blocking thread (it
/// may load the scenario from disk); 404 when it finds nothing.
async fn from_library(
    state: &Shared,
    id: Result<Path<String>, PathRejection>,
    read: fn(&dyn Gym, &str) -> Option<serde_json::Value>,
) -> Result<Response, ApiError> {
    let id = path_id(id)?;
    let gym = state.gym.clone();
    let (id, found) = tokio::task::spawn_blocking(move || {
        let found = read(gym.as_ref(), &id);
        (id, found)
    })
    .await
    .map_err(|error| ApiError::internal(error.to_string()))?;
    found
        .map(|value| json_value(StatusCode::OK, &value))
        .ok_or_else(|| unknown(&id))
}

fn unknown(id: &str) -> ApiError {
    let shown: String = id.chars().take(64).collect();
    ApiError::not_found(
        "unknown_scenario",
        format!("no scenario is called `{shown}`: GET /v1/scenarios lists them"),
    )
}
