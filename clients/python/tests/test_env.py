"""The Gymnasium environment against the real server."""

from __future__ import annotations

import json
import warnings
from typing import Any, Dict, Iterator

import gymnasium
import pytest
from gymnasium.utils.env_checker import check_env
from oncall_gym import ENV_ID, OncallGymEnv, ProtocolError
from oncall_gym.env import MAX_ACTION_LENGTH, MAX_TEXT_LENGTH, PRINTABLE_ASCII, observation_text

DEPLOYS = {
    "action": "call_tool",
    "tool_name": "deploys",
    "params": {"service": "checkout"},
    "reasoning": "recent changes",
}
ROLLBACK = {
    "action": "propose_mitigation",
    "mitigation": "Roll back checkout",
    "confidence": 0.8,
    "reasoning": "the deploy lines up with the latency",
    "root_cause": {"service": "checkout", "category": "deploy_regression"},
    "actions": [{"kind": "rollback", "target": "checkout", "description": None}],
}
ANALYSIS = {"summary": "checkout deployed just before the alert", "significant": True}


@pytest.fixture()
def env(binary: str) -> Iterator[OncallGymEnv]:
    environment = OncallGymEnv(scenario="latency_spike", binary=binary, render_mode="ansi")
    yield environment
    environment.close()


def decode(observation: str) -> Dict[str, Any]:
    assert observation.isascii() and observation.isprintable()
    return json.loads(observation)


def test_check_env_passes_on_the_registered_env(
    binary: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ONCALL_GYM_BIN", binary)
    env = gymnasium.make(ENV_ID, scenario="latency_spike")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            check_env(env.unwrapped)
    finally:
        env.close()
    assert [str(w.message) for w in caught] == []


def test_check_env_passes_with_a_random_scenario(binary: str) -> None:
    env = OncallGymEnv(binary=binary)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            check_env(env)
    finally:
        env.close()
    # Without gymnasium.make there is no spec to re-make it from: the
    # checker says so, and has nothing else to complain about.
    unexpected = [str(w.message) for w in caught if "not having a spec" not in str(w.message)]
    assert unexpected == []


def test_make_gives_text_observations_in_the_space(
    binary: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ONCALL_GYM_BIN", binary)
    env = gymnasium.make(ENV_ID, scenario="latency_spike", max_steps=5)
    try:
        observation, info = env.reset(seed=4)
        assert observation in env.observation_space
        assert decode(observation)["steps_remaining"] == 5
        assert info["scenario"] == "latency_spike" and info["seed"] == 4
        assert env.observation_space == gymnasium.spaces.Text(
            max_length=MAX_TEXT_LENGTH, min_length=1, charset=PRINTABLE_ASCII
        )
        assert env.action_space == gymnasium.spaces.Text(
            max_length=MAX_ACTION_LENGTH, min_length=1, charset=PRINTABLE_ASCII
        )
    finally:
        env.close()


def test_a_whole_episode_with_one_message_per_step(env: OncallGymEnv) -> None:
    observation, info = env.reset(seed=0)
    assert decode(observation)["step"] == 0
    observation, reward, terminated, truncated, info = env.step(json.dumps(DEPLOYS))
    shown = decode(observation)
    assert shown["tool_result"]["tool_name"] == "deploys"
    assert (reward, terminated, truncated) == (0.0, False, False)
    wrapper = json.dumps({"action": ROLLBACK, "analysis": ANALYSIS})
    observation, reward, terminated, truncated, info = env.step(wrapper)
    assert terminated is True and truncated is False
    assert isinstance(reward, float)
    assert reward == info["evaluation"]["total"] > 0
    assert info["evaluation"]["passed"] is True
    # The analysis was recorded as an observation.
    assert decode(observation)["observation_count"] == 1
    # Nothing the harness sees leaks into what the agent sees.
    assert "latency_spike" not in observation and info["run_id"] not in observation


def test_dict_actions_work_like_their_json_text(env: OncallGymEnv) -> None:
    env.reset(seed=0)
    observation, *_ = env.step(DEPLOYS)
    observation, reward, terminated, _, info = env.step({"action": ROLLBACK, "analysis": ANALYSIS})
    assert terminated and info["evaluation"]["passed"]
    assert decode(observation)["observation_count"] == 1


def test_truncation_at_the_step_limit(binary: str) -> None:
    env = OncallGymEnv(scenario="latency_spike", max_steps=2, binary=binary)
    try:
        env.reset(seed=0)
        _, _, terminated, truncated, _ = env.step(DEPLOYS)
        assert (terminated, truncated) == (False, False)
        observation, reward, terminated, truncated, info = env.step(
            {"action": DEPLOYS, "analysis": ANALYSIS}
        )
        # The second tool call used the last step: the episode ends with its
        # result, so no later action can be silently dropped.
        shown = decode(observation)
        assert shown["steps_remaining"] == 0
        assert shown["tool_result"]["tool_name"] == "deploys"
        assert truncated is True and terminated is False
        assert info["termination"]["kind"] == "step_limit"
        assert reward == info["evaluation"]["total"]
        assert info["evaluation"]["passed"] is False
    finally:
        env.close()


def test_malformed_messages_take_a_step_and_say_why(env: OncallGymEnv) -> None:
    env.reset(seed=0)
    # An analysis with no tool result to analyse is ignored, visibly.
    observation, reward, terminated, truncated, info = env.step(
        {"action": DEPLOYS, "analysis": ANALYSIS}
    )
    shown = decode(observation)
    assert shown["step"] == 1
    assert shown["previous_step_failure"].startswith("the analysis was ignored")
    assert (reward, terminated, truncated) == (0.0, False, False)
    assert "error" not in info
    # A wrapper with unknown keys is sent whole, and fails its step.
    observation, *_ = env.step({"action": DEPLOYS, "analysis": ANALYSIS, "extra": 1})
    shown = decode(observation)
    assert shown["step"] == 2
    assert shown["step_failure"].startswith("the action is not a decision")
    # So is one whose analysis is not an object.
    observation, *_ = env.step({"action": DEPLOYS, "analysis": "seen"})
    assert decode(observation)["step"] == 3


def test_text_that_is_not_json_fails_the_step_on_the_server(env: OncallGymEnv) -> None:
    env.reset(seed=0)
    observation, reward, terminated, truncated, info = env.step("roll back checkout please")
    shown = decode(observation)
    assert shown["step"] == 1
    assert shown["step_failure"]
    assert "error" not in info
    observation, *_ = env.step("42")
    assert decode(observation)["step"] == 2


def test_a_step_after_the_end_reports_the_error_and_the_ended_episode(env: OncallGymEnv) -> None:
    env.reset(seed=0)
    last, _, terminated, _, _ = env.step(ROLLBACK)
    assert terminated
    observation, reward, terminated, truncated, info = env.step(DEPLOYS)
    assert observation == last
    assert (reward, terminated, truncated) == (0.0, True, False)
    assert info["error"]["kind"] == "episode_over"


def test_step_before_reset_raises(env: OncallGymEnv) -> None:
    with pytest.raises(gymnasium.error.ResetNeeded):
        env.step(DEPLOYS)


def test_reset_closes_the_previous_episode(env: OncallGymEnv) -> None:
    env.reset(seed=0)
    previous = env.episode
    env.reset(seed=0)
    assert env.episode != previous
    with pytest.raises(ProtocolError) as raised:
        env.client.step(previous, DEPLOYS)  # type: ignore[arg-type]
    assert raised.value.kind == "unknown_episode"


def test_seeds_and_scenarios(binary: str) -> None:
    env = OncallGymEnv(binary=binary)
    try:
        ids = {entry["id"] for entry in env.client.scenarios()}
        first = env.reset(seed=11)
        again = env.reset(seed=11)
        assert first == again
        assert first[1]["scenario"] in ids and first[1]["seed"] == 11
        chosen = {env.reset()[1]["scenario"] for _ in range(20)}
        assert len(chosen) > 1 and chosen <= ids
        _, info = env.reset(seed=1, options={"scenario": "payments_provider_outage"})
        assert info["scenario"] == "payments_provider_outage"
        with pytest.raises(ValueError):
            env.reset(options={"scenaro": "latency_spike"})
        with pytest.raises(ProtocolError) as raised:
            env.reset(options={"scenario": "../../etc"})
        assert raised.value.kind == "unknown_scenario"
    finally:
        env.close()


def test_render_ansi_describes_the_last_observation(env: OncallGymEnv) -> None:
    env.reset(seed=0)
    env.step(DEPLOYS)
    text = env.render()
    assert isinstance(text, str)
    assert "alert: checkout (high)" in text
    assert "step 1 of 12" in text
    assert "last tool: deploys ok: 1 matched, 1 returned" in text
    env.step("not json")
    text = env.render()
    assert isinstance(text, str)
    assert "step failed:" in text and "episode over" not in text
    env.step(ROLLBACK)
    assert "episode over (terminated)" in env.render()  # type: ignore[operator]


def test_render_without_a_mode_returns_none(binary: str) -> None:
    env = OncallGymEnv(scenario="latency_spike", binary=binary)
    try:
        env.reset()
        assert env.render() is None
    finally:
        env.close()
    with pytest.raises(ValueError):
        OncallGymEnv(binary=binary, render_mode="human")


def test_close_ends_the_server_and_is_idempotent(env: OncallGymEnv) -> None:
    env.reset(seed=0)
    client = env.client
    env.close()
    env.close()
    assert client.returncode == 0


def test_an_oversized_observation_drops_the_tool_data() -> None:
    observation = {
        "step": 1,
        "tool_result": {"tool_name": "logs", "success": True, "data": {"x": "a" * MAX_TEXT_LENGTH}},
    }
    text = observation_text(observation)
    assert len(text) <= MAX_TEXT_LENGTH
    shown = json.loads(text)
    assert shown["tool_result"]["tool_name"] == "logs"
    assert "narrow the query" in shown["tool_result"]["data"]
    small = {"step": 1, "tool_result": None, "note": "caf\u00e9"}
    assert json.loads(observation_text(small)) == small
    assert observation_text(small).isascii()
