//! The renderer: turns a [`TelemetrySpec`] into telemetry records, drawing
//! every random choice from one seeded stream in a fixed order.

use std::collections::BTreeMap;
use std::f64::consts::PI;

use chrono::Duration;

use oncall_domain::{SeededRandom, Timestamp};
use oncall_tools::{Deploy, LogEntry, LogLevel, MetricPoint, MetricSeries};

use crate::generator::limits::burst_lines;
use crate::generator::{
    GeneratorError, MAX_GENERATED_LOG_LINES, MetricEffectSpec, MetricSpec, TelemetrySpec,
};

pub(super) struct Renderer<'a> {
    random: &'a SeededRandom,
    spec: &'a TelemetrySpec,
    start: Timestamp,
    alert: Timestamp,
    onset: Timestamp,
    hosts: BTreeMap<&'a str, u32>,
}

/// When an effect is active: from `start` until `end` (exclusive), if any.
#[derive(Debug, Clone, Copy)]
struct ActiveSpan {
    start: Timestamp,
    end: Option<Timestamp>,
}

impl ActiveSpan {
    fn contains(self, at: Timestamp) -> bool {
        at >= self.start && self.end.is_none_or(|end| at < end)
    }
}

impl<'a> Renderer<'a> {
    pub(super) fn new(
        random: &'a SeededRandom,
        spec: &'a TelemetrySpec,
        start: Timestamp,
        alert: Timestamp,
        onset: Timestamp,
    ) -> Renderer<'a> {
        let hosts = spec
            .services
            .iter()
            .map(|service| (service.name.as_str(), service.hosts.max(1)))
            .collect();
        Renderer {
            random,
            spec,
            start,
            alert,
            onset,
            hosts,
        }
    }

    /// The span of an effect that starts `delay_minutes` after the onset, or
    /// at a fixed time before the alert, and lasts `duration_minutes`.
    fn span(
        &self,
        start_minutes_before_alert: Option<u32>,
        delay_minutes: u32,
        duration_minutes: Option<u32>,
    ) -> ActiveSpan {
        let start = match start_minutes_before_alert {
            Some(before) => self.alert - Duration::minutes(i64::from(before)),
            None => self.onset + Duration::minutes(i64::from(delay_minutes)),
        };
        ActiveSpan {
            start,
            end: duration_minutes.map(|minutes| start + Duration::minutes(i64::from(minutes))),
        }
    }

    pub(super) fn logs(&self) -> Result<Vec<LogEntry>, GeneratorError> {
        let mut logs = Vec::new();
        let minutes = i64::from(self.spec.hours) * 60;
        for minute in 0..minutes {
            let minute_start = self.start + Duration::minutes(minute);
            for service in &self.spec.services {
                let count = self.poisson_like(service.log_lines_per_minute);
                for _ in 0..count {
                    let warn = !service.warn_messages.is_empty()
                        && self.random.next_f64() < service.warn_share;
                    let (level, templates) = if warn {
                        (LogLevel::Warn, &service.warn_messages)
                    } else {
                        (LogLevel::Info, &service.info_messages)
                    };
                    if templates.is_empty() {
                        continue;
                    }
                    let at = minute_start + Duration::seconds(self.random.next_below(60) as i64);
                    push_capped(
                        &mut logs,
                        self.entry(at, &service.name, None, level, templates)?,
                    )?;
                }
            }
            for effect in &self.spec.fault.log_effects {
                let mut span = self.span(
                    effect.start_minutes_before_alert,
                    effect.delay_minutes,
                    effect.duration_minutes,
                );
                if effect.until_onset {
                    span.end = Some(span.end.map_or(self.onset, |end| end.min(self.onset)));
                }
                if minute_start + Duration::minutes(1) <= span.start
                    || span.end.is_some_and(|end| minute_start >= end)
                {
                    continue;
                }
                for _ in 0..self.poisson_like(effect.per_minute) {
                    let at = minute_start + Duration::seconds(self.random.next_below(60) as i64);
                    if !span.contains(at) || at > self.alert {
                        continue;
                    }
                    let entry = self.entry(
                        at,
                        &effect.service,
                        effect.host.as_deref(),
                        effect.level,
                        &effect.messages,
                    )?;
                    push_capped(&mut logs, entry)?;
                }
            }
        }
        // Refuse before rendering any burst line: the bursts may add up to
        // this many more.
        let bursts = burst_lines(self.spec);
        if (logs.len() as u64).saturating_add(bursts) > MAX_GENERATED_LOG_LINES as u64 {
            return Err(GeneratorError::InvalidSpec(format!(
                "the spec renders {} log lines before its bursts, and `telemetry.bursts` add up \
                 to {bursts} more (the sum of their `count`), over the {MAX_GENERATED_LOG_LINES} \
                 a spec may render; lower the burst counts, the rates or the hours",
                logs.len()
            )));
        }
        // Bursts are pushed in spec order and the sort below is stable, so
        // lines of two bursts that fall in the same second keep that order.
        for burst in &self.spec.bursts {
            let burst_start = match (burst.minutes_after_onset, burst.minutes_before_onset) {
                (Some(after), _) => self.onset + Duration::minutes(i64::from(after)),
                (None, Some(before)) => self.onset - Duration::minutes(i64::from(before)),
                (None, None) => {
                    self.alert - Duration::minutes(i64::from(burst.minutes_before_alert))
                }
            } + Duration::seconds(i64::from(burst.offset_seconds));
            for index in 0..burst.count {
                let step = match burst.spacing_seconds {
                    Some(spacing) => i64::from(index) * i64::from(spacing),
                    None => i64::from(index) * 7 + self.random.next_below(5) as i64,
                };
                let at = burst_start + Duration::seconds(step);
                if at < self.start || at > self.alert {
                    continue;
                }
                let entry = self.entry(
                    at,
                    &burst.service,
                    burst.host.as_deref(),
                    burst.level,
                    &burst.messages,
                )?;
                push_capped(&mut logs, entry)?;
            }
        }
        for line in super::one_off::history_lines(&self.spec.history, self.alert)? {
            push_capped(&mut logs, line)?;
        }
        logs.retain(|entry| entry.timestamp() <= self.alert);
        logs.sort_by_key(LogEntry::timestamp);
        Ok(logs)
    }

    fn entry(
        &self,
        at: Timestamp,
        service: &str,
        host: Option<&str>,
        level: LogLevel,
        templates: &[String],
    ) -> Result<LogEntry, GeneratorError> {
        let index = self.random.next_below(templates.len() as u64) as usize;
        let Some(template) = templates.get(index) else {
            return Err(GeneratorError::InvalidSpec(format!(
                "a log template list for `{service}` is empty"
            )));
        };
        let message = self.fill(template);
        let host = match host {
            Some(host) => host.to_owned(),
            None => {
                let hosts = self.hosts.get(service).copied().unwrap_or(3);
                format!("{service}-{}", self.random.next_below(u64::from(hosts)) + 1)
            }
        };
        LogEntry::new(at, service, level, message)
            .map(|entry| entry.with_attribute("host", serde_json::json!(host)))
            .map_err(|error| {
                GeneratorError::InvalidSpec(format!(
                    "a log line of service `{service}` at {}: {error}",
                    at.to_rfc3339()
                ))
            })
    }

    pub(super) fn metrics(&self) -> Result<Vec<MetricSeries>, GeneratorError> {
        let mut all = Vec::new();
        let interval = i64::from(self.spec.metric_interval_seconds);
        let total_seconds = i64::from(self.spec.hours) * 3600;
        for (service_index, service) in self.spec.services.iter().enumerate() {
            for (metric_index, metric) in service.metrics.iter().enumerate() {
                // Names the series in errors: its spec path and names.
                let series = || {
                    format!(
                        "`telemetry.services[{service_index}].metrics[{metric_index}]` \
                         (service `{}`, metric `{}`)",
                        service.name, metric.name
                    )
                };
                let effects: Vec<&MetricEffectSpec> = self
                    .spec
                    .fault
                    .metric_effects
                    .iter()
                    .filter(|effect| effect.service == service.name && effect.metric == metric.name)
                    .collect();
                let mut points = Vec::new();
                let mut offset = interval;
                while offset <= total_seconds {
                    let at = self.start + Duration::seconds(offset);
                    let value = self.metric_value(metric, &effects, at);
                    let point = MetricPoint::new(at, value).map_err(|error| {
                        GeneratorError::InvalidSpec(format!(
                            "{} renders a bad point at {}: {error}; lower its `baseline`, \
                             `daily_swing` or `noise`, or the factor of its fault effects",
                            series(),
                            at.to_rfc3339()
                        ))
                    })?;
                    points.push(point);
                    offset += interval;
                }
                let rendered = MetricSeries::new(&service.name, &metric.name, &metric.unit, points)
                    .map_err(|error| {
                        GeneratorError::InvalidSpec(format!("{}: {error}", series()))
                    })?;
                all.push(rendered);
            }
        }
        Ok(all)
    }

    fn metric_value(
        &self,
        metric: &MetricSpec,
        effects: &[&MetricEffectSpec],
        at: Timestamp,
    ) -> f64 {
        let hour = f64::from(chrono::Timelike::num_seconds_from_midnight(&at.time())) / 3600.0;
        // Peaks at 15:00 UTC, lowest at 03:00.
        let daily = 1.0 + metric.daily_swing * (2.0 * PI * (hour - 9.0) / 24.0).sin();
        let noise = 1.0 + metric.noise * self.gaussian();
        let mut factor = 1.0;
        for effect in effects {
            let span = self.span(
                effect.start_minutes_before_alert,
                effect.delay_minutes,
                effect.duration_minutes,
            );
            if !span.contains(at) {
                continue;
            }
            let mut minutes_in = (at - span.start).num_seconds() as f64 / 60.0;
            if let Some(period) = effect.period_minutes.filter(|period| *period > 0) {
                minutes_in %= f64::from(period);
            }
            let ramp = if effect.ramp_minutes == 0 {
                1.0
            } else {
                (minutes_in / f64::from(effect.ramp_minutes)).min(1.0)
            };
            factor *= 1.0 + (effect.factor - 1.0) * ramp;
        }
        let mut value = (metric.baseline * daily * noise * factor).max(0.0);
        if let Some(max) = metric.max {
            value = value.min(max);
        }
        round_to(value, metric.decimals)
    }

    pub(super) fn deploys(&self) -> Result<Vec<Deploy>, GeneratorError> {
        let mut deploys = Vec::new();
        for spec in &self.spec.deploys {
            let at = match (spec.minutes_before_onset, spec.minutes_before_alert) {
                (Some(before_onset), _) => self.onset - Duration::minutes(i64::from(before_onset)),
                (None, Some(before_alert)) => {
                    self.alert - Duration::minutes(i64::from(before_alert))
                }
                (None, None) => {
                    return Err(GeneratorError::InvalidSpec(format!(
                        "deploy `{}` needs `minutes_before_alert` or `minutes_before_onset`",
                        spec.id
                    )));
                }
            };
            let record = serde_json::json!({
                "id": spec.id,
                "service": spec.service,
                "version": spec.version,
                "previous_version": spec.previous_version,
                "deployed_at": at,
                "author": spec.author,
                "change_summary": spec.change_summary,
                "status": spec.status,
            });
            let deploy: Deploy = serde_json::from_value(record).map_err(|error| {
                GeneratorError::InvalidSpec(format!("deploy `{}`: {error}", spec.id))
            })?;
            deploys.push(deploy);
        }
        deploys.sort_by_key(Deploy::deployed_at);
        Ok(deploys)
    }

    /// A Poisson-distributed count with the given mean (Knuth's method;
    /// means above 30 are split into parts, so the loop stays short).
    fn poisson_like(&self, mean: f64) -> u32 {
        if mean.is_nan() || mean <= 0.0 {
            return 0;
        }
        let mut remaining = mean.min(10_000.0);
        let mut count = 0u32;
        while remaining > 0.0 {
            let part = remaining.min(30.0);
            remaining -= part;
            let limit = (-part).exp();
            let mut product = self.random.next_f64();
            while product > limit {
                count += 1;
                product *= self.random.next_f64();
            }
        }
        count
    }

    /// A standard normal draw (Box–Muller).
    fn gaussian(&self) -> f64 {
        let first = self.random.next_f64().max(f64::MIN_POSITIVE);
        let second = self.random.next_f64();
        (-2.0 * first.ln()).sqrt() * (2.0 * PI * second).cos()
    }

    /// Fills every placeholder of `template`: first each `{n}`, left to
    /// right, then each `{ms}`, then each `{hex}`, then each `{n:A-B}`,
    /// then each `{ipv4}`. No value contains a brace, so filling never makes
    /// a new placeholder, and one pass per kind keeps it linear in the
    /// template's length. A template without the last two kinds draws
    /// exactly what it drew before they existed, so older specs render the
    /// same bytes.
    fn fill(&self, template: &str) -> String {
        let text = replace_each(template, "{n}", || {
            (self.random.next_below(999) + 1).to_string()
        });
        let text = replace_each(&text, "{ms}", || {
            (self.random.next_below(1981) + 20).to_string()
        });
        let text = replace_each(&text, "{hex}", || {
            format!("{:08x}", self.random.next_u64() as u32)
        });
        let text = replace_ranges(&text, |low, high| {
            (low + self.random.next_below(high - low + 1)).to_string()
        });
        replace_each(&text, "{ipv4}", || {
            format!(
                "10.{}.{}.{}",
                self.random.next_below(256),
                self.random.next_below(256),
                self.random.next_below(254) + 1
            )
        })
    }
}

/// Adds `entry` unless `logs` already holds [`MAX_GENERATED_LOG_LINES`].
fn push_capped(logs: &mut Vec<LogEntry>, entry: LogEntry) -> Result<(), GeneratorError> {
    if logs.len() >= MAX_GENERATED_LOG_LINES {
        return Err(GeneratorError::InvalidSpec(format!(
            "the spec renders more than {MAX_GENERATED_LOG_LINES} log lines; lower \
             `telemetry.services[].log_lines_per_minute`, `telemetry.fault.log_effects[].per_minute` \
             or `telemetry.hours`"
        )));
    }
    logs.push(entry);
    Ok(())
}

/// `text` with each `placeholder`, left to right, replaced by the next
/// `value()`.
fn replace_each(text: &str, placeholder: &str, mut value: impl FnMut() -> String) -> String {
    let mut filled = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((before, after)) = rest.split_once(placeholder) {
        filled.push_str(before);
        filled.push_str(&value());
        rest = after;
    }
    filled.push_str(rest);
    filled
}

/// `text` with each `{n:A-B}`, left to right, replaced by `value(A, B)`.
/// Ranges were checked when the spec was (see [`template_range`]); one
/// that does not read is left as it is.
fn replace_ranges(text: &str, mut value: impl FnMut(u64, u64) -> String) -> String {
    let mut filled = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{n:") {
        filled.push_str(&rest[..start]);
        let after = &rest[start..];
        match after.find('}').and_then(|end| {
            template_range(&after[..=end])
                .ok()
                .map(|(low, high)| (end, low, high))
        }) {
            Some((end, low, high)) => {
                filled.push_str(&value(low, high));
                rest = &after[end + 1..];
            }
            None => {
                filled.push_str("{n:");
                rest = &after[3..];
            }
        }
    }
    filled.push_str(rest);
    filled
}

/// The bounds of a `{n:A-B}` placeholder (the whole placeholder, braces
/// included), or why it is not one: both bounds are whole numbers up to
/// [`MAX_TEMPLATE_NUMBER`], and `A` is at most `B`.
pub(crate) fn template_range(placeholder: &str) -> Result<(u64, u64), String> {
    let inner = placeholder
        .strip_prefix("{n:")
        .and_then(|rest| rest.strip_suffix('}'))
        .ok_or_else(|| format!("`{placeholder}` is not a `{{n:A-B}}` range"))?;
    let (low, high) = inner.split_once('-').ok_or_else(|| {
        format!("`{placeholder}` has no `-` between its bounds (`{{n:1024-65535}}`)")
    })?;
    let bound = |text: &str| {
        text.parse::<u64>()
            .ok()
            .filter(|number| *number <= MAX_TEMPLATE_NUMBER && !text.starts_with('+'))
            .ok_or_else(|| {
                format!(
                    "`{placeholder}`: `{text}` is not a whole number from 0 to {MAX_TEMPLATE_NUMBER}"
                )
            })
    };
    let (low, high) = (bound(low)?, bound(high)?);
    if low > high {
        return Err(format!(
            "`{placeholder}` is reversed or empty: {low} is more than {high}"
        ));
    }
    Ok((low, high))
}

/// The largest bound a `{n:A-B}` range may have.
pub(crate) const MAX_TEMPLATE_NUMBER: u64 = u32::MAX as u64;

fn round_to(value: f64, decimals: u32) -> f64 {
    let scale = 10f64.powi(decimals.min(9) as i32);
    (value * scale).round() / scale
}
