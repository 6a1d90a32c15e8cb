//! A smoke test of the built binary. The command's real tests are the
//! workspace's phase 6 tests in `tests/cli.rs`; this one also makes
//! `cargo test -p oncall-gym` build the `oncall-gym` binary that they run.

use std::process::Command;

#[test]
fn the_binary_prints_its_version_and_refuses_usage_errors_with_code_2() {
    let binary = env!("CARGO_BIN_EXE_oncall-gym");
    let version = Command::new(binary).arg("--version").output().unwrap();
    assert_eq!(version.status.code(), Some(0));
    let text = String::from_utf8(version.stdout).unwrap();
    assert_eq!(
        text.trim(),
        format!("oncall-gym {}", env!("CARGO_PKG_VERSION"))
    );
    let usage = Command::new(binary).arg("--no-such-flag").output().unwrap();
    assert_eq!(usage.status.code(), Some(2));
}
