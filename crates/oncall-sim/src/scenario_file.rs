//! The `scenario.json` model: metadata, the incident, and the ground truth.
//! Every type here is what a scenario author writes; `fixtures/README.md`
//! documents it with an example.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

use oncall_domain::{Decision, FaultCategory, Severity, Timestamp};

use crate::grader::Remedy;
use crate::matcher::TextMatcher;

/// The highest step limit a run may have: a scenario's
/// `ground_truth.max_steps` must lie in `1..=MAX_STEPS` (a `scenario.json`
/// outside it is refused when loaded, naming the field), and the runner
/// refuses a larger [`RunSettings::max_steps`](crate::RunSettings). A run is
/// a loop, and every loop has a bound.
pub const MAX_STEPS: u32 = 1_000;

/// How hard a scenario is meant to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Difficulty {
    /// One clear signal, the alerting service is the culprit.
    Easy,
    /// Some noise or a red herring; a step or two of inference.
    Medium,
    /// The culprit is elsewhere, or the right answer is not the obvious one.
    Hard,
}

impl Difficulty {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Difficulty::Easy => "easy",
            Difficulty::Medium => "medium",
            Difficulty::Hard => "hard",
        }
    }
}

impl fmt::Display for Difficulty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The whole `scenario.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// The scenario's id: `[a-z0-9_-]{1,64}`, and the name of its directory.
    pub id: String,
    /// A one-line title.
    pub title: String,
    /// A paragraph for people browsing the library (never shown to agents).
    pub summary: String,
    /// How hard it is.
    pub difficulty: Difficulty,
    /// Free-form labels.
    #[serde(default)]
    pub tags: Vec<String>,
    /// The root-cause category, from the published taxonomy.
    pub category: FaultCategory,
    /// The alert.
    pub incident: IncidentSpec,
    /// The span the telemetry covers. Defaults to the 24 hours before the
    /// incident's `created_at`, up to and including it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<TimeWindow>,
    /// What really happened. Agents never see it.
    pub ground_truth: GroundTruth,
}

/// The alert as a scenario states it. The incident's id comes from the run's
/// id generator, so it is reproducible from the seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncidentSpec {
    /// The service that alerted (not necessarily the culprit).
    pub service: String,
    /// What the alert says.
    pub description: String,
    /// How bad (default `high`).
    #[serde(default)]
    pub severity: Severity,
    /// Free-form labels.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// When the alert fired: the simulated "now".
    pub created_at: Timestamp,
}

/// A span of time, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeWindow {
    /// The first instant inside.
    pub start: Timestamp,
    /// The last instant inside.
    pub end: Timestamp,
}

/// What really happened, and how a run is judged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroundTruth {
    /// The cause.
    pub root_cause: RootCause,
    /// How proposed mitigations are judged.
    pub mitigations: Mitigations,
    /// Whether the right end is a mitigation or an escalation.
    pub expected_outcome: ExpectedOutcome,
    /// The facts a good investigation uncovers.
    #[serde(default)]
    pub key_evidence: Vec<KeyEvidence>,
    /// The fewest steps that solve it (the reference solution's length).
    pub optimal_steps: u32,
    /// The step limit for runs of this scenario: 1 to [`MAX_STEPS`].
    /// Loading refuses a value outside that range.
    #[serde(deserialize_with = "step_limit")]
    pub max_steps: u32,
    /// A sequence of decisions that solves the scenario. The oracle agent
    /// replays it, and `validate` checks that it scores exactly 1.0.
    pub reference_solution: Vec<Decision>,
}

/// The cause of the incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RootCause {
    /// What happened, in a sentence.
    pub statement: String,
    /// The culprit service, as the service catalogue names it.
    pub service: String,
    /// The category, matching the scenario's `category`.
    pub category: FaultCategory,
    /// Other categories a diagnosis may fairly give, when the cause spans
    /// two (a disk filled up *because* a permission was removed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also_categories: Vec<FaultCategory>,
}

impl RootCause {
    /// Whether a diagnosis of `category` counts as right.
    pub fn accepts_category(&self, category: FaultCategory) -> bool {
        self.category == category || self.also_categories.contains(&category)
    }
}

/// The three lists mitigations are judged against. A structured action is
/// judged by the first remedy whose pattern it matches, and free text by
/// the first remedy it matches, in the order harmful, correct, acceptable:
/// a proposal that does something harmful is harmful even if it also does
/// the right thing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mitigations {
    /// Fixes the cause.
    pub correct: Vec<Remedy>,
    /// Relieves the symptoms without fixing the cause.
    #[serde(default)]
    pub acceptable: Vec<Remedy>,
    /// Looks plausible, makes things worse.
    #[serde(default)]
    pub harmful: Vec<Remedy>,
}

/// The right way for a run to end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ExpectedOutcome {
    /// Propose a mitigation.
    Mitigate,
    /// Escalate to whoever owns the cause: `team` names them in the service
    /// catalogue (a team or a provider); a structured escalation is judged
    /// by it exactly, and a free-text target by its names (the catalogue's
    /// name and aliases, and `mentions`). `target` is a matcher of the
    /// first format, for scenarios without a catalogue. At least one of
    /// `team` and `target` is needed (`validate` checks).
    Escalate {
        /// The catalogue team or provider the incident belongs to.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        team: Option<String>,
        /// More names for them in free text, e.g. "the network on-call".
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        mentions: Vec<String>,
        /// A first-format matcher over the target text.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        target: Option<TextMatcher>,
    },
}

/// One fact a good investigation uncovers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyEvidence {
    /// Unique within the scenario.
    pub id: String,
    /// What it shows, for reports.
    #[serde(default)]
    pub description: String,
    /// The tool whose result reveals it.
    pub tool: String,
    /// Applied to the text of that tool's successful results (their JSON
    /// data, compactly serialised): the item counts as found when one
    /// matches.
    pub matcher: TextMatcher,
}

/// Reads `max_steps`, refusing a value outside `1..=MAX_STEPS` with a
/// message that names the range (the loader adds the file, position and
/// field path).
fn step_limit<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
    let value = u64::deserialize(deserializer)?;
    match u32::try_from(value) {
        Ok(steps) if (1..=MAX_STEPS).contains(&steps) => Ok(steps),
        _ => Err(serde::de::Error::custom(format_args!(
            "must be between 1 and {MAX_STEPS} (the most steps any run may take), got {value}"
        ))),
    }
}
