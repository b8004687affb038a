# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The soak: 500 converge runs of the key module's code (KeyTask, a real client, no Ansible) against the emulator with
10% random faults. It must end exactly as desired, with no duplicate name and no secret lost."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import hashlib
import random
import time

from ansible_collections.openrouter.provisioning.plugins.module_utils.client import OpenRouterClient, OpenRouterError
from ansible_collections.openrouter.provisioning.plugins.module_utils.key_resource import KEY
from ansible_collections.openrouter.provisioning.plugins.module_utils.keys import KeyTask
from ansible_collections.openrouter.provisioning.tests.unit.helpers import MANAGEMENT_KEY

RUNS = 500
FAULT_RATE = 0.1
SEED = 20261126
NAMES = ["soak-%d" % number for number in range(8)]
# Every fault the emulator can inject except delay: a delay costs real time, and its rows are tested one by one.
FAULTS = ["status:429", "status:502", "status:503", "status:504", "drop", "apply_then_drop", "malformed", "html"]
# Each expiry as given, and as the API must hold it.
EXPIRIES = {"2031-01-01T00:00:00Z": "2031-01-01T00:00:00Z", "2032-06-30T12:00:00+02:00": "2032-06-30T10:00:00Z"}


class SkippedTime:
    """The client's clock: real time plus every wait it asked for, which is counted but not slept."""

    def __init__(self):
        self.skipped = 0.0
        self.waits = 0

    def sleep(self, seconds):
        self.waits += 1
        self.skipped += seconds

    def __call__(self):
        return time.monotonic() + self.skipped


def wish(rng, name):
    """A random desired state that names every field, so the last successful run alone decides the end state."""
    if rng.random() < 0.15:
        return dict(name=name, state="absent")
    return dict(
        name=name,
        state="present",
        limit=rng.choice(["unlimited", 0, 5, 12.5]),
        limit_reset=rng.choice(["daily", "weekly", "monthly", "never"]),
        disabled=rng.random() < 0.3,
        include_byok_in_limit=rng.random() < 0.5,
        expires_at=rng.choice(sorted(EXPIRIES)),
        recreate="always" if rng.random() < 0.05 else "on_change",
    )


def converge(api_url, params, clock):
    """One run of the module's code, as openrouter_key runs it; returns (result or None, error or None)."""
    desired = KEY.desired(params)
    client = OpenRouterClient(
        api_url, MANAGEMENT_KEY, timeout=5, retries=5, retry_max_time=60, sleep=clock.sleep, clock=clock
    )
    client.session.trust_env = False
    try:
        return KeyTask(client, desired, params["state"], recreate=params.get("recreate", "never")).run(), None
    except OpenRouterError as exc:
        return getattr(exc, "result", None), exc
    finally:
        client.session.close()


def expected_fields(params):
    """What the key must hold after a successful run with these params, in the API's form."""
    return dict(
        limit=None if params["limit"] == "unlimited" else float(params["limit"]),
        limit_reset=None if params["limit_reset"] == "never" else params["limit_reset"],
        disabled=params["disabled"],
        include_byok_in_limit=params["include_byok_in_limit"],
        expires_at=EXPIRIES[params["expires_at"]],
    )


def test_soak_500_runs_with_10_percent_faults(api_url, control):
    rng = random.Random(SEED)
    clock = SkippedTime()
    final = {}
    returned = set()
    reruns = 0
    started = time.monotonic()
    control.chaos(rate=FAULT_RATE, seed=SEED, actions=FAULTS)
    runs = 0
    params = None
    while runs < RUNS or params:
        if params is None:
            params = wish(rng, rng.choice(NAMES))
        result, error = converge(api_url, params, clock)
        runs += 1
        if result and result.get("secret"):
            returned.add(result["secret"])
        if error is None:
            final[params["name"]] = params
            params = None
        else:
            # As a user would: run the same task again until it succeeds.
            reruns += 1
            assert runs < RUNS * 2, "the soak does not converge: %s" % error
    elapsed = time.monotonic() - started
    log = control.requests()
    faults = collections.Counter(
        entry["fault"] if entry["fault"] != "status" else "status:%d" % entry["status"]
        for entry in log
        if entry["fault"]
    )
    keys = control.keys()
    issued = control.secrets()

    print(
        "\nsoak: %d runs (%d failed and were run again), %d requests, %d faults injected %s, %d waits "
        "between tries (%.0f s, skipped), %d keys created, %.1f s"
        % (runs, reruns, len(log), sum(faults.values()), dict(faults), clock.waits, clock.skipped, len(issued), elapsed)
    )

    # The faults really happened, every kind of them.
    assert sum(faults.values()) > FAULT_RATE / 2 * len(log) and set(faults) == set(FAULTS)
    # No duplicate names, no key that no run wanted.
    names = collections.Counter(key["name"] for key in keys)
    assert all(count == 1 for count in names.values()), names
    assert set(names) == set(name for name, params in final.items() if params["state"] == "present")
    # Exactly as desired.
    for key in keys:
        wanted = expected_fields(final[key["name"]])
        assert dict((field, key[field]) for field in wanted) == wanted, key["name"]
    # Every secret the emulator issued reached the user, or its key is gone.
    living = set(key["hash"] for key in keys)
    lost = [
        secret for secret in issued if secret not in returned and hashlib.sha256(secret.encode()).hexdigest() in living
    ]
    assert not lost
    # The waits were skipped, not slept: sleeping them alone would take clock.skipped seconds (about 150), however
    # idle the machine, while a loaded one only stretches the few seconds of real work.
    assert elapsed < clock.skipped, (elapsed, clock.skipped)
