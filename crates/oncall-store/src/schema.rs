//! The schema, as versioned migrations. `schema_version` holds one row, the
//! version the store is at; opening a store applies every migration after
//! it in one transaction, and refuses a store newer than [`SCHEMA_VERSION`].

use std::path::Path;

use crate::error::StoreError;

/// The newest schema this build knows.
pub const SCHEMA_VERSION: i64 = 2;

/// The migrations a store at version `current` still needs, each with the
/// version it brings the store to; `TooNew` for a store newer than this
/// build. Both backends follow this one plan.
pub(crate) fn pending<'a>(
    current: i64,
    migrations: &'a [&'a str],
    store: &Path,
) -> Result<Vec<(i64, &'a str)>, StoreError> {
    if current > SCHEMA_VERSION {
        return Err(StoreError::TooNew {
            path: store.to_owned(),
            found: current,
            known: SCHEMA_VERSION,
        });
    }
    Ok((1..)
        .zip(migrations.iter().copied())
        .filter(|(version, _)| *version > current)
        .collect())
}

/// Migration `n` (from 1) takes a SQLite store from version `n - 1` to
/// `n`.
pub(crate) const SQLITE_MIGRATIONS: [&str; 2] = [
    r#"
CREATE TABLE evals (
    id          TEXT PRIMARY KEY,
    agent       TEXT NOT NULL,
    model       TEXT,
    settings    TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    status      TEXT NOT NULL
);
CREATE INDEX evals_started ON evals (started_at);

CREATE TABLE runs (
    key          INTEGER PRIMARY KEY AUTOINCREMENT,
    eval_id      TEXT REFERENCES evals (id) ON DELETE CASCADE,
    run_id       TEXT NOT NULL,
    scenario     TEXT NOT NULL,
    trial        INTEGER NOT NULL,
    seed         TEXT NOT NULL,
    agent        TEXT NOT NULL,
    status       TEXT NOT NULL,
    termination  TEXT,
    steps        INTEGER NOT NULL,
    score        REAL NOT NULL,
    passed       INTEGER NOT NULL,
    tokens       INTEGER,
    cost_usd     REAL,
    wall_time_ms REAL NOT NULL,
    head_hash    TEXT,
    event_count  INTEGER NOT NULL,
    recorded_at  TEXT NOT NULL,
    record       TEXT NOT NULL,
    UNIQUE (eval_id, scenario, trial)
);
CREATE INDEX runs_run_id ON runs (run_id);
CREATE INDEX runs_scenario ON runs (scenario);
CREATE INDEX runs_agent ON runs (agent);

-- Each event's exact line (its newline included), its SHA-256 and the
-- previous line's: a run's lines in `seq` order are its audit log, byte
-- for byte.
CREATE TABLE events (
    run_key INTEGER NOT NULL REFERENCES runs (key) ON DELETE CASCADE,
    seq     INTEGER NOT NULL,
    prev    TEXT NOT NULL,
    hash    TEXT NOT NULL,
    line    BLOB NOT NULL,
    PRIMARY KEY (run_key, seq)
) WITHOUT ROWID;

-- Each judgement of a run: the one made when it ran, and any re-score.
CREATE TABLE evaluations (
    run_key     INTEGER NOT NULL REFERENCES runs (key) ON DELETE CASCADE,
    recorded_at TEXT NOT NULL,
    evaluation  TEXT NOT NULL
);
CREATE INDEX evaluations_run ON evaluations (run_key);
"#,
    // 2: the job queue of evals queued over HTTP, one row per (scenario,
    // trial). A row is queued, claimed (leased by a worker until
    // `lease_until`, unix milliseconds by the database's clock), done,
    // failed or cancelled. The run a done row made is in `runs`, whose
    // UNIQUE (eval_id, scenario, trial) keeps it to one.
    r#"
CREATE TABLE jobs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    eval_id     TEXT NOT NULL REFERENCES evals (id) ON DELETE CASCADE,
    scenario    TEXT NOT NULL,
    trial       INTEGER NOT NULL,
    state       TEXT NOT NULL,
    worker      TEXT,
    lease_until INTEGER,
    attempts    INTEGER NOT NULL DEFAULT 0,
    error       TEXT,
    UNIQUE (eval_id, scenario, trial)
);
CREATE INDEX jobs_state ON jobs (state, id);
CREATE INDEX jobs_worker ON jobs (worker);
"#,
];

/// The same migrations for PostgreSQL: the same tables, in its types.
pub(crate) const POSTGRES_MIGRATIONS: [&str; 2] = [
    r#"
CREATE TABLE evals (
    id          TEXT PRIMARY KEY,
    agent       TEXT NOT NULL,
    model       TEXT,
    settings    TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    status      TEXT NOT NULL
);
CREATE INDEX evals_started ON evals (started_at);

CREATE TABLE runs (
    key          BIGSERIAL PRIMARY KEY,
    eval_id      TEXT REFERENCES evals (id) ON DELETE CASCADE,
    run_id       TEXT NOT NULL,
    scenario     TEXT NOT NULL,
    trial        BIGINT NOT NULL,
    seed         TEXT NOT NULL,
    agent        TEXT NOT NULL,
    status       TEXT NOT NULL,
    termination  TEXT,
    steps        BIGINT NOT NULL,
    score        DOUBLE PRECISION NOT NULL,
    passed       BOOLEAN NOT NULL,
    tokens       BIGINT,
    cost_usd     DOUBLE PRECISION,
    wall_time_ms DOUBLE PRECISION NOT NULL,
    head_hash    TEXT,
    event_count  BIGINT NOT NULL,
    recorded_at  TEXT NOT NULL,
    record       TEXT NOT NULL,
    UNIQUE (eval_id, scenario, trial)
);
CREATE INDEX runs_run_id ON runs (run_id text_pattern_ops);
CREATE INDEX runs_scenario ON runs (scenario);
CREATE INDEX runs_agent ON runs (agent);

CREATE TABLE events (
    run_key BIGINT NOT NULL REFERENCES runs (key) ON DELETE CASCADE,
    seq     BIGINT NOT NULL,
    prev    TEXT NOT NULL,
    hash    TEXT NOT NULL,
    line    BYTEA NOT NULL,
    PRIMARY KEY (run_key, seq)
);

CREATE TABLE evaluations (
    run_key     BIGINT NOT NULL REFERENCES runs (key) ON DELETE CASCADE,
    recorded_at TEXT NOT NULL,
    evaluation  TEXT NOT NULL
);
CREATE INDEX evaluations_run ON evaluations (run_key);
"#,
    r#"
CREATE TABLE jobs (
    id          BIGSERIAL PRIMARY KEY,
    eval_id     TEXT NOT NULL REFERENCES evals (id) ON DELETE CASCADE,
    scenario    TEXT NOT NULL,
    trial       BIGINT NOT NULL,
    state       TEXT NOT NULL,
    worker      TEXT,
    lease_until BIGINT,
    attempts    BIGINT NOT NULL DEFAULT 0,
    error       TEXT,
    UNIQUE (eval_id, scenario, trial)
);
CREATE INDEX jobs_state ON jobs (state, id);
CREATE INDEX jobs_worker ON jobs (worker);
"#,
];
