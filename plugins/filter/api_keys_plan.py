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
        C(state), C(limit), C(limit_reset), C(include_byok_in_limit), C(disabled), C(expires_at) and C(recreate),
        with the meanings they have in M(openrouter.provisioning.openrouter_key).
      - Every item is checked before any is planned. A bad item, or a name given twice, fails with a message that names
        each bad item by its index (as C(openrouter_api_keys[N])), its name and the field.
    type: list
    elements: dict
    required: true
  exclusive:
    description: Whether every existing key whose name is not in O(desired) is to be deleted.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Work out what must change
  ansible.builtin.set_fact:
    key_changes: "{{ existing.api_keys | openrouter.provisioning.api_keys_plan(wanted_keys, exclusive=true) }}"
"""

RETURN = r"""
_value:
  description:
    - One entry per key that needs a change, in the order of O(desired), then the deletions of O(exclusive).
    - Each has C(name), C(action) (V(create), V(update), V(replace) or V(delete)), C(diff) (C(before) and C(after)),
      and C(options), the options to pass to M(openrouter.provisioning.openrouter_key), with C(hash) for a key that exists.
  type: list
  elements: dict
"""

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.openrouter.provisioning.plugins.module_utils.errors import PlanError
from ansible_collections.openrouter.provisioning.plugins.module_utils.keys import KEY, ROLE_ITEM_FIELDS, role_item_spec
from ansible_collections.openrouter.provisioning.plugins.module_utils.reconcile import plan

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


def api_keys_plan(existing, desired, exclusive=False):
    # Check every item first, so that one failure names every bad item.
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
    try:
        # A string such as "false" from --extra-vars must not switch deletions on.
        exclusive = exclusive is not None and boolean(exclusive, strict=True)
    except TypeError:
        errors.append("exclusive must be true or false, got %r." % (exclusive,))
    if errors:
        raise AnsibleFilterError(" ".join(errors))
    by_name = {}
    for record in existing:
        by_name.setdefault(record.get("name"), []).append(record)
    changes = []
    for label, item, wanted in checked:
        matches = by_name.get(item["name"], [])
        if len(matches) > 1:
            raise AnsibleFilterError(
                "%s: %d keys bear this name: %s. Delete the extra keys first."
                % (label, len(matches), ", ".join(record["hash"] for record in matches))
            )
        current = matches[0] if matches else None
        step = plan(KEY, current, wanted, item.get("state") or "present", item.get("recreate") or "never")
        if step.action == "fail":
            raise AnsibleFilterError("%s: %s" % (label, step.reason))
        if step.changed:
            options = dict(item)
            if current:
                options["hash"] = current["hash"]
            changes.append(
                {
                    "name": item["name"],
                    "action": step.action,
                    "diff": {"before": step.before, "after": step.after},
                    "options": options,
                }
            )
    if exclusive:
        listed = set(item["name"] for item in desired)
        for record in existing:
            if record.get("name") not in listed:
                step = plan(KEY, record, {}, "absent")
                changes.append(
                    {
                        "name": record.get("name"),
                        "action": "delete",
                        "diff": {"before": step.before, "after": step.after},
                        "options": {"hash": record["hash"], "state": "absent"},
                    }
                )
    return changes


class FilterModule(object):
    def filters(self):
        return {"api_keys_plan": api_keys_plan}
