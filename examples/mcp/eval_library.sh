#!/usr/bin/env bash
# Evaluate an MCP agent over the whole scenario library, then print the
# scorecard: one `oncall-gym mcp` episode per scenario, each appending its
# result to one file, summed by `oncall-gym scorecard`.
#
# Usage:
#   examples/mcp/eval_library.sh [RESULTS.jsonl] [TRIALS]
#
# Environment:
#   ONCALL_GYM   the oncall-gym command (default: oncall-gym on PATH)
#   AGENT        your agent's command; it is given the server command to
#                launch after `--`, as an MCP client is (default: the
#                example deploy-suspect agent)
#   AGENT_NAME   the name the results record (default: deploy-suspect)
set -euo pipefail
cd "$(dirname "$0")/../.."

gym="${ONCALL_GYM:-oncall-gym}"
agent="${AGENT:-python3 examples/mcp/deploy_suspect_agent.py}"
agent_name="${AGENT_NAME:-deploy-suspect}"
results="${1:-results.jsonl}"
trials="${2:-1}"

rm -f "$results"
# `scenarios --json` lists the ids (and titles, for you: never for the agent).
ids=$("$gym" scenarios --json | python3 -c 'import json, sys; print("\n".join(s["id"] for s in json.load(sys.stdin)))')
for id in $ids; do
  for ((trial = 0; trial < trials; trial++)); do
    # Each trial gets its own seed, so its run id differs.
    $agent -- "$gym" mcp "$id" --agent "$agent_name" --trial "$trial" --seed "$trial" --out "$results"
  done
done
"$gym" scorecard "$results"
