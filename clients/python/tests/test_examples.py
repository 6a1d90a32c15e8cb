"""The examples under examples/python run, against the real server."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from oncall_gym import Client

REPO_ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = REPO_ROOT / "examples" / "python"


def run_example(binary: str, name: str, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, ONCALL_GYM_BIN=binary)
    package = str(REPO_ROOT / "clients" / "python")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package, env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_solve_latency_spike_passes(binary: str) -> None:
    run = run_example(binary, "solve_latency_spike.py")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "propose: rollback checkout (root cause: checkout, deploy_regression)" in run.stdout
    match = re.search(r"reward (\d\.\d{3}) in (\d+) steps .*passed: True -> PASSED", run.stdout)
    assert match, run.stdout
    assert float(match.group(1)) >= 0.9


def test_solve_latency_spike_exits_1_when_it_fails(binary: str) -> None:
    # On a scenario where no deploy explains the trouble, the agent's
    # fallback does not pass, and the exit code says so.
    run = run_example(binary, "solve_latency_spike.py", "--scenario", "auth_host_clock_skew")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "passed: False -> FAILED" in run.stdout


def test_scorecard_covers_every_scenario(binary: str) -> None:
    run = run_example(binary, "scorecard.py", "--seeds", "2")
    assert run.returncode == 0, run.stdout + run.stderr
    with Client(binary) as client:
        scenario_ids = [entry["id"] for entry in client.scenarios()]
    lines = run.stdout.splitlines()
    assert lines[0].split() == ["scenario", "difficulty", "mean", "reward", "pass", "rate"]
    rows = {line.split()[0]: line.split() for line in lines[2:-1]}
    assert set(rows) == set(scenario_ids)
    assert rows["latency_spike"][1:] == ["easy", "0.975", "100%"]
    overall = lines[-1]
    assert re.fullmatch(
        rf"overall: {len(scenario_ids)} scenarios x 2 seeds, mean reward \d\.\d{{3}}, "
        rf"passed \d+ of {2 * len(scenario_ids)} \(\d+%\)",
        overall,
    ), overall


def test_the_mcp_library_evaluation_example_scores_every_scenario(binary: str, tmp_path: Path) -> None:
    """examples/mcp/eval_library.sh: an MCP agent over the library, then the scorecard."""
    results = tmp_path / "results.jsonl"
    env = dict(os.environ, ONCALL_GYM=binary)
    # The example agent runs with this interpreter, which has the MCP SDK.
    env["AGENT"] = f"{sys.executable} {REPO_ROOT / 'examples' / 'mcp' / 'deploy_suspect_agent.py'}"
    run = subprocess.run(
        ["bash", str(REPO_ROOT / "examples" / "mcp" / "eval_library.sh"), str(results), "2"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    listed = subprocess.run([binary, "scenarios", "--json"], capture_output=True, text=True, cwd=REPO_ROOT)
    scenarios = [entry["id"] for entry in json.loads(listed.stdout)]
    lines = [json.loads(line) for line in results.read_text().splitlines()]
    assert sorted((line["scenario"], line["trial"]) for line in lines) == sorted(
        (scenario, trial) for scenario in scenarios for trial in range(2)
    )
    assert {line["agent"] for line in lines} == {"deploy-suspect"}
    # The deploy-suspect agent solves the scenario its strategy fits.
    assert all(line["score"]["passed"] for line in lines if line["scenario"] == "latency_spike")
    overall = run.stdout.strip().splitlines()[-1].split()
    assert overall[:2] == ["overall", str(2 * len(scenarios))], run.stdout
    assert "pass^2" in run.stdout
