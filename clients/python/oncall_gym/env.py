"""A Gymnasium environment over ``oncall-gym serve --stdio``.

Observations and actions are text, so a language-model agent can read and
write them directly:

- an **observation** is the server's observation object as compact JSON
  (``ensure_ascii=True``, so always printable ASCII): the alert, the step
  count, the last tool result or step failure, and the current hypothesis;
- an **action** is the JSON text (or, for convenience, a dict) of either a
  decision (``{"action": "call_tool", ...}``, ``{"action":
  "propose_mitigation", ...}``, ``{"action": "escalate", ...}``) or a wrapper
  ``{"action": <decision>, "analysis": <analysis>}`` that also analyses the
  previous step's tool result, so one message per step is enough.

``info`` (from :meth:`OncallGymEnv.reset` and :meth:`OncallGymEnv.step`)
carries the scenario id, the run id and, at the end, the evaluation. It is
for the harness only: **never show it to the agent**.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union

import gymnasium
from gymnasium import spaces

from .client import Client, OncallGymError, PathLike, ProtocolError
from .http import HttpClient

__all__ = ["MAX_ACTION_LENGTH", "MAX_TEXT_LENGTH", "PRINTABLE_ASCII", "OncallGymEnv"]

#: The longest observation, in characters (1 MiB).
MAX_TEXT_LENGTH = 1024 * 1024

#: The longest action, in characters (256 KiB). Escaped as JSON (at most
#: twice as long, printable ASCII) inside a request, it stays under the
#: server's 1 MiB line cap; the engine refuses far smaller decisions anyway.
MAX_ACTION_LENGTH = 256 * 1024

#: The characters of observations and actions: printable ASCII, space to ``~``.
PRINTABLE_ASCII = "".join(chr(code) for code in range(32, 127))

#: The keys an action wrapper may have.
_WRAPPER_KEYS = frozenset({"action", "analysis"})

Action = Union[str, Mapping[str, Any]]


class OncallGymEnv(gymnasium.Env[str, Action]):
    """One incident-response episode at a time, over one server process.

    Args:
        scenario: the scenario every :meth:`reset` opens, unless its
            ``options["scenario"]`` names another. ``None``: a scenario drawn
            at random (with ``self.np_random``) from the server's list.
        max_steps: the step limit (1 to 1000); ``None`` for the scenario's.
        binary: the ``oncall-gym`` binary (else ``$ONCALL_GYM_BIN``, else
            ``PATH``).
        fixtures: a directory of scenario directories (``--fixtures``).
        agent: the agent name recorded in audit logs.
        url: an ``oncall-gym serve --http`` server to use instead of a
            child process (``binary`` and ``fixtures`` are then not used).
        token: that server's bearer token, if it has one.
        render_mode: ``None`` or ``"ansi"``.

    Whatever the agent sends takes a step and is answered in the
    observation, so a confused agent still reaches the step limit: a string
    that is not a decision, or a malformed wrapper, fails its step
    (``step_failure``); an analysis that cannot be read fails the step it
    analyses, and one with nothing to analyse is ignored
    (``previous_step_failure`` says which). Only a request the server
    refuses outright (a line over its 1 MiB cap) changes nothing: then
    :meth:`step` returns the unchanged observation, reward 0.0, the
    unchanged ``terminated`` and ``truncated``, and ``info={"error": {"code",
    "message", "kind"}}``.
    """

    metadata = {"render_modes": ["ansi"], "render_fps": 4}

    def __init__(
        self,
        scenario: Optional[str] = None,
        max_steps: Optional[int] = None,
        binary: Optional[PathLike] = None,
        fixtures: Optional[PathLike] = None,
        agent: str = "gymnasium",
        render_mode: Optional[str] = None,
        url: Optional[str] = None,
        token: Optional[str] = None,
    ) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"render_mode {render_mode!r} is not one of {self.metadata['render_modes']}"
            )
        self.render_mode = render_mode
        self.scenario = scenario
        self.max_steps = max_steps
        self.agent = agent
        self.observation_space = spaces.Text(
            max_length=MAX_TEXT_LENGTH, min_length=1, charset=PRINTABLE_ASCII
        )
        self.action_space = spaces.Text(
            max_length=MAX_ACTION_LENGTH, min_length=1, charset=PRINTABLE_ASCII
        )
        self._client: Optional[Union[Client, HttpClient]] = (
            HttpClient(url, token=token)
            if url is not None
            else Client(binary=binary, fixtures=fixtures)
        )
        self._scenario_ids: Optional[List[str]] = None
        self._episode: Optional[str] = None
        self._observation: Optional[Dict[str, Any]] = None
        self._observation_text: str = ""
        self._terminated = False
        self._truncated = False

    # ----------------------------------------------------------------- the API

    @property
    def client(self) -> Union[Client, HttpClient]:
        """The client of this environment's server (raises once closed)."""
        if self._client is None:
            raise OncallGymError("the environment is closed")
        return self._client

    @property
    def episode(self) -> Optional[str]:
        """The server's id of the current episode (``"ep-N"``), if any."""
        return self._episode

    @property
    def observation(self) -> Optional[Dict[str, Any]]:
        """The last observation as a dict (a copy), if any."""
        if self._observation is None:
            return None
        copy: Dict[str, Any] = json.loads(json.dumps(self._observation))
        return copy

    def reset(
        self,
        *,
        seed: Optional[int] = None,
        options: Optional[Dict[str, Any]] = None,
    ) -> Tuple[str, Dict[str, Any]]:
        """Closes the current episode, if any, and opens a new one.

        Args:
            seed: seeds ``self.np_random`` and is the episode's server seed;
                without it the server seed is drawn from ``self.np_random``.
            options: ``{"scenario": name}`` to open that scenario instead of
                the constructor's (or a random one).

        Returns:
            ``(observation_text, info)``; ``info`` is for the harness only.
        """
        super().reset(seed=seed)
        options = dict(options or {})
        unknown = set(options) - {"scenario"}
        if unknown:
            raise ValueError(f"unknown reset options {sorted(unknown)}: the only one is `scenario`")
        client = self.client
        self._close_episode()
        scenario = options.get("scenario") or self.scenario or self._random_scenario()
        server_seed = seed if seed is not None else int(self.np_random.integers(0, 2**63))
        result = client.reset(
            scenario,
            seed=server_seed,
            max_steps=self.max_steps,
            agent=self.agent,
        )
        self._episode = result["episode"]
        self._terminated = False
        self._truncated = False
        self._set_observation(result["observation"])
        return self._observation_text, dict(result["info"])

    def step(self, action: Action) -> Tuple[str, float, bool, bool, Dict[str, Any]]:
        """Sends one action (and, in a wrapper, the previous result's analysis).

        Returns:
            ``(observation_text, reward, terminated, truncated, info)``.
            ``reward`` is 0.0 until the episode ends, then the score (0 to
            1); ``terminated``: the agent answered or escalated;
            ``truncated``: the step limit ended the episode. ``info`` is for
            the harness only.
        """
        if self._episode is None:
            raise gymnasium.error.ResetNeeded("call reset() before step()")
        try:
            decision, analysis = split_action(action)
            result = self.client.step(self._episode, decision, analysis)
        except ProtocolError as error:
            return (
                self._observation_text,
                0.0,
                self._terminated,
                self._truncated,
                {"error": error.to_dict()},
            )
        self._terminated = bool(result["terminated"])
        self._truncated = bool(result["truncated"])
        self._set_observation(result["observation"])
        return (
            self._observation_text,
            float(result["reward"]),
            self._terminated,
            self._truncated,
            dict(result["info"]),
        )

    def render(self) -> Optional[str]:
        """In ``"ansi"`` mode, a short text of the last observation."""
        if self.render_mode != "ansi":
            return None
        ended = "terminated" if self._terminated else "truncated" if self._truncated else None
        return describe_observation(self._observation, ended)

    def close(self) -> None:
        """Closes the episode and the server process. Safe to call twice."""
        if self._client is None:
            return
        try:
            self._close_episode()
        finally:
            self._client.close()
            self._client = None

    # ----------------------------------------------------------------- helpers

    def _random_scenario(self) -> str:
        if self._scenario_ids is None:
            self._scenario_ids = [entry["id"] for entry in self.client.scenarios()]
        if not self._scenario_ids:
            raise OncallGymError("the server offers no scenarios")
        return self._scenario_ids[int(self.np_random.integers(len(self._scenario_ids)))]

    def _close_episode(self) -> None:
        episode, self._episode = self._episode, None
        if episode is None or self._client is None or self._client.closed:
            return
        try:
            self._client.close_episode(episode)
        except ProtocolError as error:
            # The server drops an episode whose engine stopped: nothing to close.
            if error.kind != "unknown_episode":
                raise

    def _set_observation(self, observation: Dict[str, Any]) -> None:
        self._observation = observation
        self._observation_text = observation_text(observation)


def split_action(action: Action) -> Tuple[Union[str, Dict[str, Any]], Optional[Dict[str, Any]]]:
    """Splits an env action into the server's ``(action, analysis)``.

    - A dict, or a string holding a JSON object, whose ``"action"`` value is
      itself a dict is a wrapper ``{"action": decision, "analysis"?: ...}``.
    - Any other JSON object is a decision; a string is passed on as it is
      (the server reads it as a decision's JSON text, or fails the step).

    A wrapper with other keys, or whose ``analysis`` is not an object, is
    sent whole as the action: the server fails that step and says why in
    the observation's ``step_failure``.

    Raises:
        TypeError: the action is neither a string nor a mapping.
    """
    if isinstance(action, str):
        try:
            parsed = json.loads(action)
        except ValueError:
            return action, None
        if not isinstance(parsed, dict):
            return action, None
        value: Dict[str, Any] = parsed
    elif isinstance(action, Mapping):
        value = dict(action)
    else:
        raise TypeError(f"an action is JSON text or a dict, not {type(action).__name__}")
    if not isinstance(value.get("action"), dict):
        return (action if isinstance(action, str) else value), None
    analysis = value.get("analysis")
    if set(value) - _WRAPPER_KEYS or not isinstance(analysis, (dict, type(None))):
        # Not a wrapper the server can take apart: sent whole as the action,
        # it fails its step with the reason in the observation, and counts
        # against the step limit, so a confused agent still ends.
        return (action if isinstance(action, str) else value), None
    return value["action"], analysis


def observation_text(observation: Mapping[str, Any]) -> str:
    """The observation as compact, printable-ASCII JSON of at most 1 MiB.

    A tool result too large for that (possible only with custom fixtures:
    the bundled scenarios' largest is under 40 KB) has its ``data`` replaced
    by a note saying so, and the agent should narrow its query.
    """
    text = _compact(observation)
    if len(text) <= MAX_TEXT_LENGTH:
        return text
    trimmed = json.loads(text)
    tool_result = trimmed.get("tool_result")
    if isinstance(tool_result, dict) and "data" in tool_result:
        tool_result["data"] = (
            f"[dropped by the Python client: this result is {len(text)} characters "
            f"of JSON, over the {MAX_TEXT_LENGTH}-character observation limit; "
            "narrow the query]"
        )
        text = _compact(trimmed)
    if len(text) > MAX_TEXT_LENGTH:
        raise OncallGymError(f"the observation is {len(text)} characters, over the limit")
    return text


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=True, separators=(",", ":"))


def describe_observation(
    observation: Optional[Mapping[str, Any]], ended: Optional[str] = None
) -> str:
    """A few lines for a person: the alert, the progress, the last result.

    ``ended`` (``"terminated"`` or ``"truncated"``) says the episode is over.
    """
    if observation is None:
        return "(no episode: call reset())\n"
    incident = observation.get("incident") or {}
    step = observation.get("step", 0)
    remaining = observation.get("steps_remaining", 0)
    lines = [
        f"alert: {incident.get('service')} ({incident.get('severity')}): "
        f"{incident.get('description')}",
        f"step {step} of {step + remaining} ({remaining} left), "
        f"observations recorded: {observation.get('observation_count', 0)}",
    ]
    result = observation.get("tool_result")
    if isinstance(result, dict):
        status = "ok" if result.get("success") else "failed"
        data = result.get("data")
        detail = ""
        if isinstance(data, dict) and "matched" in data:
            detail = f": {data.get('matched')} matched, {data.get('returned')} returned"
        elif not result.get("success"):
            errors = result.get("errors") or []
            messages = [str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors]
            detail = f": {_shorten('; '.join(messages), 200)}"
        lines.append(f"last tool: {result.get('tool_name')} {status}{detail}")
    failure = observation.get("step_failure")
    if failure:
        lines.append(f"step failed: {_shorten(str(failure), 200)}")
    hypothesis = observation.get("hypothesis")
    if isinstance(hypothesis, dict):
        lines.append(
            f"hypothesis: {_shorten(str(hypothesis.get('statement')), 120)} "
            f"(confidence {hypothesis.get('confidence')}, {hypothesis.get('status')})"
        )
    if ended is not None:
        lines.append(f"episode over ({ended})")
    return "\n".join(lines) + "\n"


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
