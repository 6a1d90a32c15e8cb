"""A client for ``oncall-gym serve --http``: episodes, and evals queued for
the server's workers.

:class:`HttpClient` has the methods of :class:`~oncall_gym.Client` (``reset``,
``step``, ``close_episode``, ``scenarios``, ``tools``), so
:class:`~oncall_gym.OncallGymEnv` runs over either (``OncallGymEnv(url=...)``),
plus ``describe_episode`` and the evals: ``queue_eval``, ``eval``, ``evals``,
``wait_for_eval``, ``cancel_eval`` and ``runs``. It keeps one HTTP/1.1
connection open, and opens another when the server closed it. It needs
nothing beyond the standard library.

As with stdio, ``info`` is for the harness only, and so is the token: whoever
holds it can read stored runs, answers included. Relay observations to the
agent under test; never hand it the token or ``info``.
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.parse
from types import TracebackType
from typing import Any, Dict, List, Mapping, Optional, Sequence, Type, Union, cast

from .client import JsonObject, OncallGymError, ProtocolError

__all__ = ["DEFAULT_TIMEOUT", "HttpClient", "HttpError"]

#: Seconds a request may take before :class:`HttpClient` gives up on it (the
#: server's own cap on a request is 30 s).
DEFAULT_TIMEOUT = 60.0


class HttpError(ProtocolError):
    """The server refused a request: ``{"error": {"code", "message"}}``.

    A :class:`~oncall_gym.ProtocolError` whose ``code`` is the HTTP status
    and whose ``kind`` is the error's ``code`` (``"unknown_episode"``,
    ``"invalid_params"``, ``"too_many_episodes"``, ...), so code written for
    the stdio client reads it the same way.
    """

    def __init__(self, status: int, kind: Optional[str], message: str) -> None:
        super().__init__(status, message, kind)
        self.status = status


class HttpClient:
    """A client of one ``oncall-gym serve --http`` server.

    Args:
        url: the server's base URL, e.g. ``"http://127.0.0.1:8080"``.
        token: the bearer token, when the server was started with one.
        timeout: seconds one request may take.
    """

    def __init__(
        self, url: str, token: Optional[str] = None, timeout: float = DEFAULT_TIMEOUT
    ) -> None:
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError(f"{url!r} is not an http:// or https:// URL")
        self.url = url.rstrip("/")
        self._scheme = parsed.scheme
        self._host = parsed.hostname
        self._port = parsed.port
        self._prefix = parsed.path.rstrip("/")
        self._token = token
        self._timeout = timeout
        self._connection: Optional[http.client.HTTPConnection] = None
        self._closed = False

    # ---------------------------------------------------------------- episodes

    def reset(
        self,
        scenario: str,
        seed: Optional[int] = None,
        max_steps: Optional[int] = None,
        agent: Optional[str] = None,
    ) -> JsonObject:
        """Opens an episode: ``{"episode", "observation", "info"}``."""
        body: JsonObject = {"scenario": scenario}
        if seed is not None:
            body["seed"] = seed
        if max_steps is not None:
            body["max_steps"] = max_steps
        if agent is not None:
            body["agent"] = agent
        return cast(JsonObject, self.request("POST", "/v1/episodes", body))

    def step(
        self,
        episode: str,
        action: Union[Mapping[str, Any], str],
        analysis: Optional[Mapping[str, Any]] = None,
    ) -> JsonObject:
        """Takes one step: ``{"observation", "reward", "terminated",
        "truncated", "info"}``. An action that is not a decision fails its
        step (``observation.step_failure``) rather than raising."""
        body: JsonObject = {"action": action}
        if analysis is not None:
            body["analysis"] = analysis
        return cast(JsonObject, self.request("POST", f"/v1/episodes/{_quote(episode)}/step", body))

    def describe_episode(self, episode: str) -> JsonObject:
        """How an episode stands, changing nothing."""
        return cast(JsonObject, self.request("GET", f"/v1/episodes/{_quote(episode)}"))

    def close_episode(self, episode: str) -> JsonObject:
        """Closes an episode: ``{"info"}`` with how it ended."""
        return cast(JsonObject, self.request("DELETE", f"/v1/episodes/{_quote(episode)}"))

    def scenarios(self) -> List[JsonObject]:
        """Every scenario the server offers: ``[{"id", "difficulty"}]``."""
        return cast(List[JsonObject], self.request("GET", "/v1/scenarios"))

    def tools(self) -> List[JsonObject]:
        """Every tool definition: ``[{"name", "description", "parameters"}]``."""
        return cast(List[JsonObject], self.request("GET", "/v1/tools"))

    # ------------------------------------------------------------------- evals

    def queue_eval(
        self,
        agent: str,
        trials: int,
        scenarios: Optional[Sequence[str]] = None,
        seed: Optional[int] = None,
        max_steps: Optional[int] = None,
        variants: Optional[int] = None,
    ) -> JsonObject:
        """Queues an eval for the server's workers: ``{"id", "status",
        "runs", "links"}``. With ``variants``, each scenario runs as that
        many seeded variants rendered from its spec, ``trials`` times each
        (as ``oncall-gym eval --variants``)."""
        body: JsonObject = {"agent": agent, "trials": trials}
        if variants is not None:
            body["variants"] = variants
        if scenarios is not None:
            body["scenarios"] = list(scenarios)
        if seed is not None:
            body["seed"] = seed
        if max_steps is not None:
            body["max_steps"] = max_steps
        return cast(JsonObject, self.request("POST", "/v1/evals", body))

    def eval(self, eval_id: str) -> JsonObject:
        """An eval: ``{"eval", "progress", "scorecard"}``."""
        return cast(JsonObject, self.request("GET", f"/v1/evals/{_quote(eval_id)}"))

    def evals(self, limit: Optional[int] = None) -> List[JsonObject]:
        """The evals, newest first."""
        path = "/v1/evals" + (f"?limit={int(limit)}" if limit is not None else "")
        return cast(List[JsonObject], self.request("GET", path)["evals"])

    def cancel_eval(self, eval_id: str) -> JsonObject:
        """Cancels an eval: ``{"id", "status", "dropped"}``."""
        return cast(JsonObject, self.request("POST", f"/v1/evals/{_quote(eval_id)}/cancel"))

    def wait_for_eval(self, eval_id: str, timeout: float = 3600.0, poll: float = 0.5) -> JsonObject:
        """Polls an eval until it is neither queued nor running, and returns
        it; raises :class:`~oncall_gym.OncallGymError` after ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.eval(eval_id)
            if found["eval"]["status"] not in ("queued", "running"):
                return found
            if time.monotonic() >= deadline:
                raise OncallGymError(f"eval {eval_id} is still {found['eval']['status']} after {timeout} s")
            time.sleep(poll)

    def runs(
        self,
        eval_id: Optional[str] = None,
        scenario: Optional[str] = None,
        agent: Optional[str] = None,
        limit: Optional[int] = None,
    ) -> List[JsonObject]:
        """Stored runs, newest first."""
        query = {
            key: value
            for key, value in (("eval", eval_id), ("scenario", scenario), ("agent", agent), ("limit", limit))
            if value is not None
        }
        path = "/v1/runs" + ("?" + urllib.parse.urlencode(query) if query else "")
        return cast(List[JsonObject], self.request("GET", path)["runs"])

    # ------------------------------------------------------------------- plumbing

    def request(self, method: str, path: str, body: Optional[Mapping[str, Any]] = None) -> Any:
        """Sends one request and returns its JSON answer; raises
        :class:`HttpError` for an error answer."""
        if self._closed:
            raise OncallGymError("the client is closed")
        payload = None if body is None else json.dumps(body).encode("utf-8")
        headers = {"Accept": "application/json"}
        if payload is not None:
            headers["Content-Type"] = "application/json"
        if self._token is not None:
            headers["Authorization"] = f"Bearer {self._token}"
        status, text = self._send(method, self._prefix + path, payload, headers)
        try:
            answer = json.loads(text) if text else None
        except ValueError as error:
            raise OncallGymError(f"{method} {path}: the server answered {status} with no JSON: {text[:200]!r}") from error
        if status >= 400:
            detail = answer.get("error", {}) if isinstance(answer, dict) else {}
            raise HttpError(status, detail.get("code"), detail.get("message", text[:200]))
        return answer

    def _send(
        self, method: str, path: str, payload: Optional[bytes], headers: Dict[str, str]
    ) -> "tuple[int, str]":
        # A kept-alive connection the server closed fails on first use: one
        # retry on a fresh connection, for requests that cannot have been
        # carried out (the send itself failed).
        for attempt in (1, 2):
            connection = self._connect()
            try:
                connection.request(method, path, body=payload, headers=headers)
            except (ConnectionError, http.client.HTTPException, OSError):
                self._drop()
                if attempt == 2:
                    raise
                continue
            try:
                response = connection.getresponse()
                text = response.read().decode("utf-8")
            except (ConnectionError, http.client.HTTPException, OSError):
                self._drop()
                raise
            if response.getheader("Connection", "").lower() == "close":
                self._drop()
            return response.status, text
        raise OncallGymError("unreachable")

    def _connect(self) -> http.client.HTTPConnection:
        if self._connection is None:
            if self._scheme == "https":
                self._connection = http.client.HTTPSConnection(self._host, self._port, timeout=self._timeout)
            else:
                self._connection = http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)
        return self._connection

    def _drop(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    def close(self) -> int:
        """Closes the connection (the server and its episodes live on).
        Returns 0, as :meth:`Client.close` returns the server's exit code."""
        self._drop()
        self._closed = True
        return 0

    def __enter__(self) -> "HttpClient":
        return self

    def __exit__(
        self,
        kind: Optional[Type[BaseException]],
        value: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"HttpClient({self.url!r})"


def _quote(part: str) -> str:
    return urllib.parse.quote(part, safe="")
