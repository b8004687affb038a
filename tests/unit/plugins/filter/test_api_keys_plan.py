# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The api_keys_plan filter: existing key records and a desired list in, only the changes out, by table."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import time

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.openrouter.provisioning.plugins.filter.api_keys_plan import FilterModule, api_keys_plan
from ansible_collections.openrouter.provisioning.plugins.module_utils.key_resource import KEY

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


def message(existing, desired, exclusive=False, **options):
    with pytest.raises(AnsibleFilterError) as caught:
        api_keys_plan(existing, desired, exclusive, **options)
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
    [entry] = api_keys_plan(EXISTING, [item], return_secrets=True)
    assert entry.pop("line").startswith("%-14s %s" % (action, item["name"]))
    assert entry == {"name": item["name"], "action": action, "diff": diff, "options": options}


def test_entries_follow_the_list_and_leave_the_items_unchanged():
    desired = [{"name": "b-new"}, {"name": "svc"}, {"name": "off", "disabled": "false"}, {"name": "a-new"}]
    copy = [dict(item) for item in desired]
    changes = api_keys_plan(EXISTING, desired, return_secrets=True)
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
    # Only the deletions of exclusive say so: the role's summary counts the listed keys without them.
    assert [change.get("exclusive") for change in changes] == [None, True, True, True]


@pytest.mark.parametrize("exclusive", [False, "false", "no", 0, None])
def test_without_exclusive_unlisted_keys_stay(exclusive):
    assert api_keys_plan(EXISTING + [record("stray", 10)], [{"name": "svc"}], exclusive) == []


def test_exclusive_with_nothing_listed_deletes_everything_only_when_allowed():
    changes = api_keys_plan(EXISTING, [], exclusive=True, exclusive_allow_empty=True)
    assert [change["options"]["hash"] for change in changes] == [SVC["hash"], OFF["hash"]]


@pytest.mark.parametrize(
    "desired, options, expected",
    [
        ([{"name": "svc", "limit": "ten"}], {}, "openrouter_api_keys[0] (svc): limit must be a number of USD"),
        ([{"name": "a"}, {"name": "a"}], {}, "each name must be unique"),
        ([], {"exclusive": True}, "openrouter_api_keys_exclusive_allow_empty"),
        ([{"name": "a"}], {"max_deletes": -1}, "openrouter_api_keys_max_deletes must be a whole number"),
        ([{"name": "a"}, {"name": "A"}], {"secrets_dir": "secrets"}, "differ only in case"),
    ],
)
def test_check_only_refuses_what_needs_no_existing_key(desired, options, expected, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert expected in message([], desired, check_only=True, **options)


def test_check_only_returns_nothing_and_leaves_the_rest_to_the_plan():
    # A create with neither a secrets directory nor return_secrets is refused by the plan, which knows it creates.
    desired = [{"name": "svc", "limit": 1}, {"name": "new"}]
    assert api_keys_plan("not read", desired, check_only=True) == []
    assert "would create a key" in message(EXISTING, desired)


def test_exclusive_must_be_a_boolean():
    assert "exclusive must be true or false" in message(EXISTING, [], "maybe")


def test_a_name_that_two_existing_keys_share_fails_that_item_only_naming_both_hashes():
    twins = [record("twin", 21), record("twin", 22)]
    changes = api_keys_plan(EXISTING + twins, [{"name": "twin", "limit": 1}, {"name": "svc", "limit": 3}])
    assert [(change["name"], change["action"]) for change in changes] == [("twin", "fail"), ("svc", "update")]
    assert changes[0]["reason"].startswith("openrouter_api_keys[0] (twin): 2 keys bear this name")
    assert twins[0]["hash"] in changes[0]["reason"] and twins[1]["hash"] in changes[0]["reason"]
    assert changes[0]["hashes"] == [
        {"hash": twins[0]["hash"], "secret_stored": False},
        {"hash": twins[1]["hash"], "secret_stored": False},
    ]


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
    started = time.process_time()
    assert api_keys_plan(existing, desired, exclusive=True) == []
    # A few milliseconds in practice; CPU time, so that a loaded machine's stalls don't count.
    assert time.process_time() - started < 1.0


# Secrets, the secrets directory and the guards of exclusive mode


def secret_of(index):
    """A secret that the label of record(..., index) masks."""
    return "sk-or-v1-%03d%sabc" % (index, "0" * 58)


@pytest.fixture
def secrets_dir(tmp_path):
    target = tmp_path / "secrets"
    target.mkdir(mode=0o700)
    return str(target)


def test_a_create_without_a_secrets_dir_is_refused_unless_secrets_may_live_in_a_fact():
    text = message(EXISTING, [{"name": "new-1"}, {"name": "svc"}, {"name": "svc-2", "recreate": "always"}])
    assert text.startswith("openrouter_api_keys[0] (new-1), openrouter_api_keys[2] (svc-2) would create a key")
    assert "openrouter_api_keys_secrets_dir" in text and "openrouter_api_keys_return_secrets: true" in text
    assert [change["action"] for change in api_keys_plan(EXISTING, [{"name": "new-1"}], return_secrets="yes")] == [
        "create"
    ]
    # Updates and deletes keep no secret, so they need neither.
    assert [
        c["action"] for c in api_keys_plan(EXISTING, [{"name": "svc", "limit": 1}, {"name": "off", "state": "absent"}])
    ] == [
        "update",
        "delete",
    ]


def test_with_a_secrets_dir_creates_replaces_and_deletes_carry_their_secret_file(secrets_dir):
    for name in ("svc", "off"):
        with open(os.path.join(secrets_dir, name + ".key"), "w") as handle:
            handle.write("x\n")
    desired = [
        {"name": "team/ci"},
        {"name": "svc", "recreate": "always"},
        {"name": "off", "state": "absent"},
        {"name": "CI-Prod"},
    ]
    changes = api_keys_plan(EXISTING, desired, secrets_dir=secrets_dir)
    assert [(change["action"], change["options"].get("secret_file")) for change in changes] == [
        ("create", os.path.join(secrets_dir, "team%2fci.key")),
        ("replace", os.path.join(secrets_dir, "svc.key")),
        ("delete", os.path.join(secrets_dir, "off.key")),
        ("create", os.path.join(secrets_dir, "CI-Prod.key")),
    ]


def test_an_update_does_not_touch_the_secret_file(secrets_dir):
    open(os.path.join(secrets_dir, "svc.key"), "w").close()
    [change] = api_keys_plan(EXISTING, [{"name": "svc", "limit": 1}], secrets_dir=secrets_dir)
    assert change["action"] == "update" and "secret_file" not in change["options"]


def test_names_whose_files_differ_only_in_case_are_refused_naming_both(secrets_dir):
    text = message([], [{"name": "CI-Prod"}, {"name": "other"}, {"name": "ci-prod", "state": "absent"}])
    assert "would create a key" in text  # no secrets dir: the names don't matter
    text = message(
        [], [{"name": "CI-Prod"}, {"name": "other"}, {"name": "ci-prod", "state": "absent"}], secrets_dir=secrets_dir
    )
    assert text.startswith("Keys 'CI-Prod' and 'ci-prod' would have secret files in %s" % secrets_dir)
    assert "CI-Prod.key and ci-prod.key" in text and "Rename all but one" in text


def test_an_exclusive_delete_whose_file_differs_only_in_case_from_a_listed_name_is_refused(secrets_dir):
    text = message([record("ci", 30)], [{"name": "CI"}], True, secrets_dir=secrets_dir)
    assert text.startswith("Keys 'CI' and 'ci' would have secret files")


@pytest.mark.parametrize("mode", [0o730, 0o770, 0o777])
def test_a_secrets_dir_others_can_write_is_refused_before_any_request(secrets_dir, mode):
    os.chmod(secrets_dir, mode)
    text = message([], [{"name": "a"}], secrets_dir=secrets_dir)
    assert text.startswith("openrouter_api_keys_secrets_dir: ")
    assert secrets_dir in text and "set openrouter_api_keys_secrets_dir to a directory of your own" in text
    assert os.stat(secrets_dir).st_mode & 0o777 == mode  # never changed


def test_a_secrets_dir_that_does_not_exist_yet_is_fine_and_not_made(secrets_dir):
    missing = os.path.join(secrets_dir, "new")
    assert [c["action"] for c in api_keys_plan([], [{"name": "a"}], secrets_dir=missing)] == ["create"]
    assert not os.path.exists(missing)
    assert message([], [{"name": "a"}], secrets_dir=os.path.join(missing, "deeper")).startswith(
        "openrouter_api_keys_secrets_dir: "
    )


def test_a_listed_key_without_its_secret_file_is_reported_and_rotated_only_when_asked(secrets_dir):
    open(os.path.join(secrets_dir, "off.key"), "w").close()
    desired = [{"name": "svc", "limit": 10}, {"name": "off"}]
    [missing] = api_keys_plan(EXISTING, desired, secrets_dir=secrets_dir)
    assert missing["name"] == "svc" and missing["action"] == "missing_secret"
    assert missing["secret_file"] == os.path.join(secrets_dir, "svc.key")
    assert missing["options"]["hash"] == SVC["hash"]
    [rotate] = api_keys_plan(EXISTING, desired, secrets_dir=secrets_dir, rotate_missing=True)
    assert rotate["action"] == "replace"
    assert rotate["options"] == {
        "name": "svc",
        "limit": 10,
        "recreate": "always",
        "hash": SVC["hash"],
        "secret_file": os.path.join(secrets_dir, "svc.key"),
    }


def test_a_key_without_its_secret_file_is_still_updated(secrets_dir):
    changes = api_keys_plan(EXISTING, [{"name": "svc", "limit": 3}], secrets_dir=secrets_dir)
    assert [change["action"] for change in changes] == ["missing_secret", "update"]
    assert "secret_file" not in changes[1]["options"]


def test_rotating_missing_secrets_is_capped(secrets_dir):
    existing = [record("k%d" % index, 40 + index) for index in range(4)]
    desired = [{"name": "k%d" % index} for index in range(4)]
    text = message(existing, desired, secrets_dir=secrets_dir, rotate_missing=True, max_rotations=3)
    assert text.startswith("4 keys have no secret file in %s (k0, k1, k2, k3)" % secrets_dir)
    assert "Raise openrouter_api_keys_max_rotations to 4" in text
    changes = api_keys_plan(existing, desired, secrets_dir=secrets_dir, rotate_missing=True, max_rotations="4")
    assert [change["action"] for change in changes] == ["replace"] * 4


def test_duplicates_say_whose_secret_the_file_holds(secrets_dir):
    twins = [record("twin", 21), record("twin", 22)]
    with open(os.path.join(secrets_dir, "twin.key"), "w") as handle:
        handle.write(secret_of(22) + "\n")
    [fail] = api_keys_plan(twins, [{"name": "twin"}], secrets_dir=secrets_dir)
    assert fail["hashes"] == [
        {"hash": twins[0]["hash"], "secret_stored": False},
        {"hash": twins[1]["hash"], "secret_stored": True},
    ]
    assert "The secret file holds the secret of %s." % twins[1]["hash"] in fail["reason"]
    assert secret_of(22) not in repr(fail)


@pytest.mark.parametrize("desired", [[], ()])
def test_exclusive_with_an_empty_list_is_refused(desired):
    text = message(EXISTING, desired, True)
    assert text.startswith("openrouter_api_keys is empty and openrouter_api_keys_exclusive is true")
    assert "openrouter_api_keys_exclusive_allow_empty: true" in text


def test_deletes_beyond_the_cap_are_refused_listing_names_and_hashes():
    strays = [record("stray-%d" % index, 50 + index) for index in range(3)]
    text = message(EXISTING + strays, [{"name": "svc"}, {"name": "off", "state": "absent"}], True, max_deletes=3)
    assert text.startswith("The plan deletes 4 keys (off (%s), stray-0 (%s)" % (OFF["hash"], strays[0]["hash"]))
    assert "raise openrouter_api_keys_max_deletes to 4" in text
    assert len(api_keys_plan(EXISTING + strays, [{"name": "svc"}], True, max_deletes=4)) == 4


def test_the_default_cap_is_ten_deletes():
    strays = [record("stray-%d" % index, 50 + index) for index in range(11)]
    assert "more than openrouter_api_keys_max_deletes (10)" in message(EXISTING + strays, [{"name": "svc"}], True)


def test_exclusive_scope_limits_the_deletes_to_matching_names():
    others = [record("cust-a", 60), record("cust-b", 61), record("Cust-c", 62), record("team-x", 63)]
    changes = api_keys_plan(EXISTING + others, [{"name": "cust-a"}], True, exclusive_scope="cust-*")
    assert [change["name"] for change in changes] == ["cust-b"]
    assert changes[0]["options"] == {"hash": others[1]["hash"], "state": "absent"}


@pytest.mark.parametrize(
    "option, value, expected",
    [
        ("max_deletes", -1, "openrouter_api_keys_max_deletes must be a whole number of 0 or more, got -1."),
        ("max_rotations", "many", "openrouter_api_keys_max_rotations must be a whole number of 0 or more"),
        ("max_deletes", True, "openrouter_api_keys_max_deletes must be a whole number"),
        ("rotate_missing", "perhaps", "openrouter_api_keys_rotate_missing must be true or false, got 'perhaps'."),
        ("return_secrets", "perhaps", "openrouter_api_keys_return_secrets must be true or false"),
        ("exclusive_allow_empty", 2, "openrouter_api_keys_exclusive_allow_empty must be true or false"),
        ("exclusive_scope", "", "openrouter_api_keys_exclusive_scope must be a non-empty name pattern"),
    ],
)
def test_a_bad_setting_is_refused_naming_the_variable(option, value, expected):
    assert message(EXISTING, [{"name": "svc"}], **{option: value}).startswith(expected)


def test_each_entry_has_one_line_of_text_with_its_hash_and_what_changes(secrets_dir):
    twins = [record("twin", 21), record("twin", 22)]
    desired = [{"name": "svc", "limit": 25}, {"name": "new", "limit": 5}, {"name": "twin"}, {"name": "off"}]
    open(os.path.join(secrets_dir, "svc.key"), "w").close()
    changes = api_keys_plan(EXISTING + twins + [record("stray", 9)], desired, True, secrets_dir=secrets_dir)
    assert [change["line"] for change in changes] == [
        "update         svc (%s): limit 10.0 -> 25.0" % SVC["hash"],
        "create         new: limit 5.0",
        "fail           twin: 2 keys bear this name (%s, %s)" % (twins[0]["hash"], twins[1]["hash"]),
        "missing_secret off (%s): no secret file %s/off.key" % (OFF["hash"], secrets_dir),
        "delete         stray (%s)" % record("stray", 9)["hash"],
    ]


# --- guardrail -------------------------------------------------------------------------------------------------------
TEAM, OTHER = "guardrail-team-id", "guardrail-other-id"
GUARDRAILS = [{"id": TEAM, "name": "team"}, {"id": OTHER, "name": "other"}, {"id": "twin-1", "name": "twin"}]
GUARDRAILS.append({"id": "twin-2", "name": "twin"})
HELD = [dict(SVC, guardrail_id=TEAM), dict(OFF, guardrail_id=None)]


@pytest.mark.parametrize(
    "item",
    [
        {"name": "svc", "guardrail": TEAM},
        {"name": "svc", "guardrail": "team"},
        {"name": "svc", "guardrail": None},  # not managed
        {"name": "off", "guardrail": ""},
        {"name": "gone", "state": "absent", "guardrail": "team"},
    ],
)
def test_a_key_that_holds_the_guardrail_wanted_gives_no_entry(item):
    assert api_keys_plan(HELD, [item], guardrails=GUARDRAILS) == []


@pytest.mark.parametrize(
    "item, guardrail, before, after",
    [
        ({"name": "svc", "guardrail": "other"}, OTHER, TEAM, OTHER),
        ({"name": "svc", "guardrail": OTHER}, OTHER, TEAM, OTHER),
        ({"name": "svc", "guardrail": ""}, "", TEAM, None),
        ({"name": "off", "guardrail": "team"}, TEAM, None, TEAM),
    ],
)
def test_a_guardrail_that_differs_is_an_update_that_gives_the_module_its_id(item, guardrail, before, after):
    [entry] = api_keys_plan(HELD, [item], guardrails=GUARDRAILS)
    assert entry["action"] == "update"
    assert entry["options"] == {"name": item["name"], "guardrail": guardrail, "hash": entry["options"]["hash"]}
    assert entry["diff"] == {
        "before": {"name": item["name"], "guardrail_id": before},
        "after": {"name": item["name"], "guardrail_id": after},
    }
    shown = {TEAM: "team (%s)" % TEAM, OTHER: "other (%s)" % OTHER}
    assert entry["line"].endswith("guardrail_id %s -> %s" % (shown.get(before), shown.get(after)))


def test_a_key_with_other_changes_under_its_guardrail_leaves_the_guardrail_out_of_the_options():
    [entry] = api_keys_plan(HELD, [{"name": "svc", "limit": 20, "guardrail": "team"}], guardrails=GUARDRAILS)
    assert entry["options"] == {"name": "svc", "limit": 20, "hash": SVC["hash"]}
    assert entry["diff"]["after"] == {"name": "svc", "limit": 20.0, "guardrail_id": TEAM}
    assert entry["line"].endswith(": limit 10.0 -> 20.0")


@pytest.mark.parametrize(
    "guardrail, options, after",
    [("team", {"guardrail": TEAM}, {"guardrail_id": TEAM}), ("", {}, {})],
)
def test_a_new_key_gets_its_guardrail_at_creation(guardrail, options, after):
    [entry] = api_keys_plan(HELD, [{"name": "new", "guardrail": guardrail}], guardrails=GUARDRAILS, return_secrets=True)
    assert entry["action"] == "create"
    assert entry["options"] == dict({"name": "new"}, **options)
    assert entry["diff"] == {"before": {}, "after": dict({"name": "new"}, **after)}
    assert entry["line"] == "%-14s new%s" % ("create", ": guardrail_id team (%s)" % TEAM if options else "")


@pytest.mark.parametrize("guardrail, options", [("team", {"guardrail": TEAM}), ("", {})])
def test_a_replaced_key_gives_its_replacement_the_guardrail(guardrail, options):
    [entry] = api_keys_plan(
        HELD,
        [{"name": "svc", "recreate": "always", "guardrail": guardrail}],
        guardrails=GUARDRAILS,
        return_secrets=True,
    )
    assert entry["action"] == "replace"
    assert entry["options"] == dict({"name": "svc", "recreate": "always", "hash": SVC["hash"]}, **options)
    assert entry["diff"]["before"]["guardrail_id"] == TEAM
    assert entry["diff"]["after"]["guardrail_id"] == (TEAM if guardrail else None)


def test_without_the_guardrail_listing_a_guardrail_is_taken_as_an_id():
    assert api_keys_plan(HELD, [{"name": "svc", "guardrail": TEAM}]) == []
    [entry] = api_keys_plan(HELD, [{"name": "off", "guardrail": OTHER}])
    assert entry["options"]["guardrail"] == OTHER
    assert entry["line"].endswith("guardrail_id None -> %s" % OTHER)


def test_every_guardrail_that_matches_no_guardrail_or_several_fails_naming_the_item_and_the_option():
    text = message(
        HELD,
        [
            {"name": "svc", "guardrail": "nope"},
            {"name": "off", "guardrail": "twin"},
            {"name": "ok", "guardrail": "team"},
        ],
        guardrails=GUARDRAILS,
        return_secrets=True,
    )
    assert "openrouter_api_keys[0] (svc): guardrail 'nope' matches no guardrail of the keys' workspace" in text
    assert "openrouter_api_keys[1] (off): guardrail 'twin' matches the guardrails twin-1, twin-2" in text
    assert "openrouter_api_keys[2]" not in text


def test_guardrail_is_one_of_the_fields_an_item_takes():
    text = message([], [{"name": "svc", "guardrails": "team"}])
    assert "openrouter_api_keys[0] (svc): unknown field(s) guardrails; the fields are" in text
    assert text.endswith("recreate, guardrail.")


def test_keys_read_without_their_guardrail_are_refused_when_an_item_gives_one():
    text = message(EXISTING, [{"name": "svc", "guardrail": "team"}], guardrails=GUARDRAILS)
    assert "openrouter_api_keys[0] (svc) give guardrail, but the existing keys carry no guardrail_id" in text
    assert "include_guardrail: true" in text
    # Without an item that gives guardrail, keys read either way plan alike.
    assert api_keys_plan(EXISTING, [{"name": "svc"}]) == api_keys_plan(HELD, [{"name": "svc"}]) == []


def test_the_guardrails_must_be_a_list_of_guardrails():
    assert "guardrails must be the list of guardrails" in message(HELD, [{"name": "svc"}], guardrails="team")
