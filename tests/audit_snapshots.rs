//! The audit log of each bundled scenario's oracle run, pinned as an insta
//! snapshot named by the scenario's id (`..._oracle_audit_log@<id>.snap`).
//! Runs are deterministic (simulated clock, seeded ids, frozen timer), so no
//! redaction is needed: the snapshot pins every byte of every line, the
//! chain's `prev` hashes included.
//!
//! A new scenario needs its snapshot reviewed: `cargo xtask snapshots
//! --review`, then `git diff -- '*.snap'`.

use oncall_gym::agents::AgentKind;

use crate::support::{bundled_scenarios, run_with_audit};

/// The seed of the snapshotted runs.
const SNAPSHOT_SEED: u64 = 42;

#[test]
fn oracle_audit_logs_match_their_snapshots() {
    for scenario in bundled_scenarios() {
        let (_, bytes) = run_with_audit(&scenario, AgentKind::Oracle, SNAPSHOT_SEED);
        let text = String::from_utf8(bytes).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        insta::with_settings!({ snapshot_suffix => scenario.id(), omit_expression => true }, {
            insta::assert_json_snapshot!("oracle_audit_log", lines);
        });
    }
}
