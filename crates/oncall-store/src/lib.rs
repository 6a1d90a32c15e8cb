//! `oncall-store` keeps results: every eval, every run with its score and
//! what it spent, and each run's audit log as its exact lines, so a run
//! exported from the store is byte-identical to the log it was and
//! verifies. The embedded default is one SQLite file (`results.db` under
//! the user's data directory); teams share a PostgreSQL database, named by
//! a `postgres://` URL. The schema is created and upgraded by versioned
//! migrations, and a store written by a newer build is refused.
//!
//! It depends on `oncall-domain` and `oncall-audit` (to hash the lines it
//! stores as the chain does), on rusqlite with SQLite compiled in, and on
//! the blocking `postgres` client (which runs a tokio runtime of its own). It
//! must never know about the engine, scenarios or agents: it stores rows
//! and bytes the product gives it. Only the product and server layers
//! depend on it; the five phase crates stay free of databases.

mod error;
mod postgres;
mod prepared;
mod queue;
mod queue_postgres;
mod queue_sqlite;
mod rows;
mod schema;
mod sqlite;
mod store;

pub use crate::error::StoreError;
pub use crate::prepared::PreparedRun;
pub use crate::queue::{Cancelled, Job, JobKey, JobOutcome, MAX_ATTEMPTS, MAX_CLAIM, QueueCounts};
pub use crate::rows::{EvalRow, EvalStatus, NewEval, NewRun, RunFilter, RunRow};
pub use crate::schema::SCHEMA_VERSION;
pub use crate::sqlite::BUSY_TIMEOUT;
pub use crate::store::{Store, display_location, is_postgres_url};
