//! Tests of the JSON form of events.

use super::*;
use crate::test_support::sample_run;

#[test]
fn the_json_form_has_a_stable_field_order() {
    let events = sample_run();
    let json = serde_json::to_string(&events[1]).unwrap();
    assert_eq!(
        json,
        r#"{"v":2,"seq":1,"id":"00000000-0000-0000-0000-000000000004","run_id":"00000000-0000-0000-0000-000000000002","step":1,"at":"2026-11-25T12:00:30Z","type":"step_started","payload":{}}"#
    );
}

#[test]
fn version_1_events_are_still_read() {
    // A v1 writer wrote the same fields; a v1 mitigation had no structured
    // answer, which v2 leaves out when absent.
    for event in sample_run() {
        let json = serde_json::to_string(&event)
            .unwrap()
            .replacen(r#"{"v":2,"#, r#"{"v":1,"#, 1);
        let back: Event = serde_json::from_str(&json).unwrap();
        assert_eq!(back, event, "{json}");
    }
}

#[test]
fn every_sample_event_round_trips() {
    for event in sample_run() {
        let json = serde_json::to_string(&event).unwrap();
        let back: Event = serde_json::from_str(&json).unwrap();
        assert_eq!(back, event, "{json}");
    }
}

#[test]
fn the_payload_may_come_before_the_type() {
    for event in sample_run() {
        let value = serde_json::to_value(&event).unwrap();
        let object = value.as_object().unwrap();
        let mut reordered = serde_json::Map::new();
        reordered.insert("payload".to_owned(), object["payload"].clone());
        for (key, value) in object {
            if key != "payload" {
                reordered.insert(key.clone(), value.clone());
            }
        }
        let json = serde_json::to_string(&reordered).unwrap();
        let back: Event = serde_json::from_str(&json).unwrap();
        assert_eq!(back, event, "{json}");
    }
}

fn step_started_with(
    change: impl FnOnce(&mut serde_json::Map<String, serde_json::Value>),
) -> String {
    let events = sample_run();
    let mut value = serde_json::to_value(&events[1]).unwrap();
    change(value.as_object_mut().unwrap());
    let json = serde_json::to_string(&value).unwrap();
    serde_json::from_str::<Event>(&json)
        .unwrap_err()
        .to_string()
}

#[test]
fn bad_events_are_refused_by_name() {
    let error = step_started_with(|o| {
        o.insert("type".to_owned(), "step_paused".into());
    });
    assert!(
        error.starts_with("unknown event type `step_paused`"),
        "{error}"
    );
    for version in [0, 4] {
        let error = step_started_with(|o| {
            o.insert("v".to_owned(), version.into());
        });
        assert!(
            error.starts_with(&format!(
                "unsupported format version {version}, expected 1 to 3"
            )),
            "{error}"
        );
    }
    let error = step_started_with(|o| {
        o.remove("step");
    });
    assert!(error.starts_with("missing field `step`"), "{error}");
    let error = step_started_with(|o| {
        o.insert("colour".to_owned(), "red".into());
    });
    assert!(error.starts_with("unknown field `colour`"), "{error}");
    let error = step_started_with(|o| {
        o.insert("payload".to_owned(), serde_json::json!({"reason": "x"}));
    });
    assert!(error.starts_with("unknown field `reason`"), "{error}");
    let error = step_started_with(|o| {
        o.insert("prev".to_owned(), "00".into());
    });
    assert!(error.contains("read it with `read_chain`"), "{error}");
    let duplicated = r#"{"v":1,"v":1}"#;
    let error = serde_json::from_str::<Event>(duplicated).unwrap_err();
    assert!(
        error.to_string().starts_with("duplicate field `v`"),
        "{error}"
    );
}

#[test]
fn a_sample_run_snapshot() {
    insta::assert_json_snapshot!("sample_run_events", sample_run());
}

#[test]
fn a_model_call_is_written_as_version_3_and_refused_under_an_older_one() {
    let call = oncall_domain::ModelCall::new("gpt-4o", 900, 40, 512, "tool_calls").unwrap();
    let events = sample_run();
    let step_started = &events[1];
    let event = Event::new(
        step_started.id(),
        step_started.sequence(),
        step_started.run_id(),
        step_started.step(),
        step_started.timestamp(),
        EventKind::ModelCalled { call: call.clone() },
    );
    let json = serde_json::to_string(&event).unwrap();
    assert!(json.starts_with(r#"{"v":3,"#), "{json}");
    assert!(
        json.ends_with(r#""type":"model_called","payload":{"call":{"model":"gpt-4o","input_tokens":900,"output_tokens":40,"cached_tokens":512,"stop_reason":"tool_calls"}}}"#),
        "{json}"
    );
    assert_eq!(serde_json::from_str::<Event>(&json).unwrap(), event);
    // Every other kind is still written as version 2.
    let other = serde_json::to_string(step_started).unwrap();
    assert!(other.starts_with(r#"{"v":2,"#), "{other}");
    let older = json.replacen(r#"{"v":3,"#, r#"{"v":2,"#, 1);
    let error = serde_json::from_str::<Event>(&older)
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with("`model_called` needs format version 3 or later, but the line says 2"),
        "{error}"
    );
    let bad = json.replace(r#""cached_tokens":512"#, r#""cached_tokens":5120"#);
    let error = serde_json::from_str::<Event>(&bad).unwrap_err().to_string();
    assert!(error.contains("cached_tokens"), "{error}");
}
