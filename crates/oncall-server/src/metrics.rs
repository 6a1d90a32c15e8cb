//! [`Metrics`]: what `GET /metrics` reports, in Prometheus's text format.
//! Counters are this process's; the queue depth is read from the store
//! when scraped.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use oncall_store::QueueCounts;

/// The step latency histogram's upper bounds, in seconds.
pub const STEP_LATENCY_BUCKETS: [f64; 12] = [
    0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.1,
    1.0,
];

/// This process's counters.
#[derive(Debug, Default)]
pub struct Metrics {
    runs_done: AtomicU64,
    runs_failed: AtomicU64,
    steps: AtomicU64,
    step_nanos: AtomicU64,
    step_buckets: [AtomicU64; STEP_LATENCY_BUCKETS.len()],
    episodes_opened: AtomicU64,
    episodes_expired: AtomicU64,
}

impl Metrics {
    /// A run made and stored by a worker of this process.
    pub fn run_done(&self) {
        self.runs_done.fetch_add(1, Ordering::Relaxed);
    }

    /// A run a worker of this process could not make.
    pub fn run_failed(&self) {
        self.runs_failed.fetch_add(1, Ordering::Relaxed);
    }

    /// Runs made and stored so far.
    pub fn runs_done(&self) -> u64 {
        self.runs_done.load(Ordering::Relaxed)
    }

    /// Runs that could not be made so far.
    pub fn runs_failed(&self) -> u64 {
        self.runs_failed.load(Ordering::Relaxed)
    }

    /// An episode step served over HTTP, which took `took`.
    pub fn step(&self, took: Duration) {
        let seconds = took.as_secs_f64();
        self.steps.fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        self.step_nanos.fetch_add(nanos, Ordering::Relaxed);
        if let Some(bucket) = STEP_LATENCY_BUCKETS
            .iter()
            .position(|bound| seconds <= *bound)
        {
            self.step_buckets[bucket].fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(crate) fn episode_opened(&self) {
        self.episodes_opened.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn episode_expired(&self) {
        self.episodes_expired.fetch_add(1, Ordering::Relaxed);
    }

    /// The Prometheus text: these counters, the open episodes, and the
    /// queue (when the server has a store).
    pub fn render(&self, open_episodes: usize, queue: Option<QueueCounts>) -> String {
        let mut text = String::with_capacity(2048);
        let counter = |text: &mut String, name: &str, help: &str, value: u64| {
            let _ = writeln!(
                text,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
            );
        };
        counter(
            &mut text,
            "oncall_gym_runs_done_total",
            "Queued runs made and stored by this process's workers.",
            self.runs_done(),
        );
        counter(
            &mut text,
            "oncall_gym_runs_failed_total",
            "Queued runs this process's workers could not make.",
            self.runs_failed(),
        );
        counter(
            &mut text,
            "oncall_gym_episodes_opened_total",
            "Episodes opened over HTTP.",
            self.episodes_opened.load(Ordering::Relaxed),
        );
        counter(
            &mut text,
            "oncall_gym_episodes_expired_total",
            "Episodes closed for being idle.",
            self.episodes_expired.load(Ordering::Relaxed),
        );
        let _ = writeln!(
            text,
            "# HELP oncall_gym_episodes_open Episodes open now.\n# TYPE oncall_gym_episodes_open gauge\noncall_gym_episodes_open {open_episodes}"
        );
        if let Some(queue) = queue {
            let _ = writeln!(
                text,
                "# HELP oncall_gym_queue_depth Queued runs not yet done: waiting, or claimed by a worker.\n# TYPE oncall_gym_queue_depth gauge\noncall_gym_queue_depth {}",
                queue.pending()
            );
            let _ = writeln!(
                text,
                "# HELP oncall_gym_queue_runs Queued runs by state, in the whole store.\n# TYPE oncall_gym_queue_runs gauge"
            );
            for (state, count) in [
                ("queued", queue.queued),
                ("claimed", queue.claimed),
                ("done", queue.done),
                ("failed", queue.failed),
                ("cancelled", queue.cancelled),
            ] {
                let _ = writeln!(text, "oncall_gym_queue_runs{{state=\"{state}\"}} {count}");
            }
        }
        let name = "oncall_gym_step_latency_seconds";
        let _ = writeln!(
            text,
            "# HELP {name} Time to carry out one episode step over HTTP, from its parsed request to its answer.\n# TYPE {name} histogram"
        );
        let mut cumulative = 0;
        for (bound, bucket) in STEP_LATENCY_BUCKETS.iter().zip(&self.step_buckets) {
            cumulative += bucket.load(Ordering::Relaxed);
            let _ = writeln!(text, "{name}_bucket{{le=\"{bound}\"}} {cumulative}");
        }
        let steps = self.steps.load(Ordering::Relaxed);
        let seconds = self.step_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        let _ = writeln!(
            text,
            "{name}_bucket{{le=\"+Inf\"}} {steps}\n{name}_sum {seconds}\n{name}_count {steps}"
        );
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_histogram_is_cumulative_and_counts_every_step() {
        let metrics = Metrics::default();
        metrics.step(Duration::from_micros(8));
        metrics.step(Duration::from_micros(40));
        metrics.step(Duration::from_secs(3));
        metrics.run_done();
        let text = metrics.render(
            2,
            Some(QueueCounts {
                queued: 3,
                claimed: 1,
                ..QueueCounts::default()
            }),
        );
        assert!(
            text.contains("oncall_gym_step_latency_seconds_bucket{le=\"0.00001\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("oncall_gym_step_latency_seconds_bucket{le=\"0.00005\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("oncall_gym_step_latency_seconds_bucket{le=\"1\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("oncall_gym_step_latency_seconds_bucket{le=\"+Inf\"} 3\n"),
            "{text}"
        );
        assert!(
            text.contains("oncall_gym_step_latency_seconds_count 3\n"),
            "{text}"
        );
        assert!(text.contains("oncall_gym_runs_done_total 1\n"));
        assert!(text.contains("oncall_gym_queue_depth 4\n"));
        assert!(text.contains("oncall_gym_episodes_open 2\n"));
        assert!(!metrics.render(0, None).contains("queue_depth"));
    }
}
