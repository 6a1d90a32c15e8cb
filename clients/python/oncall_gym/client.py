"""A JSON-RPC client for ``oncall-gym serve --stdio``.

The server reads one JSON-RPC 2.0 request per line on its standard input and
answers each with one response line on its standard output. :class:`Client`
starts the server as a child process, sends one request at a time and waits
for its answer, so requests and responses never interleave.

Everything a step returns under ``info`` (the scenario id, the run id, the
evaluation at the end) is for the harness only: never show it to the agent,
or it learns the answer from the grader. Only ``observation`` is for the
agent.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Dict, List, Mapping, Optional, Sequence, Type, Union, cast

__all__ = [
    "BINARY_ENV_VAR",
    "Client",
    "OncallGymError",
    "ProtocolError",
    "ServerExited",
    "find_binary",
]

#: The environment variable naming the ``oncall-gym`` binary.
BINARY_ENV_VAR = "ONCALL_GYM_BIN"

#: Seconds :meth:`Client.close` waits for the server to exit before killing it.
DEFAULT_CLOSE_TIMEOUT = 10.0

JsonObject = Dict[str, Any]
PathLike = Union[str, "os.PathLike[str]"]


class OncallGymError(Exception):
    """Base class of every error this package raises."""


class ProtocolError(OncallGymError):
    """The server refused a request with a JSON-RPC error.

    Attributes:
        code: the JSON-RPC error code (e.g. -32602 for invalid params).
        message: the server's explanation, for a person to read.
        kind: the short machine-readable name from ``error.data.kind``
            (e.g. ``"invalid_params"``, ``"episode_over"``,
            ``"unknown_scenario"``), or ``None`` if the server gave none.
        data: the error's whole ``data`` member, if any.
    """

    def __init__(
        self,
        code: int,
        message: str,
        kind: Optional[str] = None,
        data: Any = None,
    ) -> None:
        super().__init__(f"{message} (code {code}, kind {kind})")
        self.code = code
        self.message = message
        self.kind = kind
        self.data = data

    def to_dict(self) -> JsonObject:
        """The error as a plain dict: ``{"code", "message", "kind"}``."""
        return {"code": self.code, "message": self.message, "kind": self.kind}


class ServerExited(OncallGymError):
    """The server process ended (or its pipe broke) while a request was open.

    Attributes:
        returncode: the server's exit code, or ``None`` if it could not be
            collected.
    """

    def __init__(self, message: str, returncode: Optional[int]) -> None:
        super().__init__(f"{message} (exit code {returncode})")
        self.returncode = returncode


def find_binary(binary: Optional[PathLike] = None) -> str:
    """Resolves the ``oncall-gym`` binary.

    In order: ``binary`` if given, else the ``ONCALL_GYM_BIN`` environment
    variable, else ``oncall-gym`` on ``PATH``.

    Raises:
        OncallGymError: when none of these names an executable file.
    """
    if binary is not None:
        candidate, source = os.fspath(binary), "the `binary` argument"
    elif os.environ.get(BINARY_ENV_VAR):
        candidate, source = os.environ[BINARY_ENV_VAR], f"${BINARY_ENV_VAR}"
    else:
        found = shutil.which("oncall-gym")
        if found is None:
            raise OncallGymError(
                "cannot find the oncall-gym binary: pass `binary=...`, set "
                f"{BINARY_ENV_VAR} to its path, or put `oncall-gym` on PATH "
                "(build it with `cargo build -p oncall-gym`)"
            )
        return found
    path = Path(candidate)
    if not path.is_file() or not os.access(path, os.X_OK):
        resolved = shutil.which(candidate)
        if resolved is None:
            raise OncallGymError(
                f"the oncall-gym binary from {source}, {candidate!r}, is not an executable file"
            )
        return resolved
    return str(path)


class Client:
    """Drives one ``oncall-gym serve --stdio`` process.

    Args:
        binary: the ``oncall-gym`` executable; see :func:`find_binary`.
        fixtures: a directory of scenario directories, passed as
            ``--fixtures DIR`` (searched first for scenario names).
        extra_args: more arguments, placed before ``serve``.
        stderr: where the server's diagnostics go: ``None`` (the default)
            passes them through to this process's standard error;
            ``subprocess.DEVNULL`` or an open file also work. They are never
            mixed into the protocol stream.

    Use it as a context manager, or call :meth:`close` when done::

        with Client() as client:
            reset = client.reset("latency_spike", seed=3)
            step = client.step(reset["episode"], {"action": "call_tool", ...})
    """

    def __init__(
        self,
        binary: Optional[PathLike] = None,
        fixtures: Optional[PathLike] = None,
        extra_args: Sequence[str] = (),
        *,
        stderr: Union[None, int, IO[Any]] = None,
    ) -> None:
        self.binary = find_binary(binary)
        command: List[str] = [self.binary]
        if fixtures is not None:
            command += ["--fixtures", os.fspath(fixtures)]
        command += [*extra_args, "serve", "--stdio"]
        self.command = command
        self._next_id = 1
        self._returncode: Optional[int] = None
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
        )

    # ----------------------------------------------------------------- methods

    def reset(
        self,
        scenario: str,
        seed: Optional[int] = None,
        max_steps: Optional[int] = None,
        agent: Optional[str] = None,
        audit: Optional[PathLike] = None,
    ) -> JsonObject:
        """Opens an episode of ``scenario``.

        Args:
            scenario: a scenario name (see :meth:`scenarios`), never a path.
            seed: the episode's seed (the server's default is 0).
            max_steps: the step limit, 1 to 1000 (default: the scenario's).
            agent: the agent name the audit log records (default
                ``"external"``).
            audit: a file to write the episode's hash-chained audit log to.

        Returns:
            ``{"episode": "ep-N", "observation": {...}, "info": {...}}``.
        """
        params: JsonObject = {"scenario": scenario}
        if seed is not None:
            params["seed"] = seed
        if max_steps is not None:
            params["max_steps"] = max_steps
        if agent is not None:
            params["agent"] = agent
        if audit is not None:
            params["audit"] = os.fspath(audit)
        return cast(JsonObject, self.call("reset", params))

    def step(
        self,
        episode: str,
        action: Union[Mapping[str, Any], str],
        analysis: Optional[Mapping[str, Any]] = None,
    ) -> JsonObject:
        """Takes one step.

        Args:
            episode: the id :meth:`reset` returned.
            action: a decision object, or a string holding its JSON text. One
                that is not a valid decision fails the step (see
                ``observation.step_failure``) rather than raising.
            analysis: the analysis of the previous step's tool result
                (``{"summary", "significant", "hypothesis_update"?, ...}``);
                only valid right after a tool call.

        Returns:
            ``{"observation", "reward", "terminated", "truncated", "info"}``.
        """
        params: JsonObject = {"episode": episode, "action": action}
        if analysis is not None:
            params["analysis"] = analysis
        return cast(JsonObject, self.call("step", params))

    def close_episode(self, episode: str) -> JsonObject:
        """Closes an episode (abandoning it if still running); returns ``{"info"}``."""
        return cast(JsonObject, self.call("close", {"episode": episode}))

    def scenarios(self) -> List[JsonObject]:
        """Every scenario the server offers, as ``[{"id", "difficulty"}]``."""
        return cast(List[JsonObject], self.call("scenarios"))

    def tools(self) -> List[JsonObject]:
        """Every tool definition, as ``[{"name", "description", "parameters"}]``."""
        return cast(List[JsonObject], self.call("tools"))

    # --------------------------------------------------------------- transport

    def call(self, method: str, params: Optional[Mapping[str, Any]] = None) -> Any:
        """Sends one request and returns its ``result``.

        Raises:
            ProtocolError: the server answered with an error.
            ServerExited: the server is gone.
            OncallGymError: the answer is not a response to this request.
            ValueError: ``params`` cannot be written as JSON (e.g. NaN).
        """
        if self._returncode is not None:
            raise OncallGymError("the client is closed")
        request_id = self._next_id
        self._next_id += 1
        request: JsonObject = {"jsonrpc": "2.0", "id": request_id, "method": method}
        if params is not None:
            request["params"] = params
        line = json.dumps(
            request, ensure_ascii=False, allow_nan=False, separators=(",", ":")
        ).encode("utf-8")
        process = self._process
        assert process.stdin is not None and process.stdout is not None
        try:
            process.stdin.write(line + b"\n")
            process.stdin.flush()
        except OSError as broken:  # BrokenPipeError included
            raise self._server_gone(f"could not send `{method}`: {broken}") from broken
        answer = process.stdout.readline()
        if not answer:
            raise self._server_gone(f"the server exited before answering `{method}`")
        try:
            response = json.loads(answer)
        except ValueError as invalid:
            raise OncallGymError(
                f"the server's answer to `{method}` is not JSON: {answer[:200]!r}"
            ) from invalid
        if not isinstance(response, dict):
            raise OncallGymError(f"the server's answer to `{method}` is not an object")
        failure = response.get("error")
        # An error about a request the server could not read (not JSON, a
        # line over its cap) carries id null: with one request in flight it
        # can only be about this one.
        if response.get("id") != request_id and not (
            response.get("id") is None and isinstance(failure, dict)
        ):
            raise OncallGymError(
                f"the answer to request {request_id} (`{method}`) has id {response.get('id')!r}"
            )
        if isinstance(failure, dict):
            data = failure.get("data")
            kind = data.get("kind") if isinstance(data, dict) else None
            raise ProtocolError(
                int(failure.get("code", 0)), str(failure.get("message", "")), kind, data
            )
        if "result" not in response:
            raise OncallGymError(f"the answer to `{method}` has neither result nor error")
        return response["result"]

    def _server_gone(self, message: str) -> ServerExited:
        """Collects the dead server's exit code and describes its end."""
        try:
            returncode: Optional[int] = self._process.wait(timeout=DEFAULT_CLOSE_TIMEOUT)
        except subprocess.TimeoutExpired:
            returncode = None
        return ServerExited(message, returncode)

    # --------------------------------------------------------------- lifecycle

    @property
    def pid(self) -> int:
        """The server process's id."""
        return self._process.pid

    @property
    def returncode(self) -> Optional[int]:
        """The server's exit code once it has exited, else ``None``."""
        return self._process.poll()

    def close(self, timeout: float = DEFAULT_CLOSE_TIMEOUT) -> int:
        """Closes the server's input and waits for it to exit.

        At end of input the server closes every episode still open
        (completing their audit logs) and exits. If it has not exited within
        ``timeout`` seconds it is killed. Calling ``close`` again returns the
        same code.

        Returns:
            The server's exit code (negative: killed by that signal).
        """
        if self._returncode is not None:
            return self._returncode
        process = self._process
        if process.stdin is not None:
            try:
                process.stdin.close()
            except OSError:  # the server is gone: its pipe is broken
                pass
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
        self._returncode = process.returncode
        return process.returncode

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` has been called."""
        return self._returncode is not None

    def __enter__(self) -> "Client":
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        self.close()

    def __del__(self) -> None:
        # Best effort for a client nobody closed: end the server rather than
        # leave it waiting on a pipe. Never raise from a finaliser.
        try:
            if self._returncode is None and hasattr(self, "_process"):
                self.close(timeout=1.0)
        except Exception:
            pass

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"pid {self._process.pid}"
        return f"Client({self.binary!r}, {state})"
