//! One module per subcommand. Each returns the exit code, or an error that
//! `main` prints and turns into exit code 1.

mod checks;
mod compare;
mod eval;
mod generate;
pub(crate) mod history;
mod http;
mod judge;
mod mcp;
mod models;
mod replay;
mod report;
mod run;
mod scenarios;
mod score;
mod scorecard;
mod serve;
mod store;
mod tools;
mod validate;

use std::process::ExitCode;

use oncall_gym::library::ScenarioLibrary;

use crate::cli::{Cli, Command};

/// A usage error found after parsing (a flag that does not fit the agent,
/// a missing key): `main` prints it and exits 2, as for clap's own.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct UsageError(pub(crate) String);

/// Runs the command line's subcommand.
pub(crate) fn execute(cli: Cli) -> anyhow::Result<ExitCode> {
    let library = || ScenarioLibrary::discover(cli.fixtures.as_deref());
    match cli.command {
        Command::Scenarios { json } => scenarios::scenarios(&library()?, json),
        Command::Validate { paths } => validate::validate(&library()?, &paths),
        Command::Run(arguments) => run::run(&library()?, &arguments),
        Command::Eval(arguments) => eval::eval(&library()?, &arguments),
        Command::Replay(arguments) => replay::replay(&library()?, &arguments),
        Command::Judge(arguments) => judge::judge(&library()?, &arguments),
        Command::Serve(arguments) if arguments.stdio => serve::serve(library()?, &arguments),
        Command::Serve(arguments) => http::serve_http(library()?, &arguments),
        Command::Worker(arguments) => http::worker(library()?, &arguments),
        Command::Report(arguments) => report::report(library()?, &arguments),
        Command::Mcp(arguments) => mcp::mcp(&library()?, &arguments),
        Command::Scorecard(arguments) => scorecard::scorecard_command(&arguments),
        Command::Evals { command, store } => history::evals(&command, &store),
        Command::Runs { command, store } => history::runs(&library()?, &command, &store),
        Command::Compare {
            a,
            b,
            json,
            resamples,
            store,
        } => compare::compare_command(&a, &b, json, resamples, &store),
        Command::Import { files, store } => history::import(&library()?, &files, &store),
        Command::Tools { format } => tools::tools(format),
        Command::GenScenario { spec, seed, out } => generate::generate_scenario(&spec, seed, &out),
    }
}
