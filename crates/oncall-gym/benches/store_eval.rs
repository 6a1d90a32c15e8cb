#![expect(
    clippy::print_stdout,
    reason = "a benchmark reports its figures on stdout"
)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a benchmark that cannot run should stop loudly"
)]

//! What the results store costs an eval: the 10,010-run heuristic eval
//! (`eval --trials 715` over the 14 bundled scenarios) with `--no-db`, then
//! into a fresh SQLite store, by the real binary. The goal: with the store
//! on, at most twice the time. It also reports the store's size (every
//! run's audit log is kept, line by line).
//!
//! Run with `cargo bench -p oncall-gym --bench store_eval` (about a
//! minute; set ONCALL_GYM_BENCH_TRIALS for a shorter run).

use std::process::Command;
use std::time::Instant;

fn main() {
    let trials = std::env::var("ONCALL_GYM_BENCH_TRIALS").unwrap_or_else(|_| "715".to_owned());
    let directory =
        std::env::temp_dir().join(format!("oncall-gym-store-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&directory);
    std::fs::create_dir_all(&directory).unwrap();
    let database = directory.join("results.db");
    let eval = |extra: &[&str]| {
        let started = Instant::now();
        let output = Command::new(env!("CARGO_BIN_EXE_oncall-gym"))
            .args(["eval", "--trials", &trials])
            .args(extra)
            .env_remove("ONCALL_GYM_FIXTURES")
            .env_remove("ONCALL_GYM_DB")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        started.elapsed().as_secs_f64()
    };
    let without = eval(&["--no-db"]);
    let with = eval(&["--db", database.to_str().unwrap()]);
    let size: u64 = std::fs::read_dir(&directory)
        .unwrap()
        .map(|entry| entry.unwrap().metadata().unwrap().len())
        .sum();
    println!(
        "eval --trials {trials}: {without:.2} s with --no-db, {with:.2} s into SQLite ({:.2}x; goal at most 2x); store {:.0} MB",
        with / without,
        size as f64 / 1e6
    );
    let _ = std::fs::remove_dir_all(&directory);
}
