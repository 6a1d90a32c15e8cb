//! The phase table: the one place the six learning phases are written down.

use std::process::Stdio;

use crate::Workspace;

/// One learning phase: a crate (or the integration tests) and its tests.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Phase {
    pub(crate) number: u8,
    /// A short name, e.g. `domain`.
    pub(crate) name: &'static str,
    /// What the phase's tests cover, for the table.
    pub(crate) covers: &'static str,
    /// The cargo package whose tests make up the phase.
    package: &'static str,
    /// A file that exists once the phase has been built, relative to the root.
    marker: &'static str,
    /// Extra arguments after `cargo test -p PACKAGE`.
    extra: &'static [&'static str],
    /// Whether `cargo xtask snapshots` runs this phase.
    pub(crate) has_snapshots: bool,
}

/// Phases 1 to 6, in learning order.
pub(crate) const PHASES: &[Phase] = &[
    Phase {
        number: 1,
        name: "domain",
        covers: "domain: incidents, observations, hypotheses, clock and ids",
        package: "oncall-domain",
        marker: "crates/oncall-domain/Cargo.toml",
        extra: &[],
        has_snapshots: false,
    },
    Phase {
        number: 2,
        name: "tools",
        covers: "tools: the tool contract, registry, five tools, schema exports",
        package: "oncall-tools",
        marker: "crates/oncall-tools/Cargo.toml",
        extra: &[],
        has_snapshots: true,
    },
    Phase {
        number: 3,
        name: "engine",
        covers: "engine: the agent loop, episodes, limits",
        package: "oncall-engine",
        marker: "crates/oncall-engine/Cargo.toml",
        extra: &[],
        has_snapshots: true,
    },
    Phase {
        number: 4,
        name: "sim",
        covers: "sim: fixtures, scenarios, grading, scoring, episodes, the oracle",
        package: "oncall-sim",
        marker: "crates/oncall-sim/Cargo.toml",
        extra: &[],
        has_snapshots: false,
    },
    Phase {
        number: 5,
        name: "audit",
        covers: "audit, including the insta snapshot tests of audit logs",
        package: "oncall-audit",
        marker: "crates/oncall-audit/Cargo.toml",
        extra: &[],
        has_snapshots: true,
    },
    Phase {
        number: 6,
        name: "integration",
        covers: "the integration tests in `tests/`, the crates above the phases, the command",
        package: "oncall-gym-workspace",
        marker: "tests/tests.rs",
        // Testing `oncall-gym` too runs its unit tests and, through its own
        // integration test, builds the `oncall-gym` binary that the
        // command-line tests in `tests/` run. The crates above the five
        // phase crates (agents, the model agents, the protocol, MCP, the
        // store, the HTTP server) are
        // tested here too.
        extra: &[
            "-p",
            "oncall-gym",
            "-p",
            "oncall-agents",
            "-p",
            "oncall-protocol",
            "-p",
            "oncall-mcp",
            "-p",
            "oncall-llm",
            "-p",
            "oncall-store",
            "-p",
            "oncall-server",
        ],
        has_snapshots: true,
    },
];

/// How a phase went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PhaseOutcome {
    Passed {
        tests: u64,
    },
    Failed {
        tests_passed: u64,
        tests_failed: u64,
        reason: String,
    },
    NotImplemented,
}

impl Phase {
    pub(crate) fn exists(&self, workspace: &Workspace) -> bool {
        workspace.root.join(self.marker).is_file()
    }

    pub(crate) fn test_arguments(&self) -> Vec<&'static str> {
        let mut arguments = vec!["test", "-p", self.package];
        arguments.extend_from_slice(self.extra);
        arguments
    }

    /// Runs the phase's tests, capturing their output. The output is shown
    /// only when the phase fails.
    pub(crate) fn run(&self, workspace: &Workspace) -> PhaseOutcome {
        if !self.exists(workspace) {
            return PhaseOutcome::NotImplemented;
        }
        eprintln!("phase {}  {} ...", self.number, self.name);
        let output = workspace
            .cargo()
            .args(self.test_arguments())
            .args(["--color", "never"])
            .stdin(Stdio::null())
            .output();
        let output = match output {
            Ok(output) => output,
            Err(error) => {
                return PhaseOutcome::Failed {
                    tests_passed: 0,
                    tests_failed: 0,
                    reason: format!("could not start cargo: {error}"),
                };
            }
        };
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let counts = count_tests(&stdout);
        if !output.status.success() || counts.failed > 0 {
            eprintln!("{stdout}{stderr}");
            return PhaseOutcome::Failed {
                tests_passed: counts.passed,
                tests_failed: counts.failed,
                reason: format!("{} failed", counts.failed.max(1)),
            };
        }
        if counts.passed == 0 {
            return PhaseOutcome::Failed {
                tests_passed: 0,
                tests_failed: 0,
                reason: "no tests ran".to_owned(),
            };
        }
        PhaseOutcome::Passed {
            tests: counts.passed,
        }
    }

    pub(crate) fn report_line(&self, outcome: &PhaseOutcome) -> String {
        let verdict = match outcome {
            PhaseOutcome::Passed { tests } => format!("passed  {tests} tests"),
            PhaseOutcome::Failed {
                tests_passed,
                reason,
                ..
            } => format!("FAILED  {tests_passed} tests passed, {reason}"),
            PhaseOutcome::NotImplemented => "not implemented yet".to_owned(),
        };
        format!("phase {}  {:<62}  {verdict}", self.number, self.covers)
    }
}

/// Parses `N`, accepting only the numbers in the table.
pub(crate) fn parse_phase_number(text: &str) -> Option<u8> {
    let number: u8 = text.parse().ok()?;
    PHASES
        .iter()
        .any(|phase| phase.number == number)
        .then_some(number)
}

/// The table for help and the README.
pub(crate) fn phase_table() -> String {
    PHASES
        .iter()
        .map(|phase| format!("  {}  {}\n", phase.number, phase.covers))
        .collect()
}

#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct TestCounts {
    pub(crate) passed: u64,
    pub(crate) failed: u64,
}

/// Adds up every `test result: ... N passed; M failed; ...` line that libtest
/// prints, one per test binary.
pub(crate) fn count_tests(output: &str) -> TestCounts {
    let mut counts = TestCounts::default();
    for line in output.lines() {
        let Some(rest) = line.trim().strip_prefix("test result: ") else {
            continue;
        };
        for part in rest.split([';', '.']) {
            let mut words = part.split_whitespace();
            let (Some(number), Some(label)) = (words.next(), words.next()) else {
                continue;
            };
            let Ok(number) = number.parse::<u64>() else {
                continue;
            };
            match label {
                "passed" => counts.passed += number,
                "failed" => counts.failed += number,
                _ => {}
            }
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phase_numbers_are_one_to_six_in_order() {
        let numbers: Vec<u8> = PHASES.iter().map(|phase| phase.number).collect();
        assert_eq!(numbers, vec![1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn only_numbers_in_the_table_parse() {
        assert_eq!(parse_phase_number("1"), Some(1));
        assert_eq!(parse_phase_number("6"), Some(6));
        for bad in ["0", "7", "x", "", "-1", "1.0", "256"] {
            assert_eq!(parse_phase_number(bad), None, "{bad}");
        }
    }

    #[test]
    fn test_counts_add_up_over_binaries() {
        let output = "\
running 3 tests
test a ... ok
test result: ok. 3 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s

running 0 tests
test result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s
test result: FAILED. 7 passed; 2 failed; 1 ignored; 0 measured; 0 filtered out; finished in 1.20s
";
        assert_eq!(
            count_tests(output),
            TestCounts {
                passed: 10,
                failed: 2
            }
        );
        assert_eq!(count_tests("no results here"), TestCounts::default());
    }

    #[test]
    fn report_lines_say_passed_failed_or_not_implemented() {
        let phase = PHASES[0];
        let passed = phase.report_line(&PhaseOutcome::Passed { tests: 42 });
        assert!(passed.starts_with("phase 1  domain:"), "{passed}");
        assert!(passed.ends_with("passed  42 tests"), "{passed}");
        let missing = phase.report_line(&PhaseOutcome::NotImplemented);
        assert!(missing.ends_with("not implemented yet"), "{missing}");
        let failed = phase.report_line(&PhaseOutcome::Failed {
            tests_passed: 3,
            tests_failed: 2,
            reason: "2 failed".to_owned(),
        });
        assert!(
            failed.ends_with("FAILED  3 tests passed, 2 failed"),
            "{failed}"
        );
    }

    /// A crate no phase tests would have its tests skipped by CI.
    #[test]
    fn every_workspace_crate_is_tested_by_a_phase() {
        let crates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates");
        let tested: Vec<&str> = PHASES
            .iter()
            .flat_map(|phase| {
                std::iter::once(phase.package).chain(
                    phase
                        .extra
                        .iter()
                        .copied()
                        .filter(|argument| argument.starts_with("oncall-")),
                )
            })
            .collect();
        let mut members = 0;
        for entry in std::fs::read_dir(crates).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            members += 1;
            assert!(tested.contains(&name.as_str()), "no phase tests `{name}`");
        }
        assert!(members >= 8, "{members}");
    }

    #[test]
    fn the_table_lists_every_phase() {
        let table = phase_table();
        assert_eq!(table.lines().count(), 6);
        assert!(table.contains("5  audit, including the insta snapshot tests of audit logs"));
    }
}
