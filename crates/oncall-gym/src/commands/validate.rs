//! `oncall-gym validate [PATH...]`.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;

use oncall_gym::library::{LibraryEntry, ScenarioLibrary, duplicate_ids, entries_at};

use crate::commands::checks;
use crate::output;

/// Checks every scenario at `paths` (scenario directories or fixtures
/// roots), or the default library. Problems go to stderr as
/// `file:line:col: json.path: message` (a file that does not load) or
/// `scenario: message` (a semantic problem, or an id that two directories
/// hold); exit 1 if there are any. A path given twice, or a scenario
/// reached through two paths, is checked once. A path that holds no
/// scenario is refused, and counted apart from the scenarios.
pub(crate) fn validate(library: &ScenarioLibrary, paths: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let paths = unique(paths.iter().map(PathBuf::as_path), |path| {
        path.to_path_buf()
    });
    let mut entries: Vec<LibraryEntry> = Vec::new();
    let mut refused = 0u64;
    if paths.is_empty() {
        if let Some(root) = library.default_root() {
            output::warn_skipped(&root.path);
        }
        entries = library.default_scenarios()?;
    } else {
        for path in &paths {
            output::warn_skipped(path);
            match entries_at(path) {
                Ok(found) => entries.extend(found),
                Err(error) => {
                    eprintln!("{}", output::escape(&error.to_string()));
                    refused += 1;
                }
            }
        }
    }
    let entries = unique(entries, |entry| entry.directory.clone());
    let mut invalid_entries: Vec<bool> = Vec::with_capacity(entries.len());
    for entry in &entries {
        let problems = checks::problems_of(&entry.scenario);
        for problem in &problems {
            eprintln!("{}", output::escape(problem));
        }
        invalid_entries.push(!problems.is_empty());
    }
    let loaded = entries.iter().filter_map(|entry| {
        let scenario = entry.scenario.as_ref().ok()?;
        Some((scenario.id(), entry.directory.as_path()))
    });
    for duplicate in duplicate_ids(loaded) {
        eprintln!("{}", output::escape(&duplicate.to_string()));
        for (entry, invalid) in entries.iter().zip(invalid_entries.iter_mut()) {
            if entry
                .scenario
                .as_ref()
                .is_ok_and(|scenario| scenario.id() == duplicate.id)
            {
                *invalid = true;
            }
        }
    }
    let invalid = invalid_entries.iter().filter(|invalid| **invalid).count();
    let valid = entries.len() - invalid;
    let place = if paths.is_empty() {
        library.default_label()
    } else {
        paths
            .iter()
            .map(|path| path.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let refused_text = if refused == 0 {
        String::new()
    } else {
        format!("; {} refused (see above)", output::count(refused, "path"))
    };
    output::print(&format!(
        "checked {} in {place}: {valid} valid, {invalid} invalid{refused_text}\n",
        output::count(entries.len() as u64, "scenario"),
    ))?;
    Ok(if invalid == 0 && refused == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `items` without those whose path (by `path_of`, canonicalised when it
/// exists) an earlier one already had, in order.
fn unique<T>(items: impl IntoIterator<Item = T>, path_of: impl Fn(&T) -> PathBuf) -> Vec<T> {
    let mut seen: BTreeSet<PathBuf> = BTreeSet::new();
    let mut kept = Vec::new();
    for item in items {
        let path = path_of(&item);
        if seen.insert(std::fs::canonicalize(&path).unwrap_or(path)) {
            kept.push(item);
        }
    }
    kept
}
