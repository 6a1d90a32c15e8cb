//! [`PreparedRun`]: a run ready to be written, its lines split and hashed
//! beforehand, so that the work a writer does under the database's lock is
//! only the writing.

use oncall_audit::sha256_hex;

use crate::rows::NewRun;

/// A run with its audit log cut into lines and each line hashed. Owned, so
/// it can be handed to a writer thread.
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedRun {
    pub(crate) eval_id: Option<String>,
    pub(crate) run_id: String,
    pub(crate) scenario: String,
    pub(crate) trial: u32,
    pub(crate) seed: u64,
    pub(crate) agent: String,
    pub(crate) status: String,
    pub(crate) termination: Option<String>,
    pub(crate) steps: u32,
    pub(crate) score: f64,
    pub(crate) passed: bool,
    pub(crate) tokens: Option<u64>,
    pub(crate) cost_usd: Option<f64>,
    pub(crate) wall_time_ms: f64,
    pub(crate) record: String,
    pub(crate) evaluation: String,
    pub(crate) recorded_at: String,
    /// The audit log, and where each line ends (after its newline).
    pub(crate) audit: Vec<u8>,
    pub(crate) ends: Vec<usize>,
    pub(crate) hashes: Vec<String>,
}

impl PreparedRun {
    /// `run`, recorded at `recorded_at` (RFC 3339), ready to write.
    pub fn new(run: &NewRun<'_>, recorded_at: &str) -> PreparedRun {
        let audit = run.audit.map(<[u8]>::to_vec).unwrap_or_default();
        let mut ends = Vec::new();
        let mut hashes = Vec::new();
        let mut start = 0;
        for line in audit.split_inclusive(|byte| *byte == b'\n') {
            start += line.len();
            ends.push(start);
            hashes.push(sha256_hex(line));
        }
        PreparedRun {
            eval_id: run.eval_id.map(str::to_owned),
            run_id: run.run_id.to_owned(),
            scenario: run.scenario.to_owned(),
            trial: run.trial,
            seed: run.seed,
            agent: run.agent.to_owned(),
            status: run.status.to_owned(),
            termination: run.termination.map(str::to_owned),
            steps: run.steps,
            score: run.score,
            passed: run.passed,
            tokens: run.tokens,
            cost_usd: run.cost_usd,
            wall_time_ms: run.wall_time_ms,
            record: run.record.to_owned(),
            evaluation: run.evaluation.to_owned(),
            recorded_at: recorded_at.to_owned(),
            audit,
            ends,
            hashes,
        }
    }

    /// The run's id.
    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// Its lines, each with its newline, in order.
    pub(crate) fn lines(&self) -> impl Iterator<Item = &[u8]> {
        let mut start = 0;
        self.ends.iter().map(move |end| {
            let line = self.audit.get(start..*end).unwrap_or_default();
            start = *end;
            line
        })
    }

    /// The hash of its last line, when it has lines.
    pub(crate) fn head_hash(&self) -> Option<&str> {
        self.hashes.last().map(String::as_str)
    }
}
