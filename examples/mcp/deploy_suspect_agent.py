#!/usr/bin/env python3
"""A small MCP agent (no LLM) for ``oncall-gym mcp``: it suspects deploys.

It stands in for your own MCP-capable agent in ``eval_library.sh``: like
Claude Code or any MCP client, it launches the server command it is given
and talks to it over stdio with the official MCP Python SDK. It reads every
name it uses from the tool results, and knows nothing of any scenario:

1. ``incident``: the alerting service and when the alert fired;
2. ``services``: the catalogue, for the alerting service's dependencies and
   the teams;
3. ``deploys``: the newest deploy in the hour before the alert, to the
   alerting service or one it depends on, is the suspect;
4. ``logs`` of the suspect (errors and warnings): are there any?
5. a rollback of the suspect as a ``deploy_regression``; with no suspect,
   an escalation to the alerting service's team.

After each diagnostic result it calls ``record_observation``, so the audit
log has its observations and hypothesis.

Usage::

    python examples/mcp/deploy_suspect_agent.py -- oncall-gym mcp latency_spike --out results.jsonl
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional

import anyio
from mcp import Client
from mcp.client.stdio import StdioServerParameters

#: A deploy at most this long before the alert is a suspect.
DEPLOY_LEAD = timedelta(hours=1)

Json = Dict[str, Any]


def when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def suspect_deploy(deploys: List[Json], services: List[str], alert_at: datetime) -> Optional[Json]:
    """The newest succeeded deploy to one of ``services`` in the lead-up to the alert."""
    candidates = [
        deploy
        for deploy in deploys
        if deploy.get("service") in services
        and deploy.get("status", "succeeded") == "succeeded"
        and alert_at - DEPLOY_LEAD <= when(deploy["deployed_at"]) <= alert_at
    ]
    return max(candidates, key=lambda deploy: when(deploy["deployed_at"]), default=None)


async def investigate(client: Client) -> str:
    async def call(name: str, arguments: Json) -> Json:
        result = await client.call_tool(name, arguments)
        return result.structured_content or {}

    async def observe(summary: str, significant: bool, **hypothesis: Any) -> None:
        await call(
            "record_observation",
            {
                "summary": summary,
                "significant": significant,
                "hypothesis": hypothesis.get("hypothesis"),
                "confidence": hypothesis.get("confidence"),
                "status": hypothesis.get("status"),
                "proposed_mitigation": hypothesis.get("proposed_mitigation"),
            },
        )

    incident = (await call("incident", {}))["incident"]
    alerting = incident["service"]
    alert_at = when(incident["created_at"])

    catalogue = (await call("services", {})).get("tool_result", {}).get("data", {}).get("services", [])
    entry = next((service for service in catalogue if service["name"] == alerting), {})
    nearby = [alerting, *entry.get("depends_on", [])]
    await observe(f"{alerting} depends on {', '.join(nearby[1:]) or 'nothing listed'}", False)

    deploys = (await call("deploys", {})).get("tool_result", {}).get("data", {}).get("deploys", [])
    suspect = suspect_deploy(deploys, nearby, alert_at)
    if suspect is None:
        await observe("no deploy near the alert on the service or its dependencies", True)
        team = entry.get("team", alerting)
        await call(
            "escalate",
            {
                "team": team,
                "target": f"{team} on-call",
                "reason": "no recent deploy explains the alert; the owning team should look",
                "root_cause": {"service": alerting, "category": "dependency_outage"},
            },
        )
        return f"escalated to {team}"
    culprit = suspect["service"]
    statement = f"{culprit} {suspect.get('version', '')} (deployed {suspect['deployed_at']}) caused the alert"
    await observe(f"{culprit} was deployed at {suspect['deployed_at']}", True, hypothesis=statement, confidence=0.6)

    logs = await call("logs", {"service": culprit, "min_level": "warn"})
    entries = logs.get("tool_result", {}).get("data", {}).get("entries", [])
    await observe(
        f"{len(entries)} warnings and errors from {culprit}",
        bool(entries),
        confidence=0.8 if entries else 0.5,
        status="supported" if entries else None,
    )
    await call(
        "propose_mitigation",
        {
            "mitigation": f"roll back {culprit} from {suspect.get('version', 'the new version')}",
            "confidence": 0.8 if entries else 0.5,
            "reasoning": statement,
            "root_cause": {"service": culprit, "category": "deploy_regression"},
            "actions": [{"kind": "rollback", "target": culprit, "description": None}],
        },
    )
    return f"proposed a rollback of {culprit}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("server", nargs=argparse.REMAINDER, help="the MCP server command, after --")
    arguments = parser.parse_args()
    command = [part for part in arguments.server if part != "--"]
    if not command:
        parser.error("give the server command after --, e.g. -- oncall-gym mcp latency_spike")

    async def run() -> str:
        server = StdioServerParameters(command=command[0], args=command[1:])
        async with Client(server, mode="legacy") as client:
            return await investigate(client)

    print(anyio.run(run), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
