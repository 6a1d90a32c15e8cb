//! The command line of serving: `serve --stdio`, `serve --http` and
//! `worker`.

use std::net::SocketAddr;

use clap::ArgGroup;

use crate::cli_store::StoreArgs;

/// `serve`'s arguments.
#[derive(Debug, clap::Args)]
#[command(
    group(ArgGroup::new("transport").required(true).args(["stdio", "http"])),
    after_help = "--stdio: methods reset {scenario, seed?, max_steps?, agent?, audit?}, step {episode, action, analysis?}, close {episode}, scenarios, tools. Requests are capped at 1 MiB a line; at most 1024 episodes are open at once. Only protocol lines go to stdout; diagnostics go to stderr. At end of input every open episode is closed and its audit log completed. See the README's \"Bring your own agent\".\n\n--http: the API under /v1 (described at /v1/openapi.json), /healthz, /readyz and /metrics. Bodies are capped at 1 MiB, requests at 30 s. Evals posted to /v1/evals are queued in the results store and run by the workers. SIGTERM stops taking requests, lets the workers finish the runs under way, puts the rest back on the queue, and exits 0. See the README's \"Server and workers\"."
)]
pub(crate) struct ServeArgs {
    /// Speak the protocol on stdin and stdout.
    #[arg(long)]
    pub(crate) stdio: bool,
    /// Serve the HTTP API on ADDR (default 127.0.0.1:8080; port 0 picks a free one).
    #[arg(long, value_name = "ADDR", num_args = 0..=1, default_missing_value = oncall_server::DEFAULT_ADDRESS)]
    pub(crate) http: Option<SocketAddr>,
    /// The bearer token every request must carry (default: $ONCALL_GYM_TOKEN); required on an address that is not loopback.
    #[arg(long, value_name = "TOKEN", requires = "http")]
    pub(crate) token: Option<String>,
    /// Worker threads that run queued evals inside the server, 0 to 256 (default 1 with a store, 0 with --no-db).
    #[arg(long, value_name = "N", requires = "http", value_parser = clap::value_parser!(u32).range(0..=256))]
    pub(crate) workers: Option<u32>,
    /// Seconds a worker's claim on a run holds without a heartbeat, 1 to 3600.
    #[arg(long, value_name = "SECONDS", default_value_t = 30, requires = "http", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub(crate) lease_seconds: u64,
    /// Close an episode after this many seconds without a request, 1 to 86400.
    #[arg(long, value_name = "SECONDS", default_value_t = 900, requires = "http", value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub(crate) idle_timeout: u64,
    /// The most episodes open at once over HTTP, 1 to 65536.
    #[arg(long, value_name = "N", default_value_t = 1024, requires = "http", value_parser = clap::value_parser!(u32).range(1..=65_536))]
    pub(crate) max_episodes: u32,
    #[command(flatten)]
    pub(crate) store: StoreArgs,
}

/// `worker`'s arguments.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "A worker claims queued runs from the store a few at a time, makes them, stores them, and looks again. Start as many as you like, on as many machines as share the store (a postgres:// URL). A worker that dies leaves its claims to run out (--lease-seconds); another worker then makes those runs, and each (scenario, trial) is stored once. SIGTERM lets it finish the runs under way, puts the rest back on the queue, and exits 0. A model agent's key comes from the worker's environment (OPENAI_API_KEY, ANTHROPIC_API_KEY)."
)]
pub(crate) struct WorkerArgs {
    /// Worker threads, each making one run at a time, 1 to 256.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub(crate) workers: u32,
    /// Seconds a claim on a run holds without a heartbeat, 1 to 3600.
    #[arg(long, value_name = "SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub(crate) lease_seconds: u64,
    #[command(flatten)]
    pub(crate) store: StoreArgs,
}

/// `report`'s arguments.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "One HTML file with the eval's scorecard, its runs and each run's page (timeline, hypothesis chart, verdict, audit chain, ground truth), as the web UI shows them. Everything is inside it: it opens from disk with no server and loads nothing from the network. Runs past the first 1000 are listed without their pages."
)]
pub(crate) struct ReportArgs {
    /// The eval's id, or a unique prefix of it.
    pub(crate) eval: String,
    /// The HTML file to write.
    #[arg(long, value_name = "FILE")]
    pub(crate) out: std::path::PathBuf,
    #[command(flatten)]
    pub(crate) store: StoreArgs,
}
