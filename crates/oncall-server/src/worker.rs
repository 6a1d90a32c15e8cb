//! [`Workers`]: threads that claim queued runs from the store, make them
//! with the [`Gym`], and store them, inside `serve --http` or alone in
//! `oncall-gym worker` on any number of machines.
//!
//! Each thread claims a small batch at a time, leased; one heartbeat
//! thread renews the leases of every thread of the process. On stop (a
//! SIGTERM), a thread finishes the run it is making, puts the rest of its
//! batch back on the queue and ends. A process that dies instead leaves
//! its rows leased; they return to the queue when the lease runs out, and
//! another worker makes them. A run made twice that way is stored once:
//! the store refuses the second copy, and its row is done all the same.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use oncall_store::{JobOutcome, Store, StoreError};

use crate::config::WorkerOptions;
use crate::error::ServerError;
use crate::evals::now;
use crate::gym::Gym;
use crate::metrics::Metrics;

/// How long a worker waits after the store failed before trying again, at
/// most.
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// Running worker threads.
#[derive(Debug)]
pub struct Workers {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
    heartbeat: Option<JoinHandle<()>>,
    heartbeat_stop: Arc<AtomicBool>,
    name: String,
}

impl Workers {
    /// Starts `options.threads` workers on the store at `location`, each
    /// with its own connection (opened now, so a store that cannot be
    /// opened fails here). They run until `stop` turns true.
    pub fn start(
        location: &str,
        gym: Arc<dyn Gym>,
        options: &WorkerOptions,
        metrics: Arc<Metrics>,
        stop: Arc<AtomicBool>,
    ) -> Result<Workers, ServerError> {
        let name = worker_name();
        let ids: Vec<String> = (0..options.threads)
            .map(|thread| format!("{name}-{thread}"))
            .collect();
        let mut stores = Vec::with_capacity(ids.len());
        for _ in &ids {
            stores.push(Store::open(location)?);
        }
        let heartbeat_store = Store::open(location)?;
        let heartbeat_stop = Arc::new(AtomicBool::new(false));
        let holding: Vec<Arc<AtomicBool>> = ids
            .iter()
            .map(|_| Arc::new(AtomicBool::new(false)))
            .collect();
        let heartbeat = {
            let ids: Vec<(String, Arc<AtomicBool>)> = ids
                .iter()
                .cloned()
                .zip(holding.iter().map(Arc::clone))
                .collect();
            let lease = options.lease;
            let stop = Arc::clone(&heartbeat_stop);
            let location = location.to_owned();
            std::thread::spawn(move || beat(heartbeat_store, &location, &ids, lease, &stop))
        };
        let threads = ids
            .into_iter()
            .zip(stores)
            .zip(holding)
            .map(|((id, store), holding)| {
                let worker = Worker {
                    id,
                    holding,
                    location: location.to_owned(),
                    gym: Arc::clone(&gym),
                    options: options.clone(),
                    metrics: Arc::clone(&metrics),
                    stop: Arc::clone(&stop),
                };
                std::thread::spawn(move || worker.run(store))
            })
            .collect();
        Ok(Workers {
            stop,
            threads,
            heartbeat: Some(heartbeat),
            heartbeat_stop,
            name,
        })
    }

    /// This process's worker name (each thread adds `-{n}`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Asks every thread to stop after the run it is making.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
    }

    /// Waits for every thread to stop (after [`Workers::stop`], or on its
    /// own), then stops the heartbeat.
    pub fn join(mut self) {
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
        self.heartbeat_stop.store(true, Ordering::SeqCst);
        if let Some(heartbeat) = self.heartbeat.take() {
            let _ = heartbeat.join();
        }
    }
}

/// One worker thread.
struct Worker {
    id: String,
    /// Whether it holds claimed rows, whose leases the heartbeat renews.
    /// Only while it is working on them: a thread whose store failed
    /// mid-batch lets the leases run out, so another worker takes them.
    holding: Arc<AtomicBool>,
    location: String,
    gym: Arc<dyn Gym>,
    options: WorkerOptions,
    metrics: Arc<Metrics>,
    stop: Arc<AtomicBool>,
}

impl Worker {
    fn run(self, store: Store) {
        let mut store = Some(store);
        let mut backoff = Duration::from_millis(250);
        while !self.stopping() {
            let Some(connected) = store.as_mut() else {
                // A fresh connection first puts back whatever an earlier
                // batch left claimed (when its store failed mid-batch).
                match Store::open(&self.location).and_then(|mut opened| {
                    opened.release_jobs(&self.id)?;
                    Ok(opened)
                }) {
                    Ok(opened) => store = Some(opened),
                    Err(error) => {
                        self.note(&format!("cannot reach the store: {error}"));
                        self.sleep(backoff);
                        backoff = (backoff * 2).min(MAX_BACKOFF);
                    }
                }
                continue;
            };
            match self.claim_and_run(connected) {
                Ok(0) => self.sleep(self.options.poll),
                Ok(_) => backoff = Duration::from_millis(250),
                Err(error) => {
                    self.holding.store(false, Ordering::SeqCst);
                    self.note(&format!("the store failed: {error}"));
                    // A fresh connection next time: the old one may be
                    // broken for good (a restarted server).
                    store = None;
                    self.sleep(backoff);
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
        // Stopped while the store was failing: one more try, so that its
        // claims go back now rather than when their leases run out.
        let store = store.or_else(|| Store::open(&self.location).ok());
        if let Some(mut store) = store
            && let Err(error) = store.release_jobs(&self.id)
        {
            self.note(&format!(
                "could not put its runs back on the queue (they return when the lease runs out): {error}"
            ));
        }
    }

    /// Claims a batch and makes its runs, until the batch is done or the
    /// worker is stopped; what it did not start goes back on the queue.
    /// Returns how many rows it claimed.
    fn claim_and_run(&self, store: &mut Store) -> Result<usize, StoreError> {
        let jobs = store.claim_jobs(&self.id, self.options.batch, self.options.lease, &now())?;
        let claimed = jobs.len();
        if claimed == 0 {
            return Ok(0);
        }
        self.holding.store(true, Ordering::SeqCst);
        for job in jobs {
            if self.stopping() {
                break;
            }
            // Not started when its eval was cancelled, or when the row was
            // taken back (this worker was too slow to renew its lease).
            if !store.start_job(&self.id, &job.key())? {
                continue;
            }
            let outcome = match self.gym.run_job(&job) {
                Ok(run) => match store.record_prepared(std::slice::from_ref(&run)) {
                    // Another worker stored it first (this one's lease ran
                    // out while it ran): it is stored once, as it must be.
                    Ok(()) | Err(StoreError::DuplicateTrial { .. }) => JobOutcome::Done,
                    // The run goes back with the rest of the batch (its
                    // start counted, so one that can never be stored is
                    // given up after MAX_ATTEMPTS).
                    Err(error) => {
                        let _ = store.release_jobs(&self.id);
                        return Err(error);
                    }
                },
                Err(why) => JobOutcome::Failed(why),
            };
            let failed = matches!(outcome, JobOutcome::Failed(_));
            store.finish_jobs(&self.id, &[(job.key(), outcome)], &now())?;
            if failed {
                self.metrics.run_failed();
            } else {
                self.metrics.run_done();
            }
        }
        store.release_jobs(&self.id)?;
        self.holding.store(false, Ordering::SeqCst);
        Ok(claimed)
    }

    fn stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// Sleeps for `duration`, waking early when stopped.
    fn sleep(&self, duration: Duration) {
        let until = Instant::now() + duration;
        while !self.stopping() {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            std::thread::sleep(left.min(Duration::from_millis(50)));
        }
    }

    fn note(&self, message: &str) {
        eprintln!("oncall-gym worker {}: {message}", self.id);
    }
}

/// Renews the leases of the threads in `ids` that hold rows, every third
/// of `lease`, until `stop`.
fn beat(
    store: Store,
    location: &str,
    ids: &[(String, Arc<AtomicBool>)],
    lease: Duration,
    stop: &AtomicBool,
) {
    let every = (lease / 3).max(Duration::from_millis(100));
    let mut held = Some(store);
    let mut next = Instant::now() + every;
    while !stop.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(50).min(every));
        if Instant::now() < next {
            continue;
        }
        next = Instant::now() + every;
        if held.is_none() {
            held = Store::open(location).ok();
        }
        let failed = match held.as_mut() {
            Some(connected) => ids
                .iter()
                .filter(|(_, holding)| holding.load(Ordering::SeqCst))
                .find_map(|(id, _)| {
                    connected
                        .heartbeat(id, lease)
                        .err()
                        .map(|error| (id, error))
                }),
            None => continue,
        };
        if let Some((id, error)) = failed {
            eprintln!("oncall-gym worker {id}: could not renew its lease: {error}");
            held = None;
        }
    }
}

/// A name no other worker has: the host, the process and a random part.
fn worker_name() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|host| host.trim().to_owned())
        .filter(|host| !host.is_empty() && host.len() <= 64)
        .unwrap_or_else(|| "host".to_owned());
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("{host}-{}-{}", std::process::id(), &random[..8])
}
