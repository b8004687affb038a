# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""plugins/module_utils/keys.py: the key's checks before any request, the info module's reading, and how limits compare.

The option definition itself is tested in test_key_resource.py; whole module runs in tests/unit/plugins/modules/.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
from datetime import datetime, timezone

import pytest

from ansible_collections.openrouter.provisioning.plugins.module_utils.client import OpenRouterClient
from ansible_collections.openrouter.provisioning.plugins.module_utils.key_resource import KEY
from ansible_collections.openrouter.provisioning.plugins.module_utils.keys import (
    _created_before,
    default_lock_timeout,
    key_info_problems,
    key_problems,
    read_keys,
    secret_file_problems,
)
from ansible_collections.openrouter.provisioning.plugins.modules import openrouter_key
from ansible_collections.openrouter.provisioning.tests.unit.helpers import API, LIST, MANAGEMENT_KEY, key, listing, sent

HASH = "%064x" % 1
INFO = dict(
    hash=None, name=None, workspace_id=None, include_disabled=True, include_expired=True, list=True, current=False
)


def test_the_default_lock_wait_outlasts_a_run_that_holds_the_lock():
    assert default_lock_timeout(60.0, 30.0) == 300.0  # the figure the option's documentation gives
    assert default_lock_timeout(0.0, 1.0) == 4.0


@pytest.fixture
def private_dir(tmp_path):
    os.chmod(str(tmp_path), 0o700)
    return tmp_path


def test_a_secret_file_in_a_private_directory_has_no_problem(private_dir):
    assert secret_file_problems(dict(secret_file=str(private_dir / "svc.secret"))) == []
    assert secret_file_problems(dict(secret_file=None)) == []


@pytest.mark.parametrize(
    "given, message",
    [
        (dict(secret_file=None, return_secret=False), "return_secret=false without secret_file would lose"),
        (dict(secret_file="relative/svc.secret"), "secret_file must be the absolute path of a file"),
        (dict(secret_file="/"), "secret_file must be the absolute path of a file"),
    ],
)
def test_a_secret_file_that_cannot_work_is_named(given, message):
    problems = secret_file_problems(given)
    assert len(problems) == 1 and message in problems[0], problems


def test_a_secret_file_in_a_directory_others_can_write_is_refused(private_dir):
    os.chmod(str(private_dir), 0o777)
    try:
        problems = secret_file_problems(dict(secret_file=str(private_dir / "svc.secret")))
    finally:
        os.chmod(str(private_dir), 0o700)
    assert len(problems) == 1 and problems[0].startswith("secret_file: "), problems
    assert "set secret_file to a path in a directory that only you can write" in problems[0]


@pytest.mark.parametrize("lock_timeout", [-1.0, 1e9])
def test_key_problems_bound_the_lock_wait(lock_timeout):
    problems = key_problems(dict(name="svc", secret_file=None, lock_timeout=lock_timeout))
    assert problems == ["lock_timeout must be a number of seconds, 0 or more, got %r." % lock_timeout]


def test_key_problems_take_the_key_s_field_checks():
    problems = key_problems(dict(name="svc", limit="lots", secret_file=None, lock_timeout=None))
    assert problems == ["limit must be a number of USD (0 or more) or 'unlimited', got 'lots'."]


def test_info_problems_name_a_bad_hash_and_a_bad_pattern():
    assert key_info_problems(dict(hash=None, name_pattern="^ci-")) == []
    assert key_info_problems(dict(hash=HASH, name_pattern=None)) == []
    (bad_hash,) = key_info_problems(dict(hash="abc", name_pattern=None))
    assert "hash" in bad_hash and "64 hexadecimal characters" in bad_hash
    (bad_pattern,) = key_info_problems(dict(hash=None, name_pattern="ci-("))
    assert bad_pattern.startswith("name_pattern must be a Python regular expression, got 'ci-('")
    assert "use name_prefix" in bad_pattern


def api():
    return OpenRouterClient(API, MANAGEMENT_KEY, retries=0)


@pytest.mark.parametrize(
    "filters, names",
    [
        (dict(), ["ci-a", "ci-b", "web"]),
        (dict(name="web"), ["web"]),
        (dict(name_prefix="ci-"), ["ci-a", "ci-b"]),
        (dict(name_pattern="-b$|^w"), ["ci-b", "web"]),
        (dict(name_prefix="ci-", name_pattern="a$"), ["ci-a"]),
    ],
)
def test_read_keys_lists_every_page_and_keeps_the_names_every_filter_passes(http, filters, names):
    listing(http, [key(1, name="ci-a"), key(2, name="ci-b"), key(3, name="web")])
    result = read_keys(api(), dict(INFO, **filters), check_mode=True)
    assert sorted(result) == ["api_keys", "changed", "workspace_id"] and result["changed"] is False
    assert result["workspace_id"] is None
    assert [record["name"] for record in result["api_keys"]] == names
    assert sent(http) == [("GET", LIST % 0, None)]


def test_read_keys_by_hash_and_the_current_key(http):
    http.get(API + "/keys/" + HASH, json={"data": key(1)})
    http.get(API + "/key", json={"data": {"label": "sk-or-v1-uni...6789", "is_management_key": True}})
    result = read_keys(api(), dict(INFO, hash=HASH, current=True), check_mode=False)
    assert result == {
        "changed": False,
        "api_keys": [key(1)],
        "current": {"label": "sk-or-v1-uni...6789", "is_management_key": True},
    }


# --- limits compare within a tolerance (resource.Money) ---------------------------------------------------------


@pytest.mark.parametrize(
    "current, wanted, differs",
    [
        (0.1 + 0.2, 0.3, False),  # 0.30000000000000004 from the API's float arithmetic is 0.3
        (25.0, 25, False),
        (0.3, 0.3 + 1e-10, False),
        (0.3, 0.3 + 1e-6, True),  # a millionth of a dollar is a real change
        (0.0, None, True),  # 0 USD is a limit; None is unlimited
        (None, None, False),
    ],
)
def test_limits_compare_within_a_tolerance(current, wanted, differs):
    assert KEY.fields["limit"].kind.differs(current, wanted) is differs


def test_a_limit_equal_within_the_tolerance_sends_no_patch(run, http):
    listing(http, [key(1, name="svc", limit=0.1 + 0.2)])
    result = run(openrouter_key.main, name="svc", limit=0.3)
    assert not result["changed"] and sent(http) == [("GET", LIST % 0, None)]


def test_a_limit_that_differs_beyond_the_tolerance_is_patched(run, http):
    listing(http, [key(1, name="svc", limit=0.3)])
    http.patch(API + "/keys/" + HASH, json={"data": key(1, name="svc", limit=0.31)})
    result = run(openrouter_key.main, name="svc", limit=0.31)
    assert result["changed"] and sent(http)[1] == ("PATCH", "/keys/" + HASH, {"limit": 0.31})


@pytest.mark.parametrize(
    "created_at, moment, before",
    [
        ("2026-12-01T11:59:57Z", datetime(2026, 12, 1, 12, tzinfo=timezone.utc), True),
        ("2026-12-01T11:59:58Z", datetime(2026, 12, 1, 12, tzinfo=timezone.utc), False),  # within the clocks' slack
        ("2026-12-01T12:00:05Z", datetime(2026, 12, 1, 12, tzinfo=timezone.utc), False),
        ("2026-12-01T11:00:00Z", None, False),  # no Date seen: every key with the name may be the create's
        ("yesterday", datetime(2026, 12, 1, 12, tzinfo=timezone.utc), False),
        (None, datetime(2026, 12, 1, 12, tzinfo=timezone.utc), False),
    ],
)
def test_only_a_key_created_well_before_the_create_was_sent_is_not_its_orphan(created_at, moment, before):
    assert _created_before({"created_at": created_at}, moment) is before
