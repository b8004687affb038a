# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Guardrails and their key and member assignments: /guardrails/...

See ../shared/contract/guardrails-workspaces.md.
"""

from __future__ import annotations

import re
import uuid
from typing import Any, Callable

from .catalogue import ORGANIZATION_ID
from .common import (
    AUTH_MANAGEMENT,
    DEFAULT_WORKSPACE_ID,
    ApiError,
    check_bool,
    check_id_list,
    check_optional_bool,
    check_text,
    is_number,
    new_id,
    newest_first,
    page,
    route,
    timestamp,
)

RESET_INTERVALS = ("daily", "weekly", "monthly")
DATA_REGIONS = ("global", "europe", "us")
FILTER_ACTIONS = ("redact", "block", "flag")
SCAN_SCOPES = ("user_only", "all_messages")
PROMPT_INJECTION = "regex-prompt-injection"
# The label of each builtin is system-assigned; the contract doesn't give the one of `secrets`, so this is a choice.
BUILTIN_LABELS = {
    "email": "[EMAIL]",
    "phone": "[PHONE]",
    "ssn": "[SSN]",
    "credit-card": "[CREDIT_CARD]",
    "ip-address": "[IP_ADDRESS]",
    "secrets": "[SECRET]",
    "person-name": "[PERSON_NAME]",
    "address": "[ADDRESS]",
    PROMPT_INJECTION: "[PROMPT_INJECTION]",
}
ZDR_FIELDS = (
    "enforce_zdr_anthropic",
    "enforce_zdr_openai",
    "enforce_zdr_google",
    "enforce_zdr_xai",
    "enforce_zdr_other",
)
OPTIONAL_BOOL_FIELDS = (
    "enforce_zdr",
    *ZDR_FIELDS,
    "enable_free_model_publication",
    "enable_free_model_training",
    "enable_paid_model_training",
    "allow_safety_retention_google",
    "allow_safety_retention_other",
)
# The guardrail request fields, in the order a record lists them (after id).
REQUEST_FIELDS = (
    "name",
    "description",
    "limit_usd",
    "reset_interval",
    "allowed_providers",
    "ignored_providers",
    "allowed_models",
    "ignored_models",
    "allowed_data_regions",
    "content_filters",
    "content_filter_builtins",
    *OPTIONAL_BOOL_FIELDS,
    "include_byok_in_budgets",
)
MAX_PATTERN = 100000
# What the real API refuses in a content filter pattern (guardrails.mdx): each a (detector, reason).
UNSAFE_PATTERNS = (
    (re.compile(r"\(\?<?[=!]"), "lookahead and lookbehind assertions are not supported"),
    (re.compile(r"\\[1-9]|\\k<|\(\?P="), "backreferences are not supported"),
    (re.compile(r"\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)[+*{]"), "nested quantifiers are not supported"),
    (re.compile(r"\(([^()|]+)(?:\|\1)+\)[+*{]"), "repeated identical alternatives are not supported"),
)
# Default guardrail ids are derived from the workspace id: a fixed namespace for uuid5.
DEFAULT_GUARDRAIL_NAMESPACE = uuid.UUID("5b0c3a52-6f1e-4c43-9d0e-2f6f7e0f4a11")


def default_guardrail_id(workspace_id: str) -> str:
    return str(uuid.uuid5(DEFAULT_GUARDRAIL_NAMESPACE, workspace_id))


def default_guardrail_name(workspace_id: str) -> str:
    return f"Workspace {workspace_id} Default"


def _check_description(name: str, value: Any) -> str | None:
    if value is not None and (not isinstance(value, str) or len(value) > 1000):
        raise ApiError(400, f"{name} must be a string of at most 1000 characters, or null")
    return value


def _check_limit_usd(name: str, value: Any) -> float | None:
    if value is not None and (not is_number(value) or value < 0):
        raise ApiError(400, f"{name} must be a number >= 0, or null")
    return None if value is None else float(value)


def _check_reset_interval(name: str, value: Any) -> str | None:
    if value is not None and value not in RESET_INTERVALS:
        raise ApiError(400, f"{name} must be one of {', '.join(RESET_INTERVALS)}, or null")
    return value


def _check_names(name: str, value: Any) -> list[str] | None:
    return None if value is None else check_id_list(name, value)


def _check_regions(name: str, value: Any) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not value or any(region not in DATA_REGIONS for region in value):
        raise ApiError(400, f"{name} must be a non-empty array of {', '.join(DATA_REGIONS)}, or null")
    return value


def _check_pattern(name: str, pattern: Any) -> str:
    if not isinstance(pattern, str) or not 1 <= len(pattern) <= MAX_PATTERN:
        raise ApiError(400, f"{name} must be a string of 1 to {MAX_PATTERN} characters")
    problem = next((why for detector, why in UNSAFE_PATTERNS if detector.search(pattern)), None)
    if problem is None:
        try:
            re.compile(pattern)
        except re.error as error:
            problem = f"syntax error: {error}"
    if problem:
        code = "invalid_regex_pattern"
        raise ApiError(400, f"{code}: {name}: {problem}", metadata={"code": code})
    return pattern


def _check_action(name: str, value: Any) -> str:
    if value not in FILTER_ACTIONS:
        raise ApiError(400, f"{name} must be one of {', '.join(FILTER_ACTIONS)}")
    return value


def _check_entries(name: str, value: Any) -> list[dict[str, Any]] | None:
    if value is not None and (not isinstance(value, list) or not all(isinstance(entry, dict) for entry in value)):
        raise ApiError(400, f"{name} must be an array of objects, or null")
    return value


def _check_content_filters(name: str, value: Any) -> list[dict[str, Any]] | None:
    entries = _check_entries(name, value)
    if entries is None:
        return None
    checked = []
    for index, entry in enumerate(entries):
        label = entry.get("label")
        if label is not None and (not isinstance(label, str) or len(label) > 100):
            raise ApiError(400, f"{name}[{index}].label must be a string of at most 100 characters, or null")
        pattern = _check_pattern(f"{name}[{index}].pattern", entry.get("pattern"))
        checked.append(
            {
                "pattern": pattern,
                "action": _check_action(f"{name}[{index}].action", entry.get("action")),
                "label": label,
            }
        )
    return checked


def _check_builtins(name: str, value: Any) -> list[dict[str, Any]] | None:
    entries = _check_entries(name, value)
    if entries is None:
        return None
    checked, seen = [], set()
    for index, entry in enumerate(entries):
        slug = entry.get("slug")
        if slug not in BUILTIN_LABELS:
            raise ApiError(400, f"{name}[{index}].slug must be one of {', '.join(BUILTIN_LABELS)}")
        if slug in seen:  # the contract is silent on repeats: refused here
            raise ApiError(400, f"{name}[{index}].slug {slug} is listed more than once")
        seen.add(slug)
        scope = entry.get("scan_scope", "all_messages")
        if scope not in SCAN_SCOPES:
            raise ApiError(400, f"{name}[{index}].scan_scope must be one of {', '.join(SCAN_SCOPES)}")
        # The label is system-assigned: one in the request is ignored.
        builtin = {"slug": slug, "action": _check_action(f"{name}[{index}].action", entry.get("action"))}
        builtin["label"] = BUILTIN_LABELS[slug]
        if slug == PROMPT_INJECTION:
            builtin["scan_scope"] = scope
        checked.append(builtin)
    return checked


VALIDATORS: dict[str, Callable[[str, Any], Any]] = {
    "name": lambda name, value: check_text(name, value, 200),
    "description": _check_description,
    "limit_usd": _check_limit_usd,
    "reset_interval": _check_reset_interval,
    "allowed_providers": _check_names,
    "ignored_providers": _check_names,
    "allowed_models": _check_names,
    "ignored_models": _check_names,
    "allowed_data_regions": _check_regions,
    "content_filters": _check_content_filters,
    "content_filter_builtins": _check_builtins,
    **dict.fromkeys(OPTIONAL_BOOL_FIELDS, check_optional_bool),
    "include_byok_in_budgets": check_bool,
}


def _check_limit_pair(limit_usd: Any, reset_interval: Any) -> None:
    if (limit_usd is None) != (reset_interval is None):
        raise ApiError(400, "limit_usd and reset_interval must be provided together")


class GuardrailsMixin:
    """The guardrail and assignment endpoints, mixed into Emulator; uses the workspaces and the models list."""

    _keys: dict[str, dict[str, Any]]
    _members: dict[str, dict[str, Any]]
    _workspaces: dict[str, dict[str, Any]]
    _guardrails: dict[str, dict[str, Any]]  # by id, oldest first
    _key_assignments: dict[str, dict[str, Any]]  # by key hash: a key holds at most one guardrail
    _member_assignments: dict[str, dict[str, Any]]  # by user id, likewise

    def _guardrail_routes(self):
        by_id = r"/guardrails/(?P<id>[^/]+)"
        return (
            route(
                r"/guardrails",
                {
                    "GET": lambda call: self._list_guardrails(call.query),
                    "POST": lambda call: self._create_guardrail(call.json_object()),
                },
                AUTH_MANAGEMENT,
            ),
            route(
                by_id,
                {
                    "GET": lambda call: (200, {"data": self._find_guardrail(call.params["id"])}),
                    "PATCH": lambda call: self._update_guardrail(call.params["id"], call.json_object()),
                    "DELETE": lambda call: self._delete_guardrail(call.params["id"]),
                },
                AUTH_MANAGEMENT,
            ),
            *self._assignment_routes(
                "keys", "key_hashes", self._key_assignment_rows, self._assign_keys, lambda: self._key_assignments
            ),
            *self._assignment_routes(
                "members",
                "member_user_ids",
                self._member_assignment_rows,
                self._assign_members,
                lambda: self._member_assignments,
            ),
        )

    def _assignment_routes(self, kind: str, field: str, rows: Callable, assign: Callable, store: Callable):
        """The organization-wide listing, and the per-guardrail listing, bulk assign and bulk unassign of one kind."""
        by_id = rf"/guardrails/(?P<id>[^/]+)/assignments/{kind}"
        return (
            route(
                rf"/guardrails/assignments/{kind}",
                {"GET": lambda call: (200, page(rows(None), call.query))},
                AUTH_MANAGEMENT,
            ),
            route(
                by_id,
                {
                    "GET": lambda call: self._list_assignments(call, rows),
                    "POST": lambda call: assign(call.params["id"], call.json_object()),
                },
                AUTH_MANAGEMENT,
            ),
            route(by_id + "/remove", {"POST": lambda call: self._unassign(call, field, store())}, AUTH_MANAGEMENT),
        )

    # --- guardrails -------------------------------------------------------------------------------------------

    def _find_guardrail(self, guardrail_id: str) -> dict[str, Any]:
        try:
            return self._guardrails[guardrail_id]
        except KeyError:
            raise ApiError(404, "Guardrail not found") from None

    def _guardrail_fields(self, body: dict[str, Any]) -> dict[str, Any]:
        """The request fields present in body, checked; model lists become canonical slugs, without repeats."""
        fields = {name: VALIDATORS[name](name, body[name]) for name in REQUEST_FIELDS if name in body}
        for name in ("allowed_models", "ignored_models"):
            if fields.get(name) is not None:
                fields[name] = list(dict.fromkeys(self._canonical_model(model) for model in fields[name]))
        if fields.get("enforce_zdr") is not None:
            # The deprecated switch fills each per-provider field the request didn't name.
            fields.update({name: fields["enforce_zdr"] for name in ZDR_FIELDS if body.get(name) is None})
        return fields

    def _list_guardrails(self, query: dict[str, str]) -> tuple[int, Any]:
        if query.get("workspace_id"):
            wanted = {self._body_workspace(query["workspace_id"])}
        else:
            wanted = {DEFAULT_WORKSPACE_ID, None}  # legacy guardrails (workspace_id null) belong to the default
        rows = [record for record in newest_first(self._guardrails) if record["workspace_id"] in wanted]
        return 200, page(rows, query)

    def _body_workspace(self, ref: Any) -> str:
        """The id of the workspace a body or query names by id or slug; an unknown one is a 400."""
        if not isinstance(ref, str) or not ref:
            raise ApiError(400, "workspace_id must be a non-empty string")
        try:
            return self._find_workspace(ref)["id"]
        except ApiError:
            raise ApiError(400, f"Workspace {ref} not found") from None

    def _new_guardrail(self, guardrail_id: str, name: str, workspace_id: str | None) -> dict[str, Any]:
        record = {"id": guardrail_id, **dict.fromkeys(REQUEST_FIELDS)}
        record.update(name=name, include_byok_in_budgets=False, workspace_id=workspace_id)
        record.update(created_at=timestamp(), updated_at=None)
        return record

    def _create_guardrail(self, body: dict[str, Any]) -> tuple[int, Any]:
        if "name" not in body:
            raise ApiError(400, "name is required")
        fields = self._guardrail_fields(body)
        _check_limit_pair(fields.get("limit_usd"), fields.get("reset_interval"))
        if "workspace_id" in body:
            workspace_id = self._body_workspace(body["workspace_id"])
        elif DEFAULT_WORKSPACE_ID in self._workspaces:
            workspace_id = DEFAULT_WORKSPACE_ID
        else:
            raise ApiError(400, "The default workspace has been deleted: pass workspace_id")
        record = self._new_guardrail(new_id(), fields["name"], workspace_id)
        record.update(fields)
        self._guardrails[record["id"]] = record
        return 201, {"data": record}

    def _default_guardrail_workspace(self, guardrail_id: str) -> str | None:
        """The workspace whose default guardrail has this id, if any."""
        return next((ws for ws in self._workspaces if default_guardrail_id(ws) == guardrail_id), None)

    def _update_guardrail(self, guardrail_id: str, body: dict[str, Any]) -> tuple[int, Any]:
        workspace_id = self._default_guardrail_workspace(guardrail_id)
        if guardrail_id not in self._guardrails and workspace_id is None:
            raise ApiError(404, "Guardrail not found")
        fields = self._guardrail_fields(body)
        if not fields:
            raise ApiError(400, "No update fields provided")
        if workspace_id is not None and fields.get("name", default_guardrail_name(workspace_id)) != (
            default_guardrail_name(workspace_id)
        ):
            raise ApiError(400, "A workspace's default guardrail cannot be renamed")
        # The first PATCH of a workspace's default guardrail materialises it.
        current = self._guardrails.get(guardrail_id) or self._new_guardrail(
            guardrail_id, default_guardrail_name(workspace_id), workspace_id
        )
        merged = dict(current, **fields)
        _check_limit_pair(merged["limit_usd"], merged["reset_interval"])  # checked on the result (a choice)
        merged["updated_at"] = timestamp()
        self._guardrails[guardrail_id] = merged
        return 200, {"data": merged}

    def _delete_guardrail(self, guardrail_id: str) -> tuple[int, Any]:
        self._drop_guardrail(self._find_guardrail(guardrail_id)["id"])
        return 200, {"deleted": True}

    def _drop_guardrail(self, guardrail_id: str) -> None:
        """Remove a guardrail and every assignment to it (a materialised default goes back to unmaterialised)."""
        del self._guardrails[guardrail_id]
        for assignments in (self._key_assignments, self._member_assignments):
            for holder in [holder for holder, row in assignments.items() if row["guardrail_id"] == guardrail_id]:
                del assignments[holder]

    # --- assignments ------------------------------------------------------------------------------------------

    def _key_assignment_rows(self, guardrail_id: str | None) -> list[dict[str, Any]]:
        """Key assignments, newest first; the key's name and label are read now, so they are always current."""
        return [
            {
                "id": row["id"],
                "key_hash": key_hash,
                "key_name": self._keys[key_hash]["name"],
                "key_label": self._keys[key_hash]["label"],
                "guardrail_id": row["guardrail_id"],
                "assigned_by": row["assigned_by"],
                "created_at": row["created_at"],
            }
            for key_hash, row in reversed(self._key_assignments.items())
            if guardrail_id in (None, row["guardrail_id"])
        ]

    def _member_assignment_rows(self, guardrail_id: str | None) -> list[dict[str, Any]]:
        return [row for row in newest_first(self._member_assignments) if guardrail_id in (None, row["guardrail_id"])]

    def _list_assignments(self, call, rows: Callable[[str | None], list[dict[str, Any]]]) -> tuple[int, Any]:
        return 200, page(rows(self._find_guardrail(call.params["id"])["id"]), call.query)

    @staticmethod
    def _assign(assignments: dict[str, dict[str, Any]], holders: list[str], guardrail_id: str, extra: Callable) -> int:
        """Give each holder this guardrail, moving it from any other; returns how many didn't hold it already."""
        assigned = 0
        for holder in dict.fromkeys(holders):
            if assignments.get(holder, {}).get("guardrail_id") == guardrail_id:
                continue
            assignments.pop(holder, None)  # re-inserted last, so a moved assignment lists as the newest
            row = {"id": new_id(), "guardrail_id": guardrail_id, "assigned_by": None, "created_at": timestamp()}
            assignments[holder] = dict(extra(holder), **row)
            assigned += 1
        return assigned

    def _assign_keys(self, guardrail_id: str, body: dict[str, Any]) -> tuple[int, Any]:
        guardrail_id = self._find_guardrail(guardrail_id)["id"]
        hashes = check_id_list("key_hashes", body.get("key_hashes"))
        # Unknown hashes are skipped and not counted (the contract is silent).
        known = [key_hash for key_hash in hashes if key_hash in self._keys]
        return 200, {"assigned_count": self._assign(self._key_assignments, known, guardrail_id, lambda _: {})}

    def _assign_members(self, guardrail_id: str, body: dict[str, Any]) -> tuple[int, Any]:
        guardrail_id = self._find_guardrail(guardrail_id)["id"]
        user_ids = check_id_list("member_user_ids", body.get("member_user_ids"))
        known = [user_id for user_id in user_ids if user_id in self._members]

        def extra(user_id: str) -> dict[str, Any]:
            return {"user_id": user_id, "organization_id": ORGANIZATION_ID}

        return 200, {"assigned_count": self._assign(self._member_assignments, known, guardrail_id, extra)}

    def _unassign(self, call, field: str, assignments: dict[str, dict[str, Any]]) -> tuple[int, Any]:
        """Remove the holders' assignments to this guardrail; counts only those that held it."""
        guardrail_id = self._find_guardrail(call.params["id"])["id"]
        holders = check_id_list(field, call.json_object().get(field))
        held = [
            holder
            for holder in dict.fromkeys(holders)
            if assignments.get(holder, {}).get("guardrail_id") == guardrail_id
        ]
        for holder in held:
            del assignments[holder]
        return 200, {"unassigned_count": len(held)}
