# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The name lock: lookup-then-create of one key name runs in one process at a time on this machine.

Where the locks live
    In ``openrouter-provisioning-<uid>`` inside the temporary directory (``TMPDIR``, else ``/tmp``), one directory per
    user, created with mode 0700. It is refused, with a message that says how to fix it, if it is a symbolic link, not
    a directory, owned by another user, or writable by group or others; its mode is never changed once it exists.
    The lock files in it are opened without following symlinks and created with mode 0600; anything at their paths
    that isn't a regular file of the user is refused. The lock reaches neither other machines nor other users.

How they are shared
    A lock is one of 256 files, chosen by the SHA-256 of (api_url, workspace, name). So the files never pile up (one
    can't be removed safely while another run may wait on it), and two names that share a file only wait for each
    other, never for long.

How long a run waits
    At most ``lock_timeout`` seconds (``DEFAULT_LOCK_TIMEOUT`` unless the caller passes another), trying every few
    tens of milliseconds; then it fails, saying that another run on this machine holds the lock. Without ``fcntl``
    (not POSIX), there is no lock.

The account's generation
    Next to the locks, one small file per (api_url, management key) holds a counter that every write of a key on this
    machine raises by one (bump_generation), so a process can tell whether a listing it kept is still the account's
    (listing_cache.py). Its name is a SHA-256 of the API URL and the key's fingerprint, never the key; it is opened,
    checked and created like a lock file, and read and written only under its flock, held for microseconds.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import hashlib
import os
import tempfile
import time

from ansible_collections.openrouter.provisioning.plugins.module_utils.errors import ProvisioningError
from ansible_collections.openrouter.provisioning.plugins.module_utils.private_dirs import (
    check_own_file,
    open_private_dir,
    os_error_text,
)

try:
    import fcntl
except ImportError:  # not POSIX: no lock, as documented
    fcntl = None

DEFAULT_LOCK_TIMEOUT = 300.0
FIRST_POLL = 0.01
LONGEST_POLL = 0.2
FIX = "set TMPDIR to a directory of your own"
LOCK_FLAGS = os.O_RDONLY | os.O_CREAT | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


GENERATION_FLAGS = LOCK_FLAGS & ~os.O_RDONLY | os.O_RDWR
# The generation's flock is held for a read and a write of a few bytes: a longer wait means a stopped process.
GENERATION_WAIT = 30.0


class LockError(ProvisioningError):
    """The name lock can't be taken: its files are unsafe, or another run held it for longer than lock_timeout."""


def lock_directory():
    """The directory of this user's lock files."""
    return os.path.join(tempfile.gettempdir(), "openrouter-provisioning-%d" % os.geteuid())


def lock_file_name(api_url, workspace_id, name):
    """The lock file (one of 256) of a name: names can share one."""
    digest = hashlib.sha256(("%s\0%s\0%s" % (api_url, workspace_id or "", name)).encode("utf-8", "surrogatepass"))
    return "%s.lock" % digest.hexdigest()[:2]


def _open_lock_file(directory, file_name, flags=LOCK_FLAGS):
    path = os.path.join(directory, file_name)
    dir_fd = open_private_dir(directory, LockError, FIX, create=True)
    try:
        fd = os.open(file_name, flags, 0o600, dir_fd=dir_fd)
    except OSError as err:
        try:
            info = os.stat(file_name, dir_fd=dir_fd, follow_symlinks=False)
        except OSError:
            info = None
        if info is not None:
            check_own_file(path, info, LockError, FIX)
        raise LockError("Can't open the lock file %s: %s. Fix that, or %s." % (path, os_error_text(err), FIX)) from err
    finally:
        os.close(dir_fd)
    try:
        check_own_file(path, os.fstat(fd), LockError, FIX)
    except BaseException:
        os.close(fd)
        raise
    return path, fd


def _acquire(path, fd, lock_timeout, clock, sleep, held="for this key name", fix="raise lock_timeout"):
    deadline = clock() + lock_timeout
    pause = FIRST_POLL
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        except OSError as err:
            raise LockError("Can't lock %s: %s. Fix that, or %s." % (path, os_error_text(err), FIX)) from err
        left = deadline - clock()
        if left <= 0:
            raise LockError(
                "Another run on this machine has held the lock %s %s for more than %s seconds (lock_timeout). Wait for "
                "that run to finish, or %s." % (path, held, lock_timeout, fix)
            )
        sleep(min(pause, left))
        pause = min(pause * 2, LONGEST_POLL)


@contextlib.contextmanager
def name_lock(api_url, workspace_id, name, lock_timeout=DEFAULT_LOCK_TIMEOUT, clock=time.monotonic, sleep=time.sleep):
    """Hold the lock of one (api_url, workspace_id, name) on this machine for the body of the `with` block.

    Waits at most `lock_timeout` seconds (0 tries once) and raises LockError, naming lock_timeout, when another run
    holds the lock for longer; every failure to make, open or lock the file is a LockError that names the path and
    the fix. See this module's docstring for where the files live and what is refused.
    """
    if isinstance(lock_timeout, bool) or not isinstance(lock_timeout, (int, float)) or not 0 <= lock_timeout < 1e9:
        raise LockError("lock_timeout must be a finite number of seconds, 0 or more, got %r." % (lock_timeout,))
    if fcntl is None:
        yield
        return
    path, fd = _open_lock_file(lock_directory(), lock_file_name(api_url, workspace_id, name))
    try:
        _acquire(path, fd, lock_timeout, clock, sleep)
        yield
    finally:
        os.close(fd)  # closing the only descriptor releases the lock


def generation_file_name(api_url, key_fingerprint):
    """The generation file of an account: a digest of the API URL and the management key's fingerprint."""
    digest = hashlib.sha256(("generation\0%s\0%s" % (api_url, key_fingerprint)).encode("utf-8", "surrogatepass"))
    return "%s.generation" % digest.hexdigest()[:32]


def _generation(api_url, key_fingerprint, change):
    """Under the generation file's flock: read its stamp (device, inode, count), write change(count) if change is
    given, and return the stamp read. A file made anew (a cleaned TMPDIR) has a new inode, so no stamp taken of the
    old one matches it. None without fcntl."""
    if fcntl is None:
        return None
    path, fd = _open_lock_file(lock_directory(), generation_file_name(api_url, key_fingerprint), GENERATION_FLAGS)
    try:
        _acquire(path, fd, GENERATION_WAIT, time.monotonic, time.sleep, "of the key list's generation", FIX)
        info = os.fstat(fd)
        try:
            count = int(os.pread(fd, 32, 0) or b"0")
        except ValueError:
            count = -1  # not a count we wrote: it matches no stamp, and the next write makes it 0
        if change is not None:
            text = b"%d\n" % change(count)
            os.pwrite(fd, text, 0)
            os.ftruncate(fd, len(text))
        return info.st_dev, info.st_ino, count
    except OSError as err:
        raise LockError("Can't read or write %s: %s. Fix that, or %s." % (path, os_error_text(err), FIX)) from err
    finally:
        os.close(fd)


def read_generation(api_url, key_fingerprint):
    """The account's generation stamp on this machine (None without fcntl); see _generation."""
    return _generation(api_url, key_fingerprint, None)


def bump_generation(api_url, key_fingerprint):
    """Raise the account's generation by one; return (the stamp before, the stamp after) (None without fcntl)."""
    before = _generation(api_url, key_fingerprint, lambda count: count + 1)
    if before is None:
        return None, None
    return before, before[:2] + (before[2] + 1,)
