#!/usr/bin/env python3
"""Run a simple generic agent over every scenario and print a scorecard.

The agent is the deploy-correlation agent of ``solve_latency_spike.py``
with a broader fallback for when no deploy lines up with the trouble: if
the error logs name an external provider from the catalogue it escalates
to that provider, otherwise it restarts the service with the most errors.
It is a baseline, not a good agent: expect it to fail most scenarios that
are not a bad deploy.

The scenario seed changes the run's ids, not what the tools return, so a
deterministic agent like this one scores the same on every seed; the seeds
are there to show the shape of a multi-trial evaluation.

Usage::

    ONCALL_GYM_BIN=target/debug/oncall-gym python examples/python/scorecard.py [--seeds 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import List, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))

from oncall_gym import Client  # noqa: E402
from solve_latency_spike import DeployCorrelationAgent, EpisodeResult, Json  # noqa: E402


class GenericAgent(DeployCorrelationAgent):
    """The deploy-correlation agent, with a provider escalation or a restart as fallback."""

    name = "python-generic"

    def fallback(self, incident: Json, catalogue: Json, reference: datetime) -> Json:
        """Escalate to a provider the errors name, else restart the service with most errors."""
        logs = self.call(
            "logs",
            {"service": None, "min_level": "error", "last_minutes": 60, "limit": 200},
            "who is failing, and how",
        )
        entries = logs.get("entries", [])
        by_service = Counter(entry["service"] for entry in entries)
        text = " ".join(entry["message"] for entry in entries).lower()
        self.note(
            f"{len(entries)} errors, most from {by_service.most_common(1)}",
            significant=bool(entries),
        )
        providers = [entry["name"] for entry in catalogue.get("providers", [])]
        named = [provider for provider in providers if provider.lower() in text]
        if named:
            provider = named[0]
            self.say(f"escalate to {provider}")
            return self.send(
                {
                    "action": "escalate",
                    "team": provider,
                    "target": f"{provider} support",
                    "reason": f"the errors name the external provider {provider}",
                    "root_cause": {"service": provider, "category": "dependency_outage"},
                }
            )
        failing = by_service.most_common(1)[0][0] if by_service else incident["service"]
        if failing not in {entry["name"] for entry in catalogue.get("services", [])}:
            failing = incident["service"]
        self.say(f"propose: restart {failing}")
        return self.send(
            {
                "action": "propose_mitigation",
                "mitigation": f"Restart {failing}",
                "confidence": 0.3,
                "reasoning": f"no deploy lines up; {failing} logs the most errors",
                "root_cause": {"service": failing, "category": "resource_exhaustion"},
                "actions": [{"kind": "restart", "target": failing, "description": None}],
            }
        )


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="seeds per scenario (0 .. N-1)")
    args = parser.parse_args(argv)
    rows = []
    all_results: List[EpisodeResult] = []
    with Client() as client:
        agent = GenericAgent(client, verbose=False)
        for scenario in client.scenarios():
            results = [agent.run(scenario["id"], seed) for seed in range(args.seeds)]
            all_results += results
            rows.append(
                (
                    scenario["id"],
                    scenario["difficulty"],
                    statistics.mean(r.reward for r in results),
                    sum(r.passed for r in results) / len(results),
                )
            )
    width = max(len(row[0]) for row in rows)
    print(f"{'scenario':<{width}}  difficulty  mean reward  pass rate")
    print(f"{'-' * width}  ----------  -----------  ---------")
    for scenario, difficulty, reward, pass_rate in rows:
        print(f"{scenario:<{width}}  {difficulty:<10}  {reward:>11.3f}  {pass_rate:>9.0%}")
    passed = sum(r.passed for r in all_results)
    print(
        f"overall: {len(rows)} scenarios x {args.seeds} seeds, mean reward "
        f"{statistics.mean(r.reward for r in all_results):.3f}, "
        f"passed {passed} of {len(all_results)} ({passed / len(all_results):.0%})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
