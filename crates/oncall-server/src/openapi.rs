//! The OpenAPI document at `/v1/openapi.json`, generated from the
//! handlers' annotations and the types they read and write. The episode
//! types below describe the protocol's answers, which the sessions write
//! as JSON text: their inner objects (an observation's tool result, an
//! evaluation) are the stdio protocol's, documented in the README.

use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use crate::error::{ErrorBody, ErrorDetail};
use crate::evals::{
    EvalCancelled, EvalCreated, EvalEvent, EvalLinks, EvalList, EvalStreamEvent, EvalView, Progress,
};
use crate::gym::EvalRequest;
use crate::ops::{Health, Readiness};
use crate::runs::{RunEvents, RunList, RunView};

/// The API's description.
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "oncall-gym",
        description = "Episodes for remote agents and RL trainers (the stdio protocol's reset, step and close over HTTP), evals queued for workers, and the results store. Errors are {\"error\": {\"code\", \"message\"}}. With a token, every request needs `Authorization: Bearer TOKEN`."
    ),
    paths(
        crate::episodes::scenarios,
        crate::episodes::tools,
        crate::scenarios::scenario,
        crate::scenarios::answer,
        crate::episodes::reset,
        crate::episodes::step,
        crate::episodes::describe,
        crate::episodes::close,
        crate::evals::create,
        crate::evals::list,
        crate::evals::show,
        crate::evals::cancel,
        crate::evals::events,
        crate::runs::list,
        crate::runs::show,
        crate::runs::events,
        crate::runs::compare,
        crate::ops::healthz,
        crate::ops::readyz,
        crate::ops::metrics,
    ),
    components(schemas(
        ErrorBody, ErrorDetail, ScenarioEntry, ToolEntry, ResetRequest, ResetResponse, StepRequest,
        StepResponse, DescribeResponse, EpisodeClosed, EvalRequest, EvalCreated, EvalLinks, EvalList,
        EvalView, Progress, EvalCancelled, EvalEvent, EvalStreamEvent, RunList, RunView,
        RunEvents, Health, Readiness,
    )),
    modifiers(&BearerToken),
    tags(
        (name = "episodes", description = "One episode at a time, driven step by step (Gymnasium's reset/step)."),
        (name = "listings", description = "What an episode or an eval may name. No ground truth."),
        (name = "evals", description = "Evals queued for the workers."),
        (name = "runs", description = "Stored runs and comparisons."),
        (name = "operations", description = "Health, readiness and metrics."),
    )
)]
pub struct ApiDoc;

/// The document as JSON text.
pub fn openapi_json() -> String {
    ApiDoc::openapi()
        .to_json()
        .unwrap_or_else(|_| "{}".to_owned())
}

struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// One scenario: its name and difficulty only.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScenarioEntry {
    /// The scenario's name, for `reset` and evals.
    pub id: String,
    /// easy, medium or hard.
    pub difficulty: String,
}

/// One tool an agent may answer with.
#[derive(Debug, Serialize, ToSchema)]
pub struct ToolEntry {
    /// Its name, the decision's `tool_name`.
    pub name: String,
    /// What it does.
    pub description: String,
    /// Its parameters, as JSON Schema.
    #[schema(value_type = Object)]
    pub parameters: serde_json::Value,
}

/// `POST /v1/episodes`: which scenario to open.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    /// The scenario's name.
    pub scenario: String,
    /// The seed (default 0): with the scenario and agent, what the run's
    /// ids derive from.
    pub seed: Option<u64>,
    /// A step limit (default: the scenario's own).
    #[schema(minimum = 1, maximum = 1000)]
    pub max_steps: Option<u32>,
    /// The name the audit log records (default `external`).
    pub agent: Option<String>,
}

/// `POST /v1/episodes`'s answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResetResponse {
    /// The episode's id.
    pub episode: String,
    /// What the agent sees: the alert and its progress.
    #[schema(value_type = Object)]
    pub observation: serde_json::Value,
    /// For the harness only, never the agent: scenario, run_id, agent,
    /// seed, max_steps.
    #[schema(value_type = Object)]
    pub info: serde_json::Value,
}

/// `POST /v1/episodes/{id}/step`: the next action, and the analysis of the
/// previous tool result.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepRequest {
    /// A decision object (`call_tool`, `propose_mitigation`, `escalate`),
    /// or its JSON text.
    #[schema(value_type = Object)]
    pub action: serde_json::Value,
    /// The analysis of the previous tool result.
    #[schema(value_type = Option<Object>)]
    pub analysis: Option<serde_json::Value>,
}

/// A step's answer, in Gymnasium's shape.
#[derive(Debug, Serialize, ToSchema)]
pub struct StepResponse {
    /// What the agent sees.
    #[schema(value_type = Object)]
    pub observation: serde_json::Value,
    /// 0 until the episode ends, then the score's total.
    pub reward: f64,
    /// Ended by the agent's own doing.
    pub terminated: bool,
    /// Ended by the step limit.
    pub truncated: bool,
    /// For the harness only: the step, failures, and at the end the
    /// evaluation and the audit log's head.
    #[schema(value_type = Object)]
    pub info: serde_json::Value,
}

/// `GET /v1/episodes/{id}`'s answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct DescribeResponse {
    /// The episode's id.
    pub episode: String,
    /// running or ended.
    pub status: String,
    /// While running: what the agent last saw, without the tool result.
    #[schema(value_type = Option<Object>)]
    pub observation: Option<serde_json::Value>,
    /// For the harness only.
    #[schema(value_type = Object)]
    pub info: serde_json::Value,
}

/// `DELETE /v1/episodes/{id}`'s answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct EpisodeClosed {
    /// How it ended: status, termination, evaluation, head_hash,
    /// event_count.
    #[schema(value_type = Object)]
    pub info: serde_json::Value,
}
