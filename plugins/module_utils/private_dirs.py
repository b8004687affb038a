# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Directories only the running user can write, opened without following symlinks, for secret and lock files.

Shared by secret_files and locks. Every check runs on an open descriptor of the directory (fstat), and the files
inside are then opened relative to that descriptor, so nothing can swap the directory between the check and the use.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import stat

# A descriptor for a directory, never following a symlink in its last component.
DIR_FLAGS = (
    os.O_RDONLY
    | os.O_NONBLOCK
    | getattr(os, "O_DIRECTORY", 0)
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
)


def os_error_text(err):
    """The reason an OSError gives, without the traceback or the Python class name."""
    return err.strerror or errno.errorcode.get(err.errno, str(err))


def directory_problem(path, info, fix):
    """Why the directory described by `info` (an lstat or fstat result) is unsafe to keep private files in, or None."""
    if stat.S_ISLNK(info.st_mode):
        return "%s is a symbolic link, which is never followed. Use the directory it points to (%s), or %s." % (
            path,
            os.path.realpath(path),
            fix,
        )
    if not stat.S_ISDIR(info.st_mode):
        return "%s exists and is not a directory. Remove it, or %s." % (path, fix)
    if info.st_uid != os.geteuid():
        return "%s is owned by uid %d, not by the user running this task (uid %d). Give it to this user, or %s." % (
            path,
            info.st_uid,
            os.geteuid(),
            fix,
        )
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return "%s can be written by other users (mode %04o). Run 'chmod go-w %s', or %s." % (
            path,
            stat.S_IMODE(info.st_mode),
            path,
            fix,
        )
    if info.st_mode & (stat.S_IWUSR | stat.S_IXUSR) != stat.S_IWUSR | stat.S_IXUSR:
        return "%s is not writable by its owner (mode %04o). Run 'chmod u+wx %s', or %s." % (
            path,
            stat.S_IMODE(info.st_mode),
            path,
            fix,
        )
    return None


def missing_directory_problem(path, fix):
    """Why a directory that doesn't exist yet can't be created at `path` (mode 0700), or None."""
    parent = os.path.dirname(path)
    if not os.path.isdir(parent):
        return "Neither %s nor its parent directory %s exists. Create %s, or %s." % (
            path,
            parent,
            parent,
            fix,
        )
    if not os.access(parent, os.W_OK | os.X_OK):
        return (
            "%s doesn't exist and can't be created: its parent %s is not writable by this user. Create it, or %s."
            % (
                path,
                parent,
                fix,
            )
        )
    return None


def open_private_dir(path, error, fix, create):
    """Open the directory at `path` and return its descriptor, after checking that only this user can write it.

    With `create`, a missing directory is made with mode 0700 (its parent must exist); an existing directory's mode is
    never changed. `error` is the exception class to raise, and `fix` ends each message with the way out that fits the
    caller, as a verb phrase (for example "set secrets_dir to another directory"). Returns None when the directory is
    missing and `create` is false.
    """
    created = False
    if create:
        try:
            os.mkdir(path, 0o700)
            created = True
        except FileExistsError:
            pass
        except OSError as err:
            raise error(
                missing_directory_problem(path, fix)
                or "Can't create the directory %s: %s. Fix that, or %s." % (path, os_error_text(err), fix)
            ) from err
    try:
        fd = os.open(path, DIR_FLAGS)
    except FileNotFoundError:
        if create:
            raise error("The directory %s disappeared while it was being opened. Run the task again." % path) from None
        return None
    except OSError as err:
        try:
            problem = directory_problem(path, os.lstat(path), fix)
        except OSError:
            problem = None
        raise error(
            problem or "Can't open the directory %s: %s. Fix that, or %s." % (path, os_error_text(err), fix)
        ) from err
    try:
        info = os.fstat(fd)
        if created and info.st_uid == os.geteuid() and stat.S_IMODE(info.st_mode) != 0o700:
            # Only a directory this call made: the umask may have taken bits away from 0700.
            os.fchmod(fd, 0o700)
            info = os.fstat(fd)
        problem = directory_problem(path, info, fix)
    except OSError as err:
        os.close(fd)
        raise error("Can't check the directory %s: %s. Fix that, or %s." % (path, os_error_text(err), fix)) from err
    if problem:
        os.close(fd)
        raise error(problem)
    return fd


def check_private_dir(path, error, fix):
    """Raise `error` unless `path` is a safe directory of this user, or is missing and can be made. Creates nothing."""
    fd = open_private_dir(path, error, fix, create=False)
    if fd is None:
        problem = missing_directory_problem(path, fix)
        if problem:
            raise error(problem)
    else:
        os.close(fd)


def check_own_file(path, info, error, fix):
    """Raise `error` unless `info` (an lstat or fstat result) is of a regular file owned by this user."""
    if stat.S_ISLNK(info.st_mode):
        raise error("%s is a symbolic link, which is never followed. Remove it, or %s." % (path, fix))
    if not stat.S_ISREG(info.st_mode):
        raise error("%s exists and is not a regular file. Remove it, or %s." % (path, fix))
    if info.st_uid != os.geteuid():
        raise error(
            "%s is owned by uid %d, not by the user running this task (uid %d), so it is left alone. Remove it, "
            "give it to this user, or %s." % (path, info.st_uid, os.geteuid(), fix)
        )
