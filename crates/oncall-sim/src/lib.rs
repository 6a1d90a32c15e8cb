//! `oncall-sim` is where oncall-gym becomes a gym: the simulated production
//! environment. A [`Scenario`] bundles an incident, the telemetry an on-call
//! engineer would see (served to the tools by a [`DataStore`], which
//! implements `oncall-tools`' `DataSource`), and the ground truth a run is
//! judged against ([`Scenario::evaluate`], or [`Scenario::evaluate_events`]
//! from an audit log alone). It also holds the fixture loader, scenario
//! validation, the episodes and runner that wire the engine reproducibly,
//! and the [`OracleAgent`].
//!
//! It depends on `oncall-domain`, `oncall-tools`, `oncall-audit` and
//! `oncall-engine`. It is the only crate that knows ground truth, and it
//! must never let it reach a tool or an agent: the `DataStore` is built from
//! telemetry alone, and only scoring, validation and the [`OracleAgent`]
//! (which says so) read [`Scenario::ground_truth`].

mod datastore;
mod episode;
mod error;
mod evaluation;
mod fixture;
pub mod generator;
pub mod grader;
#[cfg(test)]
mod library_tests;
mod log_index;
mod matcher;
mod oracle;
mod runner;
mod scenario;
mod scenario_file;
mod seeds;
mod validate;

pub use crate::datastore::{
    DEPLOYS_FILE, DataStore, LOGS_FILE, METRICS_FILE, RUNBOOKS_FILE, SERVICES_FILE, Telemetry,
};
pub use crate::episode::{
    Mirror, SIMULATED_SECONDS_PER_STEP, ScenarioEpisode, StepReport, start_scenario,
    start_scenario_with_registry,
};
pub use crate::error::{FixtureError, ScenarioError, SkippedEntry};
pub use crate::evaluation::{
    DIAGNOSIS_WEIGHT, EFFICIENCY_WEIGHT, EVIDENCE_WEIGHT, EscalationVerdict, Evaluation,
    EvidenceReport, MitigationVerdict, OUTCOME_WEIGHT, RunFacts, ScoreComponents, StepsReport,
    evaluate,
};
pub use crate::fixture::{DEFAULT_MAX_FILE_BYTES, LoadLimits};
pub use crate::grader::{
    ActionJudgement, ActionPattern, ActionsJudgement, DecidedBy, DiagnosisVerdict,
    EscalationJudgement, GradedFrom, Grader, Remedy, RemedyList, RootCauseJudgement, TextJudgement,
};
pub use crate::matcher::{NormalizedText, TextMatcher};
pub use crate::oracle::OracleAgent;
pub use crate::runner::{
    RunError, RunOutcome, RunSettings, run_scenario, run_scenario_with_registry,
};
pub use crate::scenario::{
    DEFAULT_WINDOW_HOURS, FixturesRoot, MAX_FIXTURE_ROOT_ENTRIES, SCENARIO_FILE, Scenario,
    check_scenario_name, scan_fixtures_root, scenario_directories,
};
pub use crate::scenario_file::{
    Difficulty, ExpectedOutcome, GroundTruth, IncidentSpec, KeyEvidence, MAX_STEPS, Mitigations,
    RootCause, ScenarioFile, TimeWindow,
};
pub use crate::seeds::{id_stream_seed, trial_seed, variant_seed};
pub use crate::validate::Problem;

#[cfg(test)]
mod datastore_tests;
#[cfg(test)]
mod episode_tests;
#[cfg(test)]
mod evaluation_tests;
#[cfg(test)]
mod loader_edge_tests;
#[cfg(test)]
mod loader_tests;
#[cfg(test)]
mod test_support;
#[cfg(test)]
mod validate_tests;
