# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What only keys need on top of the core (their description and options are in key_resource.py): the secret, the
lost-create recovery, the name lock and a safe replacement. No Ansible here."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import os
import re

from ansible_collections.openrouter.provisioning.plugins.module_utils.client import (
    OpenRouterError,
    ResponseLost,
    redact,
    server_clock,
)
from ansible_collections.openrouter.provisioning.plugins.module_utils.converge import (
    ResourceTask,
    get_record,
    list_records,
    records_named,
)
from ansible_collections.openrouter.provisioning.plugins.module_utils.errors import ProvisioningError
from ansible_collections.openrouter.provisioning.plugins.module_utils.key_resource import KEY
from ansible_collections.openrouter.provisioning.plugins.module_utils.listing_cache import Listings
from ansible_collections.openrouter.provisioning.plugins.module_utils.locks import lock_directory, name_lock
from ansible_collections.openrouter.provisioning.plugins.module_utils.private_dirs import check_own_file
from ansible_collections.openrouter.provisioning.plugins.module_utils.resource import parse_timestamp
from ansible_collections.openrouter.provisioning.plugins.module_utils.secret_files import (
    SecretFileError,
    check_secrets_dir,
    remove_secret,
    write_secret,
)
from ansible_collections.openrouter.provisioning.plugins.module_utils.vault import (
    Vault,
    VaultError,
    is_vault,
    read_password_file,
)

# external.api_key: OpenRouter refuses a shorter one.
MIN_EXTERNAL_API_KEY = 32
# The first wait for a create whose answer was lost; each next wait doubles, up to timeout in all.
FIRST_LATE_CREATE_POLL = 0.5
# Both created_at and the Date header count whole seconds, and may come from two servers' clocks.
CLOCK_SLACK = 2.0
SECRET_FILE_FIX = "set secret_file to a path in a directory that only you can write"


def default_lock_timeout(retry_max_time, timeout):
    """How long a run waits for the name lock when lock_timeout isn't given: a little more than a run can hold it.

    A run holds the lock across at most three requests that may each retry for retry_max_time and then wait timeout
    for their last try (the lookup, the create, and the create again or the PATCH after it), plus the wait for a late
    create (timeout): 300 s with the default connection options.
    """
    return 3 * (retry_max_time + timeout) + timeout


def _created_before(record, moment):
    """Whether the record was created more than CLOCK_SLACK seconds before moment (None: unknown, so no)."""
    try:
        created = parse_timestamp("created_at", record.get("created_at"))
    except ValueError:
        return False
    return moment is not None and (moment - created).total_seconds() > CLOCK_SLACK


def _failure(message, result):
    """An API failure that still carries the partial result, so a created secret is never lost."""
    error = OpenRouterError(message)
    error.result = dict(result)
    return error


def _own_secret_file(path):
    """True if a regular file of this user is at `path`; SecretFileError for a symlink, a non-file or another's file."""
    try:
        info = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return False
    check_own_file(path, info, SecretFileError, SECRET_FILE_FIX)
    return True


def _read_secret_file(path):
    """The secret in the file of this user at `path` (without its newline), or None if there is no file."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return None
    with os.fdopen(fd) as handle:
        check_own_file(path, os.fstat(fd), SecretFileError, SECRET_FILE_FIX)
        return handle.read().rstrip("\n")


VAULT_OPTIONS = ("secret_file_vault_password", "secret_file_vault_password_file", "secret_file_vault_id")


def secret_file_vault(params):
    """The Vault that encrypts secret_file, or None to write it plain; VaultError if the vault options can't work."""
    password, password_file = params.get("secret_file_vault_password"), params.get("secret_file_vault_password_file")
    if password is not None and password_file is not None:
        raise VaultError(
            "secret_file_vault_password and secret_file_vault_password_file are mutually exclusive: give one of them."
        )
    if password is None and password_file is None:
        if params.get("secret_file_vault_id") is not None:
            raise VaultError(
                "secret_file_vault_id labels a vault password: give secret_file_vault_password or "
                "secret_file_vault_password_file too, or leave secret_file_vault_id out."
            )
        return None
    return Vault(
        password if password_file is None else read_password_file(password_file), params["secret_file_vault_id"]
    )


def secret_file_problems(params):
    """Why secret_file (its vault options, and return_secret) can't work, checked before any request, in check mode
    too."""
    path = params.get("secret_file")
    if path is None:
        given = [option for option in VAULT_OPTIONS if params.get(option) is not None]
        if given:
            return ["%s only apply to secret_file: set secret_file too, or leave them out." % ", ".join(given)]
        if params.get("return_secret") is False:
            return ["return_secret=false without secret_file would lose a new key's secret: set secret_file too."]
        return []
    if not os.path.isabs(path) or os.path.basename(path) in ("", ".", ".."):
        return ["secret_file must be the absolute path of a file (~ is expanded), got %r." % path]
    try:
        vault = secret_file_vault(params)
        check_secrets_dir(os.path.dirname(path), SECRET_FILE_FIX)
        existing = _read_secret_file(path) if _own_secret_file(path) and vault is not None else None
        # A mistyped password would leave this key's file under another password than the user's other files.
        if existing is not None and is_vault(existing) and not vault.opens(existing):
            raise VaultError(
                "%s is a vault file that the vault password given doesn't open. Give the password it was written "
                "with, or change its password first (ansible-vault rekey), or remove the file." % path
            )
    except (SecretFileError, VaultError) as exc:
        return ["secret_file: %s" % exc]
    return []


def key_problems(params):
    """openrouter_key's checks before any request: the key's fields, the files it may write, the lock's wait."""
    problems = KEY.problems(params) + secret_file_problems(params)
    external_api_key = params.get("external_api_key")
    if external_api_key is not None:
        if len(external_api_key) < MIN_EXTERNAL_API_KEY:
            problems.append(
                "external_api_key must be at least %d characters, got %d; give the partner's full API key."
                % (MIN_EXTERNAL_API_KEY, len(external_api_key))
            )
        if params.get("external_user") is None:
            problems.append("external_api_key needs external_user: set the end user the partner key belongs to.")
    lock_timeout = params.get("lock_timeout")
    if lock_timeout is not None and not 0 <= lock_timeout < 1e9:
        problems.append("lock_timeout must be a number of seconds, 0 or more, got %r." % lock_timeout)
    return problems


class KeyTask(ResourceTask):
    """One run of openrouter_key, on the generic converge, with the key's own hooks.

    secret_file: where a new key's secret is written the moment the POST answers (None: only in the result);
    return_secret: whether the result carries the secret too (None: only without secret_file);
    lock_timeout: the longest wait, in seconds, for the name lock (None: default_lock_timeout() of the client's bounds);
    secret_vault: the Vault that encrypts secret_file (None: the file holds the secret in plain text).
    external_api_key: the partner's API key, sent with external_user whenever this run creates a key.
    parts: what goes with the key (guardrails.KeyGuardrail): its prepare(task, current, step) runs before any write,
    its finish(task, record) after the key's own; None: nothing.
    """

    def __init__(
        self,
        client,
        desired,
        state="present",
        key_hash=None,
        recreate="never",
        check_mode=False,
        secret_file=None,
        return_secret=None,
        lock_timeout=None,
        secret_vault=None,
        external_api_key=None,
        parts=None,
    ):
        super(KeyTask, self).__init__(client, KEY, desired, state, key_hash, recreate, check_mode)
        self.parts = parts
        self.external_api_key = external_api_key
        if external_api_key:
            client.remember_secret(external_api_key)
        self.secret_file = secret_file
        self.secret_vault = secret_vault
        self.return_secret = secret_file is None if return_secret is None else return_secret
        self.lock_timeout = lock_timeout
        if lock_timeout is None:
            self.lock_timeout = default_lock_timeout(client.retry_max_time, client.timeout)
        # A loop's lookups by name share one listing (listing_cache.py); the lost-create recovery reads live.
        self.listings = Listings(client.api_url, client.key_fingerprint, KEY.identity)
        self.step = None
        self.secret = None  # the new key's secret, from the moment the create answers
        self._previous_secret = None

    def run(self):
        try:
            result = super(KeyTask, self).run()
            if self.secret_file is not None:
                self._report_secret_file(result)
            return result
        except ProvisioningError:
            raise  # it already carries what the run did, the secret included
        except BaseException as exc:  # an interrupt too: after a create, the secret must still reach the user
            if self.secret is None:
                raise
            raise self._stopped(exc) from exc

    def _stopped(self, exc):
        """The failure to report when anything unexpected stops a run that has created a key."""
        if "secret_file" not in self.result:
            self.result["secret"] = self.secret
        detail = redact(str(exc), [self.secret])
        return ProvisioningError(
            "The key %s was created, then the run stopped on an unexpected %s%s. Its secret is %s; run the task "
            "again to finish."
            % (
                (self.result.get("key") or {}).get("hash", "(hash unknown)"),
                type(exc).__name__,
                ": %s" % detail if detail else "",
                "in secret_file %s" % self.secret_file if "secret_file" in self.result else "in this result (secret)",
            ),
            self.result,
        )

    def _decide(self, current):
        self.step = super(KeyTask, self)._decide(current)
        return self.step

    def prepare(self, current, step):
        if self.parts is not None:
            self.parts.prepare(self, current, step)

    def finish(self, record):
        if self.parts is None:
            return record
        try:
            return self.parts.finish(self, record)
        except ProvisioningError as exc:
            # A key created by this run keeps its secret in the failed result.
            exc.result = dict(self.result, **exc.result)
            raise

    def _report_secret_file(self, result):
        """Say in the result and the diff what this run did (or, in check mode, would do) to secret_file."""
        path, action = self.secret_file, self.step.action
        if action in ("create", "replace"):
            result.update(secret_file=path, secret_file_encrypted=self.secret_vault is not None)
            result["diff"]["after"]["secret_file"] = path
        elif self.state == "absent" and _own_secret_file(path):
            # The key is gone (this run deleted it, or an earlier one did): its secret file goes with it.
            result.update(changed=True, secret_file=path)
            result["diff"]["before"]["secret_file"] = path
            if not self.check_mode:
                try:
                    remove_secret(path, SECRET_FILE_FIX)
                except SecretFileError as exc:
                    raise ProvisioningError(
                        "The key is gone, but its secret file wasn't removed: %s" % exc, result
                    ) from exc

    def lookup_guard(self):
        # A lookup by hash never creates, so only a lookup by name needs the lock.
        if self.ref:
            return contextlib.nullcontext()
        return name_lock(self.client.api_url, self.scope, self.name, self.lock_timeout)

    def create(self, body, named):
        """POST the key, recovering from a lost response; the secret goes into the result at once."""
        if named is None:
            # Looked up by hash: note which keys bear the name now, to tell a lost create's orphan from them.
            named = set(self._orphans(body, ()))
        for attempt in (1, 2):
            sent_after = server_clock()
            try:
                record, secret = self.client.create_key(self.create_request(body))
                break
            except ResponseLost as lost:
                orphans = self._await_late_create(body, named, sent_after)
                for orphan in orphans:
                    # Its secret is gone with the response: the key is useless, so delete it and create again.
                    try:
                        self.delete(orphan)
                    except OpenRouterError as exc:
                        raise OpenRouterError(
                            "%s A lost create left the key %s behind, and deleting it failed: %s "
                            "Delete that key by hash." % (lost, orphan, exc)
                        ) from exc
                if attempt == 2:
                    raise OpenRouterError(
                        "%s The create was tried twice and lost both times; %s."
                        % (
                            lost,
                            "the orphaned keys %s were deleted" % ", ".join(orphans)
                            if orphans
                            else "no key was left behind",
                        )
                    ) from lost
        self._keep_secret(record, secret)
        return record

    def create_request(self, body):
        """The create's body in the API's form: the record's external_user goes in `external`, with the partner's
        api_key when given."""
        body = dict(body)
        user = body.pop("external_user", None)
        if user is not None:
            body["external"] = {"user": user}
            if self.external_api_key:
                body["external"]["api_key"] = self.external_api_key
        return body

    def _keep_secret(self, record, secret):
        """Put the new secret where the user asked, before any other step; if the file can't be written, fail with
        the secret in the result instead."""
        self.secret = secret
        self.result["key"] = record
        if self.return_secret:
            self.result["secret"] = secret
        if self.secret_file is None:
            return
        try:
            # Kept to put back if a replacement is undone, so the file keeps the secret of the key that remains.
            self._previous_secret = _read_secret_file(self.secret_file)
            text = secret if self.secret_vault is None else self.secret_vault.encrypt(secret)
            write_secret(self.secret_file, text, SECRET_FILE_FIX)
        except (SecretFileError, OSError) as exc:
            raise ProvisioningError(
                "The key %s was created, but its secret could not be written to secret_file: %s %s"
                % (record.get("hash", "(hash unknown)"), exc, self._rescue_secret(record, text)),
                self.result,
            ) from exc
        self.result.update(secret_file=self.secret_file, secret_file_encrypted=self.secret_vault is not None)

    def _rescue_secret(self, record, text):
        """Keep a secret whose secret_file failed, and say where. A task that asked for no secret in its result is
        usually not no_log, so the secret goes to a file in this user's private directory rather than into output; only
        if that fails too does the result carry it."""
        if not self.return_secret:
            rescue = os.path.join(lock_directory(), "recovered-%s.key" % record.get("hash", "unknown"))
            try:
                write_secret(rescue, text, SECRET_FILE_FIX)
            except (SecretFileError, OSError):
                pass
            else:
                self.result["secret_file"] = rescue
                return (
                    "The secret was written to %s (mode 0600, a directory only you can write) instead; move it "
                    "where it belongs now, since OpenRouter can't show it again." % rescue
                )
        self.result["secret"] = self.secret
        return "The secret is in this result (secret) instead; store it now, since OpenRouter can't show it again."

    def _restore_secret_file(self):
        """After an undone replacement: put the replaced key's secret back in secret_file. Returns what went wrong."""
        if self.secret_file is None:
            return ""
        try:
            if self._previous_secret is None:
                remove_secret(self.secret_file, SECRET_FILE_FIX)
            else:
                # The file's text as it was, encrypted or not.
                write_secret(self.secret_file, self._previous_secret, SECRET_FILE_FIX)
        except SecretFileError as exc:
            return " Putting the old secret back in secret_file failed too: %s" % exc
        self.result.pop("secret_file", None)
        self.result.pop("secret_file_encrypted", None)
        return ""

    def _await_late_create(self, body, named, sent_after):
        """The keys a lost create left behind.

        The create may still be on its way in (its answer timed out, say): look again after short, growing waits, up
        to as long again as we gave its answer (timeout), so a late key isn't left behind without its secret, while a
        key that is already there costs no wait, and one that lands soon costs seconds.
        """
        orphans = self._orphans(body, named, sent_after)
        waited, pause = 0.0, FIRST_LATE_CREATE_POLL
        while not orphans and waited < self.client.timeout:
            pause = min(pause, self.client.timeout - waited)
            self.client.pause(pause)
            waited += pause
            pause *= 2
            orphans = self._orphans(body, named, sent_after)
        return orphans

    def _orphans(self, body, named, sent_after=None):
        """Keys with the name that appeared since the lookup: what a lost create may have left behind.

        The lookup may be a listing kept from earlier in the loop (listing_cache.py), which misses a key created
        elsewhere since; with sent_after, the server's time before the create was sent, a key created well before it
        can't be the create's and is left alone.
        """
        return [
            record["hash"]
            for record in records_named(self.client, KEY, body["name"], body.get("workspace_id"))
            if record["hash"] not in named and not _created_before(record, sent_after)
        ]

    def after_create(self, call, *args):
        """Run a step that follows a create; if it fails, fail with the new key's secret and hash in the result."""
        try:
            return call(*args)
        except OpenRouterError as exc:
            raise _failure(
                "%s The new key %s was created and its secret is in this result; run the task again to "
                "finish." % (exc, self.result["key"]["hash"]),
                self.result,
            ) from exc

    def delete_replaced(self, current):
        """Delete the key that the new one replaces.

        If the old key is still there after a failed delete, delete the new key again: two keys of one name would stop
        every later run by name, while the old key alone lets the next run replace it cleanly.
        """
        new_hash = self.result["key"]["hash"]
        try:
            self.delete(current["hash"])
        except OpenRouterError as exc:
            try:
                if get_record(self.client, KEY, current["hash"]) is None:
                    return  # the delete happened; only its answer was lost
                self.delete(new_hash)
            except OpenRouterError:
                raise _failure(
                    "%s Deleting the replaced key %s failed, and so did deleting its replacement %s, whose "
                    "secret is in this result. Delete one of the two keys by hash, then run the task again."
                    % (exc, current["hash"], new_hash),
                    self.result,
                ) from exc
            raise _failure(
                "%s Deleting the replaced key %s failed, so its replacement was deleted again and nothing "
                "changed; run the task again.%s" % (exc, current["hash"], self._restore_secret_file()),
                {"changed": False, "key": current},
            ) from exc


def converge_key(client, params, check_mode, parts=None):
    """openrouter_key's work on its validated params (parts: see KeyTask)."""
    return KeyTask(
        client,
        KEY.desired(params),
        params["state"],
        params.get("hash"),
        params["recreate"],
        check_mode,
        params.get("secret_file"),
        params.get("return_secret"),
        params.get("lock_timeout"),
        secret_file_vault(params) if params.get("secret_file") else None,
        params.get("external_api_key"),
        parts,
    ).run()


def key_info_problems(params):
    """openrouter_key_info's checks before any request."""
    problems = KEY.ref_problems(params["hash"])
    if params.get("name_pattern") is not None:
        try:
            re.compile(params["name_pattern"])
        except re.error as exc:
            problems.append(
                "name_pattern must be a Python regular expression, got %r (%s). Fix it, or use name_prefix to match "
                "the start of names literally." % (params["name_pattern"], exc)
            )
    return problems


def _name_matches(name, params):
    """Whether a key's name passes the info module's name filters (each one given must pass)."""
    return (
        (params["name"] is None or name == params["name"])
        and name.startswith(params.get("name_prefix") or "")
        and (params.get("name_pattern") is None or re.search(params["name_pattern"], name) is not None)
    )


def read_keys(client, params, check_mode):
    """openrouter_key_info's work on its validated params."""
    result = {"changed": False}
    if params["list"]:
        if params["hash"]:
            record = get_record(client, KEY, params["hash"])
            keys = [record] if record else []
        else:
            keys = list_records(
                client,
                KEY,
                {
                    "include_disabled": "true" if params["include_disabled"] else "false",
                    "include_expired": "true" if params["include_expired"] else "false",
                    "workspace_id": params["workspace_id"] or None,
                },
            )
        result["api_keys"] = [record for record in keys if _name_matches(record.get("name") or "", params)]
        if not params["hash"]:
            # Resolved from a slug already (with_workspace_ref): the next tasks can take the id and skip that request.
            result["workspace_id"] = params["workspace_id"] or None
    if params["current"]:
        result["current"] = client.current_key()
    return result
