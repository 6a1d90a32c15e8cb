//! Agents that call a language model: their calls become `model_called`
//! events in the right step, and the kinds of agent error (a step that
//! fails, a budget that runs out) do what they say.

use oncall_domain::{ModelCall, ModelUsage};

use super::*;
use crate::AgentErrorKind;

/// A scripted agent that reports one model call per decision and per
/// analysis, as an LLM agent does.
#[derive(Debug)]
struct CallingAgent {
    inner: ScriptedAgent,
    calls_made: u64,
    unreported: Vec<ModelCall>,
}

impl CallingAgent {
    fn new(inner: ScriptedAgent) -> CallingAgent {
        CallingAgent {
            inner,
            calls_made: 0,
            unreported: Vec::new(),
        }
    }

    fn call_model(&mut self) {
        self.calls_made += 1;
        let call =
            ModelCall::new("test-model", 100 * self.calls_made, 10, 0, "tool_calls").unwrap();
        self.unreported.push(call);
    }
}

impl Agent for CallingAgent {
    fn name(&self) -> &str {
        "calling"
    }

    fn decide_next_action(&mut self, context: &AgentContext<'_>) -> Result<Decision, AgentError> {
        self.call_model();
        self.inner.decide_next_action(context)
    }

    fn analyze_result(
        &mut self,
        tool_result: &ToolResult,
        context: &AgentContext<'_>,
    ) -> Result<Analysis, AgentError> {
        self.call_model();
        self.inner.analyze_result(tool_result, context)
    }

    fn take_model_calls(&mut self) -> Vec<ModelCall> {
        std::mem::take(&mut self.unreported)
    }
}

#[test]
fn model_calls_are_recorded_in_the_step_that_was_open_and_replay() {
    let (decisions, analyses) = hypothesis_script();
    let mut agent = CallingAgent::new(ScriptedAgent::new(decisions, analyses));
    let (run, log) = run_with(&mut agent, 10);
    assert_eq!(run.status(), RunStatus::Completed);
    // Step 1: the decision's call (made before the step opened) comes right
    // after step_started; the analysis's call comes after the result.
    let step_one: Vec<String> = kinds(&log)
        .into_iter()
        .filter(|line| line.contains("step 1:"))
        .collect();
    assert_eq!(
        step_one,
        vec![
            "1 step 1: step_started",
            "2 step 1: model_called",
            "3 step 1: decision_made",
            "4 step 1: tool_called",
            "5 step 1: tool_result_received",
            "6 step 1: model_called",
            "7 step 1: observation_recorded",
            "8 step 1: hypothesis_created",
            "9 step 1: step_completed",
        ]
    );
    let per_step: Vec<usize> = run.steps().iter().map(|s| s.model_calls().len()).collect();
    assert_eq!(per_step, vec![2, 2, 1]);
    assert_eq!(
        run.model_usage(),
        ModelUsage {
            model_calls: 5,
            input_tokens: 1500,
            output_tokens: 50,
            cached_tokens: 0
        }
    );
    let replayed = oncall_audit::replay(log.events()).unwrap();
    assert_eq!(replayed.final_state(), run.investigation_state());
    assert_eq!(replayed.model_usage(), run.model_usage());
}

#[test]
fn a_step_failure_fails_only_the_step_and_the_run_goes_on() {
    let mut inner = ScriptedAgent::new(Vec::new(), Vec::new());
    inner.decisions = VecDeque::from(vec![
        Err(AgentError::step_failed(
            "the model replied without a tool call",
        )),
        Ok(call("logs", json!({}))),
        Ok(mitigate("restart checkout", 0.6)),
    ]);
    inner.analyses = VecDeque::from(vec![Err(AgentError::step_failed("no words"))]);
    let mut agent = CallingAgent::new(inner);
    let (run, log) = run_with(&mut agent, 10);
    assert_eq!(run.status(), RunStatus::Completed);
    assert_eq!(
        failure_reasons(&run),
        vec![
            "the agent gave no decision: the model replied without a tool call".to_owned(),
            "the agent could not analyse the result: no words".to_owned(),
        ]
    );
    assert!(run.steps()[0].decision().is_none());
    assert!(run.steps()[1].observation().is_none());
    assert_eq!(run.model_usage().model_calls, 4);
    let replayed = oncall_audit::replay(log.events()).unwrap();
    assert_eq!(replayed.final_state(), run.investigation_state());
}

#[test]
fn an_exhausted_budget_ends_the_run_with_its_own_reason() {
    let mut inner = ScriptedAgent::new(Vec::new(), Vec::new());
    inner.decisions = VecDeque::from(vec![Ok(call("logs", json!({})))]);
    inner.analyses = VecDeque::from(vec![Err(AgentError::budget_exhausted(
        "used 5000 of 4000 tokens",
    ))]);
    let mut agent = CallingAgent::new(inner);
    let (run, log) = run_with(&mut agent, 10);
    assert_eq!(run.status(), RunStatus::Failed);
    assert_eq!(
        run.termination(),
        Some(&TerminationReason::BudgetExhausted {
            message: "used 5000 of 4000 tokens".to_owned()
        })
    );
    assert_eq!(run.steps().len(), 1);
    // The call that spent the budget is still recorded.
    assert_eq!(run.model_usage().model_calls, 2);
    assert_eq!(event_names(&log).last(), Some(&"run_failed"));
    let replayed = oncall_audit::replay(log.events()).unwrap();
    assert_eq!(replayed.final_state(), run.investigation_state());
    assert_eq!(
        AgentError::budget_exhausted("x").kind(),
        AgentErrorKind::BudgetExhausted
    );
    assert_eq!(AgentError::new("x").kind(), AgentErrorKind::Fatal);
}

#[test]
fn a_budget_spent_before_the_first_decision_still_records_the_call() {
    let mut inner = ScriptedAgent::new(Vec::new(), Vec::new());
    inner.decisions = VecDeque::from(vec![Err(AgentError::budget_exhausted("spent"))]);
    let mut agent = CallingAgent::new(inner);
    let (run, log) = run_with(&mut agent, 10);
    assert_eq!(
        run.termination().map(TerminationReason::as_str),
        Some("budget_exhausted")
    );
    assert_eq!(
        failure_reasons(&run),
        vec!["the agent's budget is spent: spent".to_owned()]
    );
    assert_eq!(run.model_usage().model_calls, 1);
    let replayed = oncall_audit::replay(log.events()).unwrap();
    assert_eq!(replayed.final_state(), run.investigation_state());
}
