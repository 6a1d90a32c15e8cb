//! The errors of this crate: [`ApiError`], what a request gets back
//! (`{"error": {"code", "message"}}` with a 4xx or 5xx status), and
//! [`ServerError`], why the server or a worker could not start or stopped.

use std::net::SocketAddr;

use axum::http::StatusCode;
use axum::http::header::{CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use oncall_protocol::ProtocolError;
use oncall_store::StoreError;

/// Why a request was refused, as its status and a JSON body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status} {code}: {message}")]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

/// The body of every error: `{"error": {"code", "message"}}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// What went wrong: a code to branch on and a message for a person.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// A short snake_case name for the kind of error (`invalid_params`,
    /// `unknown_episode`, `body_too_large`, ...).
    pub code: String,
    /// What was wrong and how to fix it.
    pub message: String,
}

impl ApiError {
    /// An error with this status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    /// 400: the request is malformed or a parameter is wrong.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 404: no such thing.
    pub fn not_found(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, code, message)
    }

    /// 503: this server has no results store.
    pub fn no_store() -> ApiError {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "no_store",
            "this server has no results store (it was started with --no-db): evals and runs need one; start it with --db PATH_OR_URL",
        )
    }

    /// 500: something on the server's side broke.
    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", message)
    }

    /// Its status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Its code.
    pub fn code(&self) -> &str {
        self.code
    }

    /// Its message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message,
            },
        };
        let text = serde_json::to_string(&body).unwrap_or_else(|_| "{}".to_owned());
        let mut response =
            (self.status, [(CONTENT_TYPE, "application/json")], text).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}

impl From<ProtocolError> for ApiError {
    fn from(error: ProtocolError) -> ApiError {
        let status = match &error {
            ProtocolError::UnknownEpisode(_) => StatusCode::NOT_FOUND,
            ProtocolError::EpisodeOver { .. } => StatusCode::CONFLICT,
            ProtocolError::TooManyEpisodes { .. } => StatusCode::TOO_MANY_REQUESTS,
            ProtocolError::Internal(_) | ProtocolError::Audit(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            _ => StatusCode::BAD_REQUEST,
        };
        ApiError::new(status, error.kind(), error.to_string())
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> ApiError {
        let (status, code) = match &error {
            StoreError::NotFound { .. } => (StatusCode::NOT_FOUND, "not_found"),
            StoreError::Ambiguous { .. } => (StatusCode::BAD_REQUEST, "ambiguous_id"),
            StoreError::BadPrefix { .. } => (StatusCode::BAD_REQUEST, "bad_id"),
            StoreError::DuplicateTrial { .. } => (StatusCode::CONFLICT, "duplicate_trial"),
            StoreError::Damaged { .. } => (StatusCode::INTERNAL_SERVER_ERROR, "store_damaged"),
            _ => (StatusCode::SERVICE_UNAVAILABLE, "store_unavailable"),
        };
        ApiError::new(status, code, error.to_string())
    }
}

/// Why the server or a worker could not start, or stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// A non-loopback address without a token.
    #[error(
        "{address} is not a loopback address: serving on it needs a bearer token (--token or ONCALL_GYM_TOKEN), so that only your clients can use it"
    )]
    TokenRequired {
        /// The address asked for.
        address: SocketAddr,
    },
    /// A token too short to be a secret.
    #[error("the token is {length} bytes: give at least 16 bytes of secret")]
    WeakToken {
        /// Its length.
        length: usize,
    },
    /// The address could not be bound.
    #[error("could not listen on {address}: {source}")]
    Bind {
        /// The address.
        address: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Workers need a store.
    #[error("workers need a results store: give --db PATH_OR_URL (or --workers 0)")]
    WorkersNeedStore,
    /// The store could not be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The runtime, a signal handler or the listener failed.
    #[error("{doing}: {source}")]
    Io {
        /// What was being done.
        doing: &'static str,
        /// Why it failed.
        #[source]
        source: std::io::Error,
    },
}
