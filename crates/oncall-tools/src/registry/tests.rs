use std::sync::atomic::{AtomicU64, Ordering};

use oncall_domain::ExecutionTimer;
use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::context::ToolLimits;
use crate::error::ToolExecutionError;
use crate::params::ValidatedParams;
use crate::tool::ToolOutput;
use crate::tools::fixture::{assert_problem, call_id, context, data, now, problems, source};

/// A configurable test tool.
#[derive(Debug)]
struct FakeTool {
    name: &'static str,
    description: &'static str,
    schema: Value,
    behaviour: Behaviour,
}

#[derive(Debug, Clone, Copy)]
enum Behaviour {
    Echo,
    Fail,
    Panic,
}

impl FakeTool {
    fn new(name: &'static str, behaviour: Behaviour) -> FakeTool {
        FakeTool {
            name,
            description: "A tool for tests.",
            schema: json!({
                "type": "object",
                "properties": {
                    "text": {"type": ["string", "null"], "description": "Some text."}
                },
                "required": ["text"],
                "additionalProperties": false
            }),
            behaviour,
        }
    }
}

impl Tool for FakeTool {
    fn name(&self) -> &str {
        self.name
    }

    fn description(&self) -> &str {
        self.description
    }

    fn parameters_schema(&self) -> &Value {
        &self.schema
    }

    fn execute(
        &self,
        params: &ValidatedParams,
        _context: &ToolContext<'_>,
        _source: &dyn DataSource,
    ) -> Result<ToolOutput, ToolExecutionError> {
        match self.behaviour {
            Behaviour::Echo => Ok(ToolOutput::new(
                json!({"text": params.string("text")}),
                None,
            )),
            Behaviour::Fail => Err(ToolExecutionError::NotFound {
                parameter: "text".to_owned(),
                message: "nothing like that".to_owned(),
            }),
            Behaviour::Panic => panic!("a buggy tool"),
        }
    }
}

/// A timer that moves 7 µs every time it is read.
#[derive(Debug, Default)]
struct TickingTimer(AtomicU64);

impl ExecutionTimer for TickingTimer {
    fn read_micros(&self) -> u64 {
        self.0.fetch_add(7, Ordering::Relaxed) + 7
    }
}

#[test]
fn default_tools_are_listed_in_a_stable_order() {
    let registry = ToolRegistry::with_default_tools();
    assert_eq!(
        registry.names(),
        vec!["services", "logs", "metrics", "deploys", "runbook"]
    );
    let names: Vec<String> = registry
        .definitions()
        .iter()
        .map(|definition| definition.name().to_owned())
        .collect();
    assert_eq!(
        names,
        vec!["services", "logs", "metrics", "deploys", "runbook"]
    );
    assert_eq!(registry.len(), 5);
    assert!(ToolRegistry::new().is_empty());
}

#[test]
fn duplicate_and_invalid_names_are_rejected() {
    let mut registry = ToolRegistry::with_default_tools();
    assert_eq!(
        registry.register(Box::new(FakeTool::new("logs", Behaviour::Echo))),
        Err(RegistryError::DuplicateName {
            name: "logs".to_owned()
        })
    );
    for (name, reason) in [
        ("", "it is empty"),
        ("Logs", "it must start with a lowercase letter"),
        ("1logs", "it must start with a lowercase letter"),
        (
            "log-search",
            "it may hold only lowercase letters, digits and underscores",
        ),
    ] {
        let error = registry
            .register(Box::new(FakeTool::new(name, Behaviour::Echo)))
            .unwrap_err();
        assert_eq!(
            error,
            RegistryError::InvalidName {
                name: name.to_owned(),
                reason
            }
        );
    }
    let long: &'static str = Box::leak("a".repeat(65).into_boxed_str());
    assert!(matches!(
        registry.register(Box::new(FakeTool::new(long, Behaviour::Echo))),
        Err(RegistryError::InvalidName { .. })
    ));
    let just_right: &'static str = Box::leak("a".repeat(64).into_boxed_str());
    registry
        .register(Box::new(FakeTool::new(just_right, Behaviour::Echo)))
        .unwrap();
}

#[test]
fn blank_descriptions_and_non_strict_schemas_are_rejected() {
    let mut registry = ToolRegistry::new();
    let mut tool = FakeTool::new("fake", Behaviour::Echo);
    tool.description = "  ";
    assert_eq!(
        registry.register(Box::new(tool)),
        Err(RegistryError::EmptyDescription {
            name: "fake".to_owned()
        })
    );
    let mut tool = FakeTool::new("fake", Behaviour::Echo);
    tool.schema = json!({"type": "object", "properties": {}});
    let error = registry.register(Box::new(tool)).unwrap_err();
    assert_eq!(
        error.to_string(),
        "tool `fake` has an invalid parameter schema: `additionalProperties` must be false; `required` must be an array"
    );
}

#[test]
fn unknown_tools_are_errors_listing_the_available_ones() {
    let registry = ToolRegistry::with_default_tools();
    let error = registry.get("traces").unwrap_err();
    assert_eq!(
        error.to_string(),
        "unknown tool `traces`; available tools: services, logs, metrics, deploys, runbook"
    );
    let result = registry.call("traces", &json!({}), &context(), &source());
    assert_eq!(result.tool_name(), "traces");
    assert_eq!(result.call_id(), call_id());
    assert_problem(
        &result,
        None,
        "available tools: services, logs, metrics, deploys, runbook",
    );
    let blank = registry.call("  ", &json!({}), &context(), &source());
    assert_eq!(blank.tool_name(), "unknown");
    let long = registry.call(&"x".repeat(10_000), &json!({}), &context(), &source());
    assert_eq!(long.tool_name().chars().count(), 65);
}

#[test]
fn calls_are_timed_with_the_context_timer() {
    let mut registry = ToolRegistry::new();
    registry
        .register(Box::new(FakeTool::new("fake", Behaviour::Echo)))
        .unwrap();
    let timer = TickingTimer::default();
    let context = ToolContext::new(now(), call_id(), ToolLimits::default(), &timer);
    let result = registry.call("fake", &json!({"text": "hi"}), &context, &source());
    assert_eq!(data(&result), &json!({"text": "hi"}));
    assert_eq!(result.tool_name(), "fake");
    assert_eq!(result.execution_time_us(), 7);
    let frozen = registry.call(
        "fake",
        &json!({}),
        &crate::tools::fixture::context(),
        &source(),
    );
    assert_eq!(frozen.execution_time_us(), 0);
    assert_eq!(data(&frozen), &json!({"text": null}));
}

#[test]
fn execution_errors_and_panics_become_failed_results() {
    let mut registry = ToolRegistry::new();
    registry
        .register(Box::new(FakeTool::new("failing", Behaviour::Fail)))
        .unwrap();
    registry
        .register(Box::new(FakeTool::new("panicking", Behaviour::Panic)))
        .unwrap();
    let failed = registry.call("failing", &json!({}), &context(), &source());
    assert_eq!(
        problems(&failed),
        vec![(Some("text".to_owned()), "nothing like that".to_owned())]
    );
    let panicked = registry.call("panicking", &json!({}), &context(), &source());
    assert_problem(&panicked, None, "it panicked");
    assert_eq!(panicked.tool_name(), "panicking");
}

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let names = prop::sample::select(vec![
        "service",
        "min_level",
        "start",
        "end",
        "last_minutes",
        "pattern",
        "regex",
        "limit",
        "metric",
        "aggregation",
        "bucket_seconds",
        "runbook_id",
        "keywords",
        "other",
    ]);
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-100i64..2000).prop_map(Value::from),
        any::<f64>().prop_map(
            |number| serde_json::Number::from_f64(number).map_or(Value::Null, Value::Number)
        ),
        Just(json!(1e308)),
        ".{0,40}".prop_map(Value::from),
        prop::sample::select(vec![
            "checkout",
            "CHECKOUT",
            "db",
            "nope",
            "error",
            "buckets",
            "raw",
            "rb-pool",
            "2026-11-25T11:30:00Z",
            "2026-11-25T12:30:00Z",
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
            "(",
            "(?i)pool",
            "a{99999}",
            "latency_p99_ms",
        ])
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((names.clone(), inner.clone()), 0..8).prop_map(|pairs| {
                Value::Object(
                    pairs
                        .into_iter()
                        .map(|(name, value)| (name.to_owned(), value))
                        .collect(),
                )
            }),
            prop::collection::vec((".{0,8}", inner), 0..3)
                .prop_map(|pairs| { Value::Object(pairs.into_iter().collect()) }),
        ]
    })
}

/// Whether every RFC 3339 string inside `value` is at or before "now".
fn no_timestamp_after_now(value: &Value) -> bool {
    match value {
        Value::String(text) => crate::params::parse_rfc3339(text).map_or(true, |at| at <= now()),
        Value::Array(items) => items.iter().all(no_timestamp_after_now),
        Value::Object(map) => map.values().all(no_timestamp_after_now),
        _ => true,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_json_as_parameters_gives_a_result_and_never_a_panic(params in arbitrary_json()) {
        let registry = ToolRegistry::with_default_tools();
        let source = source();
        let context = context();
        for name in ["logs", "metrics", "deploys", "runbook", "no_such_tool"] {
            let result = registry.call(name, &params, &context, &source);
            prop_assert_eq!(result.tool_name(), name);
            prop_assert_eq!(result.call_id(), call_id());
            prop_assert_eq!(result.is_success(), result.errors().is_empty());
            prop_assert_eq!(result.is_success(), result.data().is_some());
            prop_assert!(result.errors().len() <= crate::params::MAX_REPORTED_ERRORS + 1);
            // Nothing from after the incident time, whatever the window.
            if let Some(data) = result.data() {
                let text = data.to_string();
                for marker in ["AFTER NOW", "99999", "\"d-4\""] {
                    prop_assert!(!text.contains(marker), "{} in {}", marker, text);
                }
                prop_assert!(no_timestamp_after_now(data), "{}", text);
            }
        }
    }
}
