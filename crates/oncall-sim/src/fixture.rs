//! Reading fixture files: bounded, and with errors that say where.

use std::io::Read;
use std::path::Path;

use serde::de::DeserializeOwned;

use crate::error::FixtureError;

/// The cap on one fixture file, in bytes: 256 MiB. Larger files are refused
/// before they are parsed.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// Limits on what loading will read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadLimits {
    /// The largest fixture file accepted, in bytes.
    pub max_file_bytes: u64,
}

impl Default for LoadLimits {
    fn default() -> LoadLimits {
        LoadLimits {
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
        }
    }
}

/// Reads `path`, refusing it when it is larger than the cap.
pub(crate) fn read_bounded(path: &Path, limits: LoadLimits) -> Result<Vec<u8>, FixtureError> {
    let file = std::fs::File::open(path).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => FixtureError::Missing {
            path: path.to_path_buf(),
        },
        _ => FixtureError::Read {
            path: path.to_path_buf(),
            source,
        },
    })?;
    let size = file
        .metadata()
        .map_err(|source| FixtureError::Read {
            path: path.to_path_buf(),
            source,
        })?
        .len();
    if size > limits.max_file_bytes {
        return Err(FixtureError::TooLarge {
            path: path.to_path_buf(),
            size,
            limit: limits.max_file_bytes,
        });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    // Read one byte past the cap, so a file that grew since `metadata` is
    // still caught.
    file.take(limits.max_file_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|source| FixtureError::Read {
            path: path.to_path_buf(),
            source,
        })?;
    if bytes.len() as u64 > limits.max_file_bytes {
        return Err(FixtureError::TooLarge {
            path: path.to_path_buf(),
            size: bytes.len() as u64,
            limit: limits.max_file_bytes,
        });
    }
    Ok(bytes)
}

/// Parses `bytes` (read from `path`) as `T`. The fast path is plain
/// `serde_json`; only when it fails is the input parsed again with
/// `serde_path_to_error`, to name the JSON path of the bad field.
pub(crate) fn parse_json<T: DeserializeOwned>(
    path: &Path,
    bytes: &[u8],
) -> Result<T, FixtureError> {
    match serde_json::from_slice(bytes) {
        Ok(value) => Ok(value),
        Err(fast_error) => {
            let mut deserializer = serde_json::Deserializer::from_slice(bytes);
            let located: Result<T, _> = serde_path_to_error::deserialize(&mut deserializer);
            let (json_path, error) = match located {
                // Only trailing input after a valid document fails the fast
                // path but not this one; it concerns the whole document.
                Ok(_) => (".".to_owned(), fast_error),
                Err(error) => {
                    let json_path = error.path().to_string();
                    (json_path, error.into_inner())
                }
            };
            Err(parse_error(path, json_path, &error))
        }
    }
}

/// Reads and parses a fixture file.
pub(crate) fn load_json<T: DeserializeOwned>(
    path: &Path,
    limits: LoadLimits,
) -> Result<T, FixtureError> {
    let bytes = read_bounded(path, limits)?;
    parse_json(path, &bytes)
}

/// Reads and parses a fixture file that may be absent: absent means empty.
pub(crate) fn load_optional_list<T: DeserializeOwned>(
    path: &Path,
    limits: LoadLimits,
) -> Result<Vec<T>, FixtureError> {
    match load_json(path, limits) {
        Err(FixtureError::Missing { .. }) => Ok(Vec::new()),
        other => other,
    }
}

fn parse_error(path: &Path, json_path: String, error: &serde_json::Error) -> FixtureError {
    let (line, column) = (error.line(), error.column());
    let full = error.to_string();
    let suffix = format!(" at line {line} column {column}");
    let message = full.strip_suffix(&suffix).unwrap_or(&full).to_owned();
    FixtureError::Parse {
        path: path.to_path_buf(),
        line,
        column,
        json_path,
        message,
    }
}
