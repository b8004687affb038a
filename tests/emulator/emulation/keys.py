# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""API keys: the record, its checks, and /key, /keys, /keys/{hash}."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime
from itertools import islice
from typing import Any, Callable

from .common import (
    AUTH_KEY,
    AUTH_MANAGEMENT,
    DEFAULT_WORKSPACE_ID,
    ApiError,
    Call,
    check_bool,
    check_optional_str,
    check_str,
    is_number,
    query_bool,
    query_offset,
    route,
    timestamp,
)

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
    "external",
)
UPDATE_FIELDS = ("name", "disabled", "limit", "limit_reset", "include_byok_in_limit", "workspace_id")
# Seeding may also create disabled keys, which the API can only do with a POST and then a PATCH.
SEED_FIELDS = CREATE_FIELDS + ("disabled",)
# GET /key repeats these fields of the key record; the rest of its data is fixed (see current_key).
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
# No threshold is published for the "sufficient entropy" of external.api_key; this one rejects aaaa... and 0101...
MIN_EXTERNAL_KEY_LENGTH, MIN_EXTERNAL_KEY_DISTINCT = 32, 8
TIMESTAMP_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})?")


def is_expired(record: dict[str, Any], now: str) -> bool:
    # Timestamps are stored in one fixed-width UTC format, so comparing the strings compares the times.
    return record["expires_at"] is not None and record["expires_at"] <= now


def is_active(record: dict[str, Any], now: str) -> bool:
    return not record["disabled"] and not is_expired(record, now)


def key_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _label(secret: str) -> str:
    body = secret[len(SECRET_PREFIX) :] if secret.startswith(SECRET_PREFIX) else secret
    return f"{SECRET_PREFIX}{body[:3]}...{body[-4:]}"


def _check_limit(name: str, value: Any) -> float | None:
    if value is None:
        return None
    if not is_number(value) or value < 0:
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
    return timestamp(moment)


def _check_external(name: str, value: Any) -> dict[str, str]:
    """external: {user, api_key?}; only the api_key's SHA-256 is kept, as the API does."""
    if not isinstance(value, dict):
        raise ApiError(400, f"{name} must be an object with user and, optionally, api_key")
    external = {"user": check_str(f"{name}.user", value.get("user"))}
    api_key = value.get("api_key")
    if api_key is not None:
        if not isinstance(api_key, str) or len(api_key) < MIN_EXTERNAL_KEY_LENGTH:
            raise ApiError(400, f"{name}.api_key must be at least {MIN_EXTERNAL_KEY_LENGTH} characters")
        if len(set(api_key)) < MIN_EXTERNAL_KEY_DISTINCT:
            raise ApiError(400, f"{name}.api_key does not have sufficient entropy")
        external["api_key_sha256"] = hashlib.sha256(api_key.encode()).hexdigest()
    return external


VALIDATORS: dict[str, Callable[[str, Any], Any]] = {
    "name": check_str,
    "disabled": check_bool,
    "limit": _check_limit,
    "limit_reset": _check_limit_reset,
    "include_byok_in_limit": check_bool,
    "expires_at": _check_expires_at,
    "creator_user_id": check_optional_str,
    "workspace_id": check_str,
    "external": _check_external,
}


def validated(body: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """The known fields present in body, checked and normalised; unknown fields are ignored like the real API does."""
    return {name: VALIDATORS[name](name, body[name]) for name in names if name in body}


def creation_fields(body: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    if "name" not in body:
        raise ApiError(400, "name is required")
    return validated(body, names)


def new_record(secret: str, fields: dict[str, Any]) -> dict[str, Any]:
    """A key record: exactly the SDK's Key fields, which is also what the API returns for it."""
    record = {
        "hash": key_hash(secret),
        "name": fields["name"],
        "label": _label(secret),
        "disabled": fields.get("disabled", False),
        "limit": fields.get("limit"),
        "limit_remaining": None,
        "limit_reset": fields.get("limit_reset"),
        "include_byok_in_limit": fields.get("include_byok_in_limit", False),
        **dict.fromkeys(USAGE_FIELDS, 0.0),
        "created_at": timestamp(),
        "updated_at": None,
        "expires_at": fields.get("expires_at"),
        "creator_user_id": fields.get("creator_user_id"),
        "workspace_id": fields.get("workspace_id", DEFAULT_WORKSPACE_ID),
        "external_user": fields["external"]["user"] if fields.get("external") else None,
        "last_used_at": None,
    }
    _refresh_limit_remaining(record)
    return record


def _refresh_limit_remaining(record: dict[str, Any]) -> None:
    record["limit_remaining"] = None if record["limit"] is None else record["limit"] - record["usage"]


def current_key(record: dict[str, Any], is_management: bool) -> dict[str, Any]:
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


class KeysMixin:
    """The key endpoints, mixed into Emulator (which holds the state and the lock).

    Uses WorkspacesMixin._key_workspace.
    """

    _keys: dict[str, dict[str, Any]]  # by hash, oldest first
    _issued: list[str]
    _external_api_keys: dict[str, str]  # key hash -> SHA-256 of its external.api_key
    _key_assignments: dict[str, dict[str, Any]]

    def _key_routes(self):
        return (
            route(
                r"/keys",
                {
                    "GET": lambda call: self._list_keys(call.query),
                    "POST": lambda call: self._create_key(call.json_object()),
                },
                AUTH_MANAGEMENT,
            ),
            route(
                r"/keys/(?P<hash>[^/]+)",
                {
                    "GET": lambda call: (200, {"data": self._find_key(call.params["hash"])}),
                    "PATCH": lambda call: self._update_key(call.params["hash"], call.json_object()),
                    "DELETE": lambda call: self._delete_key(call.params["hash"]),
                },
                AUTH_MANAGEMENT,
            ),
            route(r"/key", {"GET": self._get_current_key}, AUTH_KEY),
        )

    def _find_key(self, hash_: str) -> dict[str, Any]:
        try:
            return self._keys[hash_]
        except KeyError:
            raise ApiError(404, "Resource not found") from None

    def _list_keys(self, query: dict[str, str]) -> tuple[int, Any]:
        offset = query_offset(query)
        include_disabled = query_bool(query, "include_disabled")
        include_expired = query_bool(query, "include_expired")
        workspace_id = self._key_workspace(query.get("workspace_id") or DEFAULT_WORKSPACE_ID)
        now = timestamp()
        visible = (
            record
            for record in reversed(self._keys.values())
            if record["workspace_id"] == workspace_id
            and (include_disabled or not record["disabled"])
            and (include_expired or not is_expired(record, now))
        )
        return 200, {"data": list(islice(visible, offset, offset + PAGE_SIZE))}

    def _add_key(self, fields: dict[str, Any]) -> tuple[dict[str, Any], str]:
        if "workspace_id" in fields:
            fields = dict(fields, workspace_id=self._key_workspace(fields["workspace_id"]))
        secret = SECRET_PREFIX + secrets.token_hex(32)
        record = new_record(secret, fields)
        self._keys[record["hash"]] = record
        if fields.get("external", {}).get("api_key_sha256"):
            self._external_api_keys[record["hash"]] = fields["external"]["api_key_sha256"]
        self._issued.append(secret)
        return record, secret

    def _create_key(self, body: dict[str, Any]) -> tuple[int, Any]:
        fields = creation_fields(body, CREATE_FIELDS)
        if fields.get("expires_at") is not None and fields["expires_at"] <= timestamp():
            raise ApiError(400, "expires_at must be in the future")
        record, secret = self._add_key(fields)
        return 201, {"data": record, "key": secret}

    def _update_key(self, hash_: str, body: dict[str, Any]) -> tuple[int, Any]:
        fields = validated(body, UPDATE_FIELDS)
        if not fields:
            raise ApiError(400, "No update fields provided")
        record = self._find_key(hash_)
        if "workspace_id" in fields:
            # A move keeps the hash, the secret and the guardrail assignment (it is keyed by hash).
            fields["workspace_id"] = self._key_workspace(fields["workspace_id"])
            if fields["workspace_id"] == record["workspace_id"]:
                del fields["workspace_id"]  # the current workspace is a no-op
            if not fields:
                return 200, {"data": record}
        record.update(fields, updated_at=timestamp())
        _refresh_limit_remaining(record)
        return 200, {"data": record}

    def _delete_key(self, hash_: str) -> tuple[int, Any]:
        del self._keys[self._find_key(hash_)["hash"]]
        self._external_api_keys.pop(hash_, None)
        self._key_assignments.pop(hash_, None)
        return 200, {"deleted": True}

    @staticmethod
    def _get_current_key(call: Call) -> tuple[int, Any]:
        # Not in the contract: what a disabled or expired key gets here. A 401 would hide why; a 403 says it.
        if call.record["disabled"]:
            raise ApiError(403, "API key is disabled")
        if is_expired(call.record, timestamp()):
            raise ApiError(403, "API key has expired")
        return 200, {"data": current_key(call.record, call.auth == AUTH_MANAGEMENT)}
