"""Shared fixtures: every test runs against the real ``oncall-gym`` binary.

The binary comes from ``$ONCALL_GYM_BIN`` (else ``oncall-gym`` on PATH). If
there is none, every test fails with a message saying how to provide it:
nothing is skipped.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Iterator, List

import pytest
from oncall_gym import Client

#: The repository's root (clients/python/tests -> the workspace).
REPO_ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def binary() -> str:
    """The path of the oncall-gym binary under test."""
    path = os.environ.get("ONCALL_GYM_BIN") or shutil.which("oncall-gym")
    if not path:
        pytest.fail(
            "no oncall-gym binary: set ONCALL_GYM_BIN to it (e.g. "
            "ONCALL_GYM_BIN=target/debug/oncall-gym after `cargo build -p oncall-gym`)",
            pytrace=False,
        )
    if not (Path(path).is_file() and os.access(path, os.X_OK)):
        pytest.fail(f"ONCALL_GYM_BIN={path!r} is not an executable file", pytrace=False)
    return str(Path(path).resolve())


@pytest.fixture()
def client(binary: str) -> Iterator[Client]:
    """A client with its own server, closed (and checked to exit 0) after the test."""
    with Client(binary) as opened:
        yield opened
        assert opened.close() == 0


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Names where the browser tests saved their screenshots."""
    written = os.environ.get("ONCALL_GYM_SCREENSHOTS_WRITTEN")
    if written:
        terminalreporter.write_line(f"screenshots of the web UI: {written}")


class HttpServer:
    """``oncall-gym serve --http`` on a free loopback port, with its stderr
    kept in ``said``; :meth:`stop` sends SIGTERM and returns the exit code."""

    def __init__(self, binary: str, *arguments: str) -> None:
        self.process = subprocess.Popen(
            [binary, "serve", "--http", "127.0.0.1:0", *arguments],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stderr is not None
        first = self.process.stderr.readline()
        found = re.search(r"listening on (http://\S+)", first)
        assert found, f"serve did not say where it listens: {first!r}"
        self.url = found.group(1)
        self.said: List[str] = [first]
        stream = self.process.stderr
        self._drain = threading.Thread(target=lambda: self.said.extend(stream), daemon=True)
        self._drain.start()

    def stop(self) -> int:
        self.process.terminate()
        code = self.process.wait(timeout=60)
        self._drain.join(timeout=5)
        return code
