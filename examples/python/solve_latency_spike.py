#!/usr/bin/env python3
"""Solve the ``latency_spike`` scenario with a small rule-based agent (no LLM).

The agent works the way an on-call engineer would, and reads every name it
uses from the tool results:

1. ``services``: the catalogue, to know which services exist (so a
   rollback targets a real one);
2. ``metrics`` of the alerting service: the list, then the metric the alert
   talks about (the one sharing most words with the alert's description);
3. that metric in 5-minute buckets over two hours: when did it jump?
4. ``deploys``: a deploy that landed shortly before the jump, on the
   alerting service or one it depends on, is the suspect;
5. ``logs`` of the suspect service: are there warnings and errors since
   the deploy?
6. then a rollback of that deploy, with the root cause as a
   ``deploy_regression`` of the deployed service (a deploy lining up with
   the trouble is exactly what that category means).

Each step after a tool call carries the analysis of its result, and the
agent keeps a hypothesis up to date. It prints what it does, then the
reward and whether the run passed, and exits 0 only if it passed.

Usage::

    ONCALL_GYM_BIN=target/debug/oncall-gym python examples/python/solve_latency_spike.py [--seed N]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional, Set, Tuple

from oncall_gym import Client

#: A metric bucket this far from the baseline (as a ratio) marks the onset.
ONSET_CHANGE = 0.5
#: A deploy at most this long before the onset (or during its bucket) is a suspect.
DEPLOY_LEAD = timedelta(minutes=30)
#: The metric window and bucket size read around the alert.
WINDOW_MINUTES = 120
BUCKET_SECONDS = 300

Json = Dict[str, Any]


@dataclass
class EpisodeResult:
    """How one episode ended (the evaluation comes from ``info``, for the harness)."""

    scenario: str
    seed: int
    reward: float
    passed: bool
    steps: int
    ending: str


class EpisodeEnded(Exception):
    """The episode ended before the agent answered (e.g. the step limit)."""

    def __init__(self, result: Json) -> None:
        super().__init__("the episode ended")
        self.result = result


def parse_time(text: str) -> datetime:
    """An RFC 3339 timestamp (``...Z`` included, which 3.9's parser lacks)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def words(text: str) -> Set[str]:
    """The lowercase alphanumeric words of ``text``."""
    return {word for word in re.split(r"[^a-z0-9]+", text.lower()) if word}


class DeployCorrelationAgent:
    """Rolls back the deploy that lines up with the alert's metric jump.

    When no deploy lines up it calls :meth:`fallback`, which here hands the
    incident to the alerting service's owning team; subclasses can do better.
    """

    name = "python-deploy-correlation"

    def __init__(self, client: Client, verbose: bool = True) -> None:
        self.client = client
        self.verbose = verbose
        self.episode = ""
        self.steps = 0
        self.analysis: Optional[Json] = None  # of the last tool result, sent with the next step
        self.status: Optional[str] = None  # of the hypothesis, once there is one

    # -------------------------------------------------------------- plumbing

    def say(self, text: str) -> None:
        if self.verbose:
            print(f"step {self.steps}  {text}")

    def send(self, decision: Json) -> Json:
        """Takes one step, carrying the analysis of the previous tool result."""
        result: Json = self.client.step(self.episode, decision, analysis=self.analysis)
        self.analysis = None
        self.steps += 1
        return result

    def call(self, tool: str, params: Json, reasoning: str) -> Json:
        """Calls a tool and returns its data ({} if it failed)."""
        decision = {"action": "call_tool", "tool_name": tool, "params": params}
        result = self.send({**decision, "reasoning": reasoning})
        if result["terminated"] or result["truncated"]:
            raise EpisodeEnded(result)
        tool_result = result["observation"]["tool_result"] or {}
        if not tool_result.get("success"):
            errors = "; ".join(e.get("message", "") for e in tool_result.get("errors", []))
            self.note(f"`{tool}` failed: {errors}", significant=False)
            self.say(f"{tool}: failed ({errors})")
            return {}
        data: Json = tool_result["data"]
        return data

    def note(self, summary: str, significant: bool, hypothesis: Optional[Json] = None) -> None:
        """Analyses the last tool result (sent with the next step)."""
        self.analysis = {"summary": summary, "significant": significant}
        if hypothesis is not None:
            self.analysis["hypothesis_update"] = hypothesis

    def believe(self, statement: str, confidence: float, mitigation: Optional[str] = None) -> Json:
        """A hypothesis update: the first creates it; each later one moves it a
        step further (investigating -> supported -> actionable, the only legal
        way), with the mitigation to propose once actionable."""
        update: Json = {"statement": statement, "confidence": confidence, "cite_observation": True}
        if self.status is None:
            self.status = "investigating"
            return {"kind": "create", **update}
        self.status = {"investigating": "supported"}.get(self.status, "actionable")
        update.update(kind="revise", status=self.status)
        if self.status == "actionable" and mitigation:
            update["proposed_mitigation"] = mitigation
        return update

    # ------------------------------------------------------------- the agent

    def run(self, scenario: str, seed: int = 0) -> EpisodeResult:
        """Plays one episode of ``scenario`` and closes it."""
        reset = self.client.reset(scenario, seed=seed, agent=self.name)
        self.episode, self.steps, self.analysis, self.status = reset["episode"], 0, None, None
        incident = reset["observation"]["incident"]
        if self.verbose:
            print(
                f"alert: {incident['service']} ({incident['severity']}): {incident['description']}"
            )
        try:
            result = self.investigate(incident)
        except EpisodeEnded as ended:
            result = ended.result
        info = result["info"]  # for the harness: the agent never reads it
        self.client.close_episode(self.episode)
        return EpisodeResult(
            scenario=scenario,
            seed=seed,
            reward=float(result["reward"]),
            passed=bool(info["evaluation"]["passed"]),
            steps=self.steps,
            ending=str((info.get("termination") or {}).get("kind", "?")),
        )

    def investigate(self, incident: Json) -> Json:
        """Steps 1 to 6; returns the final step's result."""
        alerting = incident["service"]

        # 1. The catalogue: what exists, and what the alerting service depends on.
        catalogue = self.call("services", {}, "what exists and who owns it")
        services = {entry["name"]: entry for entry in catalogue.get("services", [])}
        self.note(f"the catalogue lists {len(services)} services", significant=False)
        self.say(f"services: {', '.join(sorted(services))}")

        # 2. The alerting service's metrics: pick the one the alert is about.
        listing = self.call("metrics", {"service": alerting}, "what the alerting service measures")
        names = [metric["name"] for metric in listing.get("metrics", [])]
        alert_words = words(incident["description"])
        metric = max(names, key=lambda name: len(words(name) & alert_words), default=None)
        self.note(f"{alerting} measures {names}; the alert is about {metric}", significant=False)
        self.say(f"metrics: {alerting} has {', '.join(names)}; reading {metric}")

        # 3. When did that metric leave its baseline?
        onset = None
        if metric is not None:
            window = {"last_minutes": WINDOW_MINUTES, "aggregation": "buckets"}
            params = {"service": alerting, "metric": metric, **window}
            series = self.call("metrics", {**params, "bucket_seconds": BUCKET_SECONDS}, "when")
            onset, summary = find_onset(series.get("buckets", []))
            hypothesis = None
            if onset is not None:
                hypothesis = self.believe(f"{alerting} changed around {onset:%H:%M}", 0.4)
            self.note(summary, significant=onset is not None, hypothesis=hypothesis)
            self.say(f"metrics: {summary}")
        reference = onset or parse_time(incident["created_at"])

        # 4. Recent deploys: one that landed just before the jump is the suspect.
        deploys = self.call("deploys", {}, "recent changes are the usual suspects")
        related = {alerting, *services.get(alerting, {}).get("depends_on", [])}
        suspect = pick_suspect(deploys.get("deploys", []), reference, related, services)
        if suspect is None:
            self.note(f"no deploy lines up with {reference:%H:%M}", significant=False)
            self.say("deploys: none lines up with the onset")
            return self.fallback(incident, catalogue, reference)
        culprit, version = suspect["service"], suspect["version"]
        deployed_at = parse_time(suspect["deployed_at"])
        lead = int((reference - deployed_at).total_seconds() // 60)
        belief = f"deploy {version} of {culprit} caused the {metric} jump"
        self.note(
            f"{culprit} deployed {version} {lead} min before the onset",
            True,
            self.believe(belief, 0.7),
        )
        self.say(
            f"deploys: {culprit} {version} at {deployed_at:%H:%M}, {lead} min before the onset"
        )

        # 5. Does the suspect complain since its deploy?
        logs = self.call(
            "logs",
            {"service": culprit, "min_level": "warn", "last_minutes": 60},
            f"does {culprit} complain since its deploy?",
        )
        entries = logs.get("entries", [])
        since = [entry for entry in entries if parse_time(entry["timestamp"]) >= deployed_at]
        previous = suspect.get("previous_version")
        mitigation = f"Roll back {culprit} from {version}" + (f" to {previous}" if previous else "")
        confidence = 0.9 if since else 0.6
        self.note(
            f"{len(since)} warnings or errors from {culprit} since the deploy",
            bool(since),
            self.believe(belief, confidence, mitigation) if since else None,
        )
        self.say(f"logs: {len(since)} warnings/errors from {culprit} since the deploy")

        # 6. Roll it back.
        result = self.send(
            {
                "action": "propose_mitigation",
                "mitigation": mitigation,
                "confidence": confidence,
                "reasoning": f"{metric} left its baseline at {reference:%H:%M}, {lead} min after "
                f"{culprit} deployed {version}; {len(since)} warnings or errors since",
                "root_cause": {"service": culprit, "category": "deploy_regression"},
                "actions": [{"kind": "rollback", "target": culprit, "description": None}],
            }
        )
        self.say(f"propose: rollback {culprit} (root cause: {culprit}, deploy_regression)")
        return result

    def fallback(self, incident: Json, catalogue: Json, reference: datetime) -> Json:
        """No deploy lines up: hand the incident to the alerting service's owners."""
        alerting = incident["service"]
        owners = [
            entry.get("team")
            for entry in catalogue.get("services", [])
            if entry["name"] == alerting
        ]
        team = owners[0] if owners else None
        decision: Json = {
            "action": "escalate",
            "reason": f"no deploy lines up with the trouble that began at {reference:%H:%M}",
            "target": f"the on-call of {team or alerting}",
        }
        if team:
            decision["team"] = team
        result = self.send(decision)
        self.say(f"escalate to {team or 'the owning team'}")
        return result


def find_onset(buckets: List[Json]) -> Tuple[Optional[datetime], str]:
    """The start of the first bucket far from the baseline (the median of the first half)."""
    values = [bucket["avg"] for bucket in buckets if bucket.get("avg") is not None]
    if len(values) < 4:
        return None, f"too few buckets ({len(values)}) to see a change"
    baseline = statistics.median(values[: len(values) // 2])
    for bucket in buckets:
        change = abs(bucket["avg"] - baseline) / abs(baseline) if baseline else abs(bucket["avg"])
        if change >= ONSET_CHANGE:
            return parse_time(bucket["start"]), (
                f"baseline {baseline:.4g}, then {bucket['avg']:.4g} from {bucket['start'][11:16]}"
            )
    return None, f"no bucket far from the baseline {baseline:.4g}"


def pick_suspect(
    deploys: List[Json], onset: datetime, related: Set[str], services: Dict[str, Json]
) -> Optional[Json]:
    """The newest landed deploy of a related catalogue service within the lead before the onset."""
    bucket_end = onset + timedelta(seconds=BUCKET_SECONDS)
    for deploy in deploys:  # newest first
        at = parse_time(deploy["deployed_at"])
        if (
            deploy.get("status") == "succeeded"
            and deploy["service"] in related
            and deploy["service"] in services
            and onset - DEPLOY_LEAD <= at <= bucket_end
        ):
            return deploy
    return None


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="latency_spike")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    with Client() as client:
        result = DeployCorrelationAgent(client).run(args.scenario, args.seed)
    verdict = "PASSED" if result.passed else "FAILED"
    print(
        f"{result.scenario} seed {result.seed}: reward {result.reward:.3f} in {result.steps} steps "
        f"({result.ending}), passed: {result.passed} -> {verdict}"
    )
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(main())
