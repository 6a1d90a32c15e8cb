//! The bounds a spec must respect before anything is rendered: times that
//! stay in chrono's range, lists and texts of bounded size, and a bounded
//! amount of telemetry. Every error names the spec field at fault.

use crate::generator::{
    GeneratorError, LogEffectSpec, MAX_GENERATED_LOG_LINES, MAX_GENERATED_METRIC_POINTS,
    MAX_SPEC_LIST_ITEMS, MAX_SPEC_MINUTES, MAX_SPEC_TEXT_BYTES, SPEC_YEARS, ScenarioSpec,
    TelemetrySpec,
};

/// Refuses a spec whose times could leave chrono's range or whose loops
/// could run long: the incident must fall in [`SPEC_YEARS`]; every field of
/// `telemetry` whose name mentions minutes, and every burst count, must be
/// at most [`MAX_SPEC_MINUTES`]; every list at most [`MAX_SPEC_LIST_ITEMS`]
/// long; every text at most [`MAX_SPEC_TEXT_BYTES`]. The error names the
/// first offending field's JSON path, and how many more there are.
pub(super) fn check_ranges(spec: &ScenarioSpec) -> Result<(), GeneratorError> {
    let year = chrono::Datelike::year(&spec.scenario.incident.created_at);
    if !SPEC_YEARS.contains(&year) {
        return Err(GeneratorError::InvalidSpec(format!(
            "`scenario.incident.created_at` must fall in the years {} to {}, got {year}",
            SPEC_YEARS.start(),
            SPEC_YEARS.end()
        )));
    }
    let telemetry = serde_json::to_value(&spec.telemetry)
        .map_err(|error| GeneratorError::InvalidSpec(error.to_string()))?;
    let mut oversized = Oversized::default();
    oversized.find(&telemetry, "telemetry");
    match oversized.first {
        None => Ok(()),
        Some(first) => Err(GeneratorError::InvalidSpec(format!(
            "{first}{}",
            if oversized.more > 0 {
                format!(" (and {} more fields)", oversized.more)
            } else {
                String::new()
            }
        ))),
    }
}

/// The most log lines the bursts of `spec` can add: the sum of their
/// counts (saturating, so it never overflows).
pub(super) fn burst_lines(spec: &TelemetrySpec) -> u64 {
    spec.bursts.iter().fold(0u64, |total, burst| {
        total.saturating_add(u64::from(burst.count))
    })
}

/// Refuses a spec that would render more telemetry than the caps allow,
/// before rendering any of it: burst lines beyond
/// [`MAX_GENERATED_LOG_LINES`], an expected number of log lines beyond it
/// (background rates over the hours, fault effects over their spans, and
/// bursts), or metric points beyond [`MAX_GENERATED_METRIC_POINTS`]. The
/// renderer still counts the lines it renders, since Poisson counts can
/// exceed their mean.
pub(super) fn check_volume(spec: &TelemetrySpec) -> Result<(), GeneratorError> {
    let cap = MAX_GENERATED_LOG_LINES as u64;
    let bursts = burst_lines(spec);
    if bursts > cap {
        return Err(GeneratorError::InvalidSpec(format!(
            "`telemetry.bursts` ask for {bursts} log lines in total (the sum of their `count`), \
             but a spec may render at most {cap}"
        )));
    }
    let minutes = u64::from(spec.hours).saturating_mul(60);
    // Folded from +0.0: an empty float sum is -0.0, which prints as "-0".
    let background = spec.services.iter().fold(0.0, |total, service| {
        total + service.log_lines_per_minute.max(0.0) * minutes as f64
    });
    let effects = spec.fault.log_effects.iter().fold(0.0, |total, effect| {
        total + effect.per_minute.max(0.0) * active_minutes(effect, minutes) as f64
    });
    let expected = background + effects + bursts as f64;
    // An infinite rate over no minutes makes a NaN: refuse that too.
    if expected.is_nan() || expected > cap as f64 {
        return Err(GeneratorError::InvalidSpec(format!(
            "the spec expects about {expected:.0} log lines ({background:.0} from \
             `telemetry.services[].log_lines_per_minute` over `telemetry.hours`, {effects:.0} \
             from `telemetry.fault.log_effects[].per_minute`, {bursts} from \
             `telemetry.bursts[].count`), but a spec may render at most {cap}; lower the rates \
             or the hours"
        )));
    }
    let series = spec.services.iter().fold(0u64, |total, service| {
        total.saturating_add(service.metrics.len() as u64)
    });
    let per_series =
        u64::from(spec.hours).saturating_mul(3600) / u64::from(spec.metric_interval_seconds.max(1));
    let points = series.saturating_mul(per_series);
    let point_cap = MAX_GENERATED_METRIC_POINTS as u64;
    if points > point_cap {
        return Err(GeneratorError::InvalidSpec(format!(
            "the spec renders {points} metric points ({series} series in \
             `telemetry.services[].metrics`, {per_series} points each over `telemetry.hours` \
             at `telemetry.metric_interval_seconds`), but a spec may render at most \
             {point_cap}; use fewer series, fewer hours or a longer interval"
        )));
    }
    Ok(())
}

/// At most how many minutes of the telemetry `effect` is active.
fn active_minutes(effect: &LogEffectSpec, minutes: u64) -> u64 {
    effect
        .duration_minutes
        .map_or(minutes, |duration| u64::from(duration).min(minutes))
}

/// The first oversized field found, and how many more there are.
#[derive(Default)]
struct Oversized {
    first: Option<String>,
    more: usize,
}

impl Oversized {
    fn report(&mut self, message: String) {
        if self.first.is_none() {
            self.first = Some(message);
        } else {
            self.more += 1;
        }
    }

    /// Walks `value`; an oversized list is reported and not walked into.
    fn find(&mut self, value: &serde_json::Value, path: &str) {
        match value {
            serde_json::Value::Object(fields) => {
                for (name, field) in fields {
                    let field_path = format!("{path}.{name}");
                    let bounded = name.contains("minutes") || name == "count";
                    match field.as_u64() {
                        Some(number) if bounded && number > MAX_SPEC_MINUTES => {
                            self.report(format!(
                                "`{field_path}` is {number}, but it must be at most {MAX_SPEC_MINUTES}"
                            ));
                        }
                        _ => self.find(field, &field_path),
                    }
                }
            }
            serde_json::Value::Array(items) if items.len() > MAX_SPEC_LIST_ITEMS => {
                self.report(format!(
                    "`{path}` has {} items, but it may have at most {MAX_SPEC_LIST_ITEMS}",
                    items.len()
                ));
            }
            serde_json::Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    self.find(item, &format!("{path}[{index}]"));
                }
            }
            serde_json::Value::String(text) if text.len() > MAX_SPEC_TEXT_BYTES => {
                self.report(format!(
                    "`{path}` is {} bytes long, but it may be at most {MAX_SPEC_TEXT_BYTES}",
                    text.len()
                ));
            }
            // A message template's `{n:A-B}` ranges must read.
            serde_json::Value::String(text) if path.contains("messages[") => {
                let mut rest = text.as_str();
                while let Some(start) = rest.find("{n:") {
                    let after = &rest[start..];
                    let placeholder = after.find('}').map_or(after, |end| &after[..=end]);
                    if let Err(why) = super::render::template_range(placeholder) {
                        self.report(format!("`{path}`: {why}"));
                        break;
                    }
                    rest = &after[placeholder.len()..];
                }
            }
            _ => {}
        }
    }
}
