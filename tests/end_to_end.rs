//! Every bundled scenario, run end to end by every agent through the whole
//! stack: sim → engine → tools → audit.

use oncall_audit::{EventKind, read_chain};
use oncall_domain::RunStatus;
use oncall_gym::agents::AgentKind;

use crate::support::{agent_runs, bundled_scenarios, run_with_audit};

#[test]
fn every_scenario_runs_to_an_end_with_every_agent() {
    for scenario in bundled_scenarios() {
        for (agent, seed) in agent_runs() {
            let label = format!("{} / {agent} / seed {seed}", scenario.id());
            let (outcome, bytes) = run_with_audit(&scenario, agent, seed);
            let run = &outcome.run;
            assert!(run.status().is_terminal(), "{label}: {:?}", run.status());
            assert!(run.termination().is_some(), "{label}");
            assert_eq!(run.agent_name(), agent.name(), "{label}");
            assert!(!run.steps().is_empty(), "{label}");
            assert!(
                run.steps().len() <= scenario.ground_truth().max_steps as usize,
                "{label}"
            );
            let total = outcome.evaluation.total;
            assert!((0.0..=1.0).contains(&total), "{label}: {total}");

            // The file the writer produced verifies and holds the same
            // events as the in-memory log, the evaluation last.
            let verified = read_chain(&bytes, None).unwrap();
            assert!(verified.warnings().is_empty(), "{label}");
            assert_eq!(verified.events(), outcome.log.events(), "{label}");
            let Some(EventKind::EvaluationRecorded { evaluation }) =
                verified.events().last().map(|event| event.kind())
            else {
                panic!("{label}: the log does not end with evaluation_recorded");
            };
            assert_eq!(
                evaluation,
                &serde_json::to_value(&outcome.evaluation).unwrap(),
                "{label}"
            );
        }
    }
}

#[test]
fn the_oracle_solves_every_scenario_perfectly() {
    for scenario in bundled_scenarios() {
        let (outcome, _) = run_with_audit(&scenario, AgentKind::Oracle, 0);
        assert_eq!(outcome.evaluation.total, 1.0, "{}", scenario.id());
        assert!(outcome.evaluation.passed, "{}", scenario.id());
        assert_eq!(
            outcome.run.steps().len(),
            scenario.ground_truth().optimal_steps as usize,
            "{}",
            scenario.id()
        );
        assert_ne!(outcome.run.status(), RunStatus::Failed, "{}", scenario.id());
    }
}

#[test]
fn the_same_seed_writes_the_same_bytes_and_another_seed_other_ids() {
    for scenario in bundled_scenarios() {
        for (agent, seed) in agent_runs() {
            let (_, first) = run_with_audit(&scenario, agent, seed);
            let (_, second) = run_with_audit(&scenario, agent, seed);
            assert!(first == second, "{} / {agent}: logs differ", scenario.id());
        }
        let (one, _) = run_with_audit(&scenario, AgentKind::Heuristic, 0);
        let (other, _) = run_with_audit(&scenario, AgentKind::Heuristic, 1);
        assert_ne!(one.run.id(), other.run.id(), "{}", scenario.id());
        assert_eq!(one.evaluation, other.evaluation, "{}", scenario.id());
    }
}

#[test]
fn a_run_starts_at_the_incident_and_advances_thirty_seconds_a_step() {
    for scenario in bundled_scenarios() {
        let (outcome, _) = run_with_audit(&scenario, AgentKind::Heuristic, 0);
        let run = &outcome.run;
        assert_eq!(run.started_at(), scenario.incident_spec().created_at);
        for (index, step) in run.steps().iter().enumerate() {
            let elapsed = step.ended_at() - run.started_at();
            let expected = oncall_sim::SIMULATED_SECONDS_PER_STEP * (index as i64 + 1);
            assert_eq!(
                elapsed.num_seconds(),
                expected,
                "{} step {}",
                scenario.id(),
                step.number()
            );
        }
    }
}
