//! Writing to stdout: a closed pipe (`oncall-gym eval | head`) ends the
//! output quietly instead of failing. Also the small text helpers every
//! command's human-readable output shares: counts with the right plural,
//! and text from logs, scenarios and agents made safe for a terminal.

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

/// `count` and `noun`, with an `s` unless the count is 1: `1 run`,
/// `2 runs`, `0 runs`.
pub(crate) fn count(count: impl Into<u64>, noun: &str) -> String {
    let count = count.into();
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// Warns on stderr about what listing `path` skipped (a subdirectory with
/// no `scenario.json`, an entry that cannot be read), so a misspelt file
/// does not silently drop a scenario from the library.
pub(crate) fn warn_skipped(path: &std::path::Path) {
    for skipped in oncall_gym::library::skipped_at(path) {
        eprintln!("warning: {}", escape(&skipped.to_string()));
    }
}

/// `text` with every control character written out as an escape, so that
/// text from a log, a scenario or an agent can neither move the cursor,
/// colour the terminal nor start a line that looks like ours: a newline
/// becomes `\n`, a carriage return `\r`, a tab `\t`, ESC `\u{1b}`. The
/// Unicode line and paragraph separators and the bidirectional overrides,
/// which can reorder what a terminal shows, are escaped the same way.
/// Everything else, backslashes included, is kept as it is, so escaping
/// twice changes nothing.
pub(crate) fn escape(text: &str) -> String {
    if !text.chars().any(needs_escape) {
        return text.to_owned();
    }
    let mut escaped = String::with_capacity(text.len() + 8);
    for character in text.chars() {
        match character {
            '\n' => escaped.push_str("\\n"),
            '\r' => escaped.push_str("\\r"),
            '\t' => escaped.push_str("\\t"),
            other if needs_escape(other) => {
                escaped.push_str(&format!("\\u{{{:x}}}", u32::from(other)));
            }
            other => escaped.push(other),
        }
    }
    escaped
}

fn needs_escape(character: char) -> bool {
    character.is_control()
        || matches!(
            character,
            '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_take_the_plural_unless_one() {
        assert_eq!(count(1u32, "run"), "1 run");
        assert_eq!(count(0u32, "run"), "0 runs");
        assert_eq!(count(14u64, "scenario"), "14 scenarios");
    }

    #[test]
    fn control_characters_are_escaped_and_nothing_else() {
        assert_eq!(escape("plain text, é ✓ \\n"), "plain text, é ✓ \\n");
        assert_eq!(
            escape("a\u{1b}[31mred\r\nstep  9  x\t\u{7f}\u{85}"),
            "a\\u{1b}[31mred\\r\\nstep  9  x\\t\\u{7f}\\u{85}"
        );
        assert_eq!(escape("\u{202e}evil\u{2028}"), "\\u{202e}evil\\u{2028}");
        let once = escape("x\u{1b}y\n");
        assert_eq!(escape(&once), once);
        assert!(!once.chars().any(char::is_control));
    }
}
