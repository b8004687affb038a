# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""After a lost create answer, openrouter_key looks for a late key with short, growing waits up to timeout in all."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import functools

import pytest

from ansible_collections.openrouter.provisioning.plugins.module_utils import common
from ansible_collections.openrouter.provisioning.plugins.modules.openrouter_key import main
from ansible_collections.openrouter.provisioning.tests.unit.helpers import API, LIST, SECRET, key, listing, sent

GATEWAY = {"error": {"code": 503, "message": "Service Unavailable"}}


@pytest.fixture
def waits(monkeypatch):
    """The waits the client takes, recorded and not slept."""
    taken = []
    monkeypatch.setattr(common, "OpenRouterClient", functools.partial(common.OpenRouterClient, sleep=taken.append))
    return taken


def test_a_late_key_is_found_after_seconds_not_after_timeout(run, http, waits):
    listing(http, [key(1)])
    http.post(API + "/keys", status=503, json=GATEWAY)
    listing(http, [key(1)])
    listing(http, [key(1)])
    listing(http, [key(8, name="svc"), key(1)])
    http.delete(API + "/keys/%064x" % 8, json={"deleted": True})
    http.post(API + "/keys", status=201, json={"data": key(9, name="svc"), "key": SECRET})
    result = run(main, name="svc", timeout=30)
    assert result["changed"] and result["secret"] == SECRET and result["key"]["hash"] == "%064x" % 9
    assert waits == [0.5, 1.0]
    assert [call[:2] for call in sent(http)] == [("GET", LIST % 0), ("POST", "/keys")] + [("GET", LIST % 0)] * 3 + [
        ("DELETE", "/keys/%064x" % 8),
        ("POST", "/keys"),
    ]


def test_a_key_that_never_shows_is_waited_for_timeout_in_all_then_created_again(run, http, waits):
    listing(http, [])
    http.post(API + "/keys", status=503, json=GATEWAY)
    for _look in range(5):
        listing(http, [])
    http.post(API + "/keys", status=201, json={"data": key(9, name="svc"), "key": SECRET})
    result = run(main, name="svc", timeout=4)
    assert result["changed"] and result["secret"] == SECRET
    assert waits == [0.5, 1.0, 2.0, 0.5] and sum(waits) == 4
