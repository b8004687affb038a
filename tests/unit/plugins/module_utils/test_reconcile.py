# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The reconciler is pure: every case is (current record, desired options) -> plan, with no HTTP."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.openrouter.provisioning.plugins.module_utils.key_resource import KEY
from ansible_collections.openrouter.provisioning.plugins.module_utils.reconcile import plan as plan_resource
from ansible_collections.openrouter.provisioning.plugins.module_utils.reconcile import predict

NEW_HASH = KEY.new_placeholder

HASH = "f" * 64
CURRENT = {
    "hash": HASH,
    "name": "svc",
    "label": "sk-or-v1-abc...1234",
    "disabled": False,
    "limit": 10.0,
    "limit_remaining": 10.0,
    "limit_reset": None,
    "include_byok_in_limit": False,
    "usage": 0.0,
    "expires_at": "2027-12-31T23:59:59Z",
    "creator_user_id": None,
    "workspace_id": "ws-default",
    "created_at": "2026-11-01T00:00:00Z",
}


def desired(**options):
    assert KEY.problems(options) == []
    return KEY.desired(options)


def plan(current, wanted, state="present", recreate="never", key_hash=None):
    return plan_resource(KEY, current, wanted, state, recreate, key_hash)


def apply_plan(current, step):
    return predict(KEY, current, step)


def normalize_expires_at(text):
    return KEY.fields["expires_at"].kind.normalize("expires_at", text)


@pytest.mark.parametrize(
    "options",
    [
        dict(name="svc"),
        dict(name="svc", limit=10),
        dict(name="svc", limit="10.0"),
        dict(name="svc", limit_reset="never"),
        dict(name="svc", disabled=False, include_byok_in_limit=False),
        dict(name="svc", expires_at="2027-12-31T23:59:59Z"),
        dict(name="svc", expires_at="2028-01-01T01:59:59+02:00"),
        dict(name="svc", workspace_id="ws-default"),
    ],
)
def test_matching_state_is_a_no_op(options):
    step = plan(CURRENT, desired(**options))
    assert step.action == "none"
    assert not step.changed
    assert step.before == step.after


@pytest.mark.parametrize(
    "options, patch",
    [
        (dict(name="svc", limit=25), {"limit": 25.0}),
        (dict(name="svc", limit="unlimited"), {"limit": None}),
        (dict(name="svc", limit_reset="monthly"), {"limit_reset": "monthly"}),
        (dict(name="svc", disabled=True, limit=10), {"disabled": True}),
        (dict(name="svc", include_byok_in_limit=True, limit=5), {"include_byok_in_limit": True, "limit": 5.0}),
        (dict(hash=HASH, name="renamed"), {"name": "renamed"}),
    ],
)
def test_an_update_patches_only_the_fields_that_differ(options, patch):
    step = plan(CURRENT, desired(**options), key_hash=options.get("hash"))
    assert step.action == "update"
    assert step.patch == patch
    assert step.after == dict(step.before, **patch)
    assert set(step.before) == set(desired(**options))


def test_limit_reset_never_against_a_set_reset_sends_null():
    step = plan(dict(CURRENT, limit_reset="weekly"), desired(name="svc", limit_reset="never"))
    assert step.patch == {"limit_reset": None}


def test_create_carries_every_given_field_and_disables_with_a_patch():
    wanted = desired(
        name="new",
        limit=5,
        limit_reset="daily",
        disabled=True,
        expires_at="2027-01-01T00:00:00Z",
        include_byok_in_limit=True,
        creator_user_id="user_1",
        workspace_id="ws",
    )
    step = plan(None, wanted)
    assert step.action == "create"
    assert step.body == {
        "name": "new",
        "limit": 5.0,
        "limit_reset": "daily",
        "expires_at": "2027-01-01T00:00:00Z",
        "include_byok_in_limit": True,
        "creator_user_id": "user_1",
        "workspace_id": "ws",
    }
    assert step.patch == {"disabled": True}
    assert step.before == {}
    assert step.after["disabled"] is True


def test_create_leaves_out_unlimited_and_never_and_needs_no_patch():
    step = plan(None, desired(name="new", limit="unlimited", limit_reset="never", disabled=False))
    assert step.body == {"name": "new"}
    assert step.patch is None


def test_a_missing_hash_fails_rather_than_creating():
    step = plan(None, desired(hash=HASH, name="x"), key_hash=HASH)
    assert step.action == "fail"
    assert HASH in step.reason and "never creates" in step.reason


@pytest.mark.parametrize(
    "field, value",
    [
        ("expires_at", "2028-06-30T00:00:00Z"),
        ("creator_user_id", "user_2"),
        ("external_user", "end-user-9"),
    ],
)
def test_a_fixed_field_that_differs_fails_under_never_and_names_it(field, value):
    step = plan(CURRENT, desired(**{"name": "svc", field: value}))
    assert step.action == "fail"
    assert field in step.reason and "recreate=on_change" in step.reason


@pytest.mark.parametrize("recreate", ["never", "on_change"])
def test_another_workspace_moves_the_key_with_one_patch(recreate):
    step = plan(CURRENT, desired(hash=HASH, workspace_id="ws-other", limit=10), recreate=recreate, key_hash=HASH)
    assert step.action == "update"
    assert step.patch == {"workspace_id": "ws-other"}
    assert step.diff == {
        "before": {"workspace_id": "ws-default", "limit": 10.0},
        "after": {"workspace_id": "ws-other", "limit": 10.0},
    }
    assert apply_plan(CURRENT, step) == dict(CURRENT, workspace_id="ws-other")


def test_external_user_is_sent_at_creation_and_replaced_on_change():
    created = plan(None, desired(name="svc", external_user="end-user-1"))
    assert created.body == {"name": "svc", "external_user": "end-user-1"}
    current = dict(CURRENT, external_user="end-user-1")
    assert plan(current, desired(name="svc", external_user="end-user-1")).action == "none"
    step = plan(current, desired(name="svc", external_user="end-user-2"), recreate="on_change")
    assert step.action == "replace"
    assert step.body["external_user"] == "end-user-2"


def test_on_change_replaces_and_keeps_the_old_settings():
    step = plan(
        dict(CURRENT, disabled=True, limit_reset="weekly"),
        desired(name="svc", expires_at="2028-06-30T00:00:00Z"),
        recreate="on_change",
    )
    assert step.action == "replace"
    assert step.body == {
        "name": "svc",
        "limit": 10.0,
        "limit_reset": "weekly",
        "include_byok_in_limit": False,
        "expires_at": "2028-06-30T00:00:00Z",
        "workspace_id": "ws-default",
    }
    assert step.patch == {"disabled": True}
    assert step.before["hash"] == HASH and step.after["hash"] == NEW_HASH
    assert step.before["expires_at"] == "2027-12-31T23:59:59Z"


def test_on_change_without_a_fixed_difference_updates_in_place():
    step = plan(CURRENT, desired(name="svc", limit=3), recreate="on_change")
    assert step.action == "update"


def test_always_replaces_even_when_nothing_differs():
    step = plan(CURRENT, desired(name="svc"), recreate="always")
    assert step.action == "replace"
    assert step.changed


@pytest.mark.parametrize("current, action", [(CURRENT, "delete"), (None, "none")])
def test_absent(current, action):
    step = plan(current, desired(name="svc"), state="absent")
    assert step.action == action
    assert step.after == {}
    if current:
        assert step.before["name"] == "svc"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2027-12-31T23:59:59Z", "2027-12-31T23:59:59Z"),
        ("2027-12-31T23:59:59.750Z", "2027-12-31T23:59:59Z"),
        ("2028-01-01T01:59:59+02:00", "2027-12-31T23:59:59Z"),
        ("2027-12-31T23:59Z", "2027-12-31T23:59:00Z"),
        ("2027-12-31t23:59:59z", "2027-12-31T23:59:59Z"),
    ],
)
def test_expires_at_is_normalised_to_utc_with_seconds(text, expected):
    assert normalize_expires_at(text) == expected


@pytest.mark.parametrize(
    "options, option",
    [
        (dict(name="a", limit=-1), "limit"),
        (dict(name="a", limit="ten"), "limit"),
        (dict(name="a", limit=True), "limit"),
        (dict(name="a", limit="nan"), "limit"),
        (dict(name="a", limit_reset="yearly"), "limit_reset"),
        (dict(name="a", expires_at="2027-12-31"), "expires_at"),
        (dict(name="a", expires_at="2027-12-31T23:59:59"), "expires_at"),
        (dict(name="a", expires_at="next tuesday"), "expires_at"),
        (dict(name=""), "name"),
        (dict(name="a", workspace_id=" "), "workspace_id"),
        (dict(hash="not-a-hash"), "hash"),
    ],
)
def test_bad_options_are_named(options, option):
    problems = KEY.problems(options)
    assert len(problems) == 1
    assert problems[0].startswith(option + " ")


def test_apply_plan_predicts_the_record():
    assert apply_plan(CURRENT, plan(CURRENT, desired(name="svc", limit=1)))["limit"] == 1.0
    assert apply_plan(CURRENT, plan(CURRENT, desired(name="svc"), state="absent")) is None
    created = apply_plan(None, plan(None, desired(name="n", disabled=True)))
    assert created == {
        "hash": None,
        "name": "n",
        "disabled": True,
        "limit": None,
        "limit_reset": None,
        "include_byok_in_limit": False,
        "expires_at": None,
        "creator_user_id": None,
        "external_user": None,
    }
    replaced = apply_plan(CURRENT, plan(CURRENT, desired(name="svc", limit="unlimited"), recreate="always"))
    assert replaced["hash"] is None and replaced["limit"] is None and replaced["expires_at"] == CURRENT["expires_at"]
