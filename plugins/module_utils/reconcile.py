# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure planning for one key: from the current record and the desired options to a plan. No I/O here."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math
import re
from datetime import datetime, timezone

# Fields a PATCH can change, and fields only a new key can change.
MANAGED = ("name", "disabled", "limit", "limit_reset", "include_byok_in_limit")
FIXED = ("expires_at", "creator_user_id", "workspace_id")
FIELDS = MANAGED + FIXED
LIMIT_RESETS = ("daily", "weekly", "monthly", "never")
HASH_PATTERN = re.compile(r"^[0-9a-fA-F]{64}$")
EXPIRES_AT_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
# What OpenRouter gives a new key for each field its create request leaves out.
NEW_KEY_DEFAULTS = {
    "hash": None,
    "disabled": False,
    "limit": None,
    "limit_reset": None,
    "include_byok_in_limit": False,
    "expires_at": None,
    "creator_user_id": None,
}
# Shown in a diff where the new key's hash is only known once it is created.
NEW_HASH = "(new key)"


class Plan:
    """What to do about one key. action is one of none, create, update, replace, delete, fail."""

    def __init__(self, action, before=None, after=None, create=None, patch=None, reason=None):
        self.action = action
        self.before = before or {}
        self.after = after or {}
        self.create = create
        self.patch = patch
        self.reason = reason

    @property
    def changed(self):
        return self.action in ("create", "update", "replace", "delete")

    def __repr__(self):
        return "Plan(%s)" % ", ".join("%s=%r" % item for item in sorted(vars(self).items()) if item[1])


def normalize_limit(value):
    """Return the limit as the API stores it: a float, or None for unlimited. Raises ValueError with the fix."""
    if value is None or (isinstance(value, str) and value.strip().lower() == "unlimited"):
        return None
    if isinstance(value, bool):
        raise ValueError("limit must be a number of USD (0 or more) or 'unlimited', got %r." % value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError("limit must be a number of USD (0 or more) or 'unlimited', got %r." % value)
    if math.isnan(number) or math.isinf(number) or number < 0:
        raise ValueError("limit must be a number of USD (0 or more) or 'unlimited', got %r." % value)
    return number


def normalize_limit_reset(value):
    """'never' and null mean the same thing to the API: no reset."""
    if value is None or value == "never":
        return None
    if value not in LIMIT_RESETS:
        raise ValueError("limit_reset must be one of %s, got %r." % (", ".join(LIMIT_RESETS), value))
    return value


def normalize_expires_at(value):
    """Return an ISO 8601 timestamp as UTC 'YYYY-MM-DDTHH:MM:SSZ', the only form OpenRouter accepts.

    Offsets are converted to UTC and a missing seconds part becomes :00. A date alone or a time without an offset
    is ambiguous and rejected.
    """
    if value is None:
        return None
    text = str(value).strip()
    problem = (
        "expires_at must be an ISO 8601 timestamp with a time zone, such as 2027-12-31T23:59:59Z "
        "or 2027-12-31T23:59:59+02:00, got %r." % value
    )
    try:
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    except ValueError:
        raise ValueError(problem)
    if moment.tzinfo is None or "T" not in text.upper():
        raise ValueError(problem)
    return moment.astimezone(timezone.utc).replace(microsecond=0).strftime(EXPIRES_AT_FORMAT)


def desired_problems(params):
    """Check the key options; return (normalised desired fields, list of problems). Only given options are managed."""
    desired = {}
    problems = []
    normalizers = {"limit": normalize_limit, "limit_reset": normalize_limit_reset, "expires_at": normalize_expires_at}
    for field in FIELDS:
        value = params.get(field)
        if value is None:
            continue
        try:
            desired[field] = normalizers[field](value) if field in normalizers else value
        except ValueError as exc:
            problems.append(str(exc))
    for field in ("name", "creator_user_id", "workspace_id"):
        if field in desired and not str(desired[field]).strip():
            problems.append("%s must not be empty; leave the option out instead." % field)
    return desired, problems + hash_problems(params.get("hash"))


def hash_problems(key_hash):
    """A malformed hash would only earn a 404; say what is wrong before any request."""
    if key_hash is None or HASH_PATTERN.match(key_hash):
        return []
    return ["hash must be the 64 hexadecimal characters OpenRouter returns as a key's hash, got %r." % key_hash]


def view(record, fields=FIELDS):
    """The fields of a key record that planning compares, in the normalised form the desired options use."""
    shown = {}
    for field in fields:
        value = record.get(field)
        if field == "limit":
            value = None if value is None else float(value)
        elif field == "expires_at" and value:
            value = normalize_expires_at(value)
        elif field == "disabled" or field == "include_byok_in_limit":
            value = bool(value)
        shown[field] = value
    return shown


def _differs(field, current, wanted):
    if field == "limit" and current is not None and wanted is not None:
        return not math.isclose(current, wanted, rel_tol=0, abs_tol=1e-9)
    return current != wanted


def _create_body(fields):
    """The POST body for a new key: every field POST accepts that has a value ('disabled' needs a PATCH after)."""
    return dict((field, value) for field, value in fields.items() if field != "disabled" and value is not None)


def plan(current, desired, state="present", recreate="never", key_hash=None):
    """Plan how to make `current` (a key record, or None when there is no such key) match `desired`.

    `desired` holds only the options the user gave, normalised by desired_problems(); other fields are left alone.
    `key_hash` is the hash the user looked the key up by, if any.
    """
    if state == "absent":
        if current is None:
            return Plan("none")
        return Plan("delete", before=view(current))
    if current is None:
        if key_hash:
            return Plan(
                "fail",
                reason="No key with hash %s exists. The module never creates a key in place of a given "
                "hash; leave hash out to create a key by name." % key_hash,
            )
        return Plan(
            "create",
            after=dict(desired),
            create=_create_body(desired),
            patch={"disabled": True} if desired.get("disabled") else None,
        )
    now = view(current)
    wanted = dict((field, value) for field, value in desired.items() if _differs(field, now[field], value))
    fixed = [field for field in FIXED if field in wanted]
    before = dict((field, now[field]) for field in desired)
    if recreate == "always" or (fixed and recreate == "on_change"):
        # The new key inherits every setting of the old one that the user didn't give.
        merged = dict(now, **desired)
        return Plan(
            "replace",
            before=dict(before, hash=current.get("hash")),
            after=dict(desired, hash=NEW_HASH),
            create=_create_body(merged),
            patch={"disabled": True} if merged["disabled"] else None,
        )
    if fixed:
        return Plan(
            "fail",
            reason="%s can't be changed on an existing key (%s). Set recreate=on_change to replace the "
            "key with a new one, or change the option back."
            % (
                ", ".join(fixed),
                "; ".join("%s is %r, wanted %r" % (field, now[field], wanted[field]) for field in fixed),
            ),
        )
    if not wanted:
        return Plan("none", before=before, after=before)
    return Plan("update", before=before, after=dict(before, **wanted), patch=wanted)


def apply_plan(current, step):
    """The record the API should hold after the plan: used to predict results in check mode, and to test plans."""
    if step.action == "delete":
        return None
    if step.action in ("none", "fail"):
        return current
    record = dict(current) if step.action == "update" else dict(NEW_KEY_DEFAULTS)
    record.update(step.create or {})
    record.update(step.patch or {})
    return record
