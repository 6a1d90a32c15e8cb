//! The `oncall-gym` command: run, evaluate, validate and replay on-call
//! agents on simulated incidents. See `oncall-gym --help`.
//!
//! Exit codes: 0 success; 1 what was asked failed (an invalid scenario, a
//! tampered log, a run that errored, an unknown scenario); 2 a usage error.
//! Errors go to stderr and name what was wrong and where.

mod cli;
mod commands;
mod describe;
mod output;
mod table;
mod trace;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::Cli;

fn main() -> ExitCode {
    // Nothing should panic; if something does, say so plainly rather than
    // with a backtrace.
    // Exit 1 (what was asked failed), never Rust's 101.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("error: internal error, please report it: {info}");
        std::process::exit(1);
    }));
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // --help and --version are "errors" with exit code 0.
            let _ = error.print();
            return ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(2));
        }
    };
    match commands::execute(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
