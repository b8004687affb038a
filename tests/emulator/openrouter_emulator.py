#!/usr/bin/env python
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An emulator of OpenRouter's key-management API (/key, /keys, /keys/{hash}) with fault injection.

Standard library only, so it starts in any virtualenv with nothing installed. See docs/emulator.md.

    python3 tests/emulator/openrouter_emulator.py --port 0 [--host 127.0.0.1] [--management-key KEY] [--state FILE] [--verbose]
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import math
import os
import random
import re
import secrets
import signal
import socket
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import asdict, dataclass, field, fields as dataclass_fields
from datetime import datetime, timezone
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import islice
from typing import Any, Callable
from urllib.parse import parse_qsl, unquote, urlsplit
from urllib.request import ProxyHandler, Request, build_opener

DEFAULT_MANAGEMENT_KEY = "sk-or-v1-emulator-management-key"
DEFAULT_WORKSPACE_ID = "00000000-0000-4000-8000-000000000000"
API_PREFIX = "/api/v1"
CONTROL_PREFIX = "/_emulator"
PAGE_SIZE = 100
SECRET_PREFIX = "sk-or-v1-"
LIMIT_RESETS = ("daily", "weekly", "monthly")
USAGE_FIELDS = (
    "usage",
    "usage_daily",
    "usage_weekly",
    "usage_monthly",
    "byok_usage",
    "byok_usage_daily",
    "byok_usage_weekly",
    "byok_usage_monthly",
)
CREATE_FIELDS = (
    "name",
    "limit",
    "limit_reset",
    "include_byok_in_limit",
    "expires_at",
    "creator_user_id",
    "workspace_id",
)
UPDATE_FIELDS = ("name", "disabled", "limit", "limit_reset", "include_byok_in_limit")
# Seeding may also create disabled keys, which the API can only do with a POST and then a PATCH.
SEED_FIELDS = CREATE_FIELDS + ("disabled",)
# GET /key repeats these fields of the key record; the rest of its data is fixed (see _current_key).
CURRENT_KEY_FIELDS = (
    "label",
    "limit",
    "limit_remaining",
    "limit_reset",
    "include_byok_in_limit",
    "creator_user_id",
    "workspace_id",
    "expires_at",
) + USAGE_FIELDS

AUTH_MANAGEMENT, AUTH_KEY, AUTH_MISSING, AUTH_INVALID = "management", "key", "missing", "invalid"

FAULT_ACTIONS = ("status", "delay", "drop", "apply_then_drop", "malformed", "html")
FAULT_METHODS = ("GET", "POST", "PATCH", "DELETE", "*")
DEFAULT_CHAOS_ACTIONS = ("status:503", "status:429", "drop", "apply_then_drop")
MALFORMED_BODY = b'{"data": ['
HTML_BODY = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n"
    b"<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
# The contract quotes this message for 429; every other injected status gets its standard reason phrase.
STATUS_MESSAGES = {429: "Rate limit exceeded"}

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
TIMESTAMP_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})?")


class ApiError(Exception):
    """An error that becomes an OpenRouter error response: status == error.code."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}

    def reply(self) -> Reply:
        return _json_reply(self.status, {"error": {"code": self.status, "message": self.message}}, self.headers)


@dataclass
class Reply:
    """What the HTTP handler sends, or, with drop, the signal to close the connection without a byte."""

    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False


def _json_reply(status: int, payload: Any, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, json.dumps(payload).encode(), headers=headers or {})


@dataclass
class Fault:
    """One injected fault; see docs/emulator.md for the actions and their fields."""

    action: str
    method: str = "*"
    path: str = ".*"
    times: int = 1
    status: int = 500
    message: str | None = None
    retry_after: int | None = None
    seconds: float = 0.0

    @classmethod
    def from_json(cls, obj: Any) -> Fault:
        if not isinstance(obj, dict):
            raise ApiError(400, "a fault must be a JSON object")
        unknown = sorted(set(obj) - {known.name for known in dataclass_fields(cls)})
        if unknown:
            raise ApiError(400, f"unknown fault fields: {', '.join(unknown)}")
        if obj.get("action") not in FAULT_ACTIONS:
            raise ApiError(400, f"fault action must be one of {', '.join(FAULT_ACTIONS)}")
        fault = cls(**obj)
        fault.validate()
        return fault

    @classmethod
    def from_spec(cls, spec: Any, retry_after: Any = None) -> Fault:
        """Parse a chaos action: 'status:503', 'delay:0.2', or a bare action name."""
        if not isinstance(spec, str):
            raise ApiError(400, "chaos actions must be strings")
        action, arg = spec.partition(":")[::2]
        obj: dict[str, Any] = {"action": action, "retry_after": retry_after}
        try:
            if arg and action == "status":
                obj["status"] = int(arg)
            elif arg and action == "delay":
                obj["seconds"] = float(arg)
            elif arg:
                raise ValueError(arg)
        except ValueError:
            raise ApiError(400, f"invalid chaos action {spec!r}") from None
        return cls.from_json(obj)

    def validate(self) -> None:
        if self.method not in FAULT_METHODS:
            raise ApiError(400, f"fault method must be one of {', '.join(FAULT_METHODS)}")
        try:
            re.compile(self.path)
        except (re.error, TypeError):
            raise ApiError(400, f"fault path is not a valid regular expression: {self.path!r}") from None
        if not _is_int(self.times) or self.times < 1:
            raise ApiError(400, "fault times must be an integer >= 1")
        if not _is_int(self.status) or not 400 <= self.status <= 599:
            raise ApiError(400, "fault status must be an integer from 400 to 599")
        if self.message is not None and not isinstance(self.message, str):
            raise ApiError(400, "fault message must be a string")
        if self.retry_after is not None and (not _is_int(self.retry_after) or self.retry_after < 0):
            raise ApiError(400, "fault retry_after must be an integer >= 0")
        if not _is_number(self.seconds) or self.seconds < 0:
            raise ApiError(400, "fault seconds must be a number >= 0")

    def matches(self, method: str, path: str) -> bool:
        return self.method in ("*", method) and re.fullmatch(self.path, path) is not None

    @property
    def applies(self) -> bool:
        """Whether the request still reaches the state."""
        return self.action in ("delay", "apply_then_drop")

    @property
    def drops(self) -> bool:
        return self.action in ("drop", "apply_then_drop")

    def reply(self) -> Reply:
        """The response of a fault that replaces the real one."""
        if self.action == "malformed":
            return Reply(200, MALFORMED_BODY)
        if self.action == "html":
            return Reply(502, HTML_BODY, "text/html; charset=utf-8")
        headers = {} if self.retry_after is None else {"Retry-After": str(self.retry_after)}
        return ApiError(self.status, self.message or _reason(self.status), headers).reply()


@dataclass
class Chaos:
    """Random faults on a share of the API requests, from a seeded generator so a run can be repeated."""

    rate: float
    faults: list[Fault]
    rng: random.Random

    def draw(self) -> Fault | None:
        return self.rng.choice(self.faults) if self.rng.random() < self.rate else None


@dataclass
class _Call:
    """One request as the route handlers see it."""

    method: str
    path: str
    query: dict[str, str]
    raw_body: bytes
    auth: str = AUTH_MISSING
    record: dict[str, Any] | None = None
    params: dict[str, str] = field(default_factory=dict)

    @property
    def body(self) -> Any:
        """The parsed JSON body, or None when there is none or it isn't JSON."""
        try:
            return json.loads(self.raw_body) if self.raw_body else None
        except ValueError:
            return None

    def json_object(self) -> dict[str, Any]:
        body = self.body
        if not isinstance(body, dict):
            raise ApiError(400, "Request body must be a JSON object")
        return body


@dataclass
class _Route:
    """A path pattern and its handler per method; access is None (no auth), AUTH_KEY (any valid key) or AUTH_MANAGEMENT."""

    pattern: re.Pattern
    handlers: dict[str, Callable[[_Call], tuple[int, Any]]]
    access: str | None = None


def _is_int(value: Any) -> bool:
    # bool is a subclass of int, but JSON true is not a number.
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    # json.loads accepts NaN and Infinity, which no JSON encoder may send back.
    return (_is_int(value) or isinstance(value, float)) and math.isfinite(value)


def _reason(status: int) -> str:
    if status in STATUS_MESSAGES:
        return STATUS_MESSAGES[status]
    try:
        return HTTPStatus(status).phrase
    except ValueError:  # a status without a standard phrase, such as Cloudflare's 520
        return "Error"


def _timestamp(moment: datetime | None = None) -> str:
    return (moment or datetime.now(timezone.utc)).strftime(TIMESTAMP_FORMAT)


def _is_expired(record: dict[str, Any], now: str) -> bool:
    # Timestamps are stored in one fixed-width UTC format, so comparing the strings compares the times.
    return record["expires_at"] is not None and record["expires_at"] <= now


def _key_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _label(secret: str) -> str:
    body = secret[len(SECRET_PREFIX) :] if secret.startswith(SECRET_PREFIX) else secret
    return f"{SECRET_PREFIX}{body[:3]}...{body[-4:]}"


def _check_str(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ApiError(400, f"{name} must be a non-empty string")
    return value


def _check_optional_str(name: str, value: Any) -> str | None:
    return None if value is None else _check_str(name, value)


def _check_bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ApiError(400, f"{name} must be a boolean")
    return value


def _check_limit(name: str, value: Any) -> float | None:
    if value is None:
        return None
    if not _is_number(value) or value < 0:
        raise ApiError(400, f"{name} must be a number >= 0 or null")
    return float(value)


def _check_limit_reset(name: str, value: Any) -> str | None:
    if value is not None and value not in LIMIT_RESETS:
        raise ApiError(400, f"{name} must be one of {', '.join(LIMIT_RESETS)} or null")
    return value


def _check_expires_at(name: str, value: Any) -> str | None:
    """Accept an ISO 8601 UTC timestamp with seconds and store it as YYYY-MM-DDTHH:MM:SSZ (fractions are dropped)."""
    if value is None:
        return None
    if not isinstance(value, str) or not TIMESTAMP_RE.fullmatch(value):
        raise ApiError(400, f"{name} must be an ISO 8601 timestamp such as 2027-12-31T23:59:59Z")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ApiError(400, f"{name} is not a valid timestamp: {value}") from None
    if moment.utcoffset() is None or moment.utcoffset().total_seconds() != 0:
        raise ApiError(400, f"{name} must be UTC (end it with Z), other timezones are rejected: {value}")
    return _timestamp(moment)


VALIDATORS: dict[str, Callable[[str, Any], Any]] = {
    "name": _check_str,
    "disabled": _check_bool,
    "limit": _check_limit,
    "limit_reset": _check_limit_reset,
    "include_byok_in_limit": _check_bool,
    "expires_at": _check_expires_at,
    "creator_user_id": _check_optional_str,
    "workspace_id": _check_str,
}


def _validated(body: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """The known fields present in body, checked and normalised; unknown fields are ignored like the real API does."""
    return {name: VALIDATORS[name](name, body[name]) for name in names if name in body}


def _creation_fields(body: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    if "name" not in body:
        raise ApiError(400, "name is required")
    return _validated(body, names)


def _query_bool(query: dict[str, str], name: str) -> bool:
    value = query.get(name, "false")
    if value not in ("true", "false"):
        raise ApiError(400, f"{name} must be true or false")
    return value == "true"


def _query_offset(query: dict[str, str]) -> int:
    value = query.get("offset", "0")
    if not value.isdigit() or not value.isascii():
        raise ApiError(400, "offset must be an integer >= 0")
    return int(value)


def _new_record(secret: str, fields: dict[str, Any]) -> dict[str, Any]:
    """A key record: exactly the SDK's Key fields, which is also what the API returns for it."""
    record = {
        "hash": _key_hash(secret),
        "name": fields["name"],
        "label": _label(secret),
        "disabled": fields.get("disabled", False),
        "limit": fields.get("limit"),
        "limit_remaining": None,
        "limit_reset": fields.get("limit_reset"),
        "include_byok_in_limit": fields.get("include_byok_in_limit", False),
        **dict.fromkeys(USAGE_FIELDS, 0.0),
        "created_at": _timestamp(),
        "updated_at": None,
        "expires_at": fields.get("expires_at"),
        "creator_user_id": fields.get("creator_user_id"),
        "workspace_id": fields.get("workspace_id", DEFAULT_WORKSPACE_ID),
        "external_user": None,
        "last_used_at": None,
    }
    _refresh_limit_remaining(record)
    return record


def _refresh_limit_remaining(record: dict[str, Any]) -> None:
    record["limit_remaining"] = None if record["limit"] is None else record["limit"] - record["usage"]


def _current_key(record: dict[str, Any], is_management: bool) -> dict[str, Any]:
    """The GET /key data. Usage is always zero here, so the budgets and the free-model counters are fixed."""
    data = {name: record[name] for name in CURRENT_KEY_FIELDS}
    data.update(
        {
            "is_free_tier": False,
            "is_management_key": is_management,
            "is_provisioning_key": is_management,
            "rate_limit": {"interval": "1h", "note": "This field is deprecated and safe to ignore.", "requests": -1},
            "allowed_data_regions": [],
            "budgets": [],
            "effective_budget": None,
            "free_model_daily_requests": {"limit": 1000, "remaining": 1000, "used": 0},
            "organization_id": None,
        }
    )
    return data


class Emulator:
    """The emulated account: keys, the request log and the faults, all behind one lock.

    dispatch() is the whole behaviour; the HTTP handler only moves bytes.
    """

    def __init__(self, management_key: str = DEFAULT_MANAGEMENT_KEY, state_file: str | None = None):
        self.management_key = management_key
        self.state_file = state_file
        self._lock = threading.Lock()
        self._management_record = _new_record(management_key, {"name": "management key"})
        self._keys: dict[str, dict[str, Any]] = {}  # by hash, oldest first (dicts keep insertion order)
        self._log: list[dict[str, Any]] = []
        self._seq = 0
        # Every secret this emulator has handed out, in order, so a test can scan logs for them (GET /_emulator/secrets).
        self._issued: list[str] = []
        self._faults: list[Fault] = []
        self._chaos: Chaos | None = None
        if state_file and os.path.exists(state_file):
            self._load(state_file)
        self._api_routes = (
            _Route(
                re.compile(r"/keys"),
                {
                    "GET": lambda call: self._list_keys(call.query),
                    "POST": lambda call: self._create_key(call.json_object()),
                },
                AUTH_MANAGEMENT,
            ),
            _Route(
                re.compile(r"/keys/(?P<hash>[^/]+)"),
                {
                    "GET": lambda call: (200, {"data": self._find(call.params["hash"])}),
                    "PATCH": lambda call: self._update_key(call.params["hash"], call.json_object()),
                    "DELETE": lambda call: self._delete_key(call.params["hash"]),
                },
                AUTH_MANAGEMENT,
            ),
            _Route(re.compile(r"/key"), {"GET": self._get_current_key}, AUTH_KEY),
        )
        self._control_routes = (
            _Route(
                re.compile(r"/requests"),
                {
                    "GET": lambda call: (200, {"requests": self._log}),
                    "DELETE": lambda call: self._clear_log(),
                },
            ),
            _Route(re.compile(r"/keys"), {"GET": lambda call: (200, {"data": list(reversed(self._keys.values()))})}),
            _Route(re.compile(r"/secrets"), {"GET": lambda call: (200, {"secrets": self._issued})}),
            _Route(re.compile(r"/reset"), {"POST": lambda call: self._reset()}),
            _Route(re.compile(r"/seed"), {"POST": lambda call: self._seed(call.json_object())}),
            _Route(
                re.compile(r"/faults"),
                {
                    "GET": lambda call: (200, {"faults": self._fault_list()}),
                    "POST": lambda call: self._add_faults(call.body),
                    "DELETE": lambda call: self._clear_faults(),
                },
            ),
            _Route(re.compile(r"/chaos"), {"POST": lambda call: self._set_chaos(call.json_object())}),
        )

    # --- state file -------------------------------------------------------------------------------------------

    def _load(self, path: str) -> None:
        with open(path, encoding="utf-8") as handle:
            try:
                data = json.load(handle)
            except ValueError:
                data = None
        if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
            raise ValueError(f'{path}: not an emulator state file (expected the JSON {{"keys": [...]}})')
        self._keys = {record["hash"]: record for record in data["keys"]}

    def save(self) -> None:
        """Write the keys to the state file, if there is one, atomically (a crash never leaves half a file)."""
        with self._lock:
            self._save_locked()

    def _save_locked(self) -> None:
        if not self.state_file:
            return
        directory = os.path.dirname(os.path.abspath(self.state_file))
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=os.path.basename(self.state_file) + ".", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump({"keys": list(self._keys.values())}, handle)
            os.replace(tmp, self.state_file)
        except BaseException:
            os.unlink(tmp)
            raise

    # --- dispatch ---------------------------------------------------------------------------------------------

    def dispatch(self, method: str, target: str, authorization: str | None, raw_body: bytes) -> Reply:
        """Handle one HTTP request: target is the request target (path and query), raw_body the bytes sent."""
        url = urlsplit(target)
        path = unquote(url.path)
        call = _Call(method, path, dict(parse_qsl(url.query, keep_blank_values=True)), raw_body)
        if path.startswith(API_PREFIX + "/"):
            call.path = path[len(API_PREFIX) :]
            return self._api(call, authorization)
        if path.startswith(CONTROL_PREFIX + "/"):
            call.path = path[len(CONTROL_PREFIX) :]
            with self._lock:
                return self._route(self._control_routes, call)
        return ApiError(
            404, f"Not found: {path} (the API is under {API_PREFIX}, the control interface under {CONTROL_PREFIX})"
        ).reply()

    def _api(self, call: _Call, authorization: str | None) -> Reply:
        with self._lock:
            fault = self._take_fault(call.method, call.path)
        if fault is not None and fault.seconds:
            time.sleep(fault.seconds)  # outside the lock: a delayed request must not stall the others
        with self._lock:
            call.auth, call.record = self._authenticate(authorization)
            reply = self._route(self._api_routes, call) if fault is None or fault.applies else fault.reply()
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

    def _route(self, routes: tuple[_Route, ...], call: _Call) -> Reply:
        """Find the handler and run it (the caller holds the lock); every ApiError becomes its error response."""
        try:
            for route in routes:
                match = route.pattern.fullmatch(call.path)
                if match is None:
                    continue
                handler = route.handlers.get(call.method)
                if handler is None:
                    raise ApiError(405, f"Method {call.method} not allowed", {"Allow": ", ".join(route.handlers)})
                call.params = match.groupdict()
                if route.access:
                    self._authorize(call, route.access)
                status, payload = handler(call)
                return _json_reply(status, payload)
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
        record = self._keys.get(_key_hash(token)) if token else None
        return (AUTH_INVALID, None) if record is None else (AUTH_KEY, record)

    @staticmethod
    def _authorize(call: _Call, access: str) -> None:
        if call.auth == AUTH_MISSING:
            raise ApiError(401, "Missing Authentication header")
        if call.auth == AUTH_INVALID:
            raise ApiError(401, "User not found.")
        if access == AUTH_MANAGEMENT and call.auth != AUTH_MANAGEMENT:
            raise ApiError(403, "Only management keys can perform this operation")

    # --- the API ----------------------------------------------------------------------------------------------

    def _find(self, key_hash: str) -> dict[str, Any]:
        try:
            return self._keys[key_hash]
        except KeyError:
            raise ApiError(404, "Resource not found") from None

    def _list_keys(self, query: dict[str, str]) -> tuple[int, Any]:
        offset = _query_offset(query)
        include_disabled = _query_bool(query, "include_disabled")
        include_expired = _query_bool(query, "include_expired")
        workspace_id = query.get("workspace_id") or DEFAULT_WORKSPACE_ID
        now = _timestamp()
        visible = (
            record
            for record in reversed(self._keys.values())
            if record["workspace_id"] == workspace_id
            and (include_disabled or not record["disabled"])
            and (include_expired or not _is_expired(record, now))
        )
        return 200, {"data": list(islice(visible, offset, offset + PAGE_SIZE))}

    def _create(self, fields: dict[str, Any]) -> tuple[dict[str, Any], str]:
        secret = SECRET_PREFIX + secrets.token_hex(32)
        record = _new_record(secret, fields)
        self._keys[record["hash"]] = record
        self._issued.append(secret)
        return record, secret

    def _create_key(self, body: dict[str, Any]) -> tuple[int, Any]:
        fields = _creation_fields(body, CREATE_FIELDS)
        if fields.get("expires_at") is not None and fields["expires_at"] <= _timestamp():
            raise ApiError(400, "expires_at must be in the future")
        record, secret = self._create(fields)
        self._save_locked()
        return 201, {"data": record, "key": secret}

    def _update_key(self, key_hash: str, body: dict[str, Any]) -> tuple[int, Any]:
        fields = _validated(body, UPDATE_FIELDS)
        if not fields:
            raise ApiError(400, "No update fields provided")
        record = self._find(key_hash)
        record.update(fields, updated_at=_timestamp())
        _refresh_limit_remaining(record)
        self._save_locked()
        return 200, {"data": record}

    def _delete_key(self, key_hash: str) -> tuple[int, Any]:
        del self._keys[self._find(key_hash)["hash"]]
        self._save_locked()
        return 200, {"deleted": True}

    def _get_current_key(self, call: _Call) -> tuple[int, Any]:
        # Not in the contract: what a disabled or expired key gets here. A 401 would hide why; a 403 says it.
        if call.record["disabled"]:
            raise ApiError(403, "API key is disabled")
        if _is_expired(call.record, _timestamp()):
            raise ApiError(403, "API key has expired")
        return 200, {"data": _current_key(call.record, call.auth == AUTH_MANAGEMENT)}

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

    def _clear_faults(self) -> tuple[int, Any]:
        self._faults.clear()
        return 200, {"faults": []}

    def _set_chaos(self, body: dict[str, Any]) -> tuple[int, Any]:
        rate = body.get("rate", 0)
        if not _is_number(rate) or not 0 <= rate <= 1:
            raise ApiError(400, "chaos rate must be a number from 0 to 1")
        seed = body.get("seed", 0)
        if not _is_int(seed):
            raise ApiError(400, "chaos seed must be an integer")
        actions = body.get("actions", list(DEFAULT_CHAOS_ACTIONS))
        if not isinstance(actions, list) or not actions:
            raise ApiError(400, "chaos actions must be a non-empty list")
        faults = [Fault.from_spec(spec, body.get("retry_after")) for spec in actions]
        self._chaos = Chaos(rate, faults, random.Random(seed)) if rate else None
        return 200, {"chaos": {"rate": rate, "seed": seed, "actions": actions} if rate else None}

    # --- the rest of the control interface --------------------------------------------------------------------

    def _clear_log(self) -> tuple[int, Any]:
        self._log.clear()
        return 200, {"requests": []}

    def _reset(self) -> tuple[int, Any]:
        self._keys.clear()
        self._log.clear()
        self._faults.clear()
        self._chaos = None
        self._issued.clear()
        self._seq = 0
        self._save_locked()
        return 200, {"reset": True}

    def _seed(self, body: dict[str, Any]) -> tuple[int, Any]:
        if ("count" in body) == ("keys" in body):
            raise ApiError(400, "give either count or keys")
        if "count" in body:
            count, prefix = body["count"], body.get("name_prefix", "seed-")
            if not _is_int(count) or count < 0:
                raise ApiError(400, "count must be an integer >= 0")
            common = _validated(
                {"workspace_id": body["workspace_id"]} if "workspace_id" in body else {}, ("workspace_id",)
            )
            specs = [dict(common, name=f"{prefix}{index}") for index in range(count)]
        else:
            if not isinstance(body["keys"], list) or not all(isinstance(spec, dict) for spec in body["keys"]):
                raise ApiError(400, "keys must be a list of objects")
            specs = [_creation_fields(spec, SEED_FIELDS) for spec in body["keys"]]
        created = [self._create(fields) for fields in specs]  # all validated first, so a bad entry creates nothing
        self._save_locked()
        return 200, {
            "data": [{"hash": record["hash"], "name": record["name"], "key": secret} for record, secret in created]
        }


class _Handler(BaseHTTPRequestHandler):
    """Moves bytes between the socket and Emulator.dispatch, with HTTP/1.1 keep-alive and exact Content-Length."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle's algorithm the second waits for a delayed ACK (40 ms).
    disable_nagle_algorithm = True
    server: EmulatorServer

    def _handle(self) -> None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            # The body can't be skipped without decoding it, so the connection can't be reused either.
            self.close_connection = True
            self._send(ApiError(411, "Send a Content-Length, chunked bodies are not supported").reply())
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self.close_connection = True
            self._send(ApiError(400, "Invalid Content-Length").reply())
            return
        raw_body = self.rfile.read(length)
        try:
            reply = self.server.emulator.dispatch(self.command, self.path, self.headers.get("Authorization"), raw_body)
        except Exception:  # pylint: disable=broad-except
            # An emulator bug must reach the test as a 500 it can see, not as a hung or dropped connection.
            traceback.print_exc()
            reply = ApiError(500, "Internal Server Error").reply()
        if reply.drop:
            # No byte of a response: the client sees the connection closed (requests raises ConnectionError).
            self.close_connection = True
            with contextlib.suppress(OSError):  # the client may be gone already
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self._send(reply)

    def _send(self, reply: Reply) -> None:
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        if self.server.verbose:
            super().log_message(format, *args)


class EmulatorServer(ThreadingHTTPServer):
    """A threading HTTP server around one Emulator."""

    daemon_threads = True
    request_queue_size = 128  # many test threads may connect at once

    def __init__(self, address: tuple[str, int], emulator: Emulator, verbose: bool = False):
        self.emulator = emulator
        self.verbose = verbose
        super().__init__(address, _Handler)

    def handle_error(self, request, client_address):
        # A client that hangs up (after a delay fault, say) is normal here and not worth a traceback.
        if self.verbose or not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}{API_PREFIX}"


def serve(
    port: int = 0,
    host: str = "127.0.0.1",
    management_key: str = DEFAULT_MANAGEMENT_KEY,
    state_file: str | None = None,
    verbose: bool = False,
) -> tuple[EmulatorServer, str]:
    """Start an emulator in a daemon thread; returns the server (stop it with server.shutdown()) and the API base URL."""
    server = EmulatorServer((host, port), Emulator(management_key, state_file), verbose)
    threading.Thread(target=server.serve_forever, name="openrouter-emulator", daemon=True).start()
    return server, server.base_url


class Control:
    """The control interface from Python, with urllib only, so no test repeats the HTTP plumbing.

    base_url is the API base URL (http://127.0.0.1:PORT/api/v1) or the server root.
    """

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

    def clear_requests(self) -> None:
        self._call("DELETE", "/requests")

    def keys(self) -> list[dict[str, Any]]:
        return self._call("GET", "/keys")["data"]

    def secrets(self) -> list[str]:
        """Every secret issued since the start or the last reset, deleted keys' included, oldest first."""
        return self._call("GET", "/secrets")["secrets"]

    def reset(self) -> None:
        self._call("POST", "/reset")

    def seed(
        self,
        count: int | None = None,
        keys: list[dict[str, Any]] | None = None,
        name_prefix: str = "seed-",
        workspace_id: str | None = None,
    ) -> list[dict[str, Any]]:
        """Bulk-create keys: count of them named name_prefix + index, or one per spec in keys. Returns hash, name and key (the secret)."""
        if keys is not None:
            body: dict[str, Any] = {"keys": keys}
        else:
            body = {"count": count, "name_prefix": name_prefix}
            if workspace_id is not None:
                body["workspace_id"] = workspace_id
        return self._call("POST", "/seed", body)["data"]

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


def _stop(_signum, _frame):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Emulate the OpenRouter key-management API on loopback (see docs/emulator.md)."
    )
    parser.add_argument("--port", type=int, required=True, help="port to listen on; 0 picks a free one")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument(
        "--management-key", default=DEFAULT_MANAGEMENT_KEY, help="the management key (default: %(default)s)"
    )
    parser.add_argument(
        "--state", metavar="FILE", help="load keys from FILE if it exists and save them there after every change"
    )
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)
    try:
        server = EmulatorServer((args.host, args.port), Emulator(args.management_key, args.state), args.verbose)
    except (OSError, ValueError) as error:
        print(f"openrouter_emulator: {error}", file=sys.stderr)
        return 2
    # Both end the server the same clean way; SIGINT is set too because a shell ignores it in background jobs.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _stop)
    # The first line of stdout is the base URL, so a caller that asked for port 0 learns the port.
    print(server.base_url, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        server.emulator.save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
