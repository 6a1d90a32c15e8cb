//! The cross-crate tests: one test binary, one module per area, so the
//! workspace links once. Phase 6 of `cargo xtask phase`.

// Test code may unwrap and panic: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

/// The one-way dependency contract between the workspace crates, checked
/// against `cargo metadata`.
mod layering;
