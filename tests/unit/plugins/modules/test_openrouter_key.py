# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""openrouter_key end to end inside the process, with HTTP mocked at the requests level and every request asserted."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
import requests

from ansible_collections.openrouter.provisioning.plugins.modules.openrouter_key import main
from ansible_collections.openrouter.provisioning.tests.unit.helpers import (
    API,
    LIST,
    MANAGEMENT_KEY,
    SECRET,
    key,
    listing,
    sent,
)


def test_create_by_name_sends_one_list_and_one_post(run, http):
    listing(http, [key(1)])
    http.post(API + "/keys", status=201, json={"data": key(2, name="svc", limit=25.0), "key": SECRET})
    result = run(main, name="svc", limit=25, limit_reset="never", diff=True)
    assert result["changed"] and not result["failed"]
    assert result["secret"] == SECRET
    assert result["key"]["hash"] == "%064x" % 2
    assert result["diff"] == {"before": {}, "after": {"name": "svc", "limit": 25.0, "limit_reset": None}}
    assert sent(http) == [("GET", LIST % 0, None), ("POST", "/keys", {"name": "svc", "limit": 25.0})]
    assert SECRET not in repr(result["key"]) + repr(result["diff"])


def test_create_disabled_is_a_post_then_a_patch(run, http):
    listing(http, [])
    http.post(API + "/keys", status=201, json={"data": key(2, name="svc"), "key": SECRET})
    http.patch(API + "/keys/%064x" % 2, json={"data": key(2, name="svc", disabled=True)})
    result = run(main, name="svc", disabled=True)
    assert result["key"]["disabled"] is True
    assert sent(http)[1:] == [("POST", "/keys", {"name": "svc"}), ("PATCH", "/keys/%064x" % 2, {"disabled": True})]


def test_a_failed_step_after_the_post_still_returns_the_secret(run, http):
    listing(http, [])
    http.post(API + "/keys", status=201, json={"data": key(2, name="svc"), "key": SECRET})
    http.patch(API + "/keys/%064x" % 2, status=500, json={"error": {"code": 500, "message": "Internal Server Error"}})
    result = run(main, name="svc", disabled=True)
    assert result["failed"]
    assert result["secret"] == SECRET
    assert result["key"]["hash"] == "%064x" % 2
    assert "HTTP 500" in result["msg"] and "%064x" % 2 in result["msg"]
    assert SECRET not in result["msg"] and MANAGEMENT_KEY not in result["msg"]


def test_a_second_run_sends_no_write(run, http):
    listing(http, [key(1, name="svc", limit=25.0)])
    result = run(main, name="svc", limit=25, limit_reset="never", include_byok_in_limit=False, diff=True)
    assert not result["changed"]
    assert "secret" not in result
    assert result["diff"]["before"] == result["diff"]["after"]
    assert [call[0] for call in sent(http)] == ["GET"]


def test_a_key_on_page_three_is_found_not_duplicated(run, http):
    listing(http, [key(n) for n in range(100)], [key(n) for n in range(100, 200)], [key(200, name="svc"), key(201)])
    result = run(main, name="svc")
    assert not result["changed"]
    assert result["key"]["hash"] == "%064x" % 200
    assert len(http.calls) == 3


def test_update_by_hash_is_one_get_and_one_minimal_patch(run, http):
    http.get(API + "/keys/%064x" % 1, json={"data": key(1, limit=10.0, limit_reset="monthly")})
    http.patch(API + "/keys/%064x" % 1, json={"data": key(1, name="renamed", limit=None, limit_reset="monthly")})
    result = run(main, hash="%064x" % 1, name="renamed", limit="unlimited", limit_reset="monthly", diff=True)
    assert result["changed"]
    assert sent(http) == [
        ("GET", "/keys/%064x" % 1, None),
        ("PATCH", "/keys/%064x" % 1, {"name": "renamed", "limit": None}),
    ]
    assert result["diff"] == {
        "before": {"name": "key-1", "limit": 10.0, "limit_reset": "monthly"},
        "after": {"name": "renamed", "limit": None, "limit_reset": "monthly"},
    }


@pytest.mark.parametrize(
    "options, current",
    [
        (dict(name="svc", limit=5), []),
        (dict(name="svc", limit=5), [key(1, name="svc")]),
        (dict(name="svc", state="absent"), [key(1, name="svc")]),
        (dict(name="svc", state="absent"), []),
        (dict(name="svc", expires_at="2030-01-01T00:00:00Z", recreate="on_change"), [key(1, name="svc")]),
    ],
)
def test_check_mode_sends_only_gets_and_predicts_the_real_run(run, http, options, current):
    listing(http, current)
    checked = run(main, check_mode=True, diff=True, **options)
    assert [call[0] for call in sent(http)] == ["GET"]
    assert "secret" not in checked
    http.calls.reset()
    listing(http, current)
    http.post(API + "/keys", status=201, json={"data": key(9, name="svc", limit=5.0), "key": SECRET})
    http.patch(API + "/keys/%064x" % 1, json={"data": key(1, name="svc", limit=5.0)})
    http.delete(API + "/keys/%064x" % 1, json={"deleted": True})
    http.assert_all_requests_are_fired = False
    real = run(main, diff=True, **options)
    assert checked["changed"] == real["changed"]
    real_diff = dict(real["diff"], after=dict(real["diff"]["after"]))
    if "hash" in real_diff["after"]:
        real_diff["after"]["hash"] = checked["diff"]["after"]["hash"]
    assert checked["diff"] == real_diff


def test_two_keys_with_the_name_fail_and_list_both_hashes(run, http):
    listing(http, [key(1, name="svc"), key(2, name="svc")])
    result = run(main, name="svc", limit=1)
    assert result["failed"]
    assert "%064x" % 1 in result["msg"] and "%064x" % 2 in result["msg"]


def test_a_missing_hash_fails_and_creates_nothing(run, http):
    http.get(API + "/keys/%064x" % 7, status=404, json={"error": {"code": 404, "message": "Resource not found"}})
    http.get(API + "/key", json={"data": {"label": "management"}})  # proves api_url right, so the 404 means missing
    result = run(main, hash="%064x" % 7, name="svc")
    assert result["failed"] and "never creates" in result["msg"]
    assert len(http.calls) == 2


def test_a_fixed_field_that_differs_fails_by_default_and_names_it(run, http):
    listing(http, [key(1, name="svc", expires_at="2027-01-01T00:00:00Z")])
    result = run(main, name="svc", expires_at="2028-01-01T00:00:00Z")
    assert result["failed"] and "expires_at" in result["msg"] and "recreate=on_change" in result["msg"]


def test_rotation_creates_first_then_deletes_and_returns_the_old_hash(run, http):
    listing(http, [key(1, name="svc", limit=3.0)])
    http.post(API + "/keys", status=201, json={"data": key(2, name="svc", limit=3.0), "key": SECRET})
    http.delete(API + "/keys/%064x" % 1, json={"deleted": True})
    result = run(main, name="svc", recreate="always", diff=True)
    assert result["changed"] and result["secret"] == SECRET
    assert result["previous_hash"] == "%064x" % 1
    assert result["diff"]["after"]["hash"] == "%064x" % 2
    assert [call[:2] for call in sent(http)] == [("GET", LIST % 0), ("POST", "/keys"), ("DELETE", "/keys/%064x" % 1)]
    assert sent(http)[1][2] == {
        "name": "svc",
        "limit": 3.0,
        "include_byok_in_limit": False,
        "workspace_id": "ws-default",
    }


def test_a_lost_create_response_deletes_the_orphan_and_creates_again(run, http):
    listing(http, [key(1)])
    http.post(API + "/keys", body=requests.exceptions.ConnectionError("Connection aborted."))
    listing(http, [key(8, name="svc"), key(1)])
    http.delete(API + "/keys/%064x" % 8, json={"deleted": True})
    http.post(API + "/keys", status=201, json={"data": key(9, name="svc"), "key": SECRET})
    result = run(main, name="svc")
    assert result["changed"] and result["secret"] == SECRET and result["key"]["hash"] == "%064x" % 9
    assert [call[:2] for call in sent(http)] == [
        ("GET", LIST % 0),
        ("POST", "/keys"),
        ("GET", LIST % 0),
        ("DELETE", "/keys/%064x" % 8),
        ("POST", "/keys"),
    ]


def test_a_lost_create_in_a_loop_leaves_alone_a_key_of_the_name_created_elsewhere_before_it(run, http):
    # The loop's second item reads the listing kept by the first, which misses "svc", created on another machine since.
    # Its create's answer is lost: of the keys named svc found then, the one created before the create was sent (by the
    # server's clock, the Date of the last answer) is not this run's, so only the other is deleted as its orphan.
    listing(http, [key(1)])
    date = {"Date": "Tue, 01 Dec 2026 12:00:00 GMT"}
    http.post(API + "/keys", status=201, json={"data": key(2, name="first"), "key": SECRET}, headers=date)
    assert run(main, name="first")["changed"]
    http.post(API + "/keys", body=requests.exceptions.ConnectionError("Connection aborted."))
    elsewhere = key(7, name="svc", created_at="2026-12-01T11:59:30Z")
    listing(http, [key(8, name="svc", created_at="2026-12-01T12:00:01Z"), elsewhere, key(2, name="first"), key(1)])
    http.delete(API + "/keys/%064x" % 8, json={"deleted": True})
    http.post(API + "/keys", status=201, json={"data": key(9, name="svc"), "key": SECRET})
    result = run(main, name="svc", keep_listings=True)
    assert result["changed"] and result["key"]["hash"] == "%064x" % 9
    assert [call[:2] for call in sent(http)][2:] == [
        ("POST", "/keys"),
        ("GET", LIST % 0),
        ("DELETE", "/keys/%064x" % 8),
        ("POST", "/keys"),
    ]


def test_a_conflict_on_patch_reads_again_and_retries_once(run, http):
    http.get(API + "/keys/%064x" % 1, json={"data": key(1, limit=1.0)})
    http.patch(API + "/keys/%064x" % 1, status=409, json={"error": {"code": 409, "message": "Conflict"}})
    http.get(API + "/keys/%064x" % 1, json={"data": key(1, limit=2.0)})
    http.patch(API + "/keys/%064x" % 1, json={"data": key(1, limit=5.0)})
    result = run(main, hash="%064x" % 1, limit=5)
    assert result["changed"] and result["key"]["limit"] == 5.0
    assert [call[0] for call in sent(http)] == ["GET", "PATCH", "GET", "PATCH"]


@pytest.mark.parametrize("status", [200, 404])
def test_absent_deletes_and_a_concurrent_delete_is_success(run, http, status):
    http.get(API + "/keys/%064x" % 1, json={"data": key(1)})
    http.delete(
        API + "/keys/%064x" % 1,
        status=status,
        json={"deleted": True} if status == 200 else {"error": {"code": 404, "message": "Resource not found"}},
    )
    if status == 404:
        http.get(API + "/key", json={"data": {"label": "management"}})  # proves api_url right, so the 404 means gone
    result = run(main, hash="%064x" % 1, state="absent")
    assert result["changed"] and not result["failed"] and result["key"] == {}


@pytest.mark.parametrize(
    "options, option",
    [
        (dict(name="svc", limit=-3), "limit"),
        (dict(name="svc", limit="lots"), "limit"),
        (dict(name="svc", limit_reset="yearly"), "limit_reset"),
        (dict(name="svc", expires_at="2027-01-01"), "expires_at"),
        (dict(name="svc", expires_at="2020-01-01T00:00:00Z"), "expires_at must be in the future"),
        (dict(name=""), "name"),
        (dict(limit=3), "hash, name"),
        (dict(hash="xyz"), "hash"),
        (dict(name="svc", bogus=1), "bogus"),
        (dict(name="svc", management_key=None), "management_key"),
        (dict(name="svc", api_url="ftp://example.invalid"), "api_url"),
        (dict(name="svc", timeout=0), "timeout"),
        (dict(name="svc", recreate="sometimes"), "recreate"),
    ],
)
def test_bad_input_fails_before_any_request_and_names_the_option(run, http, options, option):
    result = run(main, **options)
    assert result["failed"]
    assert option in result["msg"]
    assert len(http.calls) == 0


def test_diff_is_left_out_without_diff_mode(run, http):
    listing(http, [key(1, name="svc")])
    assert "diff" not in run(main, name="svc")
