//! `oncall-gym scenarios [--json]`.

use std::process::ExitCode;

use serde::Serialize;

use oncall_gym::library::ScenarioLibrary;
use oncall_sim::Scenario;

use crate::commands::checks;
use crate::output;
use crate::table::Table;

/// What a listing shows of a scenario. Never the ground truth.
#[derive(Debug, Serialize)]
struct ScenarioListing<'a> {
    id: &'a str,
    title: &'a str,
    difficulty: &'static str,
    category: &'a str,
    service: &'a str,
}

impl<'a> ScenarioListing<'a> {
    fn of(scenario: &'a Scenario) -> ScenarioListing<'a> {
        ScenarioListing {
            id: scenario.id(),
            title: scenario.title(),
            difficulty: scenario.difficulty().as_str(),
            category: scenario.category().as_str(),
            service: &scenario.incident_spec().service,
        }
    }
}

/// Lists the default library. Scenarios that do not load are reported on
/// stderr, and make the exit code 1. A library where two directories hold
/// the same scenario id is refused (exit 1, no listing): a name would not
/// say which of them it means.
pub(crate) fn scenarios(library: &ScenarioLibrary, json: bool) -> anyhow::Result<ExitCode> {
    let (loaded, broken) = checks::load_default_library(library)?;
    if !checks::refuse_duplicates(&loaded) {
        return Ok(ExitCode::FAILURE);
    }
    let listings: Vec<ScenarioListing<'_>> = loaded.iter().map(ScenarioListing::of).collect();
    if json {
        output::print_json(&listings)?;
    } else {
        let mut table = Table::with_header(["id", "title", "difficulty", "category", "service"]);
        for listing in &listings {
            table.row([
                listing.id,
                listing.title,
                listing.difficulty,
                listing.category,
                listing.service,
            ]);
        }
        output::print(&table.render())?;
        eprintln!(
            "{} in {}",
            output::count(listings.len() as u64, "scenario"),
            library.default_label()
        );
    }
    Ok(if broken {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
