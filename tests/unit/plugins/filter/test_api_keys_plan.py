# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The api_keys_plan filter: existing key records and a desired list in, only the changes out, by table."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.openrouter.provisioning.plugins.filter.api_keys_plan import FilterModule, api_keys_plan
from ansible_collections.openrouter.provisioning.plugins.module_utils.keys import KEY

NEW_HASH = KEY.new_placeholder


def record(name, index, **fields):
    """A key record as openrouter_key_info returns it, with OpenRouter's defaults for what isn't given."""
    base = {
        "hash": "%064x" % index,
        "name": name,
        "label": "sk-or-v1-%03d...abc" % index,
        "disabled": False,
        "limit": None,
        "limit_remaining": None,
        "limit_reset": None,
        "include_byok_in_limit": False,
        "usage": 0.0,
        "expires_at": None,
        "creator_user_id": None,
        "workspace_id": "ws-default",
        "created_at": "2026-11-01T00:00:00Z",
    }
    base.update(fields)
    return base


SVC = record("svc", 1, limit=10.0, limit_remaining=10.0, expires_at="2027-12-31T23:59:59Z")
OFF = record("off", 2, disabled=True, limit_reset="monthly", limit=5.0)
EXISTING = [SVC, OFF]


def message(existing, desired, exclusive=False):
    with pytest.raises(AnsibleFilterError) as caught:
        api_keys_plan(existing, desired, exclusive)
    return str(caught.value)


def test_the_filter_is_registered_under_its_name():
    assert FilterModule().filters() == {"api_keys_plan": api_keys_plan}


@pytest.mark.parametrize(
    "item",
    [
        {"name": "svc"},
        {"name": "svc", "state": "present"},
        {"name": "svc", "limit": 10},  # stored as 10.0
        {"name": "svc", "limit": "10.0"},
        {"name": "svc", "limit_reset": "never"},  # stored as null
        {"name": "svc", "limit": 10, "limit_reset": "never", "disabled": False, "include_byok_in_limit": False},
        {"name": "svc", "disabled": "no"},  # a string boolean, as --extra-vars gives it
        {"name": "svc", "limit": None, "limit_reset": None},  # an empty field is not managed
        {"name": "svc", "expires_at": "2027-12-31T23:59:59Z"},
        {"name": "svc", "expires_at": "2028-01-01T01:59:59+02:00"},  # the same moment with an offset
        {"name": "svc", "expires_at": "2027-12-31T23:59:59Z", "recreate": "on_change"},
        {"name": "off", "disabled": True, "limit_reset": "monthly", "limit": 5},
        {"name": "off", "disabled": "yes"},
        {"name": "gone", "state": "absent"},
    ],
)
def test_an_item_that_matches_gives_no_entry(item):
    assert api_keys_plan(EXISTING, [item]) == []


@pytest.mark.parametrize(
    "item, action, diff, options",
    [
        (
            {"name": "new", "limit": 5, "limit_reset": "daily"},
            "create",
            {"before": {}, "after": {"name": "new", "limit": 5.0, "limit_reset": "daily"}},
            {"name": "new", "limit": 5, "limit_reset": "daily"},
        ),
        (
            {"name": "new", "limit": "unlimited", "limit_reset": "never", "disabled": "true"},
            "create",
            {"before": {}, "after": {"name": "new", "limit": None, "limit_reset": None, "disabled": True}},
            {"name": "new", "limit": "unlimited", "limit_reset": "never", "disabled": True},
        ),
        (
            {"name": "svc", "limit": 25, "limit_reset": "never"},
            "update",
            {
                "before": {"name": "svc", "limit": 10.0, "limit_reset": None},
                "after": {"name": "svc", "limit": 25.0, "limit_reset": None},
            },
            {"name": "svc", "limit": 25, "limit_reset": "never", "hash": SVC["hash"]},
        ),
        (
            {"name": "svc", "limit": "unlimited", "include_byok_in_limit": True},
            "update",
            {
                "before": {"name": "svc", "limit": 10.0, "include_byok_in_limit": False},
                "after": {"name": "svc", "limit": None, "include_byok_in_limit": True},
            },
            {"name": "svc", "limit": "unlimited", "include_byok_in_limit": True, "hash": SVC["hash"]},
        ),
        (
            {"name": "off", "disabled": False, "limit": None},
            "update",
            {"before": {"name": "off", "disabled": True}, "after": {"name": "off", "disabled": False}},
            {"name": "off", "disabled": False, "hash": OFF["hash"]},
        ),
        (
            {"name": "svc", "expires_at": "2028-06-30T00:00:00Z", "recreate": "on_change"},
            "replace",
            {
                "before": {"name": "svc", "expires_at": "2027-12-31T23:59:59Z", "hash": SVC["hash"]},
                "after": {"name": "svc", "expires_at": "2028-06-30T00:00:00Z", "hash": NEW_HASH},
            },
            {"name": "svc", "expires_at": "2028-06-30T00:00:00Z", "recreate": "on_change", "hash": SVC["hash"]},
        ),
        (
            {"name": "svc", "recreate": "always"},
            "replace",
            {"before": {"name": "svc", "hash": SVC["hash"]}, "after": {"name": "svc", "hash": NEW_HASH}},
            {"name": "svc", "recreate": "always", "hash": SVC["hash"]},
        ),
        (
            {"name": "off", "state": "absent"},
            "delete",
            {
                "before": {
                    "name": "off",
                    "disabled": True,
                    "limit": 5.0,
                    "limit_reset": "monthly",
                    "include_byok_in_limit": False,
                    "expires_at": None,
                    "creator_user_id": None,
                    "external_user": None,
                    "workspace_id": "ws-default",
                },
                "after": {},
            },
            {"name": "off", "state": "absent", "hash": OFF["hash"]},
        ),
    ],
)
def test_an_item_that_differs_gives_one_entry_with_its_options_and_diff(item, action, diff, options):
    assert api_keys_plan(EXISTING, [item]) == [
        {"name": item["name"], "action": action, "diff": diff, "options": options}
    ]


def test_entries_follow_the_list_and_leave_the_items_unchanged():
    desired = [{"name": "b-new"}, {"name": "svc"}, {"name": "off", "disabled": "false"}, {"name": "a-new"}]
    copy = [dict(item) for item in desired]
    changes = api_keys_plan(EXISTING, desired)
    assert [(change["name"], change["action"]) for change in changes] == [
        ("b-new", "create"),
        ("off", "update"),
        ("a-new", "create"),
    ]
    assert desired == copy


@pytest.mark.parametrize("exclusive", [True, "true", "yes", 1])
def test_exclusive_deletes_exactly_the_unlisted_keys_by_hash(exclusive):
    strays = [record("stray-%d" % index, 10 + index) for index in range(3)]
    changes = api_keys_plan(EXISTING + strays, [{"name": "svc"}, {"name": "off", "state": "absent"}], exclusive)
    assert [change["name"] for change in changes] == ["off", "stray-0", "stray-1", "stray-2"]
    assert [change["action"] for change in changes] == ["delete"] * 4
    assert [change["options"] for change in changes[1:]] == [
        {"hash": stray["hash"], "state": "absent"} for stray in strays
    ]
    assert changes[1]["diff"]["before"]["name"] == "stray-0"
    assert all(change["diff"]["after"] == {} for change in changes)


@pytest.mark.parametrize("exclusive", [False, "false", "no", 0, None])
def test_without_exclusive_unlisted_keys_stay(exclusive):
    assert api_keys_plan(EXISTING + [record("stray", 10)], [{"name": "svc"}], exclusive) == []


def test_exclusive_with_nothing_listed_deletes_everything():
    changes = api_keys_plan(EXISTING, [], exclusive=True)
    assert [change["options"]["hash"] for change in changes] == [SVC["hash"], OFF["hash"]]


def test_exclusive_must_be_a_boolean():
    assert "exclusive must be true or false" in message(EXISTING, [], "maybe")


def test_a_name_that_two_existing_keys_share_fails_naming_both_hashes():
    twins = [record("twin", 21), record("twin", 22)]
    text = message(EXISTING + twins, [{"name": "svc"}, {"name": "twin", "limit": 1}])
    assert text.startswith("openrouter_api_keys[1] (twin): 2 keys bear this name")
    assert twins[0]["hash"] in text and twins[1]["hash"] in text


def test_a_name_given_twice_fails_naming_both_items():
    text = message(EXISTING, [{"name": "svc"}, {"name": "new"}, {"name": "svc", "limit": 3}])
    assert text == (
        "openrouter_api_keys[2] (svc): the name is also given by openrouter_api_keys[0]; each name must be unique."
    )


@pytest.mark.parametrize(
    "item, expected",
    [
        (
            {"name": "svc", "limt": 5},
            "openrouter_api_keys[1] (svc): unknown field(s) limt; the fields are name, state, limit",
        ),
        ({"name": "svc", "hash": "f" * 64}, "openrouter_api_keys[1] (svc): unknown field(s) hash;"),
        (
            {"name": "svc", "limit": -1},
            "openrouter_api_keys[1] (svc): limit must be a number of USD (0 or more) or 'unlimited', got -1.",
        ),
        ({"name": "svc", "limit": "lots"}, "openrouter_api_keys[1] (svc): limit must be a number"),
        ({"name": "svc", "limit": True}, "openrouter_api_keys[1] (svc): limit must be a number"),
        (
            {"name": "svc", "limit_reset": "hourly"},
            "openrouter_api_keys[1] (svc): limit_reset must be one of daily, weekly, monthly, never",
        ),
        (
            {"name": "svc", "expires_at": "2027-12-31"},
            "openrouter_api_keys[1] (svc): expires_at must be an ISO 8601 timestamp",
        ),
        (
            {"name": "svc", "expires_at": "2020-01-01T00:00:00Z"},
            "openrouter_api_keys[1] (svc): expires_at must be in the future, got '2020-01-01T00:00:00Z'",
        ),
        (
            {"name": "svc", "state": "gone"},
            "openrouter_api_keys[1] (svc): state must be one of present, absent, got 'gone'.",
        ),
        (
            {"name": "svc", "recreate": "sometimes"},
            "openrouter_api_keys[1] (svc): recreate must be one of never, on_change, always",
        ),
        (
            {"name": "svc", "disabled": "maybe"},
            "openrouter_api_keys[1] (svc): disabled must be true or false, got 'maybe'.",
        ),
        (
            {"name": "svc", "include_byok_in_limit": 2},
            "openrouter_api_keys[1] (svc): include_byok_in_limit must be true or false",
        ),
        ({"limit": 5}, "openrouter_api_keys[1] (None): name is required and must be a non-empty string."),
        ({"name": " "}, "openrouter_api_keys[1] ( ): name is required"),
        ({"name": ["svc"]}, "openrouter_api_keys[1] (['svc']): name is required and must be a non-empty string."),
        ("svc", "openrouter_api_keys[1]: each item must be a dictionary with a name, got 'svc'."),
    ],
)
def test_a_bad_item_fails_naming_its_index_its_name_and_the_field(item, expected):
    text = message(EXISTING, [{"name": "fine"}, item])
    assert text.startswith(expected)
    assert "fine" not in text


def test_every_bad_item_is_named_at_once():
    text = message(EXISTING, [{"name": "a", "limt": 1}, {"name": "b"}, {"name": "c", "limit": -2, "state": "off"}])
    assert text.startswith("openrouter_api_keys[0] (a): unknown field(s) limt;")
    assert "openrouter_api_keys[2] (c): state must be one of present, absent, got 'off'." in text
    assert "limit must be a number of USD (0 or more) or 'unlimited', got -2." in text
    assert "(b)" not in text


def test_bad_items_fail_even_with_no_existing_keys():
    """The role checks the list this way before it sends any request."""
    assert message([], [{"name": "x", "limt": 1}]).startswith("openrouter_api_keys[0] (x): unknown field(s) limt")


def test_a_fixed_field_that_differs_fails_under_recreate_never_naming_the_item_and_field():
    text = message(EXISTING, [{"name": "svc", "expires_at": "2028-06-30T00:00:00Z"}])
    assert text.startswith("openrouter_api_keys[0] (svc): expires_at can't be changed on an existing key")
    assert "recreate=on_change" in text


def test_two_hundred_matching_items_give_nothing_quickly():
    existing = [
        record("bulk-%03d" % index, 100 + index, limit=float(index), limit_reset="weekly") for index in range(200)
    ]
    desired = [
        {"name": "bulk-%03d" % index, "limit": index, "limit_reset": "weekly", "disabled": False}
        for index in range(200)
    ]
    started = time.perf_counter()
    assert api_keys_plan(existing, desired, exclusive=True) == []
    # A few milliseconds in practice.
    assert time.perf_counter() - started < 1.0
