//! The command line of the results store: `--db`/`--no-db`, and the
//! `evals`, `runs` and `import` commands.

use std::path::PathBuf;

use clap::Subcommand;

/// Where results go (`run`, `eval`) or come from (`evals`, `runs`,
/// `import`).
#[derive(Debug, Clone, Default, clap::Args)]
#[command(next_help_heading = "Results store")]
pub(crate) struct StoreArgs {
    /// The results store: a SQLite file (default: $ONCALL_GYM_DB, else results.db under $XDG_DATA_HOME/oncall-gym or ~/.local/share/oncall-gym).
    #[arg(long, value_name = "PATH", global = true)]
    pub(crate) db: Option<String>,
    /// Record nothing.
    #[arg(long, conflicts_with = "db", global = true)]
    pub(crate) no_db: bool,
}

/// `evals`' subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum EvalsCommand {
    /// List the recorded evals, newest first.
    List {
        /// Print a JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Print an eval's scorecard, as `eval` printed it.
    Show {
        /// The eval's id, or a unique prefix of it.
        id: String,
        /// Print the scorecard as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `runs`' subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum RunsCommand {
    /// List recorded runs, newest first.
    List {
        /// Only this eval's (an id or a unique prefix).
        #[arg(long, value_name = "ID")]
        eval: Option<String>,
        /// Only this scenario's.
        #[arg(long, value_name = "S")]
        scenario: Option<String>,
        /// Only this agent's.
        #[arg(long, value_name = "A")]
        agent: Option<String>,
        /// At most N runs (0: all).
        #[arg(long, value_name = "N", default_value_t = 50)]
        limit: u32,
        /// Print a JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Show a run's timeline, as `replay` shows it.
    Show {
        /// The run's id, or a unique prefix of it.
        run_id: String,
        /// The eval it is in, when two evals hold the same run id.
        #[arg(long, value_name = "ID")]
        eval: Option<String>,
        /// Print `replay --json`'s object.
        #[arg(long)]
        json: bool,
    },
    /// Write a run's audit log, byte for byte, to stdout (or --out FILE).
    Export {
        /// The run's id, or a unique prefix of it.
        run_id: String,
        /// The eval it is in, when two evals hold the same run id.
        #[arg(long, value_name = "ID")]
        eval: Option<String>,
        /// Write to FILE instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}
