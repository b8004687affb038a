#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: openrouter_guardrail
short_description: Create, update and delete an OpenRouter guardrail and assign keys and members to it
version_added: 0.2.0
description:
  - Manages one OpenRouter guardrail idempotently. A guardrail holds a spending limit with a reset interval, allowed
    and ignored providers and models, zero-data-retention rules per provider, data regions, content filters, and
    training and publication switches. It governs the keys and organization members assigned to it.
  - The guardrail is found by O(id) if given, else by O(name) within O(workspace_id) (OpenRouter's default workspace
    when not given). If more than one guardrail bears the name, the module fails and lists their ids.
  - Only the options you give are managed. Those that differ are changed in place with one PATCH that carries only them.
  - O(keys) and O(members) assign keys and members to the guardrail. They add by default; O(purge_keys) and
    O(purge_members) also remove the ones not listed.
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
      - The diff shows the options you gave, before and after, and the assigned key hashes and member ids when O(keys)
        or O(members) is given. A key or member taken from another guardrail is listed under C(keys_moved_from) or
        C(members_moved_from) with the id of that guardrail.
  idempotent:
    support: full
    details:
      - A second run with the same options reports no change and sends only GET requests, also when models are named
        by a slug that OpenRouter stores as another (canonical) slug.
options:
  state:
    description:
      - V(present) makes sure the guardrail exists with the given settings and assignments; V(absent) deletes it
        (OpenRouter removes its assignments with it).
    type: str
    choices: [present, absent]
    default: present
  id:
    description:
      - The id of the guardrail. When given, the guardrail is found by id and O(name) renames it. With
        O(state=present) the module fails if no guardrail has this id; it never creates one in its place.
      - One of O(id) and O(name) is required.
    type: str
  name:
    description:
      - The guardrail's name, 1 to 200 characters. Without O(id), the guardrail is found by this exact name within
        O(workspace_id).
      - Required to create a guardrail.
    type: str
  workspace_id:
    description:
      - The workspace the guardrail belongs to, given by its id or its slug. OpenRouter's default workspace is used when
        not given.
      - A slug costs one request (C(GET /workspaces/<slug>)) per run to find its id; an id (a UUID) costs none. A slug
        that names no workspace fails before any change; in check mode it is taken for a workspace an earlier task
        would create, with a warning, and the guardrail is predicted to be created there.
      - Lookups by name search this workspace only, and O(keys) given by name are looked up in it.
      - Fixed at creation. When it differs from the existing guardrail's, the module fails and says so; it never
        replaces a guardrail silently.
    type: str
  description:
    description:
      - A description of at most 1000 characters. An empty string removes it.
    type: str
  limit_usd:
    description:
      - The spending limit in USD, a number of 0 or more, shared by the keys and members under the guardrail.
      - V(unlimited) removes the limit; set O(reset_interval=none) with it.
      - OpenRouter keeps a limit and its reset interval together. A run that would leave the guardrail with one and not
        the other fails before any change, and says which option to add.
    type: raw
  reset_interval:
    description:
      - How often the spending limit resets. V(none) goes with O(limit_usd=unlimited) (no limit).
    type: str
    choices: [daily, weekly, monthly, none]
  allowed_providers:
    description:
      - Only these providers may serve requests. The order means nothing. An empty list removes the restriction.
    type: list
    elements: str
  ignored_providers:
    description:
      - These providers never serve requests. The order means nothing. An empty list removes the restriction.
    type: list
    elements: str
  allowed_models:
    description:
      - Only these models may be used. The order means nothing. An empty list removes the restriction.
      - A model may be named by its slug (such as V(openai/gpt-4o)) or its canonical slug. OpenRouter stores canonical
        slugs, so when the list differs as written the module reads the models list (C(GET /models)) once to compare
        them, and a slug and its canonical slug count as the same model. A model that list names by neither gets a
        warning, as a likely typo; it is still sent as given.
    type: list
    elements: str
  ignored_models:
    description:
      - These models are never used. Named and compared as O(allowed_models) are.
    type: list
    elements: str
  allowed_data_regions:
    description:
      - The regions where requests may be processed. The order means nothing. An empty list removes the restriction.
    type: list
    elements: str
    choices: [global, europe, us]
  content_filters:
    description:
      - Custom regular-expression filters, compared in order, as OpenRouter stores them. An empty list removes them.
      - OpenRouter refuses patterns with lookaheads, lookbehinds, backreferences, nested quantifiers such as V((a+\)+)
        or repeated identical alternatives, with an C(invalid_regex_pattern) message that the module passes on.
    type: list
    elements: dict
    suboptions:
      pattern:
        description: The regular expression, 1 to 100000 characters.
        type: str
        required: true
      action:
        description: What happens to a match.
        type: str
        required: true
        choices: [redact, block, flag]
      label:
        description: The text a redacted match is replaced with, at most 100 characters.
        type: str
  content_filter_builtins:
    description:
      - OpenRouter's built-in filters, each slug at most once. The order means nothing. An empty list removes them.
      - Their labels (such as C([EMAIL])) are assigned by OpenRouter, so they are neither options nor compared.
    type: list
    elements: dict
    suboptions:
      slug:
        description: The built-in filter.
        type: str
        required: true
        choices: [email, phone, ssn, credit-card, ip-address, secrets, person-name, address, regex-prompt-injection]
      action:
        description: What happens to a match.
        type: str
        required: true
        choices: [redact, block, flag]
      scan_scope:
        description:
          - Which messages V(regex-prompt-injection) scans; OpenRouter's default is V(all_messages). Only for that slug.
        type: str
        choices: [user_only, all_messages]
  enforce_zdr_anthropic:
    description: Whether requests to Anthropic must go to endpoints with zero data retention.
    type: bool
  enforce_zdr_openai:
    description: Whether requests to OpenAI must go to endpoints with zero data retention.
    type: bool
  enforce_zdr_google:
    description: Whether requests to Google must go to endpoints with zero data retention.
    type: bool
  enforce_zdr_xai:
    description: Whether requests to xAI must go to endpoints with zero data retention.
    type: bool
  enforce_zdr_other:
    description: Whether requests to every other provider must go to endpoints with zero data retention.
    type: bool
  enforce_zdr:
    description:
      - OpenRouter's deprecated switch for all providers at once. The module never sends it. It stands for each of
        O(enforce_zdr_anthropic), O(enforce_zdr_openai), O(enforce_zdr_google), O(enforce_zdr_xai) and
        O(enforce_zdr_other) that is not given, which is how OpenRouter reads it, and those five fields are compared.
    type: bool
  enable_free_model_publication:
    description: Whether prompts to free models may be published.
    type: bool
  enable_free_model_training:
    description: Whether free models may train on prompts.
    type: bool
  enable_paid_model_training:
    description: Whether paid models may train on prompts.
    type: bool
  allow_safety_retention_google:
    description: Whether Google may retain prompts for safety review.
    type: bool
  allow_safety_retention_other:
    description: Whether other providers may retain prompts for safety review.
    type: bool
  include_byok_in_budgets:
    description: Whether usage through your own provider keys (BYOK) counts against O(limit_usd).
    type: bool
  keys:
    description:
      - Keys to assign to the guardrail, each by its hash or by its exact name within the guardrail's workspace.
      - A key holds at most one guardrail, so a key under another guardrail is moved to this one.
      - Keys not listed stay assigned unless O(purge_keys=true).
      - The module reads the organization's key assignments once. A hash that holds no guardrail yet, and every name,
        is looked up in one listing of the workspace's keys; a name that matches no key or several keys fails.
    type: list
    elements: str
  purge_keys:
    description:
      - Whether to unassign keys that hold this guardrail but are not in O(keys). Only with O(keys); V(keys=[]) with
        V(purge_keys=true) unassigns every key.
    type: bool
    default: false
  members:
    description:
      - Organization members (user ids) to assign to the guardrail. A member under another guardrail is moved to this
        one. Members not listed stay assigned unless O(purge_members=true).
    type: list
    elements: str
  purge_members:
    description:
      - Whether to unassign members that hold this guardrail but are not in O(members). Only with O(members).
    type: bool
    default: false
notes:
  - Assignments take at most one bulk assign and one bulk unassign request per kind, after one read of the assignments.
  - If an assignment fails after the guardrail was created or changed, the result still carries RV(guardrail); run the
    task again to finish.
seealso:
  - module: openrouter.provisioning.openrouter_guardrail_info
  - module: openrouter.provisioning.openrouter_key
"""

EXAMPLES = r"""
- name: A 30 USD monthly guardrail over the team's keys
  openrouter.provisioning.openrouter_guardrail:
    name: team-monthly
    description: Shared monthly budget of the team
    limit_usd: 30
    reset_interval: monthly
    keys:
      - alice-dev
      - bob-dev

- name: Only two models, no training, zero data retention everywhere, EU processing
  openrouter.provisioning.openrouter_guardrail:
    name: eu-strict
    allowed_models:
      - openai/gpt-4o
      - anthropic/claude-sonnet-4
    enable_free_model_training: false
    enable_paid_model_training: false
    enforce_zdr: true
    allowed_data_regions: [europe]

- name: Redact e-mail addresses and block prompt injections
  openrouter.provisioning.openrouter_guardrail:
    name: team-monthly
    content_filter_builtins:
      - slug: email
        action: redact
      - slug: regex-prompt-injection
        action: block
        scan_scope: user_only
    content_filters:
      - pattern: "ACME-[0-9]{6}"
        action: redact
        label: "[TICKET]"

- name: Exactly these members, removing any other
  openrouter.provisioning.openrouter_guardrail:
    name: team-monthly
    members: [user_2abc, user_2def]
    purge_members: true

- name: Remove the spending limit
  openrouter.provisioning.openrouter_guardrail:
    name: team-monthly
    limit_usd: unlimited
    reset_interval: none

- name: A guardrail in the workspace with the slug team-a
  openrouter.provisioning.openrouter_guardrail:
    name: team-a-monthly
    workspace_id: team-a
    limit_usd: 50
    reset_interval: monthly

- name: Delete a guardrail
  openrouter.provisioning.openrouter_guardrail:
    name: old-guardrail
    state: absent
"""

RETURN = r"""
guardrail:
  description:
    - The guardrail's record as the API gives it after this run. Empty after O(state=absent).
    - In check mode, the record as it would be after the run; a guardrail that would be created has no RV(guardrail.id)
      yet.
  returned: always
  type: dict
  sample:
    id: 550e8400-e29b-41d4-a716-446655440000
    name: team-monthly
    description: Shared monthly budget of the team
    limit_usd: 30.0
    reset_interval: monthly
    allowed_providers: null
    ignored_providers: null
    allowed_models: ["openai/gpt-4o-2024-05-13"]
    ignored_models: null
    allowed_data_regions: null
    content_filters: null
    content_filter_builtins: [{slug: email, action: redact, label: "[EMAIL]"}]
    enforce_zdr: null
    enforce_zdr_anthropic: null
    enforce_zdr_openai: null
    enforce_zdr_google: null
    enforce_zdr_xai: null
    enforce_zdr_other: null
    enable_free_model_publication: null
    enable_free_model_training: null
    enable_paid_model_training: null
    allow_safety_retention_google: null
    allow_safety_retention_other: null
    include_byok_in_budgets: false
    workspace_id: 00000000-0000-4000-8000-000000000000
    created_at: "2026-11-26T10:30:00Z"
    updated_at: null
    key_hashes: [f01d52606dc8f0a8303a7b5cc3fa07109c2e346cec7c0a16b40de462992ce943]
  contains:
    id:
      description: The guardrail's id, to pass as O(id).
      type: str
      returned: when the guardrail exists
    allowed_models:
      description: The allowed models as canonical slugs, or null.
      type: list
      elements: str
      returned: success
    key_hashes:
      description: The hashes of the keys assigned to the guardrail after this run, sorted.
      type: list
      elements: str
      returned: when O(keys) is given
    member_user_ids:
      description: The user ids of the members assigned to the guardrail after this run, sorted.
      type: list
      elements: str
      returned: when O(members) is given
diff:
  description:
    - The options you gave, before and after this run, and the assignments when O(keys) or O(members) is given.
    - C(keys_moved_from) and C(members_moved_from) map each key hash or user id taken from another guardrail to that
      guardrail's id.
  returned: in diff mode
  type: dict
  sample:
    before:
      limit_usd: 20.0
      key_hashes: []
    after:
      limit_usd: 30.0
      key_hashes: [f01d52606dc8f0a8303a7b5cc3fa07109c2e346cec7c0a16b40de462992ce943]
      keys_moved_from:
        f01d52606dc8f0a8303a7b5cc3fa07109c2e346cec7c0a16b40de462992ce943: 7d0f3c2e-55aa-4c1e-9a61-0c4b8f9d2e11
"""

from ansible_collections.openrouter.provisioning.plugins.module_utils.common import (
    ModuleDefinition,
    run_ansible_module,
)
from ansible_collections.openrouter.provisioning.plugins.module_utils.guardrails import (
    GUARDRAIL_OPTIONS,
    converge_guardrail,
    guardrail_problems,
)
from ansible_collections.openrouter.provisioning.plugins.module_utils.workspaces import with_workspace_ref

# A workspace slug is resolved to its id before the guardrail's own work (workspaces.py).
DEFINITION = with_workspace_ref(
    ModuleDefinition(
        argument_spec=GUARDRAIL_OPTIONS,
        run=converge_guardrail,
        problems=guardrail_problems,
        required_one_of=[("id", "name")],
    ),
    # A check run's guardrail in a workspace an earlier task would create: it would be created there too (or, absent,
    # be nothing to delete).
    predict=lambda params: {"changed": params["state"] == "present", "guardrail": {}},
)


def main():
    run_ansible_module(DEFINITION)


if __name__ == "__main__":
    main()
