//! The generator's knobs, on a small spec built from `latency_spike`'s.

use std::path::Path;

use chrono::Duration;

use oncall_tools::LogLevel;

use oncall_domain::SeededRandom;

use crate::generator::render::Renderer;
use crate::generator::{
    BurstSpec, GeneratorError, LogEffectSpec, MetricEffectSpec, ScenarioSpec, generate, load_spec,
};

pub(super) fn base_spec() -> ScenarioSpec {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/incidents/latency_spike/spec.json");
    let mut spec = load_spec(&path).unwrap();
    spec.telemetry.fault.metric_effects.clear();
    spec.telemetry.fault.log_effects.clear();
    spec.telemetry.bursts.clear();
    spec.telemetry.fault.onset_jitter_minutes = 0;
    spec
}

fn values(spec: &ScenarioSpec, service: &str, metric: &str) -> Vec<f64> {
    let generated = generate(spec, 5).unwrap();
    generated
        .telemetry
        .metrics
        .iter()
        .find(|series| series.service() == service && series.name() == metric)
        .unwrap()
        .points()
        .iter()
        .map(|point| point.value())
        .collect()
}

fn effect(factor: f64) -> MetricEffectSpec {
    MetricEffectSpec {
        service: "checkout".to_owned(),
        metric: "latency_p99_ms".to_owned(),
        factor,
        ramp_minutes: 0,
        delay_minutes: 0,
        start_minutes_before_alert: None,
        duration_minutes: None,
        period_minutes: None,
    }
}

pub(super) fn log_effect(message: &str) -> LogEffectSpec {
    LogEffectSpec {
        service: "checkout".to_owned(),
        level: LogLevel::Error,
        per_minute: 3.0,
        messages: vec![message.to_owned()],
        delay_minutes: 0,
        start_minutes_before_alert: None,
        duration_minutes: None,
        until_onset: false,
        host: None,
    }
}

#[test]
fn a_factor_below_one_makes_a_metric_drop() {
    let mut spec = base_spec();
    spec.telemetry.fault.metric_effects.push(effect(0.1));
    let points = values(&spec, "checkout", "latency_p99_ms");
    let last = points[points.len() - 5..].iter().sum::<f64>() / 5.0;
    assert!(last < 40.0, "latency did not drop: {last}");
    assert!(points[0] > 100.0);
}

#[test]
fn an_effect_with_a_duration_ends_and_one_pinned_before_the_alert_ignores_the_onset() {
    let mut spec = base_spec();
    let mut blip = effect(10.0);
    blip.start_minutes_before_alert = Some(120);
    blip.duration_minutes = Some(10);
    spec.telemetry.fault.metric_effects.push(blip);
    let points = values(&spec, "checkout", "latency_p99_ms");
    let minutes = points.len();
    // One point a minute, the last at the alert.
    let during = points[minutes - 115];
    let after = points[minutes - 60];
    assert!(during > 1000.0, "no blip: {during}");
    assert!(after < 400.0, "the blip did not end: {after}");
}

#[test]
fn a_period_makes_a_sawtooth() {
    let mut spec = base_spec();
    spec.telemetry.fault.onset_minutes_before_alert = 100;
    let mut leak = effect(3.0);
    leak.ramp_minutes = 30;
    leak.period_minutes = Some(30);
    spec.telemetry.fault.metric_effects.push(leak);
    let points = values(&spec, "checkout", "latency_p99_ms");
    let minutes = points.len();
    // The last point is at the alert, so the onset's point is
    // `minutes - 101`: the metric peaks just before each restart.
    let peak = points[minutes - 101 + 28];
    let reset = points[minutes - 101 + 31];
    assert!(
        peak > 2.0 * reset,
        "no sawtooth: peak {peak}, reset {reset}"
    );
}

#[test]
fn max_caps_a_metric() {
    let mut spec = base_spec();
    spec.telemetry.services[0].metrics[0].max = Some(500.0);
    spec.telemetry.fault.metric_effects.push(effect(10.0));
    let points = values(&spec, "checkout", "latency_p99_ms");
    assert!(points.iter().all(|value| *value <= 500.0));
    assert_eq!(points.last().copied(), Some(500.0));
}

#[test]
fn log_effects_can_stop_and_come_from_one_host() {
    let mut spec = base_spec();
    let mut stopped = log_effect("stops after ten minutes");
    stopped.duration_minutes = Some(10);
    stopped.host = Some("checkout-canary".to_owned());
    spec.telemetry.fault.log_effects.push(stopped);
    let generated = generate(&spec, 9).unwrap();
    let alert = spec.scenario.incident.created_at;
    let onset = alert - Duration::minutes(20);
    let lines: Vec<_> = generated
        .telemetry
        .logs
        .iter()
        .filter(|entry| entry.message() == "stops after ten minutes")
        .collect();
    assert!(lines.len() >= 10, "only {} lines", lines.len());
    for line in lines {
        assert!(line.timestamp() >= onset && line.timestamp() < onset + Duration::minutes(10));
        assert_eq!(
            line.attributes().get("host"),
            Some(&serde_json::json!("checkout-canary"))
        );
    }
}

#[test]
fn a_burst_after_the_onset_moves_with_it() {
    let mut spec = base_spec();
    spec.telemetry.fault.onset_jitter_minutes = 5;
    spec.telemetry.bursts.push(BurstSpec {
        service: "checkout".to_owned(),
        minutes_before_alert: 0,
        minutes_after_onset: Some(0),
        minutes_before_onset: None,
        offset_seconds: 0,
        spacing_seconds: None,
        level: LogLevel::Warn,
        count: 1,
        messages: vec!["the command that started it".to_owned()],
        host: None,
    });
    spec.telemetry
        .fault
        .log_effects
        .push(log_effect("fault line"));
    for seed in [1, 2, 3, 4] {
        let generated = generate(&spec, seed).unwrap();
        let logs = &generated.telemetry.logs;
        let burst = logs
            .iter()
            .find(|entry| entry.message() == "the command that started it")
            .unwrap()
            .timestamp();
        let first_fault = logs
            .iter()
            .find(|entry| entry.message() == "fault line")
            .unwrap()
            .timestamp();
        assert!(
            (first_fault - burst).num_seconds().abs() <= 120,
            "seed {seed}: burst at {burst}, fault from {first_fault}"
        );
    }
}

#[test]
fn log_rates_are_poisson_means() {
    let mut spec = base_spec();
    let mut rare = log_effect("rare line");
    rare.per_minute = 0.05;
    rare.start_minutes_before_alert = Some(360);
    spec.telemetry.fault.log_effects.push(rare);
    let generated = generate(&spec, 3).unwrap();
    let count = generated
        .telemetry
        .logs
        .iter()
        .filter(|entry| entry.message() == "rare line")
        .count();
    // 0.05 a minute over 6 hours: 18 expected.
    assert!((6..=36).contains(&count), "{count} lines");
}

#[test]
fn bad_specs_are_refused_with_the_field_named() {
    let mut spec = base_spec();
    let mut unknown = log_effect("x");
    unknown.service = "nowhere".to_owned();
    spec.telemetry.fault.log_effects.push(unknown);
    let error = generate(&spec, 1).unwrap_err();
    assert!(matches!(&error, GeneratorError::InvalidSpec(message) if message.contains("nowhere")));

    let mut spec = base_spec();
    let mut empty = log_effect("x");
    empty.messages.clear();
    spec.telemetry.fault.log_effects.push(empty);
    let error = generate(&spec, 1).unwrap_err();
    assert!(
        matches!(&error, GeneratorError::InvalidSpec(message) if message.contains("no messages"))
    );

    let mut spec = base_spec();
    spec.telemetry.services[0].hosts = 0;
    let error = generate(&spec, 1).unwrap_err();
    assert!(matches!(&error, GeneratorError::InvalidSpec(message) if message.contains("hosts")));

    let mut spec = base_spec();
    let mut sawtooth = effect(2.0);
    sawtooth.period_minutes = Some(0);
    spec.telemetry.fault.metric_effects.push(sawtooth);
    let error = generate(&spec, 1).unwrap_err();
    assert!(
        matches!(&error, GeneratorError::InvalidSpec(message) if message.contains("period_minutes"))
    );
}

#[test]
fn a_metric_that_renders_a_non_finite_value_is_named() {
    let mut spec = base_spec();
    spec.telemetry.services[0].metrics[0].baseline = f64::MAX;
    spec.telemetry.fault.metric_effects.push(effect(10.0));
    let message = invalid_spec(&spec);
    let service = &spec.telemetry.services[0];
    let expected = format!(
        "`telemetry.services[0].metrics[0]` (service `{}`, metric `{}`) renders a bad point at ",
        service.name, service.metrics[0].name
    );
    assert!(message.starts_with(&expected), "{message}");
    assert!(
        message.ends_with(
            ": `value` must be a finite number, got inf; lower its `baseline`, `daily_swing` \
             or `noise`, or the factor of its fault effects"
        ),
        "{message}"
    );
}

#[test]
fn the_same_spec_and_seed_give_the_same_telemetry_and_other_seeds_differ() {
    let spec = base_spec();
    let first = generate(&spec, 42).unwrap();
    let again = generate(&spec, 42).unwrap();
    let other = generate(&spec, 43).unwrap();
    assert_eq!(first, again);
    assert_ne!(first.telemetry.logs, other.telemetry.logs);
}

#[test]
fn times_out_of_range_are_refused_not_overflowed() {
    let mut ancient = base_spec();
    ancient.scenario.incident.created_at = "-262143-01-01T00:00:00Z".parse().unwrap();
    let error = generate(&ancient, 1).unwrap_err().to_string();
    assert_eq!(
        error,
        "invalid spec: `scenario.incident.created_at` must fall in the years 1970 to 9999, got -262143"
    );
    let mut far = base_spec();
    far.telemetry.fault.onset_minutes_before_alert = 4_000_000_000;
    let error = generate(&far, 1).unwrap_err().to_string();
    assert_eq!(
        error,
        "invalid spec: `telemetry.fault.onset_minutes_before_alert` is 4000000000, but it must be at most 525600"
    );
}

pub(super) fn burst(count: u32) -> BurstSpec {
    BurstSpec {
        service: "checkout".to_owned(),
        minutes_before_alert: 60,
        minutes_after_onset: None,
        minutes_before_onset: None,
        offset_seconds: 0,
        spacing_seconds: None,
        level: LogLevel::Warn,
        count,
        messages: vec!["burst line".to_owned()],
        host: None,
    }
}

pub(super) fn invalid_spec(spec: &ScenarioSpec) -> String {
    match generate(spec, 1) {
        Err(GeneratorError::InvalidSpec(message)) => message,
        other => panic!("expected an invalid spec, got {other:?}"),
    }
}

/// Renders the logs of `spec` directly, past the checks `generate` makes
/// first, to test the renderer's own count.
fn render_logs(spec: &ScenarioSpec) -> Result<usize, GeneratorError> {
    let random = SeededRandom::new(1);
    let alert = spec.scenario.incident.created_at;
    let start = alert - Duration::hours(i64::from(spec.telemetry.hours));
    let onset = alert - Duration::minutes(20);
    Renderer::new(&random, &spec.telemetry, start, alert, onset)
        .logs()
        .map(|logs| logs.len())
}

#[test]
fn bursts_asking_for_more_lines_than_the_cap_are_refused_before_rendering() {
    let mut spec = base_spec();
    spec.telemetry.bursts = vec![burst(300_000), burst(300_000)];
    assert_eq!(
        invalid_spec(&spec),
        "`telemetry.bursts` ask for 600000 log lines in total (the sum of their `count`), \
         but a spec may render at most 500000"
    );
}

#[test]
fn the_cap_holds_for_background_lines_and_bursts_together() {
    let mut spec = base_spec();
    // Under the cap alone, over it with the background lines.
    spec.telemetry.bursts = vec![burst(499_999)];
    let message = invalid_spec(&spec);
    assert!(
        message.starts_with("the spec expects about ")
            && message.contains("499999 from `telemetry.bursts[].count`"),
        "{message}"
    );
    // The renderer counts too, before it renders a single burst line.
    let error = render_logs(&spec).unwrap_err().to_string();
    assert!(
        error.starts_with("invalid spec: the spec renders ")
            && error.contains("and `telemetry.bursts` add up to 499999 more"),
        "{error}"
    );
    spec.telemetry.bursts = vec![burst(1_000)];
    assert!(render_logs(&spec).unwrap() > 1_000);
}

#[test]
fn expected_log_lines_beyond_the_cap_are_refused_before_rendering() {
    let mut spec = base_spec();
    for service in &mut spec.telemetry.services {
        service.log_lines_per_minute = 0.0;
    }
    spec.telemetry.services[0].log_lines_per_minute = 2_000.0;
    assert_eq!(
        invalid_spec(&spec),
        "the spec expects about 720000 log lines (720000 from \
         `telemetry.services[].log_lines_per_minute` over `telemetry.hours`, 0 from \
         `telemetry.fault.log_effects[].per_minute`, 0 from `telemetry.bursts[].count`), but \
         a spec may render at most 500000; lower the rates or the hours"
    );
    // A high rate for a short time is counted over its duration only.
    spec.telemetry.services[0].log_lines_per_minute = 1.0;
    let mut flood = log_effect("flood");
    flood.per_minute = 2_000.0;
    flood.duration_minutes = Some(10);
    spec.telemetry.fault.log_effects.push(flood);
    assert!(generate(&spec, 1).is_ok());
}

#[test]
fn the_renderer_stops_at_the_log_line_cap() {
    let mut spec = base_spec();
    spec.telemetry.services[0].log_lines_per_minute = 1_500.0;
    let error = render_logs(&spec).unwrap_err().to_string();
    assert_eq!(
        error,
        "invalid spec: the spec renders more than 500000 log lines; lower \
         `telemetry.services[].log_lines_per_minute`, `telemetry.fault.log_effects[].per_minute` \
         or `telemetry.hours`"
    );
}

#[test]
fn too_many_metric_points_are_refused_before_rendering() {
    let mut spec = base_spec();
    spec.telemetry.hours = 168;
    spec.telemetry.metric_interval_seconds = 1;
    let series: usize = spec
        .telemetry
        .services
        .iter()
        .map(|service| service.metrics.len())
        .sum();
    assert_eq!(
        invalid_spec(&spec),
        format!(
            "the spec renders {} metric points ({series} series in \
             `telemetry.services[].metrics`, 604800 points each over `telemetry.hours` at \
             `telemetry.metric_interval_seconds`), but a spec may render at most 1000000; use \
             fewer series, fewer hours or a longer interval",
            series * 604_800
        )
    );
}

#[test]
fn oversized_lists_and_texts_are_refused_with_the_path_named() {
    let mut spec = base_spec();
    let deploy = spec.telemetry.deploys[0].clone();
    spec.telemetry.deploys = vec![deploy; 257];
    assert_eq!(
        invalid_spec(&spec),
        "`telemetry.deploys` has 257 items, but it may have at most 256"
    );

    let mut spec = base_spec();
    spec.telemetry.services[1].info_messages[0] = "x".repeat(4_097);
    assert_eq!(
        invalid_spec(&spec),
        "`telemetry.services[1].info_messages[0]` is 4097 bytes long, but it may be at most 4096"
    );
    spec.telemetry.services[0].warn_messages = vec!["slow".to_owned(); 300];
    assert_eq!(
        invalid_spec(&spec),
        "`telemetry.services[0].warn_messages` has 300 items, but it may have at most 256 \
         (and 1 more fields)"
    );
}

#[test]
fn every_placeholder_is_filled_even_next_to_another() {
    let mut spec = base_spec();
    let mut effect = log_effect("{n}{n} took {ms}ms ({hex}{hex})");
    effect.per_minute = 5.0;
    spec.telemetry.fault.log_effects.push(effect);
    let generated = generate(&spec, 2).unwrap();
    let filled: Vec<&str> = generated
        .telemetry
        .logs
        .iter()
        .map(|entry| entry.message())
        .filter(|message| message.contains(" took "))
        .collect();
    assert!(!filled.is_empty());
    for message in filled {
        assert!(!message.contains('{'), "{message}");
        let hex = message.rsplit('(').next().unwrap().trim_end_matches(')');
        assert_eq!(hex.len(), 16, "{message}");
        assert!(hex.chars().all(|c| c.is_ascii_hexdigit()), "{message}");
    }
}
