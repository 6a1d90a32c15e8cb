//! `oncall-gym compare EVAL_A EVAL_B [--json] [--resamples N]`.

use std::process::ExitCode;

use oncall_gym::compare::{Change, Comparison, ScenarioChange, compare};

use crate::cli::StoreArgs;
use crate::commands::history::eval_records;
use crate::commands::store;
use crate::output;
use crate::table::Table;

/// Compares two evals in the store and prints the table (or JSON). Exit 1
/// when either is unknown or they share no scenario.
pub(crate) fn compare_command(
    a: &str,
    b: &str,
    json: bool,
    resamples: u32,
    arguments: &StoreArgs,
) -> anyhow::Result<ExitCode> {
    let mut store = store::open_for_reading(arguments)?;
    let eval_a = store.eval(a)?;
    let eval_b = store.eval(b)?;
    let records_a = eval_records(&mut store, &eval_a)?;
    let records_b = eval_records(&mut store, &eval_b)?;
    let comparison = compare(&records_a, &records_b, resamples);
    eprintln!(
        "A: eval {} ({}, {}); B: eval {} ({}, {})",
        short(&eval_a.id),
        output::escape(&eval_a.agent),
        output::count(eval_a.runs, "run"),
        short(&eval_b.id),
        output::escape(&eval_b.agent),
        output::count(eval_b.runs, "run"),
    );
    if comparison.scenarios.is_empty() {
        anyhow::bail!("the two evals share no scenario");
    }
    if json {
        output::print_json(&comparison)?;
    } else {
        output::print(&render(&comparison))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

fn render(comparison: &Comparison) -> String {
    let mut table = Table::with_header([
        "scenario",
        "runs A/B",
        "score A",
        "score B",
        "Δ score [95% CI]",
        "pass A",
        "pass B",
        "Δ pass [95% CI]",
        "change",
    ])
    .right_align(&[1, 2, 3, 5, 6]);
    let row = |table: &mut Table, line: &ScenarioChange| {
        let verdict = match (line.mean_score.verdict, line.pass_rate.verdict) {
            ("unclear", other) | (other, "unclear") => other,
            (score, _) => score,
        };
        table.row([
            line.id.clone(),
            format!("{}/{}", line.runs_a, line.runs_b),
            output::score(line.mean_score_a),
            output::score(line.mean_score_b),
            interval(&line.mean_score),
            output::score(line.pass_rate_a),
            output::score(line.pass_rate_b),
            interval(&line.pass_rate),
            verdict.to_owned(),
        ]);
    };
    for line in &comparison.scenarios {
        row(&mut table, line);
    }
    table.rule();
    row(&mut table, &comparison.overall);
    let mut text = table.render();
    let list = |names: &[String]| {
        if names.is_empty() {
            "none".to_owned()
        } else {
            names.join(", ")
        }
    };
    text.push_str(&format!(
        "newly passing: {}\n",
        list(&comparison.newly_passing)
    ));
    text.push_str(&format!(
        "newly failing: {}\n",
        list(&comparison.newly_failing)
    ));
    if !comparison.only_in_a.is_empty() {
        text.push_str(&format!("only in A: {}\n", list(&comparison.only_in_a)));
    }
    if !comparison.only_in_b.is_empty() {
        text.push_str(&format!("only in B: {}\n", list(&comparison.only_in_b)));
    }
    text.push_str(&format!(
        "intervals: paired bootstrap over scenarios and trials, {} resamples, seeded; `unclear` means the interval holds 0\n",
        comparison.resamples
    ));
    text
}

fn interval(change: &Change) -> String {
    format!(
        "{:+.3} [{:+.3}, {:+.3}]",
        change.delta, change.low, change.high
    )
}
