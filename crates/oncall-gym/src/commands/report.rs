//! `oncall-gym report EVAL_ID --out report.html`: the web UI's pages of one
//! eval as a single self-contained file. The file holds the UI's page,
//! script and styles, and the API's answers for every page it links to, so
//! it opens from disk with no server and no network.

use std::collections::BTreeSet;
use std::process::ExitCode;

use anyhow::Context;
use serde_json::{Map, Value, json};

use oncall_gym::library::ScenarioLibrary;
use oncall_server::{EvalList, EvalView, Gym, RunList, RunView, run_events, standalone_page};
use oncall_store::RunRow;

use crate::cli::ReportArgs;
use crate::commands::http::LibraryGym;
use crate::commands::store;
use crate::output;

/// The most runs whose pages (record and audit log) a report holds; the
/// rest are listed on the eval's page without one.
pub(crate) const MAX_REPORT_RUN_PAGES: usize = 1000;

/// The most bytes of run pages a report holds (64 MiB): past it, the other
/// runs are listed without their pages.
pub(crate) const MAX_REPORT_PAGE_BYTES: usize = 64 * 1024 * 1024;

/// Writes the report. Exit 1 when the eval is unknown or the file cannot be
/// written.
pub(crate) fn report(library: ScenarioLibrary, arguments: &ReportArgs) -> anyhow::Result<ExitCode> {
    let mut store = store::open_for_reading(&arguments.store)?;
    let eval = store.eval(&arguments.eval)?;
    let runs = store.eval_runs(&eval.id)?;
    let progress = store.queue_counts(Some(&eval.id))?.into();
    let gym = LibraryGym::new(library);
    let scorecard = gym
        .scorecard(&eval, &runs)
        .map_err(|message| anyhow::anyhow!("eval {}: {message}", eval.id))?;
    let id = eval.id.clone();
    let mut pages = Map::new();
    pages.insert("#start".to_owned(), json!(format!("/evals/{id}")));
    pages.insert(
        "/v1/evals".to_owned(),
        serde_json::to_value(EvalList {
            evals: vec![eval.clone()],
        })?,
    );
    // Every scenario's first trials first, so that the caps leave out
    // trials rather than whole scenarios.
    let mut chosen: Vec<&RunRow> = runs.iter().collect();
    chosen.sort_by(|a, b| (a.trial, &a.scenario).cmp(&(b.trial, &b.scenario)));
    let (mut pages_made, mut left_out, mut bytes_used) = (0, 0, 0);
    for run in chosen {
        if pages_made >= MAX_REPORT_RUN_PAGES || bytes_used >= MAX_REPORT_PAGE_BYTES {
            left_out += 1;
            continue;
        }
        pages_made += 1;
        let record: Value = serde_json::from_str(&run.record)
            .with_context(|| format!("run {} in the store is damaged", run.run_id))?;
        let query = format!("?eval={id}");
        bytes_used += run.record.len();
        if let Some(bytes) = store.audit_log(run)? {
            bytes_used += bytes.len();
            pages.insert(
                format!("/v1/runs/{}/events{query}", run.run_id),
                serde_json::to_value(run_events(run.clone(), &bytes))?,
            );
        }
        pages.insert(
            format!("/v1/runs/{}{query}", run.run_id),
            serde_json::to_value(RunView {
                run: run.clone(),
                record,
            })?,
        );
    }
    let scenarios: BTreeSet<&str> = runs.iter().map(|run| run.scenario.as_str()).collect();
    let mut listed = Vec::new();
    for scenario in &scenarios {
        if let (Some(view), Some(answer)) = (
            gym.describe_scenario(scenario),
            gym.scenario_answer(scenario),
        ) {
            listed.push(json!({"id": scenario, "difficulty": view["difficulty"]}));
            pages.insert(format!("/v1/scenarios/{scenario}"), view);
            pages.insert(format!("/v1/scenarios/{scenario}/answer"), answer);
        }
    }
    pages.insert("/v1/scenarios".to_owned(), Value::Array(listed));
    // The eval page lists the newest 1000 runs, as the server's does.
    let listed_runs: Vec<RunRow> = {
        let mut newest = runs.clone();
        newest.sort_by_key(|run| std::cmp::Reverse(run.key));
        newest.truncate(1000);
        newest
    };
    pages.insert(
        format!("/v1/runs?eval={id}&limit=1000"),
        serde_json::to_value(RunList { runs: listed_runs })?,
    );
    pages.insert(
        format!("/v1/evals/{id}"),
        serde_json::to_value(EvalView {
            eval: eval.clone(),
            progress,
            scorecard,
        })?,
    );
    let short = id.get(..8).unwrap_or(&id);
    let page = standalone_page(&format!("oncall-gym eval {short}"), &Value::Object(pages));
    std::fs::write(&arguments.out, &page)
        .with_context(|| format!("could not write {}", arguments.out.display()))?;
    eprintln!(
        "report: eval {short} ({}, {}) in {} ({} KB){}",
        output::escape(&eval.agent),
        output::count(runs.len() as u64, "run"),
        arguments.out.display(),
        page.len() / 1024,
        if left_out > 0 {
            format!(
                "; {left_out} runs are listed without their pages (a report holds at most {MAX_REPORT_RUN_PAGES} run pages and {} MiB of them)",
                MAX_REPORT_PAGE_BYTES / (1024 * 1024)
            )
        } else {
            String::new()
        },
    );
    Ok(ExitCode::SUCCESS)
}
