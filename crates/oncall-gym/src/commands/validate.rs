//! `oncall-gym validate [PATH...]`.

use std::path::PathBuf;
use std::process::ExitCode;

use oncall_gym::library::{LibraryEntry, ScenarioLibrary, entries_at};

use crate::output;

/// Checks every scenario at `paths` (scenario directories or fixtures
/// roots), or the default library. Problems go to stderr as
/// `file:line:col: json.path: message` (a file that does not load) or
/// `scenario: message` (a semantic problem); exit 1 if there are any.
pub(crate) fn validate(library: &ScenarioLibrary, paths: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let mut entries: Vec<LibraryEntry> = Vec::new();
    let mut invalid = 0usize;
    if paths.is_empty() {
        entries = library.default_scenarios()?;
    } else {
        for path in paths {
            match entries_at(path) {
                Ok(found) => entries.extend(found),
                Err(error) => {
                    eprintln!("{error}");
                    invalid += 1;
                }
            }
        }
    }
    let mut valid = 0usize;
    for entry in &entries {
        let problems: Vec<String> = match &entry.scenario {
            Ok(scenario) => scenario
                .validate()
                .iter()
                .map(ToString::to_string)
                .collect(),
            Err(error) => vec![error.to_string()],
        };
        if problems.is_empty() {
            valid += 1;
        } else {
            invalid += 1;
            for problem in problems {
                eprintln!("{problem}");
            }
        }
    }
    let place = if paths.is_empty() {
        library.default_label()
    } else {
        paths
            .iter()
            .map(|path| path.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    output::print(&format!(
        "checked {} scenario{} in {place}: {valid} valid, {invalid} invalid\n",
        entries.len(),
        if entries.len() == 1 { "" } else { "s" }
    ))?;
    Ok(if invalid == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
