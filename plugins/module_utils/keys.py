# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Find one key, plan with the reconciler, and carry the plan out through the client. No Ansible here."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import hashlib
import os
import tempfile

from ansible_collections.openrouter.provisioning.plugins.module_utils.client import OpenRouterError, ResponseLost
from ansible_collections.openrouter.provisioning.plugins.module_utils.reconcile import apply_plan, plan

try:
    import fcntl
except ImportError:  # not POSIX: no lock, as documented
    fcntl = None


class KeyTaskError(OpenRouterError):
    """A failure that still carries the partial result, so a created secret is never lost."""

    def __init__(self, message, result):
        super(KeyTaskError, self).__init__(message)
        self.result = result


def keys_named(client, name, workspace_id=None):
    """Every key with exactly this name, disabled and expired ones included."""
    return [record for record in client.list_keys(workspace_id=workspace_id) if record.get("name") == name]


def find_key(client, key_hash=None, name=None, workspace_id=None):
    """Return (the key or None, hashes of every key with the name when looked up by name, else None)."""
    if key_hash:
        return client.get_key(key_hash), None
    matches = keys_named(client, name, workspace_id)
    if len(matches) > 1:
        raise OpenRouterError(
            "%d keys are named %r: %s. Pass hash to choose one, or delete the extra keys."
            % (len(matches), name, ", ".join(record["hash"] for record in matches))
        )
    return (matches[0] if matches else None), set(record["hash"] for record in matches)


@contextlib.contextmanager
def name_lock(api_url, workspace_id, name):
    """Serialise lookup-then-create for one (api_url, workspace, name) on this machine, so parallel forks can't both create.

    The lock is a file in the temporary directory; it does not reach other machines. Names share 256 files, so the
    files never pile up (a file can't be removed safely while others may wait on it); two names that share one only
    wait for each other.
    """
    if fcntl is None:
        yield
        return
    digest = hashlib.sha256(("%s\0%s\0%s" % (api_url, workspace_id or "", name)).encode("utf-8")).hexdigest()[:2]
    path = os.path.join(tempfile.gettempdir(), "openrouter-provisioning-%s.lock" % digest)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class KeyTask:
    """One run of openrouter_key: params are the module's, desired the normalised key options."""

    def __init__(self, client, params, desired, check_mode=False):
        self.client = client
        self.params = params
        self.desired = desired
        self.check_mode = check_mode
        self.result = {"changed": False}

    def run(self):
        params = self.params
        if params.get("hash"):
            return self._converge()
        with name_lock(self.client.api_url, params.get("workspace_id"), params["name"]):
            return self._converge()

    def _converge(self):
        params = self.params
        current, named = find_key(self.client, params.get("hash"), params.get("name"), params.get("workspace_id"))
        step = self._plan(current)
        if self.check_mode or not step.changed:
            self.result["key"] = apply_plan(current, step) or {}
            return self.result
        if step.action == "delete":
            self.client.delete_key(current["hash"])
            self.result["key"] = {}
        elif step.action == "update":
            self.result["key"] = self._update(current, step)
        else:
            self._create(step.create, named)
            if step.action == "replace":
                self.result["previous_hash"] = current["hash"]
                self.result["diff"]["after"]["hash"] = self.result["key"]["hash"]
                self._delete_replaced(current)
            if step.patch:
                self.result["key"] = self._keep_secret(self.client.update_key, self.result["key"]["hash"], step.patch)
        return self.result

    def _plan(self, current):
        step = plan(
            current,
            self.desired,
            self.params.get("state", "present"),
            self.params.get("recreate", "never"),
            self.params.get("hash"),
        )
        self.result.update(changed=step.changed, diff={"before": step.before, "after": step.after})
        if step.action == "fail":
            raise KeyTaskError(step.reason, self.result)
        return step

    def _update(self, current, step):
        try:
            return self.client.update_key(current["hash"], step.patch)
        except OpenRouterError as exc:
            if exc.status != 409:
                raise
        # Someone changed the key at the same time: read it again and plan again, once.
        current = self.client.get_key(current["hash"])
        step = self._plan(current)
        if step.action == "update":
            return self.client.update_key(current["hash"], step.patch)
        return current

    def _create(self, body, named):
        """POST the key, recovering from a lost response."""
        if named is None:
            # Looked up by hash: note which keys bear the name now, to tell a lost create's orphan from them.
            named = set(record["hash"] for record in keys_named(self.client, body["name"], body.get("workspace_id")))
        for attempt in (1, 2):
            try:
                record, secret = self.client.create_key(body)
                break
            except ResponseLost as lost:
                orphans = self._orphans(body, named)
                if not orphans:
                    # The create may still be on its way in (its answer timed out, say): give it as long again to land as
                    # we gave its answer, so a late key isn't left behind without its secret.
                    self.client.pause(self.client.timeout)
                    orphans = self._orphans(body, named)
                for orphan in orphans:
                    # Its secret is gone with the response: the key is useless, so delete it and create again.
                    try:
                        self.client.delete_key(orphan)
                    except OpenRouterError as exc:
                        raise OpenRouterError(
                            "%s A lost create left the key %s behind, and deleting it failed: %s "
                            "Delete that key by hash." % (lost, orphan, exc)
                        )
                if attempt == 2:
                    raise OpenRouterError(
                        "%s The create was tried twice and lost both times; %s."
                        % (
                            lost,
                            "the orphaned keys %s were deleted" % ", ".join(orphans)
                            if orphans
                            else "no key was left behind",
                        )
                    )
        self.result.update(key=record, secret=secret)

    def _orphans(self, body, named):
        """Keys with the name that appeared since the lookup: what a lost create may have left behind."""
        return [
            record["hash"]
            for record in keys_named(self.client, body["name"], body.get("workspace_id"))
            if record["hash"] not in named
        ]

    def _delete_replaced(self, current):
        """Delete the key that the new one replaces.

        If the old key is still there after a failed delete, delete the new key again: two keys of one name would stop
        every later run by name, while the old key alone lets the next run replace it cleanly.
        """
        new_hash = self.result["key"]["hash"]
        try:
            self.client.delete_key(current["hash"])
        except OpenRouterError as exc:
            try:
                if self.client.get_key(current["hash"]) is None:
                    return  # the delete happened; only its answer was lost
                self.client.delete_key(new_hash)
            except OpenRouterError:
                raise KeyTaskError(
                    "%s Deleting the replaced key %s failed, and so did deleting its replacement %s, whose "
                    "secret is in this result. Delete one of the two keys by hash, then run the task again."
                    % (exc, current["hash"], new_hash),
                    self.result,
                )
            raise KeyTaskError(
                "%s Deleting the replaced key %s failed, so its replacement was deleted again and nothing "
                "changed; run the task again." % (exc, current["hash"]),
                {"changed": False, "key": current},
            )

    def _keep_secret(self, call, *args):
        """Run a step that follows a create; if it fails, fail with the new key's secret and hash in the result."""
        try:
            return call(*args)
        except OpenRouterError as exc:
            raise KeyTaskError(
                "%s The new key %s was created and its secret is in this result; run the task again to "
                "finish." % (exc, self.result["key"]["hash"]),
                self.result,
            )
