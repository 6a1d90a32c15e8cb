//! Where results go, and recording them: `--db`, `--no-db`,
//! `ONCALL_GYM_DB`, and by default `results.db` under the user's data
//! directory (`$XDG_DATA_HOME/oncall-gym/`, else
//! `~/.local/share/oncall-gym/`).

use std::path::PathBuf;
use std::sync::mpsc::{SyncSender, sync_channel};
use std::thread::JoinHandle;

use oncall_gym::eval::TrialRecord;
use oncall_store::{EvalStatus, NewEval, NewRun, PreparedRun, Store, StoreError};

use crate::cli::StoreArgs;

/// The environment variable that names the store when `--db` does not.
pub(crate) const DB_VARIABLE: &str = "ONCALL_GYM_DB";

/// Where the store is, by `--db`, then `ONCALL_GYM_DB`, then the data
/// directory: a SQLite file's path or a `postgres://` URL. `None` with
/// `--no-db`, or when there is no data directory (said on stderr).
pub(crate) fn location(arguments: &StoreArgs) -> Option<String> {
    if arguments.no_db {
        return None;
    }
    let given = arguments
        .db
        .clone()
        .or_else(|| std::env::var(DB_VARIABLE).ok())
        .filter(|value| !value.trim().is_empty());
    if given.is_some() {
        return given;
    }
    let data_home = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|path| path.is_absolute())
        .or_else(|| {
            std::env::var_os("HOME")
                .map(PathBuf::from)
                .filter(|path| path.is_absolute())
                .map(|home| home.join(".local/share"))
        });
    match data_home {
        Some(directory) => Some(
            directory
                .join("oncall-gym")
                .join("results.db")
                .display()
                .to_string(),
        ),
        None => {
            eprintln!(
                "warning: neither $XDG_DATA_HOME nor $HOME is set, so results are not recorded; give --db FILE to keep them"
            );
            None
        }
    }
}

/// Opens the store the flags name, or `None` for `--no-db`.
pub(crate) fn open(arguments: &StoreArgs) -> anyhow::Result<Option<Store>> {
    match location(arguments) {
        Some(location) => Ok(Some(Store::open(&location)?)),
        None => Ok(None),
    }
}

/// Opens the store for the history commands, which need one that exists:
/// a missing file is named, never created.
pub(crate) fn open_for_reading(arguments: &StoreArgs) -> anyhow::Result<Store> {
    match location(arguments) {
        Some(location) => {
            if !oncall_store::is_postgres_url(&location)
                && !std::path::Path::new(&location).exists()
            {
                anyhow::bail!(
                    "no results store at {location}: `run` and `eval` make one (or give --db PATH_OR_URL)"
                );
            }
            Ok(Store::open(&location)?)
        }
        None => anyhow::bail!("no results store: give --db PATH_OR_URL"),
    }
}

/// Now, in RFC 3339 (UTC, to the millisecond).
pub(crate) fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A new eval's id.
pub(crate) fn new_eval_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Records the runs of one command into a store, from any thread: the
/// caller's thread prepares each run (its lines split and hashed), and one
/// writer thread writes them, several to a transaction when they queue up.
/// The first failure stops the recording (the command goes on, and says so
/// at the end); what was recorded before it stays.
#[derive(Debug)]
pub(crate) struct Recorder {
    sender: SyncSender<PreparedRun>,
    writer: JoinHandle<(Store, Option<StoreError>)>,
    eval_id: Option<String>,
}

/// The most runs written in one transaction.
const MAX_BATCH: usize = 64;

impl Recorder {
    /// A recorder into `store`, for eval `eval` (created now) or for runs
    /// of no eval.
    pub(crate) fn new(store: Store, eval: Option<&NewEval>) -> anyhow::Result<Recorder> {
        let mut store = store;
        if let Some(eval) = eval {
            store.create_eval(eval)?;
        }
        Ok(Recorder::start(store, eval.map(|eval| eval.id.clone())))
    }

    /// A recorder that adds to eval `eval_id`, which exists (a resume).
    pub(crate) fn resuming(store: Store, eval_id: &str) -> Recorder {
        Recorder::start(store, Some(eval_id.to_owned()))
    }

    fn start(mut store: Store, eval_id: Option<String>) -> Recorder {
        let (sender, receiver) = sync_channel::<PreparedRun>(MAX_BATCH * 2);
        let writer = std::thread::spawn(move || {
            let mut failure = None;
            while let Ok(first) = receiver.recv() {
                if failure.is_some() {
                    continue;
                }
                let mut batch = vec![first];
                while batch.len() < MAX_BATCH {
                    match receiver.try_recv() {
                        Ok(run) => batch.push(run),
                        Err(_) => break,
                    }
                }
                match store.record_prepared(&batch) {
                    Ok(()) => {}
                    // Another process (a second resume) stored it first:
                    // it is recorded once, as it must be; go on.
                    Err(StoreError::DuplicateTrial {
                        eval,
                        scenario,
                        trial,
                    }) => eprintln!(
                        "warning: eval {eval} already holds trial {trial} of `{scenario}`; it is not recorded twice"
                    ),
                    Err(error) => failure = Some(error),
                }
            }
            (store, failure)
        });
        Recorder {
            sender,
            writer,
            eval_id,
        }
    }

    /// The eval it records into.
    pub(crate) fn eval_id(&self) -> Option<&str> {
        self.eval_id.as_deref()
    }

    /// Queues one run with its audit log for the writer.
    pub(crate) fn record(&self, record: &TrialRecord, audit: Option<&[u8]>) {
        let prepared = prepare(self.eval_id.as_deref(), record, audit);
        // The writer only stops once the sender is dropped, in `finish`.
        let _ = self.sender.send(prepared);
    }

    /// Ends the recording with the eval's final status, once every queued
    /// run is written. Returns the store and the failure that stopped the
    /// recording, if any.
    pub(crate) fn finish(self, status: EvalStatus) -> anyhow::Result<(Store, Option<StoreError>)> {
        let Recorder {
            sender,
            writer,
            eval_id,
        } = self;
        drop(sender);
        let (mut store, mut failure) = writer
            .join()
            .map_err(|_| anyhow::anyhow!("the results store's writer stopped unexpectedly"))?;
        if let Some(eval) = &eval_id {
            let status = if failure.is_some() {
                EvalStatus::Failed
            } else {
                status
            };
            if let Err(error) = store.finish_eval(eval, status, &now())
                && failure.is_none()
            {
                failure = Some(error);
            }
        }
        Ok((store, failure))
    }
}

/// Records `record` (and its audit log) in `store`, in eval `eval_id`.
pub(crate) fn record_run(
    store: &mut Store,
    eval_id: Option<&str>,
    record: &TrialRecord,
    audit: Option<&[u8]>,
) -> Result<(), StoreError> {
    store.record_prepared(std::slice::from_ref(&prepare(eval_id, record, audit)))
}

/// `record` ready to write: its row, its lines split and hashed.
pub(crate) fn prepare(
    eval_id: Option<&str>,
    record: &TrialRecord,
    audit: Option<&[u8]>,
) -> PreparedRun {
    // Serialising our own types cannot fail; an empty line would be caught
    // when read back.
    let line = serde_json::to_string(record).unwrap_or_default();
    let evaluation = serde_json::to_string(&record.score).unwrap_or_default();
    let usage = record.usage.as_ref();
    let run = NewRun {
        eval_id,
        run_id: &record.run_id,
        scenario: &record.scenario,
        trial: record.trial,
        seed: record.seed,
        agent: &record.agent,
        status: record.status.as_str(),
        termination: record.termination.as_ref().map(|reason| reason.as_str()),
        steps: record.steps,
        score: record.score.total,
        passed: record.score.passed,
        tokens: usage.map(|usage| usage.total_tokens()),
        cost_usd: usage.and_then(|usage| usage.cost_usd),
        wall_time_ms: record.wall_time_ms,
        record: &line,
        evaluation: &evaluation,
        audit,
    };
    PreparedRun::new(&run, &now())
}

/// Says on stderr where the results went (or that they did not).
pub(crate) fn report(store: &Store, eval_id: Option<&str>, failure: Option<&StoreError>) {
    match (failure, eval_id) {
        (Some(error), _) => eprintln!("error: results not fully recorded: {error}"),
        (None, Some(eval)) => eprintln!(
            "results: eval {} in {} (`oncall-gym evals show {}`)",
            eval,
            store.path().display(),
            eval.get(..8).unwrap_or(eval)
        ),
        (None, None) => eprintln!("results: recorded in {}", store.path().display()),
    }
}
