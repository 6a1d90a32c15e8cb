"""``oncall-gym mcp`` driven by the official MCP Python SDK (``mcp`` on PyPI).

Each test launches the real binary as a stdio MCP server through the SDK's
own ``Client`` (the way Claude Code or an IDE launches a server), so what is
checked here is what an MCP client sees: the handshake, the tool list and
schemas, tool results, tool errors and JSON-RPC errors, and, after the
client has gone, the audit log and the ``--out`` line.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any, Dict, List

import anyio
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.shared.exceptions import MCPError
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS

from conftest import REPO_ROOT

SCENARIO = "latency_spike"
DIAGNOSTIC_TOOLS = ["services", "logs", "metrics", "deploys", "runbook"]
ENDINGS = ["propose_mitigation", "escalate"]


def scenario_file(scenario: str) -> Dict[str, Any]:
    """The bundled scenario's file: the test (never an agent) may read the answer."""
    path = REPO_ROOT / "fixtures" / "incidents" / scenario / "scenario.json"
    return json.loads(path.read_text())


def server(binary: str, tmp_path: Path, *extra: str) -> StdioServerParameters:
    return StdioServerParameters(
        command=binary,
        args=[
            "mcp",
            SCENARIO,
            "--audit",
            str(tmp_path / "audit.jsonl"),
            "--out",
            str(tmp_path / "results.jsonl"),
            *extra,
        ],
        cwd=str(REPO_ROOT),
    )


def run(binary: str, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [binary, *arguments], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60
    )


def right_rollback() -> Dict[str, Any]:
    """The structured answer the scenario grades as correct, read from its ground truth."""
    truth = scenario_file(SCENARIO)["ground_truth"]
    action = truth["mitigations"]["correct"][0]["action"]
    return {
        "mitigation": f"{action['kind']} {action['target']}",
        "confidence": 0.85,
        "reasoning": "the deploy lines up with the latency jump",
        "root_cause": {
            "service": truth["root_cause"]["service"],
            "category": truth["root_cause"]["category"],
        },
        "actions": [{"kind": action["kind"], "target": action["target"], "description": None}],
    }


def test_a_whole_investigation_is_scored_and_its_log_verifies(binary: str, tmp_path: Path) -> None:
    incident = scenario_file(SCENARIO)["incident"]

    async def investigate() -> None:
        async with Client(server(binary, tmp_path), mode="legacy") as client:
            # initialize: a handshake version, our name, and the alert.
            assert client.protocol_version in HANDSHAKE_PROTOCOL_VERSIONS
            assert client.server_info is not None and client.server_info.name == "oncall-gym"
            instructions = client.instructions or ""
            assert incident["description"] in instructions
            assert SCENARIO not in instructions
            assert scenario_file(SCENARIO)["title"] not in instructions

            prompt = await client.get_prompt("investigate")
            assert incident["description"] in prompt.messages[0].content.text

            shown = await client.call_tool("incident", {})
            assert not shown.is_error
            assert shown.structured_content["incident"]["description"] == incident["description"]
            assert shown.structured_content["step"] == 0

            services = await client.call_tool("services", {})
            assert not services.is_error, services.content
            names = [entry["name"] for entry in services.structured_content["tool_result"]["data"]["services"]]
            assert incident["service"] in names
            assert services.structured_content["step"] == 1

            deploys = await client.call_tool("deploys", {})
            assert not deploys.is_error
            listed = deploys.structured_content["tool_result"]["data"]["deploys"]
            assert listed, deploys.content
            # The text carries the data too, for clients that show only text.
            assert listed[0]["id"] in deploys.content[0].text

            observed = await client.call_tool(
                "record_observation",
                {
                    "summary": f"{listed[0]['service']} deployed {listed[0]['version']} before the alert",
                    "significant": True,
                    "hypothesis": f"the {listed[0]['service']} deploy {listed[0]['version']} slowed checkout",
                    "confidence": 0.7,
                    "status": None,
                    "proposed_mitigation": None,
                },
            )
            assert not observed.is_error, observed.content
            assert observed.structured_content["recorded"] is True
            assert observed.structured_content["hypothesis"]["status"] == "investigating"
            assert observed.structured_content["step"] == 2  # it took no step of its own

            ended = await client.call_tool("propose_mitigation", right_rollback())
            assert not ended.is_error, ended.content
            assert ended.structured_content["episode_over"] is True
            # The agent never hears the score.
            assert "score" not in json.dumps(ended.structured_content)
            assert "passed" not in json.dumps(ended.structured_content).lower()

    anyio.run(investigate)

    # replay verifies the hash chain (exit 1 if it does not hold), then
    # re-scores the run against the scenario.
    replay = run(binary, "replay", str(tmp_path / "audit.jsonl"), "--scenario", SCENARIO, "--json")
    assert replay.returncode == 0, replay.stderr
    replayed = json.loads(replay.stdout)
    assert replayed["evaluation"]["passed"] is True, replayed["evaluation"]
    assert replayed["evaluation"] == replayed["recorded_evaluation"]
    events = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    kinds = [event["type"] for event in events]
    assert "hypothesis_created" in kinds and "observation_recorded" in kinds, kinds

    lines = (tmp_path / "results.jsonl").read_text().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert (record["scenario"], record["agent"], record["trial"], record["steps"]) == (SCENARIO, "mcp", 0, 3)
    assert record["score"]["passed"] is True
    assert record["termination"] == {"kind": "mitigation_proposed"}

    card = run(binary, "scorecard", str(tmp_path / "results.jsonl"), "--json")
    assert card.returncode == 0, card.stderr
    assert json.loads(card.stdout)["overall"]["pass_rate"] == 1.0


def test_the_tools_are_the_gyms_own_with_their_schemas(binary: str, tmp_path: Path) -> None:
    exported = json.loads(run(binary, "tools", "--format", "mcp").stdout)["tools"]
    by_name = {tool["name"]: tool for tool in exported}

    async def list_tools() -> List[Any]:
        async with Client(server(binary, tmp_path), mode="legacy") as client:
            return (await client.list_tools()).tools

    tools = anyio.run(list_tools)
    names = [tool.name for tool in tools]
    assert names == ["incident", *DIAGNOSTIC_TOOLS, "record_observation", *ENDINGS], names
    for tool in tools:
        if tool.name in by_name:
            # One schema for every dialect: MCP lists exactly what `tools` exports.
            assert tool.input_schema == by_name[tool.name]["inputSchema"], tool.name
            assert tool.description == by_name[tool.name]["description"]
        assert tool.input_schema["type"] == "object"
        assert tool.input_schema["additionalProperties"] is False
    ending = {tool.name: tool for tool in tools}["propose_mitigation"]
    root_cause = ending.input_schema["properties"]["root_cause"]["properties"]
    assert "deploy_regression" in root_cause["category"]["enum"]
    kinds = ending.input_schema["properties"]["actions"]["items"]["properties"]["kind"]["enum"]
    assert "rollback" in kinds
    observation = {tool.name: tool for tool in tools}["record_observation"]
    assert set(observation.input_schema["required"]) >= {"summary", "significant", "hypothesis", "confidence"}
    annotations = {tool.name: tool.annotations for tool in tools}
    assert annotations["deploys"].read_only_hint is True
    assert annotations["propose_mitigation"].destructive_hint is True


def test_bad_calls_get_the_right_errors_and_the_server_keeps_serving(binary: str, tmp_path: Path) -> None:
    async def misbehave() -> None:
        async with Client(server(binary, tmp_path, "--max-steps", "3"), mode="legacy") as client:
            # An unknown tool is a JSON-RPC error (invalid params), and takes no step.
            with pytest.raises(MCPError) as unknown:
                await client.call_tool("restart_everything", {})
            assert unknown.value.code == -32602
            assert "Unknown tool" in unknown.value.error.message

            # No tool result yet: nothing to observe.
            early = await client.call_tool(
                "record_observation", {"summary": "nothing yet", "significant": False}
            )
            assert early.is_error and "no tool result awaits" in early.content[0].text

            # Wrong argument types: a tool error that names the parameter (the
            # engine counts the call as a step, as it does for every driver).
            bad = await client.call_tool("logs", {"service": 42})
            assert bad.is_error
            assert "service" in bad.content[0].text
            assert bad.structured_content["step"] == 1

            # Arguments that cannot be read are refused before anything is recorded.
            unreadable = await client.call_tool(
                "record_observation", {"summary": "x", "significant": "very"}
            )
            assert unreadable.is_error and "`significant`" in unreadable.content[0].text
            assert unreadable.structured_content["recorded"] is False

            # An ending action with arguments of the wrong shape fails its step.
            malformed = await client.call_tool("escalate", {"team": 7})
            assert malformed.is_error
            assert malformed.structured_content["episode_over"] is False

            # The third and last step: its result comes back, and the episode is over.
            last = await client.call_tool("deploys", {})
            assert not last.is_error
            assert last.structured_content["episode_over"] is True
            assert "the episode is over" in last.content[0].text

            for name, arguments in [("services", {}), ("propose_mitigation", right_rollback())]:
                after = await client.call_tool(name, arguments)
                assert after.is_error
                assert "the episode is over" in after.content[0].text

            # Still serving: the alert can be read, and the prompts listed.
            again = await client.call_tool("incident", {})
            assert not again.is_error and again.structured_content["episode_over"] is True
            prompts = await client.list_prompts()
            assert [prompt.name for prompt in prompts.prompts] == ["investigate"]

    anyio.run(misbehave)
    record = json.loads((tmp_path / "results.jsonl").read_text())
    assert record["termination"] == {"kind": "step_limit", "max_steps": 3}
    assert record["score"]["passed"] is False


def test_the_newest_protocol_is_served_without_a_handshake(binary: str, tmp_path: Path) -> None:
    async def modern() -> None:
        async with Client(server(binary, tmp_path), mode="auto") as client:
            assert client.protocol_version not in HANDSHAKE_PROTOCOL_VERSIONS
            tools = await client.list_tools()
            assert "record_observation" in [tool.name for tool in tools.tools]
            shown = await client.call_tool("incident", {})
            assert not shown.is_error

    anyio.run(modern)


def test_a_client_that_leaves_early_still_leaves_a_complete_log(binary: str, tmp_path: Path) -> None:
    async def leave() -> None:
        async with Client(server(binary, tmp_path), mode="legacy") as client:
            await client.call_tool("services", {})

    anyio.run(leave)
    replay = run(binary, "replay", str(tmp_path / "audit.jsonl"), "--json")
    assert replay.returncode == 0, replay.stderr
    assert json.loads(replay.stdout)["events"] == len((tmp_path / "audit.jsonl").read_text().splitlines())
    record = json.loads((tmp_path / "results.jsonl").read_text())
    assert record["termination"]["kind"] == "abandoned"
    assert record["score"]["passed"] is False


def test_malformed_requests_get_json_rpc_errors_the_sdk_can_read(binary: str, tmp_path: Path) -> None:
    """What the SDK will not send, sent by hand; every answer read with the SDK's own parser."""
    from mcp_types.jsonrpc import JSONRPCError, JSONRPCResponse, jsonrpc_message_adapter

    process = subprocess.Popen(
        [binary, "mcp", SCENARIO, "--out", str(tmp_path / "results.jsonl")],
        cwd=REPO_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdin is not None and process.stdout is not None

    def exchange(line: str) -> Any:
        process.stdin.write(line + "\n")
        process.stdin.flush()
        return jsonrpc_message_adapter.validate_json(process.stdout.readline())

    hello = exchange(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "by-hand", "version": "1"}}}))
    assert isinstance(hello, JSONRPCResponse)
    process.stdin.write(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}) + "\n")

    broken = exchange('{"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {')
    assert isinstance(broken, JSONRPCError) and broken.id is None and broken.error.code == -32700
    wrong_shape = exchange(json.dumps({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": ["deploys"]}))
    assert isinstance(wrong_shape, JSONRPCError) and wrong_shape.id == 3 and wrong_shape.error.code == -32602
    unknown_method = exchange(json.dumps({"jsonrpc": "2.0", "id": 4, "method": "episodes/reset"}))
    assert isinstance(unknown_method, JSONRPCError) and unknown_method.error.code == -32601
    still_serving = exchange(json.dumps({"jsonrpc": "2.0", "id": 5, "method": "tools/list"}))
    assert isinstance(still_serving, JSONRPCResponse) and still_serving.id == 5

    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
