//! `cargo xtask`: the workspace's task runner. It runs the learning phases,
//! the full CI gate and the snapshot tests. It depends on nothing outside std
//! and knows the workspace only through the phase table below, which is the
//! one place the phases are written down (the README copies it from
//! `cargo xtask help`).

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

mod phases;

use crate::phases::{PHASES, Phase, PhaseOutcome, parse_phase_number};

fn main() -> ExitCode {
    let arguments: Vec<String> = env::args().skip(1).collect();
    let arguments: Vec<&str> = arguments.iter().map(String::as_str).collect();
    let workspace = Workspace::locate();
    match arguments.as_slice() {
        ["phase", rest @ ..] => run_phase_command(&workspace, rest),
        ["phases"] => exit_code(run_phases(&workspace, PHASES)),
        ["ci"] => run_ci(&workspace),
        ["snapshots"] => run_snapshots(&workspace, false),
        ["snapshots", "--review"] => run_snapshots(&workspace, true),
        ["baselines"] => run_baselines(&workspace),
        [] | ["help"] | ["--help"] | ["-h"] => {
            print_usage();
            ExitCode::SUCCESS
        }
        [task, ..] => {
            eprintln!("error: unknown task `{task}`\n");
            eprint_usage();
            ExitCode::from(USAGE_ERROR)
        }
    }
}

/// The workspace root and the cargo that runs us.
#[derive(Debug)]
struct Workspace {
    root: PathBuf,
    cargo: String,
}

impl Workspace {
    fn locate() -> Workspace {
        let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let root = manifest_dir
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or(manifest_dir);
        let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        Workspace { root, cargo }
    }

    fn cargo(&self) -> Command {
        let mut command = Command::new(&self.cargo);
        command.current_dir(&self.root);
        command
    }
}

fn run_phase_command(workspace: &Workspace, rest: &[&str]) -> ExitCode {
    ExitCode::from(phase_command(rest, &mut |phase| phase.run(workspace)))
}

/// `cargo xtask phase N [--only]` with the phase runner injected, so the
/// exit codes can be tested without running cargo: 0 when every selected
/// phase passed, 1 when one failed or does not exist yet, 2 for a usage
/// error (an unknown phase such as 0, 7 or `x`).
fn phase_command(rest: &[&str], run_phase: &mut dyn FnMut(&Phase) -> PhaseOutcome) -> u8 {
    let (number, only) = match rest {
        [number] => (*number, false),
        [number, "--only"] | ["--only", number] => (*number, true),
        _ => {
            eprintln!("error: `cargo xtask phase` takes a phase number and an optional `--only`\n");
            eprint_usage();
            return USAGE_ERROR;
        }
    };
    let Some(number) = parse_phase_number(number) else {
        eprintln!("error: unknown phase `{number}`\n");
        eprint_usage();
        return USAGE_ERROR;
    };
    let selected: Vec<Phase> = PHASES
        .iter()
        .copied()
        .filter(|phase| {
            if only {
                phase.number == number
            } else {
                phase.number <= number
            }
        })
        .collect();
    if run_phases_with(&selected, run_phase).passed {
        0
    } else {
        1
    }
}

/// The exit code of a usage error.
const USAGE_ERROR: u8 = 2;

/// Runs `phases` in order and prints one line for each. Stops at the first
/// failure. Returns whether every phase that ran passed.
fn run_phases(workspace: &Workspace, phases: &[Phase]) -> bool {
    run_phases_with(phases, &mut |phase| phase.run(workspace)).passed
}

/// What a sequence of phases came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PhasesTally {
    /// Whether every phase passed.
    passed: bool,
    tests_passed: u64,
    tests_failed: u64,
}

/// [`run_phases`] with the phase runner injected: prints one line per phase
/// and a closing `phases: N passed, M failed` line, and stops at the first
/// failing or missing phase: every phase must exist, in CI too.
fn run_phases_with(
    phases: &[Phase],
    run_phase: &mut dyn FnMut(&Phase) -> PhaseOutcome,
) -> PhasesTally {
    let mut tally = PhasesTally {
        passed: true,
        tests_passed: 0,
        tests_failed: 0,
    };
    for phase in phases {
        let outcome = run_phase(phase);
        print_line(&phase.report_line(&outcome));
        match outcome {
            PhaseOutcome::Passed { tests } => tally.tests_passed += tests,
            PhaseOutcome::NotImplemented => {
                tally.passed = false;
                break;
            }
            PhaseOutcome::Failed {
                tests_passed,
                tests_failed,
                ..
            } => {
                tally.tests_passed += tests_passed;
                tally.tests_failed += tests_failed;
                tally.passed = false;
                break;
            }
        }
    }
    // One closing line in the plain form CI systems read; the exit code
    // also fails a phase that did not run at all.
    print_line(&format!(
        "phases: {} passed, {} failed",
        tally.tests_passed, tally.tests_failed
    ));
    tally
}

fn run_ci(workspace: &Workspace) -> ExitCode {
    let steps: [(&str, &[&str]); 2] = [
        ("cargo fmt --check", &["fmt", "--all", "--check"]),
        (
            "cargo clippy --workspace --all-targets -- -D warnings",
            &[
                "clippy",
                "--workspace",
                "--all-targets",
                "--quiet",
                "--",
                "-D",
                "warnings",
            ],
        ),
    ];
    for (label, arguments) in steps {
        eprintln!("==> {label}");
        if !run_streaming(workspace.cargo().args(arguments)) {
            eprintln!("ci: `{label}` failed");
            return ExitCode::FAILURE;
        }
    }
    eprintln!("==> cargo test -p xtask (the task runner's own tests)");
    if !run_streaming(workspace.cargo().args(["test", "--quiet", "-p", "xtask"])) {
        eprintln!("ci: the xtask tests failed");
        return ExitCode::FAILURE;
    }
    eprintln!("==> phases");
    let tally = run_phases_with(PHASES, &mut |phase| phase.run(workspace));
    if !tally.passed {
        eprintln!("ci: a phase failed or does not exist");
        return ExitCode::FAILURE;
    }
    eprintln!("==> python tests (clients/python, against the built oncall-gym)");
    if !run_python_tests(workspace) {
        eprintln!("ci: the Python tests failed");
        return ExitCode::FAILURE;
    }
    eprintln!("==> RUSTDOCFLAGS='-D warnings' cargo doc --workspace --no-deps");
    let mut doc = workspace.cargo();
    doc.args(["doc", "--workspace", "--no-deps", "--quiet"])
        .env("RUSTDOCFLAGS", "-D warnings");
    if !run_streaming(&mut doc) {
        eprintln!("ci: the docs have warnings");
        return ExitCode::FAILURE;
    }
    eprintln!("ci: all checks passed");
    print_line(&format!(
        "ci: {} passed, {} failed",
        tally.tests_passed, tally.tests_failed
    ));
    ExitCode::SUCCESS
}

/// The insta snapshot tests: the tool schema exports (phase 2), the
/// engine's event order (phase 3), the audit crate's logs (phase 5) and the
/// integration tests' audit logs of whole oracle runs (phase 6). `--review` rewrites every changed snapshot
/// in place so that `git diff` shows the change for review; without it, a
/// missing or changed snapshot fails, as it does in CI.
fn run_snapshots(workspace: &Workspace, review: bool) -> ExitCode {
    let mut ran_any = false;
    for phase in PHASES.iter().filter(|phase| phase.has_snapshots) {
        if !phase.exists(workspace) {
            eprintln!(
                "snapshots: phase {} ({}) is not implemented yet",
                phase.number, phase.name
            );
            continue;
        }
        ran_any = true;
        let mut command = workspace.cargo();
        command.args(phase.test_arguments());
        if review {
            command
                .env("INSTA_UPDATE", "always")
                .env("INSTA_FORCE_PASS", "1");
        } else {
            command.env("INSTA_UPDATE", "no");
        }
        eprintln!("==> snapshots of phase {} ({})", phase.number, phase.name);
        if !run_streaming(&mut command) {
            return ExitCode::FAILURE;
        }
    }
    if !ran_any {
        eprintln!("snapshots: no snapshot tests exist yet");
        return ExitCode::FAILURE;
    }
    if review {
        eprintln!(
            "snapshots: updated in place; review them with `git diff -- '*.snap'`, then commit or `git checkout` them"
        );
        let _ = run_streaming(
            Command::new("git")
                .current_dir(&workspace.root)
                .args(["status", "--short", "--", "*.snap"]),
        );
    }
    ExitCode::SUCCESS
}

/// The environment variable that makes the baseline-tables test write the
/// tables instead of checking them (see `tests/baseline_tables.rs`).
const UPDATE_BASELINES_ENV: &str = "ONCALL_GYM_UPDATE_BASELINES";

/// Rewrites the library's scenario and baseline tables in `README.md` and
/// `fixtures/README.md` from a fresh run, then shows what changed.
fn run_baselines(workspace: &Workspace) -> ExitCode {
    let mut command = workspace.cargo();
    command
        .args([
            "test",
            "--test",
            "integration",
            "baseline_tables::the_readmes_tables_match_a_fresh_run",
            "--",
            "--exact",
        ])
        .env(UPDATE_BASELINES_ENV, "1");
    eprintln!("==> baselines: heuristic, random and oracle over the bundled library");
    let output = match command.stderr(Stdio::inherit()).output() {
        Ok(output) => output,
        Err(error) => {
            eprintln!("baselines: could not run cargo: {error}");
            return ExitCode::FAILURE;
        }
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    eprint!("{stdout}");
    // A renamed test would match nothing and pass: insist that it ran.
    if !output.status.success() || !stdout.contains("test result: ok. 1 passed") {
        eprintln!("baselines: the baseline-tables test did not run and pass exactly once");
        return ExitCode::FAILURE;
    }
    let _ = run_streaming(Command::new("git").current_dir(&workspace.root).args([
        "diff",
        "--stat",
        "--",
        "README.md",
        "fixtures/README.md",
    ]));
    ExitCode::SUCCESS
}

/// The virtualenv `.ci/run` makes, relative to the workspace root, unless
/// `ONCALL_GYM_PYTHON` names another interpreter.
const PYTHON_VENV: &str = ".venv-py";

/// Runs `clients/python`'s pytest suite with the virtualenv's Python,
/// against the `oncall-gym` binary that phase 6 built.
fn run_python_tests(workspace: &Workspace) -> bool {
    let python = env::var_os("ONCALL_GYM_PYTHON").map_or_else(
        || workspace.root.join(PYTHON_VENV).join("bin").join("python"),
        PathBuf::from,
    );
    if !python.is_file() {
        eprintln!(
            "error: no Python at {}: run `bash .ci/run`, or `python3 -m venv {PYTHON_VENV} && {PYTHON_VENV}/bin/pip install -e 'clients/python[test]'`, or set ONCALL_GYM_PYTHON",
            python.display()
        );
        return false;
    }
    let binary = target_directory(&workspace.root, env::var_os("CARGO_TARGET_DIR"))
        .join("debug")
        .join(format!("oncall-gym{}", env::consts::EXE_SUFFIX));
    run_streaming(
        Command::new(python)
            .current_dir(&workspace.root)
            .args(["-m", "pytest", "-q", "clients/python/tests"])
            .env("ONCALL_GYM_BIN", binary),
    )
}

/// Where cargo puts what it builds: `$CARGO_TARGET_DIR` (relative to the
/// workspace when it is relative, as cargo reads it), else `target/`.
fn target_directory(root: &Path, configured: Option<std::ffi::OsString>) -> PathBuf {
    match configured.filter(|value| !value.is_empty()) {
        Some(value) => root.join(value),
        None => root.join("target"),
    }
}

fn run_streaming(command: &mut Command) -> bool {
    match command.stdin(Stdio::null()).status() {
        Ok(status) => status.success(),
        Err(error) => {
            eprintln!("error: could not start {command:?}: {error}");
            false
        }
    }
}

fn exit_code(passed: bool) -> ExitCode {
    if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn usage() -> String {
    let mut text = String::from(
        "usage: cargo xtask <task>\n\n\
         tasks:\n  \
         phase N [--only]     run the tests of phases 1..=N in order (only N with --only)\n  \
         phases               run all six phases\n  \
         ci                   fmt, clippy, all six phases, the Python tests, then docs (the CI gate)\n  \
         snapshots [--review] run the insta snapshot tests; --review rewrites changed ones for `git diff`\n  \
         baselines            rewrite the READMEs' scenario and baseline tables from a fresh run\n\n\
         phases:\n",
    );
    text.push_str(&phases::phase_table());
    text
}

#[expect(
    clippy::print_stdout,
    reason = "a phase's result line is the command's output"
)]
fn print_line(line: &str) {
    println!("{line}");
}

#[expect(clippy::print_stdout, reason = "help goes to stdout, as asked for")]
fn print_usage() {
    print!("{}", usage());
}

fn eprint_usage() {
    eprint!("{}", usage());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_binary_is_looked_for_where_cargo_builds() {
        let root = Path::new("/repo");
        assert_eq!(target_directory(root, None), Path::new("/repo/target"));
        assert_eq!(
            target_directory(root, Some("".into())),
            Path::new("/repo/target")
        );
        assert_eq!(
            target_directory(root, Some("out".into())),
            Path::new("/repo/out")
        );
        assert_eq!(
            target_directory(root, Some("/tmp/t".into())),
            Path::new("/tmp/t")
        );
    }

    /// A phase runner that records which phases it was asked to run and
    /// answers from `outcome`.
    fn recording<'a>(
        ran: &'a mut Vec<u8>,
        outcome: impl Fn(u8) -> PhaseOutcome + 'a,
    ) -> impl FnMut(&Phase) -> PhaseOutcome + 'a {
        move |phase| {
            ran.push(phase.number);
            outcome(phase.number)
        }
    }

    fn passed(_: u8) -> PhaseOutcome {
        PhaseOutcome::Passed { tests: 10 }
    }

    #[test]
    fn an_unknown_phase_is_a_usage_error_and_runs_nothing() {
        for arguments in [
            &["7"][..],
            &["0"],
            &["x"],
            &["-1"],
            &[],
            &["1", "2"],
            &["3", "--all"],
        ] {
            let mut ran = Vec::new();
            let code = phase_command(arguments, &mut recording(&mut ran, passed));
            assert_eq!(code, 2, "{arguments:?}");
            assert!(ran.is_empty(), "{arguments:?} ran {ran:?}");
        }
    }

    #[test]
    fn phase_n_runs_phases_one_to_n_in_order_and_only_runs_n_alone() {
        let mut ran = Vec::new();
        assert_eq!(phase_command(&["4"], &mut recording(&mut ran, passed)), 0);
        assert_eq!(ran, [1, 2, 3, 4]);
        for arguments in [&["4", "--only"], &["--only", "4"]] {
            let mut ran = Vec::new();
            assert_eq!(
                phase_command(arguments, &mut recording(&mut ran, passed)),
                0
            );
            assert_eq!(ran, [4]);
        }
    }

    #[test]
    fn a_failing_phase_stops_the_run_with_exit_1() {
        let mut ran = Vec::new();
        let failing_at_two = |number| {
            if number == 2 {
                PhaseOutcome::Failed {
                    tests_passed: 3,
                    tests_failed: 1,
                    reason: "a test failed".to_owned(),
                }
            } else {
                passed(number)
            }
        };
        assert_eq!(
            phase_command(&["6"], &mut recording(&mut ran, failing_at_two)),
            1
        );
        assert_eq!(ran, [1, 2]);
    }

    #[test]
    fn a_missing_phase_fails_phase_n_but_ci_lists_it_and_carries_on() {
        let missing_from_three = |number| {
            if number >= 3 {
                PhaseOutcome::NotImplemented
            } else {
                passed(number)
            }
        };
        let mut ran = Vec::new();
        assert_eq!(
            phase_command(&["5"], &mut recording(&mut ran, missing_from_three)),
            1
        );
        assert_eq!(ran, [1, 2, 3], "phase N stops at the first missing phase");

        let mut ran = Vec::new();
        let tally = run_phases_with(PHASES, &mut recording(&mut ran, missing_from_three));
        assert_eq!(ran, [1, 2, 3], "ci stops at a missing phase too");
        assert_eq!(
            tally,
            PhasesTally {
                passed: false,
                tests_passed: 20,
                tests_failed: 0,
            }
        );
    }
}
