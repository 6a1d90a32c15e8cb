//! `oncall-server` serves the gym over HTTP (`oncall-gym serve --http`):
//! episodes for agents and RL trainers in any language (the stdio
//! protocol's `reset`, `step` and `close`, from the same sessions), evals
//! queued in the results store and run by workers on any number of
//! machines, the stored runs and their audit logs, comparisons, and
//! health, readiness and Prometheus metrics. The API is described by an
//! OpenAPI document generated from the handlers ([`openapi_json`]).
//!
//! It depends on `oncall-protocol` (the sessions), `oncall-store` (the
//! results and the job queue), `oncall-sim`, `oncall-audit` and
//! `oncall-domain`, and on axum and tokio: it is one of the two kinds of
//! crate that may hold an async runtime, and the synchronous core is only
//! called from it under short locks or on blocking threads. It must never
//! know about agents or the scenario library: the product hands it a
//! [`Gym`] that lists and loads scenarios, plans evals and makes runs. It
//! must never show an agent a scenario's ground truth: episodes answer with
//! the protocol's observations, and listings name scenarios only.

mod config;
mod episodes;
mod error;
mod evals;
mod gym;
mod metrics;
mod openapi;
mod ops;
mod pool;
mod runs;
mod scenarios;
mod server;
mod state;
mod ui;
mod worker;

pub use crate::config::{
    DEFAULT_ADDRESS, EPISODE_IDLE_TIMEOUT, Limits, MAX_BODY_BYTES, MAX_EVENT_STREAM, MAX_LIST_ROWS,
    MAX_OPEN_EPISODES, MAX_RUNS_PER_EVAL, REQUEST_TIMEOUT, ServerConfig, WorkerOptions,
};
pub use crate::episodes::SHARDS;
pub use crate::error::{ApiError, ErrorBody, ErrorDetail, ServerError};
pub use crate::evals::{
    EvalCancelled, EvalCreated, EvalEvent, EvalLinks, EvalList, EvalStreamEvent, EvalView,
    MAX_TRIALS, Progress,
};
pub use crate::gym::{EvalRequest, Gym, PlannedEval};
pub use crate::metrics::{Metrics, STEP_LATENCY_BUCKETS};
pub use crate::openapi::{
    ApiDoc, DescribeResponse, EpisodeClosed, ResetRequest, ResetResponse, ScenarioEntry,
    StepRequest, StepResponse, ToolEntry, openapi_json,
};
pub use crate::ops::{Health, Readiness};
pub use crate::pool::MAX_STORE_CONNECTIONS;
pub use crate::runs::{MAX_RESAMPLES, RunEvents, RunList, RunView, run_events};
pub use crate::server::{ServeSummary, run_workers, serve};
pub use crate::ui::{APP_CSS, APP_JS, INDEX_HTML, standalone_page};
pub use crate::worker::Workers;
