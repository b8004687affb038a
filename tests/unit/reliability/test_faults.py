# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Both modules, in-process over real HTTP, against the emulator's injected faults: each fault row of
docs/reliability.md."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import functools
import hashlib
import socket
import threading
import time

import pytest
import requests

from ansible_collections.openrouter.provisioning.plugins.module_utils import common
from ansible_collections.openrouter.provisioning.plugins.module_utils.client import excerpt
from ansible_collections.openrouter.provisioning.plugins.modules.openrouter_key import main as key_main
from ansible_collections.openrouter.provisioning.plugins.modules.openrouter_key_info import main as info_main
from ansible_collections.openrouter.provisioning.tests.emulator.openrouter_emulator import HTML_BODY, MALFORMED_BODY
from ansible_collections.openrouter.provisioning.tests.unit.helpers import MANAGEMENT_KEY

# Both modules start with GET /keys: the key module looks "svc" up by name (it exists and needs no change), the info
# module lists every key. So a fault on that request hits either module the same way.
READERS = [
    pytest.param(key_main, {"name": "svc"}, id="openrouter_key"),
    pytest.param(info_main, {}, id="openrouter_key_info"),
]
LIST = "^/keys$"


@pytest.fixture
def svc(control):
    """An existing key named svc, so a lookup by name changes nothing."""
    return control.seed(keys=[{"name": "svc"}])[0]


@pytest.fixture
def waits(monkeypatch):
    """The waits between tries that every client of the modules takes (really taken, so timing stays real)."""
    taken = []

    def sleep(seconds):
        taken.append(seconds)
        time.sleep(seconds)

    monkeypatch.setattr(common, "OpenRouterClient", functools.partial(common.OpenRouterClient, sleep=sleep))
    return taken


def calls(control):
    return [(entry["method"], entry["path"], entry["status"]) for entry in control.requests()]


def assert_clean_failure(result):
    """A failure the user can read: a message, and no traceback anywhere in the result."""
    assert result["failed"]
    assert "exception" not in result and "Traceback" not in repr(result)
    assert MANAGEMENT_KEY not in repr(result)


def named(control, name):
    return [key for key in control.keys() if key["name"] == name]


def assert_one_key_with_its_secret(control, result, name):
    """The lost-response guarantee: exactly one key of the name, and the secret returned is that key's."""
    assert not result["failed"], result["msg"]
    keys = named(control, name)
    assert len(keys) == 1
    # The emulator derives a key's hash from its secret, as OpenRouter does.
    assert hashlib.sha256(result["secret"].encode()).hexdigest() == keys[0]["hash"] == result["key"]["hash"]


# --- rate limits ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("main, options", READERS)
def test_429_with_retry_after_three_times_then_success(run, api_url, control, svc, waits, main, options):
    control.add_fault(method="GET", path=LIST, action="status", status=429, retry_after=1, times=3)
    started = time.monotonic()
    result = run(main, api_url=api_url, retries=5, **options)
    assert not result["failed"] and not result["changed"]
    assert waits == [1.0, 1.0, 1.0] and time.monotonic() - started >= 3
    assert calls(control) == [("GET", "/keys", 429)] * 3 + [("GET", "/keys", 200)]


@pytest.mark.parametrize(
    "main, options, method",
    [pytest.param(*reader.values, "GET", id=reader.id) for reader in READERS]
    + [pytest.param(key_main, {"name": "new"}, "POST", id="openrouter_key-create")],
)
def test_429_without_retry_after_backs_off_with_jitter(run, api_url, control, svc, waits, main, options, method):
    for attempt in range(2):
        control.clear_requests()
        control.add_fault(method=method, path=LIST, action="status", status=429)
        # Each create wants a name of its own, so that the second one creates too.
        wanted = dict(options, name="%s-%d" % (options["name"], attempt)) if method == "POST" else options
        started = time.monotonic()
        result = run(main, api_url=api_url, retries=5, **wanted)
        assert not result["failed"]
        # The first backoff step is 0.5 s, of which half is fixed and half random.
        assert len(waits) == attempt + 1 and 0.25 <= waits[-1] <= 0.5
        assert time.monotonic() - started >= waits[-1]
        assert calls(control)[-2:] == [(method, "/keys", 429), (method, "/keys", 200 if method == "GET" else 201)]
        if method == "POST":
            assert_one_key_with_its_secret(control, result, wanted["name"])
    # Two runs that met the same 429 waited different times: the jitter that keeps parallel clients apart.
    assert waits[0] != waits[1]


# --- server errors and unreachable servers ------------------------------------------------------------------------


@pytest.mark.parametrize("main, options", READERS)
@pytest.mark.parametrize(
    "bound, retry_after",
    [(dict(retries=2, retry_max_time=60), 0), (dict(retries=100, retry_max_time=0.6), None)],
    ids=["retries", "retry_max_time"],
)
def test_persistent_503_fails_within_the_bound_and_says_what_to_raise(
    run, api_url, control, waits, monkeypatch, main, options, bound, retry_after
):
    # The client's clock counts only the waits it takes: on a loaded machine one slow answer alone could spend
    # retry_max_time (0.6 s) and leave a single try (seen in CI), while the number of tries is what this checks.
    monkeypatch.setattr(
        common, "OpenRouterClient", functools.partial(common.OpenRouterClient, clock=lambda: sum(waits))
    )
    # Retry-After: 0 makes the retries instant where only their number matters.
    control.add_fault(
        method="GET",
        path=LIST,
        action="status",
        status=503,
        message="upstream overloaded",
        retry_after=retry_after,
        times=1000,
    )
    started = time.monotonic()
    result = run(main, api_url=api_url, **dict(options, **bound))
    elapsed = time.monotonic() - started
    tries = len(control.requests())
    assert_clean_failure(result)
    assert "GET /keys failed with HTTP 503: upstream overloaded." in result["msg"]
    assert "(gave up after %d tries)" % tries in result["msg"]
    assert "raise retries or retry_max_time" in result["msg"]
    if bound["retries"] == 2:
        assert tries == 3
    else:
        # No wait may cross retry_max_time; the wall clock only has to show that nothing else waited long (a backoff
        # past the bound alone would take tens of seconds).
        assert tries > 1 and sum(waits) <= bound["retry_max_time"], waits
        assert elapsed < bound["retry_max_time"] + 10


@pytest.mark.parametrize("main, options", READERS)
def test_connection_refused_is_a_clear_message(run, waits, main, options):
    # A loopback port that is bound but not listening refuses every connection, and no other process can take it.
    with socket.socket() as port:
        port.bind(("127.0.0.1", 0))
        api_url = "http://127.0.0.1:%d/api/v1" % port.getsockname()[1]
        result = run(main, api_url=api_url, retries=1, **options)
    assert_clean_failure(result)
    assert "GET /keys could not reach %s: the connection was refused" % api_url in result["msg"]
    assert "(gave up after 2 tries)" in result["msg"] and "Check the host and port in api_url" in result["msg"]
    assert len(waits) == 1


# --- slow responses -----------------------------------------------------------------------------------------------


# Long enough that an undelayed answer from a loaded machine still comes within it (CI has seen 0.35 s).
TIMEOUT = 1.0
# Longer than TIMEOUT, so the client gives up first, but shorter than twice TIMEOUT, the longest a lost create is
# waited for. The emulator applies a delayed request after the delay.
DELAY = 1.4


def settle():
    """Wait until every delayed request has reached the emulator's log and state."""
    time.sleep(DELAY)


@pytest.mark.parametrize("main, options", READERS)
def test_a_get_slower_than_timeout_is_retried(run, api_url, control, svc, main, options):
    control.add_fault(method="GET", path=LIST, action="delay", seconds=DELAY)
    result = run(main, api_url=api_url, timeout=TIMEOUT, retries=2, **options)
    settle()
    assert not result["failed"]
    assert [method for method, dummy, dummy in calls(control)] == ["GET", "GET"]


@pytest.mark.parametrize("main, options", READERS)
def test_a_get_always_slower_than_timeout_fails_naming_timeout(run, api_url, control, main, options):
    control.add_fault(method="GET", path=LIST, action="delay", seconds=DELAY, times=2)
    result = run(main, api_url=api_url, timeout=TIMEOUT, retries=1, **options)
    settle()
    assert_clean_failure(result)
    assert "GET /keys got no response within timeout=%ss." % TIMEOUT in result["msg"]
    assert "(gave up after 2 tries)" in result["msg"] and "Raise the timeout option" in result["msg"]
    assert len(control.requests()) == 2


# --- bodies that are not OpenRouter's -----------------------------------------------------------------------------


@pytest.mark.parametrize("main, options", READERS)
def test_a_malformed_200_shows_the_body_not_a_traceback(run, api_url, control, main, options):
    control.add_fault(method="GET", path=LIST, action="malformed")
    result = run(main, api_url=api_url, **options)
    assert_clean_failure(result)
    assert "GET /keys answered HTTP 200 with a body that is not JSON: %r." % MALFORMED_BODY.decode() in result["msg"]
    assert len(control.requests()) == 1


@pytest.mark.parametrize("main, options", READERS)
def test_a_proxy_html_502_shows_the_body_not_a_traceback(run, api_url, control, main, options):
    control.add_fault(method="GET", path=LIST, action="html", times=2)
    result = run(main, api_url=api_url, retries=1, retry_max_time=5, **options)
    assert_clean_failure(result)
    assert (
        "GET /keys failed with HTTP 502: no OpenRouter error message; the body starts %r." % excerpt(HTML_BODY.decode())
        in result["msg"]
    )
    assert "(gave up after 2 tries)" in result["msg"]


# --- a concurrent change: 409 on PATCH ----------------------------------------------------------------------------


def test_a_409_on_patch_reads_again_plans_again_and_retries_once(run, api_url, control, svc):
    control.add_fault(method="PATCH", path="^/keys/.*$", action="status", status=409)
    result = run(key_main, api_url=api_url, name="svc", limit=5)
    path = "/keys/" + svc["hash"]
    assert not result["failed"] and result["changed"] and result["key"]["limit"] == 5.0
    assert calls(control) == [("GET", "/keys", 200), ("PATCH", path, 409), ("GET", path, 200), ("PATCH", path, 200)]
    assert named(control, "svc")[0]["limit"] == 5.0


def test_a_409_then_the_other_writer_s_change_is_planned_again(run, api_url, control, svc):
    """The other writer set the limit we want while we got the 409: the new plan is a no-op, so no second PATCH."""
    path = "/keys/" + svc["hash"]
    control.add_fault(method="PATCH", path="^/keys/.*$", action="status", status=409)
    # Hold our re-read back until the other writer has changed the key, with room for a loaded machine.
    control.add_fault(method="GET", path="^/keys/.*$", action="delay", seconds=2)

    def other_writer():
        deadline = time.monotonic() + 5
        while ("PATCH", path, 409) not in calls(control) and time.monotonic() < deadline:
            time.sleep(0.02)
        with requests.Session() as session:
            session.trust_env = False
            session.patch(
                api_url + path, json={"limit": 5}, headers={"Authorization": "Bearer " + MANAGEMENT_KEY}, timeout=5
            ).raise_for_status()

    writer = threading.Thread(target=other_writer)
    writer.start()
    result = run(key_main, api_url=api_url, name="svc", limit=5)
    writer.join()
    assert not result["failed"] and not result["changed"]
    assert calls(control) == [("GET", "/keys", 200), ("PATCH", path, 409), ("PATCH", path, 200), ("GET", path, 200)]


def test_a_second_409_fails_after_one_retry(run, api_url, control, svc):
    control.add_fault(method="PATCH", path="^/keys/.*$", action="status", status=409, times=2)
    result = run(key_main, api_url=api_url, name="svc", limit=5)
    assert_clean_failure(result)
    assert "failed with HTTP 409" in result["msg"] and "run the task again" in result["msg"]
    assert [method for method, dummy, dummy in calls(control)] == ["GET", "PATCH", "GET", "PATCH"]
    assert named(control, "svc")[0]["limit"] is None


# --- lost create responses ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(dict(action="apply_then_drop"), id="applied-then-dropped"),
        pytest.param(dict(action="drop"), id="dropped-unapplied"),
        pytest.param(dict(action="status", status=503), id="gateway-503"),
        pytest.param(dict(action="malformed"), id="malformed-200"),
        pytest.param(dict(action="delay", seconds=DELAY), id="slower-than-timeout"),
    ],
)
def test_a_lost_create_response_leaves_one_key_and_returns_its_secret(run, api_url, control, fault):
    control.seed(keys=[{"name": "other"}])
    control.add_fault(method="POST", path=LIST, **fault)
    result = run(key_main, api_url=api_url, name="new", timeout=TIMEOUT, retries=2)
    if fault["action"] == "delay":
        settle()
    assert_one_key_with_its_secret(control, result, "new")
    assert len(control.keys()) == 2
    assert [method for method, dummy, dummy in calls(control)].count("POST") == 2


def test_a_create_lost_twice_fails_and_names_the_deleted_orphans(run, api_url, control):
    control.add_fault(method="POST", path=LIST, action="apply_then_drop", times=2)
    result = run(key_main, api_url=api_url, name="new")
    deleted = [path.rsplit("/", 1)[1] for method, path, dummy in calls(control) if method == "DELETE"]
    assert_clean_failure(result)
    assert len(deleted) == 2 and "the orphaned keys %s were deleted" % deleted[1] in result["msg"]
    assert not named(control, "new")


def test_an_orphan_that_cannot_be_deleted_is_named(run, api_url, control):
    control.add_fault(method="POST", path=LIST, action="apply_then_drop")
    control.add_fault(method="DELETE", path="^/keys/.*$", action="status", status=500, times=10)
    result = run(key_main, api_url=api_url, name="new")
    orphan = named(control, "new")
    assert_clean_failure(result)
    assert len(orphan) == 1
    assert "A lost create left the key %s behind, and deleting it failed" % orphan[0]["hash"] in result["msg"]
    assert "Delete that key by hash." in result["msg"]


# --- steps after a create -----------------------------------------------------------------------------------------


def test_a_failed_step_after_the_create_still_returns_the_secret(run, api_url, control):
    control.add_fault(method="PATCH", path="^/keys/.*$", action="malformed")
    result = run(key_main, api_url=api_url, name="new", disabled=True)
    assert_clean_failure(result)
    assert "its secret is in this result" in result["msg"]
    assert hashlib.sha256(result["secret"].encode()).hexdigest() == named(control, "new")[0]["hash"]
    again = run(key_main, api_url=api_url, name="new", disabled=True)
    assert again["changed"] and "secret" not in again and named(control, "new")[0]["disabled"]


def test_a_replacement_that_cannot_delete_the_old_key_is_undone(run, api_url, control, svc):
    old = "/keys/" + svc["hash"]
    control.add_fault(method="DELETE", path="^/keys/.*$", action="malformed")
    result = run(key_main, api_url=api_url, name="svc", recreate="always")
    assert_clean_failure(result)
    assert "its replacement was deleted again and nothing changed; run the task again." in result["msg"]
    assert "secret" not in result and result["key"]["hash"] == svc["hash"]
    sent = [(method, path) for method, path, dummy in calls(control)]
    # Create, fail to delete the old key, find it still there, delete the new key.
    assert sent[:4] == [("GET", "/keys"), ("POST", "/keys"), ("DELETE", old), ("GET", old)]
    assert len(sent) == 5 and sent[4][0] == "DELETE" and sent[4][1] != old
    assert [key["hash"] for key in named(control, "svc")] == [svc["hash"]]
    # So the next run can replace the key.
    again = run(key_main, api_url=api_url, name="svc", recreate="always")
    assert_one_key_with_its_secret(control, again, "svc")
    assert again["previous_hash"] == svc["hash"]


def test_a_replacement_that_cannot_be_undone_returns_the_secret_and_both_hashes(run, api_url, control, svc):
    control.add_fault(method="DELETE", path="^/keys/.*$", action="malformed", times=2)
    result = run(key_main, api_url=api_url, name="svc", recreate="always")
    new = [key["hash"] for key in named(control, "svc") if key["hash"] != svc["hash"]]
    assert_clean_failure(result)
    assert len(new) == 1 and hashlib.sha256(result["secret"].encode()).hexdigest() == new[0]
    assert (
        "Deleting the replaced key %s failed, and so did deleting its replacement %s" % (svc["hash"], new[0])
        in result["msg"]
    )
