"""Python client and Gymnasium environment for oncall-gym.

- :class:`Client` drives ``oncall-gym serve --stdio`` (JSON-RPC 2.0 over
  lines) directly: ``reset``, ``step``, ``close_episode``, ``scenarios``,
  ``tools``.
- :class:`HttpClient` drives ``oncall-gym serve --http``: the same episode
  methods, and evals queued for the server's workers.
- :class:`OncallGymEnv` wraps one server (a child process, or an HTTP
  server with ``url=``) as a ``gymnasium.Env`` with text observations and
  actions, registered as ``oncall_gym/Incident-v0``.

``info`` (from the server and from the environment) names the scenario and,
at the end, holds the evaluation: it is for the harness, never for the
agent.
"""

import gymnasium

from .client import BINARY_ENV_VAR, Client, OncallGymError, ProtocolError, ServerExited, find_binary
from .env import OncallGymEnv
from .http import HttpClient, HttpError

__all__ = [
    "BINARY_ENV_VAR",
    "ENV_ID",
    "Client",
    "HttpClient",
    "HttpError",
    "OncallGymEnv",
    "OncallGymError",
    "ProtocolError",
    "ServerExited",
    "find_binary",
]

__version__ = "0.1.0"

#: The Gymnasium id of :class:`OncallGymEnv`.
ENV_ID = "oncall_gym/Incident-v0"

if ENV_ID not in gymnasium.registry:
    gymnasium.register(id=ENV_ID, entry_point="oncall_gym.env:OncallGymEnv")
