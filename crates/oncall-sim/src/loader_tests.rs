//! The fixture loader on every class of bad input: each yields the
//! documented error with its location, and nothing panics.

use proptest::prelude::*;

use crate::error::{FixtureError, ScenarioError};
use crate::fixture::LoadLimits;
use crate::scenario::{Scenario, scenario_directories, scenario_directories_capped};
use crate::test_support::TempDir;

fn load_error(directory: &std::path::Path) -> String {
    Scenario::load(directory).unwrap_err().to_string()
}

#[test]
fn a_valid_scenario_directory_loads() {
    let temp = TempDir::new("valid");
    let directory = temp.write_tiny("tiny");
    let scenario = Scenario::load(&directory).unwrap();
    assert_eq!(scenario.id(), "tiny");
    assert_eq!(scenario.data_store().all_logs().len(), 3);
    assert_eq!(scenario.directory(), Some(directory.as_path()));
}

#[test]
fn malformed_json_names_file_line_and_column() {
    let temp = TempDir::new("malformed");
    let directory = temp.write_tiny("tiny");
    std::fs::write(
        directory.join("logs.json"),
        "[\n  {\"timestamp\": \"2026-11-20T14:00:00Z\",\n  \"service\": ",
    )
    .unwrap();
    let message = load_error(&directory);
    let expected_prefix = format!("{}:3:", directory.join("logs.json").display());
    assert!(message.starts_with(&expected_prefix), "{message}");
    assert!(message.contains("EOF while parsing"), "{message}");
}

#[test]
fn a_wrong_type_names_the_json_path() {
    let temp = TempDir::new("wrong-type");
    let directory = temp.write_tiny("tiny");
    std::fs::write(
        directory.join("metrics.json"),
        r#"[{"service": "checkout", "name": "cpu", "points": [{"timestamp": "2026-11-20T14:00:00Z", "value": "high"}]}]"#,
    )
    .unwrap();
    let message = load_error(&directory);
    assert!(message.contains("metrics.json:1:"), "{message}");
    assert!(
        message.contains(": [0].points[0].value: invalid type: string \"high\", expected f64"),
        "{message}"
    );
}

#[test]
fn an_unknown_field_is_rejected_by_name() {
    let temp = TempDir::new("unknown-field");
    let directory = temp.write_tiny("tiny");
    let mut scenario: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(directory.join("scenario.json")).unwrap())
            .unwrap();
    scenario["ground_truth"]["root_cause"]["servce"] = serde_json::json!("typo");
    std::fs::write(
        directory.join("scenario.json"),
        serde_json::to_string_pretty(&scenario).unwrap(),
    )
    .unwrap();
    let message = load_error(&directory);
    assert!(message.contains("scenario.json:"), "{message}");
    assert!(
        message.contains("ground_truth.root_cause.servce: unknown field `servce`"),
        "{message}"
    );
}

#[test]
fn a_bad_timestamp_names_the_field() {
    let temp = TempDir::new("bad-timestamp");
    let directory = temp.write_tiny("tiny");
    std::fs::write(
        directory.join("logs.json"),
        "[\n  {\"timestamp\": \"yesterday at noon\", \"service\": \"a\", \"level\": \"info\", \"message\": \"m\"}\n]",
    )
    .unwrap();
    let message = load_error(&directory);
    assert!(message.contains("logs.json:2:"), "{message}");
    assert!(
        message.contains("[0].timestamp: input contains invalid characters"),
        "{message}"
    );
}

#[test]
fn a_missing_scenario_file_is_an_error_and_missing_telemetry_is_empty() {
    let temp = TempDir::new("missing");
    let directory = temp.write_tiny("tiny");
    std::fs::remove_file(directory.join("runbooks.json")).unwrap();
    let scenario = Scenario::load(&directory).unwrap();
    assert!(scenario.data_store().all_runbooks().is_empty());
    std::fs::remove_file(directory.join("scenario.json")).unwrap();
    let error = Scenario::load(&directory).unwrap_err();
    assert!(matches!(
        error,
        ScenarioError::Fixture(FixtureError::Missing { .. })
    ));
    assert!(
        error.to_string().ends_with("scenario.json: file not found"),
        "{error}"
    );
}

#[test]
fn an_oversized_file_is_refused_before_parsing() {
    let temp = TempDir::new("oversized");
    let directory = temp.write_tiny("tiny");
    // Not even JSON: it must be refused on size alone.
    std::fs::write(directory.join("logs.json"), vec![b'x'; 4096]).unwrap();
    let limits = LoadLimits {
        max_file_bytes: 4000,
    };
    let error = Scenario::load_with_limits(&directory, limits).unwrap_err();
    let message = error.to_string();
    assert!(
        message.ends_with(
            "logs.json: the file is 4096 bytes, over the 4000-byte cap on one fixture file; \
             every scenario file must stay under it (render fewer hours or services of \
             telemetry), or a program loading it may raise `LoadLimits::max_file_bytes`"
        ),
        "{message}"
    );
}

#[test]
fn path_traversal_names_are_refused() {
    let temp = TempDir::new("traversal");
    temp.write_tiny("tiny");
    for name in [
        "../../etc",
        "..",
        "/etc/passwd",
        "tiny/../tiny",
        "Tiny",
        "",
        "a b",
        &"x".repeat(65),
    ] {
        let error = Scenario::load_named(&temp.path, name).unwrap_err();
        assert!(
            matches!(error, ScenarioError::InvalidName { .. }),
            "{name}: {error}"
        );
        assert!(error.to_string().contains("is not allowed"), "{error}");
    }
    assert!(Scenario::load_named(&temp.path, "tiny").is_ok());
    let missing = Scenario::load_named(&temp.path, "nope").unwrap_err();
    assert!(
        matches!(missing, ScenarioError::NotFound { .. }),
        "{missing}"
    );
}

#[test]
fn scenario_directories_lists_only_directories_with_a_scenario_file_sorted() {
    let temp = TempDir::new("listing");
    let second = temp.write_tiny("second");
    let first = temp.write_tiny("first");
    std::fs::create_dir(temp.path.join("empty")).unwrap();
    std::fs::write(temp.path.join("README.md"), "notes").unwrap();
    assert_eq!(scenario_directories(&temp.path).unwrap(), [first, second]);
}

#[test]
fn a_root_that_cannot_be_listed_reports_the_real_error_and_the_path() {
    let temp = TempDir::new("unlistable");
    let missing = temp.path.join("no-such-root");
    let error = scenario_directories(&missing).unwrap_err();
    assert!(
        matches!(&error, ScenarioError::ListRoot { root, source }
            if *root == missing && source.kind() == std::io::ErrorKind::NotFound),
        "{error:?}"
    );
    let message = error.to_string();
    let expected = format!(
        "{}: cannot list the scenario directories: ",
        missing.display()
    );
    assert!(message.starts_with(&expected), "{message}");
    assert!(
        message.len() > expected.len(),
        "the operating system's reason is missing: {message}"
    );

    let file = temp.path.join("a-file");
    std::fs::write(&file, "not a directory").unwrap();
    let error = scenario_directories(&file).unwrap_err();
    assert!(
        matches!(&error, ScenarioError::ListRoot { root, .. } if *root == file),
        "{error:?}"
    );
}

#[test]
fn a_root_with_more_entries_than_the_cap_is_refused() {
    let temp = TempDir::new("crowded");
    temp.write_tiny("one");
    temp.write_tiny("two");
    std::fs::write(temp.path.join("notes.txt"), "not a scenario").unwrap();
    // Every entry counts, scenario or not.
    assert_eq!(scenario_directories_capped(&temp.path, 3).unwrap().len(), 2);
    let error = scenario_directories_capped(&temp.path, 2).unwrap_err();
    assert!(
        matches!(error, ScenarioError::TooManyEntries { limit: 2, .. }),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        format!(
            "{}: more than 2 entries; a fixtures root may hold at most 2 (split the library)",
            temp.path.display()
        )
    );
}

#[test]
fn an_invalid_incident_is_a_load_error() {
    let temp = TempDir::new("bad-incident");
    let directory = temp.write_tiny("tiny");
    let text = std::fs::read_to_string(directory.join("scenario.json"))
        .unwrap()
        .replace(
            "\"service\": \"checkout\",\n    \"description\"",
            "\"service\": \" \",\n    \"description\"",
        );
    std::fs::write(directory.join("scenario.json"), text).unwrap();
    let message = load_error(&directory);
    assert!(
        message.contains("incident: `service` must not be empty"),
        "{message}"
    );
}

#[test]
fn embedded_files_load_like_a_directory() {
    let temp = TempDir::new("embedded");
    let directory = temp.write_tiny("tiny");
    let names = [
        "scenario.json",
        "logs.json",
        "metrics.json",
        "deploys.json",
        "runbooks.json",
    ];
    let contents: Vec<(&str, Vec<u8>)> = names
        .iter()
        .map(|name| (*name, std::fs::read(directory.join(name)).unwrap()))
        .collect();
    let files: Vec<(&str, &[u8])> = contents
        .iter()
        .map(|(name, bytes)| (*name, bytes.as_slice()))
        .collect();
    let embedded = Scenario::from_embedded(std::path::Path::new("builtin/tiny"), &files).unwrap();
    let loaded = Scenario::load(&directory).unwrap();
    assert_eq!(embedded.file(), loaded.file());
    assert_eq!(*embedded.data_store(), *loaded.data_store());
    let error =
        Scenario::from_embedded(std::path::Path::new("builtin/tiny"), &files[1..]).unwrap_err();
    assert_eq!(
        error.to_string(),
        "builtin/tiny/scenario.json: file not found"
    );
}

proptest! {
    #[test]
    fn arbitrary_bytes_in_any_fixture_file_never_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..300),
        file in 0usize..5,
    ) {
        let names = ["scenario.json", "logs.json", "metrics.json", "deploys.json", "runbooks.json"];
        let temp = TempDir::new(&format!("fuzz-{file}"));
        let directory = temp.write_tiny("tiny");
        std::fs::write(directory.join(names[file]), &bytes).unwrap();
        let _ = Scenario::load(&directory);
    }
}
