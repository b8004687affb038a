# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""openrouter_key takes locks.py's per-user name lock, and waits for it at most lock_timeout seconds."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import tempfile

import pytest

from ansible_collections.openrouter.provisioning.plugins.module_utils import listing_cache, locks
from ansible_collections.openrouter.provisioning.plugins.module_utils.client import OpenRouterClient
from ansible_collections.openrouter.provisioning.plugins.module_utils.keys import KeyTask, default_lock_timeout
from ansible_collections.openrouter.provisioning.plugins.modules.openrouter_key import main
from ansible_collections.openrouter.provisioning.tests.unit.helpers import (
    API,
    HASH,
    MANAGEMENT_KEY,
    SECRET,
    created,
    key,
    listing,
    sent,
)


@pytest.fixture(autouse=True)
def private_tmp(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def test_a_run_by_name_locks_in_the_user_s_own_lock_directory(run, http, private_tmp):
    listing(http, [key(2, name="svc")])
    assert not run(main, name="svc")["changed"]
    directory = private_tmp / ("openrouter-provisioning-%d" % os.geteuid())
    # The name's lock, and the account's generation (listing_cache.py).
    assert sorted(os.listdir(str(directory))) == sorted(
        [
            locks.lock_file_name(API, None, "svc"),
            locks.generation_file_name(API, OpenRouterClient(API, MANAGEMENT_KEY).key_fingerprint),
        ]
    )


def test_a_held_lock_fails_after_lock_timeout_naming_it_and_sends_nothing(run, http):
    with locks.name_lock(API, None, "svc"):
        result = run(main, name="svc", lock_timeout=0)
    assert result["failed"] and "(lock_timeout)" in result["msg"] and "raise lock_timeout" in result["msg"]
    assert sent(http) == []


def test_a_bad_lock_timeout_fails_before_any_request(run, http):
    result = run(main, name="svc", lock_timeout=-1)
    assert result["failed"] and "lock_timeout must be a number of seconds, 0 or more" in result["msg"]
    assert sent(http) == []


def test_the_default_lock_timeout_follows_the_retry_bounds():
    assert default_lock_timeout(60.0, 30.0) == 300.0
    task = KeyTask(OpenRouterClient(API, "k", timeout=10.0, retry_max_time=20.0), {"name": "svc"})
    assert task.lock_timeout == 100.0
    assert KeyTask(OpenRouterClient(API, "k"), {"name": "svc"}, lock_timeout=2.5).lock_timeout == 2.5


def test_a_generation_that_can_t_be_raised_after_a_create_fails_with_the_secret(run, http, monkeypatch):
    """Other processes must learn of the create (listing_cache.py); if they can't, the run fails, keeping the secret."""

    def unwritable(*args):
        raise locks.LockError("Can't read or write the generation file: Input/output error.")

    listing(http, [])
    created(http)
    monkeypatch.setattr(listing_cache, "bump_generation", unwritable)
    result = run(main, name="svc")
    assert result["failed"] and result["secret"] == SECRET and result["key"]["hash"] == HASH
    assert (
        result["msg"].startswith("Can't read or write the generation file") and "written all the same" in result["msg"]
    )
