# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every part of the emulator shares: constants, the error and reply types, the request, and value checks."""

from __future__ import annotations

import json
import math
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

DEFAULT_MANAGEMENT_KEY = "sk-or-v1-emulator-management-key"
DEFAULT_WORKSPACE_ID = "00000000-0000-4000-8000-000000000000"
API_PREFIX = "/api/v1"
CONTROL_PREFIX = "/_emulator"
AUTH_MANAGEMENT, AUTH_KEY, AUTH_MISSING, AUTH_INVALID = "management", "key", "missing", "invalid"
# offset/limit lists (everything but GET /keys): limit 1..100, default 50, never clamped.
DEFAULT_LIMIT, MAX_LIMIT = 50, 100

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


class ApiError(Exception):
    """An error that becomes an OpenRouter error response: status == error.code."""

    def __init__(
        self, status: int, message: str, headers: dict[str, str] | None = None, metadata: dict[str, Any] | None = None
    ):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}
        self.metadata = metadata

    def reply(self) -> Reply:
        error: dict[str, Any] = {"code": self.status, "message": self.message}
        if self.metadata is not None:
            error["metadata"] = self.metadata
        return json_reply(self.status, {"error": error}, self.headers)


@dataclass
class Reply:
    """What the HTTP handler sends, or, with drop, the signal to close the connection without a byte."""

    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False


def json_reply(status: int, payload: Any, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, json.dumps(payload).encode(), headers=headers or {})


@dataclass
class Call:
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
class Route:
    """A path pattern and its handler per method.

    access is None (no auth), AUTH_KEY (any valid key) or AUTH_MANAGEMENT.
    """

    pattern: re.Pattern
    handlers: dict[str, Callable[[Call], tuple[int, Any]]]
    access: str | None = None


def route(pattern: str, handlers: dict[str, Callable[[Call], tuple[int, Any]]], access: str | None = None) -> Route:
    return Route(re.compile(pattern), handlers, access)


def is_int(value: Any) -> bool:
    # bool is a subclass of int, but JSON true is not a number.
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    # json.loads accepts NaN and Infinity, which no JSON encoder may send back.
    return (is_int(value) or isinstance(value, float)) and math.isfinite(value)


def timestamp(moment: datetime | None = None) -> str:
    return (moment or datetime.now(timezone.utc)).strftime(TIMESTAMP_FORMAT)


def new_id() -> str:
    return str(uuid.uuid4())


def check_str(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ApiError(400, f"{name} must be a non-empty string")
    return value


def check_optional_str(name: str, value: Any) -> str | None:
    return None if value is None else check_str(name, value)


def check_bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ApiError(400, f"{name} must be a boolean")
    return value


def check_optional_bool(name: str, value: Any) -> bool | None:
    return None if value is None else check_bool(name, value)


def check_text(name: str, value: Any, longest: int, nullable: bool = False) -> str | None:
    """A string of 1..longest characters (or null when nullable)."""
    if value is None and nullable:
        return None
    if not isinstance(value, str) or not 1 <= len(value) <= longest:
        raise ApiError(400, f"{name} must be a string of 1 to {longest} characters")
    return value


def check_id_list(name: str, value: Any, most: int | None = None) -> list[str]:
    """A non-empty array of non-empty strings (at most `most` of them), as the bulk endpoints require."""
    if not isinstance(value, list) or not value or not all(isinstance(item, str) and item for item in value):
        raise ApiError(400, f"{name} must be a non-empty array of non-empty strings")
    if most is not None and len(value) > most:
        raise ApiError(400, f"{name} must hold at most {most} entries")
    return value


def query_bool(query: dict[str, str], name: str) -> bool:
    value = query.get(name, "false")
    if value not in ("true", "false"):
        raise ApiError(400, f"{name} must be true or false")
    return value == "true"


def query_offset(query: dict[str, str]) -> int:
    value = query.get("offset", "0")
    if not value.isdigit() or not value.isascii():
        raise ApiError(400, "offset must be an integer >= 0")
    return int(value)


def page(rows: list[Any], query: dict[str, str]) -> dict[str, Any]:
    """One offset/limit page of rows with the count of them all: {data, total_count}."""
    offset = query_offset(query)
    value = query.get("limit", str(DEFAULT_LIMIT))
    if not value.isdigit() or not value.isascii() or not 1 <= int(value) <= MAX_LIMIT:
        raise ApiError(400, f"limit must be an integer from 1 to {MAX_LIMIT}")
    return {"data": rows[offset : offset + int(value)], "total_count": len(rows)}


def newest_first(records: dict[str, Any]) -> list[Any]:
    # Dicts keep insertion order, so the reverse is newest first.
    return list(reversed(records.values()))
