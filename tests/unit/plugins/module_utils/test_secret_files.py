# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Secret files: the name mapping, the directory checks, atomic writes and removal, including another user's files."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import re
import stat
from urllib.parse import unquote_to_bytes

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.openrouter.provisioning.plugins.module_utils import secret_files
from ansible_collections.openrouter.provisioning.plugins.module_utils.errors import ProvisioningError
from ansible_collections.openrouter.provisioning.plugins.module_utils.secret_files import (
    WINDOWS_DEVICES,
    SecretFileError,
    case_collisions,
    check_secrets_dir,
    file_name_for,
    remove_secret,
    secret_path,
    write_secret,
)

SECRET = "sk-or-v1-" + "cd" * 32
OTHER_UID = 65534
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
FILE_NAME = re.compile(r"(?:[A-Za-z0-9._-]|%[0-9a-f]{2})+(?:~[0-9a-f]{32})?\.key")


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def read(path):
    with open(path) as handle:
        return handle.read()


def assert_safe(file_name):
    assert FILE_NAME.fullmatch(file_name), file_name
    assert len(file_name.encode("utf-8")) <= 255
    assert file_name == os.path.basename(file_name) and not file_name.startswith(".")
    assert file_name.split(".", 1)[0].lower() not in WINDOWS_DEVICES


def decoded(file_name):
    return unquote_to_bytes(file_name[: -len(".key")])


@pytest.fixture
def umask():
    """Set a umask for one test and restore the old one."""
    saved = os.umask(0o022)
    yield os.umask
    os.umask(saved)


@pytest.fixture
def their_dir(tmp_path):
    """A 0700 directory that another user owns."""
    target = tmp_path / "secrets"
    target.mkdir(mode=0o700)
    os.chown(str(target), OTHER_UID, OTHER_UID)
    return target


# file_name_for


@pytest.mark.parametrize(
    "name, expected",
    [
        ("ci-pipeline", "ci-pipeline.key"),
        ("svc_1.2", "svc_1.2.key"),
        ("team/ci", "team%2fci.key"),
        ("../escape", "%2e.%2fescape.key"),
        ("..", "%2e..key"),
        (".", "%2e.key"),
        (".hidden", "%2ehidden.key"),
        ("a%2fb", "a%252fb.key"),
        ("CI", "CI.key"),
        ("CI-Prod", "CI-Prod.key"),
        ("ci", "ci.key"),
        ("con", "%63on.key"),
        ("CON", "%43ON.key"),
        ("Lpt9.x", "%4cpt9.x.key"),
        ("con.d", "%63on.d.key"),
        ("lpt1", "%6cpt1.key"),
        ("console", "console.key"),
        ("a\0b", "a%00b.key"),
        ("a\nb", "a%0ab.key"),
        ("with space", "with%20space.key"),
        ("équipe", "%c3%a9quipe.key"),
        ("~", "%7e.key"),
        ("\ud800", "%ed%a0%80.key"),
    ],
)
def test_file_names_are_percent_encoded(name, expected):
    assert file_name_for(name) == expected
    assert_safe(expected)
    assert decoded(expected) == name.encode("utf-8", "surrogatepass")


def test_a_long_name_is_cut_with_a_hash_and_stays_within_255_bytes():
    long_name = "k" * 300
    other = "k" * 299 + "l"
    assert len(file_name_for(long_name)) == 255
    assert file_name_for(long_name).startswith("k" * 218 + "~")
    assert file_name_for(long_name) != file_name_for(other)
    assert_safe(file_name_for(long_name))


@pytest.mark.parametrize("prefix", ["", "a", "ab"])
def test_cutting_a_long_name_never_splits_an_escape(prefix):
    name = prefix + "é" * 200
    assert_safe(file_name_for(name))
    assert len(file_name_for(name)) <= 255


def test_a_name_exactly_at_the_limit_is_not_cut():
    assert file_name_for("k" * 251) == "k" * 251 + ".key"
    assert "~" in file_name_for("k" * 252)


@pytest.mark.parametrize("name", ["", None, 7, b"bytes"])
def test_a_name_that_is_not_a_non_empty_string_is_refused(name):
    with pytest.raises(SecretFileError, match="non-empty string"):
        file_name_for(name)


def test_names_whose_files_differ_only_in_case_are_grouped():
    names = ["CI-Prod", "ci-prod", "other", "Ci-Prod", "ci-prod", "team/x", "TEAM/x", "é", "É"]
    assert case_collisions(names) == [["CI-Prod", "ci-prod", "Ci-Prod"], ["team/x", "TEAM/x"]]
    assert case_collisions(["a", "b", "a"]) == []


def test_secret_path_joins_the_directory_and_the_file_name(tmp_path):
    assert secret_path(str(tmp_path), "team/ci") == os.path.join(str(tmp_path), "team%2fci.key")


names = st.text(alphabet=st.characters(codec=None, exclude_categories=()), min_size=1, max_size=300)
tricky = st.text(alphabet="aAcCoOnN./%~\0\n é-_\ud800\udc00😀", min_size=1, max_size=300)


@settings(max_examples=500, deadline=None)
@given(st.one_of(names, tricky))
def test_every_file_name_is_one_safe_component_that_decodes_to_its_name(name):
    file_name = file_name_for(name)
    assert_safe(file_name)
    if "~" not in file_name:
        assert decoded(file_name) == name.encode("utf-8", "surrogatepass")


@settings(max_examples=500, deadline=None)
@given(st.one_of(names, tricky), st.one_of(names, tricky))
def test_two_names_never_share_a_file(first, second):
    if first != second:
        assert file_name_for(first) != file_name_for(second)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab%é", min_size=200, max_size=300), st.text(alphabet="ab", min_size=1, max_size=3))
def test_long_names_that_share_a_prefix_never_share_a_file(prefix, tail):
    assert file_name_for(prefix) != file_name_for(prefix + tail)


# check_secrets_dir


def test_an_existing_private_directory_passes(tmp_path):
    for bits in (0o700, 0o755):
        os.chmod(str(tmp_path), bits)
        check_secrets_dir(str(tmp_path))
        assert mode(str(tmp_path)) == bits


def test_a_missing_directory_with_a_writable_parent_passes_and_is_not_made(tmp_path):
    check_secrets_dir(str(tmp_path / "secrets"))
    assert not (tmp_path / "secrets").exists()


def test_a_missing_parent_is_refused(tmp_path):
    with pytest.raises(SecretFileError, match="Neither .*nope/secrets nor its parent"):
        check_secrets_dir(str(tmp_path / "nope" / "secrets"))


def test_a_parent_the_user_cannot_write_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "access", lambda *args, **kwargs: False)  # root can write anywhere, so pretend
    with pytest.raises(SecretFileError, match="its parent .* is not writable"):
        check_secrets_dir(str(tmp_path / "secrets"))


def test_a_symlinked_directory_is_refused(tmp_path):
    (tmp_path / "real").mkdir(mode=0o700)
    os.symlink(str(tmp_path / "real"), str(tmp_path / "link"))
    with pytest.raises(SecretFileError, match="link is a symbolic link.*points to \\(.*real\\)"):
        check_secrets_dir(str(tmp_path / "link"))


def test_a_file_at_the_directory_path_is_refused(tmp_path):
    (tmp_path / "secrets").write_text("x")
    with pytest.raises(SecretFileError, match="exists and is not a directory"):
        check_secrets_dir(str(tmp_path / "secrets"))


@pytest.mark.parametrize("bits", [0o770, 0o707, 0o777])
def test_a_directory_others_can_write_is_refused_and_left_as_it_is(tmp_path, bits):
    target = tmp_path / "secrets"
    target.mkdir()
    os.chmod(str(target), bits)
    with pytest.raises(SecretFileError, match="can be written by other users .*chmod go-w"):
        check_secrets_dir(str(target))
    assert mode(str(target)) == bits


def test_a_directory_its_owner_cannot_write_is_refused(tmp_path):
    target = tmp_path / "secrets"
    target.mkdir(mode=0o500)
    with pytest.raises(SecretFileError, match="chmod u\\+wx"):
        check_secrets_dir(str(target))


@as_root
def test_a_directory_of_another_user_is_refused(their_dir):
    with pytest.raises(SecretFileError, match="owned by uid 65534, not by the user running this task"):
        check_secrets_dir(str(their_dir))


def test_each_message_ends_with_the_fix_given(tmp_path):
    (tmp_path / "secrets").write_text("x")
    with pytest.raises(SecretFileError, match="or set secrets_dir to another directory\\.$"):
        check_secrets_dir(str(tmp_path / "secrets"), fix="set secrets_dir to another directory")


def test_the_errors_are_provisioning_errors():
    assert issubclass(SecretFileError, ProvisioningError)


# write_secret


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o277, 0o000])
def test_a_secret_is_written_0600_in_a_new_0700_directory_whatever_the_umask(tmp_path, umask, mask):
    umask(mask)
    path = secret_path(str(tmp_path / "secrets"), "team/ci")
    write_secret(path, SECRET)
    assert read(path) == SECRET + "\n"
    assert mode(path) == 0o600
    assert mode(str(tmp_path / "secrets")) == 0o700
    assert os.listdir(str(tmp_path / "secrets")) == ["team%2fci.key"]


def test_an_existing_directory_keeps_its_mode(tmp_path):
    os.chmod(str(tmp_path), 0o750)
    write_secret(str(tmp_path / "a.key"), SECRET)
    assert mode(str(tmp_path)) == 0o750


def test_a_file_of_the_user_is_replaced_by_a_new_file(tmp_path):
    path = str(tmp_path / "a.key")
    with open(path, "w") as handle:
        handle.write("old\n")
    os.chmod(path, 0o644)
    before = os.stat(path).st_ino
    write_secret(path, SECRET)
    assert read(path) == SECRET + "\n"
    assert mode(path) == 0o600
    assert os.stat(path).st_ino != before  # renamed over, never rewritten in place
    assert os.listdir(str(tmp_path)) == ["a.key"]


def test_only_the_last_directory_is_created(tmp_path):
    with pytest.raises(SecretFileError, match="Neither"):
        write_secret(str(tmp_path / "a" / "b" / "c.key"), SECRET)
    assert not (tmp_path / "a").exists()


def test_a_symlink_at_the_file_path_is_refused_and_nothing_is_written_through_it(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("keep")
    secrets_dir = tmp_path / "secrets"
    secrets_dir.mkdir(mode=0o700)
    os.symlink(str(victim), str(secrets_dir / "a.key"))
    with pytest.raises(SecretFileError, match="a.key is a symbolic link, which is never followed"):
        write_secret(str(secrets_dir / "a.key"), SECRET)
    assert victim.read_text() == "keep"
    assert os.path.islink(str(secrets_dir / "a.key"))
    assert os.listdir(str(secrets_dir)) == ["a.key"]


def test_a_dangling_symlink_at_the_file_path_is_refused(tmp_path):
    os.symlink(str(tmp_path / "elsewhere"), str(tmp_path / "a.key"))
    with pytest.raises(SecretFileError, match="symbolic link"):
        write_secret(str(tmp_path / "a.key"), SECRET)
    assert not (tmp_path / "elsewhere").exists()


def test_a_symlinked_directory_is_never_written_into(tmp_path):
    (tmp_path / "real").mkdir(mode=0o700)
    os.symlink(str(tmp_path / "real"), str(tmp_path / "link"))
    with pytest.raises(SecretFileError, match="symbolic link"):
        write_secret(str(tmp_path / "link" / "a.key"), SECRET)
    assert os.listdir(str(tmp_path / "real")) == []


def test_a_directory_at_the_file_path_is_refused(tmp_path):
    (tmp_path / "a.key").mkdir()
    with pytest.raises(SecretFileError, match="is not a regular file"):
        write_secret(str(tmp_path / "a.key"), SECRET)


def test_a_file_at_the_directory_path_is_refused_when_writing(tmp_path):
    (tmp_path / "secrets").write_text("x")
    with pytest.raises(SecretFileError, match="not a directory"):
        write_secret(str(tmp_path / "secrets" / "a.key"), SECRET)


def test_a_directory_others_can_write_is_refused_when_writing(tmp_path):
    target = tmp_path / "secrets"
    target.mkdir()
    os.chmod(str(target), 0o777)
    with pytest.raises(SecretFileError, match="chmod go-w"):
        write_secret(str(target / "a.key"), SECRET)
    assert os.listdir(str(target)) == []
    assert mode(str(target)) == 0o777


@as_root
def test_a_file_of_another_user_is_never_replaced(tmp_path):
    path = tmp_path / "a.key"
    path.write_text("theirs")
    os.chown(str(path), OTHER_UID, OTHER_UID)
    with pytest.raises(SecretFileError, match="owned by uid 65534.*left alone"):
        write_secret(str(path), SECRET)
    assert path.read_text() == "theirs"
    assert os.stat(str(path)).st_uid == OTHER_UID
    assert os.listdir(str(tmp_path)) == ["a.key"]


@as_root
def test_a_directory_of_another_user_is_never_written_into(their_dir):
    with pytest.raises(SecretFileError, match="owned by uid 65534"):
        write_secret(str(their_dir / "a.key"), SECRET)
    assert os.listdir(str(their_dir)) == []


@pytest.mark.parametrize("path", ["", "dir/", "dir/.", "dir/.."])
def test_a_path_without_a_file_name_is_refused(path):
    with pytest.raises(SecretFileError, match="doesn't name a file"):
        write_secret(path, SECRET)


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "a.key"
    path.write_text("old\n")

    def full_disk(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(secret_files.os, "fsync", full_disk)
    with pytest.raises(SecretFileError) as caught:
        write_secret(str(path), SECRET)
    message = str(caught.value)
    assert message.startswith("Can't write the secret file %s: No space left on device. Fix that, or " % path)
    assert SECRET not in message
    assert path.read_text() == "old\n"
    assert os.listdir(str(tmp_path)) == ["a.key"]


def test_a_directory_that_cannot_be_flushed_is_not_a_failure(tmp_path, monkeypatch):
    real_fsync = os.fsync

    def no_directory_fsync(fd):
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, os.strerror(errno.EINVAL))
        real_fsync(fd)

    monkeypatch.setattr(secret_files.os, "fsync", no_directory_fsync)
    write_secret(str(tmp_path / "a.key"), SECRET)
    assert (tmp_path / "a.key").read_text() == SECRET + "\n"


def test_a_directory_that_cannot_be_made_gives_a_clear_error(tmp_path, monkeypatch):
    def read_only(path, mode):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(os, "mkdir", read_only)
    with pytest.raises(SecretFileError, match="Can't create the directory .*secrets: Read-only file system"):
        write_secret(str(tmp_path / "secrets" / "a.key"), SECRET)


# remove_secret


def test_a_secret_file_of_the_user_is_removed(tmp_path):
    write_secret(str(tmp_path / "a.key"), SECRET)
    assert remove_secret(str(tmp_path / "a.key")) is True
    assert os.listdir(str(tmp_path)) == []


def test_removing_a_missing_file_or_directory_is_fine(tmp_path):
    assert remove_secret(str(tmp_path / "a.key")) is False
    assert remove_secret(str(tmp_path / "missing" / "a.key")) is False
    assert not (tmp_path / "missing").exists()


def test_a_symlink_is_not_removed(tmp_path):
    (tmp_path / "victim").write_text("keep")
    os.symlink(str(tmp_path / "victim"), str(tmp_path / "a.key"))
    with pytest.raises(SecretFileError, match="symbolic link"):
        remove_secret(str(tmp_path / "a.key"))
    assert os.path.islink(str(tmp_path / "a.key"))


def test_a_directory_at_the_file_path_is_not_removed(tmp_path):
    (tmp_path / "a.key").mkdir()
    with pytest.raises(SecretFileError, match="not a regular file"):
        remove_secret(str(tmp_path / "a.key"))
    assert (tmp_path / "a.key").is_dir()


@as_root
def test_a_file_of_another_user_is_not_removed(tmp_path):
    path = tmp_path / "a.key"
    path.write_text("theirs")
    os.chown(str(path), OTHER_UID, OTHER_UID)
    with pytest.raises(SecretFileError, match="owned by uid 65534"):
        remove_secret(str(path))
    assert path.read_text() == "theirs"


def test_a_failed_removal_gives_a_clear_error(tmp_path, monkeypatch):
    (tmp_path / "a.key").write_text("x")

    def busy(*args, **kwargs):
        raise OSError(errno.EBUSY, os.strerror(errno.EBUSY))

    monkeypatch.setattr(secret_files.os, "unlink", busy)
    with pytest.raises(SecretFileError, match="Can't remove the secret file .*a.key: Device or resource busy"):
        remove_secret(str(tmp_path / "a.key"))
