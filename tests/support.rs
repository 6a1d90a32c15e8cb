//! Helpers shared by the integration test modules.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use oncall_audit::{FsyncPolicy, JsonlWriter};
use oncall_gym::agents::AgentKind;
use oncall_sim::{RunOutcome, RunSettings, Scenario, run_scenario, scenario_directories};

/// The workspace root.
pub(crate) fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The bundled fixtures root.
pub(crate) fn fixtures_root() -> PathBuf {
    workspace_root().join("fixtures/incidents")
}

/// Every bundled scenario, loaded, sorted by directory. There must be some.
pub(crate) fn bundled_scenarios() -> Vec<Scenario> {
    let directories = scenario_directories(&fixtures_root()).unwrap();
    assert!(
        !directories.is_empty(),
        "no scenarios in fixtures/incidents"
    );
    directories
        .iter()
        .map(|directory| {
            Scenario::load(directory)
                .unwrap_or_else(|error| panic!("{} does not load: {error}", directory.display()))
        })
        .collect()
}

/// The agents and seeds every scenario is run with: the heuristic and the
/// oracle once, the random agent with three seeds.
pub(crate) fn agent_runs() -> Vec<(AgentKind, u64)> {
    vec![
        (AgentKind::Heuristic, 0),
        (AgentKind::Oracle, 0),
        (AgentKind::Random, 1),
        (AgentKind::Random, 2),
        (AgentKind::Random, 3),
    ]
}

/// Runs `agent` on `scenario` with `seed`, writing the hash-chained audit
/// log into memory, and returns the outcome and the log's bytes.
pub(crate) fn run_with_audit(
    scenario: &Scenario,
    agent: AgentKind,
    seed: u64,
) -> (RunOutcome, Vec<u8>) {
    let mut agent = agent.build(scenario, seed);
    let mut writer = JsonlWriter::new(Vec::new(), FsyncPolicy::AtClose);
    let outcome = run_scenario(
        scenario,
        agent.as_mut(),
        RunSettings {
            seed,
            max_steps: None,
        },
        Some(&mut writer),
    )
    .unwrap_or_else(|error| panic!("{}: {error}", scenario.id()));
    let (_, bytes) = writer.finish_into_inner().unwrap();
    (outcome, bytes)
}

/// An empty scratch directory for one test, under cargo's target tmp dir.
pub(crate) fn scratch_dir(name: &str) -> PathBuf {
    let directory = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("oncall-gym-tests")
        .join(name);
    let _ = std::fs::remove_dir_all(&directory);
    std::fs::create_dir_all(&directory).unwrap();
    directory
}

/// Copies a scenario directory's files into `to`.
pub(crate) fn copy_scenario(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
        }
    }
}

/// The `oncall-gym` binary next to this test executable
/// (`target/<profile>/deps/integration-*` → `target/<profile>/oncall-gym`).
pub(crate) fn binary() -> PathBuf {
    let executable = std::env::current_exe().unwrap();
    let profile_dir = executable
        .parent()
        .and_then(Path::parent)
        .expect("the test executable lives in target/<profile>/deps");
    let binary = profile_dir.join(format!("oncall-gym{}", std::env::consts::EXE_SUFFIX));
    assert!(
        binary.is_file(),
        "the oncall-gym binary is not built at {}: run `cargo build -p oncall-gym` first \
         (`cargo xtask phase 6` and a plain `cargo test` build it for you)",
        binary.display()
    );
    binary
}

/// What a run of the binary gave.
#[derive(Debug)]
pub(crate) struct Ran {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Ran {
    /// What a finished child gave.
    pub(crate) fn from_output(output: Output) -> Ran {
        Ran {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8(output.stdout).unwrap(),
            stderr: String::from_utf8(output.stderr).unwrap(),
        }
    }

    /// Asserts the exit code, showing the output when it is wrong.
    #[track_caller]
    pub(crate) fn expect_code(&self, code: i32) -> &Ran {
        assert_eq!(
            self.code, code,
            "expected exit code {code}, got {}\nstdout:\n{}\nstderr:\n{}",
            self.code, self.stdout, self.stderr
        );
        self
    }

    /// stdout parsed as JSON.
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|error| panic!("stdout is not JSON ({error}):\n{}", self.stdout))
    }
}

/// A fresh data directory for one run of the binary, so its results store
/// (`$XDG_DATA_HOME/oncall-gym/results.db`) is its own and no test touches
/// the real home directory.
pub(crate) fn isolated_data_home() -> PathBuf {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let number = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let directory = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("oncall-gym-tests")
        .join("data-homes")
        .join(format!("{}-{number}", std::process::id()));
    let _ = std::fs::remove_dir_all(&directory);
    std::fs::create_dir_all(&directory).unwrap();
    directory
}

/// The binary as a command, in the workspace root, with no fixtures and
/// no results store from the environment, and a data directory of its own.
pub(crate) fn command() -> Command {
    let mut command = Command::new(binary());
    command
        .current_dir(workspace_root())
        .env_remove("ONCALL_GYM_FIXTURES")
        .env_remove("ONCALL_GYM_DB")
        .env("XDG_DATA_HOME", isolated_data_home());
    command
}

/// Runs the binary with `arguments` in `directory` (the workspace root when
/// `None`), with no fixtures set in the environment.
pub(crate) fn oncall_gym_in(directory: Option<&Path>, arguments: &[&str]) -> Ran {
    let output: Output = command()
        .args(arguments)
        .current_dir(directory.map_or_else(workspace_root, Path::to_path_buf))
        .output()
        .unwrap();
    Ran::from_output(output)
}

/// Runs the binary with `arguments` at the workspace root.
pub(crate) fn oncall_gym(arguments: &[&str]) -> Ran {
    oncall_gym_in(None, arguments)
}

/// The built `oncall-gym` started with `arguments` in the workspace root,
/// with its three standard streams piped: the child, its stdin, and its
/// stdout ready for reading lines.
pub(crate) fn spawn_piped(
    arguments: &[&str],
) -> (
    std::process::Child,
    Option<std::process::ChildStdin>,
    std::io::BufReader<std::process::ChildStdout>,
) {
    let mut child = command()
        .args(arguments)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let input = child.stdin.take();
    let output = std::io::BufReader::new(child.stdout.take().unwrap());
    (child, input, output)
}

/// A copy of the bundled `latency_spike` in `scratch_dir(test)/<name>`, its
/// `scenario.json` changed by `edit`. Returns the directory.
pub(crate) fn edited_scenario(
    test: &str,
    name: &str,
    edit: impl FnOnce(&mut serde_json::Value),
) -> PathBuf {
    let directory = scratch_dir(test).join(name);
    copy_scenario(&fixtures_root().join("latency_spike"), &directory);
    let file = directory.join("scenario.json");
    let mut scenario: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    edit(&mut scenario);
    std::fs::write(&file, serde_json::to_string_pretty(&scenario).unwrap()).unwrap();
    directory
}

/// Asserts that `text` contains `needle`, showing `text` when not.
#[track_caller]
pub(crate) fn assert_has(text: &str, needle: &str) {
    assert!(text.contains(needle), "{needle:?} not in:\n{text}");
}

/// A schema of its own on the test PostgreSQL (`ONCALL_GYM_TEST_POSTGRES`),
/// dropped at the end. `None` when no PostgreSQL is configured, which CI
/// does not allow.
pub(crate) struct PostgresSchema {
    admin: String,
    name: String,
    pub(crate) url: String,
}

impl PostgresSchema {
    pub(crate) fn create(test: &str) -> Option<PostgresSchema> {
        let Ok(admin) = std::env::var("ONCALL_GYM_TEST_POSTGRES") else {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but ONCALL_GYM_TEST_POSTGRES is not: the PostgreSQL tests must run in CI"
            );
            return None;
        };
        let name = format!("cli_{test}_{}", std::process::id());
        let mut client = postgres::Client::connect(&admin, postgres::NoTls)
            .unwrap_or_else(|e| panic!("ONCALL_GYM_TEST_POSTGRES ({admin}) is unreachable: {e}"));
        client
            .batch_execute(&format!(
                "DROP SCHEMA IF EXISTS {name} CASCADE; CREATE SCHEMA {name}"
            ))
            .unwrap();
        let separator = if admin.contains('?') { '&' } else { '?' };
        let url = format!("{admin}{separator}options=-c%20search_path%3D{name}");
        Some(PostgresSchema { admin, name, url })
    }
}

impl Drop for PostgresSchema {
    fn drop(&mut self) {
        if let Ok(mut client) = postgres::Client::connect(&self.admin, postgres::NoTls) {
            let _ = client.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
        }
    }
}

/// The oracle's analysis of the tool result in a protocol step's answer
/// (`{observation: {tool_result, step}}`), when it holds one: what a
/// client driving the reference solution sends with its next step.
pub(crate) fn oracle_analysis(answer: &serde_json::Value) -> Option<serde_json::Value> {
    let tool_result = &answer["observation"]["tool_result"];
    if tool_result.is_null() {
        return None;
    }
    let tool_result: oncall_domain::ToolResult =
        serde_json::from_value(tool_result.clone()).unwrap();
    let step = u32::try_from(answer["observation"]["step"].as_u64().unwrap()).unwrap();
    let analysis = oncall_sim::OracleAgent::analysis_of(&tool_result, step);
    Some(serde_json::to_value(analysis).unwrap())
}

/// Runs the binary with `arguments`, its results store under `home`
/// (`$XDG_DATA_HOME`).
pub(crate) fn gym(home: &Path, arguments: &[&str]) -> Ran {
    Ran::from_output(
        command()
            .env("XDG_DATA_HOME", home)
            .args(arguments)
            .output()
            .unwrap(),
    )
}

/// The default results store of a `home` given to [`gym`].
pub(crate) fn default_store(home: &Path) -> PathBuf {
    home.join("oncall-gym").join("results.db")
}

/// Interrupts the evals in `home`'s store as a crash would: its newest
/// `lost` runs gone, every eval left running.
pub(crate) fn interrupt_evals(home: &Path, lost: u32) {
    let connection = rusqlite::Connection::open(default_store(home)).unwrap();
    connection
        .execute(
            "DELETE FROM runs WHERE key IN (SELECT key FROM runs ORDER BY key DESC LIMIT ?1)",
            [lost],
        )
        .unwrap();
    connection
        .execute(
            "UPDATE evals SET status = 'running', finished_at = NULL",
            [],
        )
        .unwrap();
}
