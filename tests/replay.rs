//! Replaying a run's audit log gives back what the engine ended with, and
//! the scenario scores the log as it scored the run.

use oncall_audit::{
    InvestigationState, Outcome, ReplayedStep, StepStatus, ToolCall, read_chain, replay,
};
use oncall_engine::{Run, Step, StepStatus as EngineStepStatus};
use oncall_sim::Evaluation;

use crate::support::{agent_runs, bundled_scenarios, run_with_audit};

/// The state replay should rebuild from the log of `run`: the engine's
/// record, field for field.
fn expected_state(run: &Run) -> InvestigationState {
    InvestigationState {
        run_id: run.id(),
        incident: run.incident().clone(),
        agent: run.agent_name().to_owned(),
        seed: run.seed(),
        limits: run.limits(),
        status: run.status(),
        started_at: run.started_at(),
        ended_at: run.ended_at(),
        steps: run.steps().iter().map(expected_step).collect(),
        observations: run.observations().to_vec(),
        hypothesis: run.hypothesis().cloned(),
        hypothesis_history: run.hypothesis_history().to_vec(),
        outcome: run.termination().map(|reason| Outcome {
            status: run.status(),
            reason: reason.clone(),
            resolution: run.resolution().cloned(),
        }),
    }
}

fn expected_step(step: &Step) -> ReplayedStep {
    ReplayedStep {
        number: step.number(),
        decision: step.decision().cloned(),
        tool_call: step.tool_call().map(|call| ToolCall {
            tool_name: call.tool_name.clone(),
            call_id: call.call_id,
            params: call.params.clone(),
        }),
        result: step.tool_result().cloned(),
        observation: step.observation().cloned(),
        hypothesis_after: step.hypothesis_after().cloned(),
        status: match step.status() {
            EngineStepStatus::Completed => StepStatus::Completed,
            EngineStepStatus::Failed { reason } => StepStatus::Failed {
                reason: reason.clone(),
            },
        },
        started_at: step.started_at(),
        ended_at: Some(step.ended_at()),
    }
}

#[test]
fn replaying_every_runs_log_gives_the_engines_final_state() {
    for scenario in bundled_scenarios() {
        for (agent, seed) in agent_runs() {
            let label = format!("{} / {agent} / seed {seed}", scenario.id());
            let (outcome, bytes) = run_with_audit(&scenario, agent, seed);
            let events = read_chain(&bytes, None).unwrap().into_events();
            let replayed = replay(&events).unwrap_or_else(|error| panic!("{label}: {error}"));
            let expected = expected_state(&outcome.run);
            assert_eq!(replayed.final_state(), expected, "{label}");

            // Each step's state is the prefix of the run up to that step.
            for (index, step) in outcome.run.steps().iter().enumerate() {
                let state = replayed.state_at(step.number()).unwrap();
                assert_eq!(
                    state.steps,
                    expected.steps[..=index],
                    "{label} step {index}"
                );
                assert!(state.outcome.is_none(), "{label}");
            }
        }
    }
}

#[test]
fn re_scoring_every_runs_log_gives_the_same_evaluation() {
    for scenario in bundled_scenarios() {
        for (agent, seed) in agent_runs() {
            let label = format!("{} / {agent} / seed {seed}", scenario.id());
            let (outcome, bytes) = run_with_audit(&scenario, agent, seed);
            let log = read_chain(&bytes, None).unwrap();
            assert_eq!(
                scenario.evaluate_events(log.events()),
                outcome.evaluation,
                "{label}"
            );
            // The evaluation recorded in the log reads back as the same value.
            let replayed = replay(log.events()).unwrap();
            let recorded: Evaluation =
                serde_json::from_value(replayed.evaluations().last().unwrap().clone()).unwrap();
            assert_eq!(recorded, outcome.evaluation, "{label}");
        }
    }
}
