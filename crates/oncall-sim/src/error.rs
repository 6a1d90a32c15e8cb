//! The simulator's error types: one for reading fixture files, one for
//! scenarios as a whole, and the warnings of listing a fixtures root.

use std::path::{Path, PathBuf};

/// A fixture file could not be read or parsed. Every variant names the file;
/// parse errors also name the line, the column and the JSON path of the bad
/// field, as `file:line:col: json.path: message` (`.` is the whole
/// document).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FixtureError {
    /// The file is not there.
    #[error("{}: file not found", path.display())]
    Missing {
        /// The file.
        path: PathBuf,
    },
    /// The file could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// The path is not a regular file (a directory, a FIFO, a device), and
    /// was not opened.
    #[error(
        "{}: it is {kind}, not a regular file; fixture files must be regular files",
        path.display()
    )]
    NotAFile {
        /// The path.
        path: PathBuf,
        /// What it is, with its article, e.g. `a named pipe (FIFO)`.
        kind: &'static str,
    },
    /// The file is larger than the cap, and was not parsed.
    #[error(
        "{}: the file is {size} bytes, over the {limit}-byte cap on one fixture file; every scenario file must stay under it (render fewer hours or services of telemetry), or a program loading it may raise `LoadLimits::max_file_bytes`",
        path.display()
    )]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size (when it grew while being read: at least this).
        size: u64,
        /// The cap.
        limit: u64,
    },
    /// The file is empty, or holds only whitespace.
    #[error("{}: the file is empty; it must hold a JSON document", path.display())]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// The file starts with a UTF-8 byte-order mark, which JSON does not
    /// allow.
    #[error(
        "{}: the file starts with a UTF-8 byte-order mark (BOM); save it as UTF-8 without a BOM",
        path.display()
    )]
    ByteOrderMark {
        /// The file.
        path: PathBuf,
    },
    /// The JSON is malformed, or a field has the wrong type, an unknown
    /// name, or a value that breaks a rule.
    #[error("{}:{line}:{column}: {json_path}: {message}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line (0 when the error is not tied to a position).
        line: usize,
        /// 1-based column.
        column: usize,
        /// The JSON path of the bad value, e.g. `[3].timestamp`; `.` for
        /// the whole document.
        json_path: String,
        /// What was wrong.
        message: String,
    },
}

/// A scenario could not be found, loaded or built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScenarioError {
    /// One of its files is bad.
    #[error(transparent)]
    Fixture(#[from] FixtureError),
    /// A scenario name that could escape the fixtures root, or is malformed.
    #[error(
        "scenario name `{name}` is not allowed: names are 1 to 64 characters of a-z, 0-9, `_` and `-`, with no paths"
    )]
    InvalidName {
        /// What was asked for.
        name: String,
    },
    /// No scenario of that name exists under the root.
    #[error("no scenario named `{name}` in {}", root.display())]
    NotFound {
        /// What was asked for.
        name: String,
        /// Where it was looked for.
        root: PathBuf,
    },
    /// A fixtures root that is not a directory.
    #[error("{}: not a directory of scenarios", root.display())]
    NotADirectory {
        /// The path given.
        root: PathBuf,
    },
    /// A fixtures root whose entries cannot be listed.
    #[error("{}: cannot list the scenario directories: {source}", root.display())]
    ListRoot {
        /// The fixtures root.
        root: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// One entry of a fixtures root could not be read.
    #[error("{}: cannot read an entry: {source}", root.display())]
    ReadEntry {
        /// The fixtures root.
        root: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// A fixtures root with more entries than
    /// [`crate::MAX_FIXTURE_ROOT_ENTRIES`].
    #[error(
        "{}: more than {limit} entries; a fixtures root may hold at most {limit} (split the library)",
        root.display()
    )]
    TooManyEntries {
        /// The fixtures root.
        root: PathBuf,
        /// The cap.
        limit: usize,
    },
    /// A matcher that can never work (no groups, an empty phrase).
    #[error("invalid matcher: {reason}")]
    InvalidMatcher {
        /// What was wrong.
        reason: String,
    },
    /// A mitigation entry (a remedy) that can never match.
    #[error("invalid remedy: {reason}")]
    InvalidRemedy {
        /// What was wrong.
        reason: String,
    },
    /// An expected escalation that names no team and has no target matcher.
    #[error("invalid expected escalation: {reason}")]
    InvalidEscalation {
        /// What was wrong.
        reason: String,
    },
    /// The scenario's incident breaks a domain rule.
    #[error("{}: incident: {source}", path.display())]
    InvalidIncident {
        /// The scenario file.
        path: PathBuf,
        /// The rule it broke.
        #[source]
        source: oncall_domain::ValidationError,
    },
}

/// An entry of a fixtures root that is not a scenario directory, although
/// it may have been meant as one. Displays as a warning naming the path.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SkippedEntry {
    /// A subdirectory with no `scenario.json`, e.g. one whose file is
    /// misspelt.
    #[error(
        "{}: skipped: the directory has no `scenario.json`, so it is not a scenario",
        path.display()
    )]
    NoScenarioFile {
        /// The subdirectory.
        path: PathBuf,
    },
    /// An entry whose kind or contents could not be looked at: a
    /// symbolic-link loop, a link to nothing, no permission.
    #[error("{}: skipped: cannot read it: {source}", path.display())]
    Unreadable {
        /// The entry.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
}

impl SkippedEntry {
    /// The entry skipped.
    pub fn path(&self) -> &Path {
        match self {
            SkippedEntry::NoScenarioFile { path } | SkippedEntry::Unreadable { path, .. } => path,
        }
    }
}
