#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: openrouter_workspace_info
short_description: Read OpenRouter workspaces, with their members and budgets
version_added: 0.2.0
description:
  - Lists every OpenRouter workspace of the organisation, reading every page, or reads one workspace by id or slug.
  - Optionally adds each workspace's members and budgets.
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
      - Read only the workspace with this id, with one request. If there is none, RV(workspaces) is empty.
    type: str
  slug:
    description:
      - Read only the workspace with this slug, with one request. If there is none, RV(workspaces) is empty.
    type: str
  members:
    description:
      - Add each workspace's members (RV(workspaces[].members)), reading every page of them; one request per 100
        members per workspace.
    type: bool
    default: false
  budgets:
    description:
      - Add each workspace's budgets (RV(workspaces[].budgets)), with one request per workspace.
    type: bool
    default: false
seealso:
  - module: openrouter.provisioning.openrouter_workspace
"""

EXAMPLES = r"""
- name: Read every workspace
  openrouter.provisioning.openrouter_workspace_info:
  register: all_workspaces

- name: Read one workspace with its members and budgets
  openrouter.provisioning.openrouter_workspace_info:
    slug: team-a
    members: true
    budgets: true
  register: team_a

- name: Show its monthly budget
  ansible.builtin.debug:
    msg: "{{ team_a.workspaces[0].budgets.monthly | default('no monthly budget') }}"
"""

RETURN = r"""
workspaces:
  description: The workspaces, as the API gives them, newest first when listed.
  returned: always
  type: list
  elements: dict
  sample:
    - id: 6f1e4b2a-9c3d-4e5f-8a7b-0c1d2e3f4a5b
      name: Team A
      slug: team-a
      description: null
      default_guardrail_id: 2b9f0c4e-1d2a-5b3c-8e4f-6a7b8c9d0e1f
      include_byok_in_budgets: false
      members: [user_2abc]
      budgets:
        monthly: 500.0
  contains:
    id:
      description: The workspace's id.
      type: str
      returned: success
    slug:
      description: The workspace's slug.
      type: str
      returned: success
    members:
      description: The user ids of the workspace's members, sorted.
      type: list
      elements: str
      returned: when O(members=true)
    budgets:
      description: The workspace's budgets, interval (C(lifetime), C(monthly), C(weekly), C(daily)) to limit in USD.
      type: dict
      returned: when O(budgets=true)
"""

from ansible_collections.openrouter.provisioning.plugins.module_utils.common import (
    ModuleDefinition,
    run_ansible_module,
)
from ansible_collections.openrouter.provisioning.plugins.module_utils.workspaces import read_workspaces

DEFINITION = ModuleDefinition(
    argument_spec=dict(
        id=dict(type="str"),
        slug=dict(type="str"),
        members=dict(type="bool", default=False),
        budgets=dict(type="bool", default=False),
    ),
    run=read_workspaces,
    mutually_exclusive=[("id", "slug")],
)


def main():
    run_ansible_module(DEFINITION)


if __name__ == "__main__":
    main()
