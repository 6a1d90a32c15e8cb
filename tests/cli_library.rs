//! How the command reads a fixtures root: what it skips, and paths it
//! cannot look at.

use std::fs;

use crate::support::{assert_has, copy_scenario, fixtures_root, oncall_gym, scratch_dir};

#[test]
fn a_directory_without_scenario_json_is_warned_about_not_dropped_silently() {
    let root = scratch_dir("skipped-directory");
    copy_scenario(
        &fixtures_root().join("latency_spike"),
        &root.join("latency_spike"),
    );
    // A scenario whose file name is misspelt.
    let typo = root.join("orders_deploy_errors");
    copy_scenario(&fixtures_root().join("orders_deploy_errors"), &typo);
    fs::rename(typo.join("scenario.json"), typo.join("scenario.jsn")).unwrap();
    let root_text = root.to_str().unwrap();
    let warning = format!(
        "warning: {}: skipped: the directory has no `scenario.json`",
        typo.display()
    );

    let validated = oncall_gym(&["validate", root_text]);
    validated.expect_code(0);
    assert_has(&validated.stderr, &warning);
    assert_has(&validated.stdout, "1 valid, 0 invalid");

    let listed = oncall_gym(&["--fixtures", root_text, "scenarios"]);
    listed.expect_code(0);
    assert_has(&listed.stderr, &warning);
    assert_has(&listed.stdout, "latency_spike");
    assert!(
        !listed.stdout.contains("orders_deploy_errors"),
        "{}",
        listed.stdout
    );

    let evaluated = oncall_gym(&["--fixtures", root_text, "eval", "--agent", "oracle"]);
    evaluated.expect_code(0);
    assert_has(&evaluated.stderr, &warning);
}

#[cfg(unix)]
#[test]
fn a_symbolic_link_loop_is_reported_with_the_systems_reason() {
    let root = scratch_dir("symlink-loop");
    let looping = root.join("loop");
    std::os::unix::fs::symlink(&looping, &looping).unwrap();
    let looping_text = looping.to_str().unwrap();
    for arguments in [vec!["run", looping_text], vec!["validate", looping_text]] {
        let ran = oncall_gym(&arguments);
        ran.expect_code(1);
        assert_has(&ran.stderr, &format!("{looping_text}: cannot read it: "));
        assert!(
            !ran.stderr.contains("no such scenario directory"),
            "{arguments:?}: {}",
            ran.stderr
        );
    }
}

#[test]
fn one_directory_spelt_two_ways_is_one_scenario_given_twice() {
    let ran = oncall_gym(&[
        "eval",
        "latency_spike",
        "./fixtures/incidents/latency_spike",
        "--agent",
        "oracle",
    ]);
    ran.expect_code(1);
    assert_has(&ran.stderr, "scenario `latency_spike` (");
    assert_has(&ran.stderr, ") is given more than once");
    assert!(
        !ran.stderr.contains("used by 2 directories"),
        "{}",
        ran.stderr
    );
}
