#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: openrouter_workspace
short_description: Create, update and delete an OpenRouter workspace, with its members and budgets
version_added: 0.2.0
description:
  - Manages one OpenRouter workspace idempotently through OpenRouter's management API, together with its members and
    its budgets.
  - The workspace is found by O(id) if given, else by O(slug), with one request either way (slugs are unique).
  - Only the options you give are managed. The workspace's own settings change in place with one PATCH that carries
    only the fields that differ.
  - O(members) and O(budgets) add to what the workspace has, and remove the rest only with O(purge_members=true) or
    O(purge_budgets=true), as C(purge_tags) does in other collections.
author:
  - openrouter.provisioning developers (@openrouter-provisioning)
extends_documentation_fragment:
  - openrouter.provisioning.connection
  - openrouter.provisioning.connection.ACTION_GROUP
  - openrouter.provisioning.attributes
  - openrouter.provisioning.in_process
attributes:
  check_mode:
    support: full
    details:
      - In check mode the module sends only GET requests and reports the same RV(ignore:changed) and RV(diff) that a
        real run would.
  diff_mode:
    support: full
    details:
      - The diff shows the options you gave, before and after, with the members as a sorted list of user ids and the
        budgets as a mapping of interval to limit.
  idempotent:
    support: full
    details:
      - A second run with the same options reports no change and sends only GET requests.
options:
  state:
    description:
      - V(present) makes sure the workspace exists with the given settings; V(absent) deletes it.
      - A workspace that still has active keys (neither disabled nor expired) is not deleted; the module fails before
        any change and says how many there are. In check mode it warns instead and predicts the delete, since an
        earlier task of the run may be the one that would retire those keys. Deleting a workspace also deletes its
        budgets and guardrails.
    type: str
    choices: [present, absent]
    default: present
  id:
    description:
      - The workspace's id (a UUID) as OpenRouter returns it. When given, the workspace is found by id and O(slug)
        changes its slug. With O(state=present) the module fails if no workspace has this id; it never creates one in
        its place.
      - One of O(id) and O(slug) is required.
    type: str
  slug:
    description:
      - The workspace's slug, unique in the organisation, 1 to 50 lowercase letters and digits in segments joined by
        single hyphens, such as V(team-a). Without O(id), the workspace is found by this slug.
      - Required to create a workspace.
    type: str
  name:
    description:
      - The workspace's display name, 1 to 100 characters. A new workspace without it is named after its O(slug).
    type: str
  description:
    description:
      - A description of the workspace, at most 500 characters.
    type: str
  default_text_model:
    description:
      - The text model requests in this workspace use when they name none, such as V(openai/gpt-4o).
    type: str
  default_image_model:
    description:
      - The image model requests in this workspace use when they name none.
    type: str
  default_provider_sort:
    description:
      - How providers are ordered by default, such as V(price), V(throughput), V(latency) or V(exacto).
      - Passed to OpenRouter as given, so a value OpenRouter adds later works too.
    type: str
  disabled_server_tools:
    description:
      - OpenRouter server tools that requests in this workspace may not invoke, such as V(openrouter:web_search).
      - Compared as a set. V([]) clears the list.
    type: list
    elements: str
  io_logging_api_key_ids:
    description:
      - The API key ids whose requests I/O logging records. Compared as a set.
    type: list
    elements: int
  io_logging_sampling_rate:
    description:
      - The share of requests I/O logging records, from V(0.0001) to V(1).
    type: float
  is_observability_io_logging_enabled:
    description:
      - Whether private I/O logging is enabled.
    type: bool
  is_observability_broadcast_enabled:
    description:
      - Whether broadcast is enabled.
    type: bool
  is_data_discount_logging_enabled:
    description:
      - Whether data discount logging is enabled.
    type: bool
  members:
    description:
      - Organisation user ids that must be members of the workspace. Compared as a set.
      - Missing members are added with one request per 100 of them. Others are removed only with O(purge_members=true).
      - OpenRouter refuses to remove a member who created an active key in the workspace; disable or delete the key
        first.
    type: list
    elements: str
  purge_members:
    description:
      - Remove the members that O(members) doesn't list. Needs O(members); V(members=[]) with it removes every member.
    type: bool
    default: false
  budgets:
    description:
      - "The workspace's spending budgets, a mapping of interval (V(lifetime), V(monthly), V(weekly), V(daily)) to its
        limit in USD, greater than 0, for example C({monthly: 500, weekly: 100})."
      - Budgets not named are kept, unless O(purge_budgets=true).
      - OpenRouter requires the limits that are set to shrink strictly from lifetime to monthly, weekly and daily.
        The module checks the limits you give before any request, and the limits the workspace would end with before
        any change, and names the two intervals that break the rule.
      - The changes are sent in an order that never breaks the rule on the way. Budgets to delete go first, since fewer
        budgets can't break it; then each budget is set with a PUT, in the first order (widest first) whose every step
        keeps the rule. Such an order always exists.
    type: dict
  purge_budgets:
    description:
      - Delete the budgets that O(budgets) doesn't name. Needs O(budgets).
    type: bool
    default: false
  include_byok_in_budgets:
    description:
      - Whether usage through your own provider keys (BYOK) counts against the workspace's budgets.
      - OpenRouter sets it only together with a budget, so the module sends it with the first budget it sets, or
        sets the widest existing budget again, unchanged, to carry it. It fails if the workspace would have no budget.
    type: bool
  default_guardrail:
    description:
      - The rules of the workspace's default guardrail, the one OpenRouter applies to the workspace's keys and members
        that hold no other guardrail. Its id is RV(workspace.default_guardrail_id).
      - Takes the options of C(openrouter_guardrail) that set a guardrail's rules, checked and compared as that module
        does, namely C(description), C(limit_usd), C(reset_interval), C(allowed_providers), C(ignored_providers),
        C(allowed_models), C(ignored_models), C(allowed_data_regions), C(content_filters), C(content_filter_builtins),
        C(enforce_zdr) and each C(enforce_zdr_*), C(enable_free_model_publication), C(enable_free_model_training),
        C(enable_paid_model_training), C(allow_safety_retention_google), C(allow_safety_retention_other) and
        C(include_byok_in_budgets). Its name is fixed by OpenRouter.
      - Only the rules given are managed, with one PATCH that carries those that differ. Model lists are compared as
        canonical slugs, reading C(GET /models) only when a list differs as written.
      - Until its first PATCH the default guardrail doesn't exist (C(GET) answers 404) and holds no rules; the module
        then plans from those empty rules, so rules that are all unset need no request.
    type: dict
  confirm_default_workspace_deletion:
    description:
      - Confirm that O(state=absent) may delete the organisation's default workspace, as OpenRouter requires.
      - Even so, the module refuses to delete a workspace with active keys; disable or delete them first.
    type: bool
    default: false
notes:
  - A lookup by O(slug) is one C(GET /workspaces/{slug}); a workspace whose id equals that text but whose slug
    differs is not taken for it.
  - The module reads the members and the budgets only when O(members), O(budgets) or O(include_byok_in_budgets) is
    given, and not at all for a workspace it creates, which has none.
seealso:
  - module: openrouter.provisioning.openrouter_workspace_info
  - module: openrouter.provisioning.openrouter_key
"""

EXAMPLES = r"""
- name: A workspace for team A, with two members and budgets
  openrouter.provisioning.openrouter_workspace:
    slug: team-a
    name: Team A
    description: Research team A
    members:
      - user_2abc
      - user_2def
    budgets:
      monthly: 500
      weekly: 100
    include_byok_in_budgets: false
    default_guardrail:
      limit_usd: 50
      reset_interval: monthly
      allowed_models: [openai/gpt-4o, anthropic/claude-sonnet-4]
      enforce_zdr: true

- name: Exactly these members and budgets, removing any other
  openrouter.provisioning.openrouter_workspace:
    slug: team-a
    members: [user_2abc]
    purge_members: true
    budgets:
      monthly: 800
    purge_budgets: true

- name: Rename a workspace's slug, found by its id
  openrouter.provisioning.openrouter_workspace:
    id: 6f1e4b2a-9c3d-4e5f-8a7b-0c1d2e3f4a5b
    slug: team-alpha

- name: Delete a workspace (it must have no active keys)
  openrouter.provisioning.openrouter_workspace:
    slug: team-alpha
    state: absent
"""

RETURN = r"""
workspace:
  description:
    - The workspace's record as the API gives it after this run.
    - In check mode, the record as it would be after the run; a workspace that would be created has no RV(workspace.id).
    - Empty after O(state=absent).
  returned: always
  type: dict
  sample:
    id: 6f1e4b2a-9c3d-4e5f-8a7b-0c1d2e3f4a5b
    name: Team A
    slug: team-a
    description: Research team A
    default_guardrail_id: 2b9f0c4e-1d2a-5b3c-8e4f-6a7b8c9d0e1f
    default_text_model: null
    default_image_model: null
    default_provider_sort: null
    disabled_server_tools: null
    io_logging_api_key_ids: null
    io_logging_sampling_rate: 1.0
    is_observability_io_logging_enabled: false
    is_observability_broadcast_enabled: false
    is_data_discount_logging_enabled: false
    include_byok_in_budgets: false
    created_at: "2026-12-01T10:30:00Z"
    updated_at: null
    created_by: null
    members: [user_2abc, user_2def]
    budgets:
      monthly: 500.0
      weekly: 100.0
  contains:
    id:
      description:
        - The workspace's id, to pass as O(id) here and as
          O(openrouter.provisioning.openrouter_key#module:workspace_id).
      type: str
      returned: when the workspace exists
    slug:
      description: The workspace's slug.
      type: str
      returned: success
    default_guardrail_id:
      description: The id of the workspace's default guardrail.
      type: str
      returned: when the workspace exists
    members:
      description: The user ids of the workspace's members, sorted.
      type: list
      elements: str
      returned: when O(members) is given
    budgets:
      description: The workspace's budgets, interval to limit in USD.
      type: dict
      returned: when O(budgets) is given
    default_guardrail:
      description:
        - The workspace's default guardrail as the API gives it (or, before its first PATCH, its empty rules).
      type: dict
      returned: when O(default_guardrail) is given
    include_byok_in_budgets:
      description: Whether BYOK usage counts against the budgets.
      type: bool
      returned: success
diff:
  description:
    - The options you gave, before and after this run; C({}) is the before of a create and the after of a delete.
  returned: in diff mode
  type: dict
  sample:
    before:
      members: [user_2abc]
      budgets:
        monthly: 500.0
    after:
      members: [user_2abc, user_2def]
      budgets:
        monthly: 500.0
        weekly: 100.0
"""

from ansible_collections.openrouter.provisioning.plugins.module_utils.common import (
    ModuleDefinition,
    run_ansible_module,
)
from ansible_collections.openrouter.provisioning.plugins.module_utils.workspaces import (
    WORKSPACE_OPTIONS,
    converge_workspace,
    workspace_problems,
)

DEFINITION = ModuleDefinition(
    argument_spec=WORKSPACE_OPTIONS,
    run=converge_workspace,
    problems=workspace_problems,
    required_one_of=[("id", "slug")],
)


def main():
    run_ansible_module(DEFINITION)


if __name__ == "__main__":
    main()
