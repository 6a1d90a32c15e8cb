//! An episode's audit log file, shared between the episode that appends to
//! it and the session that finishes it, and the chain head of an episode
//! kept only in memory.

use std::fs::File;
use std::io;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use oncall_audit::{AuditError, ChainHead, Event, EventSink, FsyncPolicy, JsonlWriter};
use oncall_sim::Mirror;

use crate::error::ProtocolError;

/// The chain head a log's events would have in a hash-chained file.
pub(crate) fn head_of(events: &[Event]) -> Result<ChainHead, ProtocolError> {
    let mut writer = JsonlWriter::new(io::sink(), FsyncPolicy::AtClose);
    for event in events {
        writer
            .append_ref(event)
            .map_err(|error| ProtocolError::Internal(error.to_string()))?;
    }
    Ok(writer.head())
}

/// An episode's audit log file, shared between the episode (which appends
/// to it through [`AuditFile::mirror`]) and whoever finishes it: the file
/// stays complete and verifiable however the episode ends.
#[derive(Debug)]
pub struct AuditFile {
    label: String,
    /// The file's canonical path, so that no two open episodes write one.
    canonical: Option<PathBuf>,
    writer: Arc<Mutex<Option<JsonlWriter<File>>>>,
    head: Option<ChainHead>,
}

impl AuditFile {
    /// Creates (or truncates, as `run --audit` does) the file at `path`,
    /// synced at the end of every step.
    pub fn create(path: PathBuf) -> Result<AuditFile, ProtocolError> {
        let file = File::create(&path).map_err(|error| {
            ProtocolError::Audit(format!(
                "could not create the audit log {}: {error}",
                path.display()
            ))
        })?;
        Ok(AuditFile {
            label: path.display().to_string(),
            canonical: std::fs::canonicalize(&path).ok(),
            writer: Arc::new(Mutex::new(Some(JsonlWriter::new(
                file,
                FsyncPolicy::EveryStep,
            )))),
            head: None,
        })
    }

    /// [`AuditFile::create`], unless `path` is the log of an episode in
    /// `open`.
    pub(crate) fn create_unless_open<'a>(
        path: PathBuf,
        mut open: impl Iterator<Item = (&'a str, &'a AuditFile)>,
    ) -> Result<AuditFile, ProtocolError> {
        if let Ok(existing) = std::fs::canonicalize(&path)
            && let Some((episode, _)) =
                open.find(|(_, audit)| audit.canonical.as_deref() == Some(existing.as_path()))
        {
            return Err(ProtocolError::Audit(format!(
                "{} is the audit log of open episode `{episode}`: give this episode another file",
                path.display()
            )));
        }
        AuditFile::create(path)
    }

    /// The path as given, for messages.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The sink an episode appends to (see
    /// [`start_scenario`](oncall_sim::start_scenario)).
    pub fn mirror(&self) -> Mirror<'static> {
        Box::new(SharedWriter(Arc::clone(&self.writer)))
    }

    /// Flushes and syncs the file, and gives its head. Finishing again
    /// gives the same head.
    pub fn finish(&mut self) -> Result<ChainHead, ProtocolError> {
        if let Some(head) = &self.head {
            return Ok(head.clone());
        }
        let writer = self
            .writer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let head = match writer {
            Some(writer) => writer.finish().map_err(|error| {
                ProtocolError::Audit(format!(
                    "could not finish the audit log {}: {error}",
                    self.label
                ))
            })?,
            None => {
                return Err(ProtocolError::Audit(format!(
                    "the audit log {} was already finished",
                    self.label
                )));
            }
        };
        self.head = Some(head.clone());
        Ok(head)
    }
}

/// The episode's end of an [`AuditFile`].
#[derive(Debug)]
struct SharedWriter(Arc<Mutex<Option<JsonlWriter<File>>>>);

impl EventSink for SharedWriter {
    fn append(&mut self, event: Event) -> Result<(), AuditError> {
        match self
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_mut()
        {
            Some(writer) => writer.append(event),
            None => Err(AuditError::WriterFailed {
                first_error: "the audit log was finished".to_owned(),
            }),
        }
    }

    fn next_sequence(&self) -> u64 {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .map_or(0, EventSink::next_sequence)
    }

    fn end_of_step(&mut self) -> Result<(), AuditError> {
        match self
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_mut()
        {
            Some(writer) => writer.end_of_step(),
            None => Ok(()),
        }
    }
}
