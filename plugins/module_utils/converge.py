# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Find one record of a described resource, plan with the reconciler, and carry the plan out through the client.

No Ansible here. What only one resource needs (a key's secret, say) goes into a subclass of ResourceTask through its
named hooks: lookup_guard(), lookup(), before_plan(), create(), after_create(), delete_replaced(), prepare() and
finish().
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib

from ansible_collections.openrouter.provisioning.plugins.module_utils.client import OpenRouterError
from ansible_collections.openrouter.provisioning.plugins.module_utils.errors import PlanError, ProvisioningError
from ansible_collections.openrouter.provisioning.plugins.module_utils.reconcile import plan, predict


def list_records(client, resource, query=None):
    """Yield every record of the resource's list (the client bounds and dedupes it).

    Query values of None are left out.
    """
    query = dict((name, value) for name, value in (query or {}).items() if value is not None)
    return client.list_records(resource.path, query, resource.identity, resource.paging)


def get_record(client, resource, ref):
    """The record with this identity, or None if there is none."""
    return client.get_record(resource.record_path(ref))


def lookup_query(resource, scope=None):
    """The query of the list a lookup by name reads (within the scope)."""
    query = dict(resource.list_query)
    if resource.scope:
        query[resource.scope] = scope
    return query


def records_named(client, resource, name, scope=None, listings=None):
    """Every record with exactly this name (within the scope), from every page of the lookup's list.

    listings: the kept listings (listing_cache.Listings) to read it from while they are valid; None reads it live.
    """
    query = lookup_query(resource, scope)
    if listings is None:
        records = list_records(client, resource, query)
    else:
        records = listings.records(query, lambda: list_records(client, resource, query))
    return [record for record in records if record.get(resource.name_field) == name]


def find(client, resource, ref=None, name=None, scope=None, listings=None):
    """Return (the record or None, identities of every record with the name when looked up by name, else None).

    listings: see records_named.
    """
    if ref:
        return get_record(client, resource, ref), None
    if resource.name_in_path:
        record = get_record(client, resource, name)
        # The path takes an identity too: a record found by it under another name is not the one named.
        if record is None or record.get(resource.name_field) != name:
            return None, set()
        return record, {record[resource.identity]}
    matches = records_named(client, resource, name, scope, listings)
    if len(matches) > 1:
        raise PlanError(
            "%d %s are named %r: %s. Pass %s to choose one, or delete the extra %s."
            % (
                len(matches),
                resource.plural,
                name,
                ", ".join(record[resource.identity] for record in matches),
                resource.identity,
                resource.plural,
            )
        )
    return (matches[0] if matches else None), set(record[resource.identity] for record in matches)


class ResourceTask:
    """One converge of one record: find it, plan, then carry the plan out, or predict its outcome in check mode.

    desired: the normalised fields the user gave (resource.desired()); ref: the identity to look the record up by, if
    given, else it is looked up by the desired name within the desired scope.
    """

    # The query of the delete request (a workspace's confirmation), if any.
    delete_params = None
    # The kept listings (listing_cache.Listings) the lookup by name reads and every write tells what it changed, or
    # None to read every lookup live.
    listings = None

    def __init__(self, client, resource, desired, state="present", ref=None, recreate="never", check_mode=False):
        self.client = client
        self.resource = resource
        self.desired = desired
        self.state = state
        self.ref = ref
        self.recreate = recreate
        self.check_mode = check_mode
        self.name = desired.get(resource.name_field)
        self.scope = desired.get(resource.scope) if resource.scope else None
        self.result = {"changed": False}

    def run(self):
        with self.lookup_guard():
            return self._converge()

    # Hooks: what a resource of its own overrides.

    def lookup_guard(self):
        """A context held from the lookup to the end of the run."""
        return contextlib.nullcontext()

    def lookup(self):
        """Find the record: (the record or None, the identities bearing the name when looked up by name, else None)."""
        return find(self.client, self.resource, self.ref, self.name, self.scope, self.listings)

    def before_plan(self, current):
        """Adjust self.desired once the current record (or None) is known, before each plan; raise PlanError to stop."""

    def create(self, body, named):
        """Send the create and return the new record.

        `named` holds the identities of the records that bore the name at the lookup (None after a lookup by
        identity).
        """
        return self.client.create_record(self.resource.path, body)

    def after_create(self, call, *args):
        """Run a step that follows a create (its patch, the old record's delete)."""
        return call(*args)

    def delete_replaced(self, current):
        """Delete the record that a new one replaces."""
        self.after_create(self.delete, current[self.resource.identity])

    def prepare(self, current, step):
        """Read and plan what goes with the record (its parts), after its plan and before any write, in check mode
        too; raise a PlanError to stop the run before it changes anything."""

    def finish(self, record):
        """Carry out what prepare() planned after the record's own write (in check mode, predict it); return the
        record for the result."""
        return record

    # The generic steps.

    def update(self, ref, patch):
        moved = bool(self.resource.scope) and self.resource.scope in patch
        return self._write(
            lambda: self.client.update_record(self.resource.record_path(ref), patch),
            lambda record: self.listings.updated(record, moved),
        )

    def delete(self, ref):
        """Delete a record; return False if it was already gone (a 404, including after a retried DELETE)."""
        return self._write(
            lambda: self.client.delete_record(self.resource.record_path(ref), params=self.delete_params),
            lambda gone: self.listings.deleted(ref),
        )

    def _write(self, send, tell):
        """Send a write, then tell the kept listings (if any) what it changed: tell(its answer), or, if it failed,
        that it may have changed anything. A failure to tell them after the write is raised with the result so far."""
        if self.listings is None:
            return send()
        try:
            answer = send()
        except BaseException:
            try:
                self.listings.unknown()
            except ProvisioningError:
                pass  # the write's own failure is the one to report; the kept listings are dropped already
            raise
        try:
            tell(answer)
        except ProvisioningError as exc:
            raise ProvisioningError(
                "%s The %s was written all the same, as this result shows; fix that before running the task again."
                % (exc, self.resource.label),
                self.result,
            ) from exc
        return answer

    def _decide(self, current):
        """Plan for this record; the result reports the plan's change and diff, and a plan that fails raises them."""
        self.before_plan(current)
        step = plan(self.resource, current, self.desired, self.state, self.recreate, self.ref)
        self.result.update(changed=step.changed, diff=step.diff)
        if step.action == "fail":
            raise PlanError(step.reason, self.result)
        return step

    def _converge(self):
        resource, key = self.resource, self.resource.result_key
        current, named_before = self.lookup()
        step = self._decide(current)
        self.prepare(current, step)
        if self.check_mode or not step.changed:
            self.result[key] = predict(resource, current, step) or {}
        elif step.action == "delete":
            self.delete(current[resource.identity])
            self.result[key] = {}
        elif step.action == "update":
            self.result[key] = self._update(current, step)
        else:
            scope = step.body.get(resource.scope) if resource.scope else None
            self.result[key] = self._write(
                lambda: self.create(step.body, named_before),
                lambda record: self.listings.created(lookup_query(resource, scope), record),
            )
            new_ref = self.result[key][resource.identity]
            if step.action == "replace":
                self.result["previous_" + resource.identity] = current[resource.identity]
                self.result["diff"]["after"][resource.identity] = new_ref
                self.delete_replaced(current)
            if step.patch:
                self.result[key] = self.after_create(self.update, new_ref, step.patch)
        self.result[key] = self.finish(self.result[key])
        return self.result

    def _update(self, current, step):
        ref = current[self.resource.identity]
        try:
            return self.update(ref, step.patch)
        except OpenRouterError as exc:
            if exc.status != 409:
                raise
        # Someone changed the record at the same time: read it again and plan again, once.
        current = get_record(self.client, self.resource, ref)
        step = self._decide(current)
        if step.action == "update":
            return self.update(ref, step.patch)
        return current
