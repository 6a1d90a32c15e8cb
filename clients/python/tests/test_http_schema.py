"""Schemathesis (from PyPI) against ``oncall-gym serve --http``'s own OpenAPI
document: thousands of generated requests, well-formed and not, to every
operation, including stateful sequences that follow the document's links.
It must find no 5xx, and no answer whose status, content type or body breaks
the document.

The server runs with a results store and no workers, so the evals the fuzzer
queues stay queued (its cancels have something to cancel). An event stream
of a queued eval stays open, as it must; the 5 s request timeout ends it on
the client's side, with the events read so far checked.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import HttpServer

#: The checks that must pass. ``not_a_server_error`` and
#: ``response_schema_conformance`` are the issue's; the status codes and
#: content types documented per operation are held to as well.
CHECKS = ",".join(
    [
        "not_a_server_error",
        "response_schema_conformance",
        "status_code_conformance",
        "content_type_conformance",
    ]
)


def schemathesis_command() -> list[str]:
    """The ``schemathesis`` entry point next to this Python, else on PATH."""
    beside = Path(sys.executable).with_name("schemathesis")
    if beside.is_file():
        return [str(beside)]
    found = shutil.which("schemathesis")
    if found is None:
        pytest.fail(
            "schemathesis is not installed: `pip install -e 'clients/python[test]'` installs it",
            pytrace=False,
        )
    return [found]


def test_schemathesis_finds_no_server_error_and_no_answer_that_breaks_the_document(
    binary: str, tmp_path: Path
) -> None:
    server = HttpServer(
        binary, "--db", str(tmp_path / "results.db"), "--workers", "0", "--max-episodes", "64"
    )
    try:
        ran = subprocess.run(
            [
                *schemathesis_command(),
                "run",
                f"{server.url}/v1/openapi.json",
                "--checks",
                CHECKS,
                "--max-examples",
                "30",
                "--workers",
                "2",
                "--seed",
                "20261130",
                "--request-timeout",
                "5",
            ],
            capture_output=True,
            text=True,
            timeout=900,
            cwd=tmp_path,
        )
        report = ran.stdout + ran.stderr
        assert ran.returncode == 0, report
        summary = re.search(r"(\d+) generated, (\d+) passed", report)
        assert summary, report
        assert int(summary.group(1)) >= 500, report
        assert summary.group(1) == summary.group(2), report
    finally:
        code = server.stop()
    assert code == 0, "".join(server.said)
