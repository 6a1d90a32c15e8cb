//! What `run` and `eval` check before they run anything, so that they never
//! run what `validate` rejects: every scenario valid, and no scenario id
//! held by two directories (their runs would be merged under one id).

use std::path::{Path, PathBuf};

use oncall_gym::library::{LookupError, ScenarioLibrary, duplicate_ids};
use oncall_sim::{Scenario, ScenarioError};

use crate::output;

/// Where `scenario` was loaded from, for messages.
pub(crate) fn directory_of(scenario: &Scenario) -> PathBuf {
    scenario
        .directory()
        .map_or_else(|| PathBuf::from("(in memory)"), Path::to_path_buf)
}

/// The default library's scenarios that load, after warning about
/// directories its root skipped; each one that does not load is printed as
/// an error. The flag is true when some did not load.
pub(crate) fn load_default_library(
    library: &ScenarioLibrary,
) -> Result<(Vec<Scenario>, bool), LookupError> {
    if let Some(root) = library.default_root() {
        output::warn_skipped(&root.path);
    }
    let mut loaded = Vec::new();
    let mut broken = false;
    for entry in library.default_scenarios()? {
        match entry.scenario {
            Ok(scenario) => loaded.push(scenario),
            Err(error) => {
                eprintln!("error: {}", output::escape(&error.to_string()));
                broken = true;
            }
        }
    }
    Ok((loaded, broken))
}

/// What `validate` says of a scenario as loaded: its load error, or every
/// problem its `validate()` finds. Empty when it is valid.
pub(crate) fn problems_of(loaded: &Result<Scenario, ScenarioError>) -> Vec<String> {
    match loaded {
        Ok(scenario) => scenario
            .validate()
            .iter()
            .map(ToString::to_string)
            .collect(),
        Err(error) => vec![error.to_string()],
    }
}

/// Prints an error for each id that more than one of `scenarios` holds,
/// naming the directories. True when there is none.
pub(crate) fn refuse_duplicates(scenarios: &[Scenario]) -> bool {
    // One directory spelt two ways (`x` and `./x`, or through a link) is
    // the same directory: compare where the paths lead.
    let directories: Vec<PathBuf> = scenarios
        .iter()
        .map(|scenario| {
            let directory = directory_of(scenario);
            std::fs::canonicalize(&directory).unwrap_or(directory)
        })
        .collect();
    let duplicates = duplicate_ids(
        scenarios
            .iter()
            .zip(&directories)
            .map(|(scenario, directory)| (scenario.id(), directory.as_path())),
    );
    for duplicate in &duplicates {
        let mut unique = duplicate.directories.clone();
        unique.sort();
        unique.dedup();
        if let [directory] = unique.as_slice() {
            eprintln!(
                "error: scenario `{}` ({}) is given more than once",
                output::escape(&duplicate.id),
                output::escape(&directory.display().to_string())
            );
        } else {
            eprintln!("error: {}", output::escape(&duplicate.to_string()));
        }
    }
    duplicates.is_empty()
}

/// Validates each scenario as `validate` does, printing its problems as
/// `validate` prints them (`scenario: message`) and then a line naming the
/// invalid scenario's directory. Returns how many are invalid.
pub(crate) fn report_invalid(scenarios: &[Scenario]) -> usize {
    let mut invalid = 0;
    for scenario in scenarios {
        let problems = scenario.validate();
        if problems.is_empty() {
            continue;
        }
        invalid += 1;
        for problem in &problems {
            eprintln!("{}", output::escape(&problem.to_string()));
        }
        eprintln!(
            "error: {}: scenario `{}` is invalid ({} above); `oncall-gym validate` reports the same",
            output::escape(&directory_of(scenario).display().to_string()),
            output::escape(scenario.id()),
            output::count(problems.len() as u64, "problem")
        );
    }
    invalid
}
