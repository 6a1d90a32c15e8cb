//! The loader on inputs at the edges: step limits out of range, paths that
//! are not regular files, empty files, a byte-order mark, files cut short,
//! record rules that name their field, and fixtures roots holding things
//! that are not scenarios.

use std::path::{Path, PathBuf};

use crate::error::{FixtureError, ScenarioError, SkippedEntry};
use crate::generator::load_spec;
use crate::runner::{RunError, RunSettings, run_scenario};
use crate::scenario::{Scenario, scan_fixtures_root, scenario_directories};
use crate::scenario_file::{MAX_STEPS, ScenarioFile};
use crate::test_support::{TempDir, scenario_json, telemetry};

fn load_error(directory: &Path) -> String {
    Scenario::load(directory).unwrap_err().to_string()
}

/// Writes `scenario.json` of the tiny scenario with `max_steps` set.
fn with_max_steps(directory: &Path, max_steps: u64) {
    let mut file = scenario_json();
    file["ground_truth"]["max_steps"] = serde_json::json!(max_steps);
    std::fs::write(
        directory.join("scenario.json"),
        serde_json::to_string_pretty(&file).unwrap(),
    )
    .unwrap();
}

#[test]
fn max_steps_outside_one_to_the_cap_is_refused_at_load_naming_the_field() {
    let temp = TempDir::new("max-steps");
    let directory = temp.write_tiny("tiny");
    for (max_steps, shown) in [(4_294_967_295, "4294967295"), (0, "0"), (1_001, "1001")] {
        with_max_steps(&directory, max_steps);
        let message = load_error(&directory);
        let text = std::fs::read_to_string(directory.join("scenario.json")).unwrap();
        let line = text[..text.find("\"max_steps\"").unwrap()]
            .matches('\n')
            .count()
            + 1;
        let prefix = format!("{}:{line}:", directory.join("scenario.json").display());
        assert!(message.starts_with(&prefix), "{message}");
        assert!(
            message.ends_with(&format!(
                ": ground_truth.max_steps: must be between 1 and 1000 (the most steps any run may take), got {shown}"
            )),
            "{message}"
        );
    }
    with_max_steps(&directory, u64::from(MAX_STEPS));
    let scenario = Scenario::load(&directory).unwrap();
    assert_eq!(scenario.ground_truth().max_steps, 1_000);
}

#[test]
fn a_step_limit_over_the_cap_built_in_code_is_a_problem_and_cannot_run() {
    let mut file: ScenarioFile = serde_json::from_value(scenario_json()).unwrap();
    file.ground_truth.max_steps = u32::MAX;
    let scenario = Scenario::from_parts(file, telemetry());
    let problems: Vec<String> = scenario.validate().iter().map(|p| p.to_string()).collect();
    assert_eq!(
        problems,
        ["tiny: ground_truth.max_steps is 4294967295, but must be between 1 and 1000"]
    );
    let mut oracle = crate::oracle::OracleAgent::new(&scenario);
    let error = run_scenario(&scenario, &mut oracle, RunSettings::default(), None).unwrap_err();
    assert!(
        matches!(
            error,
            RunError::StepLimitTooHigh {
                max_steps: u32::MAX,
                limit: 1_000,
                ..
            }
        ),
        "{error}"
    );
    assert_eq!(
        error.to_string(),
        "scenario `tiny` cannot be run with a limit of 4294967295 steps: the limit must be between 1 and 1000"
    );
    let settings = RunSettings {
        seed: 0,
        max_steps: Some(1_001),
    };
    assert!(run_scenario(&scenario, &mut oracle, settings, None).is_err());
}

#[test]
fn a_directory_or_a_device_in_place_of_a_file_is_refused_before_reading() {
    let temp = TempDir::new("not-a-file");
    let directory = temp.write_tiny("tiny");
    let logs = directory.join("logs.json");
    std::fs::remove_file(&logs).unwrap();
    std::fs::create_dir(&logs).unwrap();
    let error = Scenario::load(&directory).unwrap_err();
    assert!(
        matches!(
            &error,
            ScenarioError::Fixture(FixtureError::NotAFile { .. })
        ),
        "{error}"
    );
    assert_eq!(
        error.to_string(),
        format!(
            "{}: it is a directory, not a regular file; fixture files must be regular files",
            logs.display()
        )
    );
    #[cfg(unix)]
    {
        // /dev/zero never ends: it must be refused, not read up to the cap.
        std::fs::remove_dir(&logs).unwrap();
        std::os::unix::fs::symlink("/dev/zero", &logs).unwrap();
        assert!(
            load_error(&directory).ends_with(
                "logs.json: it is a character device, not a regular file; fixture files must be regular files"
            ),
            "{}",
            load_error(&directory)
        );
    }
}

/// A FIFO would block the open until a writer came. std cannot make one, so
/// the `mkfifo` program does; the load runs on a thread so that a
/// regression fails the test instead of hanging it.
#[cfg(target_os = "linux")]
#[test]
fn a_fifo_in_place_of_a_file_is_refused_without_waiting() {
    let temp = TempDir::new("fifo");
    let directory = temp.write_tiny("tiny");
    let logs = directory.join("logs.json");
    std::fs::remove_file(&logs).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(&logs)
        .status()
        .expect("the mkfifo program is needed for this test");
    assert!(made.success(), "mkfifo failed: {made}");
    let (sender, receiver) = std::sync::mpsc::channel();
    let loading = directory.clone();
    std::thread::spawn(move || {
        let _ = sender.send(
            Scenario::load(&loading)
                .map(|_| ())
                .map_err(|e| e.to_string()),
        );
    });
    let result = receiver.recv_timeout(std::time::Duration::from_secs(10));
    if result.is_err() {
        // Unblock the loader before failing.
        let _ = std::fs::OpenOptions::new().write(true).open(&logs);
    }
    let message = result
        .expect("loading a FIFO blocked instead of being refused")
        .unwrap_err();
    assert!(
        message.ends_with("logs.json: it is a named pipe (FIFO), not a regular file; fixture files must be regular files"),
        "{message}"
    );
}

#[test]
fn an_empty_file_and_a_byte_order_mark_are_named() {
    let temp = TempDir::new("empty-bom");
    let directory = temp.write_tiny("tiny");
    let logs = directory.join("logs.json");
    for empty in ["", " \n\t\n"] {
        std::fs::write(&logs, empty).unwrap();
        assert_eq!(
            load_error(&directory),
            format!(
                "{}: the file is empty; it must hold a JSON document",
                logs.display()
            )
        );
    }
    std::fs::write(&logs, "\u{feff}[]").unwrap();
    assert_eq!(
        load_error(&directory),
        format!(
            "{}: the file starts with a UTF-8 byte-order mark (BOM); save it as UTF-8 without a BOM",
            logs.display()
        )
    );
    // serde's column 0 ("before the first character") reads as column 1.
    std::fs::write(&logs, "{}").unwrap();
    assert_eq!(
        load_error(&directory),
        format!(
            "{}:1:1: .: invalid type: map, expected a sequence",
            logs.display()
        )
    );
}

#[test]
fn a_spec_cut_short_names_the_enclosing_value_never_a_question_mark() {
    let temp = TempDir::new("spec-cut");
    let path = temp.path.join("spec.json");
    for (text, expected) in [
        ("{\"seed\": 1,", ":1:11: .: EOF while parsing a value"),
        ("{", ":1:1: .: EOF while parsing an object"),
        (
            "{\"scenario\": {\"id\": \"x\",",
            ":1:24: scenario: EOF while parsing a value",
        ),
    ] {
        std::fs::write(&path, text).unwrap();
        let message = load_spec(&path).unwrap_err().to_string();
        assert_eq!(message, format!("{}{expected}", path.display()), "{text}");
    }
}

#[test]
fn a_record_rule_about_one_field_names_that_field() {
    let temp = TempDir::new("record-field");
    let directory = temp.write_tiny("tiny");
    std::fs::write(
        directory.join("logs.json"),
        r#"[{"timestamp": "2026-11-20T14:00:00Z", "service": " ", "level": "info", "message": "m"}]"#,
    )
    .unwrap();
    let message = load_error(&directory);
    assert!(
        message.ends_with(":1:88: [0].service: `service` must not be empty or whitespace"),
        "{message}"
    );
    // A field that already names itself is not named twice.
    std::fs::write(
        directory.join("logs.json"),
        r#"[{"timestamp": "2026-11-20T14:00:00Z", "service": "a", "level": "loud", "message": "m"}]"#,
    )
    .unwrap();
    let message = load_error(&directory);
    assert!(
        message.contains(": [0].level: `level` is `loud`"),
        "{message}"
    );
    std::fs::write(
        directory.join("runbooks.json"),
        r#"[{"id": "rb", "title": "t", "steps": []}]"#,
    )
    .unwrap();
    std::fs::write(directory.join("logs.json"), "[]").unwrap();
    let message = load_error(&directory);
    assert!(
        message.contains(": [0].steps: `steps` must list"),
        "{message}"
    );
}

#[test]
fn subdirectories_that_are_not_scenarios_are_reported_as_skipped() {
    let temp = TempDir::new("skipped");
    let scenario = temp.write_tiny("good");
    let misspelt = temp.path.join("misspelt");
    std::fs::create_dir(&misspelt).unwrap();
    std::fs::write(misspelt.join("scenario.jsn"), "{}").unwrap();
    std::fs::create_dir(temp.path.join(".hidden")).unwrap();
    std::fs::write(temp.path.join("README.md"), "notes").unwrap();
    let scan = scan_fixtures_root(&temp.path).unwrap();
    assert_eq!(scan.scenarios, std::slice::from_ref(&scenario));
    let skipped: Vec<String> = scan.skipped.iter().map(|s| s.to_string()).collect();
    assert_eq!(
        skipped,
        [format!(
            "{}: skipped: the directory has no `scenario.json`, so it is not a scenario",
            misspelt.display()
        )]
    );
    // The old listing is unchanged.
    assert_eq!(scenario_directories(&temp.path).unwrap(), [scenario]);
}

/// Linux's "too many levels of symbolic links" (`ErrorKind::FilesystemLoop`
/// is not stable yet).
#[cfg(target_os = "linux")]
const ELOOP: i32 = 40;

#[cfg(target_os = "linux")]
#[test]
fn symlink_loops_report_the_real_error_not_a_missing_scenario() {
    let temp = TempDir::new("symlink-loop");
    temp.write_tiny("good");
    let looped: PathBuf = temp.path.join("looped");
    std::os::unix::fs::symlink(&looped, &looped).unwrap();
    let scan = scan_fixtures_root(&temp.path).unwrap();
    assert_eq!(scan.scenarios.len(), 1);
    match scan.skipped.as_slice() {
        [SkippedEntry::Unreadable { path, source }] => {
            assert_eq!(*path, looped);
            assert_eq!(source.raw_os_error(), Some(ELOOP), "{source}");
        }
        other => panic!("expected the loop to be reported, got {other:?}"),
    }
    let error = Scenario::load_named(&temp.path, "looped").unwrap_err();
    assert!(
        matches!(&error, ScenarioError::Fixture(FixtureError::Read { source, .. })
            if source.raw_os_error() == Some(ELOOP)),
        "{error}"
    );
    let error = Scenario::load_named(&looped, "good").unwrap_err();
    assert!(
        matches!(&error, ScenarioError::ListRoot { source, .. }
            if source.raw_os_error() == Some(ELOOP)),
        "{error}"
    );
}

#[test]
fn the_bundled_fixtures_root_skips_nothing() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/incidents");
    let scan = scan_fixtures_root(&root).unwrap();
    let skipped: Vec<String> = scan.skipped.iter().map(|s| s.to_string()).collect();
    assert!(skipped.is_empty(), "{}", skipped.join("\n"));
    assert!(!scan.scenarios.is_empty());
}
