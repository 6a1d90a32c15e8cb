//! [`OracleAgent`]: replays a scenario's reference solution.

use oncall_domain::{Decision, ToolResult};
use oncall_engine::{Agent, AgentContext, AgentError, Analysis};

use crate::scenario::Scenario;

/// Replays a scenario's reference solution, decision by decision.
///
/// **It reads the ground truth.** It exists to prove that a scenario is
/// solvable and that scoring gives a perfect run exactly 1.0 (`validate`
/// uses it), and as the ceiling of a scorecard. Never use it as a baseline.
#[derive(Debug, Clone)]
pub struct OracleAgent {
    decisions: Vec<Decision>,
    next: usize,
}

impl OracleAgent {
    /// An oracle for `scenario`.
    pub fn new(scenario: &Scenario) -> OracleAgent {
        OracleAgent::from_decisions(scenario.ground_truth().reference_solution.clone())
    }

    /// What the oracle records about `tool_result`, the result of step
    /// `step`: a driver replaying the reference solution from outside (the
    /// gym protocol's determinism test) sends exactly this.
    pub fn analysis_of(tool_result: &ToolResult, step: u32) -> Analysis {
        let outcome = if tool_result.is_success() {
            "succeeded"
        } else {
            "failed"
        };
        Analysis::new(
            format!(
                "reference step {step}: `{}` {outcome}",
                tool_result.tool_name()
            ),
            true,
        )
    }

    /// An oracle that replays `decisions`.
    pub fn from_decisions(decisions: Vec<Decision>) -> OracleAgent {
        OracleAgent { decisions, next: 0 }
    }
}

impl Agent for OracleAgent {
    fn name(&self) -> &str {
        "oracle"
    }

    fn decide_next_action(&mut self, _context: &AgentContext<'_>) -> Result<Decision, AgentError> {
        let decision = self.decisions.get(self.next).cloned().ok_or_else(|| {
            AgentError::new(format!(
                "the reference solution does not end the run: it has no decision for step {}",
                self.decisions.len() + 1
            ))
        })?;
        self.next += 1;
        Ok(decision)
    }

    fn analyze_result(
        &mut self,
        tool_result: &ToolResult,
        context: &AgentContext<'_>,
    ) -> Result<Analysis, AgentError> {
        Ok(OracleAgent::analysis_of(tool_result, context.step_number()))
    }
}
