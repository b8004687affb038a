# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Workspaces, their members and budgets: /workspaces/... (see ../shared/contract/guardrails-workspaces.md)."""

from __future__ import annotations

import re
import uuid
from typing import Any, Callable

from .common import (
    AUTH_MANAGEMENT,
    DEFAULT_WORKSPACE_ID,
    ApiError,
    check_bool,
    check_id_list,
    check_text,
    is_int,
    is_number,
    new_id,
    newest_first,
    page,
    query_bool,
    route,
    timestamp,
)
from .guardrails import default_guardrail_id
from .keys import is_active

SLUG_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
PROVIDER_SORTS = ("price", "throughput", "latency", "exacto")
SERVER_TOOLS = (
    "openrouter:advisor",
    "openrouter:apply_patch",
    "openrouter:bash",
    "openrouter:datetime",
    "openrouter:fusion",
    "openrouter:image_generation",
    "openrouter:experimental__search_models",
    "openrouter:shell",
    "openrouter:subagent",
    "openrouter:tool_search",
    "openrouter:web_fetch",
    "openrouter:web_search",
)
BOOL_FIELDS = (
    "is_observability_io_logging_enabled",
    "is_observability_broadcast_enabled",
    "is_data_discount_logging_enabled",
)
# Widest first: each set limit must be strictly greater than the next set one.
BUDGET_INTERVALS = ("lifetime", "monthly", "weekly", "daily")
MAX_BULK_MEMBERS = 100
MEMBER_NAMESPACE = uuid.UUID("9a3f1d0e-4b7c-4e21-8c55-0d6b2f3e7a90")


def _check_slug(name: str, value: Any) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= 50 or not SLUG_RE.fullmatch(value):
        raise ApiError(400, f"{name} must be 1 to 50 lowercase letters and digits in segments joined by single hyphens")
    return value


def _check_description(name: str, value: Any) -> str | None:
    if value is not None and (not isinstance(value, str) or len(value) > 500):
        raise ApiError(400, f"{name} must be a string of at most 500 characters, or null")
    return value


def _check_provider_sort(name: str, value: Any) -> str | None:
    if value is not None and value not in PROVIDER_SORTS:
        raise ApiError(400, f"{name} must be one of {', '.join(PROVIDER_SORTS)}, or null")
    return value


def _check_server_tools(name: str, value: Any) -> list[str] | None:
    if value is not None and (not isinstance(value, list) or any(tool not in SERVER_TOOLS for tool in value)):
        raise ApiError(400, f"{name} must be an array of {', '.join(SERVER_TOOLS)}, or null")
    return value or None  # [] clears the list, stored as null


def _check_key_ids(name: str, value: Any) -> list[int] | None:
    if value is not None and (not isinstance(value, list) or not all(is_int(item) for item in value)):
        raise ApiError(400, f"{name} must be an array of integers, or null")
    return value


def _check_sampling_rate(name: str, value: Any) -> float:
    if not is_number(value) or not 0.0001 <= value <= 1:
        raise ApiError(400, f"{name} must be a number from 0.0001 to 1")
    return float(value)


VALIDATORS: dict[str, Callable[[str, Any], Any]] = {
    "name": lambda name, value: check_text(name, value, 100),
    "slug": _check_slug,
    "description": _check_description,
    "default_text_model": lambda name, value: check_text(name, value, 200, nullable=True),
    "default_image_model": lambda name, value: check_text(name, value, 200, nullable=True),
    "default_provider_sort": _check_provider_sort,
    "disabled_server_tools": _check_server_tools,
    "io_logging_api_key_ids": _check_key_ids,
    "io_logging_sampling_rate": _check_sampling_rate,
    **dict.fromkeys(BOOL_FIELDS, check_bool),
}


def new_workspace(workspace_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    """A Workspace record with the emulator's defaults (the contract leaves them open) under the given fields."""
    record = {
        "id": workspace_id,
        "name": fields["name"],
        "slug": fields["slug"],
        "description": None,
        "default_guardrail_id": default_guardrail_id(workspace_id),
        "default_text_model": None,
        "default_image_model": None,
        "default_provider_sort": None,
        **dict.fromkeys(BOOL_FIELDS, False),
        "io_logging_sampling_rate": 1.0,
        "io_logging_api_key_ids": None,
        "disabled_server_tools": None,
        "include_byok_in_budgets": False,
        "created_at": timestamp(),
        "updated_at": None,
        "created_by": None,
    }
    record.update(fields)
    return record


def _money(value: float) -> str:
    return f"${int(value)}" if value == int(value) else f"${value}"


class WorkspacesMixin:
    """The workspace, member and budget endpoints, mixed into Emulator; deleting one drops its guardrails."""

    _keys: dict[str, dict[str, Any]]
    _members: dict[str, dict[str, Any]]
    _workspaces: dict[str, dict[str, Any]]  # by id, oldest first
    _workspace_members: dict[str, dict[str, dict[str, Any]]]  # workspace id -> user id -> WorkspaceMember
    _budgets: dict[str, dict[str, dict[str, Any]]]  # workspace id -> interval -> WorkspaceBudget
    _guardrails: dict[str, dict[str, Any]]

    def _workspace_routes(self):
        ref = r"/workspaces/(?P<ref>[^/]+)"
        return (
            route(
                r"/workspaces",
                {
                    "GET": lambda call: (200, page(newest_first(self._workspaces), call.query)),
                    "POST": lambda call: self._create_workspace(call.json_object()),
                },
                AUTH_MANAGEMENT,
            ),
            route(
                ref,
                {
                    "GET": lambda call: (200, {"data": self._find_workspace(call.params["ref"])}),
                    "PATCH": lambda call: self._update_workspace(call.params["ref"], call.json_object()),
                    "DELETE": lambda call: self._delete_workspace(call.params["ref"], call.query),
                },
                AUTH_MANAGEMENT,
            ),
            route(
                ref + r"/members",
                {"GET": lambda call: (200, page(self._member_rows(call.params["ref"]), call.query))},
                AUTH_MANAGEMENT,
            ),
            route(
                ref + r"/members/add",
                {"POST": lambda call: self._add_members(call.params["ref"], call.json_object())},
                AUTH_MANAGEMENT,
            ),
            route(
                ref + r"/members/remove",
                {"POST": lambda call: self._remove_members(call.params["ref"], call.json_object())},
                AUTH_MANAGEMENT,
            ),
            route(ref + r"/budgets", {"GET": lambda call: self._list_budgets(call.params["ref"])}, AUTH_MANAGEMENT),
            route(
                ref + r"/budgets/(?P<interval>[^/]+)",
                {
                    "GET": lambda call: self._get_budget(call.params["ref"], call.params["interval"]),
                    "PUT": lambda call: self._put_budget(
                        call.params["ref"], call.params["interval"], call.json_object()
                    ),
                    "DELETE": lambda call: self._delete_budget(call.params["ref"], call.params["interval"]),
                },
                AUTH_MANAGEMENT,
            ),
        )

    # --- workspaces -------------------------------------------------------------------------------------------

    def _find_workspace(self, ref: str) -> dict[str, Any]:
        """A workspace by id or slug."""
        found = self._workspaces.get(ref) or next((ws for ws in self._workspaces.values() if ws["slug"] == ref), None)
        if found is None:
            raise ApiError(404, "Workspace not found")
        return found

    def _key_workspace(self, value: str) -> str:
        """The workspace id a key names: a known workspace's id or slug becomes its id; anything else is kept as
        sent, so tests may seed keys in workspaces they never created (the contract is silent on unknown ids)."""
        return (
            self._workspaces[value]["id"]
            if value in self._workspaces
            else next((ws["id"] for ws in self._workspaces.values() if ws["slug"] == value), value)
        )

    def _workspace_fields(self, body: dict[str, Any], exclude: str | None = None) -> dict[str, Any]:
        fields = {name: VALIDATORS[name](name, body[name]) for name in VALIDATORS if name in body}
        if "slug" in fields and any(
            ws["slug"] == fields["slug"] and ws["id"] != exclude for ws in self._workspaces.values()
        ):
            raise ApiError(400, f"A workspace with slug {fields['slug']} already exists")
        return fields

    def _add_workspace(self, body: dict[str, Any], workspace_id: str | None = None) -> dict[str, Any]:
        for required in ("name", "slug"):
            if required not in body:
                raise ApiError(400, f"{required} is required")
        record = new_workspace(workspace_id or new_id(), self._workspace_fields(body))
        self._workspaces[record["id"]] = record
        return record

    def _update_workspace(self, ref: str, body: dict[str, Any]) -> tuple[int, Any]:
        record = self._find_workspace(ref)
        fields = self._workspace_fields(body, exclude=record["id"])
        if not fields:
            raise ApiError(400, "No update fields provided")
        record.update(fields, updated_at=timestamp())
        return 200, {"data": record}

    def _create_workspace(self, body: dict[str, Any]) -> tuple[int, Any]:
        return 201, {"data": self._add_workspace(body)}

    def _delete_workspace(self, ref: str, query: dict[str, str]) -> tuple[int, Any]:
        record = self._find_workspace(ref)
        workspace_id = record["id"]
        keys = [key for key in self._keys.values() if key["workspace_id"] == workspace_id]
        now = timestamp()
        if workspace_id == DEFAULT_WORKSPACE_ID:
            if not query_bool(query, "confirm_default_workspace_deletion"):
                raise ApiError(400, "Deleting the default workspace requires confirm_default_workspace_deletion=true")
            for key in keys:  # its inference keys are disabled for good
                key.update(disabled=True, updated_at=now)
        else:
            active = [key["hash"] for key in keys if is_active(key, now)]
            if active:
                raise ApiError(
                    400,
                    f"The workspace has {len(active)} active API key(s); delete or disable them before deleting it",
                )
        del self._workspaces[workspace_id]
        self._workspace_members.pop(workspace_id, None)
        self._budgets.pop(workspace_id, None)
        for guardrail_id in [gid for gid, row in self._guardrails.items() if row["workspace_id"] == workspace_id]:
            self._drop_guardrail(guardrail_id)
        return 200, {"deleted": True}

    # --- members ----------------------------------------------------------------------------------------------

    def _member_rows(self, ref: str) -> list[dict[str, Any]]:
        workspace = self._find_workspace(ref)
        if workspace["id"] != DEFAULT_WORKSPACE_ID:
            return newest_first(self._workspace_members.get(workspace["id"], {}))
        # The default workspace lists every organization member.
        return [self._member_of(workspace, user_id, workspace["created_at"]) for user_id in self._members]

    def _member_of(self, workspace: dict[str, Any], user_id: str, created_at: str) -> dict[str, Any]:
        return {
            "id": str(uuid.uuid5(MEMBER_NAMESPACE, f"{workspace['id']}/{user_id}")),
            "user_id": user_id,
            "workspace_id": workspace["id"],
            "role": "admin" if self._members[user_id]["role"] == "org:admin" else "member",
            "created_at": created_at,
        }

    def _add_members(self, ref: str, body: dict[str, Any]) -> tuple[int, Any]:
        workspace = self._find_workspace(ref)
        user_ids = check_id_list("user_ids", body.get("user_ids"), MAX_BULK_MEMBERS)
        if workspace["id"] == DEFAULT_WORKSPACE_ID:
            return 200, {"added_count": 0, "data": []}  # every organization member is in it already
        members = self._workspace_members.setdefault(workspace["id"], {})
        # Users outside the organization and existing members are skipped (the contract is silent on both).
        added = [
            self._member_of(workspace, user_id, timestamp())
            for user_id in dict.fromkeys(user_ids)
            if user_id in self._members and user_id not in members
        ]
        members.update((member["user_id"], member) for member in added)
        return 200, {"added_count": len(added), "data": added}

    def _remove_members(self, ref: str, body: dict[str, Any]) -> tuple[int, Any]:
        workspace = self._find_workspace(ref)
        user_ids = check_id_list("user_ids", body.get("user_ids"), MAX_BULK_MEMBERS)
        members = self._workspace_members.get(workspace["id"], {})
        now = timestamp()
        for user_id in user_ids:
            if user_id in members and any(
                key["workspace_id"] == workspace["id"] and key["creator_user_id"] == user_id and is_active(key, now)
                for key in self._keys.values()
            ):
                raise ApiError(
                    400, f"Member {user_id} has active API keys in this workspace; disable or delete them first"
                )
        removed = [user_id for user_id in dict.fromkeys(user_ids) if members.pop(user_id, None) is not None]
        return 200, {"removed_count": len(removed)}

    # --- budgets ----------------------------------------------------------------------------------------------

    def _budget_reply(self, workspace: dict[str, Any], data: Any) -> tuple[int, Any]:
        return 200, {"data": data, "include_byok_in_budgets": workspace["include_byok_in_budgets"]}

    def _list_budgets(self, ref: str) -> tuple[int, Any]:
        workspace = self._find_workspace(ref)
        budgets = self._budgets.get(workspace["id"], {})
        return self._budget_reply(workspace, [budgets[name] for name in BUDGET_INTERVALS if name in budgets])

    @staticmethod
    def _check_interval(interval: str) -> str:
        if interval not in BUDGET_INTERVALS:
            raise ApiError(400, f"interval must be one of {', '.join(BUDGET_INTERVALS)}")
        return interval

    def _get_budget(self, ref: str, interval: str) -> tuple[int, Any]:
        workspace = self._find_workspace(ref)
        budget = self._budgets.get(workspace["id"], {}).get(self._check_interval(interval))
        if budget is None:
            raise ApiError(404, f"No {interval} budget is set for this workspace")
        return self._budget_reply(workspace, budget)

    def _put_budget(self, ref: str, interval: str, body: dict[str, Any]) -> tuple[int, Any]:
        workspace = self._find_workspace(ref)
        self._check_interval(interval)
        limit = body.get("limit_usd")
        if not is_number(limit) or limit <= 0:
            raise ApiError(400, "limit_usd must be a number greater than 0")
        include_byok = body.get("include_byok_in_budgets")
        if include_byok is not None:
            check_bool("include_byok_in_budgets", include_byok)
        budgets = self._budgets.setdefault(workspace["id"], {})
        limits = {name: budget["limit_usd"] for name, budget in budgets.items()}
        limits[interval] = float(limit)
        ordered = [(name, limits[name]) for name in BUDGET_INTERVALS if name in limits]
        for (wider, wide), (narrower, narrow) in zip(ordered, ordered[1:]):
            if wide <= narrow:
                raise ApiError(
                    400,
                    "Budget limits must be strictly decreasing as scope narrows: "
                    f"the {wider} limit ({_money(wide)}) must be greater than the {narrower} limit ({_money(narrow)}).",
                )
        now = timestamp()
        budget = budgets.get(interval) or {
            "id": new_id(),
            "workspace_id": workspace["id"],
            "reset_interval": None if interval == "lifetime" else interval,
            "created_at": now,
        }
        budget.update(limit_usd=float(limit), updated_at=now)
        budgets[interval] = budget
        if include_byok is not None:
            workspace["include_byok_in_budgets"] = include_byok
        return self._budget_reply(workspace, budget)

    def _delete_budget(self, ref: str, interval: str) -> tuple[int, Any]:
        workspace = self._find_workspace(ref)
        self._budgets.get(workspace["id"], {}).pop(self._check_interval(interval), None)
        return 200, {"deleted": True}  # a missing budget is deleted too
