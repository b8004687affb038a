# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""listing_cache.py and the account generation of locks.py, without HTTP: two "processes" are two sets of kept
listings (the module-level dict each process has) sharing one generation file, as two workers on one machine do."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import os
import stat

import pytest

from ansible_collections.openrouter.provisioning.plugins.module_utils import listing_cache, locks
from ansible_collections.openrouter.provisioning.plugins.module_utils.listing_cache import MAX_AGE, Listings

API = "https://openrouter.example/api/v1"
FINGERPRINT = "ab" * 32
QUERY = {"include_disabled": "true", "include_expired": "true", "workspace_id": None}
OTHER_QUERY = dict(QUERY, workspace_id="ws-slug")


def record(number, name=None):
    return {"hash": "%064x" % number, "name": name or "key-%d" % number}


class Account:
    """The API's list, counting how often it is read."""

    def __init__(self, *records):
        self.records = list(records)
        self.reads = 0

    def read(self):
        self.reads += 1
        return list(self.records)


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def processes(monkeypatch, clock):
    """Two processes of this machine: enter one with `with process(name):`, then make its Listings."""
    kept = {"a": {}, "b": {}}

    @contextlib.contextmanager
    def process(name):
        monkeypatch.setattr(listing_cache, "_KEPT", kept[name])
        yield Listings(API, FINGERPRINT, "hash", clock)

    return process


def generation_path():
    return os.path.join(locks.lock_directory(), locks.generation_file_name(API, FINGERPRINT))


def test_the_generation_starts_at_0_and_each_bump_raises_it_by_one_in_a_private_0600_file():
    device_inode = locks.read_generation(API, FINGERPRINT)[:2]
    assert locks.read_generation(API, FINGERPRINT) == device_inode + (0,)
    assert locks.bump_generation(API, FINGERPRINT) == (device_inode + (0,), device_inode + (1,))
    assert locks.bump_generation(API, FINGERPRINT)[1] == device_inode + (2,)
    assert locks.read_generation(API, FINGERPRINT) == device_inode + (2,)
    assert stat.S_IMODE(os.stat(generation_path()).st_mode) == 0o600
    # Named by a digest: neither the key's fingerprint nor the URL shows in the name.
    assert FINGERPRINT not in generation_path() and "example" not in os.path.basename(generation_path())
    assert locks.generation_file_name(API, FINGERPRINT) != locks.generation_file_name(API, "cd" * 32)


def test_a_generation_file_that_holds_no_count_matches_no_stamp_until_the_next_bump():
    locks.read_generation(API, FINGERPRINT)
    with open(generation_path(), "w") as handle:
        handle.write("garbage")
    assert locks.read_generation(API, FINGERPRINT)[2] == -1
    assert locks.bump_generation(API, FINGERPRINT)[1][2] == 0


def test_a_generation_file_that_is_a_symlink_is_refused(tmp_path):
    locks.read_generation(API, FINGERPRINT)
    os.remove(generation_path())
    os.symlink(str(tmp_path / "elsewhere"), generation_path())
    with pytest.raises(locks.LockError, match="symbolic link"):
        locks.bump_generation(API, FINGERPRINT)
    assert not (tmp_path / "elsewhere").exists()


def test_a_loop_in_one_process_reads_the_listing_once_and_sees_its_own_creates(processes):
    account = Account(record(1))
    with processes("a") as listings:
        assert listings.records(QUERY, account.read) == [record(1)]
        listings.created(QUERY, record(2))
        assert listings.records(QUERY, account.read) == [record(2), record(1)]
        listings.created(QUERY, record(3))
        assert len(listings.records(QUERY, account.read)) == 3
    assert account.reads == 1


def test_own_updates_and_deletes_apply_to_the_kept_listing(processes):
    account = Account(record(1), record(2))
    with processes("a") as listings:
        listings.records(QUERY, account.read)
        listings.updated(record(1, name="renamed"), moved=False)
        listings.deleted(record(2)["hash"])
        assert listings.records(QUERY, account.read) == [record(1, name="renamed")]
        listings.updated(record(1), moved=True)  # it left the listing for another: which one can't be told
        listings.records(QUERY, account.read)
    assert account.reads == 2


def test_a_write_by_another_process_makes_the_next_lookup_list_again(processes):
    account = Account(record(1))
    with processes("a") as listings:
        listings.records(QUERY, account.read)
    with processes("b") as listings:
        listings.created(QUERY, record(2))  # another fork, say, without a listing of its own
        account.records.append(record(2))
    with processes("a") as listings:
        assert listings.records(QUERY, account.read) == [record(1), record(2)]
        assert listings.records(QUERY, account.read) == [record(1), record(2)]
    assert account.reads == 2


def test_an_own_write_after_another_process_s_write_drops_the_kept_listing(processes):
    """The compare-and-set: a's create finds b's generation, not the one its listing was read at."""
    account = Account(record(1))
    with processes("a") as listings:
        listings.records(QUERY, account.read)
    with processes("b") as listings:
        listings.deleted(record(1)["hash"])
        account.records = []
    with processes("a") as listings:
        listings.created(QUERY, record(2))
        account.records.append(record(2))
        assert listings.records(QUERY, account.read) == [record(2)]
    assert account.reads == 2


def test_both_processes_keep_listing_once_each_while_only_one_of_them_writes(processes):
    account = Account()
    for number in (1, 2):
        with processes("a") as a:
            a.records(QUERY, account.read)
            a.created(QUERY, record(number))
            account.records.append(record(number))
    assert account.reads == 1
    with processes("b") as b:
        assert b.records(QUERY, account.read) == [record(1), record(2)]
        b.records(QUERY, account.read)
    assert account.reads == 2


def test_a_write_of_unknown_outcome_drops_the_listing_here_and_elsewhere(processes):
    account = Account()
    for name in ("a", "b"):
        with processes(name) as listings:
            listings.records(QUERY, account.read)
    with processes("a") as listings:
        listings.unknown()
        listings.records(QUERY, account.read)
    with processes("b") as listings:
        listings.records(QUERY, account.read)
    assert account.reads == 4


def test_a_create_keeps_only_the_listing_of_its_own_query(processes):
    """The same workspace may be listed under a slug and under its id: a create drops every other listing."""
    account = Account(record(1))
    with processes("a") as listings:
        listings.records(QUERY, account.read)
        listings.records(OTHER_QUERY, account.read)
        listings.created(QUERY, record(2))
        listings.records(QUERY, account.read)
        listings.records(OTHER_QUERY, account.read)
    assert account.reads == 3


def test_a_listing_older_than_max_age_is_read_again(processes, clock):
    account = Account()
    with processes("a") as listings:
        listings.records(QUERY, account.read)
        clock.now += MAX_AGE - 1
        listings.created(QUERY, record(1))  # an own write doesn't make the listing younger
        listings.records(QUERY, account.read)
        assert account.reads == 1
        clock.now += 1
        listings.records(QUERY, account.read)
    assert account.reads == 2


def test_a_caller_that_changes_the_records_it_got_doesn_t_change_the_kept_ones(processes):
    account = Account(record(1))
    with processes("a") as listings:
        listings.records(QUERY, account.read).append(record(9))
        assert listings.records(QUERY, account.read) == [record(1)]


def test_without_fcntl_every_lookup_lists(processes, monkeypatch):
    monkeypatch.setattr(locks, "fcntl", None)
    account = Account()
    with processes("a") as listings:
        listings.records(QUERY, account.read)
        listings.created(QUERY, record(1))
        listings.records(QUERY, account.read)
    assert account.reads == 2
