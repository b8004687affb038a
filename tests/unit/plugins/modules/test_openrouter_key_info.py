# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.openrouter.provisioning.plugins.modules.openrouter_key_info import main
from ansible_collections.openrouter.provisioning.tests.unit.helpers import API, key, sent

WORKSPACE_ID = "0df9e665-d932-5740-b2c7-b52af166bc11"
CURRENT = {"label": "sk-or-v1-man...agem", "is_management_key": True, "limit": None, "usage": 0.0}


def test_lists_every_page_with_disabled_and_expired_keys(run, http):
    keys = [key(number) for number in range(250)]
    for offset in (0, 100, 200):
        http.get(API + "/keys", json={"data": keys[offset : offset + 100]})
    result = run(main)
    assert result == {"changed": False, "failed": False, "api_keys": keys, "workspace_id": None}
    assert [call[1] for call in sent(http)] == [
        "/keys?include_disabled=true&include_expired=true&offset=%d" % offset for offset in (0, 100, 200)
    ]


def test_filters_are_passed_through(run, http):
    http.get(API + "/keys", json={"data": [key(1)]})
    run(main, include_disabled=False, include_expired=False, workspace_id=WORKSPACE_ID)
    assert sent(http) == [
        ("GET", "/keys?include_disabled=false&include_expired=false&workspace_id=%s&offset=0" % WORKSPACE_ID, None)
    ]


def test_a_workspace_slug_is_resolved_with_one_request(run, http):
    http.get(API + "/workspaces/team-a", json={"data": {"id": WORKSPACE_ID, "slug": "team-a", "name": "Team A"}})
    http.get(API + "/keys", json={"data": [key(1)]})
    result = run(main, workspace_id="team-a")
    assert len(result["api_keys"]) == 1
    # Returned, so that the tasks after it (the role's) take the id and skip the lookup.
    assert result["workspace_id"] == WORKSPACE_ID
    assert [call[1] for call in sent(http)] == [
        "/workspaces/team-a",
        "/keys?include_disabled=true&include_expired=true&workspace_id=%s&offset=0" % WORKSPACE_ID,
    ]


def test_name_returns_every_key_with_that_exact_name(run, http):
    http.get(API + "/keys", json={"data": [key(1, name="svc"), key(2, name="svc-2"), key(3, name="svc")]})
    result = run(main, name="svc")
    assert [record["hash"] for record in result["api_keys"]] == ["%064x" % 1, "%064x" % 3]


def test_the_default_workspace_s_listing_returns_a_null_workspace_id_and_a_read_by_hash_none(run, http):
    http.get(API + "/keys", json={"data": [key(1)]})
    http.get(API + "/keys/%064x" % 1, json={"data": key(1)})
    assert run(main)["workspace_id"] is None
    assert "workspace_id" not in run(main, hash="%064x" % 1)


def test_hash_is_one_request_and_a_missing_hash_is_an_empty_list(run, http):
    http.get(API + "/keys/%064x" % 1, json={"data": key(1)})
    http.get(API + "/keys/%064x" % 2, status=404, json={"error": {"code": 404, "message": "Resource not found"}})
    http.get(API + "/key", json={"data": CURRENT})  # a 404 counts as missing once GET /key proves api_url right
    assert run(main, hash="%064x" % 1)["api_keys"] == [key(1)]
    assert run(main, hash="%064x" % 2)["api_keys"] == []
    assert len(http.calls) == 3


def test_current_key_alone_sends_no_list(run, http):
    http.get(API + "/key", json={"data": CURRENT})
    result = run(main, current=True, list=False, check_mode=True)
    assert result == {"changed": False, "failed": False, "current": CURRENT}
    assert sent(http) == [("GET", "/key", None)]


def test_listing_with_an_ordinary_key_gives_a_clear_403(run, http):
    http.get(
        API + "/keys",
        status=403,
        json={"error": {"code": 403, "message": "Only management keys can perform this operation"}},
    )
    result = run(main)
    assert result["failed"]
    assert "HTTP 403: Only management keys can perform this operation." in result["msg"]
    assert "not a management key" in result["msg"]


def test_a_malformed_hash_fails_before_any_request(run, http):
    result = run(main, hash="../keys")
    assert result["failed"] and result["msg"].startswith("hash ")
    assert len(http.calls) == 0


NAMED = [key(1, name="ci-pipeline"), key(2, name="CI-nightly"), key(3, name="pr-12"), key(4, name="ci-nightly")]


@pytest.mark.parametrize(
    "options, numbers",
    [
        (dict(name_prefix="ci-"), [1, 4]),
        (dict(name_pattern="^pr-[0-9]+$"), [3]),
        (dict(name_pattern="(?i)nightly"), [2, 4]),
        (dict(name_prefix="ci-", name_pattern="night"), [4]),
        (dict(name="ci-nightly", name_prefix="ci-"), [4]),
        (dict(name_prefix="nope"), []),
    ],
)
def test_name_prefix_and_name_pattern_filter_the_list(run, http, options, numbers):
    http.get(API + "/keys", json={"data": NAMED})
    result = run(main, **options)
    assert [record["hash"] for record in result["api_keys"]] == ["%064x" % number for number in numbers]


def test_a_bad_name_pattern_fails_before_any_request(run, http):
    result = run(main, name_pattern="ci-(")
    assert result["failed"] and "name_pattern must be a Python regular expression, got 'ci-('" in result["msg"]
    assert "use name_prefix" in result["msg"] and sent(http) == []
