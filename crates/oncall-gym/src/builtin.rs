//! The bundled scenarios, compiled into the binary by `build.rs` from the
//! workspace's `fixtures/incidents/*/` (its scenario and telemetry files),
//! so that a name resolves even where no fixtures directory exists.

use std::path::PathBuf;

use oncall_sim::{Scenario, ScenarioError};

/// The directory label that errors in a built-in scenario name, followed by
/// `/<name>/<file>`.
pub const BUILTIN_LABEL: &str = "<built-in>";

/// A scenario compiled into the binary: its directory name and its files.
#[derive(Debug, Clone, Copy)]
pub struct BuiltinScenario {
    name: &'static str,
    files: &'static [(&'static str, &'static [u8])],
}

include!(concat!(env!("OUT_DIR"), "/builtin_scenarios.rs"));

impl BuiltinScenario {
    /// The directory name, which a valid scenario also has as its id.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The files, as (file name, contents).
    pub fn files(&self) -> &'static [(&'static str, &'static [u8])] {
        self.files
    }

    /// Where errors say the scenario is: `<built-in>/<name>`.
    pub fn directory_label(&self) -> PathBuf {
        PathBuf::from(BUILTIN_LABEL).join(self.name)
    }

    /// Parses the scenario, with the same rules as loading it from disk.
    pub fn load(&self) -> Result<Scenario, ScenarioError> {
        Scenario::from_embedded(&self.directory_label(), self.files)
    }
}

/// Every built-in scenario, sorted by name.
pub fn builtin_scenarios() -> &'static [BuiltinScenario] {
    BUILTIN_SCENARIOS
}

/// The built-in scenario called `name`, if there is one.
pub fn find_builtin(name: &str) -> Option<&'static BuiltinScenario> {
    BUILTIN_SCENARIOS
        .iter()
        .find(|scenario| scenario.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_scenarios_are_compiled_in_sorted_and_load() {
        let names: Vec<&str> = builtin_scenarios().iter().map(|s| s.name()).collect();
        assert!(names.contains(&"latency_spike"), "{names:?}");
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
        for builtin in builtin_scenarios() {
            let scenario = builtin.load().unwrap();
            assert_eq!(scenario.id(), builtin.name());
            assert!(
                builtin
                    .files()
                    .iter()
                    .any(|(file, _)| *file == "scenario.json")
            );
        }
    }

    #[test]
    fn find_builtin_finds_by_exact_name_only() {
        assert!(find_builtin("latency_spike").is_some());
        assert!(find_builtin("latency").is_none());
        assert!(find_builtin("../latency_spike").is_none());
    }
}
