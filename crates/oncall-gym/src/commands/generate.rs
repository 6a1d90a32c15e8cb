//! `oncall-gym gen-scenario SPEC [--seed N] --out DIR`.

use std::path::Path;
use std::process::ExitCode;

use oncall_sim::generator::{generate, load_spec, write_scenario};

/// Renders the spec at `spec` with `seed` (or the spec's own) into `out`.
pub(crate) fn generate_scenario(
    spec: &Path,
    seed: Option<u64>,
    out: &Path,
) -> anyhow::Result<ExitCode> {
    let loaded = load_spec(spec)?;
    let seed = seed.unwrap_or(loaded.seed);
    let generated = generate(&loaded, seed)?;
    write_scenario(out, &generated)?;
    eprintln!("wrote {} (seed {seed})", out.display());
    Ok(ExitCode::SUCCESS)
}
