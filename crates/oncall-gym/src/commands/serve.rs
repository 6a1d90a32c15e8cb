//! `oncall-gym serve --stdio`: the gym protocol on stdin and stdout.

use std::io::{self, BufReader, BufWriter};
use std::process::ExitCode;

use anyhow::Context;

use oncall_gym::library::ScenarioLibrary;
use oncall_protocol::{Sessions, serve_lines};

use crate::cli::ServeArgs;
use crate::output;

/// Serves until end of input, then closes every open episode and prints a
/// one-line summary on stderr. Exit 0 unless reading or writing the pipe
/// fails.
pub(crate) fn serve(library: ScenarioLibrary, arguments: &ServeArgs) -> anyhow::Result<ExitCode> {
    debug_assert!(arguments.stdio);
    let mut sessions = Sessions::new(library);
    let mut input = BufReader::with_capacity(256 * 1024, io::stdin().lock());
    let output = BufWriter::with_capacity(256 * 1024, io::stdout().lock());
    let summary = serve_lines(&mut sessions, &mut input, output, io::stderr())
        .context("the protocol pipe failed")?;
    eprintln!(
        "oncall-gym serve: {} answered ({} refused), {} still open at end of input and closed",
        output::count(summary.requests, "request"),
        summary.errors,
        output::count(summary.closed_at_end as u64, "episode"),
    );
    Ok(ExitCode::SUCCESS)
}
