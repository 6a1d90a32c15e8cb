//! Replaying a run's audit log gives back what the engine ended with, and
//! the scenario scores the log as it scored the run.

use oncall_audit::{read_chain, replay};
use oncall_sim::Evaluation;

use crate::support::{agent_runs, bundled_scenarios, run_with_audit};

#[test]
fn replaying_every_runs_log_gives_the_engines_final_state() {
    for scenario in bundled_scenarios() {
        for (agent, seed) in agent_runs() {
            let label = format!("{} / {agent} / seed {seed}", scenario.id());
            let (outcome, bytes) = run_with_audit(&scenario, agent, seed);
            let events = read_chain(&bytes, None).unwrap().into_events();
            let replayed = replay(&events).unwrap_or_else(|error| panic!("{label}: {error}"));
            let expected = outcome.run.investigation_state();
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
