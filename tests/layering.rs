//! Architecture invariant: dependencies between workspace crates point one
//! way. This reads the real crate graph from `cargo metadata` and fails on any
//! edge that the table below does not allow, including dev-dependencies.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

/// Which workspace crates each workspace crate may depend on. A crate missing
/// from this table is itself an error: add it here, deliberately.
const ALLOWED: &[(&str, &[&str])] = &[
    ("oncall-domain", &[]),
    ("oncall-audit", &["oncall-domain"]),
    ("oncall-tools", &["oncall-domain"]),
    (
        "oncall-engine",
        &["oncall-domain", "oncall-tools", "oncall-audit"],
    ),
    (
        "oncall-sim",
        &[
            "oncall-domain",
            "oncall-tools",
            "oncall-audit",
            "oncall-engine",
        ],
    ),
    // Agents never see a scenario: no edge to oncall-sim, ever.
    (
        "oncall-agents",
        &["oncall-domain", "oncall-tools", "oncall-engine"],
    ),
    // The model agents: behind the same wall as the baselines, so a model
    // never sees a scenario. Blocking HTTP (ureq), no async runtime.
    (
        "oncall-llm",
        &["oncall-domain", "oncall-tools", "oncall-engine"],
    ),
    // The results store: rows and exact audit lines, no engine, no sim.
    ("oncall-store", &["oncall-domain", "oncall-audit"]),
    // The gym protocol: sessions of scenario episodes, above the sim.
    (
        "oncall-protocol",
        &[
            "oncall-domain",
            "oncall-tools",
            "oncall-audit",
            "oncall-engine",
            "oncall-sim",
        ],
    ),
    // MCP: one episode as an MCP server; it reuses the protocol's audit
    // file and view of the alert. The one async crate so far.
    (
        "oncall-mcp",
        &[
            "oncall-domain",
            "oncall-tools",
            "oncall-audit",
            "oncall-engine",
            "oncall-sim",
            "oncall-protocol",
        ],
    ),
    // HTTP: episodes from the protocol's sessions, evals queued in the
    // store. No agents: the product hands it a `Gym` that makes runs.
    (
        "oncall-server",
        &[
            "oncall-domain",
            "oncall-tools",
            "oncall-audit",
            "oncall-sim",
            "oncall-protocol",
            "oncall-store",
        ],
    ),
    (
        "oncall-gym",
        &[
            "oncall-domain",
            "oncall-tools",
            "oncall-audit",
            "oncall-engine",
            "oncall-sim",
            "oncall-agents",
            "oncall-llm",
            "oncall-store",
            "oncall-protocol",
            "oncall-mcp",
            "oncall-server",
        ],
    ),
    (
        "oncall-gym-workspace",
        &[
            "oncall-domain",
            "oncall-tools",
            "oncall-audit",
            "oncall-engine",
            "oncall-sim",
            "oncall-agents",
            "oncall-llm",
            "oncall-store",
            "oncall-protocol",
            "oncall-mcp",
            "oncall-server",
            "oncall-gym",
        ],
    ),
    ("xtask", &[]),
];

/// The internal edges of a workspace: crate name → the workspace crates it
/// depends on (any dependency kind).
type CrateGraph = BTreeMap<String, BTreeSet<String>>;

/// Every violation of `allowed` in `graph`, as readable sentences.
fn layering_violations(graph: &CrateGraph, allowed: &[(&str, &[&str])]) -> Vec<String> {
    let allowed: BTreeMap<&str, &[&str]> = allowed.iter().copied().collect();
    let mut violations = Vec::new();
    for (crate_name, dependencies) in graph {
        let Some(permitted) = allowed.get(crate_name.as_str()) else {
            violations.push(format!(
                "`{crate_name}` is not in the layering table; add it to tests/layering.rs with the crates it may depend on"
            ));
            continue;
        };
        for dependency in dependencies {
            if !permitted.contains(&dependency.as_str()) {
                violations.push(format!(
                    "`{crate_name}` depends on `{dependency}`, which the layering forbids (allowed: {permitted:?})"
                ));
            }
        }
    }
    violations
}

/// Reads the workspace's internal crate graph from `cargo metadata`.
fn workspace_graph() -> CrateGraph {
    let all = package_dependencies();
    let members: BTreeSet<String> = all.keys().cloned().collect();
    all.into_iter()
        .map(|(name, dependencies)| {
            let internal = dependencies
                .into_iter()
                .filter(|dependency| members.contains(dependency))
                .collect();
            (name, internal)
        })
        .collect()
}

/// The crates that may hold an async runtime: the ones that serve, and the
/// results store, whose PostgreSQL client runs tokio-postgres on a runtime
/// of its own behind a blocking API. Never a phase crate or an agent.
const ASYNC_CRATES: &[&str] = &[
    "oncall-mcp",
    "oncall-server",
    "oncall-store",
    "oncall-gym",
    "oncall-gym-workspace",
];

/// Crates that bring an async runtime or executor (`postgres` hides one).
const ASYNC_RUNTIMES: &[&str] = &[
    "tokio",
    "async-std",
    "smol",
    "rmcp",
    "futures-executor",
    "postgres",
    "axum",
    "hyper",
];

#[test]
fn the_core_is_synchronous() {
    let all = package_dependencies();
    let mut violations = Vec::new();
    for (name, dependencies) in &all {
        if ASYNC_CRATES.contains(&name.as_str()) {
            continue;
        }
        for runtime in ASYNC_RUNTIMES {
            if dependencies.contains(*runtime) {
                violations.push(format!(
                    "`{name}` depends on `{runtime}`: only {ASYNC_CRATES:?} may hold an async runtime"
                ));
            }
        }
    }
    assert!(violations.is_empty(), "{}", violations.join("\n"));
    assert!(
        all["oncall-mcp"].contains("tokio"),
        "the check would not see a runtime: {:?}",
        all["oncall-mcp"]
    );
}

/// Every workspace package and the names of all its direct dependencies
/// (any kind), from `cargo metadata`.
fn package_dependencies() -> CrateGraph {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let packages = metadata["packages"].as_array().unwrap();
    packages
        .iter()
        .map(|package| {
            let dependencies = package["dependencies"]
                .as_array()
                .unwrap()
                .iter()
                .map(|dependency| dependency["name"].as_str().unwrap().to_owned())
                .collect();
            (package["name"].as_str().unwrap().to_owned(), dependencies)
        })
        .collect()
}

fn graph(edges: &[(&str, &[&str])]) -> CrateGraph {
    edges
        .iter()
        .map(|(name, dependencies)| {
            (
                (*name).to_owned(),
                dependencies.iter().map(|d| (*d).to_owned()).collect(),
            )
        })
        .collect()
}

#[test]
fn the_real_workspace_respects_the_layering() {
    let graph = workspace_graph();
    assert!(graph.contains_key("oncall-domain"), "{graph:?}");
    let violations = layering_violations(&graph, ALLOWED);
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

#[test]
fn the_checker_catches_a_forbidden_edge() {
    let bad = graph(&[
        ("oncall-domain", &["oncall-engine"]),
        ("oncall-engine", &["oncall-domain"]),
    ]);
    assert_eq!(
        layering_violations(&bad, ALLOWED),
        vec![
            "`oncall-domain` depends on `oncall-engine`, which the layering forbids (allowed: [])"
                .to_owned()
        ]
    );
}

#[test]
fn the_checker_catches_audit_reaching_up_to_tools() {
    let bad = graph(&[("oncall-audit", &["oncall-domain", "oncall-tools"])]);
    let violations = layering_violations(&bad, ALLOWED);
    assert_eq!(violations.len(), 1);
    assert!(violations[0].starts_with("`oncall-audit` depends on `oncall-tools`"));
}

#[test]
fn the_checker_rejects_a_crate_missing_from_the_table() {
    let unknown = graph(&[("oncall-helpers", &[])]);
    let violations = layering_violations(&unknown, ALLOWED);
    assert_eq!(violations.len(), 1);
    assert!(violations[0].contains("not in the layering table"));
}

#[test]
fn the_checker_accepts_the_allowed_stack() {
    let good = graph(ALLOWED);
    assert!(layering_violations(&good, ALLOWED).is_empty());
}

#[test]
fn the_checker_forbids_agents_reaching_for_ground_truth() {
    let bad = graph(&[(
        "oncall-agents",
        &["oncall-domain", "oncall-engine", "oncall-sim"],
    )]);
    assert_eq!(
        layering_violations(&bad, ALLOWED),
        vec![
            "`oncall-agents` depends on `oncall-sim`, which the layering forbids (allowed: [\"oncall-domain\", \"oncall-tools\", \"oncall-engine\"])"
                .to_owned()
        ]
    );
}

#[test]
fn the_checker_forbids_model_agents_reaching_for_ground_truth() {
    for forbidden in ["oncall-sim", "oncall-protocol", "oncall-mcp"] {
        let bad = graph(&[("oncall-llm", &["oncall-engine", forbidden])]);
        let violations = layering_violations(&bad, ALLOWED);
        assert_eq!(violations.len(), 1, "{forbidden}: {violations:?}");
        assert!(
            violations[0].starts_with(&format!("`oncall-llm` depends on `{forbidden}`")),
            "{violations:?}"
        );
    }
}

#[test]
fn the_checker_forbids_the_server_reaching_for_agents() {
    for forbidden in ["oncall-agents", "oncall-llm", "oncall-gym"] {
        let bad = graph(&[("oncall-server", &["oncall-protocol", forbidden])]);
        let violations = layering_violations(&bad, ALLOWED);
        assert_eq!(violations.len(), 1, "{forbidden}: {violations:?}");
        assert!(
            violations[0].starts_with(&format!("`oncall-server` depends on `{forbidden}`")),
            "{violations:?}"
        );
    }
}
