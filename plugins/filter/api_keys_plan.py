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
  - The role M(openrouter.provisioning.api_keys) uses it to call the module only where needed.
  - It sends no request and never sees a secret.
author:
  - openrouter.provisioning developers
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

from ansible.errors import AnsibleFilterError

from ansible_collections.openrouter.provisioning.plugins.module_utils.reconcile import desired_problems, plan

ITEM_OPTIONS = ("name", "state", "limit", "limit_reset", "include_byok_in_limit", "disabled", "expires_at", "recreate")


def api_keys_plan(existing, desired, exclusive=False):
    by_name = {}
    for record in existing:
        by_name.setdefault(record.get("name"), []).append(record)
    changes = []
    for index, item in enumerate(desired):
        label = "openrouter_api_keys[%d] (%s)" % (index, item.get("name"))
        unknown = sorted(set(item) - set(ITEM_OPTIONS))
        wanted, problems = desired_problems(item)
        if unknown:
            problems.append("unknown field(s) %s; the fields are %s." % (", ".join(unknown), ", ".join(ITEM_OPTIONS)))
        if not item.get("name"):
            problems.append("name is required.")
        if problems:
            raise AnsibleFilterError("%s: %s" % (label, " ".join(problems)))
        matches = by_name.get(item["name"], [])
        if len(matches) > 1:
            raise AnsibleFilterError("%s: %d keys bear this name: %s. Delete the extra keys first." % (
                label, len(matches), ", ".join(record["hash"] for record in matches)))
        current = matches[0] if matches else None
        step = plan(current, wanted, item.get("state", "present"), item.get("recreate", "never"))
        if step.action == "fail":
            raise AnsibleFilterError("%s: %s" % (label, step.reason))
        if step.changed:
            options = dict(item, hash=current["hash"]) if current else dict(item)
            changes.append({"name": item["name"], "action": step.action, "diff": {"before": step.before, "after": step.after},
                            "options": options})
    if exclusive:
        listed = set(item["name"] for item in desired)
        for record in existing:
            if record.get("name") not in listed:
                step = plan(record, {}, "absent")
                changes.append({"name": record.get("name"), "action": "delete",
                                "diff": {"before": step.before, "after": step.after},
                                "options": {"hash": record["hash"], "state": "absent"}})
    return changes


class FilterModule(object):
    def filters(self):
        return {"api_keys_plan": api_keys_plan}
