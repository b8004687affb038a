#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: openrouter_key_info
short_description: Read OpenRouter API keys and the metadata of the key in use
version_added: 0.1.0
description:
  - Lists OpenRouter API keys, reading every page of the list, or reads one key by its hash.
  - With O(current=true), also returns the metadata of the key the module authenticates with.
  - It never changes anything and never returns a key's secret, which OpenRouter shows only once, at creation.
author:
  - openrouter.provisioning developers (@openrouter-provisioning)
extends_documentation_fragment:
  - openrouter.provisioning.connection
  - openrouter.provisioning.key_listing
  - openrouter.provisioning.connection.ACTION_GROUP
  - openrouter.provisioning.attributes
  - openrouter.provisioning.attributes.INFO_MODULE
  - openrouter.provisioning.in_process
options:
  hash:
    description:
      - Read only the key with this hash, with one request. If there is no such key, RV(api_keys) is empty.
    type: str
  name:
    description:
      - Return only keys with exactly this name. Several keys can share a name; all of them are returned.
    type: str
  name_prefix:
    description:
      - Return only keys whose name starts with this text, compared literally and case-sensitively.
      - For example V(ci-) matches C(ci-pipeline) and C(ci-nightly), but not C(CI-pipeline).
    type: str
  name_pattern:
    description:
      - Return only keys whose name matches this Python regular expression (C(re.search), so it may match anywhere in
        the name; anchor it with C(^) and C($) to match the whole name).
      - An invalid expression fails before any request.
      - O(name), O(name_prefix) and O(name_pattern) can be combined; a key must pass each one given.
      - The filters apply after reading every page of the list, as OpenRouter can't filter keys by name.
    type: str
  include_guardrail:
    description:
      - Add C(guardrail_id) to each key in RV(api_keys), the id of the guardrail the key holds, or V(null).
      - This costs one more listing, paged, of the organization's key assignments
        (C(GET /guardrails/assignments/keys)), whatever the number of keys, and none when no key matches.
      - The role C(openrouter.provisioning.api_keys) reads its keys this way when one of its items gives C(guardrail).
    type: bool
    default: false
    version_added: 0.2.0
  current:
    description:
      - Also return RV(current), the metadata of the key in use (C(GET /key)).
      - This works with any key. With an ordinary key (not a management key), set O(list=false), because listing keys
        needs a management key and OpenRouter answers it with HTTP 403.
    type: bool
    default: false
  list:
    description:
      - Whether to read keys into RV(api_keys). Set V(false) with O(current=true) to read only the current key.
    type: bool
    default: true
notes:
  - Listing or reading keys with a key that is not a management key fails with HTTP 403 and a message that says to use a
    management key.
seealso:
  - module: openrouter.provisioning.openrouter_key
"""

EXAMPLES = r"""
- name: Read every key, disabled and expired ones included
  openrouter.provisioning.openrouter_key_info:
  register: all_keys

- name: Read the keys named ci-pipeline
  openrouter.provisioning.openrouter_key_info:
    name: ci-pipeline
  register: ci_keys

- name: Read the keys of the CI team, whose names start with ci-
  openrouter.provisioning.openrouter_key_info:
    name_prefix: ci-
  register: ci_team_keys

- name: Read the keys named like pr-123, whatever the number
  openrouter.provisioning.openrouter_key_info:
    name_pattern: '^pr-[0-9]+$'
  register: preview_keys

- name: Read only enabled keys that have not expired, in one workspace
  openrouter.provisioning.openrouter_key_info:
    workspace_id: 0df9e665-d932-5740-b2c7-b52af166bc11
    include_disabled: false
    include_expired: false
  register: active_keys

- name: Disable every key that has spent more than 100 USD this month, by hash
  openrouter.provisioning.openrouter_key:
    hash: "{{ item.hash }}"
    disabled: true
  loop: "{{ all_keys.api_keys | selectattr('usage_monthly', '>', 100) }}"
  loop_control:
    label: "{{ item.name }}"

- name: Read every key with the id of the guardrail it holds
  openrouter.provisioning.openrouter_key_info:
    include_guardrail: true
  register: governed_keys

- name: List the keys that no guardrail governs
  ansible.builtin.debug:
    msg: "{{ governed_keys.api_keys | selectattr('guardrail_id', 'none') | map(attribute='name') | list }}"

- name: Check the limit and usage of an ordinary API key, without listing keys
  openrouter.provisioning.openrouter_key_info:
    management_key: "{{ app_api_key }}"
    current: true
    list: false
  register: app_key
"""

RETURN = r"""
api_keys:
  description:
    - The keys that match, newest first, from every page of the list. Never contains a secret.
    - Empty when O(hash) names no key. Not returned with O(list=false).
    - With O(include_guardrail=true), each key also has C(guardrail_id), the id of the guardrail it holds, or null.
  returned: when O(list=true)
  type: list
  elements: dict
  sample:
    - hash: f01d52606dc8f0a8303a7b5cc3fa07109c2e346cec7c0a16b40de462992ce943
      name: ci-pipeline
      label: sk-or-v1-0e6...1c96
      disabled: false
      limit: 25.0
      limit_remaining: 20.5
      limit_reset: monthly
      include_byok_in_limit: false
      usage: 4.5
      usage_daily: 0.5
      usage_weekly: 2.0
      usage_monthly: 4.5
      byok_usage: 0.0
      byok_usage_daily: 0.0
      byok_usage_weekly: 0.0
      byok_usage_monthly: 0.0
      created_at: "2026-11-26T10:30:00Z"
      updated_at: "2026-11-26T11:00:00Z"
      expires_at: null
      creator_user_id: null
      workspace_id: 0df9e665-d932-5740-b2c7-b52af166bc11
      external_user: null
      last_used_at: null
workspace_id:
  description:
    - The id of the workspace whose keys were listed (the id of the slug given as O(workspace_id)), or null for
      OpenRouter's default workspace. Tasks that follow can take it and skip the lookup of a slug.
    - In check mode, a slug that names no workspace yet (one an earlier task would create) is returned as given.
  returned: when O(list=true) and O(hash) is not given
  type: str
  sample: 0df9e665-d932-5740-b2c7-b52af166bc11
  version_added: 0.2.0
current:
  description: The metadata of the key in use, as C(GET /key) returns it.
  returned: when O(current=true)
  type: dict
  sample:
    label: sk-or-v1-abc...9f3e
    is_management_key: true
    is_provisioning_key: true
    is_free_tier: false
    limit: null
    limit_remaining: null
    limit_reset: null
    usage: 0.0
    workspace_id: 0df9e665-d932-5740-b2c7-b52af166bc11
"""

from ansible_collections.openrouter.provisioning.plugins.module_utils.common import (
    ModuleDefinition,
    run_ansible_module,
)
from ansible_collections.openrouter.provisioning.plugins.module_utils.guardrails import with_guardrail_ids
from ansible_collections.openrouter.provisioning.plugins.module_utils.keys import key_info_problems, read_keys
from ansible_collections.openrouter.provisioning.plugins.module_utils.workspaces import with_workspace_ref

# include_guardrail sits on top of the key listing (guardrails.py).
DEFINITION = with_workspace_ref(
    with_guardrail_ids(
        ModuleDefinition(
            argument_spec=dict(
                hash=dict(type="str", no_log=False),
                name=dict(type="str"),
                name_prefix=dict(type="str"),
                name_pattern=dict(type="str"),
                workspace_id=dict(type="str"),
                include_disabled=dict(type="bool", default=True),
                include_expired=dict(type="bool", default=True),
                current=dict(type="bool", default=False),
                list=dict(type="bool", default=True),
            ),
            run=read_keys,
            problems=key_info_problems,
        )
    ),
    # A check run's key list of a workspace an earlier task would create: empty.
    predict=lambda params: {"changed": False, "api_keys": [], "workspace_id": params["workspace_id"]},
)


def main():
    run_ansible_module(DEFINITION)


if __name__ == "__main__":
    main()
