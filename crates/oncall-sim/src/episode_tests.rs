//! Scenario episodes driven from outside: the same log as the runner, ids
//! unique per scenario, agent and seed, and the edges of `act`.

use std::collections::BTreeSet;

use oncall_audit::Log;
use oncall_domain::{Decision, TerminationReason};
use oncall_engine::{Agent, EngineError};
use serde_json::json;

use crate::episode::{ScenarioEpisode, start_scenario};
use crate::library_tests::scenario;
use crate::oracle::OracleAgent;
use crate::runner::{RunSettings, run_scenario};

/// Drives `agent`'s decisions through `act`, sending each analysis with the
/// decision after it, as a process outside would.
fn drive_one_message_per_step(episode: &mut ScenarioEpisode<'_>, agent: &mut dyn Agent) {
    let mut analysis = None;
    while !episode.is_over() {
        let decision = agent.decide_next_action(&episode.context()).unwrap();
        let report = episode.act(decision, analysis.take()).unwrap();
        if let Some(result) = report.action.and_then(|action| action.tool_result) {
            analysis = Some(agent.analyze_result(&result, &episode.context()).unwrap());
        }
    }
}

#[test]
fn one_message_per_step_writes_the_runners_log_byte_for_byte() {
    for id in ["latency_spike", "ledger_db_disk_full"] {
        let scenario = scenario(id);
        let settings = RunSettings {
            seed: 11,
            max_steps: None,
        };
        let ran = run_scenario(scenario, &mut OracleAgent::new(scenario), settings, None).unwrap();
        let mut episode = start_scenario(scenario, "oracle", settings, None).unwrap();
        drive_one_message_per_step(&mut episode, &mut OracleAgent::new(scenario));
        let driven = episode.finish().unwrap();
        assert_eq!(driven.log.to_jsonl(), ran.log.to_jsonl(), "{id}");
        assert_eq!(driven.evaluation, ran.evaluation);
    }
}

#[test]
fn a_run_that_hits_the_step_limit_on_a_tool_call_is_the_same_both_ways() {
    let scenario = scenario("latency_spike");
    let settings = RunSettings {
        seed: 3,
        max_steps: Some(3),
    };
    let calls = || OracleAgent::from_decisions(vec![call("deploys"); 5]);
    let ran = run_scenario(scenario, &mut calls(), settings, None).unwrap();
    let mut episode = start_scenario(scenario, "oracle", settings, None).unwrap();
    drive_one_message_per_step(&mut episode, &mut calls());
    let driven = episode.finish().unwrap();
    assert_eq!(driven.log.to_jsonl(), ran.log.to_jsonl());
    assert_eq!(
        ran.run.termination(),
        Some(&TerminationReason::StepLimit { max_steps: 3 })
    );
    assert_eq!(
        ran.run.observations().len(),
        2,
        "no analysis of the last result"
    );
}

#[test]
fn run_ids_differ_by_scenario_agent_and_seed_and_repeat_for_the_same_three() {
    let mut ids = BTreeSet::new();
    for id in ["latency_spike", "ledger_db_disk_full"] {
        for agent in ["oracle", "someone"] {
            for seed in [0, 1] {
                let settings = RunSettings {
                    seed,
                    max_steps: None,
                };
                let first = start_scenario(scenario(id), agent, settings, None).unwrap();
                let again = start_scenario(scenario(id), agent, settings, None).unwrap();
                assert_eq!(first.log().to_jsonl(), again.log().to_jsonl());
                ids.insert(first.run().id());
                assert_eq!(first.run().seed(), seed);
            }
        }
    }
    assert_eq!(ids.len(), 8);
}

/// An episode of `latency_spike` by an agent called `me`.
fn latency_spike(settings: RunSettings) -> ScenarioEpisode<'static> {
    start_scenario(scenario("latency_spike"), "me", settings, None).unwrap()
}

fn call(tool: &str) -> Decision {
    serde_json::from_value(json!({
        "action": "call_tool", "tool_name": tool, "params": {}, "reasoning": "look"
    }))
    .unwrap()
}

fn analysis() -> oncall_engine::Analysis {
    oncall_engine::Analysis::new("nothing yet", false)
}

#[test]
fn an_analysis_with_nothing_to_analyse_is_refused_before_anything_is_recorded() {
    let mut episode = latency_spike(RunSettings::default());
    let before = episode.log().len();
    let refused = episode.act(call("deploys"), Some(analysis())).unwrap_err();
    assert!(matches!(refused, EngineError::NoPendingToolResult));
    assert_eq!(episode.log().len(), before);
    let report = episode.act(call("deploys"), None).unwrap();
    assert!(report.previous.is_none());
    assert!(report.action.unwrap().tool_result.is_some());
    assert!(episode.awaits_analysis());
}

#[test]
fn a_tool_call_on_the_last_step_ends_the_episode_with_its_result() {
    let settings = RunSettings {
        seed: 0,
        max_steps: Some(2),
    };
    let mut episode = latency_spike(settings);
    let first = episode.act(call("deploys"), None).unwrap();
    assert_eq!(first.action.unwrap().termination, None);
    let report = episode.act(call("logs"), Some(analysis())).unwrap();
    assert_eq!(report.previous.as_ref().unwrap().step_failure, None);
    let action = report.action.unwrap();
    assert!(action.tool_result.is_some());
    assert_eq!(
        action.termination,
        Some(TerminationReason::StepLimit { max_steps: 2 })
    );
    let over = episode.act(call("logs"), None).unwrap_err();
    assert!(matches!(over, EngineError::EpisodeOver { .. }), "{over}");
    let outcome = episode.finish().unwrap();
    assert_eq!(outcome.run.steps().len(), 2);
    assert_eq!(outcome.run.observations().len(), 1);
    assert_eq!(
        outcome.log.events().last().unwrap().kind().name(),
        "evaluation_recorded"
    );
}

#[test]
fn without_an_analysis_the_open_step_closes_with_no_observation() {
    let mut episode = latency_spike(RunSettings::default());
    episode.act(call("deploys"), None).unwrap();
    let report = episode.act(call("logs"), None).unwrap();
    assert_eq!(report.previous.unwrap().step, 1);
    assert!(report.action.unwrap().tool_result.is_some());
    assert!(episode.run().observations().is_empty());
}

#[test]
fn refusing_an_analysis_fails_the_open_step_with_the_reason() {
    let mut episode = latency_spike(RunSettings::default());
    assert_eq!(episode.refuse_analysis("not an analysis").unwrap(), None);
    episode.act(call("deploys"), None).unwrap();
    let refused = episode
        .refuse_analysis("missing field `summary`")
        .unwrap()
        .unwrap();
    assert_eq!(
        refused.step_failure.as_deref(),
        Some("the analysis was refused: missing field `summary`")
    );
    assert!(!episode.awaits_analysis());
    assert!(episode.run().observations().is_empty());
}

#[test]
fn an_owned_episode_is_send_and_finishing_early_abandons_it() {
    fn assert_send<T: Send + 'static>(value: T) -> T {
        value
    }
    let episode = assert_send(latency_spike(RunSettings::default()));
    let outcome = std::thread::spawn(move || episode.finish().unwrap())
        .join()
        .unwrap();
    assert!(matches!(
        outcome.run.termination(),
        Some(TerminationReason::Abandoned { .. })
    ));
    let log: Log = outcome.log;
    assert_eq!(log.events().first().unwrap().kind().name(), "run_started");
}
