//! `oncall-gym scorecard FILE... [--agent A] [--k K] [--json]`: the
//! scorecard of runs recorded as `eval --out` or `mcp --out` lines, so that
//! runs made one at a time (an MCP agent over the library) sum up as `eval`
//! would have printed them.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;

use oncall_gym::eval::TrialRecord;
use oncall_gym::scorecard::{Scorecard, TrialScore, UsageTotal, fewest_runs, scorecard};

use crate::cli::ScorecardArgs;
use crate::output;
use crate::table::Table;

/// The longest line read, in bytes: a record is a few KiB.
const MAX_LINE_BYTES: u64 = 1024 * 1024;

/// The most records read over all the files.
const MAX_RECORDS: usize = 1_000_000;

/// Reads every line of every file, then prints the scorecard of the runs
/// (of `--agent`, when given). Exit 1 when a file cannot be read, a line is
/// not a record (naming the file, line, column and field), there are no
/// runs, or the files hold several agents and `--agent` picks none.
pub(crate) fn scorecard_command(arguments: &ScorecardArgs) -> anyhow::Result<ExitCode> {
    let mut records = Vec::new();
    for path in &arguments.files {
        read_records(path, &mut records)?;
    }
    let agents: BTreeSet<&str> = records.iter().map(|record| record.agent.as_str()).collect();
    let agent = match (&arguments.agent, agents.len()) {
        (Some(agent), _) => agent.clone(),
        (None, 1) => agents
            .iter()
            .next()
            .map(|agent| (*agent).to_owned())
            .unwrap_or_default(),
        (None, 0) => anyhow::bail!("no runs in {}", labels(&arguments.files)),
        (None, _) => anyhow::bail!(
            "the runs are of several agents ({}): pick one with --agent",
            agents.into_iter().collect::<Vec<_>>().join(", ")
        ),
    };
    let scores: Vec<TrialScore> = records
        .iter()
        .filter(|record| record.agent == agent)
        .map(TrialRecord::trial_score)
        .collect();
    if scores.is_empty() {
        anyhow::bail!("no runs of agent `{agent}` in {}", labels(&arguments.files));
    }
    let k = arguments
        .k
        .unwrap_or_else(|| fewest_runs(&scores).unwrap_or(1));
    let card: Scorecard = scorecard(&scores, k);
    eprintln!(
        "{} of agent {agent} over {}",
        output::count(scores.len() as u64, "run"),
        output::count(card.scenarios.len() as u64, "scenario"),
    );
    if arguments.json {
        output::print_json(&card)?;
    } else {
        output::print(&scorecard_table(&card, k).render())?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Appends the records of the file at `path`, one per non-blank line.
pub(crate) fn read_records(path: &Path, records: &mut Vec<TrialRecord>) -> anyhow::Result<()> {
    let file = File::open(path).with_context(|| format!("could not open {}", path.display()))?;
    let mut reader = BufReader::new(file);
    let mut line = Vec::new();
    let mut number = 0_u64;
    loop {
        line.clear();
        number += 1;
        let read = (&mut reader)
            .take(MAX_LINE_BYTES + 1)
            .read_until(b'\n', &mut line)
            .with_context(|| format!("could not read {}", path.display()))?;
        if read == 0 {
            return Ok(());
        }
        if line.len() as u64 > MAX_LINE_BYTES {
            anyhow::bail!(
                "{}:{number}: the line is over {MAX_LINE_BYTES} bytes: not an `eval --out` line",
                path.display()
            );
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if records.len() >= MAX_RECORDS {
            anyhow::bail!("{}:{number}: more than {MAX_RECORDS} runs", path.display());
        }
        let mut deserializer = serde_json::Deserializer::from_slice(&line);
        let record: TrialRecord =
            serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
                let field = error.path().to_string();
                let inner = error.into_inner();
                anyhow::anyhow!(
                    "{}:{number}:{}: field `{field}`: {inner}",
                    path.display(),
                    inner.column()
                )
            })?;
        records.push(record);
    }
}

fn labels(paths: &[std::path::PathBuf]) -> String {
    let labels: Vec<String> = paths
        .iter()
        .map(|path| path.display().to_string())
        .collect();
    labels.join(", ")
}

/// One row per scenario, then the overall row.
pub(crate) fn scorecard_table(card: &Scorecard, k: u32) -> Table {
    let pass_hat_k = format!("pass^{k}");
    // Tokens and cost only when the runs called a model; the overall row
    // holds their totals.
    let with_usage = card.overall.usage.is_some();
    let mut header = vec![
        "scenario",
        "runs",
        "mean score",
        "pass rate",
        pass_hat_k.as_str(),
        "localized",
        "category",
        "mean steps",
    ];
    if with_usage {
        header.extend(["tokens", "cost"]);
    }
    let columns: Vec<usize> = (1..header.len()).collect();
    let mut table = Table::with_header(header).right_align(&columns);
    let row = |table: &mut Table,
               id: &str,
               runs: u32,
               shares: [f64; 5],
               steps: f64,
               usage: Option<&UsageTotal>| {
        let mut cells = vec![id.to_owned(), runs.to_string()];
        cells.extend(shares.iter().map(|share| output::score(*share)));
        cells.push(format!("{steps:.1}"));
        if with_usage {
            cells.push(usage.map_or_else(|| "-".to_owned(), |u| u.tokens().to_string()));
            cells.push(
                usage
                    .and_then(|u| u.cost_usd)
                    .map_or_else(|| "-".to_owned(), |cost| format!("${cost:.4}")),
            );
        }
        table.row(cells);
    };
    for line in &card.scenarios {
        row(
            &mut table,
            &line.id,
            line.runs,
            [
                line.mean_score,
                line.pass_rate,
                line.pass_hat_k,
                line.localization,
                line.root_cause_category,
            ],
            line.mean_steps,
            line.usage.as_ref(),
        );
    }
    let overall = &card.overall;
    table.rule();
    row(
        &mut table,
        "overall",
        overall.runs,
        [
            overall.mean_score,
            overall.pass_rate,
            overall.pass_hat_k,
            overall.localization,
            overall.root_cause_category,
        ],
        overall.mean_steps,
        overall.usage.as_ref(),
    );
    table
}
