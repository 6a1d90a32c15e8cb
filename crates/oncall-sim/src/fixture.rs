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

/// Reads `path`, refusing it when it is not a regular file (before opening
/// it: opening a FIFO waits for a writer, and a device such as `/dev/zero`
/// never ends) or when it is larger than the cap.
pub(crate) fn read_bounded(path: &Path, limits: LoadLimits) -> Result<Vec<u8>, FixtureError> {
    let open_error = |source: std::io::Error| match source.kind() {
        std::io::ErrorKind::NotFound => FixtureError::Missing {
            path: path.to_path_buf(),
        },
        _ => FixtureError::Read {
            path: path.to_path_buf(),
            source,
        },
    };
    check_regular_file(path, &std::fs::metadata(path).map_err(open_error)?)?;
    let file = std::fs::File::open(path).map_err(open_error)?;
    let metadata = file.metadata().map_err(|source| FixtureError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    // Again on what was opened, in case the path changed in between.
    check_regular_file(path, &metadata)?;
    let size = metadata.len();
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
///
/// An empty (or all-whitespace) file, and one that starts with a UTF-8
/// byte-order mark, get errors of their own: a BOM is not accepted, since
/// JSON has none and skipping it would shift every column of line 1.
pub(crate) fn parse_json<T: DeserializeOwned>(
    path: &Path,
    bytes: &[u8],
) -> Result<T, FixtureError> {
    match serde_json::from_slice(bytes) {
        Ok(value) => Ok(value),
        Err(fast_error) => {
            if bytes.iter().all(u8::is_ascii_whitespace) {
                return Err(FixtureError::Empty {
                    path: path.to_path_buf(),
                });
            }
            if bytes.starts_with(UTF8_BOM) {
                return Err(FixtureError::ByteOrderMark {
                    path: path.to_path_buf(),
                });
            }
            let mut deserializer = serde_json::Deserializer::from_slice(bytes);
            let located: Result<T, _> = serde_path_to_error::deserialize(&mut deserializer);
            let (json_path, error) = match located {
                // Only trailing input after a valid document fails the fast
                // path but not this one; it concerns the whole document.
                Ok(_) => (".".to_owned(), fast_error),
                Err(error) => {
                    let json_path = json_path(error.path(), error.inner());
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

/// Reads and parses a fixture file that may be absent: absent means empty
/// (the type's default: an empty list, an empty catalogue).
pub(crate) fn load_optional_list<T: DeserializeOwned + Default>(
    path: &Path,
    limits: LoadLimits,
) -> Result<T, FixtureError> {
    match load_json(path, limits) {
        Err(FixtureError::Missing { .. }) => Ok(T::default()),
        other => other,
    }
}

/// The UTF-8 byte-order mark.
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Refuses anything but a regular file (symbolic links are followed).
fn check_regular_file(path: &Path, metadata: &std::fs::Metadata) -> Result<(), FixtureError> {
    if metadata.is_file() {
        return Ok(());
    }
    Err(FixtureError::NotAFile {
        path: path.to_path_buf(),
        kind: file_kind(&metadata.file_type()),
    })
}

/// What kind of file `file_type` is, with its article: `a directory`.
fn file_kind(file_type: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if file_type.is_char_device() {
            return "a character device";
        }
        if file_type.is_block_device() {
            return "a block device";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    if file_type.is_dir() {
        "a directory"
    } else {
        "a special file"
    }
}

/// The JSON path of a parse error, as `serde_path_to_error` writes it, with
/// two refinements: a segment it could not name (`?`, a key not yet read,
/// e.g. when the file ends after a comma) is left out, so a file cut short
/// at the top level reports `.`; and a record-level rule about one field
/// (a message starting with the field's name in backticks, such as
/// "`service` must not be empty or whitespace") gets that field appended,
/// so it reads `[5].service` rather than `[5]`.
fn json_path(path: &serde_path_to_error::Path, error: &serde_json::Error) -> String {
    use serde_path_to_error::Segment;
    let mut text = String::new();
    let mut last_key = None;
    for segment in path {
        match segment {
            Segment::Seq { index } => {
                text.push_str(&format!("[{index}]"));
                last_key = None;
            }
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !text.is_empty() {
                    text.push('.');
                }
                text.push_str(key);
                last_key = Some(key.as_str());
            }
            Segment::Unknown => {}
        }
    }
    if error.classify() == serde_json::error::Category::Data
        && let Some(field) = leading_field(&error.to_string())
        && last_key != Some(field)
    {
        if !text.is_empty() {
            text.push('.');
        }
        text.push_str(field);
    }
    if text.is_empty() {
        text.push('.');
    }
    text
}

/// The field a message starts with, as in "`service` must ...".
fn leading_field(message: &str) -> Option<&str> {
    let rest = message.strip_prefix('`')?;
    let (field, _) = rest.split_once("` ")?;
    let plain = !field.is_empty()
        && field
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'_');
    plain.then_some(field)
}

fn parse_error(path: &Path, json_path: String, error: &serde_json::Error) -> FixtureError {
    let line = error.line();
    // serde_json says column 0 for "before the line's first character";
    // the loader's columns are 1-based.
    let column = if line > 0 {
        error.column().max(1)
    } else {
        error.column()
    };
    let full = error.to_string();
    let suffix = format!(" at line {line} column {}", error.column());
    let message = full.strip_suffix(&suffix).unwrap_or(&full).to_owned();
    FixtureError::Parse {
        path: path.to_path_buf(),
        line,
        column,
        json_path,
        message,
    }
}
