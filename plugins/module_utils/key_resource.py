# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The key resource's description and its options, defined once. Apart from keys.py (the work), so that the role's
planner (the api_keys_plan filter, imported afresh by each task's worker) loads neither the HTTP client nor requests."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.openrouter.provisioning.plugins.module_utils.resource import (
    Choice,
    Field,
    Flag,
    Money,
    OffsetPaging,
    Resource,
    Text,
    Timestamp,
)

KEY = Resource(
    "key",
    "/keys",
    [
        Field("name", Text()),
        Field("disabled", Flag(), requests=("update",), new=False),
        Field("limit", Money(), new=None),
        Field("limit_reset", Choice(("daily", "weekly", "monthly", "never"), null_word="never"), new=None),
        Field("include_byok_in_limit", Flag(), new=False),
        Field("expires_at", Timestamp(future=True), requests=("create",), new=None),
        Field("creator_user_id", Text(), requests=("create",), new=None),
        # Sent inside the create's `external` object (KeyTask.create_request()); the record carries it as is.
        Field("external_user", Text(), requests=("create",), new=None),
        # A PATCH moves a key to another workspace in place, keeping its hash, secret and guardrail.
        Field("workspace_id", Text()),
    ],
    identity="hash",
    scope="workspace_id",
    paging=OffsetPaging(100),
    # A lookup by name must see disabled and expired keys, or it would create a duplicate of one.
    list_query={"include_disabled": "true", "include_expired": "true"},
    ref_pattern=r"^[0-9a-fA-F]{64}$",
    ref_meaning="the 64 hexadecimal characters OpenRouter returns as a key's hash",
    fixed_hint="Set recreate=on_change to replace the key with a new one, or change the option back.",
)

# The options of openrouter_key, defined once: the module's argument spec, and (a subset) each item of the api_keys
# role, whose apply task and meta/argument_specs.yml a unit test compares with it.
KEY_OPTIONS = dict(
    state=dict(type="str", choices=["present", "absent"], default="present"),
    hash=dict(type="str", no_log=False),
    **KEY.option_spec(),
    # The guardrail the key holds, by id or name ("" for none): its work is in guardrails.py (with_guardrail).
    guardrail=dict(type="str"),
    # Write-only: OpenRouter keeps only its hash, so it can't be compared, and it is sent with a create only.
    external_api_key=dict(type="str", no_log=True),
    recreate=dict(type="str", choices=["never", "on_change", "always"], default="never"),
    secret_file=dict(type="path"),
    # Given one of the two passwords, secret_file is written as an Ansible Vault file (vault.py).
    secret_file_vault_password=dict(type="str", no_log=True),
    secret_file_vault_password_file=dict(type="path", no_log=False),
    secret_file_vault_id=dict(type="str"),
    # None: true without secret_file, false with it (the secret is then in the file, not in the result).
    return_secret=dict(type="bool"),
    # None: default_lock_timeout() of retry_max_time and timeout.
    lock_timeout=dict(type="float"),
)
# The fields of an item of the role's openrouter_api_keys, in the order its messages list them.
ROLE_ITEM_FIELDS = (
    "name",
    "state",
    "limit",
    "limit_reset",
    "include_byok_in_limit",
    "disabled",
    "expires_at",
    "recreate",
    "guardrail",
)


def role_item_spec():
    """The argument spec of one item of the role's openrouter_api_keys: the key options it takes, name required."""
    spec = dict((field, dict(KEY_OPTIONS[field])) for field in ROLE_ITEM_FIELDS)
    spec["name"]["required"] = True
    return spec
