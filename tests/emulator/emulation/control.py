# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The control interface (/_emulator/...) from Python, with urllib only, so no test repeats the HTTP plumbing."""

from __future__ import annotations

import json
from typing import Any
from urllib.request import ProxyHandler, Request, build_opener

from .common import API_PREFIX, CONTROL_PREFIX


class Control:
    """A client of one emulator's control interface; base_url is the API base URL or the server root."""

    def __init__(self, base_url: str, timeout: float = 10.0):
        root = base_url.rstrip("/")
        if root.endswith(API_PREFIX):
            root = root[: -len(API_PREFIX)]
        self.url = root + CONTROL_PREFIX
        self.timeout = timeout
        self._opener = build_opener(ProxyHandler({}))  # never route loopback through an environment proxy

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = Request(self.url + path, data=data, method=method, headers={"Content-Type": "application/json"})
        with self._opener.open(request, timeout=self.timeout) as response:
            return json.load(response)

    def requests(self) -> list[dict[str, Any]]:
        return self._call("GET", "/requests")["requests"]

    def take_requests(self) -> list[dict[str, Any]]:
        """The request log, cleared in the same call (no request slips in between the read and the clear)."""
        return self._call("GET", "/requests?clear=true")["requests"]

    def clear_requests(self) -> None:
        self._call("DELETE", "/requests")

    def keys(self) -> list[dict[str, Any]]:
        return self._call("GET", "/keys")["data"]

    def secrets(self) -> list[str]:
        """Every secret issued since the start or the last reset, deleted keys' included, oldest first."""
        return self._call("GET", "/secrets")["secrets"]

    def reset(self) -> None:
        """Back to an account with only the default workspace, one admin member and the default models list."""
        self._call("POST", "/reset")

    def state(self) -> dict[str, Any]:
        """Everything the emulator holds: keys, workspaces, members, budgets, guardrails, assignments, models."""
        return self._call("GET", "/state")

    def seed(
        self,
        count: int | None = None,
        keys: list[dict[str, Any]] | None = None,
        name_prefix: str = "seed-",
        workspace_id: str | None = None,
    ) -> list[dict[str, Any]]:
        """Bulk-create keys: count of them named name_prefix + index, or one per spec in keys.

        Returns hash, name and key (the secret) of each.
        """
        if keys is not None:
            body: dict[str, Any] = {"keys": keys}
        else:
            body = {"count": count, "name_prefix": name_prefix}
            if workspace_id is not None:
                body["workspace_id"] = workspace_id
        return self._call("POST", "/seed", body)["data"]

    def members(self) -> list[dict[str, Any]]:
        return self._call("GET", "/members")["data"]

    def seed_members(self, members: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Add organization members ({id, email?, first_name?, last_name?, role?: org:admin|org:member})."""
        return self._call("POST", "/members", {"members": members})["data"]

    def models(self) -> list[dict[str, Any]]:
        return self._call("GET", "/models")["data"]

    def set_models(self, models: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Replace the models list ({id, canonical_slug?, name?, created?}); returns the full records."""
        return self._call("PUT", "/models", {"models": models})["data"]

    def seed_workspaces(self, workspaces: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Create workspaces (POST /workspaces fields, plus `members`: organization user ids); returns the records."""
        return self._call("POST", "/workspaces", {"workspaces": workspaces})["data"]

    def add_fault(self, **fault: Any) -> list[dict[str, Any]]:
        """Queue one fault, e.g. add_fault(method='GET', path='^/keys$', action='status', status=429, retry_after=2)."""
        return self._call("POST", "/faults", fault)["faults"]

    def faults(self) -> list[dict[str, Any]]:
        return self._call("GET", "/faults")["faults"]

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def chaos(
        self, rate: float, seed: int = 0, actions: list[str] | None = None, retry_after: int | None = None
    ) -> dict[str, Any] | None:
        body: dict[str, Any] = {"rate": rate, "seed": seed}
        if actions is not None:
            body["actions"] = actions
        if retry_after is not None:
            body["retry_after"] = retry_after
        return self._call("POST", "/chaos", body)["chaos"]
