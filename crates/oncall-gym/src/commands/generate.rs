//! `oncall-gym gen-scenario SPEC [--seed N] --out DIR`.

use std::path::Path;
use std::process::ExitCode;

use oncall_sim::Scenario;
use oncall_sim::generator::{
    GeneratedScenario, generate, load_spec, rendered_files, write_scenario,
};

use crate::commands::checks;
use crate::output;

/// Renders the spec at `spec` with `seed` (or the spec's own) into `out`.
///
/// The rendered files are checked in memory first, exactly as `validate`
/// would check them in `out` (loaded by the same rules, the id against the
/// directory's name, the reference solution replayed): a rendering that
/// `validate` would reject is refused, exit 1, with its problems, and
/// nothing is written. Re-rendering a scenario into its own directory
/// overwrites its generated files.
pub(crate) fn generate_scenario(
    spec: &Path,
    seed: Option<u64>,
    out: &Path,
) -> anyhow::Result<ExitCode> {
    if out.exists() && !out.is_dir() {
        anyhow::bail!(
            "--out {}: exists and is not a directory; --out takes the scenario directory to write",
            out.display()
        );
    }
    let loaded = load_spec(spec)?;
    let seed = seed.unwrap_or(loaded.seed);
    let generated = generate(&loaded, seed)?;
    let problems = problems_in(out, &generated)?;
    if !problems.is_empty() {
        for problem in &problems {
            eprintln!("{}", output::escape(problem));
        }
        eprintln!(
            "error: {} rendered with seed {seed} gives a scenario `validate` rejects ({} above); nothing was written to {}",
            spec.display(),
            output::count(problems.len() as u64, "problem"),
            out.display()
        );
        return Ok(ExitCode::FAILURE);
    }
    write_scenario(out, &generated)?;
    eprintln!("wrote {} (seed {seed})", out.display());
    Ok(ExitCode::SUCCESS)
}

/// What `validate` would report for `generated` written into `out`: the
/// files are serialised as `write_scenario` writes them and loaded back
/// from memory.
fn problems_in(out: &Path, generated: &GeneratedScenario) -> anyhow::Result<Vec<String>> {
    let files = rendered_files(generated)?;
    let embedded: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(name, text)| (*name, text.as_bytes()))
        .collect();
    Ok(checks::problems_of(&Scenario::from_embedded(
        out, &embedded,
    )))
}
