//! The cross-crate tests: one test binary, one module per area, so the
//! workspace links once. Phase 6 of `cargo xtask phase`.

// Test code may unwrap and panic: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

/// The one-way dependency contract between the workspace crates, checked
/// against `cargo metadata`.
mod layering;

/// Shared helpers: the bundled scenarios, runs with an audit file, scratch
/// directories and the built `oncall-gym` binary.
mod support;

/// Every bundled scenario runs end to end with every agent.
mod end_to_end;

/// Replaying every run's audit log gives the engine's final state and the
/// same evaluation.
mod replay;

/// Each oracle run's audit log, as an insta snapshot per scenario.
mod audit_snapshots;

/// The `oncall-gym` command, run as a user runs it: good input and bad.
mod cli;

/// The command against damaged logs, scenarios and specs: `replay`,
/// `validate`, `run`, `eval` and `gen-scenario`.
mod cli_damage;

/// How the command reads a fixtures root: skipped directories, and paths it
/// cannot look at.
mod cli_library;

/// Answers graded exactly: `judge`, structured decisions through the engine
/// and the log, and logs of the first audit format.
mod graded_answers;

/// Where the baseline agents stand on the library, and that no answer is
/// written into their code: across the `oncall-agents` crate wall.
mod baselines;

/// The READMEs' scenario and baseline tables against a fresh run;
/// `cargo xtask baselines` rewrites them.
mod baseline_tables;

/// `oncall-gym serve --stdio` driven over real pipes: byte-identical logs
/// with `run`, and a clean end of input.
mod protocol;

/// `oncall-gym mcp` over real pipes, spoken by hand: bad lines, a client
/// that vanishes, `--out` and `scorecard`.
mod mcp;

/// A loopback server that plays scripted OpenAI and Anthropic replies.
mod llm_server;

/// The model agents against it: whole runs, retries, timeouts, bad tool
/// calls, budgets and cassettes.
mod llm;

/// `run` and `eval` with a model agent, as a user runs them: usage, cost,
/// the cost budget, usage errors and the README's offline cassette.
mod llm_cli;

/// `eval --variants`: seeded variants rendered from each spec, their
/// `--out` lines, caps, and an eval of variants resumed.
mod variants;

/// The results store through the command: recording, `evals`, `runs`,
/// `import`, `eval --resume`, and damaged or locked stores.
mod store;

/// `oncall-gym serve --http` on loopback: every endpoint and error, the
/// limits, the token, and an episode with `run`'s audit log.
mod http;

/// Evals queued over HTTP and run by workers: progress over SSE, cancel,
/// and a worker or the server killed mid-eval.
mod http_workers;
