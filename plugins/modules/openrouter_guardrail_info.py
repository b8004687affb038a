#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: openrouter_guardrail_info
short_description: Read OpenRouter guardrails and, optionally, their key and member assignments
version_added: 0.2.0
description:
  - Lists the guardrails of a workspace, reading every page of the list, or reads one guardrail by its id.
  - With O(assignments=true), each guardrail also carries the hashes of its keys and the ids of its members.
  - It never changes anything.
author:
  - openrouter.provisioning developers (@openrouter-provisioning)
extends_documentation_fragment:
  - openrouter.provisioning.connection
  - openrouter.provisioning.connection.ACTION_GROUP
  - openrouter.provisioning.attributes
  - openrouter.provisioning.attributes.INFO_MODULE
  - openrouter.provisioning.in_process
options:
  id:
    description:
      - Read only the guardrail with this id, with one request. If there is no such guardrail, RV(guardrails) is empty.
    type: str
  name:
    description:
      - Return only guardrails with exactly this name. Several guardrails can share a name; all of them are returned.
    type: str
  workspace_id:
    description:
      - List the guardrails of this workspace, given by its id or its slug. OpenRouter's default workspace is listed
        when not given.
      - A slug costs one request (C(GET /workspaces/<slug>)) per run to find its id; an id (a UUID) costs none. A slug
        that names no workspace fails before the listing; in check mode it is taken for a workspace an earlier task
        would create, with a warning, and RV(guardrails) is empty.
      - Ignored with O(id), apart from that lookup of a slug.
    type: str
  assignments:
    description:
      - Add C(key_hashes) and C(member_user_ids) to each guardrail. The module reads the organization's key and member
        assignments once each, whatever the number of guardrails.
    type: bool
    default: false
seealso:
  - module: openrouter.provisioning.openrouter_guardrail
"""

EXAMPLES = r"""
- name: Read every guardrail of the default workspace
  openrouter.provisioning.openrouter_guardrail_info:
  register: all_guardrails

- name: Read a guardrail by name, with the keys and members assigned to it
  openrouter.provisioning.openrouter_guardrail_info:
    name: team-monthly
    assignments: true
  register: team

- name: Read the guardrails of one workspace
  openrouter.provisioning.openrouter_guardrail_info:
    workspace_id: 0df9e665-d932-5740-b2c7-b52af166bc11
  register: workspace_guardrails

- name: Read the guardrails of the workspace with the slug team-a
  openrouter.provisioning.openrouter_guardrail_info:
    workspace_id: team-a
  register: team_a_guardrails
"""

RETURN = r"""
guardrails:
  description:
    - The guardrails that match, as the API gives them, from every page of the list.
    - Empty when O(id) names no guardrail.
  returned: always
  type: list
  elements: dict
  sample:
    - id: 550e8400-e29b-41d4-a716-446655440000
      name: team-monthly
      description: null
      limit_usd: 30.0
      reset_interval: monthly
      allowed_models: ["openai/gpt-4o-2024-05-13"]
      include_byok_in_budgets: false
      workspace_id: 00000000-0000-4000-8000-000000000000
      created_at: "2026-11-26T10:30:00Z"
      updated_at: null
      key_hashes: [f01d52606dc8f0a8303a7b5cc3fa07109c2e346cec7c0a16b40de462992ce943]
      member_user_ids: []
  contains:
    key_hashes:
      description: The hashes of the keys assigned to the guardrail, sorted.
      type: list
      elements: str
      returned: when O(assignments=true)
    member_user_ids:
      description: The user ids of the members assigned to the guardrail, sorted.
      type: list
      elements: str
      returned: when O(assignments=true)
"""

from ansible_collections.openrouter.provisioning.plugins.module_utils.common import (
    ModuleDefinition,
    run_ansible_module,
)
from ansible_collections.openrouter.provisioning.plugins.module_utils.guardrails import read_guardrails
from ansible_collections.openrouter.provisioning.plugins.module_utils.workspaces import with_workspace_ref

# A workspace slug is resolved to its id before the listing (workspaces.py).
DEFINITION = with_workspace_ref(
    ModuleDefinition(
        argument_spec=dict(
            id=dict(type="str"),
            name=dict(type="str"),
            workspace_id=dict(type="str"),
            assignments=dict(type="bool", default=False),
        ),
        run=read_guardrails,
    ),
    # A check run's guardrail list of a workspace an earlier task would create: empty.
    predict=lambda params: {"changed": False, "guardrails": []},
)


def main():
    run_ansible_module(DEFINITION)


if __name__ == "__main__":
    main()
