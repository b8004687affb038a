# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: api_keys_plan
short_description: Decide which keys of a list need a change
version_added: 0.1.0
description:
  - Compares a list of desired keys with the keys that exist, using the same reconciler as
    M(openrouter.provisioning.openrouter_key), and returns only the keys that need a change.
  - The role C(openrouter.provisioning.api_keys) uses it to call the module only where needed.
  - It sends no request and never sees a secret.
author:
  - openrouter.provisioning developers (@openrouter-provisioning)
positional: desired, exclusive
options:
  _input:
    description: The existing keys, as RV(openrouter.provisioning.openrouter_key_info#module:api_keys) returns them.
    type: list
    elements: dict
    required: true
  desired:
    description:
      - The desired keys. Each item has O(openrouter.provisioning.openrouter_key#module:name) and optionally
        C(state), C(limit), C(limit_reset), C(include_byok_in_limit), C(disabled), C(expires_at), C(recreate) and
        C(guardrail), with the meanings they have in M(openrouter.provisioning.openrouter_key).
      - Every item is checked before any is planned. A bad item, or a name given twice, fails with a message that names
        each bad item by its index (as C(openrouter_api_keys[N])), its name and the field.
    type: list
    elements: dict
    required: true
  exclusive:
    description:
      - Whether every existing key whose name is not in O(desired) and matches O(exclusive_scope) is to be deleted.
      - With an empty O(desired), the filter fails unless O(exclusive_allow_empty) is true.
    type: bool
    default: false
  exclusive_scope:
    description:
      - A shell-style pattern (C(*), C(?), C([seq]), case-sensitive) that an unlisted key's name must match for
        O(exclusive) to delete it, for example V(cust-*). Keys outside it are never deleted.
    type: str
    default: "*"
  exclusive_allow_empty:
    description: Let O(exclusive) with an empty O(desired) delete every key in O(exclusive_scope).
    type: bool
    default: false
  max_deletes:
    description:
      - The most keys the plan may delete (the items with C(state=absent) and the deletions of O(exclusive)).
        A plan with more fails, listing them by name and hash.
    type: int
    default: 10
  secrets_dir:
    description:
      - The directory (on the controller, where the filter runs) of the secret files, one per key name, named by
        C(file_name_for) of the collection's C(secret_files) module utility (for example C(ci.key), C(team%2fci.key)).
      - When set, the filter checks the directory (it must be the current user's and writable by no one else, or not
        exist yet with a writable parent), refuses names whose files would differ only in case, gives each create,
        replace and delete the C(secret_file) option, and looks for the secret file of every existing listed key.
      - A key that exists, needs no create, and has no secret file gives an entry with action V(missing_secret), or
        with O(rotate_missing) a V(replace).
      - Duplicate names give an entry with action V(fail) whose C(hashes) say which key's secret the file holds
        (found by the key's C(label)).
    type: str
    default: ""
  return_secrets:
    description:
      - Allow creates and replaces without O(secrets_dir), whose secrets then only come back in the module results.
        Without either, a plan that creates a key fails before any request.
    type: bool
    default: false
  rotate_missing:
    description: Replace (rotate) the listed keys whose secret file is missing in O(secrets_dir).
    type: bool
    default: false
  max_rotations:
    description: The most keys O(rotate_missing) may rotate in one plan; more fails, listing them.
    type: int
    default: 5
  guardrails:
    description:
      - The guardrails of the keys' workspace, as
        RV(openrouter.provisioning.openrouter_guardrail_info#module:guardrails) returns them, to find the guardrail
        that each item's C(guardrail) names by id or by name. An item whose C(guardrail) matches none of them, or
        several, fails the plan before any change, naming the item.
      - When not given, each C(guardrail) is taken as an id as it is written.
      - When an item gives C(guardrail), O(_input) must come from M(openrouter.provisioning.openrouter_key_info) with
        O(openrouter.provisioning.openrouter_key_info#module:include_guardrail=true), so that each key carries
        C(guardrail_id). A key whose C(guardrail_id) is the one wanted needs no change; an empty C(guardrail) wants
        none.
    type: list
    elements: dict
    version_added: 0.2.0
  check_only:
    description:
      - Only check O(desired) and the settings, everything that needs no existing key, and return an empty list.
        O(_input) is not read.
      - The role C(openrouter.provisioning.api_keys) does this before any request, so that a bad item fails before
        the keys are read; the checks that need the existing keys (the secrets rule of a create, duplicates,
        O(max_deletes), O(max_rotations)) wait for the plan.
    type: bool
    default: false
    version_added: 0.2.0
"""

EXAMPLES = r"""
- name: Work out what must change
  ansible.builtin.set_fact:
    key_changes: "{{ existing.api_keys | openrouter.provisioning.api_keys_plan(wanted_keys, exclusive=true) }}"
"""

RETURN = r"""
_value:
  description:
    - One entry per key that needs a change or attention, in the order of O(desired), then the deletions of
      O(exclusive).
    - Each has C(name), C(action), C(diff) (C(before) and C(after)), C(options), the options to pass to
      M(openrouter.provisioning.openrouter_key) (with C(hash) for a key that exists), and C(line), the entry as one
      line of text (action, name, hash, and what changes).
    - For an item that gives C(guardrail), C(diff) has C(guardrail_id), and C(options) has C(guardrail) (the id, or
      an empty string to remove the key from its guardrail) only when the key's guardrail must change, so that the
      module reads the assignments only then.
    - The actions V(create), V(update), V(replace) and V(delete) are to be applied. V(fail) (several keys bear the
      name; C(reason) and C(hashes)) and V(missing_secret) (its C(secret_file) is missing) are reported, not applied.
    - The deletions of O(exclusive) also have C(exclusive=true), which tells them from the entries of O(desired).
  type: list
  elements: dict
"""

import os
from collections.abc import Mapping
from fnmatch import fnmatchcase

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.openrouter.provisioning.plugins.module_utils.errors import PlanError
from ansible_collections.openrouter.provisioning.plugins.module_utils.key_resource import (
    KEY,
    ROLE_ITEM_FIELDS,
    role_item_spec,
)
from ansible_collections.openrouter.provisioning.plugins.module_utils.reconcile import Plan, plan
from ansible_collections.openrouter.provisioning.plugins.module_utils.secret_files import (
    SecretFileError,
    case_collisions,
    check_secrets_dir,
    file_name_for,
    secret_path,
)

ITEM_SPEC = role_item_spec()
ITEM_VALIDATOR = ArgumentSpecValidator(ITEM_SPEC)
# One validator per field, to name the field of each error: the validator's own messages don't.
FIELD_VALIDATORS = dict(
    (field, ArgumentSpecValidator({field: dict(ITEM_SPEC[field], required=False)})) for field in ITEM_SPEC
)


def _field_problem(field, value):
    """The message for a field whose value the item spec refuses, naming the field and what it takes."""
    spec = ITEM_SPEC[field]
    if spec.get("choices"):
        return "%s must be one of %s, got %r." % (field, ", ".join(spec["choices"]), value)
    if spec["type"] == "bool":
        return "%s must be true or false, got %r." % (field, value)
    return "%s must be of type %s, got %r." % (field, spec["type"], value)


def _checked_item(item):
    """Return (the given fields, checked and converted by the item's argument spec, list of problems)."""
    given = dict((field, value) for field, value in item.items() if value is not None)
    problems = []
    unknown = sorted(str(field) for field in set(item) - set(ITEM_SPEC))
    if unknown:
        problems.append("unknown field(s) %s; the fields are %s." % (", ".join(unknown), ", ".join(ROLE_ITEM_FIELDS)))
    if not isinstance(item.get("name"), str) or not item["name"].strip():
        problems.append("name is required and must be a non-empty string.")
        given.pop("name", None)
    known = dict((field, value) for field, value in given.items() if field in ITEM_SPEC)
    validated = ITEM_VALIDATOR.validate(known)
    if not validated.error_messages:
        return dict((field, validated.validated_parameters[field]) for field in known), problems
    checked = {}
    for field, value in known.items():
        one = FIELD_VALIDATORS[field].validate({field: value})
        if one.error_messages:
            problems.append(_field_problem(field, value))
        else:
            checked[field] = one.validated_parameters[field]
    return checked, problems


def _stored_hash(path, records):
    """The hash of the one record whose label masks the secret stored at `path`, or None (no file, or no match)."""
    try:
        with open(path) as handle:
            secret = handle.read().strip()
    except OSError:
        return None
    found = []
    for record in records:
        head, dots, tail = str(record.get("label") or "").partition("...")
        if dots and secret.startswith(head) and secret.endswith(tail):
            found.append(record["hash"])
    return found[0] if len(found) == 1 else None


def _duplicates(label, name, matches, secrets_dir):
    """The failure entry of a listed name that several keys bear: their hashes, and which one's secret is stored."""
    stored = _stored_hash(secret_path(secrets_dir, name), matches) if secrets_dir else None
    hashes = [{"hash": record["hash"], "secret_stored": record["hash"] == stored} for record in matches]
    where = " The secret file holds the secret of %s." % stored if stored else ""
    return {
        "name": name,
        "action": "fail",
        "diff": {"before": {}, "after": {}},
        "options": {},
        "hashes": hashes,
        "reason": "%s: %d keys bear this name: %s.%s Delete the extra keys (openrouter_key with hash and"
        " state: absent), then run again."
        % (label, len(matches), ", ".join(record["hash"] for record in matches), where),
        "line": "%-14s %s: %d keys bear this name (%s)"
        % ("fail", name, len(matches), ", ".join(record["hash"] for record in matches)),
    }


def _setting(name, value, check):
    """`value` converted by `check` (bool, or int for a whole number of 0 or more), or raise naming the variable."""
    if check is bool:
        try:
            return boolean(value, strict=True)
        except TypeError:
            pass
    elif isinstance(value, str) and value.strip().isdigit():
        return int(value)
    elif isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    kind = "true or false" if check is bool else "a whole number of 0 or more"
    raise AnsibleFilterError("openrouter_api_keys_%s must be %s, got %r." % (name, kind, value))


def _refuse_case_collisions(names, secrets_dir):
    clashes = case_collisions(names)
    if clashes:
        raise AnsibleFilterError(
            "Keys %s would have secret files in %s whose names differ only in case (%s), which a case-insensitive"
            " filesystem (macOS, Windows) takes for one file. Rename all but one of each group, or keep them in"
            " separate runs with separate secrets directories."
            % (
                "; ".join(" and ".join(repr(name) for name in group) for group in clashes),
                secrets_dir,
                "; ".join(" and ".join(file_name_for(name) for name in group) for group in clashes),
            )
        )


def _check_items(desired):
    """Check every item first, so that one failure names every bad item; return [(label, item, wanted)]."""
    checked, errors, seen = [], [], {}
    for index, item in enumerate(desired):
        if not isinstance(item, Mapping):
            errors.append(
                "openrouter_api_keys[%d]: each item must be a dictionary with a name, got %r." % (index, item)
            )
            continue
        label = "openrouter_api_keys[%d] (%s)" % (index, item.get("name"))
        item, problems = _checked_item(item)
        try:
            wanted = KEY.desired(item)
        except PlanError as exc:
            problems.extend(exc.problems)
        if isinstance(item.get("name"), str) and item["name"] in seen:
            problems.append(
                "the name is also given by openrouter_api_keys[%d]; each name must be unique." % seen[item["name"]]
            )
        if problems:
            errors.append("%s: %s" % (label, " ".join(problems)))
        else:
            seen[item["name"]] = index
            checked.append((label, item, wanted))
    return checked, errors


def _line(entry, names):
    """One line of the plan table: the action, the name, the hash of a key that exists, and what changes.

    names: {guardrail id: its name}, to show a guardrail as its name and id."""

    def shown(field, value):
        return "%s (%s)" % (names[value], value) if field == "guardrail_id" and value in names else value

    before, after = entry["diff"]["before"], entry["diff"]["after"]
    if entry["action"] == "update":
        detail = ", ".join(
            "%s %s -> %s" % (field, shown(field, before.get(field)), shown(field, after[field]))
            for field in after
            if field != "name" and before.get(field) != after[field]
        )
    elif entry["action"] == "create":
        detail = ", ".join("%s %s" % (field, shown(field, value)) for field, value in after.items() if field != "name")
    elif entry["action"] == "missing_secret":
        detail = "no secret file %s" % entry["secret_file"]
    else:
        detail = ""
    hash_ = entry["options"].get("hash")
    return "%-14s %s%s%s" % (
        entry["action"],
        entry["name"],
        " (%s)" % hash_ if hash_ else "",
        ": " + detail if detail else "",
    )


def _entry(name, step, options, action=None, names=None, **extra):
    entry = {"name": name, "action": action or step.action, "diff": step.diff}
    entry.update(extra)
    entry["options"] = options
    entry["line"] = _line(entry, names or {})
    return entry


def _wanted_guardrails(checked, guardrails):
    """{name: the guardrail id each present item that gives guardrail wants, None for none}; raises naming every
    item whose guardrail matches no guardrail of `guardrails`, or several."""
    wanted, errors = {}, []
    for label, item, _wanted in checked:
        ref = item.get("guardrail")
        if ref is None or (item.get("state") or "present") != "present":
            continue
        if not ref or guardrails is None:
            wanted[item["name"]] = ref or None
            continue
        matches = [
            guardrail.get("id") for guardrail in guardrails if ref in (guardrail.get("id"), guardrail.get("name"))
        ]
        if len(matches) == 1:
            wanted[item["name"]] = matches[0]
        else:
            errors.append(
                "%s: guardrail %r matches %s of the keys' workspace. Give the id or the exact name of one guardrail"
                " there (openrouter_guardrail creates one), or an empty string for none."
                % (label, ref, "the guardrails %s" % ", ".join(matches) if matches else "no guardrail")
            )
    if errors:
        raise AnsibleFilterError(" ".join(errors))
    return wanted


def _under_guardrail(step, current, wanted, options):
    """The step with the key's guardrail in its diff (an update where only the guardrail differs), and
    options["guardrail"] set only when the module has to change the guardrail: for a new key, when it wants one."""
    held = current.get("guardrail_id") if current and step.action != "create" else None
    before, after = dict(step.before), dict(step.after, guardrail_id=wanted)
    if step.action != "create":
        before["guardrail_id"] = held
    elif wanted is None:
        after.pop("guardrail_id")
    if wanted == held and step.action != "replace":
        return Plan(step.action, before, after, step.body, step.patch)
    if wanted is not None or step.action != "replace":
        options["guardrail"] = wanted or ""
    return Plan("update" if step.action == "none" else step.action, before, after, step.body, step.patch)


def api_keys_plan(
    existing,
    desired,
    exclusive=False,
    secrets_dir="",
    return_secrets=False,
    rotate_missing=False,
    max_rotations=5,
    max_deletes=10,
    exclusive_scope="*",
    exclusive_allow_empty=False,
    guardrails=None,
    check_only=False,
):
    checked, errors = _check_items(desired)
    try:
        # A string such as "false" from --extra-vars must not switch deletions on.
        exclusive = exclusive is not None and boolean(exclusive, strict=True)
    except TypeError:
        errors.append("exclusive must be true or false, got %r." % (exclusive,))
    if errors:
        raise AnsibleFilterError(" ".join(errors))
    return_secrets = _setting("return_secrets", return_secrets, bool)
    rotate_missing = _setting("rotate_missing", rotate_missing, bool)
    max_rotations = _setting("max_rotations", max_rotations, int)
    max_deletes = _setting("max_deletes", max_deletes, int)
    exclusive_allow_empty = _setting("exclusive_allow_empty", exclusive_allow_empty, bool)
    if not isinstance(exclusive_scope, str) or not exclusive_scope:
        raise AnsibleFilterError(
            "openrouter_api_keys_exclusive_scope must be a non-empty name pattern such as 'cust-*', got %r."
            % (exclusive_scope,)
        )
    if exclusive and not desired and not exclusive_allow_empty:
        raise AnsibleFilterError(
            "openrouter_api_keys is empty and openrouter_api_keys_exclusive is true, which would delete every key"
            " whose name matches %r. If that is meant, also set openrouter_api_keys_exclusive_allow_empty: true;"
            " otherwise check the variable that fills openrouter_api_keys." % exclusive_scope
        )
    if secrets_dir:
        # The module may run in another directory: every secret_file is absolute, and the same as checked here.
        secrets_dir = os.path.abspath(os.path.expanduser(secrets_dir))
        _refuse_case_collisions([item["name"] for label, item, wanted in checked], secrets_dir)
        try:
            check_secrets_dir(secrets_dir, "set openrouter_api_keys_secrets_dir to a directory of your own")
        except SecretFileError as exc:
            raise AnsibleFilterError("openrouter_api_keys_secrets_dir: %s" % exc) from None
    if guardrails is not None and (
        not isinstance(guardrails, list) or not all(isinstance(guardrail, Mapping) for guardrail in guardrails)
    ):
        raise AnsibleFilterError(
            "guardrails must be the list of guardrails openrouter_guardrail_info returns, got %r." % (guardrails,)
        )
    wanted_guardrails = _wanted_guardrails(checked, guardrails)
    if check_only:
        return []
    if wanted_guardrails and any("guardrail_id" not in record for record in existing):
        raise AnsibleFilterError(
            "%s give guardrail, but the existing keys carry no guardrail_id: read them with openrouter_key_info and"
            " include_guardrail: true."
            % ", ".join(label for label, item, wanted in checked if item["name"] in wanted_guardrails)
        )
    names = dict((guardrail.get("id"), guardrail.get("name")) for guardrail in guardrails or [])
    by_name = {}
    for record in existing:
        by_name.setdefault(record.get("name"), []).append(record)
    changes, rotations, unkept = [], [], []
    for label, item, wanted in checked:
        name = item["name"]
        matches = by_name.get(name, [])
        if len(matches) > 1:
            changes.append(_duplicates(label, name, matches, secrets_dir))
            continue
        current = matches[0] if matches else None
        state = item.get("state") or "present"
        step = plan(KEY, current, wanted, state, item.get("recreate") or "never")
        if step.action == "fail":
            raise AnsibleFilterError("%s: %s" % (label, step.reason))
        options = dict(item)
        options.pop("guardrail", None)
        if current:
            options["hash"] = current["hash"]
        path = secret_path(secrets_dir, name) if secrets_dir else None
        if path and current and state == "present" and step.action in ("none", "update") and not os.path.lexists(path):
            if not rotate_missing:
                # Reported, and an update still runs: it keeps no secret.
                changes.append(_entry(name, step, dict(options), "missing_secret", names, secret_file=path))
            else:
                rotations.append(name)
                options["recreate"] = "always"
                step = plan(KEY, current, wanted, state, "always")
        if name in wanted_guardrails:
            step = _under_guardrail(step, current, wanted_guardrails[name], options)
        if step.action in ("create", "replace"):
            unkept.append(label)
        if path and step.action in ("create", "replace", "delete"):
            options["secret_file"] = path
        if step.changed:
            changes.append(_entry(name, step, options, names=names))
    if unkept and not secrets_dir and not return_secrets:
        raise AnsibleFilterError(
            "%s would create a key, and with no openrouter_api_keys_secrets_dir its secret would live only in a fact"
            " of this run, lost if the run is interrupted. Set openrouter_api_keys_secrets_dir to have each secret"
            " written to a file the moment its key exists, or set openrouter_api_keys_return_secrets: true to accept"
            " that risk." % ", ".join(unkept)
        )
    if len(rotations) > max_rotations:
        raise AnsibleFilterError(
            "%d keys have no secret file in %s (%s); openrouter_api_keys_rotate_missing would rotate them, but one run"
            " may rotate at most %d (openrouter_api_keys_max_rotations). Raise openrouter_api_keys_max_rotations to %d,"
            " or restore the files."
            % (len(rotations), secrets_dir, ", ".join(rotations), max_rotations, len(rotations))
        )
    if exclusive:
        listed = set(item["name"] for item in desired)
        for record in existing:
            name = record.get("name")
            if name not in listed and fnmatchcase(str(name), exclusive_scope):
                options = {"hash": record["hash"], "state": "absent"}
                if secrets_dir and isinstance(name, str) and name:
                    options["secret_file"] = secret_path(secrets_dir, name)
                changes.append(_entry(name, plan(KEY, record, {}, "absent"), options, exclusive=True))
    deletes = [change for change in changes if change["action"] == "delete"]
    if len(deletes) > max_deletes:
        raise AnsibleFilterError(
            "The plan deletes %d keys (%s), more than openrouter_api_keys_max_deletes (%d). Check openrouter_api_keys"
            " and openrouter_api_keys_exclusive_scope; if the deletes are meant, raise openrouter_api_keys_max_deletes"
            " to %d."
            % (
                len(deletes),
                ", ".join("%s (%s)" % (d["name"], d["options"]["hash"]) for d in deletes),
                max_deletes,
                len(deletes),
            )
        )
    if secrets_dir:
        _refuse_case_collisions(
            [item["name"] for label, item, wanted in checked]
            + [d["name"] for d in deletes if isinstance(d["name"], str) and d["name"]],
            secrets_dir,
        )
    return changes


class FilterModule(object):
    def filters(self):
        return {"api_keys_plan": api_keys_plan}
