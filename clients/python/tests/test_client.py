"""The JSON-RPC client against the real server."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

import pytest
from oncall_gym import Client, OncallGymError, ProtocolError, ServerExited, find_binary

TOOL_CALL = {
    "action": "call_tool",
    "tool_name": "deploys",
    "params": {"service": "checkout"},
    "reasoning": "recent changes are the usual suspects",
}


def rollback(service: str, version: str) -> Dict[str, Any]:
    return {
        "action": "propose_mitigation",
        "mitigation": f"Roll back {service} {version}",
        "confidence": 0.8,
        "reasoning": "the deploy lines up with the latency",
        "root_cause": {"service": service, "category": "deploy_regression"},
        "actions": [{"kind": "rollback", "target": service, "description": None}],
    }


def read_audit(path: Path) -> List[Dict[str, Any]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines, f"{path} is empty"
    return [json.loads(line) for line in lines]


# ----------------------------------------------------------------- listings


def test_scenarios_lists_bundled_scenarios_with_difficulties(client: Client) -> None:
    scenarios = client.scenarios()
    ids = [entry["id"] for entry in scenarios]
    assert "latency_spike" in ids
    assert ids == sorted(ids)
    assert len(ids) == len(set(ids))
    for entry in scenarios:
        assert set(entry) == {"id", "difficulty"}
        assert entry["difficulty"] in {"easy", "medium", "hard"}


def test_tools_lists_diagnostic_tools_then_the_endings(client: Client) -> None:
    tools = client.tools()
    names = [tool["name"] for tool in tools]
    assert names[-2:] == ["propose_mitigation", "escalate"]
    assert {"services", "logs", "metrics", "deploys", "runbook"} <= set(names[:-2])
    for tool in tools:
        assert tool["description"]
        assert tool["parameters"]["type"] == "object"
    categories = next(t for t in tools if t["name"] == "propose_mitigation")["parameters"][
        "properties"
    ]["root_cause"]["properties"]["category"]["enum"]
    assert "deploy_regression" in categories


def test_raw_call_and_unknown_method(client: Client) -> None:
    assert client.call("scenarios") == client.scenarios()
    with pytest.raises(ProtocolError) as raised:
        client.call("no_such_method")
    assert raised.value.code == -32601
    assert raised.value.kind == "method_not_found"


# ----------------------------------------------------------------- episodes


def test_reset_returns_an_episode_and_an_observation_without_the_answer(client: Client) -> None:
    reset = client.reset("latency_spike", seed=3, max_steps=7, agent="pytest")
    assert reset["episode"].startswith("ep-")
    observation = reset["observation"]
    assert observation["step"] == 0
    assert observation["steps_remaining"] == 7
    assert observation["tool_result"] is None
    assert observation["incident"]["service"] == "checkout"
    assert reset["info"]["scenario"] == "latency_spike"
    assert reset["info"]["seed"] == 3
    assert reset["info"]["agent"] == "pytest"
    # The harness's info never leaks into what the agent sees.
    assert "latency_spike" not in json.dumps(observation)
    assert reset["info"]["run_id"] not in json.dumps(observation)


def test_a_tool_call_then_an_answer_ends_the_episode_with_the_evaluation_as_reward(
    client: Client,
) -> None:
    episode = client.reset("latency_spike", seed=1)["episode"]
    step = client.step(episode, TOOL_CALL)
    assert step["terminated"] is False and step["truncated"] is False
    assert step["reward"] == 0.0
    tool_result = step["observation"]["tool_result"]
    assert tool_result["tool_name"] == "deploys" and tool_result["success"] is True
    deploy = tool_result["data"]["deploys"][0]
    analysis = {"summary": f"{deploy['service']} deployed {deploy['version']}", "significant": True}
    end = client.step(episode, rollback(deploy["service"], deploy["version"]), analysis=analysis)
    assert end["terminated"] is True
    assert end["truncated"] is False
    evaluation = end["info"]["evaluation"]
    assert end["reward"] == evaluation["total"]
    assert 0.0 < end["reward"] <= 1.0
    assert evaluation["passed"] is True
    assert end["info"]["termination"]["kind"] == "mitigation_proposed"
    closed = client.close_episode(episode)["info"]
    assert closed["evaluation"] == evaluation
    assert closed["head_hash"] == end["info"]["head_hash"]


def test_an_escalation_also_terminates(client: Client) -> None:
    episode = client.reset("latency_spike")["episode"]
    client.step(episode, TOOL_CALL)
    end = client.step(
        episode,
        json.dumps({"action": "escalate", "reason": "not ours", "target": "the database team"}),
    )
    assert end["terminated"] is True
    assert end["reward"] == end["info"]["evaluation"]["total"]
    assert end["info"]["evaluation"]["passed"] is False


def test_a_step_after_the_end_raises_episode_over(client: Client) -> None:
    episode = client.reset("latency_spike")["episode"]
    client.step(episode, rollback("checkout", "v2"))
    with pytest.raises(ProtocolError) as raised:
        client.step(episode, TOOL_CALL)
    assert raised.value.kind == "episode_over"
    assert raised.value.code == -32002


def test_close_abandons_a_running_episode_and_forgets_it(client: Client) -> None:
    episode = client.reset("latency_spike")["episode"]
    info = client.close_episode(episode)["info"]
    assert info["scenario"] == "latency_spike"
    assert info["evaluation"]["passed"] is False
    with pytest.raises(ProtocolError) as raised:
        client.step(episode, TOOL_CALL)
    assert raised.value.kind == "unknown_episode"


@pytest.mark.parametrize("name", ["no_such_scenario", "../../etc"])
def test_unknown_or_path_like_scenarios_are_refused(client: Client, name: str) -> None:
    with pytest.raises(ProtocolError) as raised:
        client.reset(name)
    assert raised.value.kind == "unknown_scenario"
    assert raised.value.code == -32004


def test_invalid_params_are_refused(client: Client) -> None:
    with pytest.raises(ProtocolError) as raised:
        client.reset("latency_spike", seed="x")  # type: ignore[arg-type]
    assert raised.value.kind == "invalid_params"
    assert raised.value.code == -32602
    assert "seed" in raised.value.message
    with pytest.raises(ProtocolError) as raised:
        client.reset("latency_spike", max_steps=0)
    assert raised.value.kind == "invalid_params"


def test_an_analysis_with_nothing_to_analyse_is_ignored_and_the_agent_told(
    client: Client,
) -> None:
    episode = client.reset("latency_spike")["episode"]
    step = client.step(episode, TOOL_CALL, analysis={"summary": "nothing", "significant": False})
    observation = step["observation"]
    assert observation["step"] == 1
    assert observation["tool_result"]["tool_name"] == "deploys"
    assert observation["previous_step_failure"].startswith("the analysis was ignored")
    # An analysis that cannot be read fails the step it analyses.
    step = client.step(episode, TOOL_CALL, analysis={"significant": True})
    assert step["observation"]["previous_step_failure"].startswith("the analysis was refused")
    assert step["observation"]["step"] == 2
    # An analysis of another JSON type is a protocol error, and takes no step.
    with pytest.raises(ProtocolError) as raised:
        client.step(episode, TOOL_CALL, analysis="seen")  # type: ignore[arg-type]
    assert raised.value.kind == "invalid_params"
    assert client.step(episode, TOOL_CALL)["observation"]["step"] == 3


def test_an_action_that_is_not_a_decision_fails_the_step_without_an_error(
    client: Client,
) -> None:
    episode = client.reset("latency_spike")["episode"]
    step = client.step(episode, "this is not JSON")
    assert step["observation"]["step_failure"]
    assert step["observation"]["step"] == 1
    assert step["terminated"] is False
    step = client.step(episode, {"action": "call_tool"})
    assert "tool_name" in step["observation"]["step_failure"]
    assert step["observation"]["step"] == 2


def test_an_action_of_another_json_type_is_a_protocol_error(client: Client) -> None:
    episode = client.reset("latency_spike")["episode"]
    with pytest.raises(ProtocolError) as raised:
        client.step(episode, 5)  # type: ignore[arg-type]
    assert raised.value.kind == "invalid_params"


def test_a_line_over_the_cap_is_refused_and_the_client_goes_on(client: Client) -> None:
    episode = client.reset("latency_spike")["episode"]
    with pytest.raises(ProtocolError) as raised:
        client.step(episode, "x" * (1024 * 1024 + 1))
    assert raised.value.kind == "line_too_long"
    assert client.step(episode, TOOL_CALL)["observation"]["step"] == 1


# ------------------------------------------------------- process and audit


def test_close_returns_zero_and_completes_every_audit_log(binary: str, tmp_path: Path) -> None:
    answered = tmp_path / "answered.jsonl"
    abandoned = tmp_path / "abandoned.jsonl"
    client = Client(binary)
    episode = client.reset("latency_spike", audit=answered)["episode"]
    assert client.reset("latency_spike", seed=2, audit=abandoned)["info"]["audit"]
    client.step(episode, TOOL_CALL)
    end = client.step(
        episode, rollback("checkout", "v2"), analysis={"summary": "a deploy", "significant": True}
    )
    # The second episode is still running: closing the server's input ends it.
    assert client.close() == 0
    assert client.close() == 0
    for path in (answered, abandoned):
        events = read_audit(path)
        assert [event["seq"] for event in events] == list(range(len(events)))
        assert events[0]["type"] == "run_started"
        assert events[-1]["type"] == "evaluation_recorded"
    assert len(read_audit(answered)) == end["info"]["event_count"]
    # The binary itself verifies the hash chain, up to the head it reported.
    replay = subprocess.run(
        [binary, "replay", str(answered), "--expect-head", end["info"]["head_hash"]],
        capture_output=True,
        text=True,
    )
    assert replay.returncode == 0, replay.stderr
    replay = subprocess.run([binary, "replay", str(abandoned)], capture_output=True, text=True)
    assert replay.returncode == 0, replay.stderr


def test_the_context_manager_closes_the_server(binary: str) -> None:
    with Client(binary) as client:
        client.scenarios()
    assert client.closed
    assert client.returncode == 0
    with pytest.raises(OncallGymError):
        client.scenarios()


def test_a_dead_server_raises_with_its_exit_code(binary: str) -> None:
    client = Client(binary, extra_args=("--no-such-flag",), stderr=subprocess.DEVNULL)
    with pytest.raises(ServerExited) as raised:
        client.scenarios()
    assert raised.value.returncode == 2
    assert "exit code 2" in str(raised.value)
    assert client.close() == 2


def test_a_response_with_another_id_is_rejected(tmp_path: Path) -> None:
    # A stand-in server that answers every request with id 999.
    script = tmp_path / "fake_server.py"
    script.write_text(
        "import sys\n"
        "for line in sys.stdin:\n"
        '    print(\'{"jsonrpc":"2.0","id":999,"result":[]}\', flush=True)\n'
    )
    fake = tmp_path / "fake-server"
    fake.write_text(f"#!/bin/sh\nexec '{sys.executable}' '{script}' \"$@\"\n")
    fake.chmod(0o755)
    with Client(fake) as client:
        with pytest.raises(OncallGymError, match="id 999"):
            client.scenarios()


def test_the_fixtures_option_serves_scenarios_from_a_directory(binary: str, tmp_path: Path) -> None:
    # A custom scenario: the bundled latency_spike with another alert text.
    bundled = Path(__file__).resolve().parents[3] / "fixtures" / "incidents" / "latency_spike"
    custom = tmp_path / "custom_spike"
    shutil.copytree(bundled, custom)
    scenario = json.loads((custom / "scenario.json").read_text(encoding="utf-8"))
    scenario["id"] = "custom_spike"
    scenario["incident"]["description"] = "a custom alert"
    (custom / "scenario.json").write_text(json.dumps(scenario), encoding="utf-8")
    with Client(binary, fixtures=tmp_path) as client:
        assert client.command[1:3] == ["--fixtures", str(tmp_path)]
        assert client.command[-2:] == ["serve", "--stdio"]
        # The listing is what reset opens: the directory's, then the built-ins.
        listed = [entry["id"] for entry in client.scenarios()]
        assert "custom_spike" in listed and "latency_spike" in listed
        assert listed == sorted(listed)
        reset = client.reset("custom_spike")
        assert reset["observation"]["incident"]["description"] == "a custom alert"
        assert reset["info"]["scenario"] == "custom_spike"


def test_binary_resolution(binary: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert find_binary(binary) == binary
    monkeypatch.setenv("ONCALL_GYM_BIN", binary)
    assert find_binary() == binary
    with pytest.raises(OncallGymError, match="not an executable"):
        find_binary(tmp_path / "missing")
    monkeypatch.delenv("ONCALL_GYM_BIN")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(OncallGymError, match="ONCALL_GYM_BIN"):
        find_binary()
    (tmp_path / "oncall-gym").symlink_to(binary)
    assert find_binary() == str(tmp_path / "oncall-gym")
