//! [`Scenario`]: an incident, its telemetry, and its ground truth.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::Duration;

use oncall_audit::Event;
use oncall_domain::{FaultCategory, IdGenerator, Incident, IncidentId, Timestamp};
use oncall_engine::Run;

use crate::datastore::{
    DEPLOYS_FILE, DataStore, LOGS_FILE, METRICS_FILE, RUNBOOKS_FILE, SERVICES_FILE, Telemetry,
};
use crate::error::{FixtureError, ScenarioError, SkippedEntry};
use crate::evaluation::{Evaluation, RunFacts, evaluate};
use crate::fixture::{LoadLimits, load_json, parse_json};
use crate::grader::Grader;
use crate::scenario_file::{Difficulty, GroundTruth, IncidentSpec, ScenarioFile, TimeWindow};

/// The scenario file's name inside a scenario directory.
pub const SCENARIO_FILE: &str = "scenario.json";

/// The most entries (scenario directories, and anything else) a fixtures
/// root may hold: [`scenario_directories`] refuses a root with more, rather
/// than read without end.
pub const MAX_FIXTURE_ROOT_ENTRIES: usize = 10_000;

/// How far back the telemetry reaches by default: 24 hours before the
/// incident.
pub const DEFAULT_WINDOW_HOURS: i64 = 24;

/// An incident, the telemetry an on-call engineer would see, and the ground
/// truth the run is judged against.
///
/// The telemetry is served to tools through [`Scenario::data_store`], which
/// is built from the telemetry files alone. The ground truth stays here:
/// only scoring, validation and the oracle read it.
///
/// Cloning one is cheap: the file and the telemetry are shared.
#[derive(Debug, Clone)]
pub struct Scenario {
    file: Arc<ScenarioFile>,
    store: Arc<DataStore>,
    directory: Option<PathBuf>,
}

impl Scenario {
    /// Loads the scenario in `directory`: `scenario.json` (required) and the
    /// telemetry files (each optional).
    pub fn load(directory: &Path) -> Result<Scenario, ScenarioError> {
        Scenario::load_with_limits(directory, LoadLimits::default())
    }

    /// Loads with explicit limits on file size.
    pub fn load_with_limits(
        directory: &Path,
        limits: LoadLimits,
    ) -> Result<Scenario, ScenarioError> {
        let file: ScenarioFile = load_json(&directory.join(SCENARIO_FILE), limits)?;
        let telemetry = Telemetry::load(directory, limits)?;
        Scenario::from_parts(file, telemetry).loaded_from(directory)
    }

    /// Builds a scenario from file contents already in memory (for example
    /// fixtures compiled into a binary). `files` maps file names
    /// (`scenario.json`, `logs.json`, ...) to their bytes; the same rules
    /// as [`Scenario::load`] apply, and errors name `directory` joined with
    /// the file name.
    pub fn from_embedded(
        directory: &Path,
        files: &[(&str, &[u8])],
    ) -> Result<Scenario, ScenarioError> {
        let limits = LoadLimits::default();
        let find = |name: &str| {
            files
                .iter()
                .find(|(file, _)| *file == name)
                .map(|(_, bytes)| *bytes)
        };
        let parse_file = |name: &str| -> Result<Option<&[u8]>, FixtureError> {
            let Some(bytes) = find(name) else {
                return Ok(None);
            };
            if bytes.len() as u64 > limits.max_file_bytes {
                return Err(FixtureError::TooLarge {
                    path: directory.join(name),
                    size: bytes.len() as u64,
                    limit: limits.max_file_bytes,
                });
            }
            Ok(Some(bytes))
        };
        let scenario_bytes = parse_file(SCENARIO_FILE)?.ok_or_else(|| FixtureError::Missing {
            path: directory.join(SCENARIO_FILE),
        })?;
        let file: ScenarioFile = parse_json(&directory.join(SCENARIO_FILE), scenario_bytes)?;
        let list = |name: &str| -> Result<Option<&[u8]>, FixtureError> { parse_file(name) };
        let telemetry = Telemetry {
            logs: parse_optional(directory, LOGS_FILE, list(LOGS_FILE)?)?,
            metrics: parse_optional(directory, METRICS_FILE, list(METRICS_FILE)?)?,
            deploys: parse_optional(directory, DEPLOYS_FILE, list(DEPLOYS_FILE)?)?,
            runbooks: parse_optional(directory, RUNBOOKS_FILE, list(RUNBOOKS_FILE)?)?,
            catalogue: parse_optional(directory, SERVICES_FILE, list(SERVICES_FILE)?)?,
        };
        Scenario::from_parts(file, telemetry).loaded_from(directory)
    }

    /// Loads the scenario called `name` under the fixtures root `root`.
    /// Only names of 1 to 64 characters from `a-z`, `0-9`, `_` and `-` are
    /// accepted, so a name can never reach outside the root.
    ///
    /// A root or scenario file that cannot be looked at for another reason
    /// than being absent (a symbolic-link loop, no permission) is reported
    /// with what the operating system said, not as missing.
    pub fn load_named(root: &Path, name: &str) -> Result<Scenario, ScenarioError> {
        check_scenario_name(name)?;
        match std::fs::metadata(root) {
            Ok(metadata) if metadata.is_dir() => {}
            Err(source) if source.kind() != std::io::ErrorKind::NotFound => {
                return Err(ScenarioError::ListRoot {
                    root: root.to_path_buf(),
                    source,
                });
            }
            _ => {
                return Err(ScenarioError::NotADirectory {
                    root: root.to_path_buf(),
                });
            }
        }
        let directory = root.join(name);
        let file = directory.join(SCENARIO_FILE);
        match std::fs::metadata(&file) {
            Err(source) if source.kind() == std::io::ErrorKind::NotFound => {
                Err(ScenarioError::NotFound {
                    name: name.to_owned(),
                    root: root.to_path_buf(),
                })
            }
            Err(source) => Err(FixtureError::Read { path: file, source }.into()),
            // Anything there, even a FIFO, is the scenario's file: loading
            // says what is wrong with it.
            Ok(_) => Scenario::load(&directory),
        }
    }

    /// A scenario built in code, for tests and generators.
    pub fn from_parts(file: ScenarioFile, telemetry: Telemetry) -> Scenario {
        Scenario {
            file: Arc::new(file),
            store: Arc::new(DataStore::from_telemetry(telemetry)),
            directory: None,
        }
    }

    /// The scenario's id.
    pub fn id(&self) -> &str {
        &self.file.id
    }

    /// Its title.
    pub fn title(&self) -> &str {
        &self.file.title
    }

    /// Its summary, for people.
    pub fn summary(&self) -> &str {
        &self.file.summary
    }

    /// How hard it is.
    pub fn difficulty(&self) -> Difficulty {
        self.file.difficulty
    }

    /// Its root-cause category.
    pub fn category(&self) -> FaultCategory {
        self.file.category
    }

    /// Its tags.
    pub fn tags(&self) -> &[String] {
        &self.file.tags
    }

    /// The alert as the scenario states it.
    pub fn incident_spec(&self) -> &IncidentSpec {
        &self.file.incident
    }

    /// The directory it was loaded from, if any.
    pub fn directory(&self) -> Option<&Path> {
        self.directory.as_deref()
    }

    /// The span its telemetry covers, both ends included.
    pub fn window(&self) -> TimeWindow {
        self.file.window.unwrap_or_else(|| {
            let end: Timestamp = self.file.incident.created_at;
            let start = end
                .checked_sub_signed(Duration::hours(DEFAULT_WINDOW_HOURS))
                .unwrap_or(end);
            TimeWindow { start, end }
        })
    }

    /// The telemetry, for the tools. Built from the telemetry files alone.
    pub fn data_store(&self) -> Arc<DataStore> {
        Arc::clone(&self.store)
    }

    /// The ground truth. **Never hand it, or anything derived from it, to an
    /// agent**: it is for scoring, validation and the oracle.
    pub fn ground_truth(&self) -> &GroundTruth {
        &self.file.ground_truth
    }

    /// The whole scenario file, ground truth included. For tools that
    /// rewrite scenarios, never for agents.
    pub fn file(&self) -> &ScenarioFile {
        &self.file
    }

    /// The incident, with an id from `ids`, so a run's incident id is
    /// reproducible from its seed.
    pub fn incident(
        &self,
        ids: &dyn IdGenerator,
    ) -> Result<Incident, oncall_domain::ValidationError> {
        self.incident_with_id(IncidentId::generate(ids))
    }

    /// Marks the scenario as loaded from `directory`, checking its incident
    /// now so that a bad one is a load error that names the file.
    fn loaded_from(self, directory: &Path) -> Result<Scenario, ScenarioError> {
        self.incident_with_id(IncidentId::from_uuid(uuid::Uuid::nil()))
            .map_err(|source| ScenarioError::InvalidIncident {
                path: directory.join(SCENARIO_FILE),
                source,
            })?;
        Ok(Scenario {
            directory: Some(directory.to_path_buf()),
            ..self
        })
    }

    fn incident_with_id(&self, id: IncidentId) -> Result<Incident, oncall_domain::ValidationError> {
        let spec = &self.file.incident;
        Incident::new(
            id,
            spec.service.clone(),
            spec.description.clone(),
            spec.severity,
            spec.tags.clone(),
            spec.created_at,
        )
    }

    /// The grader for this scenario: its ground truth over its catalogue.
    /// For scoring and checking the grader, never for agents.
    pub fn grader(&self) -> Grader<'_> {
        Grader::new(self.ground_truth(), self.store.catalogue())
    }

    /// Judges a finished run.
    pub fn evaluate(&self, run: &Run) -> Evaluation {
        evaluate(&self.grader(), &RunFacts::from_run(run))
    }

    /// Judges a run from its audit events alone, without running the agent
    /// again. Gives the same [`Evaluation`] as [`Scenario::evaluate`] on the
    /// run that wrote them.
    pub fn evaluate_events(&self, events: &[Event]) -> Evaluation {
        evaluate(&self.grader(), &RunFacts::from_events(events))
    }
}

/// Refuses names that are not 1 to 64 characters of `a-z`, `0-9`, `_`, `-`.
pub fn check_scenario_name(name: &str) -> Result<(), ScenarioError> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|byte| {
            byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'_' || byte == b'-'
        });
    if valid {
        Ok(())
    } else {
        Err(ScenarioError::InvalidName {
            name: name.to_owned(),
        })
    }
}

/// The scenario directories under a fixtures root, sorted by name: every
/// subdirectory holding a `scenario.json`. A root that cannot be listed, or
/// an entry that cannot be read, is an error naming the root and what the
/// operating system said; so is a root with more than
/// [`MAX_FIXTURE_ROOT_ENTRIES`] entries (of any kind).
///
/// Subdirectories that are not scenarios are left out silently; use
/// [`scan_fixtures_root`] to hear about them.
pub fn scenario_directories(root: &Path) -> Result<Vec<PathBuf>, ScenarioError> {
    scan_fixtures_root(root).map(|scan| scan.scenarios)
}

/// What a fixtures root holds: its scenario directories, and the entries
/// that look meant to be scenarios but are not, for callers to print as
/// warnings.
#[derive(Debug, Default)]
pub struct FixturesRoot {
    /// Every subdirectory holding a `scenario.json` (of any kind: loading
    /// refuses one that is not a regular file), sorted.
    pub scenarios: Vec<PathBuf>,
    /// Subdirectories without a `scenario.json`, and entries that could not
    /// be looked at, sorted by path.
    pub skipped: Vec<SkippedEntry>,
}

/// Lists a fixtures root like [`scenario_directories`], and also reports
/// what was skipped: subdirectories without a `scenario.json`, and entries
/// that cannot be looked at (with the operating system's reason). Plain
/// files (a README) and hidden entries (names starting with `.`) are
/// neither scenarios nor reported. The same errors and cap as
/// [`scenario_directories`] apply.
pub fn scan_fixtures_root(root: &Path) -> Result<FixturesRoot, ScenarioError> {
    scan_fixtures_root_capped(root, MAX_FIXTURE_ROOT_ENTRIES)
}

fn parse_optional<T: serde::de::DeserializeOwned + Default>(
    directory: &Path,
    name: &str,
    bytes: Option<&[u8]>,
) -> Result<T, FixtureError> {
    match bytes {
        Some(bytes) => parse_json(&directory.join(name), bytes),
        None => Ok(T::default()),
    }
}

/// [`scenario_directories`], reading at most `limit` entries.
#[cfg(test)]
pub(crate) fn scenario_directories_capped(
    root: &Path,
    limit: usize,
) -> Result<Vec<PathBuf>, ScenarioError> {
    scan_fixtures_root_capped(root, limit).map(|scan| scan.scenarios)
}

/// [`scan_fixtures_root`], reading at most `limit` entries.
fn scan_fixtures_root_capped(root: &Path, limit: usize) -> Result<FixturesRoot, ScenarioError> {
    let entries = std::fs::read_dir(root).map_err(|source| ScenarioError::ListRoot {
        root: root.to_path_buf(),
        source,
    })?;
    let mut scan = FixturesRoot::default();
    for (count, entry) in entries.enumerate() {
        if count >= limit {
            return Err(ScenarioError::TooManyEntries {
                root: root.to_path_buf(),
                limit,
            });
        }
        let entry = entry.map_err(|source| ScenarioError::ReadEntry {
            root: root.to_path_buf(),
            source,
        })?;
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        classify_entry(entry.path(), &mut scan);
    }
    scan.scenarios.sort();
    scan.skipped.sort_by(|a, b| a.path().cmp(b.path()));
    Ok(scan)
}

/// Files one entry of a fixtures root as a scenario, a skipped entry, or
/// nothing (a plain file).
fn classify_entry(path: PathBuf, scan: &mut FixturesRoot) {
    // Follows symbolic links, so a loop or a dangling link is an error here.
    match std::fs::metadata(&path) {
        Err(source) => scan.skipped.push(SkippedEntry::Unreadable { path, source }),
        Ok(metadata) if !metadata.is_dir() => {}
        Ok(_) => match std::fs::metadata(path.join(SCENARIO_FILE)) {
            Err(source) if source.kind() == std::io::ErrorKind::NotFound => {
                scan.skipped.push(SkippedEntry::NoScenarioFile { path });
            }
            // Present, or there but unreadable: a scenario, whose loading
            // will say what is wrong with its file.
            _ => scan.scenarios.push(path),
        },
    }
}
