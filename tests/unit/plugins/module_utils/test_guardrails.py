# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The guardrail's description planned without HTTP: how each kind of field compares, and the option checks."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.openrouter.provisioning.plugins.module_utils.errors import PlanError
from ansible_collections.openrouter.provisioning.plugins.module_utils.guardrails import (
    GUARDRAIL,
    GUARDRAIL_OPTIONS,
    guardrail_desired,
    pair_problem,
)
from ansible_collections.openrouter.provisioning.plugins.module_utils.reconcile import plan, predict

STORED = dict(
    id="g-1",
    name="team",
    description=None,
    limit_usd=30.0,
    reset_interval="monthly",
    allowed_providers=["openai", "anthropic"],
    allowed_models=["openai/gpt-4o-2024-05-13"],
    allowed_data_regions=["us", "europe"],
    content_filters=[
        {"pattern": "a", "action": "redact", "label": None},
        {"pattern": "b", "action": "flag", "label": "B"},
    ],
    content_filter_builtins=[
        {"slug": "email", "action": "redact", "label": "[EMAIL]"},
        {
            "slug": "regex-prompt-injection",
            "action": "block",
            "label": "[PROMPT_INJECTION]",
            "scan_scope": "all_messages",
        },
    ],
    enforce_zdr_openai=None,
    include_byok_in_budgets=False,
    workspace_id="ws",
)


def planned(**options):
    return plan(GUARDRAIL, STORED, guardrail_desired(dict(name="team", **options)))


@pytest.mark.parametrize(
    "options",
    [
        dict(allowed_providers=["anthropic", "openai", "openai"]),
        dict(allowed_data_regions=["europe", "us"]),
        dict(limit_usd="30.0", reset_interval="monthly"),
        dict(content_filters=[{"pattern": "a", "action": "redact"}, {"pattern": "b", "action": "flag", "label": "B"}]),
        dict(
            content_filter_builtins=[
                {"slug": "regex-prompt-injection", "action": "block"},
                {"slug": "email", "action": "redact"},
            ]
        ),
        dict(ignored_models=[], description=""),
        dict(include_byok_in_budgets=False),
    ],
)
def test_what_the_api_stores_the_same_way_is_no_change(options):
    assert planned(**options).action == "none"


@pytest.mark.parametrize(
    "options, patch",
    [
        (dict(allowed_providers=[]), {"allowed_providers": None}),
        (
            dict(
                content_filters=[{"pattern": "b", "action": "flag", "label": "B"}, {"pattern": "a", "action": "redact"}]
            ),
            {
                "content_filters": [
                    {"pattern": "b", "action": "flag", "label": "B"},
                    {"pattern": "a", "action": "redact", "label": None},
                ]
            },
        ),
        (
            dict(
                content_filter_builtins=[
                    {"slug": "regex-prompt-injection", "action": "block", "scan_scope": "user_only"}
                ]
            ),
            {
                "content_filter_builtins": [
                    {"slug": "regex-prompt-injection", "action": "block", "scan_scope": "user_only"}
                ]
            },
        ),
        (dict(enforce_zdr_openai=False), {"enforce_zdr_openai": False}),
        (dict(limit_usd="unlimited", reset_interval="none"), {"limit_usd": None, "reset_interval": None}),
    ],
)
def test_what_differs_is_patched_alone(options, patch):
    step = planned(**options)
    assert step.action == "update" and step.patch == patch


def test_null_is_not_false_for_a_switch():
    assert planned(enforce_zdr_openai=False).before == {"name": "team", "enforce_zdr_openai": None}


def test_the_deprecated_enforce_zdr_stands_for_each_provider_not_given():
    desired = guardrail_desired(dict(name="team", enforce_zdr=True, enforce_zdr_xai=False))
    assert "enforce_zdr" not in desired
    assert [desired[name] for name in sorted(desired) if name.startswith("enforce_zdr_")] == [
        True,
        True,
        True,
        True,
        False,
    ]


def test_a_new_guardrail_is_predicted_from_its_create_body():
    step = plan(GUARDRAIL, None, guardrail_desired(dict(name="new", limit_usd=5, reset_interval="daily")))
    assert step.body == {"name": "new", "limit_usd": 5.0, "reset_interval": "daily"}
    record = predict(GUARDRAIL, None, step)
    assert record["allowed_models"] is None and record["include_byok_in_budgets"] is False


def test_the_workspace_is_fixed():
    step = planned(workspace_id="elsewhere")
    assert step.action == "fail" and step.reason.startswith("workspace_id can't be changed on an existing guardrail")


@pytest.mark.parametrize(
    "desired, now, problem",
    [
        ({"limit_usd": 5.0}, {}, "Give reset_interval (daily, weekly or monthly) too."),
        ({"limit_usd": None}, {"limit_usd": 5.0, "reset_interval": "daily"}, "Give limit_usd too"),
        ({"reset_interval": None}, {"limit_usd": 5.0, "reset_interval": "daily"}, "Give reset_interval"),
        ({"limit_usd": 7.0}, {"limit_usd": 5.0, "reset_interval": "daily"}, None),
        ({"limit_usd": None, "reset_interval": None}, {"limit_usd": 5.0, "reset_interval": "daily"}, None),
    ],
)
def test_limit_and_interval_end_up_together(desired, now, problem):
    found = pair_problem(desired, now)
    assert (found is None) if problem is None else (problem in found)


def test_every_bad_option_is_named_at_once():
    with pytest.raises(PlanError) as caught:
        guardrail_desired(dict(name="", allowed_models=["x", ""], content_filters=[{"pattern": "", "action": "block"}]))
    assert caught.value.problems == [
        "name must not be empty; leave the option out instead.",
        "allowed_models must not hold an empty string.",
        "content_filters[0].pattern is required.",
    ]


def test_every_request_field_is_an_option():
    request_fields = set(
        "name description limit_usd reset_interval allowed_providers ignored_providers allowed_models ignored_models "
        "enforce_zdr enforce_zdr_anthropic enforce_zdr_openai enforce_zdr_google enforce_zdr_xai enforce_zdr_other "
        "allowed_data_regions content_filters content_filter_builtins enable_free_model_publication "
        "enable_free_model_training enable_paid_model_training allow_safety_retention_google "
        "allow_safety_retention_other include_byok_in_budgets workspace_id".split()
    )
    assert request_fields <= set(GUARDRAIL_OPTIONS)
