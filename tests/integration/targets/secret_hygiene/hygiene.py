# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The secret_hygiene target's helper, talking to the emulator of setup_emulator.

    hygiene.py fault [METHOD PATH_REGEX STATUS TIMES]...  queue errors whose message echoes secrets back, in order
    hygiene.py scan FILE...                                fail if a file holds a secret outside ansible-core's
                                                           debug dumps

The secrets come from the environment and the emulator, never from a task argument that Ansible could print.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import json
import os
import re
import sys
from urllib.request import ProxyHandler, Request, build_opener

# ansible-core's own ANSIBLE_DEBUG output, which no module can change: each module's raw stdout (its whole result, so
# the secret of a key it created), and each module's arguments (so a management_key given as an option).
# A secret is excused only in its own field there: anywhere else, even inside these dumps, it is a leak.
STDOUT_DUMP = re.compile(r"_low_level_execute_command\(\) done: rc=\d+, stdout=.*?, stderr=", re.S)
ARGS_DUMP = re.compile(r"done with _execute_module \(.*", re.M)
EXCUSED = {"secret": (STDOUT_DUMP, '"secret": "%s"'), "management key": (ARGS_DUMP, "'management_key': '%s'")}


def control(path, body=None):
    """Call the emulator's control interface (see docs/emulator.md), never through a proxy."""
    url = re.sub("/api/v1$", "/_emulator", os.environ["OPENROUTER_API_URL"]) + path
    request = Request(
        url, data=None if body is None else json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with build_opener(ProxyHandler({})).open(request, timeout=10) as response:
        return json.load(response)


def secrets():
    """(kind, value) of every secret of the run: the management keys used, and every key the emulator issued."""
    found = [
        ("management key", os.environ["OPENROUTER_MANAGEMENT_KEY"]),
        ("management key", os.environ["HYGIENE_WRONG_KEY"]),
    ]
    return found + [("secret", secret) for secret in control("/secrets")["secrets"]]


def excused_offsets(text, kind, secret):
    """Where the secret stands in its own field of one of ansible-core's debug dumps."""
    dump, field = EXCUSED[kind]
    field = field % secret
    offsets = set()
    for match in dump.finditer(text):
        at = text.find(field, match.start(), match.end())
        while at >= 0:
            offsets.add(at + field.index(secret))
            at = text.find(field, at + 1, match.end())
    return offsets


def scan(paths):
    found = secrets()
    issued = len([kind for kind, dummy in found if kind == "secret"])
    # main.yml creates five keys, with both modules and the role; fewer would mean the scan proves little.
    if issued < 5:
        print("only %d secrets were issued; did main.yml run against this emulator?" % issued)
        return 1
    leaks = []
    counts = collections.Counter()
    for path in paths:
        with open(path) as handle:
            text = handle.read()
        for kind, secret in found:
            excused = excused_offsets(text, kind, secret)
            at = text.find(secret)
            while at >= 0:
                if at in excused:
                    counts[kind] += 1
                else:
                    line = text.count("\n", 0, at) + 1
                    leaks.append(
                        "%s:%d: a %s in: %s"
                        % (path, line, kind, text.splitlines()[line - 1].replace(secret, "<%s>" % kind)[:300])
                    )
                at = text.find(secret, at + 1)
    print(
        "scanned %s for %d secrets (%d issued by the emulator): %d leaks; "
        "excused in ansible-core's ANSIBLE_DEBUG dumps: "
        "%d created secrets in module stdout, %d management keys in module arguments"
        % (", ".join(paths), len(found), issued, len(leaks), counts["secret"], counts["management key"])
    )
    for leak in leaks:
        print("LEAK " + leak)
    return 1 if leaks else 0


def faults(specs):
    """Errors whose body echoes back the management key and the newest secret, as a careless gateway might."""
    message = "Invalid request with key %s for %s" % (
        os.environ["OPENROUTER_MANAGEMENT_KEY"],
        control("/secrets")["secrets"][-1],
    )
    control(
        "/faults",
        [
            dict(method=method, path=path, action="status", status=int(status), times=int(times), message=message)
            for method, path, status, times in zip(*[iter(specs)] * 4)
        ],
    )
    return 0


if __name__ == "__main__":
    sys.exit(scan(sys.argv[2:]) if sys.argv[1] == "scan" else faults(sys.argv[2:]))
