# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""openrouter_key's secret_file and return_secret: the secret is on disk before any step after the create."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import json
import os
import stat
import tempfile

import pytest

from ansible_collections.openrouter.provisioning.plugins.module_utils import keys
from ansible_collections.openrouter.provisioning.plugins.modules.openrouter_key import main
from ansible_collections.openrouter.provisioning.tests.unit.helpers import (
    API,
    HASH,
    SECRET,
    created,
    key,
    listing,
    read,
    sent,
)


def file_holds(path, secret):
    """A responses callback check: the file holds the secret when the request arrives."""

    def callback(request):
        assert read(path) == secret + "\n"
        return 200, {}, '{"data": %s}' % json.dumps(key(2, name="svc", disabled=True))

    return callback


def test_create_writes_the_secret_0600_and_leaves_it_out_of_the_result(run, http, secret_file):
    listing(http, [])
    created(http)
    result = run(main, name="svc", secret_file=secret_file, diff=True)
    assert result["changed"] and not result["failed"]
    assert "secret" not in result and SECRET not in repr(result)
    assert result["secret_file"] == secret_file
    assert result["diff"]["after"]["secret_file"] == secret_file
    assert read(secret_file) == SECRET + "\n"
    assert stat.S_IMODE(os.stat(secret_file).st_mode) == 0o600


def test_return_secret_puts_the_secret_in_the_result_too(run, http, secret_file):
    listing(http, [])
    created(http)
    result = run(main, name="svc", secret_file=secret_file, return_secret=True)
    assert result["secret"] == SECRET and read(secret_file) == SECRET + "\n"


def test_the_file_is_written_before_the_patch_of_a_disabled_key(run, http, secret_file):
    listing(http, [])
    created(http)
    http.add_callback("PATCH", API + "/keys/" + HASH, callback=file_holds(secret_file, SECRET))
    result = run(main, name="svc", disabled=True, secret_file=secret_file)
    assert result["changed"] and result["key"]["disabled"] is True


def test_a_failed_patch_after_the_create_leaves_the_secret_in_the_file(run, http, secret_file):
    listing(http, [])
    created(http)
    http.patch(API + "/keys/" + HASH, status=500, json={"error": {"code": 500, "message": "Internal Server Error"}})
    result = run(main, name="svc", disabled=True, secret_file=secret_file)
    assert result["failed"] and result["key"]["hash"] == HASH
    assert result["secret_file"] == secret_file and read(secret_file) == SECRET + "\n"
    assert "secret" not in result


def test_rotation_overwrites_the_file_before_deleting_the_old_key(run, http, secret_file):
    with open(secret_file, "w") as handle:
        handle.write("old-secret\n")
    listing(http, [key(1, name="svc")])
    created(http)

    def delete(request):
        assert read(secret_file) == SECRET + "\n"
        return 200, {}, '{"deleted": true}'

    http.add_callback("DELETE", API + "/keys/%064x" % 1, callback=delete)
    result = run(main, name="svc", recreate="always", secret_file=secret_file)
    assert result["changed"] and result["previous_hash"] == "%064x" % 1 and "secret" not in result


def test_an_undone_replacement_puts_the_old_secret_back(run, http, secret_file):
    with open(secret_file, "w") as handle:
        handle.write("old-secret\n")
    listing(http, [key(1, name="svc")])
    created(http)
    http.delete(API + "/keys/%064x" % 1, status=500, json={"error": {"code": 500, "message": "boom"}})
    http.get(API + "/keys/%064x" % 1, json={"data": key(1, name="svc")})
    http.delete(API + "/keys/" + HASH, json={"deleted": True})
    result = run(main, name="svc", recreate="always", secret_file=secret_file)
    assert result["failed"] and not result["changed"]
    assert read(secret_file) == "old-secret\n"


@pytest.mark.parametrize("error", [keys.SecretFileError("Disk full."), OSError(errno.ENOSPC, "No space left")])
def test_a_file_that_cannot_be_written_after_the_create_fails_with_the_secret(
    run, http, secret_file, monkeypatch, error
):
    def write_secret(*args):
        raise error

    monkeypatch.setattr(keys, "write_secret", write_secret)
    listing(http, [])
    created(http)
    result = run(main, name="svc", disabled=True, secret_file=secret_file)
    assert result["failed"] and result["secret"] == SECRET and result["key"]["hash"] == HASH
    assert "could not be written to secret_file" in result["msg"] and "The secret is in this result" in result["msg"]
    assert [call[0] for call in sent(http)] == ["GET", "POST"]


def test_a_secret_whose_file_fails_goes_to_a_private_file_not_into_the_output(
    run, http, secret_file, monkeypatch, tmp_path
):
    real_write = keys.write_secret

    def write_secret(path, *args):
        if path == secret_file:
            raise OSError(errno.ENOSPC, "No space left")
        return real_write(path, *args)

    monkeypatch.setattr(keys, "write_secret", write_secret)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir(mode=0o700)
    listing(http, [])
    created(http)
    result = run(main, name="svc", secret_file=secret_file)
    rescue = result["secret_file"]
    assert result["failed"] and "secret" not in result and SECRET not in result["msg"]
    assert rescue != secret_file and rescue in result["msg"] and read(rescue) == SECRET + "\n"
    assert stat.S_IMODE(os.stat(rescue).st_mode) == 0o600


def test_a_run_that_creates_no_key_never_touches_the_file(run, http, secret_file):
    with open(secret_file, "w") as handle:
        handle.write("kept\n")
    before = os.stat(secret_file)
    listing(http, [key(2, name="svc")])
    result = run(main, name="svc", secret_file=secret_file)
    assert not result["changed"] and "secret_file" not in result
    assert read(secret_file) == "kept\n" and os.stat(secret_file).st_mtime_ns == before.st_mtime_ns


def test_check_mode_writes_nothing_and_says_what_would_be_written(run, http, secret_file):
    listing(http, [])
    result = run(main, name="svc", secret_file=secret_file, check_mode=True, diff=True)
    assert result["changed"] and result["secret_file"] == secret_file
    assert result["diff"]["after"]["secret_file"] == secret_file
    assert not os.path.exists(secret_file)


@pytest.mark.parametrize("check_mode", [True, False])
def test_absent_removes_the_file_of_the_deleted_key(run, http, secret_file, check_mode):
    with open(secret_file, "w") as handle:
        handle.write("old-secret\n")
    listing(http, [key(2, name="svc")])
    if not check_mode:
        http.delete(API + "/keys/" + HASH, json={"deleted": True})
    result = run(main, name="svc", state="absent", secret_file=secret_file, check_mode=check_mode, diff=True)
    assert result["changed"] and result["secret_file"] == secret_file
    assert result["diff"]["before"]["secret_file"] == secret_file
    assert os.path.exists(secret_file) is check_mode


def test_absent_of_a_missing_key_removes_a_leftover_file_once(run, http, secret_file):
    with open(secret_file, "w") as handle:
        handle.write("old-secret\n")
    listing(http, [])
    listing(http, [])
    assert run(main, name="svc", state="absent", secret_file=secret_file)["changed"]
    assert not os.path.exists(secret_file)
    assert not run(main, name="svc", state="absent", secret_file=secret_file)["changed"]


def _other_users_dir(secret_file):
    if os.geteuid() != 0:
        pytest.skip("needs root to give a directory to another user")
    os.chown(os.path.dirname(secret_file), 65534, 65534)


def _symlink_at_path(secret_file):
    os.symlink("/etc/passwd", secret_file)


def _other_users_file(secret_file):
    if os.geteuid() != 0:
        pytest.skip("needs root to give a file to another user")
    with open(secret_file, "w") as handle:
        handle.write("theirs\n")
    os.chown(secret_file, 65534, 65534)


@pytest.mark.parametrize(
    "setup, expected",
    [
        (_other_users_dir, "is owned by uid 65534"),
        (_symlink_at_path, "is a symbolic link"),
        (_other_users_file, "is owned by uid 65534"),
    ],
)
@pytest.mark.parametrize("check_mode", [True, False])
def test_a_path_that_cannot_be_written_fails_before_any_request(run, http, secret_file, setup, expected, check_mode):
    setup(secret_file)
    result = run(main, name="svc", secret_file=secret_file, check_mode=check_mode)
    assert result["failed"] and result["msg"].startswith("secret_file: ") and expected in result["msg"]
    assert "set secret_file to a path in a directory that only you can write" in result["msg"]
    assert sent(http) == []


@pytest.mark.parametrize(
    "options, expected",
    [
        (dict(secret_file="relative/svc.key"), "secret_file must be the absolute path of a file"),
        (dict(return_secret=False), "return_secret=false without secret_file"),
    ],
)
def test_bad_secret_options_fail_before_any_request(run, http, options, expected):
    result = run(main, name="svc", **options)
    assert result["failed"] and expected in result["msg"] and sent(http) == []


def test_a_file_that_cannot_be_removed_after_the_delete_fails_saying_the_key_is_gone(
    run, http, secret_file, monkeypatch
):
    def remove_secret(*args):
        raise keys.SecretFileError("Can't remove the secret file %s: Read-only file system." % secret_file)

    monkeypatch.setattr(keys, "remove_secret", remove_secret)
    with open(secret_file, "w") as handle:
        handle.write("old-secret\n")
    listing(http, [key(2, name="svc")])
    http.delete(API + "/keys/" + HASH, json={"deleted": True})
    result = run(main, name="svc", state="absent", secret_file=secret_file)
    assert result["failed"] and result["changed"] and result["key"] == {}
    assert "The key is gone, but its secret file wasn't removed" in result["msg"]
