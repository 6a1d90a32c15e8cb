#![expect(
    clippy::print_stdout,
    reason = "a benchmark reports its figures on stdout"
)]
//! The data store's two performance targets, run with
//! `cargo bench -p oncall-sim`:
//!
//! 1. loading a generated `logs.json` of about 100 MB reaches at least 0.7×
//!    the speed of `serde_json` parsing the same bytes into the same typed
//!    structs (the loader also reads the file, sorts and indexes);
//! 2. a time-range query over 1,000,000 log entries takes 5 µs or less at
//!    the median.

use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};

use oncall_domain::SeededRandom;
use oncall_sim::{DataStore, LoadLimits};
use oncall_tools::{DataSource, LogEntry, LogLevel, LogQuery, TimeWindow};

const SERVICES: &[&str] = &["checkout", "payments", "inventory", "search", "gateway"];
const LEVELS: [LogLevel; 4] = [
    LogLevel::Debug,
    LogLevel::Info,
    LogLevel::Warn,
    LogLevel::Error,
];

fn entries(count: usize, random: &SeededRandom) -> Vec<LogEntry> {
    let start = Utc
        .with_ymd_and_hms(2026, 11, 20, 0, 0, 0)
        .single()
        .unwrap_or_default();
    (0..count)
        .filter_map(|index| {
            // About 11.6 entries a second for a day at 1M entries.
            let at = start + chrono::Duration::milliseconds(index as i64 * 86);
            let service = SERVICES[random.next_below(SERVICES.len() as u64) as usize];
            let level = LEVELS[random.next_below(LEVELS.len() as u64) as usize];
            let message = format!(
                "request {:08x} served in {}ms by shard {}",
                random.next_u64() as u32,
                random.next_below(2000),
                random.next_below(64)
            );
            LogEntry::new(at, service, level, message)
                .ok()
                .map(|entry| {
                    entry.with_attribute(
                        "host",
                        serde_json::json!(format!("{service}-{}", random.next_below(4))),
                    )
                })
        })
        .collect()
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn load_benchmark() {
    let random = SeededRandom::new(1);
    // About 100 MB of pretty-printed JSON.
    let logs = entries(520_000, &random);
    let Ok(text) = serde_json::to_string_pretty(&logs) else {
        println!("cannot serialise the generated logs");
        return;
    };
    drop(logs);
    let directory = std::env::temp_dir().join(format!("oncall-sim-bench-{}", std::process::id()));
    if std::fs::create_dir_all(&directory).is_err()
        || std::fs::write(directory.join("logs.json"), &text).is_err()
    {
        println!(
            "cannot write the benchmark file under {}",
            directory.display()
        );
        return;
    }
    let megabytes = text.len() as f64 / 1_000_000.0;
    let bytes = text.into_bytes();
    let mut baseline = Vec::new();
    let mut loader = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let parsed: Result<Vec<LogEntry>, _> = serde_json::from_slice(&bytes);
        baseline.push(started.elapsed());
        black_box(&parsed);
        drop(parsed);
        let started = Instant::now();
        let store = DataStore::load(&directory, LoadLimits::default());
        loader.push(started.elapsed());
        black_box(&store);
        drop(store);
    }
    let _ = std::fs::remove_dir_all(&directory);
    let baseline = median(baseline);
    let loader = median(loader);
    println!(
        "load logs.json ({megabytes:.1} MB): serde_json from memory {:.3} s ({:.0} MB/s); DataStore::load from disk (read, parse, sort, index) {:.3} s ({:.0} MB/s); ratio {:.2}x of serde_json's speed (goal >= 0.70x)",
        baseline.as_secs_f64(),
        megabytes / baseline.as_secs_f64(),
        loader.as_secs_f64(),
        megabytes / loader.as_secs_f64(),
        baseline.as_secs_f64() / loader.as_secs_f64()
    );
}

fn query_benchmark() {
    let random = SeededRandom::new(2);
    let store = DataStore::from_telemetry(oncall_sim::Telemetry {
        logs: entries(1_000_000, &random),
        ..oncall_sim::Telemetry::default()
    });
    let first = store
        .all_logs()
        .first()
        .map(LogEntry::timestamp)
        .unwrap_or_default();
    let cases: [(&str, Option<&str>, LogLevel, i64, usize); 3] = [
        (
            "any service, 5-minute window, limit 100",
            None,
            LogLevel::Debug,
            5,
            100,
        ),
        (
            "one service, 15-minute window, limit 100",
            Some("payments"),
            LogLevel::Debug,
            15,
            100,
        ),
        (
            "any service, 1-minute window, min level error, limit 100",
            None,
            LogLevel::Error,
            1,
            100,
        ),
    ];
    for (label, service, min_level, minutes, limit) in cases {
        let mut samples = Vec::with_capacity(2000);
        let mut matched = 0;
        for _ in 0..2000 {
            let offset = random.next_below(23 * 60) as i64;
            let start = first + chrono::Duration::minutes(offset);
            let Ok(window) = TimeWindow::new(start, start + chrono::Duration::minutes(minutes))
            else {
                continue;
            };
            let query = LogQuery {
                service,
                min_level,
                window,
                pattern: None,
                limit,
            };
            let started = Instant::now();
            let page = store.logs(&query);
            samples.push(started.elapsed());
            if let Ok(page) = black_box(page) {
                matched += page.matched;
            }
        }
        let count = samples.len().max(1) as u64;
        println!(
            "query over 1,000,000 entries, {label}: median {:.2} µs (mean matched {}) (goal <= 5 µs)",
            median(samples).as_secs_f64() * 1e6,
            matched / count
        );
    }
}

fn main() {
    load_benchmark();
    query_benchmark();
}
