//! Finding scenarios: by directory path, or by name in the fixtures roots
//! and then among the built-in scenarios.
//!
//! An argument is a **path** when it contains a path separator, starts with
//! `.`, or names an existing directory; it must then be a directory holding
//! a `scenario.json`. Otherwise it is a **name** (1 to 64 characters of
//! `a-z`, `0-9`, `_`, `-`, so it can never reach outside a root), looked up
//! in order in:
//!
//! 1. the `--fixtures DIR` given on the command line;
//! 2. the directory in the environment variable [`FIXTURES_ENV`];
//! 3. [`DEFAULT_FIXTURES_DIR`] under the working directory, if it exists;
//! 4. the scenarios built into the binary ([`crate::builtin`]).
//!
//! A root given explicitly (1 or 2) must be a directory. The *default
//! library*, which `scenarios`, `validate` and `eval` use when given no
//! scenario, is the first root that exists, or else the built-ins.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{MAIN_SEPARATOR, Path, PathBuf};

use oncall_sim::{
    SCENARIO_FILE, Scenario, ScenarioError, SkippedEntry, check_scenario_name, scan_fixtures_root,
    scenario_directories,
};

use crate::builtin::{BUILTIN_LABEL, builtin_scenarios, find_builtin};

/// The environment variable naming a fixtures root.
pub const FIXTURES_ENV: &str = "ONCALL_GYM_FIXTURES";

/// The fixtures root looked for under the working directory.
pub const DEFAULT_FIXTURES_DIR: &str = "fixtures/incidents";

/// A scenario could not be found or loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LookupError {
    /// It was found, but it does not load.
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// No root and no built-in scenario has that name.
    #[error("no scenario named `{name}` (looked in {searched}); `oncall-gym scenarios` lists them")]
    NotFound {
        /// The name asked for.
        name: String,
        /// Where it was looked for, for people.
        searched: String,
    },
    /// A path that does not exist.
    #[error("{}: no such scenario directory", path.display())]
    NoSuchDirectory {
        /// The path given.
        path: PathBuf,
    },
    /// A path that exists but cannot be looked at: a symbolic-link loop, no
    /// permission.
    #[error("{}: cannot read it: {message}", path.display())]
    Unreadable {
        /// The path given.
        path: PathBuf,
        /// What the operating system said.
        message: String,
    },
    /// A path to a directory without a `scenario.json`.
    #[error(
        "{}: not a scenario directory (it has no {SCENARIO_FILE}); a scenario is a directory path or a name of 1 to 64 characters of a-z, 0-9, `_` and `-`",
        path.display()
    )]
    NotAScenarioDirectory {
        /// The path given.
        path: PathBuf,
    },
    /// A fixtures root given explicitly that is not a directory.
    #[error("{origin} {}: not a directory", path.display())]
    RootNotADirectory {
        /// Where the root came from.
        origin: RootOrigin,
        /// The path.
        path: PathBuf,
    },
}

/// Where a fixtures root came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RootOrigin {
    /// `--fixtures DIR`.
    Flag,
    /// The [`FIXTURES_ENV`] environment variable.
    Environment,
    /// [`DEFAULT_FIXTURES_DIR`] under the working directory.
    WorkingDirectory,
}

impl fmt::Display for RootOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RootOrigin::Flag => f.write_str("--fixtures"),
            RootOrigin::Environment => write!(f, "${FIXTURES_ENV}"),
            RootOrigin::WorkingDirectory => f.write_str("the working directory's"),
        }
    }
}

/// A fixtures root: a directory of scenario directories.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixturesRoot {
    /// The directory.
    pub path: PathBuf,
    /// Where it came from.
    pub origin: RootOrigin,
}

/// One scenario of a library listing, loaded or not.
#[derive(Debug)]
pub struct LibraryEntry {
    /// The scenario's directory (or built-in label).
    pub directory: PathBuf,
    /// The scenario, or why it does not load.
    pub scenario: Result<Scenario, ScenarioError>,
}

/// The places scenarios are looked up, in order. See the module docs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioLibrary {
    roots: Vec<FixturesRoot>,
}

impl ScenarioLibrary {
    /// The library for this process: `--fixtures` (`flag`), then
    /// [`FIXTURES_ENV`], then [`DEFAULT_FIXTURES_DIR`] if it exists, then
    /// the built-ins. An explicit root that is not a directory is an error.
    pub fn discover(flag: Option<&Path>) -> Result<ScenarioLibrary, LookupError> {
        let environment = std::env::var_os(FIXTURES_ENV)
            .filter(|value| !value.is_empty())
            .map(PathBuf::from);
        ScenarioLibrary::from_sources(
            flag,
            environment.as_deref(),
            Path::new(DEFAULT_FIXTURES_DIR),
        )
    }

    /// [`discover`](ScenarioLibrary::discover) with the environment and the
    /// working directory's default given.
    pub fn from_sources(
        flag: Option<&Path>,
        environment: Option<&Path>,
        default_root: &Path,
    ) -> Result<ScenarioLibrary, LookupError> {
        let mut roots = Vec::new();
        for (path, origin) in [
            (flag, RootOrigin::Flag),
            (environment, RootOrigin::Environment),
        ] {
            if let Some(path) = path {
                if !path.is_dir() {
                    return Err(LookupError::RootNotADirectory {
                        origin,
                        path: path.to_path_buf(),
                    });
                }
                roots.push(FixturesRoot {
                    path: path.to_path_buf(),
                    origin,
                });
            }
        }
        if default_root.is_dir() {
            roots.push(FixturesRoot {
                path: default_root.to_path_buf(),
                origin: RootOrigin::WorkingDirectory,
            });
        }
        Ok(ScenarioLibrary { roots })
    }

    /// A library of the built-in scenarios only.
    pub fn builtin_only() -> ScenarioLibrary {
        ScenarioLibrary { roots: Vec::new() }
    }

    /// The fixtures roots, in lookup order.
    pub fn roots(&self) -> &[FixturesRoot] {
        &self.roots
    }

    /// Finds and loads the scenario `argument` names: a directory path, or
    /// a name looked up in the roots and then the built-ins.
    pub fn resolve(&self, argument: &str) -> Result<Scenario, LookupError> {
        if looks_like_path(argument) {
            return load_directory(Path::new(argument));
        }
        self.resolve_name(argument)
    }

    /// Finds and loads the scenario called `argument`, by name only: in the
    /// roots, then among the built-ins, never as a path (not even a
    /// directory of that name in the working directory).
    pub fn resolve_name(&self, argument: &str) -> Result<Scenario, LookupError> {
        check_scenario_name(argument)?;
        for root in &self.roots {
            if root.path.join(argument).join(SCENARIO_FILE).is_file() {
                return Ok(Scenario::load_named(&root.path, argument)?);
            }
        }
        if let Some(builtin) = find_builtin(argument) {
            return Ok(builtin.load()?);
        }
        Err(LookupError::NotFound {
            name: argument.to_owned(),
            searched: self.searched(),
        })
    }

    /// Where the default library comes from: the first root, or `None` for
    /// the built-ins.
    pub fn default_root(&self) -> Option<&FixturesRoot> {
        self.roots.first()
    }

    /// A label for the default library, for people.
    pub fn default_label(&self) -> String {
        match self.default_root() {
            Some(root) => root.path.display().to_string(),
            None => "the built-in scenarios".to_owned(),
        }
    }

    /// Every scenario of the default library (the first root, or the
    /// built-ins), sorted by directory, each loaded or with its error.
    pub fn default_scenarios(&self) -> Result<Vec<LibraryEntry>, LookupError> {
        match self.default_root() {
            Some(root) => Ok(entries_under(&root.path)?),
            None => Ok(builtin_scenarios()
                .iter()
                .map(|builtin| LibraryEntry {
                    directory: builtin.directory_label(),
                    scenario: builtin.load(),
                })
                .collect()),
        }
    }

    fn searched(&self) -> String {
        let mut places: Vec<String> = self
            .roots
            .iter()
            .map(|root| match root.origin {
                RootOrigin::WorkingDirectory => format!("./{}", root.path.display()),
                RootOrigin::Flag | RootOrigin::Environment => {
                    format!("{} {}", root.origin, root.path.display())
                }
            })
            .collect();
        places.push(format!("the built-in scenarios ({BUILTIN_LABEL})"));
        places.join(", ")
    }
}

/// One scenario id that more than one scenario directory holds. A command
/// refuses such a list: the runs of both would be merged under one id.
/// Displays as `id: ...`, like a problem `validate` finds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateId {
    /// The id.
    pub id: String,
    /// Every directory that holds it, in the order given (two or more).
    pub directories: Vec<PathBuf>,
}

impl fmt::Display for DuplicateId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let places: Vec<String> = self
            .directories
            .iter()
            .map(|directory| directory.display().to_string())
            .collect();
        let listed = match places.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
            _ => places.join(""),
        };
        write!(
            f,
            "{}: the same scenario id is used by {} directories: {listed}",
            self.id,
            places.len()
        )
    }
}

/// The ids that more than one of `scenarios` has, each with its
/// directories, in order of first appearance. `scenarios` gives each
/// scenario's id and directory.
pub fn duplicate_ids<'a>(
    scenarios: impl IntoIterator<Item = (&'a str, &'a Path)>,
) -> Vec<DuplicateId> {
    let mut groups: Vec<DuplicateId> = Vec::new();
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    for (id, directory) in scenarios {
        match index.get(id) {
            Some(&at) => groups[at].directories.push(directory.to_path_buf()),
            None => {
                index.insert(id, groups.len());
                groups.push(DuplicateId {
                    id: id.to_owned(),
                    directories: vec![directory.to_path_buf()],
                });
            }
        }
    }
    groups.retain(|group| group.directories.len() > 1);
    groups
}

/// Every scenario directly under `path` when it is a fixtures root, or the
/// one scenario when `path` is a scenario directory.
pub fn entries_at(path: &Path) -> Result<Vec<LibraryEntry>, LookupError> {
    if path.join(SCENARIO_FILE).is_file() {
        return Ok(vec![LibraryEntry {
            directory: path.to_path_buf(),
            scenario: Scenario::load(path),
        }]);
    }
    missing_or_unreadable(path)?;
    let entries = entries_under(path)?;
    if entries.is_empty() {
        return Err(LookupError::NotAScenarioDirectory {
            path: path.to_path_buf(),
        });
    }
    Ok(entries)
}

/// What listing `path` skipped when it is a fixtures root: subdirectories
/// without a `scenario.json` and entries that could not be read. Empty for
/// a scenario directory, and for a root that cannot be listed (listing it
/// reports that).
pub fn skipped_at(path: &Path) -> Vec<SkippedEntry> {
    if path.join(SCENARIO_FILE).is_file() {
        return Vec::new();
    }
    scan_fixtures_root(path)
        .map(|root| root.skipped)
        .unwrap_or_default()
}

fn entries_under(root: &Path) -> Result<Vec<LibraryEntry>, ScenarioError> {
    Ok(scenario_directories(root)?
        .into_iter()
        .map(|directory| LibraryEntry {
            scenario: Scenario::load(&directory),
            directory,
        })
        .collect())
}

/// Whether `argument` is taken as a directory path rather than a name.
pub fn looks_like_path(argument: &str) -> bool {
    argument.contains('/')
        || argument.contains(MAIN_SEPARATOR)
        || argument.starts_with('.')
        || Path::new(argument).is_dir()
}

fn load_directory(path: &Path) -> Result<Scenario, LookupError> {
    if path.join(SCENARIO_FILE).is_file() {
        return Ok(Scenario::load(path)?);
    }
    missing_or_unreadable(path)?;
    Err(LookupError::NotAScenarioDirectory {
        path: path.to_path_buf(),
    })
}

/// `NoSuchDirectory` when nothing is at `path`, `Unreadable` when something
/// is but cannot be looked at (a symbolic-link loop, no permission).
fn missing_or_unreadable(path: &Path) -> Result<(), LookupError> {
    match std::fs::metadata(path) {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            Err(LookupError::NoSuchDirectory {
                path: path.to_path_buf(),
            })
        }
        Err(error) => Err(LookupError::Unreadable {
            path: path.to_path_buf(),
            message: error.to_string(),
        }),
    }
}

/// The gym protocol opens scenarios by name exactly as `run` finds them:
/// the fixtures roots in order, then the built-ins. `list` gives every name
/// a `reset` would open, each once (the first place holding it wins), and
/// leaves out directories that do not load or whose id is not their name,
/// which `load` refuses too.
impl oncall_protocol::ScenarioSource for ScenarioLibrary {
    fn list(&self) -> Vec<(String, oncall_sim::Difficulty)> {
        let mut names: Vec<String> = Vec::new();
        for root in &self.roots {
            for directory in scenario_directories(&root.path).unwrap_or_default() {
                if let Some(name) = directory.file_name().and_then(|name| name.to_str()) {
                    names.push(name.to_owned());
                }
            }
        }
        names.extend(
            builtin_scenarios()
                .iter()
                .map(|builtin| builtin.name().to_owned()),
        );
        let mut listed: BTreeMap<String, oncall_sim::Difficulty> = BTreeMap::new();
        for name in names {
            if listed.contains_key(&name) {
                continue;
            }
            if let Ok(scenario) = oncall_protocol::ScenarioSource::load(self, &name) {
                listed.insert(name, scenario.difficulty());
            }
        }
        listed.into_iter().collect()
    }

    fn load(&self, name: &str) -> Result<Scenario, String> {
        let scenario = self.resolve_name(name).map_err(|error| error.to_string())?;
        if scenario.id() != name {
            return Err(format!(
                "scenario `{name}` holds the id `{}`: a scenario's id must be its directory's name (`oncall-gym validate` says so too)",
                scenario.id()
            ));
        }
        Ok(scenario)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workspace_fixtures() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/incidents")
    }

    #[test]
    fn a_name_resolves_in_a_root_and_then_among_the_builtins() {
        let library = ScenarioLibrary::from_sources(
            Some(&workspace_fixtures()),
            None,
            Path::new("/nonexistent"),
        )
        .unwrap();
        let scenario = library.resolve("latency_spike").unwrap();
        assert!(
            scenario
                .directory()
                .unwrap()
                .starts_with(workspace_fixtures())
        );

        let builtin = ScenarioLibrary::builtin_only()
            .resolve("latency_spike")
            .unwrap();
        assert_eq!(
            builtin.directory().unwrap(),
            Path::new("<built-in>/latency_spike")
        );
    }

    /// What the protocol lists is what it opens: every root, then the
    /// built-ins, and never a directory whose id is not its name.
    #[test]
    fn the_protocol_lists_exactly_the_names_it_opens() {
        use oncall_protocol::ScenarioSource;
        let root = std::env::temp_dir().join(format!("oncall-gym-listing-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for (name, from) in [("mine", "latency_spike"), ("renamed", "latency_spike")] {
            let directory = root.join(name);
            std::fs::create_dir_all(&directory).unwrap();
            for entry in std::fs::read_dir(workspace_fixtures().join(from)).unwrap() {
                let entry = entry.unwrap();
                std::fs::copy(entry.path(), directory.join(entry.file_name())).unwrap();
            }
        }
        let scenario_file = root.join("mine").join(SCENARIO_FILE);
        let text = std::fs::read_to_string(&scenario_file).unwrap();
        std::fs::write(
            &scenario_file,
            text.replacen("\"id\": \"latency_spike\"", "\"id\": \"mine\"", 1),
        )
        .unwrap();
        let library =
            ScenarioLibrary::from_sources(Some(&root), None, Path::new("/nonexistent")).unwrap();
        let listed: Vec<String> = library.list().into_iter().map(|(id, _)| id).collect();
        assert!(listed.contains(&"mine".to_owned()), "{listed:?}");
        assert!(
            listed.contains(&"latency_spike".to_owned()),
            "built-ins too: {listed:?}"
        );
        assert!(!listed.contains(&"renamed".to_owned()), "{listed:?}");
        assert_eq!(listed.len(), builtin_scenarios().len() + 1);
        assert_eq!(library.load("mine").unwrap().id(), "mine");
        let refused = library.load("renamed").unwrap_err();
        assert!(
            refused.contains("holds the id `latency_spike`"),
            "{refused}"
        );
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn a_path_loads_the_directory() {
        let path = workspace_fixtures().join("latency_spike");
        let scenario = ScenarioLibrary::builtin_only()
            .resolve(path.to_str().unwrap())
            .unwrap();
        assert_eq!(scenario.id(), "latency_spike");
    }

    #[test]
    fn bad_arguments_are_clear_errors() {
        let library = ScenarioLibrary::builtin_only();
        let missing = library.resolve("no_such_scenario").unwrap_err().to_string();
        assert!(
            missing.contains("no scenario named `no_such_scenario`"),
            "{missing}"
        );
        assert!(missing.contains("built-in"), "{missing}");

        let invalid = library.resolve("Bad Name").unwrap_err().to_string();
        assert!(invalid.contains("not allowed"), "{invalid}");

        let traversal = library.resolve("../../etc").unwrap_err().to_string();
        assert!(traversal.contains("../../etc"), "{traversal}");

        let nowhere = library.resolve("./no/such/dir").unwrap_err().to_string();
        assert!(nowhere.contains("no such scenario directory"), "{nowhere}");
    }

    #[test]
    fn an_explicit_root_must_be_a_directory() {
        let error =
            ScenarioLibrary::from_sources(Some(Path::new("/no/such/root")), None, Path::new("x"))
                .unwrap_err()
                .to_string();
        assert_eq!(error, "--fixtures /no/such/root: not a directory");
        let error =
            ScenarioLibrary::from_sources(None, Some(Path::new("/no/such/root")), Path::new("x"))
                .unwrap_err()
                .to_string();
        assert_eq!(error, "$ONCALL_GYM_FIXTURES /no/such/root: not a directory");
    }

    #[test]
    fn the_default_library_is_the_first_root_or_the_builtins() {
        let library = ScenarioLibrary::from_sources(None, None, &workspace_fixtures()).unwrap();
        assert_eq!(
            library.default_root().unwrap().origin,
            RootOrigin::WorkingDirectory
        );
        let entries = library.default_scenarios().unwrap();
        assert!(
            entries
                .iter()
                .any(|entry| entry.directory.ends_with("latency_spike"))
        );

        let builtins = ScenarioLibrary::builtin_only().default_scenarios().unwrap();
        assert_eq!(builtins.len(), builtin_scenarios().len());
        assert_eq!(
            ScenarioLibrary::builtin_only().default_label(),
            "the built-in scenarios"
        );
    }

    #[test]
    fn duplicate_ids_name_every_directory_that_holds_them() {
        let (a, b, c) = (Path::new("r/aaa"), Path::new("r/bbb"), Path::new("r/ccc"));
        assert!(duplicate_ids([("x", a), ("y", b)]).is_empty());
        let found = duplicate_ids([("x", a), ("y", b), ("x", c)]);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].to_string(),
            "x: the same scenario id is used by 2 directories: r/aaa and r/ccc"
        );
        let three = duplicate_ids([("x", a), ("x", b), ("x", c)]);
        assert!(
            three[0].to_string().ends_with("r/aaa, r/bbb and r/ccc"),
            "{}",
            three[0]
        );
    }

    #[test]
    fn entries_at_takes_a_scenario_directory_or_a_root() {
        let one = entries_at(&workspace_fixtures().join("latency_spike")).unwrap();
        assert_eq!(one.len(), 1);
        let all = entries_at(&workspace_fixtures()).unwrap();
        assert!(!all.is_empty());
        let error = entries_at(Path::new("/no/such/place"))
            .unwrap_err()
            .to_string();
        assert!(error.contains("no such scenario directory"), "{error}");
    }
}
