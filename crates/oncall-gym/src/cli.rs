//! The command line, as clap reads it.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use oncall_domain::ActionClaim;
use oncall_gym::agents::AgentChoice;

pub(crate) use crate::cli_server::{ReportArgs, ServeArgs, WorkerArgs};
pub(crate) use crate::cli_store::{EvalsCommand, RunsCommand, StoreArgs};

/// The whole command line.
#[derive(Debug, Parser)]
#[command(
    name = "oncall-gym",
    version,
    about = "A gym for on-call agents: run, evaluate, validate and replay agents on simulated incidents",
    after_help = "Exit codes: 0 success, 1 what was asked failed (an invalid scenario, a tampered log, a run that errored, an unknown scenario), 2 usage error.\n\nA SCENARIO is a directory path or a name. A name is looked up in --fixtures DIR, then $ONCALL_GYM_FIXTURES, then ./fixtures/incidents, then the scenarios built into the binary."
)]
pub(crate) struct Cli {
    /// A directory of scenario directories, searched first for scenario names.
    #[arg(long, global = true, value_name = "DIR")]
    pub(crate) fixtures: Option<PathBuf>,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// List the scenarios: id, title, difficulty, category and alerting service.
    Scenarios {
        /// Print a JSON array of {id, title, difficulty, category, service}.
        #[arg(long)]
        json: bool,
    },
    /// Check scenarios; print each problem; exit 1 if any is invalid.
    Validate {
        /// Scenario directories or fixtures roots (default: every scenario in --fixtures DIR, else $ONCALL_GYM_FIXTURES, else ./fixtures/incidents, else the built-ins).
        paths: Vec<PathBuf>,
    },
    /// Run an agent on one scenario, with a live trace on stderr and a score table.
    Run(RunArgs),
    /// Evaluate an agent over scenarios, in parallel, and print a scorecard.
    Eval(EvalArgs),
    /// Verify an audit log's hash chain and replay it.
    Replay(ReplayArgs),
    /// Judge one answer against a scenario's ground truth, and say what
    /// decided the verdict: for scenario authors and for checking the
    /// grader.
    Judge(JudgeArgs),
    /// Serve the gym: the protocol over stdio (JSON-RPC 2.0, one object per
    /// line), or the HTTP API (episodes, queued evals, runs) with workers.
    Serve(ServeArgs),
    /// Write an eval's scorecard and run pages as one self-contained HTML
    /// file, to open with no server.
    Report(ReportArgs),
    /// Run queued evals from a shared results store (PostgreSQL for
    /// workers on several machines) until SIGTERM.
    Worker(WorkerArgs),
    /// Serve one scenario as an MCP server over stdio, for any MCP client
    /// (Claude Code, Claude Desktop, an IDE agent): one episode, scored when
    /// it ends.
    Mcp(McpArgs),
    /// Print the scorecard of runs recorded as `eval --out` or `mcp --out`
    /// lines.
    Scorecard(ScorecardArgs),
    /// The evals in the results store: list them, show one's scorecard.
    Evals {
        #[command(subcommand)]
        command: EvalsCommand,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// The runs in the results store: list, show, export their audit logs.
    Runs {
        #[command(subcommand)]
        command: RunsCommand,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Compare two recorded evals: per scenario and overall, the change in
    /// mean score and pass rate with 95% bootstrap intervals, and the
    /// scenarios that newly pass or fail.
    Compare {
        /// The first eval (the baseline): an id or a unique prefix.
        a: String,
        /// The second eval: an id or a unique prefix.
        b: String,
        /// Print the comparison as JSON.
        #[arg(long)]
        json: bool,
        /// Bootstrap resamples per interval, 100 to 100000.
        #[arg(long, default_value_t = oncall_gym::compare::DEFAULT_RESAMPLES, value_parser = clap::value_parser!(u32).range(100..=100_000))]
        resamples: u32,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Put audit logs and `eval --out` files into the results store.
    Import {
        /// Hash-chained audit logs and files of `eval --out` lines.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Print the tool definitions for your own agent stack.
    Tools {
        /// The schema dialect.
        #[arg(long, value_enum, default_value_t = ToolFormat::JsonSchema)]
        format: ToolFormat,
    },
    /// Render a scenario spec into fixture files.
    GenScenario {
        /// The spec file.
        spec: PathBuf,
        /// The seed (default: the spec's own).
        #[arg(long)]
        seed: Option<u64>,
        /// The scenario directory to write.
        #[arg(long)]
        out: PathBuf,
    },
}

/// `mcp`'s arguments.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "The client gets the alert (the server's instructions, the `investigate` prompt and the `incident` tool), the diagnostic tools, `record_observation` (the analysis of the last result and the hypothesis; it takes no step), and the ending actions `propose_mitigation` and `escalate`. The episode ends on an ending action or at the step limit; later tool calls get a tool error. It is judged then, or when the client disconnects first: the audit log is completed, --out gets one line and stderr a one-line summary; the client never sees the score. Messages are capped at 1 MiB. Exit 0 once the episode is judged, 1 if the scenario, the audit log or --out failed. See the README's \"MCP\" section."
)]
pub(crate) struct McpArgs {
    /// A scenario directory or name.
    pub(crate) scenario: String,
    /// The run's seed (with the scenario and agent name, what the run's ids derive from).
    #[arg(long, default_value_t = 0)]
    pub(crate) seed: u64,
    /// The step limit, 1 to 1000 (default: the scenario's).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=MAX_STEPS))]
    pub(crate) max_steps: Option<u32>,
    /// Write the hash-chained audit log to FILE.
    #[arg(long, value_name = "FILE")]
    pub(crate) audit: Option<PathBuf>,
    /// Append the run's result to FILE as one JSON line, in the shape of an
    /// `eval --out` line (so `oncall-gym scorecard FILE` can sum many runs).
    #[arg(long, value_name = "FILE.jsonl")]
    pub(crate) out: Option<PathBuf>,
    /// The agent's name, for the audit log and the --out line.
    #[arg(long, default_value = "mcp", value_parser = parse_agent_name)]
    pub(crate) agent: String,
    /// The trial index written to the --out line (number your runs of one
    /// scenario 0, 1, 2, ...).
    #[arg(long, default_value_t = 0)]
    pub(crate) trial: u32,
    /// Serve the scenario even if `validate` rejects it.
    #[arg(long)]
    pub(crate) no_validate: bool,
}

/// `scorecard`'s arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct ScorecardArgs {
    /// Files of `eval --out` / `mcp --out` lines.
    #[arg(required = true, value_name = "FILE.jsonl")]
    pub(crate) files: Vec<PathBuf>,
    /// Only the runs of this agent (required when the files hold several).
    #[arg(long, value_parser = parse_agent_name)]
    pub(crate) agent: Option<String>,
    /// k of pass^k (default: the fewest runs any scenario has).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=MAX_TRIALS))]
    pub(crate) k: Option<u32>,
    /// Print the scorecard as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

/// The flags of model agents (`--agent openai:MODEL`, `anthropic:MODEL`),
/// shared by `run` and `eval`. Keys come only from OPENAI_API_KEY and
/// ANTHROPIC_API_KEY, never from a flag, so they stay out of shell history.
#[derive(Debug, Clone, Default, clap::Args)]
#[command(next_help_heading = "Model agents")]
pub(crate) struct ModelArgs {
    /// The endpoint's base URL (default: $OPENAI_BASE_URL or $ANTHROPIC_BASE_URL, else the public API).
    #[arg(long, value_name = "URL")]
    pub(crate) llm_base_url: Option<String>,
    /// Sampling temperature, 0 to 2 (default: the provider's).
    #[arg(long, value_name = "T")]
    pub(crate) temperature: Option<f64>,
    /// The most tokens one reply may hold.
    #[arg(long, value_name = "N", default_value_t = oncall_llm::DEFAULT_MAX_OUTPUT_TOKENS, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub(crate) max_output_tokens: u32,
    /// End a run as budget_exhausted once it has used N tokens (input plus output).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) max_tokens_per_run: Option<u64>,
    /// Prices per million tokens by model, as JSON (on top of the built-in ones).
    #[arg(long, value_name = "FILE")]
    pub(crate) prices: Option<PathBuf>,
    /// Replay model calls from FILE without the network (with --record: call the model and record them).
    #[arg(long, value_name = "FILE")]
    pub(crate) cassette: Option<PathBuf>,
    /// Record the model calls into --cassette FILE (emptying it first).
    #[arg(long, requires = "cassette")]
    pub(crate) record: bool,
    /// Write each run's whole conversation to DIR as JSON.
    #[arg(long, value_name = "DIR")]
    pub(crate) transcripts: Option<PathBuf>,
    /// Seconds to wait for a model's reply before retrying.
    #[arg(long, value_name = "SECS", default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub(crate) llm_timeout: u64,
    /// Retries of a request that hit 429, 5xx or a timeout.
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = clap::value_parser!(u32).range(0..=20))]
    pub(crate) llm_retries: u32,
}

impl ModelArgs {
    /// The flags given that only a model agent uses, by name.
    pub(crate) fn model_only_flags(&self) -> Vec<&'static str> {
        let mut given = Vec::new();
        let flags = [
            ("--llm-base-url", self.llm_base_url.is_some()),
            ("--temperature", self.temperature.is_some()),
            ("--max-tokens-per-run", self.max_tokens_per_run.is_some()),
            ("--prices", self.prices.is_some()),
            ("--cassette", self.cassette.is_some()),
            ("--transcripts", self.transcripts.is_some()),
        ];
        for (flag, present) in flags {
            if present {
                given.push(flag);
            }
        }
        given
    }
}

/// A number of US dollars, more than 0.
fn parse_dollars(text: &str) -> Result<f64, String> {
    match text.trim_start_matches('$').parse::<f64>() {
        Ok(value) if value.is_finite() && value > 0.0 => Ok(value),
        _ => Err(format!("`{text}` is not an amount of dollars above 0")),
    }
}

/// A rate, from 0.01 to 10000 a second.
fn parse_rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(value) if value.is_finite() && (0.01..=10_000.0).contains(&value) => Ok(value),
        _ => Err(format!(
            "`{text}` is not a rate from 0.01 to 10000 requests a second"
        )),
    }
}

/// `--agent NAME`: 1 to 64 bytes of printable text, as an audit log takes.
fn parse_agent_name(text: &str) -> Result<String, String> {
    if oncall_protocol::is_valid_agent_name(text) {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "an agent name is 1 to {} bytes of printable text",
            oncall_protocol::MAX_AGENT_NAME_BYTES
        ))
    }
}

/// `run`'s arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct RunArgs {
    /// A scenario directory or name.
    pub(crate) scenario: String,
    /// The agent: heuristic, oracle, random, openai:MODEL or anthropic:MODEL.
    #[arg(long, default_value = "heuristic", value_name = "AGENT")]
    pub(crate) agent: AgentChoice,
    /// The seed for ids (and for the random agent).
    #[arg(long, default_value_t = 0)]
    pub(crate) seed: u64,
    /// The step limit, 1 to 1000 (default: the scenario's).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=MAX_STEPS))]
    pub(crate) max_steps: Option<u32>,
    /// Write the hash-chained audit log to FILE.
    #[arg(long, value_name = "FILE")]
    pub(crate) audit: Option<PathBuf>,
    /// Run the scenario even if `validate` rejects it (to debug a scenario
    /// being written).
    #[arg(long)]
    pub(crate) no_validate: bool,
    /// Print one JSON object instead of the score table.
    #[arg(long)]
    pub(crate) json: bool,
    #[command(flatten)]
    pub(crate) model: ModelArgs,
    #[command(flatten)]
    pub(crate) store: StoreArgs,
}

/// The most trials `eval` runs per scenario: every (scenario, trial) pair
/// is planned up front, so the count must stay bounded. It is the most runs
/// of a scenario an evaluation holds (`as`: u32 to i64 is lossless, and
/// `i64::from` is not const).
pub(crate) const MAX_TRIALS: i64 = oncall_gym::eval::MAX_RUNS_PER_SCENARIO as i64;

/// The highest step limit a run may be given: a run is a loop, and every
/// loop has a bound.
/// The scenario files' own bound, so a flag and a file cannot disagree
/// (`as` because `i64::from` is not const; u32 to i64 is lossless).
pub(crate) const MAX_STEPS: i64 = oncall_sim::MAX_STEPS as i64;

/// `eval`'s arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct EvalArgs {
    /// Scenario directories or names (default: every scenario in --fixtures DIR, else $ONCALL_GYM_FIXTURES, else ./fixtures/incidents, else the built-ins).
    pub(crate) scenarios: Vec<String>,
    /// The agent: heuristic, oracle, random, openai:MODEL or anthropic:MODEL.
    #[arg(long, default_value = "heuristic", value_name = "AGENT")]
    pub(crate) agent: AgentChoice,
    /// Trials per scenario (k of pass^k), 1 to 10000.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=MAX_TRIALS))]
    pub(crate) trials: u32,
    /// The base seed; each trial's seed is derived from it, the scenario and the trial.
    #[arg(long, default_value_t = 0)]
    pub(crate) seed: u64,
    /// Evaluate each scenario as K variants, 1 to 100, rendered in memory from its spec.json with seeds derived from --seed: the same ground truth, other noise and timing. The scorecard aggregates a scenario over its variants and trials (variants x trials at most 10000).
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u32).range(1..=i64::from(oncall_gym::variants::MAX_VARIANTS)))]
    pub(crate) variants: Option<u32>,
    /// Worker threads (default: the number of CPUs).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub(crate) jobs: Option<u32>,
    /// The step limit for every run, 1 to 1000 (default: each scenario's).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=MAX_STEPS))]
    pub(crate) max_steps: Option<u32>,
    /// Write one JSON line per run to FILE.
    #[arg(long, value_name = "FILE.jsonl")]
    pub(crate) out: Option<PathBuf>,
    /// Run the scenarios even if `validate` rejects some (to debug a
    /// scenario being written).
    #[arg(long)]
    pub(crate) no_validate: bool,
    /// Print the scorecard as JSON.
    #[arg(long)]
    pub(crate) json: bool,
    /// Stop starting runs once the runs done have cost this many US dollars
    /// (model agents; the model's price must be known). Exit 1 when it stops.
    #[arg(long, value_name = "USD", value_parser = parse_dollars)]
    pub(crate) max_cost: Option<f64>,
    /// Complete the interrupted eval ID (or a unique prefix) in the store: run only the (scenario, trial) pairs it does not hold, with its own scenarios, trials, seed, step limit and cost budget (less what it spent; --max-cost replaces it).
    #[arg(long, value_name = "EVAL_ID")]
    pub(crate) resume: Option<String>,
    /// At most N model requests a second, over every parallel run.
    #[arg(long, value_name = "N", value_parser = parse_rate)]
    pub(crate) max_rps: Option<f64>,
    #[command(flatten)]
    pub(crate) model: ModelArgs,
    #[command(flatten)]
    pub(crate) store: StoreArgs,
}

/// `replay`'s arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct ReplayArgs {
    /// The hash-chained audit log (`-` for stdin).
    #[arg(value_name = "AUDIT.jsonl")]
    pub(crate) audit: PathBuf,
    /// Show the state at the end of step N instead of the timeline.
    #[arg(long, value_name = "N")]
    pub(crate) at_step: Option<u32>,
    /// Re-score the run against this scenario (a directory or a name).
    #[arg(long, value_name = "S")]
    pub(crate) scenario: Option<String>,
    /// The head hash the log must end at (as `run --audit` printed it): 64
    /// hex digits. Without it, a change to the last line or a cut at a line
    /// boundary cannot be detected.
    #[arg(long, value_name = "HASH", value_parser = parse_head_hash)]
    pub(crate) expect_head: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

/// `judge`'s arguments: one answer, given as a mitigation text, structured
/// actions, or an escalation.
#[derive(Debug, clap::Args)]
#[command(group(
    clap::ArgGroup::new("answer")
        .required(true)
        .args(["mitigation", "actions", "escalate"])
))]
pub(crate) struct JudgeArgs {
    /// A scenario directory or name.
    pub(crate) scenario: String,
    /// A mitigation in free text (it may start with `-`, as a bullet does).
    #[arg(long, value_name = "TEXT", allow_hyphen_values = true, value_parser = parse_answer_text)]
    pub(crate) mitigation: Option<String>,
    /// A mitigation as structured actions: a JSON array of {"kind",
    /// "target", "description"?}.
    #[arg(long, value_name = "JSON", value_parser = parse_actions)]
    pub(crate) actions: Option<ActionList>,
    /// An escalation to TARGET (free text; it may be empty when `--team`
    /// is given).
    #[arg(long, value_name = "TARGET", allow_hyphen_values = true)]
    pub(crate) escalate: Option<String>,
    /// The escalation's catalogue team or provider.
    #[arg(long, value_name = "T", conflicts_with_all = ["mitigation", "actions"])]
    pub(crate) team: Option<String>,
    /// The escalation's reason. Accepted so that a decision can be judged
    /// as it was written; like the grader, `judge` never reads it.
    #[arg(
        long,
        value_name = "R",
        allow_hyphen_values = true,
        conflicts_with_all = ["mitigation", "actions"]
    )]
    pub(crate) reason: Option<String>,
    /// The claimed root cause's service.
    #[arg(long, value_name = "S")]
    pub(crate) root_cause_service: Option<String>,
    /// The claimed root cause's category (see `fixtures/README.md`).
    #[arg(long, value_name = "C")]
    pub(crate) root_cause_category: Option<String>,
    /// Print one JSON object.
    #[arg(long)]
    pub(crate) json: bool,
}

/// The actions `--actions` gave.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ActionList(pub(crate) Vec<ActionClaim>);

/// `--actions`: a JSON array of actions. Malformed JSON, the wrong shape,
/// or no actions at all (which a run would not accept as an answer) is a
/// usage error naming the problem.
fn parse_actions(text: &str) -> Result<ActionList, String> {
    let actions: Vec<ActionClaim> = serde_json::from_str(text).map_err(|error| {
        format!("expected a JSON array of {{\"kind\", \"target\", \"description\"?}}: {error}")
    })?;
    if actions.is_empty() {
        return Err(
            "no actions: give at least one, or judge a text with --mitigation (a run refuses a mitigation with neither)"
                .to_owned(),
        );
    }
    Ok(ActionList(actions))
}

/// `--mitigation`: any text but a blank one, which a run would refuse.
fn parse_answer_text(text: &str) -> Result<String, String> {
    if text.trim().is_empty() {
        return Err(
            "the mitigation is blank: a run refuses a mitigation with no text and no actions"
                .to_owned(),
        );
    }
    Ok(text.to_owned())
}

/// The length of an audit log's head hash, in hex digits (SHA-256).
const HEAD_HASH_DIGITS: usize = 64;

/// `--expect-head`: exactly 64 hex digits, returned in lower case (as the
/// log's hashes are written).
fn parse_head_hash(text: &str) -> Result<String, String> {
    let expected = format!(
        "expected a head hash of exactly {HEAD_HASH_DIGITS} hex digits (0-9, a-f), as `run --audit` prints it"
    );
    if let Some((position, character)) = text
        .chars()
        .enumerate()
        .find(|(_, character)| !character.is_ascii_hexdigit())
    {
        return Err(format!(
            "{expected}; character {} is {character:?}, not a hex digit",
            position + 1
        ));
    }
    if text.len() != HEAD_HASH_DIGITS {
        return Err(format!("{expected}; got {} digits", text.len()));
    }
    Ok(text.to_ascii_lowercase())
}

/// The dialects `tools` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ToolFormat {
    /// OpenAI function calling: `tools` entries, strict.
    Openai,
    /// Anthropic tool use: `{name, description, input_schema}`.
    Anthropic,
    /// An MCP `tools/list` result: `{tools: [{name, description, inputSchema}]}`.
    Mcp,
    /// Plain JSON Schema: `[{name, description, parameters}]`.
    JsonSchema,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn usage_errors_are_exit_code_2() {
        let (not_hex, too_long) = ("g".repeat(64), "a".repeat(65));
        for arguments in [
            vec!["oncall-gym", "run", "x", "--agent", "genius"],
            vec!["oncall-gym", "run", "x", "--bogus"],
            vec!["oncall-gym", "run", "x", "--max-steps", "0"],
            vec!["oncall-gym", "eval", "--trials", "0"],
            vec!["oncall-gym", "eval", "--trials", "10001"],
            vec!["oncall-gym", "eval", "--variants", "0"],
            vec!["oncall-gym", "eval", "--variants", "101"],
            vec!["oncall-gym", "run", "x", "--max-steps", "1001"],
            vec!["oncall-gym", "tools", "--format", "yaml"],
            vec!["oncall-gym", "judge", "x"],
            vec![
                "oncall-gym",
                "judge",
                "x",
                "--mitigation",
                "a",
                "--escalate",
                "b",
            ],
            vec!["oncall-gym", "judge", "x", "--actions", "[{"],
            vec![
                "oncall-gym",
                "judge",
                "x",
                "--actions",
                r#"{"kind":"rollback"}"#,
            ],
            vec![
                "oncall-gym",
                "judge",
                "x",
                "--mitigation",
                "a",
                "--team",
                "t",
            ],
            vec!["oncall-gym", "replay", "x", "--expect-head", "abc"],
            vec![
                "oncall-gym",
                "replay",
                "x",
                "--expect-head",
                not_hex.as_str(),
            ],
            vec![
                "oncall-gym",
                "replay",
                "x",
                "--expect-head",
                too_long.as_str(),
            ],
            vec!["oncall-gym"],
            vec!["oncall-gym", "mcp"],
            vec!["oncall-gym", "mcp", "x", "--max-steps", "0"],
            vec!["oncall-gym", "mcp", "x", "--agent", ""],
            vec!["oncall-gym", "mcp", "x", "--agent", "a\tb"],
            vec!["oncall-gym", "scorecard"],
            vec!["oncall-gym", "scorecard", "f", "--k", "0"],
        ] {
            let error = Cli::try_parse_from(&arguments).unwrap_err();
            assert_eq!(error.exit_code(), 2, "{arguments:?}");
        }
    }

    #[test]
    fn a_head_hash_is_64_hex_digits_in_any_case_kept_in_lower_case() {
        let upper = "AB".repeat(32);
        let cli =
            Cli::try_parse_from(["oncall-gym", "replay", "x", "--expect-head", &upper]).unwrap();
        let Command::Replay(replay) = cli.command else {
            panic!("not replay");
        };
        assert_eq!(replay.expect_head, Some("ab".repeat(32)));
        let error = parse_head_hash("abc").unwrap_err();
        assert!(error.contains("exactly 64 hex digits"), "{error}");
        assert!(error.contains("got 3 digits"), "{error}");
        let error = parse_head_hash(&format!("{}g", "a".repeat(63))).unwrap_err();
        assert!(
            error.contains("character 64 is 'g', not a hex digit"),
            "{error}"
        );
        assert!(!error.contains("got"), "{error}");
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let cli = Cli::try_parse_from(["oncall-gym", "run", "latency_spike"]).unwrap();
        let Command::Run(run) = cli.command else {
            panic!("not run");
        };
        assert_eq!(run.agent.to_string(), "heuristic");
        assert_eq!(run.model.llm_timeout, 120);
        assert!(run.model.model_only_flags().is_empty());
        assert_eq!(run.seed, 0);
        assert!(run.max_steps.is_none() && run.audit.is_none() && !run.json);
        let cli = Cli::try_parse_from(["oncall-gym", "eval", "--fixtures", "f"]).unwrap();
        assert_eq!(cli.fixtures, Some(PathBuf::from("f")));
    }
}
