# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The name lock: its private directory and files, planted symlinks, another user's files, and the bounded wait."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import fcntl
import os
import stat
import subprocess
import sys
import tempfile
import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.openrouter.provisioning.plugins.module_utils import locks
from ansible_collections.openrouter.provisioning.plugins.module_utils.errors import ProvisioningError
from ansible_collections.openrouter.provisioning.plugins.module_utils.locks import (
    LONGEST_POLL,
    LockError,
    lock_directory,
    lock_file_name,
    name_lock,
)

API = "https://openrouter.ai/api/v1"
OTHER_UID = 65534
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")


@pytest.fixture(autouse=True)
def temp_dir(tmp_path, monkeypatch):
    """Each test gets its own temporary directory, as TMPDIR would give."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


@pytest.fixture
def lock_dir(temp_dir):
    return temp_dir / ("openrouter-provisioning-%d" % os.geteuid())


@pytest.fixture
def lock_path(lock_dir):
    return lock_dir / lock_file_name(API, None, "ci")


def mode(path):
    return stat.S_IMODE(os.lstat(str(path)).st_mode)


def hold(path):
    """Take the lock at `path` through another open file, as another run would; return its descriptor."""
    fd = os.open(str(path), os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return fd


@pytest.fixture
def fake_time():
    """A clock that only moves when the lock sleeps, its sleep, and the list of the waits."""
    now = [0.0]
    waits = []

    def sleep(seconds):
        waits.append(seconds)
        now[0] += seconds

    return (lambda: now[0]), sleep, waits


def test_the_lock_directory_is_per_user_under_the_temporary_directory(temp_dir):
    assert lock_directory() == os.path.join(str(temp_dir), "openrouter-provisioning-%d" % os.geteuid())


def test_the_directory_is_made_0700_and_the_file_0600_whatever_the_umask(lock_dir, lock_path):
    saved = os.umask(0o002)
    try:
        with name_lock(API, None, "ci", lock_timeout=0):
            assert mode(lock_dir) == 0o700
            assert mode(lock_path) == 0o600
            assert stat.S_ISREG(os.lstat(str(lock_path)).st_mode)
    finally:
        os.umask(saved)


def test_names_share_256_files_chosen_by_api_url_workspace_and_name():
    assert lock_file_name(API, None, "ci") == lock_file_name(API, "", "ci")
    files = set(lock_file_name(API, "ws", "name-%d" % number) for number in range(3000))
    assert len(files) == 256
    assert all(len(file_name) == len("00.lock") and file_name.endswith(".lock") for file_name in files)


@settings(deadline=None)  # a slow example on a busy machine is not a failure
@given(st.text(), st.one_of(st.none(), st.text()), st.text())
def test_every_lock_file_name_is_one_of_the_256(api_url, workspace_id, name):
    file_name = lock_file_name(api_url, workspace_id, name)
    assert len(file_name) == 7 and int(file_name[:2], 16) < 256 and file_name.endswith(".lock")


def test_the_lock_is_released_after_the_block_and_after_an_error(lock_path):
    with name_lock(API, None, "ci", lock_timeout=0):
        pass
    os.close(hold(lock_path))
    with pytest.raises(RuntimeError):
        with name_lock(API, None, "ci", lock_timeout=0):
            raise RuntimeError("boom")
    os.close(hold(lock_path))


def test_the_lock_excludes_another_holder_while_held(lock_path):
    with name_lock(API, None, "ci", lock_timeout=0):
        with pytest.raises(BlockingIOError):
            hold(lock_path)


def test_a_held_lock_times_out_with_a_clear_error_naming_lock_timeout(lock_path):
    with name_lock(API, None, "ci", lock_timeout=0):
        pass
    holder = hold(lock_path)
    try:
        started = time.monotonic()
        with pytest.raises(LockError) as caught:
            with name_lock(API, None, "ci", lock_timeout=0.3):
                pytest.fail("the lock was taken while another run held it")
        waited = time.monotonic() - started
    finally:
        os.close(holder)
    # The polls are counted exactly with a fake clock below; here the bound only needs to catch a wait that ignores
    # lock_timeout, with room for a loaded machine.
    assert 0.3 <= waited < 0.3 + 2 * LONGEST_POLL + 5
    message = str(caught.value)
    assert "Another run on this machine has held the lock %s" % lock_path in message
    assert "more than 0.3 seconds (lock_timeout)" in message and "raise lock_timeout" in message


def test_a_lock_held_by_another_process_times_out(lock_dir, lock_path):
    with name_lock(API, None, "ci", lock_timeout=0):
        pass
    script = (
        "import fcntl, os, sys, time\n"
        "fd = os.open(sys.argv[1], os.O_RDONLY)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX)\n"
        "print('held', flush=True)\n"
        "sys.stdin.read()\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", script, str(lock_path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline() == "held\n"
        with pytest.raises(LockError, match="lock_timeout"):
            with name_lock(API, None, "ci", lock_timeout=0.2):
                pass
    finally:
        holder.communicate("")
    with name_lock(API, None, "ci", lock_timeout=0):
        pass


def test_a_waiter_gets_the_lock_once_the_holder_lets_go(lock_path):
    with name_lock(API, None, "ci", lock_timeout=0):
        pass
    holder = hold(lock_path)
    releaser = threading.Timer(0.2, os.close, [holder])
    releaser.start()
    started = time.monotonic()
    with name_lock(API, None, "ci", lock_timeout=10):
        waited = time.monotonic() - started
    releaser.join()
    assert 0.15 <= waited < 5  # well before lock_timeout, with room for a loaded machine


@pytest.mark.parametrize("timeout", [0, 5])
def test_the_wait_is_bounded_by_lock_timeout_in_short_polls(lock_path, fake_time, timeout):
    clock, sleep, waits = fake_time
    with name_lock(API, None, "ci", lock_timeout=0):
        pass
    holder = hold(lock_path)
    try:
        with pytest.raises(LockError, match="more than %d seconds \\(lock_timeout\\)" % timeout):
            with name_lock(API, None, "ci", lock_timeout=timeout, clock=clock, sleep=sleep):
                pass
    finally:
        os.close(holder)
    assert sum(waits) == pytest.approx(timeout)  # 0 tries once and never sleeps
    assert all(wait <= LONGEST_POLL for wait in waits) and waits[:1] in ([], [0.01])


@pytest.mark.parametrize("value", [-1, "60", None, True, float("nan"), float("inf")])
def test_a_bad_lock_timeout_is_refused(value):
    with pytest.raises(LockError, match="lock_timeout must be a finite number of seconds, 0 or more"):
        with name_lock(API, None, "ci", lock_timeout=value):
            pass


def test_a_symlink_planted_at_the_lock_directory_is_refused(temp_dir, lock_dir):
    elsewhere = temp_dir / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    os.symlink(str(elsewhere), str(lock_dir))
    with pytest.raises(LockError, match="is a symbolic link, which is never followed"):
        with name_lock(API, None, "ci"):
            pass
    assert os.listdir(str(elsewhere)) == []


def test_a_symlink_planted_at_a_lock_file_creates_nothing_where_it_points(temp_dir, lock_dir, lock_path):
    lock_dir.mkdir(mode=0o700)
    target = temp_dir / "target"
    os.symlink(str(target), str(lock_path))
    with pytest.raises(LockError, match="is a symbolic link, which is never followed"):
        with name_lock(API, None, "ci"):
            pass
    assert not target.exists()


def test_a_file_at_the_lock_directory_path_is_refused(lock_dir):
    lock_dir.write_text("")
    with pytest.raises(LockError, match="exists and is not a directory.*TMPDIR"):
        with name_lock(API, None, "ci"):
            pass


def test_a_lock_directory_others_can_write_is_refused_and_left_as_it_is(lock_dir):
    lock_dir.mkdir()
    os.chmod(str(lock_dir), 0o777)
    with pytest.raises(LockError, match="can be written by other users"):
        with name_lock(API, None, "ci"):
            pass
    assert mode(lock_dir) == 0o777


@pytest.mark.parametrize("make", [os.mkdir, os.mkfifo], ids=["directory", "fifo"])
def test_something_other_than_a_file_at_the_lock_path_is_refused_without_hanging(lock_dir, lock_path, make):
    lock_dir.mkdir(mode=0o700)
    make(str(lock_path))
    with pytest.raises(LockError, match="exists and is not a regular file"):
        with name_lock(API, None, "ci", lock_timeout=0):
            pass


@as_root
def test_a_lock_directory_of_another_user_is_refused(lock_dir):
    lock_dir.mkdir(mode=0o700)
    os.chown(str(lock_dir), OTHER_UID, OTHER_UID)
    with pytest.raises(LockError, match="owned by uid 65534"):
        with name_lock(API, None, "ci"):
            pass
    assert os.listdir(str(lock_dir)) == []


@as_root
def test_a_lock_file_of_another_user_is_refused(lock_dir, lock_path):
    lock_dir.mkdir(mode=0o700)
    lock_path.write_text("")
    os.chown(str(lock_path), OTHER_UID, OTHER_UID)
    with pytest.raises(LockError, match="owned by uid 65534"):
        with name_lock(API, None, "ci"):
            pass


def test_a_failure_to_lock_is_a_clear_error(monkeypatch):
    def no_locks(fd, operation):
        raise OSError(errno.ENOLCK, os.strerror(errno.ENOLCK))

    monkeypatch.setattr(locks.fcntl, "flock", no_locks)
    with pytest.raises(LockError, match="Can't lock .*: No locks available"):
        with name_lock(API, None, "ci"):
            pass


def test_a_lock_file_that_cannot_be_opened_is_a_clear_error(monkeypatch):
    real_open = os.open

    def refused(path, flags, *args, **kwargs):
        if "dir_fd" in kwargs:
            raise OSError(errno.EMFILE, os.strerror(errno.EMFILE))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(locks.os, "open", refused)
    with pytest.raises(LockError, match="Can't open the lock file .*: Too many open files"):
        with name_lock(API, None, "ci"):
            pass


def test_without_fcntl_there_is_no_lock_and_no_file(monkeypatch, lock_dir):
    monkeypatch.setattr(locks, "fcntl", None)
    with name_lock(API, None, "ci"):
        pass
    assert not lock_dir.exists()


def test_the_errors_are_provisioning_errors():
    assert issubclass(LockError, ProvisioningError)
