# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""posts.py FAULTS_URL: print how many POST /keys have reached the emulator, the one in flight included (the delay fault
that runme.sh sets counts down as each arrives, before its answer is delayed).

posts.py FAULTS_URL N PID: wait until N have arrived, polling in this one process; exit 1 if process PID ends first or
they don't arrive within 60 s."""

import json
import os
import sys
import time
import urllib.request

TIMES = 1000  # the fault's count in runme.sh


def arrived(url):
    with urllib.request.urlopen(url) as answer:
        return TIMES - sum(fault["times"] for fault in json.load(answer)["faults"])


def running(pid):
    try:
        os.kill(int(pid), 0)
    except OSError:
        return False
    # A process that ended is a zombie until the shell waits for it; Linux's /proc tells.
    try:
        with open("/proc/%s/stat" % pid) as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return True


def main(url, wanted=None, pid=None):
    if wanted is None:
        print(arrived(url))
        return 0
    deadline = time.monotonic() + 60
    while arrived(url) < int(wanted):
        ended = not running(pid)
        if ended or time.monotonic() > deadline:
            print("POST number %s never arrived%s" % (wanted, " (the run ended)" if ended else ""), file=sys.stderr)
            return 1
        time.sleep(0.05)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
