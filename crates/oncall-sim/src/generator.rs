//! The scenario generator: renders telemetry from a compact [`ScenarioSpec`]
//! into the plain fixture files, reproducibly.
//!
//! The same spec and seed give the same bytes. Another seed gives a variant
//! with the same root cause and ground truth, but different noise, message
//! mix and fault timing (within the spec's jitter), so agents can be tested
//! on variants they cannot have memorised.
//!
//! What the spec controls, per service: the background log rate (Poisson
//! counts per minute) and message mix (info lines, occasional warnings), the
//! hosts its lines come from, and metrics that vary around a baseline with
//! noise and, where it fits, a daily shape. The fault has an onset (minutes
//! before the alert, plus seeded jitter) and a signature: metrics that ramp
//! to a factor of their baseline (above 1 to rise, below 1 to drop), once or
//! as a sawtooth, and log lines that start at the onset (or later, for
//! cascades) and may stop. Effects may also be pinned to a time before the
//! alert, for red herrings that have nothing to do with the fault. Deploys
//! (of any status), one-off log bursts (red herrings, or the one command that
//! set the fault off) and runbooks are placed as given. `fixtures/README.md`
//! documents every field.
//!
//! The renderer draws every random choice from one seeded stream in a fixed
//! order (see `render.rs`), so changing how a spec renders changes the
//! committed bytes: re-render the bundled scenarios after such a change.
//!
//! Message templates may hold placeholders, filled from the seeded stream:
//! `{n}` (1 to 999), `{ms}` (20 to 2000), `{hex}` (8 hex digits),
//! `{n:A-B}` (a whole number from A to B, both included, up to 2^32 - 1:
//! ports, partitions) and `{ipv4}` (a private address, `10.a.b.c`). A
//! range that is empty, reversed or does not read refuses the spec, naming
//! the template's field.

mod limits;
mod one_off;
mod render;

use std::collections::BTreeMap;
use std::path::Path;

use chrono::Duration;
use serde::{Deserialize, Serialize};

use oncall_domain::SeededRandom;
use oncall_tools::{DeployStatus, LogLevel, Runbook, ServiceCatalogue};

use crate::datastore::{
    DEPLOYS_FILE, LOGS_FILE, METRICS_FILE, RUNBOOKS_FILE, SERVICES_FILE, Telemetry,
};
use crate::error::FixtureError;
use crate::scenario::SCENARIO_FILE;
use crate::scenario_file::{ScenarioFile, TimeWindow};

use self::limits::{check_ranges, check_volume};
pub use self::one_off::{BurstSpec, HistoryLineSpec, MAX_BURST_SECONDS};
use self::render::Renderer;

/// A compact description of a scenario: the scenario file itself (metadata,
/// incident, ground truth) and how to render its telemetry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioSpec {
    /// The seed the committed fixture files were rendered with. A seed given
    /// to the generator overrides it, to render a variant.
    #[serde(default)]
    pub seed: u64,
    /// Written as `scenario.json`, with the telemetry window filled in.
    pub scenario: ScenarioFile,
    /// How to render the telemetry.
    pub telemetry: TelemetrySpec,
}

/// How to render a scenario's telemetry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelemetrySpec {
    /// How many hours of telemetry end at the alert.
    pub hours: u32,
    /// Seconds between metric points.
    #[serde(default = "default_metric_interval")]
    pub metric_interval_seconds: u32,
    /// The services and their ordinary behaviour.
    pub services: Vec<ServiceSpec>,
    /// The fault.
    pub fault: FaultSpec,
    /// Deploys, innocent or not.
    #[serde(default)]
    pub deploys: Vec<DeploySpec>,
    /// One-off bursts of log lines: unrelated warnings, harmless errors.
    #[serde(default)]
    pub bursts: Vec<BurstSpec>,
    /// Older events: single log lines before the hours of telemetry,
    /// rendered with no background around them.
    #[serde(default)]
    pub history: Vec<HistoryLineSpec>,
    /// Runbooks, verbatim.
    #[serde(default)]
    pub runbooks: Vec<Runbook>,
    /// The service catalogue, rendered as `services.json`: verbatim, except
    /// that a catalogue service that lists no hosts gets the hosts its
    /// service spec renders (`<name>-1` to `<name>-N`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalogue: Option<ServiceCatalogue>,
}

/// A service's ordinary behaviour.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceSpec {
    /// The service's name.
    pub name: String,
    /// Background log lines per minute (on average).
    #[serde(default)]
    pub log_lines_per_minute: f64,
    /// Info-level message templates.
    #[serde(default)]
    pub info_messages: Vec<String>,
    /// Warn-level message templates, drawn now and then.
    #[serde(default)]
    pub warn_messages: Vec<String>,
    /// The share of background lines that are warnings.
    #[serde(default)]
    pub warn_share: f64,
    /// The service's metrics.
    #[serde(default)]
    pub metrics: Vec<MetricSpec>,
    /// How many hosts it runs on, named `<service>-1` to `<service>-N`;
    /// each log line is tagged with one of them. Default 3.
    #[serde(default = "default_hosts")]
    pub hosts: u32,
}

/// A metric's ordinary shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricSpec {
    /// The metric's name.
    pub name: String,
    /// Its unit.
    #[serde(default)]
    pub unit: String,
    /// The value it varies around.
    pub baseline: f64,
    /// The relative size of the noise (0.05 is ±5 % typical).
    #[serde(default)]
    pub noise: f64,
    /// The relative size of the daily swing, peaking mid-afternoon UTC.
    #[serde(default)]
    pub daily_swing: f64,
    /// Decimal places kept.
    #[serde(default = "default_decimals")]
    pub decimals: u32,
    /// Values never exceed this (a pool's size, 100 %, a ratio's 1.0).
    #[serde(default)]
    pub max: Option<f64>,
}

/// The fault: when it starts and how it shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    /// Minutes before the alert that the fault begins.
    pub onset_minutes_before_alert: u32,
    /// The onset moves by up to this many minutes either way, by seed.
    #[serde(default)]
    pub onset_jitter_minutes: u32,
    /// Metrics that change.
    #[serde(default)]
    pub metric_effects: Vec<MetricEffectSpec>,
    /// Log lines that start.
    #[serde(default)]
    pub log_effects: Vec<LogEffectSpec>,
}

/// A metric that ramps to `factor` × its baseline after the onset (a
/// factor below 1 makes it drop).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricEffectSpec {
    /// The service.
    pub service: String,
    /// The metric.
    pub metric: String,
    /// The multiple of the baseline reached.
    pub factor: f64,
    /// Minutes the ramp takes.
    #[serde(default)]
    pub ramp_minutes: u32,
    /// Minutes after the onset this effect starts (for cascades).
    #[serde(default)]
    pub delay_minutes: u32,
    /// Starts this many minutes before the alert instead, whatever the
    /// onset (for red herrings: a batch job's CPU bump an hour ago).
    #[serde(default)]
    pub start_minutes_before_alert: Option<u32>,
    /// Ends this many minutes after it starts; the metric is back at its
    /// baseline afterwards. Default: lasts until the alert.
    #[serde(default)]
    pub duration_minutes: Option<u32>,
    /// The ramp starts over every this many minutes: a sawtooth, such as
    /// memory that leaks until the process is OOM-killed and restarts.
    #[serde(default)]
    pub period_minutes: Option<u32>,
}

/// Log lines that start after the onset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogEffectSpec {
    /// The service that logs them.
    pub service: String,
    /// Their level.
    pub level: LogLevel,
    /// Lines per minute.
    pub per_minute: f64,
    /// Message templates.
    pub messages: Vec<String>,
    /// Minutes after the onset they start (for cascades).
    #[serde(default)]
    pub delay_minutes: u32,
    /// Start this many minutes before the alert instead, whatever the onset
    /// (for red herrings).
    #[serde(default)]
    pub start_minutes_before_alert: Option<u32>,
    /// Stop this many minutes after they start. Default: until the alert.
    #[serde(default)]
    pub duration_minutes: Option<u32>,
    /// Stop at the fault's onset, wherever its jitter puts it (with
    /// `start_minutes_before_alert`: lines of a healthy service that fall
    /// silent when the fault begins, with no overlap and no gap).
    #[serde(default)]
    pub until_onset: bool,
    /// Every line comes from this host, instead of one of the service's.
    #[serde(default)]
    pub host: Option<String>,
}

/// A deploy, placed relative to the alert or to the fault's onset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeploySpec {
    /// Its id.
    pub id: String,
    /// The service.
    pub service: String,
    /// The new version.
    pub version: String,
    /// The version it replaced.
    #[serde(default)]
    pub previous_version: Option<String>,
    /// Minutes before the alert; ignored when `minutes_before_onset` is set.
    #[serde(default)]
    pub minutes_before_alert: Option<u32>,
    /// Minutes before the fault's onset (a deploy that causes it).
    #[serde(default)]
    pub minutes_before_onset: Option<u32>,
    /// Who shipped it.
    #[serde(default)]
    pub author: String,
    /// What it changed.
    #[serde(default)]
    pub change_summary: String,
    /// How it went.
    #[serde(default = "default_deploy_status")]
    pub status: DeployStatus,
}

/// A spec rendered into the fixture files' contents.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedScenario {
    /// `scenario.json`.
    pub file: ScenarioFile,
    /// The four telemetry files.
    pub telemetry: Telemetry,
}

/// Why a spec could not be rendered or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GeneratorError {
    /// The spec breaks a rule (for example a fault effect on an unknown
    /// service), or renders an invalid record.
    #[error("invalid spec: {0}")]
    InvalidSpec(String),
    /// The spec file could not be read.
    #[error(transparent)]
    Fixture(#[from] FixtureError),
    /// A file could not be written.
    #[error("{path}: cannot write: {source}")]
    Write {
        /// The file.
        path: String,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
}

/// The most telemetry a spec may ask for: 7 days.
pub const MAX_SPEC_HOURS: u32 = 168;
/// The most log lines a spec may render, bursts included.
pub const MAX_GENERATED_LOG_LINES: usize = 500_000;
/// The most metric points a spec may render, over all its series.
pub const MAX_GENERATED_METRIC_POINTS: usize = 1_000_000;
/// The most items any list of a spec's `telemetry` may hold: services,
/// metrics, effects, deploys, bursts, runbooks, message templates, runbook
/// steps.
pub const MAX_SPEC_LIST_ITEMS: usize = 256;
/// The longest text (message template, runbook step, name) a spec's
/// `telemetry` may hold, in bytes.
pub const MAX_SPEC_TEXT_BYTES: usize = 4_096;
/// The largest number any `*minutes*` field or burst `count` of a spec may
/// hold: a year of minutes. It keeps every time computed from a spec far
/// inside the representable range, and every loop short.
pub const MAX_SPEC_MINUTES: u64 = 525_600;
/// The years an incident of a spec may fall in.
pub const SPEC_YEARS: std::ops::RangeInclusive<i32> = 1970..=9999;

/// Renders `spec` with `seed`.
///
/// A spec beyond the caps is refused before anything is rendered, with an
/// error naming the field: [`MAX_SPEC_HOURS`], [`MAX_SPEC_MINUTES`],
/// [`MAX_SPEC_LIST_ITEMS`], [`MAX_SPEC_TEXT_BYTES`],
/// [`MAX_GENERATED_LOG_LINES`] (background, fault and burst lines
/// together) and [`MAX_GENERATED_METRIC_POINTS`].
pub fn generate(spec: &ScenarioSpec, seed: u64) -> Result<GeneratedScenario, GeneratorError> {
    let telemetry_spec = &spec.telemetry;
    if telemetry_spec.hours == 0 || telemetry_spec.hours > MAX_SPEC_HOURS {
        return Err(GeneratorError::InvalidSpec(format!(
            "`telemetry.hours` must be between 1 and {MAX_SPEC_HOURS}, got {}",
            telemetry_spec.hours
        )));
    }
    check_effect_targets(telemetry_spec)?;
    check_ranges(spec)?;
    check_volume(telemetry_spec)?;
    let random = SeededRandom::new(seed);
    let alert = spec.scenario.incident.created_at;
    let start = alert - Duration::hours(i64::from(telemetry_spec.hours));
    let jitter = i64::from(telemetry_spec.fault.onset_jitter_minutes);
    let shift = if jitter == 0 {
        0
    } else {
        random.next_below((2 * jitter + 1) as u64) as i64 - jitter
    };
    let onset_minutes = (i64::from(telemetry_spec.fault.onset_minutes_before_alert) + shift).max(1);
    let onset = alert - Duration::minutes(onset_minutes);
    let context = Renderer::new(&random, telemetry_spec, start, alert, onset);
    let telemetry = Telemetry {
        logs: context.logs()?,
        metrics: context.metrics()?,
        deploys: context.deploys()?,
        runbooks: telemetry_spec.runbooks.clone(),
        catalogue: catalogue(telemetry_spec)?,
    };
    // The window reaches back to the oldest event, so that every line lies
    // in it; background and metrics still cover only the last `hours`.
    let start = telemetry
        .logs
        .first()
        .map_or(start, |oldest| oldest.timestamp().min(start));
    let mut file = spec.scenario.clone();
    file.window = Some(TimeWindow { start, end: alert });
    Ok(GeneratedScenario { file, telemetry })
}

/// The name of a scenario's spec in its directory.
pub const SPEC_FILE: &str = "spec.json";

/// The most seeded variants of one scenario an evaluation renders
/// (`eval --variants`, an HTTP eval's `variants`).
pub const MAX_VARIANTS: u32 = 100;

/// Reads a spec file.
pub fn load_spec(path: &Path) -> Result<ScenarioSpec, GeneratorError> {
    Ok(crate::fixture::load_json(
        path,
        crate::fixture::LoadLimits::default(),
    )?)
}

/// Reads a spec already in memory (one compiled into a binary), with the
/// same rules as [`load_spec`]; errors name `path`.
pub fn parse_spec(path: &Path, bytes: &[u8]) -> Result<ScenarioSpec, GeneratorError> {
    let limit = crate::fixture::LoadLimits::default().max_file_bytes;
    if bytes.len() as u64 > limit {
        return Err(FixtureError::TooLarge {
            path: path.to_path_buf(),
            size: bytes.len() as u64,
            limit,
        }
        .into());
    }
    Ok(crate::fixture::parse_json(path, bytes)?)
}

/// Renders `spec` with `seed` into a scenario in memory: a seeded variant,
/// with the spec's ground truth and its own noise and timing. It is not
/// validated; [`crate::Scenario::validate`] checks it.
pub fn generate_scenario(
    spec: &ScenarioSpec,
    seed: u64,
) -> Result<crate::Scenario, GeneratorError> {
    let generated = generate(spec, seed)?;
    Ok(crate::Scenario::from_parts(
        generated.file,
        generated.telemetry,
    ))
}

/// The fixture files `generated` is written as: each file's name and its
/// bytes (pretty JSON with a trailing newline). `services.json` is among
/// them only when the spec has a catalogue.
pub fn rendered_files(
    generated: &GeneratedScenario,
) -> Result<Vec<(&'static str, String)>, GeneratorError> {
    let telemetry = &generated.telemetry;
    let mut files = vec![
        (SCENARIO_FILE, to_fixture_json(&generated.file)?),
        (LOGS_FILE, to_fixture_json(&telemetry.logs)?),
        (METRICS_FILE, to_fixture_json(&telemetry.metrics)?),
        (DEPLOYS_FILE, to_fixture_json(&telemetry.deploys)?),
        (RUNBOOKS_FILE, to_fixture_json(&telemetry.runbooks)?),
    ];
    if !telemetry.catalogue.is_empty() {
        files.push((SERVICES_FILE, to_fixture_json(&telemetry.catalogue)?));
    }
    Ok(files)
}

/// Writes [`rendered_files`] into `directory` (created if needed). A
/// `services.json` left from an earlier rendering is removed when this one
/// has no catalogue, since it would contradict it.
pub fn write_scenario(
    directory: &Path,
    generated: &GeneratedScenario,
) -> Result<(), GeneratorError> {
    std::fs::create_dir_all(directory).map_err(|source| GeneratorError::Write {
        path: directory.display().to_string(),
        source,
    })?;
    let files = rendered_files(generated)?;
    for (name, text) in &files {
        let path = directory.join(name);
        std::fs::write(&path, text).map_err(|source| GeneratorError::Write {
            path: path.display().to_string(),
            source,
        })?;
    }
    if !files.iter().any(|(name, _)| *name == SERVICES_FILE) {
        let services = directory.join(SERVICES_FILE);
        match std::fs::remove_file(&services) {
            Err(source) if source.kind() != std::io::ErrorKind::NotFound => {
                return Err(GeneratorError::Write {
                    path: services.display().to_string(),
                    source,
                });
            }
            _ => {}
        }
    }
    Ok(())
}

/// The spec's catalogue, with default hosts for the services it renders.
fn catalogue(spec: &TelemetrySpec) -> Result<ServiceCatalogue, GeneratorError> {
    let Some(catalogue) = &spec.catalogue else {
        return Ok(ServiceCatalogue::empty());
    };
    let hosts: BTreeMap<String, Vec<String>> = spec
        .services
        .iter()
        .map(|service| {
            let names = (1..=service.hosts)
                .map(|index| format!("{}-{index}", service.name))
                .collect();
            (service.name.clone(), names)
        })
        .collect();
    catalogue
        .with_default_hosts(&hosts)
        .map_err(|error| GeneratorError::InvalidSpec(format!("`telemetry.catalogue`: {error}")))
}

/// The bytes [`write_scenario`] writes for one value.
pub fn to_fixture_json<T: Serialize>(value: &T) -> Result<String, GeneratorError> {
    let mut text = serde_json::to_string_pretty(value)
        .map_err(|error| GeneratorError::InvalidSpec(error.to_string()))?;
    text.push('\n');
    Ok(text)
}

fn default_metric_interval() -> u32 {
    60
}

fn default_decimals() -> u32 {
    2
}

fn default_deploy_status() -> DeployStatus {
    DeployStatus::Succeeded
}

fn default_hosts() -> u32 {
    3
}

fn check_effect_targets(spec: &TelemetrySpec) -> Result<(), GeneratorError> {
    let metrics: BTreeMap<(&str, &str), ()> = spec
        .services
        .iter()
        .flat_map(|service| {
            service
                .metrics
                .iter()
                .map(move |metric| ((service.name.as_str(), metric.name.as_str()), ()))
        })
        .collect();
    for effect in &spec.fault.metric_effects {
        if !metrics.contains_key(&(effect.service.as_str(), effect.metric.as_str())) {
            return Err(GeneratorError::InvalidSpec(format!(
                "`fault.metric_effects` names {}/{}, which no service spec defines",
                effect.service, effect.metric
            )));
        }
    }
    let services: BTreeMap<&str, ()> = spec
        .services
        .iter()
        .map(|service| (service.name.as_str(), ()))
        .collect();
    for effect in &spec.fault.log_effects {
        if !services.contains_key(effect.service.as_str()) {
            return Err(GeneratorError::InvalidSpec(format!(
                "`fault.log_effects` names service `{}`, which no service spec defines",
                effect.service
            )));
        }
        if effect.messages.is_empty() {
            return Err(GeneratorError::InvalidSpec(format!(
                "a `fault.log_effects` entry for `{}` has no messages",
                effect.service
            )));
        }
        if effect.until_onset && effect.start_minutes_before_alert.is_none() {
            return Err(GeneratorError::InvalidSpec(format!(
                "the `fault.log_effects` entry for `{}` has `until_onset` but no \
                 `start_minutes_before_alert`: lines that stop at the onset must start before it",
                effect.service
            )));
        }
    }
    for (index, burst) in spec.bursts.iter().enumerate() {
        if burst.messages.is_empty() {
            return Err(GeneratorError::InvalidSpec(format!(
                "a burst for `{}` has no messages",
                burst.service
            )));
        }
        let field = |name: &str| format!("`telemetry.bursts[{index}].{name}`");
        if burst.minutes_after_onset.is_some() && burst.minutes_before_onset.is_some() {
            return Err(GeneratorError::InvalidSpec(format!(
                "{} and {} are both given: a burst starts after the onset or before it, not both",
                field("minutes_after_onset"),
                field("minutes_before_onset")
            )));
        }
        if burst.offset_seconds > MAX_BURST_SECONDS {
            return Err(GeneratorError::InvalidSpec(format!(
                "{} is {}, but it must be at most {MAX_BURST_SECONDS}",
                field("offset_seconds"),
                burst.offset_seconds
            )));
        }
        if let Some(spacing) = burst.spacing_seconds
            && !(1..=MAX_BURST_SECONDS).contains(&spacing)
        {
            return Err(GeneratorError::InvalidSpec(format!(
                "{} is {spacing}, but it must be between 1 and {MAX_BURST_SECONDS}",
                field("spacing_seconds")
            )));
        }
    }
    for effect in &spec.fault.metric_effects {
        if effect.period_minutes == Some(0) {
            return Err(GeneratorError::InvalidSpec(format!(
                "`fault.metric_effects` for {}/{}: `period_minutes` must be at least 1",
                effect.service, effect.metric
            )));
        }
    }
    if spec.services.iter().any(|service| service.hosts == 0) {
        return Err(GeneratorError::InvalidSpec(
            "a service's `hosts` must be at least 1".to_owned(),
        ));
    }
    if spec.metric_interval_seconds == 0 {
        return Err(GeneratorError::InvalidSpec(
            "`telemetry.metric_interval_seconds` must be at least 1".to_owned(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod authoring_tests;
