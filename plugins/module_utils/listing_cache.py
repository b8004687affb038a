# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The listings a process has read for lookups by name, kept for the next lookup of the same loop. No Ansible here.

Why
    Ansible runs every item of a task's loop in one worker process, and the in-process action plugin runs this code in
    that worker, so the listing read for the first item can serve the next ones: a loop of N creates by name in an
    account of K keys costs one listing (ceil((K + 1) / 100) pages) and N POSTs, not N listings. On the module path
    each item is a process of its own and nothing is kept, so every lookup lists, as before.

When a kept listing is used
    Only while the account's generation on this machine (locks.read_generation: a counter per API URL and management
    key that every write of a key by this collection on this machine raises) is the one it was kept at, and while it
    is younger than MAX_AGE. A write by this process that finds the generation it expects applies itself to the kept
    listings (a create is added, an update applied, a delete dropped) and moves them to the new generation; any other
    write on this machine (another fork, another playbook) makes the next lookup list again.

What it can't see
    Writes from another machine, OpenRouter's web site or any other client, for up to MAX_AGE after the listing.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.openrouter.provisioning.plugins.module_utils.locks import bump_generation, read_generation

# A kept listing is read again once it is this many seconds old. Writes from other machines are only seen by a listing:
# the bound keeps the window in which a long loop can miss one (and create a duplicate the next run then refuses) to a
# minute, at the cost of one listing a minute, still far from one per item.
MAX_AGE = 60.0

# (api_url, the management key's fingerprint) -> _Kept. Module-level, so it lasts as long as the worker process.
_KEPT = {}


class _Kept:
    """The listings of one account: query -> records, valid at the generation `stamp`, read at `read_at`."""

    def __init__(self, stamp, read_at):
        self.stamp = stamp
        self.read_at = read_at
        self.listings = {}


def forget():
    """Drop every kept listing (as a new process starts without them)."""
    _KEPT.clear()


def _key(query):
    return tuple(sorted(query.items()))


class Listings:
    """The kept listings of one account, for the lookups and writes of one task.

    api_url and key_fingerprint (a SHA-256 of the management key, never the key) name the account; identity is the
    records' identity field. Only listings whose membership depends on their query alone may be kept (the key lookup's
    list includes disabled and expired keys, so only a move changes which listing a key is in).
    """

    def __init__(self, api_url, key_fingerprint, identity, clock=time.monotonic):
        self.account = (api_url, key_fingerprint)
        self.identity = identity
        self.clock = clock

    def records(self, query, read):
        """The records of the listing of this query: the kept ones while they are valid, else read() (then kept)."""
        stamp = read_generation(*self.account)
        kept = _KEPT.get(self.account)
        if stamp is None or kept is None or kept.stamp != stamp or self.clock() - kept.read_at >= MAX_AGE:
            # The stamp and the time are taken before the listing, so a write during it makes it stale, not unseen.
            kept = _KEPT[self.account] = _Kept(stamp, self.clock())
        elif _key(query) in kept.listings:
            return list(kept.listings[_key(query)])
        records = list(read())
        if stamp is not None:
            kept.listings[_key(query)] = records
        return list(records)

    def created(self, query, record):
        """This process created the record, which the listing of `query` now holds."""

        def add(listings):
            added = listings.get(_key(query))
            # The same workspace may be kept under another spelling of its query (a slug, say): those can't be told.
            listings.clear()
            if added is not None:
                listings[_key(query)] = [record] + added

        self._wrote(add)

    def updated(self, record, moved):
        """This process updated the record; `moved`: the update changed its scope, so which listings hold it."""

        def apply(listings):
            if moved:
                listings.clear()
            for records in listings.values():
                records[:] = [record if old[self.identity] == record[self.identity] else old for old in records]

        self._wrote(apply)

    def deleted(self, ref):
        """This process deleted the record with this identity (or found it gone)."""

        def drop(listings):
            for records in listings.values():
                records[:] = [old for old in records if old[self.identity] != ref]

        self._wrote(drop)

    def unknown(self):
        """This process sent a write whose outcome is unknown: forget the account's listings, and tell the others."""
        self._wrote(None)

    def _wrote(self, change):
        """Raise the account's generation; keep its listings, changed by `change`, only if no one else wrote since."""
        kept = _KEPT.pop(self.account, None)
        before, after = bump_generation(*self.account)
        if change is not None and kept is not None and before is not None and kept.stamp == before:
            change(kept.listings)
            kept.stamp = after
            _KEPT[self.account] = kept
