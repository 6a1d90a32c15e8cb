"""The HTTP client, and the Gymnasium environment over HTTP, against a real
``oncall-gym serve --http`` on loopback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import pytest
from conftest import HttpServer
from oncall_gym import HttpClient, HttpError, OncallGymEnv, ProtocolError

DEPLOYS = {
    "action": "call_tool",
    "tool_name": "deploys",
    "params": {"service": "checkout"},
    "reasoning": "recent changes",
}
ESCALATE = {"action": "escalate", "reason": "not ours", "target": "the database team"}


@pytest.fixture()
def served(binary: str, tmp_path: Path) -> Iterator[HttpServer]:
    server = HttpServer(binary, "--db", str(tmp_path / "results.db"), "--workers", "1")
    yield server
    assert server.stop() == 0, "".join(server.said)


def test_an_episode_over_http_runs_from_reset_to_close(served: HttpServer) -> None:
    with HttpClient(served.url) as client:
        assert {"id": "latency_spike", "difficulty": "easy"} in client.scenarios()
        assert "deploys" in [tool["name"] for tool in client.tools()]
        reset = client.reset("latency_spike", seed=3, agent="python-http")
        episode = reset["episode"]
        assert reset["observation"]["step"] == 0
        assert reset["info"]["agent"] == "python-http"
        step = client.step(episode, DEPLOYS)
        assert step["observation"]["tool_result"]["tool_name"] == "deploys"
        assert (step["reward"], step["terminated"], step["truncated"]) == (0.0, False, False)
        assert client.describe_episode(episode)["status"] == "running"
        last = client.step(
            episode,
            json.dumps(ESCALATE),
            analysis={"summary": "a deploy just before the alert", "significant": True},
        )
        assert last["terminated"] is True and last["truncated"] is False
        closed = client.close_episode(episode)
        assert closed["info"]["head_hash"] == last["info"]["head_hash"]
        with pytest.raises(HttpError) as refused:
            client.step(episode, DEPLOYS)
        assert (refused.value.status, refused.value.kind) == (404, "unknown_episode")
        assert isinstance(refused.value, ProtocolError)
    assert client.closed


def test_refusals_carry_the_status_and_the_code(served: HttpServer) -> None:
    client = HttpClient(served.url)
    with pytest.raises(HttpError) as unknown:
        client.reset("no_such_scenario")
    assert (unknown.value.status, unknown.value.kind) == (400, "unknown_scenario")
    assert "no_such_scenario" in unknown.value.message
    with pytest.raises(HttpError) as bad:
        client.queue_eval("not-an-agent", trials=1)
    assert (bad.value.status, bad.value.kind) == (400, "invalid_params")
    with pytest.raises(ValueError):
        HttpClient("localhost:8080")
    client.close()


def test_an_eval_queued_from_python_is_run_by_the_servers_worker(served: HttpServer) -> None:
    with HttpClient(served.url) as client:
        queued = client.queue_eval("heuristic", trials=2, scenarios=["latency_spike"], seed=7)
        assert (queued["status"], queued["runs"]) == ("queued", 2)
        done = client.wait_for_eval(queued["id"], timeout=120, poll=0.1)
        assert done["eval"]["status"] == "completed"
        assert done["progress"]["done"] == 2
        assert done["scorecard"] is not None
        runs = client.runs(eval_id=queued["id"][:8])
        assert sorted(run["trial"] for run in runs) == [0, 1]
        assert client.evals(limit=1)[0]["id"] == queued["id"]
        with pytest.raises(HttpError) as finished:
            client.cancel_eval(queued["id"])
        assert (finished.value.status, finished.value.kind) == (409, "eval_finished")
        # Seeded variants: two renderings, one trial each.
        varied = client.queue_eval("random", trials=1, scenarios=["latency_spike"], variants=2)
        assert varied["runs"] == 2
        done = client.wait_for_eval(varied["id"], timeout=120, poll=0.1)
        assert done["eval"]["settings"]["variants"] == 2
        variants = sorted(
            client.request("GET", f"/v1/runs/{run['run_id']}?eval={varied['id']}")["record"][
                "variant"
            ]["index"]
            for run in client.runs(eval_id=varied["id"])
        )
        assert variants == [0, 1]


def test_the_gymnasium_env_runs_over_http(served: HttpServer) -> None:
    env = OncallGymEnv(scenario="latency_spike", url=served.url, max_steps=3)
    try:
        observation, info = env.reset(seed=5)
        assert json.loads(observation)["step"] == 0
        assert info["scenario"] == "latency_spike"
        truncated = False
        for _ in range(3):
            _, reward, terminated, truncated, info = env.step(json.dumps(DEPLOYS))
            assert not terminated
        assert truncated, "three tool calls use up a step limit of 3"
        assert 0.0 <= reward <= 1.0
        assert "evaluation" in info
        # A new episode over the same connection.
        env.reset(seed=6)
        assert env.episode is not None and env.episode.startswith("ep")
    finally:
        env.close()
    env.close()
