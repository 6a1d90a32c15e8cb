//! The `oncall-gym` command: run, evaluate, validate and replay on-call
//! agents on simulated incidents. See `oncall-gym --help`.
//!
//! Exit codes: 0 success; 1 what was asked failed (an invalid scenario, a
//! tampered log, a run that errored, an unknown scenario); 2 a usage error.
//! Errors go to stderr and name what was wrong and where.

mod cli;
mod cli_server;
mod cli_store;
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
        Err(error) if error.downcast_ref::<commands::UsageError>().is_some() => {
            eprintln!("error: {}", output::escape(&error_message(&error)));
            ExitCode::from(2)
        }
        Err(error) => {
            eprintln!("error: {}", output::escape(&error_message(&error)));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes, joined with `: ` like anyhow's `{:#}`, but
/// leaving out a cause whose text the message already holds (an error that
/// shows its source in its own message, such as `cannot write: File exists
/// (os error 17)`, would otherwise say it twice).
fn error_message(error: &anyhow::Error) -> String {
    let mut message = error.to_string();
    for cause in error.chain().skip(1) {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("{path}: cannot write: {source}")]
    struct ShowsItsSource {
        path: String,
        #[source]
        source: std::io::Error,
    }

    #[test]
    fn a_cause_already_in_the_message_is_not_repeated() {
        let io = std::io::Error::new(std::io::ErrorKind::AlreadyExists, "File exists");
        let error = anyhow::Error::new(ShowsItsSource {
            path: "out".to_owned(),
            source: io,
        });
        assert_eq!(error_message(&error), "out: cannot write: File exists");
        let context = anyhow::anyhow!("inner problem").context("outer step failed");
        assert_eq!(error_message(&context), "outer step failed: inner problem");
    }
}
