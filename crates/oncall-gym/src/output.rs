//! Writing to stdout: a closed pipe (`oncall-gym eval | head`) ends the
//! output quietly instead of failing.

use std::io::{self, Write};

use anyhow::Context;
use serde::Serialize;

/// Writes `text` to stdout. A broken pipe is not an error.
pub(crate) fn print(text: &str) -> anyhow::Result<()> {
    let mut stdout = io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(error) if error.kind() != io::ErrorKind::BrokenPipe => {
            Err(error).context("could not write to stdout")
        }
        _ => Ok(()),
    }
}

/// Writes `value` to stdout as pretty JSON and a newline.
pub(crate) fn print_json(value: &impl Serialize) -> anyhow::Result<()> {
    let mut text = serde_json::to_string_pretty(value).context("could not serialise the output")?;
    text.push('\n');
    print(&text)
}

/// A score with 3 decimal places.
pub(crate) fn score(value: f64) -> String {
    format!("{value:.3}")
}
