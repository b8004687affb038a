# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The key options are defined once (key_resource.KEY_OPTIONS): every consumer must agree with that definition."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
from datetime import datetime, timedelta, timezone

import pytest
import yaml

from ansible_collections.openrouter.provisioning.plugins.filter import api_keys_plan
from ansible_collections.openrouter.provisioning.plugins.module_utils.key_resource import (
    KEY,
    KEY_OPTIONS,
    ROLE_ITEM_FIELDS,
    role_item_spec,
)
from ansible_collections.openrouter.provisioning.plugins.modules import openrouter_key

ROLE = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "roles", "api_keys")


def read_yaml(*parts):
    with open(os.path.join(ROLE, *parts)) as handle:
        return yaml.safe_load(handle)


def test_the_module_spec_is_the_definition():
    spec = dict(openrouter_key.DEFINITION.argument_spec)
    for option, value in KEY_OPTIONS.items():
        assert spec[option] == value
    assert set(KEY.fields) <= set(KEY_OPTIONS)


def test_the_module_documentation_matches_the_definition():
    options = yaml.safe_load(openrouter_key.DOCUMENTATION)["options"]
    for option, spec in KEY_OPTIONS.items():
        assert options[option]["type"] == spec["type"], option
        assert options[option].get("choices") == spec.get("choices"), option
        assert options[option].get("default") == spec.get("default"), option


def test_the_role_item_spec_is_a_subset_of_the_definition():
    spec = role_item_spec()
    assert tuple(spec) == ROLE_ITEM_FIELDS
    for field, value in spec.items():
        assert dict(value, required=False) == dict(KEY_OPTIONS[field], required=False)
    assert spec["name"]["required"] is True
    assert api_keys_plan.ITEM_SPEC == spec


def test_the_role_apply_task_passes_every_item_field_and_nothing_else():
    tasks = read_yaml("tasks", "main.yml")
    [apply] = [task for task in tasks if "openrouter.provisioning.openrouter_key" in task]
    args = apply["openrouter.provisioning.openrouter_key"]
    assert set(args) <= set(KEY_OPTIONS)
    # The role adds the hash of an existing key and the secret file, and decides the workspace, the secret file's
    # encryption and return_secret.
    assert set(args) == set(ROLE_ITEM_FIELDS) | {
        "hash",
        "secret_file",
        "secret_file_vault_password",
        "secret_file_vault_id",
        "workspace_id",
        "return_secret",
    }
    for field in set(ROLE_ITEM_FIELDS) | {"hash", "secret_file"}:
        assert args[field] == "{{ item.options.%s | default(omit) }}" % field


def test_the_role_argument_specs_describe_every_item_field_and_choice():
    options = read_yaml("meta", "argument_specs.yml")["argument_specs"]["main"]["options"]
    text = " ".join(options["openrouter_api_keys"]["description"])
    assert set(re.findall(r"C\((\w+)\) ", text)) >= set(ROLE_ITEM_FIELDS)
    for field in ROLE_ITEM_FIELDS:
        line = [part for part in options["openrouter_api_keys"]["description"] if "C(%s)" % field in part][0]
        for choice in KEY_OPTIONS[field].get("choices") or []:
            assert "V(%s)" % choice in line, (field, choice)


@pytest.mark.parametrize("when", [timedelta(days=-1), timedelta(seconds=-1)])
def test_an_expires_at_in_the_past_is_refused_before_any_request(when):
    moment = (datetime.now(timezone.utc) + when).strftime("%Y-%m-%dT%H:%M:%SZ")
    problems = KEY.problems({"name": "n", "expires_at": moment})
    assert len(problems) == 1
    assert problems[0].startswith("expires_at must be in the future, got %r" % moment)
    assert "leave expires_at out" in problems[0]


def test_an_expires_at_in_the_future_is_taken():
    moment = (datetime.now(timezone.utc) + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert KEY.desired({"expires_at": moment}) == {"expires_at": moment}


def test_a_current_key_that_has_expired_still_reads():
    assert KEY.current({"expires_at": "2020-01-01T00:00:00+00:00"})["expires_at"] == "2020-01-01T00:00:00Z"
