//! The one error type of this crate.

use std::path::PathBuf;

/// What went wrong with a store. Messages name the store (its path), what
/// was being done, and what the database said.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The file could not be opened or is not a SQLite database.
    #[error("the results store {path} could not be opened: {message}")]
    Open {
        /// The store's file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// The store was written by a newer oncall-gym.
    #[error(
        "the results store {path} has schema version {found}, newer than this oncall-gym knows ({known}); upgrade oncall-gym, or choose another store with --db"
    )]
    TooNew {
        /// The store's file.
        path: PathBuf,
        /// Its schema version.
        found: i64,
        /// The newest this build knows.
        known: i64,
    },
    /// Another process holds the database and did not let go in time.
    #[error(
        "the results store {path} is locked by another process (waited {waited_ms} ms); try again when it is done"
    )]
    Locked {
        /// The store's file.
        path: PathBuf,
        /// How long we waited.
        waited_ms: u64,
    },
    /// A query or a write failed.
    #[error("the results store {path}: could not {doing}: {message}")]
    Database {
        /// The store's file.
        path: PathBuf,
        /// What was being done, e.g. `record run 3f1c…`.
        doing: String,
        /// What the database said.
        message: String,
    },
    /// No eval or run has this id or id prefix.
    #[error("no {what} in {path} has an id starting with `{prefix}`")]
    NotFound {
        /// `eval` or `run`.
        what: &'static str,
        /// What was given.
        prefix: String,
        /// The store's file.
        path: PathBuf,
    },
    /// Several evals or runs share the prefix.
    #[error("`{prefix}` names {count} {what}s in {path}: {examples}; give more of the id")]
    Ambiguous {
        /// `eval` or `run`.
        what: &'static str,
        /// What was given.
        prefix: String,
        /// How many matched.
        count: usize,
        /// Some of them, for the message.
        examples: String,
        /// The store's file.
        path: PathBuf,
    },
    /// An id prefix that cannot be one (not hex and dashes).
    #[error("`{prefix}` is not an id or an id prefix (hex digits and dashes)")]
    BadPrefix {
        /// What was given.
        prefix: String,
    },
    /// A (scenario, trial) pair recorded twice in one eval.
    #[error("eval {eval} already holds trial {trial} of scenario `{scenario}`")]
    DuplicateTrial {
        /// The eval.
        eval: String,
        /// The scenario.
        scenario: String,
        /// The trial.
        trial: u32,
    },
    /// A stored row that does not read back (a store edited by hand).
    #[error("the results store {path}: {what} is damaged: {message}")]
    Damaged {
        /// The store's file.
        path: PathBuf,
        /// Which row.
        what: String,
        /// What is wrong with it.
        message: String,
    },
}
