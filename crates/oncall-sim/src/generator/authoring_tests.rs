//! The authoring fixes: template ranges and addresses, bursts placed
//! before the onset and by the second, and lines that stop at the onset.

use oncall_tools::LogLevel;

use crate::generator::tests::{base_spec, burst, invalid_spec, log_effect};
use crate::generator::{BurstSpec, generate};

#[test]
fn range_and_ipv4_templates_stay_in_their_bounds_for_every_seed() {
    let mut spec = base_spec();
    let mut effect = log_effect("port {n:1024-65535} from {ipv4} partition {n:0-0} of {n:7-9}");
    effect.per_minute = 5.0;
    spec.telemetry.fault.log_effects.push(effect);
    let mut seen_ports = std::collections::BTreeSet::new();
    for seed in 0..20 {
        let generated = generate(&spec, seed).unwrap();
        for entry in &generated.telemetry.logs {
            let message = entry.message();
            let Some(rest) = message.strip_prefix("port ") else {
                continue;
            };
            let words: Vec<&str> = rest.split(' ').collect();
            let port: u64 = words[0].parse().unwrap();
            assert!((1024..=65535).contains(&port), "{message}");
            seen_ports.insert(port);
            let octets: Vec<u64> = words[2]
                .split('.')
                .map(|octet| octet.parse().unwrap())
                .collect();
            assert_eq!(octets.len(), 4, "{message}");
            assert_eq!(octets[0], 10, "{message}");
            assert!(octets[1] <= 255 && octets[2] <= 255, "{message}");
            assert!((1..=254).contains(&octets[3]), "{message}");
            assert_eq!(words[4], "0", "{message}");
            assert!(["7", "8", "9"].contains(&words[6]), "{message}");
        }
    }
    assert!(seen_ports.len() > 50, "ports vary: {seen_ports:?}");
}

#[test]
fn template_ranges_that_are_empty_reversed_or_malformed_are_refused_naming_the_field() {
    for (template, says) in [
        (
            "{n:9-1}",
            "`{n:9-1}` is reversed or empty: 9 is more than 1",
        ),
        ("{n:1-}", "`{n:1-}`: `` is not a whole number"),
        ("{n:a-5}", "`{n:a-5}`: `a` is not a whole number"),
        ("{n:5}", "`{n:5}` has no `-` between its bounds"),
        (
            "{n:1-99999999999}",
            "`99999999999` is not a whole number from 0 to 4294967295",
        ),
        ("tail {n:1-2", "`{n:1-2` is not a `{n:A-B}` range"),
    ] {
        let mut spec = base_spec();
        spec.telemetry.services[0].warn_messages =
            vec!["fine {n:1-5}".to_owned(), template.to_owned()];
        let refused = invalid_spec(&spec);
        assert!(
            refused.starts_with("`telemetry.services[0].warn_messages[1]`: "),
            "{template}: {refused}"
        );
        assert!(refused.contains(says), "{template}: {refused}");
    }
}

#[test]
fn bursts_placed_by_the_second_keep_a_causal_order_and_can_precede_the_onset() {
    let mut spec = base_spec();
    spec.telemetry.fault.onset_jitter_minutes = 5;
    let step = |message: &str, offset_seconds: u32| BurstSpec {
        minutes_before_onset: Some(3),
        offset_seconds,
        spacing_seconds: Some(2),
        count: 2,
        messages: vec![message.to_owned()],
        ..burst(2)
    };
    // Two steps of one story in the same seconds, and a third just after:
    // they print in spec order for every seed.
    spec.telemetry.bursts.push(step("1 config loaded", 0));
    spec.telemetry.bursts.push(step("2 record changed", 0));
    spec.telemetry.bursts.push(step("3 cache flushed", 1));
    spec.telemetry
        .fault
        .log_effects
        .push(log_effect("fault line"));
    for seed in 0..20 {
        let generated = generate(&spec, seed).unwrap();
        let logs = &generated.telemetry.logs;
        let story: Vec<(i64, &str)> = logs
            .iter()
            .filter(|entry| entry.message().starts_with(|c: char| c.is_ascii_digit()))
            .map(|entry| (entry.timestamp().timestamp(), entry.message()))
            .collect();
        let messages: Vec<&str> = story.iter().map(|(_, message)| *message).collect();
        assert_eq!(
            messages,
            [
                "1 config loaded",
                "2 record changed",
                "3 cache flushed",
                "1 config loaded",
                "2 record changed",
                "3 cache flushed"
            ],
            "seed {seed}"
        );
        assert_eq!(story[0].0, story[1].0, "the same second");
        assert_eq!(story[3].0 - story[0].0, 2, "exactly 2 s apart");
        let first_fault = logs
            .iter()
            .find(|entry| entry.message() == "fault line")
            .unwrap()
            .timestamp();
        // The story starts 3 minutes before the onset, which moves with the
        // jitter; the fault's first line comes within 2 minutes of the
        // onset (a Poisson rate per minute).
        let before = first_fault.timestamp() - story[0].0;
        assert!(
            (180..=300).contains(&before),
            "seed {seed}: the story starts {before} s before the first fault line"
        );
    }
}

#[test]
fn burst_placements_that_cannot_be_are_refused_naming_the_field() {
    let mut both = base_spec();
    both.telemetry.bursts.push(BurstSpec {
        minutes_after_onset: Some(1),
        minutes_before_onset: Some(1),
        ..burst(1)
    });
    assert!(
        invalid_spec(&both).starts_with(
            "`telemetry.bursts[0].minutes_after_onset` and `telemetry.bursts[0].minutes_before_onset` are both given"
        ),
        "{}",
        invalid_spec(&both)
    );
    for (spacing, offset, field) in [
        (Some(0), 0, "spacing_seconds"),
        (Some(3601), 0, "spacing_seconds"),
        (None, 3601, "offset_seconds"),
    ] {
        let mut spec = base_spec();
        spec.telemetry.bursts.push(BurstSpec {
            spacing_seconds: spacing,
            offset_seconds: offset,
            ..burst(1)
        });
        let refused = invalid_spec(&spec);
        assert!(
            refused.starts_with(&format!("`telemetry.bursts[0].{field}` is ")),
            "{refused}"
        );
    }
}

#[test]
fn lines_that_stop_at_the_onset_hand_over_to_the_fault_with_no_overlap_and_no_gap() {
    let mut spec = base_spec();
    spec.telemetry.fault.onset_jitter_minutes = 10;
    let mut healthy = log_effect("replication healthy");
    healthy.level = LogLevel::Info;
    healthy.per_minute = 6.0;
    healthy.start_minutes_before_alert = Some(spec.telemetry.hours * 60);
    healthy.until_onset = true;
    let mut fault = log_effect("replication broken");
    fault.per_minute = 6.0;
    spec.telemetry.fault.log_effects.push(healthy);
    spec.telemetry.fault.log_effects.push(fault);
    for seed in 0..20 {
        let generated = generate(&spec, seed).unwrap();
        let times = |message: &str| -> Vec<i64> {
            generated
                .telemetry
                .logs
                .iter()
                .filter(|entry| entry.message() == message)
                .map(|entry| entry.timestamp().timestamp())
                .collect()
        };
        let (healthy, broken) = (times("replication healthy"), times("replication broken"));
        let (last_healthy, first_broken) = (healthy[healthy.len() - 1], broken[0]);
        assert!(last_healthy < first_broken, "seed {seed}: they overlap");
        assert!(
            first_broken - last_healthy <= 120,
            "seed {seed}: a gap of {} s",
            first_broken - last_healthy
        );
    }

    let mut unanchored = base_spec();
    let mut effect = log_effect("nothing before");
    effect.until_onset = true;
    unanchored.telemetry.fault.log_effects.push(effect);
    assert!(
        invalid_spec(&unanchored).contains("has `until_onset` but no `start_minutes_before_alert`"),
        "{}",
        invalid_spec(&unanchored)
    );
}

#[test]
fn an_event_days_old_costs_one_line_and_the_scenario_still_loads() {
    let mut spec = base_spec();
    spec.telemetry
        .history
        .push(crate::generator::HistoryLineSpec {
            minutes_before_alert: 2 * 24 * 60,
            service: "cert-renewal".to_owned(),
            level: LogLevel::Error,
            message: "renewal of checkout.example.com failed: ACME challenge timed out".to_owned(),
            host: None,
        });
    let without = generate(&base_spec(), 3).unwrap();
    let generated = generate(&spec, 3).unwrap();
    let logs = &generated.telemetry.logs;
    assert_eq!(
        logs.len(),
        without.telemetry.logs.len() + 1,
        "one line, no noise"
    );
    assert_eq!(logs[0].service(), "cert-renewal");
    let alert = spec.scenario.incident.created_at;
    assert_eq!(logs[0].timestamp(), alert - chrono::Duration::days(2));
    let window = generated.file.window.unwrap();
    assert_eq!(
        window.start,
        logs[0].timestamp(),
        "the window reaches back to it"
    );
    assert_eq!(
        &logs[1..],
        &without.telemetry.logs[..],
        "the rest renders as before"
    );

    let directory = std::env::temp_dir().join(format!("oncall-history-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&directory);
    crate::generator::write_scenario(&directory, &generated).unwrap();
    let loaded = crate::Scenario::load(&directory).unwrap();
    assert_eq!(loaded.window().start, alert - chrono::Duration::days(2));
    let _ = std::fs::remove_dir_all(&directory);

    let mut too_old = base_spec();
    too_old
        .telemetry
        .history
        .push(crate::generator::HistoryLineSpec {
            minutes_before_alert: 600_000,
            ..spec.telemetry.history[0].clone()
        });
    assert!(
        invalid_spec(&too_old).starts_with("`telemetry.history[0].minutes_before_alert` is 600000"),
        "{}",
        invalid_spec(&too_old)
    );
}
