//! What the server is started with, and its documented limits.

use std::net::SocketAddr;
use std::time::Duration;

/// The address `serve --http` binds when given none.
pub const DEFAULT_ADDRESS: &str = "127.0.0.1:8080";

/// The largest request body read, in bytes (1 MiB). A larger one gets 413.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The most episodes open at once over HTTP. A `POST /v1/episodes` past it
/// gets 429 until one is deleted or expires.
pub const MAX_OPEN_EPISODES: usize = 1024;

/// How long an episode may go untouched (no step, get or delete) before it
/// is closed: 15 minutes.
pub const EPISODE_IDLE_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// How long a request may take to be answered (30 s). A slower one gets
/// 503 `timeout`. An event stream's answer starts at once; it then runs
/// until its eval ends, or for [`MAX_EVENT_STREAM`].
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The longest an event stream stays open (1 hour); a client reconnects
/// for more.
pub const MAX_EVENT_STREAM: Duration = Duration::from_secs(60 * 60);

/// The most runs one eval may queue: scenarios × trials.
pub const MAX_RUNS_PER_EVAL: usize = 10_000;

/// The most rows a list answers with; `limit` asks for fewer.
pub const MAX_LIST_ROWS: u32 = 1000;

/// The limits a server enforces (the constants above, unless a test or a
/// flag changes them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// See [`MAX_BODY_BYTES`].
    pub max_body_bytes: usize,
    /// See [`MAX_OPEN_EPISODES`].
    pub max_open_episodes: usize,
    /// See [`EPISODE_IDLE_TIMEOUT`].
    pub episode_idle: Duration,
    /// See [`REQUEST_TIMEOUT`].
    pub request_timeout: Duration,
    /// See [`MAX_RUNS_PER_EVAL`].
    pub max_runs_per_eval: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_body_bytes: MAX_BODY_BYTES,
            max_open_episodes: MAX_OPEN_EPISODES,
            episode_idle: EPISODE_IDLE_TIMEOUT,
            request_timeout: REQUEST_TIMEOUT,
            max_runs_per_eval: MAX_RUNS_PER_EVAL,
        }
    }
}

/// How workers claim and hold queued runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerOptions {
    /// Worker threads, each claiming and running on its own.
    pub threads: usize,
    /// How long a claim holds before another worker may take it back; a
    /// heartbeat renews it every third of that while the worker lives.
    pub lease: Duration,
    /// Runs claimed at a time by one thread.
    pub batch: u32,
    /// How long an idle worker waits before looking at the queue again.
    pub poll: Duration,
}

impl Default for WorkerOptions {
    fn default() -> WorkerOptions {
        WorkerOptions {
            threads: 1,
            lease: Duration::from_secs(30),
            batch: 4,
            poll: Duration::from_millis(250),
        }
    }
}

/// `serve --http`'s settings.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Where to listen.
    pub address: SocketAddr,
    /// The bearer token every request must carry, if any (required off
    /// loopback).
    pub token: Option<String>,
    /// The results store's location (a path or a `postgres://` URL); evals
    /// and runs answer 503 without one.
    pub store: Option<String>,
    /// The workers run inside the server (`threads` 0 for none).
    pub workers: WorkerOptions,
    /// The limits.
    pub limits: Limits,
}
