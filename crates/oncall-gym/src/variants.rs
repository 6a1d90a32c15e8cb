//! Seeded variants (`eval --variants K`): a scenario evaluated as `K`
//! renderings of its `spec.json`, each with the spec's ground truth and its
//! own noise and timing, so a score does not hang on one rendering's luck.
//!
//! Variant `v` of scenario `s` under the base seed `b` is rendered with
//! [`variant_seed`]`(b, s, v)`, in memory and only while its trials run, so
//! an evaluation of many variants holds a few renderings at a time. A
//! scenario's spec is `spec.json` in its directory, or the one compiled
//! into the binary with a built-in scenario.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use oncall_sim::generator::MAX_VARIANTS;
use oncall_sim::generator::{
    GeneratorError, SPEC_FILE, ScenarioSpec, generate_scenario, load_spec, parse_spec,
};
use oncall_sim::{SCENARIO_FILE, Scenario, variant_seed};

use crate::builtin::{BUILTIN_LABEL, find_builtin};

/// A scenario's variants cannot be had.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VariantError {
    /// The scenario was not written as a spec.
    #[error(
        "scenario `{scenario}` ({}) has no {SPEC_FILE}: variants are rendered from a scenario's spec, so it needs one",
        directory.display()
    )]
    NoSpec {
        /// The scenario's id.
        scenario: String,
        /// Where it was loaded from.
        directory: PathBuf,
    },
    /// The spec does not load.
    #[error("scenario `{scenario}`: {source}")]
    Spec {
        /// The scenario's id.
        scenario: String,
        /// Why.
        #[source]
        source: GeneratorError,
    },
    /// A variant does not render.
    #[error("variant {} (rendered with seed {}) does not render: {source}", variant.index, variant.seed)]
    Render {
        /// The variant.
        variant: VariantOf,
        /// Why.
        #[source]
        source: GeneratorError,
    },
    /// A variant rendered, and `validate` rejects it.
    #[error("variant {} (rendered with seed {}) is invalid ({problems} problems), first: {first}", variant.index, variant.seed)]
    Invalid {
        /// The variant.
        variant: VariantOf,
        /// How many problems validation found.
        problems: usize,
        /// The first of them.
        first: String,
    },
    /// The spec's answer is not the scenario's: the scenario's files were
    /// edited without the spec, or the other way round.
    #[error(
        "{}: its {what} differs from the scenario's {}; re-render the scenario from its spec with `oncall-gym gen-scenario`, so variants are graded on the same answer",
        path.display(),
        SCENARIO_FILE
    )]
    Stale {
        /// The spec file.
        path: PathBuf,
        /// What differs.
        what: &'static str,
    },
    /// The spec is another scenario's.
    #[error("{}: the spec is scenario `{spec_id}`'s, not `{scenario}`'s", path.display())]
    OtherScenario {
        /// The spec file.
        path: PathBuf,
        /// The id the spec gives.
        spec_id: String,
        /// The scenario it sits with.
        scenario: String,
    },
}

/// Which variant a run was of: its index and the seed it was rendered with.
/// `oncall-gym gen-scenario SPEC --seed SEED --out DIR` renders it again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariantOf {
    /// The variant's index, from 0.
    pub index: u32,
    /// The seed it was rendered with.
    pub seed: u64,
}

/// A scenario with the spec its variants are rendered from. Cloning one is
/// cheap.
#[derive(Debug, Clone)]
pub struct VariantSource {
    scenario: Scenario,
    spec: Arc<ScenarioSpec>,
}

impl VariantSource {
    /// The spec of `scenario`: `spec.json` in its directory, or the
    /// built-in one.
    pub fn of(scenario: &Scenario) -> Result<VariantSource, VariantError> {
        let no_spec = || VariantError::NoSpec {
            scenario: scenario.id().to_owned(),
            directory: scenario
                .directory()
                .map_or_else(|| PathBuf::from("(in memory)"), Path::to_path_buf),
        };
        let directory = scenario.directory().ok_or_else(no_spec)?;
        let path = directory.join(SPEC_FILE);
        let loaded = match builtin_name(directory) {
            Some(name) => {
                let bytes = find_builtin(name)
                    .and_then(|builtin| builtin.files().iter().find(|(file, _)| *file == SPEC_FILE))
                    .map(|(_, bytes)| *bytes)
                    .ok_or_else(no_spec)?;
                parse_spec(&path, bytes)
            }
            None if path.is_file() => load_spec(&path),
            None => return Err(no_spec()),
        };
        let spec = loaded.map_err(|source| VariantError::Spec {
            scenario: scenario.id().to_owned(),
            source,
        })?;
        if spec.scenario.id != scenario.id() {
            return Err(VariantError::OtherScenario {
                path,
                spec_id: spec.scenario.id.clone(),
                scenario: scenario.id().to_owned(),
            });
        }
        if spec.scenario.ground_truth != *scenario.ground_truth() {
            return Err(VariantError::Stale {
                path,
                what: "ground truth",
            });
        }
        if spec.scenario.incident != *scenario.incident_spec() {
            return Err(VariantError::Stale {
                path,
                what: "incident",
            });
        }
        Ok(VariantSource {
            scenario: scenario.clone(),
            spec: Arc::new(spec),
        })
    }

    /// `scenario` with `spec` as the spec its variants are rendered from,
    /// whatever its directory holds (a spec built in code).
    pub fn with_spec(scenario: &Scenario, spec: ScenarioSpec) -> VariantSource {
        VariantSource {
            scenario: scenario.clone(),
            spec: Arc::new(spec),
        }
    }

    /// The scenario as loaded.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// The spec.
    pub fn spec(&self) -> &ScenarioSpec {
        &self.spec
    }

    /// Which variant `index` is under the base seed `base`.
    pub fn variant(&self, base: u64, index: u32) -> VariantOf {
        VariantOf {
            index,
            seed: variant_seed(base, self.scenario.id(), index),
        }
    }

    /// Renders `variant`. It is not validated.
    pub fn render(&self, variant: VariantOf) -> Result<Scenario, GeneratorError> {
        generate_scenario(&self.spec, variant.seed)
    }

    /// Renders `variant` and, when `validate`, checks it as `validate`
    /// does, so `eval` and the server's workers refuse a bad variant in
    /// the same words.
    pub fn render_checked(
        &self,
        variant: VariantOf,
        validate: bool,
    ) -> Result<Scenario, VariantError> {
        let rendered = self
            .render(variant)
            .map_err(|source| VariantError::Render { variant, source })?;
        if validate {
            let problems = rendered.validate();
            if let Some(first) = problems.first() {
                return Err(VariantError::Invalid {
                    variant,
                    problems: problems.len(),
                    first: first.message.clone(),
                });
            }
        }
        Ok(rendered)
    }
}

/// The scenario name in a built-in scenario's directory label
/// (`<built-in>/<name>`).
fn builtin_name(directory: &Path) -> Option<&str> {
    let name = directory.strip_prefix(BUILTIN_LABEL).ok()?;
    name.to_str().filter(|name| !name.contains('/'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::builtin_scenarios;

    /// A fresh copy of built-in `name` on disk, under a directory named
    /// after `test`.
    fn copy_of(name: &str, test: &str) -> PathBuf {
        let root =
            std::env::temp_dir().join(format!("oncall-gym-variants-{test}-{}", std::process::id()));
        let target = root.join(name);
        let _ = std::fs::remove_dir_all(&target);
        std::fs::create_dir_all(&target).unwrap();
        for (file, bytes) in find_builtin(name).unwrap().files() {
            std::fs::write(target.join(file), bytes).unwrap();
        }
        target
    }

    #[test]
    fn every_built_in_scenario_has_its_spec_and_renders_variants_with_its_ground_truth() {
        for builtin in builtin_scenarios() {
            let scenario = builtin.load().unwrap();
            let source = VariantSource::of(&scenario).unwrap();
            let first = source.variant(7, 0);
            let second = source.variant(7, 1);
            assert_ne!(first.seed, second.seed);
            assert_eq!(source.variant(7, 0), first);
            let rendered = source.render(first).unwrap();
            assert_eq!(rendered.id(), scenario.id());
            assert_eq!(
                rendered.ground_truth().root_cause,
                scenario.ground_truth().root_cause
            );
        }
    }

    #[test]
    fn a_scenario_without_a_spec_is_refused_naming_it() {
        let target = copy_of("latency_spike", "no-spec");
        std::fs::remove_file(target.join(SPEC_FILE)).unwrap();
        let scenario = Scenario::load(&target).unwrap();
        let error = VariantSource::of(&scenario).unwrap_err();
        assert!(matches!(error, VariantError::NoSpec { .. }), "{error}");
        assert!(error.to_string().contains("latency_spike"), "{error}");
        std::fs::write(target.join(SPEC_FILE), b"{\"seed\": 1}").unwrap();
        let error = VariantSource::of(&scenario).unwrap_err();
        assert!(error.to_string().contains("spec.json"), "{error}");
        let _ = std::fs::remove_dir_all(target);
    }

    #[test]
    fn a_spec_whose_answer_differs_from_its_scenario_is_refused_as_stale() {
        let target = copy_of("latency_spike", "stale-spec");
        let path = target.join(SPEC_FILE);
        let text = std::fs::read_to_string(&path).unwrap();
        let mut spec: serde_json::Value = serde_json::from_str(&text).unwrap();
        spec["scenario"]["ground_truth"]["optimal_steps"] = serde_json::json!(7);
        std::fs::write(&path, spec.to_string()).unwrap();
        let scenario = Scenario::load(&target).unwrap();
        let error = VariantSource::of(&scenario).unwrap_err();
        assert!(matches!(error, VariantError::Stale { .. }), "{error}");
        assert!(error.to_string().contains("ground truth"), "{error}");
        let _ = std::fs::remove_dir_all(target);
    }

    #[test]
    fn a_spec_of_another_scenario_is_refused() {
        let target = copy_of("latency_spike", "other-spec");
        let other = find_builtin("orders_deploy_errors").unwrap().files();
        let (_, spec) = other.iter().find(|(name, _)| *name == SPEC_FILE).unwrap();
        std::fs::write(target.join(SPEC_FILE), spec).unwrap();
        let scenario = Scenario::load(&target).unwrap();
        let error = VariantSource::of(&scenario).unwrap_err();
        assert!(
            matches!(error, VariantError::OtherScenario { .. }),
            "{error}"
        );
        let _ = std::fs::remove_dir_all(target);
    }
}
