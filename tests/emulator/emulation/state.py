# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The emulated account: every resource, the request log and the faults behind one lock, and dispatch()."""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from dataclasses import asdict
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from .catalogue import DEFAULT_MEMBERS, DEFAULT_MODELS, CatalogueMixin, member_record, model_record
from .common import (
    API_PREFIX,
    AUTH_INVALID,
    AUTH_KEY,
    AUTH_MANAGEMENT,
    AUTH_MISSING,
    CONTROL_PREFIX,
    DEFAULT_MANAGEMENT_KEY,
    DEFAULT_WORKSPACE_ID,
    ApiError,
    Call,
    Reply,
    Route,
    is_int,
    json_reply,
    newest_first,
    route,
)
from .faults import Chaos, Fault
from .guardrails import GuardrailsMixin
from .keys import SEED_FIELDS, KeysMixin, creation_fields, key_hash, new_record, validated
from .workspaces import WorkspacesMixin

# The saved state: each name is an attribute of Emulator (keys are saved as a list of records, the rest as they are).
STATE = (
    "keys",
    "external_api_keys",
    "members",
    "models",
    "workspaces",
    "workspace_members",
    "budgets",
    "guardrails",
    "key_assignments",
    "member_assignments",
)
DEFAULT_WORKSPACE = {"name": "Default Workspace", "slug": "default"}


class Emulator(KeysMixin, GuardrailsMixin, WorkspacesMixin, CatalogueMixin):
    """The emulated account. dispatch() is the whole behaviour; the HTTP handler only moves bytes."""

    def __init__(self, management_key: str = DEFAULT_MANAGEMENT_KEY, state_file: str | None = None):
        self.management_key = management_key
        self.state_file = state_file
        self._lock = threading.Lock()
        self._management_record = new_record(management_key, {"name": "management key"})
        self._log: list[dict[str, Any]] = []
        self._seq = 0
        # Every secret handed out, in order, so a test can scan logs for them (GET /_emulator/secrets).
        self._issued: list[str] = []
        self._faults: list[Fault] = []
        self._chaos: Chaos | None = None
        self._set_defaults()
        if state_file and os.path.exists(state_file):
            self._load(state_file)
        self._api_routes = (
            self._key_routes() + self._guardrail_routes() + self._workspace_routes() + self._catalogue_routes()
        )
        self._control_routes = (
            route(r"/requests", {"GET": self._read_log, "DELETE": self._clear_log}),
            route(r"/keys", {"GET": lambda call: (200, {"data": newest_first(self._keys)})}),
            route(r"/secrets", {"GET": lambda call: (200, {"secrets": self._issued})}),
            route(r"/reset", {"POST": self._reset}),
            route(r"/seed", {"POST": lambda call: self._seed(call.json_object())}),
            route(r"/state", {"GET": lambda call: (200, self._state())}),
            route(
                r"/members",
                {
                    "GET": lambda call: (200, {"data": list(self._members.values())}),
                    "POST": lambda call: self._seed_members(call.json_object()),
                },
            ),
            route(
                r"/models",
                {
                    "GET": lambda call: (200, {"data": self._models}),
                    "PUT": lambda call: self._set_models(call.json_object()),
                },
            ),
            route(r"/workspaces", {"POST": lambda call: self._seed_workspaces(call.json_object())}),
            route(
                r"/faults",
                {
                    "GET": lambda call: (200, {"faults": self._fault_list()}),
                    "POST": lambda call: self._add_faults(call.body),
                    "DELETE": self._clear_faults,
                },
            ),
            route(r"/chaos", {"POST": lambda call: self._set_chaos(call.json_object())}),
        )

    def _set_defaults(self) -> None:
        """An account with the default workspace, one admin member and the default models list, and nothing else."""
        self._keys: dict[str, dict[str, Any]] = {}
        self._external_api_keys: dict[str, str] = {}
        self._members = {record["id"]: record for record in map(member_record, DEFAULT_MEMBERS)}
        self._models = [model_record(spec) for spec in DEFAULT_MODELS]
        self._workspaces: dict[str, dict[str, Any]] = {}
        self._workspace_members: dict[str, dict[str, dict[str, Any]]] = {}
        self._budgets: dict[str, dict[str, dict[str, Any]]] = {}
        self._guardrails: dict[str, dict[str, Any]] = {}
        self._key_assignments: dict[str, dict[str, Any]] = {}
        self._member_assignments: dict[str, dict[str, Any]] = {}
        self._add_workspace(DEFAULT_WORKSPACE, DEFAULT_WORKSPACE_ID)

    # --- state file -------------------------------------------------------------------------------------------

    def _state(self) -> dict[str, Any]:
        state = {name: getattr(self, "_" + name) for name in STATE}
        state["keys"] = list(self._keys.values())
        return state

    def _load(self, path: str) -> None:
        with open(path, encoding="utf-8") as handle:
            try:
                data = json.load(handle)
            except ValueError:
                data = None
        if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
            raise ValueError(f'{path}: not an emulator state file (expected the JSON {{"keys": [...], ...}})')
        for name in STATE[1:]:  # an older file has keys only: the rest keeps its defaults
            if name in data:
                setattr(self, "_" + name, data[name])
        self._keys = {record["hash"]: record for record in data["keys"]}

    def save(self) -> None:
        """Write the state to the state file, if there is one, atomically (a crash never leaves half a file)."""
        with self._lock:
            self._save_locked()

    def _save_locked(self) -> None:
        if not self.state_file:
            return
        directory = os.path.dirname(os.path.abspath(self.state_file))
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=os.path.basename(self.state_file) + ".", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(self._state(), handle)
            os.replace(tmp, self.state_file)
        except BaseException:
            os.unlink(tmp)
            raise

    # --- dispatch ---------------------------------------------------------------------------------------------

    def dispatch(self, method: str, target: str, authorization: str | None, raw_body: bytes) -> Reply:
        """Handle one HTTP request: target is the request target (path and query), raw_body the bytes sent."""
        url = urlsplit(target)
        path = unquote(url.path)
        call = Call(method, path, dict(parse_qsl(url.query, keep_blank_values=True)), raw_body)
        if path.startswith(API_PREFIX + "/"):
            call.path = path[len(API_PREFIX) :]
            return self._api(call, authorization)
        if path.startswith(CONTROL_PREFIX + "/"):
            call.path = path[len(CONTROL_PREFIX) :]
            with self._lock:
                reply = self._route(self._control_routes, call)
                if method != "GET" and reply.status < 400:
                    self._save_locked()
                return reply
        return ApiError(
            404, f"Not found: {path} (the API is under {API_PREFIX}, the control interface under {CONTROL_PREFIX})"
        ).reply()

    def _api(self, call: Call, authorization: str | None) -> Reply:
        with self._lock:
            fault = self._take_fault(call.method, call.path)
        if fault is not None and fault.seconds:
            time.sleep(fault.seconds)  # outside the lock: a delayed request must not stall the others
        with self._lock:
            call.auth, call.record = self._authenticate(authorization)
            reply = self._route(self._api_routes, call) if fault is None or fault.applies else fault.reply()
            if call.method != "GET" and reply.status < 400 and (fault is None or fault.applies):
                self._save_locked()
            reply.drop = fault is not None and fault.drops
            self._seq += 1
            self._log.append(
                {
                    "seq": self._seq,
                    "method": call.method,
                    "path": call.path,
                    "query": call.query,
                    "status": None if reply.drop else reply.status,
                    "auth": call.auth,
                    "body": call.body,
                    "fault": None if fault is None else fault.action,
                }
            )
        return reply

    def _route(self, routes: tuple[Route, ...], call: Call) -> Reply:
        """Find the handler and run it (the caller holds the lock); every ApiError becomes its error response.

        Handlers check everything before they change anything, so a failed request leaves the state as it was.
        """
        try:
            for candidate in routes:
                match = candidate.pattern.fullmatch(call.path)
                if match is None:
                    continue
                handler = candidate.handlers.get(call.method)
                if handler is None:
                    raise ApiError(405, f"Method {call.method} not allowed", {"Allow": ", ".join(candidate.handlers)})
                call.params = match.groupdict()
                if candidate.access:
                    self._authorize(call, candidate.access)
                status, payload = handler(call)
                return json_reply(status, payload)
            raise ApiError(404, "Not found")
        except ApiError as error:
            return error.reply()

    def _authenticate(self, authorization: str | None) -> tuple[str, dict[str, Any] | None]:
        if not authorization:
            return AUTH_MISSING, None
        scheme, token = authorization.partition(" ")[::2]
        token = token.strip() if scheme.lower() == "bearer" else ""
        if token and token == self.management_key:
            return AUTH_MANAGEMENT, self._management_record
        record = self._keys.get(key_hash(token)) if token else None
        return (AUTH_INVALID, None) if record is None else (AUTH_KEY, record)

    @staticmethod
    def _authorize(call: Call, access: str) -> None:
        if call.auth == AUTH_MISSING:
            raise ApiError(401, "Missing Authentication header")
        if call.auth == AUTH_INVALID:
            raise ApiError(401, "User not found.")
        if access == AUTH_MANAGEMENT and call.auth != AUTH_MANAGEMENT:
            raise ApiError(403, "Only management keys can perform this operation")

    # --- faults -----------------------------------------------------------------------------------------------

    def _take_fault(self, method: str, path: str) -> Fault | None:
        """The first queued fault that matches (consuming one of its times), else maybe a chaos fault."""
        for fault in self._faults:
            if fault.matches(method, path):
                fault.times -= 1
                if not fault.times:
                    self._faults.remove(fault)
                return fault
        return self._chaos.draw() if self._chaos else None

    def _fault_list(self) -> list[dict[str, Any]]:
        return [asdict(fault) for fault in self._faults]

    def _add_faults(self, body: Any) -> tuple[int, Any]:
        faults = [Fault.from_json(obj) for obj in (body if isinstance(body, list) else [body])]
        self._faults.extend(faults)
        return 200, {"faults": self._fault_list()}

    def _clear_faults(self, _call: Call) -> tuple[int, Any]:
        self._faults.clear()
        return 200, {"faults": []}

    def _set_chaos(self, body: dict[str, Any]) -> tuple[int, Any]:
        self._chaos, described = Chaos.from_json(body)
        return 200, {"chaos": described}

    # --- the rest of the control interface --------------------------------------------------------------------

    def _read_log(self, call: Call) -> tuple[int, Any]:
        # ?clear=true reads and clears at once: one GET, so a playbook can take the log with the url lookup, in
        # Ansible's own process, instead of two uri tasks that each start a module.
        answer = {"requests": list(self._log)}
        if call.query.get("clear") == "true":
            self._log.clear()
        return 200, answer

    def _clear_log(self, _call: Call) -> tuple[int, Any]:
        self._log.clear()
        return 200, {"requests": []}

    def _reset(self, _call: Call) -> tuple[int, Any]:
        self._set_defaults()
        self._log.clear()
        self._faults.clear()
        self._chaos = None
        self._issued.clear()
        self._seq = 0
        return 200, {"reset": True}

    def _seed(self, body: dict[str, Any]) -> tuple[int, Any]:
        if ("count" in body) == ("keys" in body):
            raise ApiError(400, "give either count or keys")
        if "count" in body:
            count, prefix = body["count"], body.get("name_prefix", "seed-")
            if not is_int(count) or count < 0:
                raise ApiError(400, "count must be an integer >= 0")
            common = validated(
                {"workspace_id": body["workspace_id"]} if "workspace_id" in body else {}, ("workspace_id",)
            )
            specs = [dict(common, name=f"{prefix}{index}") for index in range(count)]
        else:
            if not isinstance(body["keys"], list) or not all(isinstance(spec, dict) for spec in body["keys"]):
                raise ApiError(400, "keys must be a list of objects")
            specs = [creation_fields(spec, SEED_FIELDS) for spec in body["keys"]]
        created = [self._add_key(fields) for fields in specs]  # all validated first, so a bad entry creates nothing
        return 200, {
            "data": [{"hash": record["hash"], "name": record["name"], "key": secret} for record, secret in created]
        }

    def _seed_members(self, body: dict[str, Any]) -> tuple[int, Any]:
        """Add organization members, or replace those with the same id."""
        if not isinstance(body.get("members"), list):
            raise ApiError(400, "members must be a list of objects")
        self._members.update((record["id"], record) for record in map(member_record, body["members"]))
        return 200, {"data": list(self._members.values())}

    def _set_models(self, body: dict[str, Any]) -> tuple[int, Any]:
        """Replace the models list."""
        if not isinstance(body.get("models"), list):
            raise ApiError(400, "models must be a list of objects")
        self._models = [model_record(spec) for spec in body["models"]]
        return 200, {"data": self._models}

    def _seed_workspaces(self, body: dict[str, Any]) -> tuple[int, Any]:
        """Create workspaces as POST /workspaces does; each may also name `members` (organization user ids)."""
        if not isinstance(body.get("workspaces"), list) or not all(
            isinstance(spec, dict) for spec in body["workspaces"]
        ):
            raise ApiError(400, "workspaces must be a list of objects")
        created: list[dict[str, Any]] = []
        try:
            for spec in body["workspaces"]:
                created.append(self._add_workspace(spec))
                if spec.get("members"):
                    self._add_members(created[-1]["id"], {"user_ids": spec["members"]})
        except ApiError:
            for record in created:  # a bad entry creates nothing
                del self._workspaces[record["id"]]
                self._workspace_members.pop(record["id"], None)
            raise
        return 200, {"data": created}
