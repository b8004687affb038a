# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Writing a new key's secret to a file durably, the moment the key exists.

File names (file_name_for)
    A key's secret goes to ``<encoded name>.key``. The name is encoded as UTF-8 and every byte outside
    ``A-Z a-z 0-9 . _ -`` is written as ``%`` and two lower-case hex digits (percent-encoding), so ``ci-pipeline``
    gives ``ci-pipeline.key``, ``CI-Prod`` gives ``CI-Prod.key`` and ``team/ci`` gives ``team%2fci.key``.
    Letters keep their case, so two names that differ only in case (``CI`` and ``ci``) get files that differ only in
    case, which a case-insensitive filesystem (macOS, Windows) takes for one file: callers that write several secrets
    refuse such names first (case_collisions). A leading dot is encoded (``.hidden`` gives ``%2ehidden.key``), so no
    file is hidden, ``.`` or ``..``; so is the first letter of a name that Windows reserves for a device, in any case
    (``con`` gives ``%63on.key``, ``CON`` gives ``%43ON.key``). A file name longer than
    255 bytes keeps its first 218 bytes (never cutting a ``%xx`` in two), then ``~`` and the first 32 hex digits of
    the SHA-256 of the name's UTF-8 bytes. Decoding a file name that has no ``~`` (for example with Python's
    ``urllib.parse.unquote``) gives the key's name back, so two names never map to one file.

Files and directories
    The directory holding the secrets must be a real directory (not a symbolic link) owned by the user running the
    task, writable by that user and by no one else; if it doesn't exist, its parent must, and it is created with mode
    0700. The mode of an existing directory is never changed. A secret is written to a new temporary file in that
    directory (created exclusively, never following a symlink, mode 0600), flushed to disk, renamed over the secret
    file in one step, and the directory is flushed too: a reader sees the old file or the new one, never a partial
    one. A symlink, a non-file or a file owned by another user at the secret file's path is refused and left alone.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import hashlib
import os
import secrets

from ansible_collections.openrouter.provisioning.plugins.module_utils.errors import ProvisioningError
from ansible_collections.openrouter.provisioning.plugins.module_utils.private_dirs import (
    check_own_file,
    check_private_dir,
    open_private_dir,
    os_error_text,
)

SUFFIX = ".key"
MAX_FILE_NAME_BYTES = 255
HASH_DIGITS = 32
SAFE_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")
# Windows treats these as devices whatever follows the first dot; encoding a letter keeps shared drives safe.
WINDOWS_DEVICES = frozenset(
    ["con", "prn", "aux", "nul"] + ["com%d" % n for n in range(10)] + ["lpt%d" % n for n in range(10)]
)
DEFAULT_FIX = "choose another directory for the secret files"
TEMP_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


class SecretFileError(ProvisioningError):
    """A secret file can't be checked, written or removed; the message names the path and the fix."""


def _escape(byte):
    return "%%%02x" % byte


def file_name_for(name):
    """The file name, inside the secrets directory, of the key called `name`: see this module's docstring."""
    if not isinstance(name, str) or not name:
        raise SecretFileError("A key's name must be a non-empty string to name its secret file, got %r." % (name,))
    raw = name.encode("utf-8", "surrogatepass")
    encoded = "".join(chr(byte) if byte in SAFE_BYTES else _escape(byte) for byte in raw)
    if encoded.startswith(".") or encoded.split(".", 1)[0].lower() in WINDOWS_DEVICES:
        encoded = _escape(raw[0]) + encoded[1:]
    if len(encoded) + len(SUFFIX) > MAX_FILE_NAME_BYTES:
        kept = encoded[: MAX_FILE_NAME_BYTES - len(SUFFIX) - 1 - HASH_DIGITS]
        cut = kept.find("%", len(kept) - 2)
        if cut >= 0:
            kept = kept[:cut]
        encoded = "%s~%s" % (kept, hashlib.sha256(raw).hexdigest()[:HASH_DIGITS])
    return encoded + SUFFIX


def case_collisions(names):
    """The groups (lists, in the order given) of distinct names whose files differ only in case, so would be one file
    on a case-insensitive filesystem. Escapes are lower case, so lowering a file name folds exactly the letters."""
    groups = {}
    for name in names:
        group = groups.setdefault(file_name_for(name).lower(), [])
        if name not in group:
            group.append(name)
    return [group for group in groups.values() if len(group) > 1]


def secret_path(directory, name):
    """The path of the secret file of the key called `name` in `directory`."""
    return os.path.join(directory, file_name_for(name))


def check_secrets_dir(path, fix=DEFAULT_FIX):
    """Check, before any request, that secrets can be written in `path`; raise SecretFileError if not.

    Passes when `path` is a real directory owned by this user and writable by no one else, or doesn't exist and its
    parent is writable (write_secret will create it with mode 0700). Creates and changes nothing. `fix` ends each
    message, as a verb phrase such as "set secrets_dir to another directory".
    """
    check_private_dir(os.path.abspath(path), SecretFileError, fix)


def _split(path):
    if os.path.basename(path) in ("", ".", ".."):
        raise SecretFileError("%r doesn't name a file for a secret. Use a path that ends with a file name." % (path,))
    path = os.path.abspath(path)
    directory, file_name = os.path.split(path)
    return path, directory, file_name


def _check_existing(path, dir_fd, file_name, fix):
    """Return True if a file is at `file_name`, after refusing anything but a regular file of this user."""
    try:
        info = os.stat(file_name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return False
    check_own_file(path, info, SecretFileError, fix)
    return True


def _fsync_dir(dir_fd):
    try:
        os.fsync(dir_fd)
    except OSError as err:
        # Some filesystems can't flush a directory; the rename has still happened.
        if err.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
            raise


def write_secret(path, secret, fix=DEFAULT_FIX):
    """Write `secret` and a newline to the file `path` atomically with mode 0600, replacing a file of this user.

    The directory of `path` is created with mode 0700 if it is missing. Raises SecretFileError, whose message names
    the path and the fix (and never holds the secret), on any failure; the secret file is then as it was before.
    """
    path, directory, file_name = _split(path)
    dir_fd = open_private_dir(directory, SecretFileError, fix, create=True)
    temp_name = None
    try:
        _check_existing(path, dir_fd, file_name, fix)
        fresh_name = ".%s.%s.tmp" % (file_name[:40], secrets.token_hex(8))
        fd = os.open(fresh_name, TEMP_FLAGS, 0o600, dir_fd=dir_fd)
        temp_name = fresh_name
        try:
            os.fchmod(fd, 0o600)  # the umask may have taken bits away; the owner must keep read and write
            data = (secret + "\n").encode("utf-8")
            while data:
                data = data[os.write(fd, data) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp_name, file_name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        temp_name = None
        _fsync_dir(dir_fd)
    except OSError as err:
        raise SecretFileError(
            "Can't write the secret file %s: %s. Fix that, or %s." % (path, os_error_text(err), fix)
        ) from err
    finally:
        if temp_name is not None:
            try:
                os.unlink(temp_name, dir_fd=dir_fd)
            except OSError:
                pass  # already gone: nothing of the secret is left behind either way
        os.close(dir_fd)


def remove_secret(path, fix=DEFAULT_FIX):
    """Remove the secret file `path` of a deleted key; return True if a file was removed, False if none was there.

    A missing file or directory is fine. Raises SecretFileError for a file that isn't a regular file of this user, or
    a directory that fails the checks of check_secrets_dir.
    """
    path, directory, file_name = _split(path)
    dir_fd = open_private_dir(directory, SecretFileError, fix, create=False)
    if dir_fd is None:
        return False
    try:
        if not _check_existing(path, dir_fd, file_name, fix):
            return False
        os.unlink(file_name, dir_fd=dir_fd)
        _fsync_dir(dir_fd)
        return True
    except OSError as err:
        raise SecretFileError(
            "Can't remove the secret file %s: %s. Fix that, or %s." % (path, os_error_text(err), fix)
        ) from err
    finally:
        os.close(dir_fd)
