//! The job queue's contract, on SQLite always and on PostgreSQL when one
//! is configured (see `store_tests`).

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::json;

use super::*;
use crate::rows::NewEval;
use crate::store::tests::stores;

const NOW: &str = "2026-11-30T12:00:00.000Z";
const LEASE: Duration = Duration::from_secs(60);

fn queued_eval(id: &str) -> NewEval {
    NewEval {
        id: id.to_owned(),
        agent: "heuristic".to_owned(),
        model: None,
        settings: json!({"trials": 2, "seed": 7}),
        started_at: NOW.to_owned(),
        status: EvalStatus::Queued,
    }
}

fn pairs(scenarios: &[&str], trials: u32) -> Vec<(String, u32)> {
    scenarios
        .iter()
        .flat_map(|scenario| (0..trials).map(move |trial| ((*scenario).to_owned(), trial)))
        .collect()
}

fn keys(jobs: &[Job]) -> Vec<(String, u32)> {
    jobs.iter()
        .map(|job| (job.scenario.clone(), job.trial))
        .collect()
}

#[test]
fn rows_are_claimed_in_order_once_each_and_finish_the_eval() {
    for (mut store, _schema) in stores("queue_order") {
        let eval = "e1000000-0000-0000-0000-000000000001";
        store
            .enqueue_eval(&queued_eval(eval), &pairs(&["a", "b", "c"], 2))
            .unwrap();
        assert_eq!(store.eval(eval).unwrap().status, EvalStatus::Queued);
        assert_eq!(store.queue_counts(Some(eval)).unwrap().queued, 6);
        let first = store.claim_jobs("w1", 4, LEASE, NOW).unwrap();
        assert_eq!(
            keys(&first),
            pairs(&["a", "b"], 2),
            "claims go in the order queued"
        );
        assert_eq!(first[0].agent, "heuristic");
        assert_eq!(first[0].settings, json!({"trials": 2, "seed": 7}));
        assert_eq!(first[0].attempts, 0, "no run of it was started before");
        assert_eq!(store.eval(eval).unwrap().status, EvalStatus::Running);
        let second = store.claim_jobs("w2", 64, LEASE, NOW).unwrap();
        assert_eq!(keys(&second), pairs(&["c"], 2));
        assert!(store.claim_jobs("w3", 64, LEASE, NOW).unwrap().is_empty());
        assert_eq!(store.heartbeat("w1", LEASE).unwrap(), 4);
        assert_eq!(store.heartbeat("nobody", LEASE).unwrap(), 0);

        let done: Vec<(JobKey, JobOutcome)> = first
            .iter()
            .map(|job| (job.key(), JobOutcome::Done))
            .collect();
        store.finish_jobs("w1", &done, NOW).unwrap();
        let counts = store.queue_counts(Some(eval)).unwrap();
        assert_eq!((counts.done, counts.claimed, counts.pending()), (4, 2, 2));
        assert_eq!(store.eval(eval).unwrap().status, EvalStatus::Running);
        let mut rest: Vec<(JobKey, JobOutcome)> = second
            .iter()
            .map(|job| (job.key(), JobOutcome::Done))
            .collect();
        rest[1].1 = JobOutcome::Failed("the agent could not be built".to_owned());
        store
            .finish_jobs("w2", &rest, "2026-11-30T12:01:00.000Z")
            .unwrap();
        let row = store.eval(eval).unwrap();
        assert_eq!(
            row.status,
            EvalStatus::Failed,
            "a failed row fails the eval"
        );
        assert_eq!(row.finished_at.as_deref(), Some("2026-11-30T12:01:00.000Z"));
        assert_eq!(store.queue_counts(None).unwrap().pending(), 0);
    }
}

#[test]
fn a_lease_that_runs_out_returns_its_rows_and_release_puts_them_back() {
    for (mut store, _schema) in stores("queue_lease") {
        let eval = "e2000000-0000-0000-0000-000000000002";
        store
            .enqueue_eval(&queued_eval(eval), &pairs(&["a"], 3))
            .unwrap();
        let dead = store
            .claim_jobs("dead", 2, Duration::from_millis(1), NOW)
            .unwrap();
        assert_eq!(dead.len(), 2);
        assert!(store.start_job("dead", &dead[0].key()).unwrap());
        std::thread::sleep(Duration::from_millis(30));
        let taken = store.claim_jobs("alive", 64, LEASE, NOW).unwrap();
        assert_eq!(
            keys(&taken),
            pairs(&["a"], 3),
            "expired rows come back first"
        );
        assert_eq!(
            taken.iter().map(|job| job.attempts).collect::<Vec<_>>(),
            [1, 0, 0],
            "only a started run counts"
        );
        assert!(
            !store.start_job("dead", &dead[1].key()).unwrap(),
            "a row taken back is not the dead worker's to run"
        );
        assert_eq!(store.heartbeat("dead", LEASE).unwrap(), 0);
        // A late failure from the dead worker changes nothing.
        store
            .finish_jobs(
                "dead",
                &[(dead[0].key(), JobOutcome::Failed("late".to_owned()))],
                NOW,
            )
            .unwrap();
        assert_eq!(store.queue_counts(Some(eval)).unwrap().claimed, 3);
        assert_eq!(store.release_jobs("alive").unwrap(), 3);
        let counts = store.queue_counts(Some(eval)).unwrap();
        assert_eq!((counts.queued, counts.claimed), (3, 0));
        let again = store.claim_jobs("next", 64, LEASE, NOW).unwrap();
        assert_eq!(
            again.iter().map(|job| job.attempts).collect::<Vec<_>>(),
            [1, 0, 0]
        );
    }
}

#[test]
fn a_run_that_every_worker_dies_on_is_given_up_and_its_batch_mates_are_not() {
    for (mut store, _schema) in stores("queue_poison") {
        let eval = "e3000000-0000-0000-0000-000000000003";
        store
            .enqueue_eval(&queued_eval(eval), &pairs(&["mate", "poison"], 1))
            .unwrap();
        for attempt in 0..MAX_ATTEMPTS {
            let jobs = store
                .claim_jobs(&format!("w{attempt}"), 2, Duration::from_millis(1), NOW)
                .unwrap();
            assert_eq!(jobs.len(), 2, "attempt {attempt}");
            let poison = jobs.iter().find(|job| job.scenario == "poison").unwrap();
            assert_eq!(poison.attempts, attempt);
            // The worker starts the poison run and dies making it.
            assert!(
                store
                    .start_job(&format!("w{attempt}"), &poison.key())
                    .unwrap()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let last = store.claim_jobs("last", 2, LEASE, NOW).unwrap();
        assert_eq!(keys(&last), pairs(&["mate"], 1), "the mate still runs");
        let counts = store.queue_counts(Some(eval)).unwrap();
        assert_eq!((counts.failed, counts.claimed), (1, 1));
        assert_eq!(store.eval(eval).unwrap().status, EvalStatus::Running);
        store
            .finish_jobs("last", &[(last[0].key(), JobOutcome::Done)], NOW)
            .unwrap();
        assert_eq!(store.eval(eval).unwrap().status, EvalStatus::Failed);
    }
}

#[test]
fn a_cancelled_eval_drops_its_queue_and_keeps_runs_under_way() {
    for (mut store, _schema) in stores("queue_cancel") {
        let eval = "e4000000-0000-0000-0000-000000000004";
        store
            .enqueue_eval(&queued_eval(eval), &pairs(&["a", "b"], 2))
            .unwrap();
        let claimed = store.claim_jobs("w", 2, LEASE, NOW).unwrap();
        assert!(store.start_job("w", &claimed[0].key()).unwrap());
        assert_eq!(
            store.cancel_eval(&eval[..8], NOW).unwrap(),
            Cancelled::Now { dropped: 2 },
            "a unique prefix names the eval"
        );
        assert!(
            !store.start_job("w", &claimed[1].key()).unwrap(),
            "a run not yet started does not start once its eval is cancelled"
        );
        assert!(store.claim_jobs("w2", 64, LEASE, NOW).unwrap().is_empty());
        store
            .finish_jobs("w", &[(claimed[0].key(), JobOutcome::Done)], NOW)
            .unwrap();
        assert_eq!(store.release_jobs("w").unwrap(), 1);
        let counts = store.queue_counts(Some(eval)).unwrap();
        assert_eq!(
            (counts.done, counts.cancelled, counts.pending()),
            (1, 3, 0),
            "the released row of a cancelled eval is cancelled, not queued"
        );
        assert_eq!(store.eval(eval).unwrap().status, EvalStatus::Cancelled);
        assert_eq!(
            store.cancel_eval(eval, NOW).unwrap(),
            Cancelled::AlreadyFinished(EvalStatus::Cancelled)
        );
        assert!(matches!(
            store.cancel_eval("ffffffff", NOW),
            Err(StoreError::NotFound { .. })
        ));
    }
}

#[test]
fn a_dead_workers_rows_of_a_cancelled_eval_leave_the_queue() {
    for (mut store, _schema) in stores("queue_cancel_dead") {
        let eval = "e6000000-0000-0000-0000-000000000006";
        store
            .enqueue_eval(&queued_eval(eval), &pairs(&["a"], 2))
            .unwrap();
        store
            .claim_jobs("dead", 2, Duration::from_millis(1), NOW)
            .unwrap();
        store.cancel_eval(eval, NOW).unwrap();
        std::thread::sleep(Duration::from_millis(20));
        assert!(
            store
                .claim_jobs("alive", 64, LEASE, NOW)
                .unwrap()
                .is_empty()
        );
        let counts = store.queue_counts(Some(eval)).unwrap();
        assert_eq!((counts.cancelled, counts.pending()), (2, 0));
    }
}

#[test]
fn concurrent_workers_never_claim_one_row_twice() {
    for (mut store, schema) in stores("queue_race") {
        let eval = "e5000000-0000-0000-0000-000000000005";
        let scenarios: Vec<String> = (0..25).map(|n| format!("s{n:02}")).collect();
        let names: Vec<&str> = scenarios.iter().map(String::as_str).collect();
        store
            .enqueue_eval(&queued_eval(eval), &pairs(&names, 8))
            .unwrap();
        let location = match &schema {
            Some(schema) => schema.url.clone(),
            None => store.path().display().to_string(),
        };
        let workers: Vec<_> = (0..4)
            .map(|worker| {
                let location = location.clone();
                std::thread::spawn(move || {
                    let mut store = Store::open(&location).unwrap();
                    let mut mine = Vec::new();
                    loop {
                        let jobs = store
                            .claim_jobs(&format!("w{worker}"), 7, LEASE, NOW)
                            .unwrap();
                        if jobs.is_empty() {
                            return mine;
                        }
                        mine.extend(keys(&jobs));
                    }
                })
            })
            .collect();
        let mut all = Vec::new();
        for worker in workers {
            all.extend(worker.join().unwrap());
        }
        let unique: BTreeSet<_> = all.iter().cloned().collect();
        assert_eq!(all.len(), 200, "every row claimed");
        assert_eq!(unique.len(), 200, "no row claimed twice");
    }
}

#[test]
fn two_workers_finishing_an_evals_last_rows_at_once_finish_the_eval() {
    for (mut store, schema) in stores("queue_finish_race") {
        let location = match &schema {
            Some(schema) => schema.url.clone(),
            None => store.path().display().to_string(),
        };
        let evals: Vec<String> = (0..30)
            .map(|n| format!("e7000000-0000-0000-0000-{n:012}"))
            .collect();
        for eval in &evals {
            store
                .enqueue_eval(&queued_eval(eval), &pairs(&["a", "b"], 1))
                .unwrap();
        }
        let held = store.claim_jobs("w", 64, LEASE, NOW).unwrap();
        assert_eq!(held.len(), 60);
        // One finisher takes every eval's `a` row, the other its `b` row,
        // and the two finish each eval's pair at the same moment.
        let by_scenario = |scenario: &str| -> Vec<JobKey> {
            held.iter()
                .filter(|job| job.scenario == scenario)
                .map(Job::key)
                .collect()
        };
        let (a, b) = (by_scenario("a"), by_scenario("b"));
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
        let finishers: Vec<_> = [a, b]
            .into_iter()
            .map(|keys| {
                let location = location.clone();
                let barrier = std::sync::Arc::clone(&barrier);
                std::thread::spawn(move || {
                    let mut store = Store::open(&location).unwrap();
                    for key in keys {
                        barrier.wait();
                        store
                            .finish_jobs("any", &[(key, JobOutcome::Done)], NOW)
                            .unwrap();
                    }
                })
            })
            .collect();
        for finisher in finishers {
            finisher.join().unwrap();
        }
        for eval in &evals {
            assert_eq!(
                store.eval(eval).unwrap().status,
                EvalStatus::Completed,
                "eval {eval}"
            );
        }
    }
}
