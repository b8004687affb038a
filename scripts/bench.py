#!/usr/bin/env python
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark the collection against what users do today (issue 7), against the emulator on loopback.

`make bench` runs it with the Python of an ansible-core venv (2.18 or later: the uri playbook uses break_when).
It prints a report and writes it to docs/performance.md:

    python scripts/bench.py [--runs N] [--output FILE]

--runs N takes every median over N runs (--runs 1 is a quick smoke run). The playbooks it runs are in tests/bench/.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import collections
import datetime
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import ansible.release
import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLAYBOOKS = os.path.join(ROOT, "tests", "bench")
EMULATOR = os.path.join(ROOT, "tests", "emulator", "openrouter_emulator.py")
sys.path.insert(0, os.path.dirname(EMULATOR))

import openrouter_emulator  # noqa: E402  (a standalone script, imported from its folder)

PAGE_SIZE = 100
MANAGEMENT_KEY = openrouter_emulator.DEFAULT_MANAGEMENT_KEY
# Runs per median, by section: sized so that the whole bench takes about 10 minutes on a 2-core machine.
RUNS = {"create": 3, "converge": 3, "listing": 3, "memory": 3, "adhoc": 7}
# A single command that takes longer than this (seconds) fails the bench rather than stall it.
COMMAND_TIMEOUT = 600
MEMORY_SIZES = (0, 1000, 5000, 10000)
MEMORY_GOAL_MB = 50.0
REQUEST_KINDS = ("list", "GET", "POST", "PATCH", "DELETE")

# Runs a command, then prints its wall time and peak RSS (KiB) as a last line. A child's peak RSS counts the memory of
# the process it was forked from, so the module process must come from this small interpreter, not from the bench's own.
LAUNCHER = """
import json, resource, subprocess, sys, time
started = time.perf_counter()
code = subprocess.call(sys.argv[1:])
print(json.dumps([time.perf_counter() - started, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss]))
sys.exit(code)
"""

Section = collections.namedtuple("Section", "title runs text figures")


def list_pages(count):
    """The pages a full listing of count keys reads: up to and including the first short one, ceil((K+1)/100)."""
    return count // PAGE_SIZE + 1


def describe(calls):
    """'51 (1 list, 50 POST)' from a Counter of request kinds, where a list request is one page of GET /keys."""
    parts = ", ".join("%d %s" % (calls[kind], kind) for kind in REQUEST_KINDS if calls.get(kind))
    return "%d (%s)" % (sum(calls.values()), parts) if parts else "0"


def seconds(value):
    return "%.2f s" % value


def milliseconds(value):
    return "%.0f ms" % (value * 1000)


def times(value, baseline):
    return "%.2f×" % (value / baseline)


def table(headers, rows):
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines.extend("| " + " | ".join(str(cell) for cell in row) + " |" for row in rows)
    return "\n".join(lines)


def fit(points):
    """The least-squares line through (x, y) points, as (slope, intercept)."""
    mean_x = statistics.mean(x for x, y in points)
    mean_y = statistics.mean(y for x, y in points)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / sum((x - mean_x) ** 2 for x, y in points)
    return slope, mean_y - slope * mean_x


def bench_keys(count):
    return [{"name": "bench-%04d" % number, "limit": number} for number in range(count)]


def with_changes(keys, changes):
    """The same keys, the first `changes` of them with another limit: seeded, they leave that many keys to update."""
    return [dict(key, limit=key["limit"] + 0.5) if number < changes else key for number, key in enumerate(keys)]


class Samples:
    """One step of one way, over several runs: its wall times and the requests it sent, which must not vary."""

    def __init__(self):
        self.walls = []
        self.calls = None

    def add(self, wall, calls):
        if self.calls is not None and calls != self.calls:
            raise RuntimeError(
                "the requests changed between runs: %s, then %s" % (describe(self.calls), describe(calls))
            )
        self.walls.append(wall)
        self.calls = calls

    @property
    def median(self):
        return statistics.median(self.walls)


class Bench:
    """The emulator, a private Ansible configuration around this checkout, and ways to time commands against them."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.collections = os.path.join(workdir, "collections")
        os.makedirs(os.path.join(self.collections, "ansible_collections", "openrouter"))
        os.symlink(ROOT, os.path.join(self.collections, "ansible_collections", "openrouter", "provisioning"))
        config = os.path.join(workdir, "ansible.cfg")
        with open(config, "w") as handle:
            # Ansible's defaults (so no pipelining), but for where the collection and the interpreter are.
            handle.write(
                "[defaults]\ncollections_path = %s\ninterpreter_python = %s\nlocalhost_warning = false\n"
                "[inventory]\ninventory_unparsed_warning = false\n" % (self.collections, sys.executable)
            )
        self.emulator = subprocess.Popen(
            [sys.executable, EMULATOR, "--port", "0"], stdout=subprocess.PIPE, universal_newlines=True
        )
        self.api_url = self.emulator.stdout.readline().strip()
        if not self.api_url:
            self.emulator.kill()
            raise RuntimeError("the emulator did not start")
        self.control = openrouter_emulator.Control(self.api_url)
        # Nothing from the caller's Ansible settings or ~/.ansible.
        self.env = dict(
            (name, value) for name, value in os.environ.items() if not name.startswith(("ANSIBLE_", "OPENROUTER_"))
        )
        self.env.update(
            ANSIBLE_CONFIG=config,
            ANSIBLE_HOME=os.path.join(workdir, "home"),
            OPENROUTER_API_URL=self.api_url,
            OPENROUTER_MANAGEMENT_KEY=MANAGEMENT_KEY,
        )

    def close(self):
        self.emulator.terminate()
        self.emulator.wait(timeout=30)

    def playbook(self, name, keys):
        """The command that runs tests/bench/<name>.yml with bench_keys set to keys."""
        path = os.path.join(self.workdir, "keys-%d.json" % len(keys))
        with open(path, "w") as handle:
            json.dump({"bench_keys": keys}, handle)
        return [
            os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
            "-i",
            "localhost,",
            "-c",
            "local",
            os.path.join(PLAYBOOKS, name + ".yml"),
            "-e",
            "@" + path,
        ]

    def adhoc(self, module, args):
        return [
            os.path.join(os.path.dirname(sys.executable), "ansible"),
            "localhost",
            "-i",
            "localhost,",
            "-c",
            "local",
            "-m",
            module,
        ] + (["-a", json.dumps(args)] if args else [])

    def run(self, argv, env=None):
        """Run a command to its end and return (wall time, stdout); raise with its output if it fails."""
        started = time.perf_counter()
        process = subprocess.Popen(
            argv,
            env=env or self.env,
            cwd=self.workdir,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            universal_newlines=True,
        )
        try:
            output = process.communicate(timeout=COMMAND_TIMEOUT)[0]
        except BaseException:
            # Timed out or interrupted: SIGTERM lets ansible stop its own workers and modules; SIGKILL if it won't.
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
            raise
        wall = time.perf_counter() - started
        if process.returncode:
            raise RuntimeError("%s failed (%d):\n%s" % (" ".join(argv), process.returncode, output[-4000:]))
        return wall, output

    def calls(self):
        """The API requests since the last look, counted by kind; the log is cleared."""
        calls = collections.Counter()
        for call in self.control.requests():
            calls["list" if (call["method"], call["path"]) == ("GET", "/keys") else call["method"]] += 1
        self.control.clear_requests()
        return calls

    def measure(self, ways, runs, prepare=None):
        """Time each way's steps in order, runs times; return {(way, step): Samples}.

        ways is {way: [(step, argv), ...]}. The ways take turns run by run, so changes in the machine's load hit them
        alike. prepare() sets the emulator up, untimed, before each way's steps.
        """
        samples = collections.defaultdict(Samples)
        for attempt in range(runs):
            for way, steps in ways.items():
                if prepare:
                    prepare()
                self.control.clear_requests()
                for step, argv in steps:
                    wall = self.run(argv)[0]
                    samples[way, step].add(wall, self.calls())
            print("  run %d of %d done" % (attempt + 1, runs), file=sys.stderr)
        return samples

    def seed(self, keys=None, count=0):
        """Empty the account, then give it these key specs, or count keys."""
        self.control.reset()
        if keys:
            self.control.seed(keys=keys)
        elif count:
            self.control.seed(count=count, name_prefix="listed-")

    def payload(self, module, args):
        """Keep the AnsiballZ payload that Ansible builds for one ad hoc run of the module; return its path."""
        remote_tmp = tempfile.mkdtemp(dir=self.workdir, prefix="remote-")
        self.run(
            self.adhoc(module, args), env=dict(self.env, ANSIBLE_KEEP_REMOTE_FILES="1", ANSIBLE_REMOTE_TMP=remote_tmp)
        )
        for folder, dummy, files in os.walk(remote_tmp):
            for name in files:
                if name.startswith("AnsiballZ_"):
                    return os.path.join(folder, name)
        raise RuntimeError("Ansible kept no AnsiballZ payload for %s" % module)

    def module_process(self, payload):
        """Run a kept payload as Ansible does; return its wall time, its own peak RSS in MB, and its result."""
        # The launcher reports on its last line of output, after the module's one line of JSON.
        output = self.run([sys.executable, "-c", LAUNCHER, sys.executable, payload])[1].splitlines()
        result = json.loads(output[-2])
        if result.get("failed"):
            raise RuntimeError("%s failed: %s" % (payload, result.get("msg")))
        wall, rss = json.loads(output[-1])
        return wall, rss / 1024.0, result

    def python(self, code):
        """Run Python code in a fresh interpreter that can import the collection; return its last line of output, as JSON."""
        output = self.run([sys.executable, "-c", code], env=dict(self.env, PYTHONPATH=self.collections))[1]
        return json.loads(output.splitlines()[-1])


# --- the sections ---------------------------------------------------------------------------------------------------


def section_create(bench, runs):
    keys = bench_keys(50)
    ways = ("role", "loop", "uri")
    samples = bench.measure(
        dict((way, [(step, bench.playbook(way, keys)) for step in ("create", "rerun")]) for way in ways),
        runs,
        prepare=bench.control.reset,
    )
    rows = []
    for step in ("create", "rerun"):
        base = samples["uri", step].median
        rows.extend(
            [
                step,
                way,
                describe(samples[way, step].calls),
                seconds(samples[way, step].median),
                times(samples[way, step].median, base),
            ]
            for way in ways
        )
    text = table(["50 keys", "way", "requests", "wall (median)", "vs uri"], rows)
    per_run = samples["role", "create"].median / 51
    text += (
        "\n\nThe role's creates each send a list request more than uri's: openrouter_key looks the name up again "
        "before it POSTs, its guard against creating a duplicate that appeared since the role's listing. Every way "
        "runs a module process per created key, the floor for an Ansible loop. The one way below it is to hand the "
        "role's whole plan to a single module run that makes every change (an `openrouter_keys` module taking the "
        "list): that would save 49 of the role's 51 module runs, about %s here (an estimate from the role's time "
        "per module run, not a measurement). It is a new module's interface rather than a small change, so it is "
        "not built here." % seconds(49 * per_run)
    )
    return Section("(a) Create 50 keys, then rerun with nothing to change", runs, text, samples)


def section_converge(bench, runs):
    figures = {}
    rows = []
    for count in (200, 1000):
        keys = bench_keys(count)
        for label, seed in (("no change", keys), ("5 changes", with_changes(keys, 5))):
            samples = bench.measure(
                dict((way, [("run", bench.playbook(way, keys))]) for way in ("role", "uri")),
                runs,
                prepare=lambda seed=seed: bench.seed(keys=seed),
            )
            figures[count, label] = samples
            base = samples["uri", "run"].median
            rows.extend(
                [
                    "%d keys, %s" % (count, label),
                    way,
                    describe(samples[way, "run"].calls),
                    seconds(samples[way, "run"].median),
                    times(samples[way, "run"].median, base),
                ]
                for way in ("role", "uri")
            )
    text = table(["account", "way", "requests", "wall (median)", "vs uri"], rows)
    text += (
        "\n\nFor each change the role sends a GET more than uri: openrouter_key reads the key by hash before its "
        "PATCH, so that the PATCH carries only what differs from the key as it is at that moment."
    )
    return Section(
        "(b) Converge 200 and 1,000 keys, with nothing to change and with 5 limits to change", runs, text, figures
    )


def section_listing(bench, runs):
    figures = {}
    for count, ways in ((1000, ("info", "uri")), (10000, ("info",))):
        bench.seed(count=count)
        figures[count] = bench.measure(dict((way, [("list", bench.playbook(way, []))]) for way in ways), runs)
    info, uri, more = (figures[count][way, "list"] for count, way in ((1000, "info"), (1000, "uri"), (10000, "info")))
    rows = [
        [
            "1000 keys",
            "openrouter_key_info",
            describe(info.calls),
            seconds(info.median),
            times(info.median, uri.median) + " uri's",
        ],
        ["1000 keys", "uri pages", describe(uri.calls), seconds(uri.median), "the baseline"],
        [
            "10000 keys",
            "openrouter_key_info",
            describe(more.calls),
            seconds(more.median),
            times(more.median, info.median) + " its time at 1000 keys",
        ],
    ]
    text = table(["account", "way", "requests", "wall (median)", "ratio"], rows)
    text += (
        "\n\nThe uri listing of 10,000 keys is not run: it pays a module run per page, 101 of them, about %s a "
        "run (its 1,000-key time scaled by pages), which would take a third of the bench's time."
        % seconds(uri.median * list_pages(10000) / list_pages(1000))
    )
    return Section("(c) List 1,000 and 10,000 keys", runs, text, figures)


# What the returned records alone take in memory, to tell the module's own share from the cost of returning them.
RECORDS_MEMORY = """
import json, os, tracemalloc
from ansible_collections.openrouter.provisioning.plugins.module_utils.client import OpenRouterClient
tracemalloc.start()
keys = list(OpenRouterClient(os.environ['OPENROUTER_API_URL'], os.environ['OPENROUTER_MANAGEMENT_KEY']).list_keys())
print(json.dumps([tracemalloc.get_traced_memory()[0], len(json.dumps(keys)), len(keys)]))
"""


def section_memory(bench, runs):
    payload = bench.payload("openrouter.provisioning.openrouter_key_info", {})
    points = {}
    for count in MEMORY_SIZES:
        bench.seed(count=count)
        samples = [bench.module_process(payload) for attempt in range(runs)]
        if any(len(result["api_keys"]) != count for wall, rss, result in samples):
            raise RuntimeError("openrouter_key_info did not return all %d keys" % count)
        points[count] = (
            statistics.median(wall for wall, rss, result in samples),
            statistics.median(rss for wall, rss, result in samples),
        )
    held, encoded, listed = bench.python(RECORDS_MEMORY)  # the account still holds the most keys
    slope, intercept = fit([(count, rss) for count, (wall, rss) in points.items()])
    worst = max(abs(rss - (intercept + slope * count)) / rss for count, (wall, rss) in points.items())
    rows = [
        [
            "%d keys" % count,
            list_pages(count),
            seconds(wall),
            times(wall, points[0][0]),
            "%.1f MB" % rss,
            "%.1f MB" % (intercept + slope * count),
        ]
        for count, (wall, rss) in points.items()
    ]
    text = table(
        [
            "account",
            "requests (list pages)",
            "module process wall (median)",
            "vs 0 keys",
            "peak RSS (median)",
            "linear fit",
        ],
        rows,
    )
    text += (
        "\n\nThe line is %.1f MB + %.2f KB per key, and no median is more than %.1f%% off it. Of those %.2f KB per "
        "key, the key records the module returns hold %.2f KB in memory (measured with tracemalloc); the rest is "
        "mostly `AnsibleModule.exit_json`, which holds several copies of the result at once: its no_log scrub copies every "
        "record, then it encodes the result to JSON (%.2f KB per key), formats that into the output line and "
        "encodes it to bytes."
        % (intercept, slope * 1024, worst * 100, slope * 1024, held / 1024.0 / listed, encoded / 1024.0 / listed)
    )
    return Section(
        "(c) Peak memory of the openrouter_key_info module process",
        runs,
        text,
        {"points": points, "line": (slope, intercept, worst), "held": held / listed},
    )


# One fresh interpreter, timed in parts: Ansible's module API (both modules import it), the HTTP library, the rest of
# the module's code, and one GET request, connection included.
PROFILE = """
import json, time
marks = [time.perf_counter()]
import ansible.module_utils.basic
marks.append(time.perf_counter())
%s
marks.append(time.perf_counter())
%s
marks.append(time.perf_counter())
%s
marks.append(time.perf_counter())
print(json.dumps([later - earlier for earlier, later in zip(marks, marks[1:])]))
"""
PROFILE_PARTS = (
    "import ansible.module_utils.basic",
    "import the HTTP library",
    "import the module's own code",
    "one GET request (connection included)",
)


def section_adhoc(bench, runs):
    bench.seed(keys=[{"name": "adhoc", "limit": 5}])
    key_hash = bench.control.keys()[0]["hash"]
    url = "%s/keys/%s" % (bench.api_url, key_hash)
    headers = {"Authorization": "Bearer " + MANAGEMENT_KEY}
    calls = {
        "openrouter_key": ("openrouter.provisioning.openrouter_key", {"hash": key_hash, "limit": 5}),
        "uri": ("ansible.builtin.uri", {"url": url, "headers": headers}),
    }
    samples = bench.measure(dict((way, [("adhoc", bench.adhoc(*call))]) for way, call in calls.items()), runs)
    payloads = dict((way, bench.payload(*call)) for way, call in calls.items())
    process = {}
    for way, payload in payloads.items():
        samples_of_way = [bench.module_process(payload) for attempt in range(runs)]
        process[way] = (
            statistics.median(wall for wall, rss, result in samples_of_way),
            statistics.median(rss for wall, rss, result in samples_of_way),
        )
    code = {
        "openrouter_key": (
            "import requests",
            "from ansible_collections.openrouter.provisioning.plugins.modules import openrouter_key\n"
            "from ansible_collections.openrouter.provisioning.plugins.module_utils.client import OpenRouterClient",
            "OpenRouterClient(%r, %r).get_key(%r)" % (bench.api_url, MANAGEMENT_KEY, key_hash),
        ),
        "uri": (
            "from ansible.module_utils import urls",
            "from ansible.modules import uri",
            "urls.open_url(%r, headers=%r).read()" % (url, headers),
        ),
    }
    parts = dict(
        (
            way,
            [statistics.median(column) for column in zip(*[bench.python(PROFILE % lines) for attempt in range(runs)])],
        )
        for way, lines in code.items()
    )
    base = samples["uri", "adhoc"].median
    text = table(
        ["way", "requests", "ad hoc wall (median)", "vs uri", "module process wall (median)", "vs uri", "its peak RSS"],
        [
            [
                way,
                describe(samples[way, "adhoc"].calls),
                seconds(samples[way, "adhoc"].median),
                times(samples[way, "adhoc"].median, base),
                milliseconds(process[way][0]),
                times(process[way][0], process["uri"][0]),
                "%.1f MB" % process[way][1],
            ]
            for way in calls
        ],
    )
    text += "\n\nThe module process in parts, each part timed in a fresh interpreter (medians):\n\n" + table(
        ["part", "openrouter_key", "uri"],
        [
            [part, milliseconds(parts["openrouter_key"][index]), milliseconds(parts["uri"][index])]
            for index, part in enumerate(PROFILE_PARTS)
        ],
    )
    text += "\n\nThe HTTP library is `requests` for openrouter_key and `ansible.module_utils.urls` for uri."
    return Section(
        "(d) One openrouter_key no-op by hash against one uri GET, both ad hoc",
        runs,
        text,
        {"samples": samples, "process": process, "parts": parts},
    )


SECTIONS = (
    ("create", section_create),
    ("converge", section_converge),
    ("listing", section_listing),
    ("memory", section_memory),
    ("adhoc", section_adhoc),
)


# --- goals and the report -------------------------------------------------------------------------------------------


def goals(figures):
    """(goal, measured, met, why) for each goal of issue 7; why explains a miss from the figures."""
    create, converge, listing, memory, adhoc = (figures[name] for name, dummy in SECTIONS)
    at_floor = (
        create["role", "rerun"].calls == {"list": 1}
        and all(
            converge[count, "no change"]["role", "run"].calls == {"list": list_pages(count)} for count in (200, 1000)
        )
        and all(listing[count]["info", "list"].calls == {"list": list_pages(count)} for count in (1000, 10000))
    )
    rows = [
        (
            "Every row of the request table of section 1 holds",
            "asserted row by row by tests/unit/performance/test_request_counts.py; here every role rerun and every "
            "listing sent only its ceil((K+1)/100) list pages",
            at_floor,
            "a role rerun or a listing sent more than its list pages",
        )
    ]
    for count, limit in ((200, 0.8), (1000, 0.5)):
        samples = converge[count, "no change"]
        value = samples["role", "run"].median / samples["uri", "run"].median
        rows.append(
            (
                "The role's rerun at %d keys takes <= %.1f× the uri playbook's" % (count, limit),
                "%.2f×" % value,
                value <= limit,
                "the role pays one module run where uri pays %d, but both pay for starting "
                "ansible-playbook, which weighs more" % list_pages(count),
            )
        )
    value = create["role", "create"].median / create["uri", "create"].median
    extra = adhoc["process"]["openrouter_key"][0] - adhoc["process"]["uri"][0]
    relisted = create["role", "create"].calls["list"] - create["uri", "create"].calls["list"]
    rows.append(
        (
            "Creating 50 keys with the role takes <= 1.1× the uri playbook's time",
            "%.2f×" % value,
            value <= 1.1,
            "both pay a module run per key, but before each POST openrouter_key looks the name up again (%d list "
            "requests more: its guard against duplicates), an openrouter_key process takes %+.0f ms against a uri "
            "one (see (d)), and the role runs a few tasks of its own" % (relisted, extra * 1000),
        )
    )
    value = adhoc["samples"]["openrouter_key", "adhoc"].median / adhoc["samples"]["uri", "adhoc"].median
    parts = adhoc["parts"]
    rows.append(
        (
            "One openrouter_key no-op by hash takes <= 1.1× one uri GET, ad hoc",
            "%.2f×" % value,
            value <= 1.1,
            "the module process takes %+.0f ms against uri's; importing requests takes %s where uri's urls takes %s"
            % (extra * 1000, milliseconds(parts["openrouter_key"][1]), milliseconds(parts["uri"][1])),
        )
    )
    slope, intercept, worst = memory["line"]
    peak = memory["points"][MEMORY_SIZES[-1]][1]
    rows.append(
        (
            "Listing 10,000 keys: memory linear in K, peak RSS of the module process < %d MB" % MEMORY_GOAL_MB,
            "%.1f MB at 10,000 keys, on the line %.1f MB + %.2f KB/key (no median more than %.1f%% off it)"
            % (peak, intercept, slope * 1024, worst * 100),
            peak < MEMORY_GOAL_MB and worst < 0.05,
            "linear, but %.1f MB is the fixed cost of the interpreter, Ansible's module API and requests, and of "
            "the %.2f KB per key only %.2f KB are the records the module returns; the rest is the copies "
            "AnsibleModule.exit_json makes to scrub and serialise any result (see (c))"
            % (intercept, slope * 1024, memory["held"] / 1024.0),
        )
    )
    return rows


def machine_facts():
    model = ""
    if os.path.exists("/proc/cpuinfo"):
        with open("/proc/cpuinfo") as handle:
            model = next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), "")
    return [
        ("date (UTC)", datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")),
        ("CPU", "%d cores%s" % (os.cpu_count(), ", " + model if model else "")),
        ("OS", "%s %s" % (platform.system(), platform.release())),
        ("Python", platform.python_version()),
        ("ansible-core", ansible.release.__version__),
        ("requests", requests.__version__),
    ]


# Kept in the report as written: request counts the unit tests assert rather than timings.
WORKSPACE_REQUESTS = """\
## Requests of openrouter_workspace

Not timed: each row is asserted, in real and in check mode, by `test_openrouter_workspace_sends_the_floor_of_requests`
in tests/unit/performance/test_request_counts.py. Check mode sends only the GETs of its row. `{ws}` is
`/workspaces/<id>` and `{dg}` `/guardrails/<default_guardrail_id>`; a lookup by slug is one `GET /workspaces/<slug>`,
never a listing. `GET /models` is added when a guardrail's model list differs as written. Members and budgets are read
only when `members`, `budgets` or `include_byok_in_budgets` is given, and never for a workspace the run creates.

| path | requests |
|---|---|
| create, settings only | `GET /workspaces/<slug>`, `POST /workspaces` |
| create, members, 2 budgets | the two above, `POST {ws}/members/add` (per 100 members), a `PUT {ws}/budgets/<i>` each |
| no change, members, budgets | `GET /workspaces/<slug>`, `GET {ws}/members` (per 100 members), `GET {ws}/budgets` |
| no change by id, settings only | `GET {ws}` |
| change settings | `GET /workspaces/<slug>`, `PATCH {ws}` (only the fields that differ) |
| change two budgets | `GET /workspaces/<slug>`, `GET {ws}/budgets`, a `PUT` per changed budget, in a safe order |
| default guardrail, first rules | `GET /workspaces/<slug>`, `GET {dg}` (404 until it exists), `PATCH {dg}` |
| delete | `GET /workspaces/<slug>`, `GET /keys?workspace_id=<id>` (active keys, per 100), `DELETE {ws}` |
| delete, already gone | `GET /workspaces/<slug>` |
"""

HOW_TO = """\
```
make bench                 # BENCH_CORE=2.19 by default: builds or reuses .venv/core-2.19, then runs scripts/bench.py
.venv/core-2.19/bin/python scripts/bench.py --runs 1 --output /dev/null   # a quick smoke run that writes nothing
```

The bench starts the emulator on a free loopback port and points a private Ansible configuration (Ansible's defaults,
so no pipelining, plus the collection path and the interpreter) at this checkout. It runs the playbooks in tests/bench/:
`role.yml` (the api_keys role), `loop.yml` (openrouter_key in a loop), `uri.yml` (the baseline: one paged listing with
`break_when`, then a POST per missing key and a PATCH per changed limit; with no keys it only lists) and `info.yml`
(openrouter_key_info). Each key has a name and a limit. A run takes about as long as the Machine section says, more
on a busy machine. The module-process figures come from running the AnsiballZ payload that Ansible built for the module
(kept with ANSIBLE_KEEP_REMOTE_FILES), started from a small launcher process that reads the module process's peak RSS
with getrusage(RUSAGE_CHILDREN)."""


# Counted, not timed: the unit test named in it asserts each row.
GUARDRAIL_REQUESTS = """\
Not timed: the floor of requests of each openrouter_guardrail path, asserted row by row by
tests/unit/performance/test_request_counts.py. L is the number of list pages of the workspace's guardrails,
max(1, ceil(G / 100)) for G guardrails (the list ends where total_count says); A is the pages of the organization's
assignments of the kind given, read once; K is the pages of the workspace's keys. Check mode sends the same reads and
no write.

| openrouter_guardrail path | requests |
|---|---|
| unchanged, by name | L list |
| unchanged, by id | 1 GET |
| model list named by canonical slug, unchanged | L list |
| model list named by slug, unchanged | L list, 1 GET /models |
| create by name | L list, 1 POST |
| update by id | 1 GET, 1 PATCH |
| delete by name | L list, 1 DELETE |
| keys given by hash, already assigned | L list, A |
| keys: some added by name (or by a hash that holds no guardrail) | L list, A, K, 1 bulk assign |
| keys: some removed (purge_keys) | L list, A, 1 bulk remove |
| members: some added, some removed | L list, A, 1 bulk assign, 1 bulk remove |
| openrouter_guardrail_info | L list, or 1 GET by id; with assignments, A for keys and A for members |"""


def report(facts, sections, goal_rows, load, elapsed):
    lines = [
        "# Performance",
        "",
        "Generated by `make bench` (scripts/bench.py); do not edit by hand. Every figure comes from one run on one "
        "machine, against the emulator (tests/emulator/) on loopback. A wall time is the whole command's (the "
        "`ansible-playbook` or `ansible` process, start to end), the median of several runs; the ways compared take "
        "turns run by run, and each ratio divides by the baseline's median from the same run. A list request is one "
        "page (100 keys) of `GET /keys`.",
        "",
        "## Machine",
        "",
    ]
    lines.extend("- %s: %s" % fact for fact in facts)
    lines.extend(
        [
            "- load average (1 minute) at the start and the end: %.2f and %.2f" % load,
            "- the whole bench took %.0f s" % elapsed,
            "",
            "## Goals of issue 7",
            "",
            table(
                ["goal", "measured", "met"],
                [(goal, figure, "yes" if met else "**no**: " + why) for goal, figure, met, why in goal_rows],
            ),
            "",
        ]
    )
    for section in sections:
        lines.extend(["## %s" % section.title, "", "Medians of %d runs." % section.runs, "", section.text, ""])
    lines.extend(["## Guardrail requests", "", GUARDRAIL_REQUESTS, ""])
    lines.extend([WORKSPACE_REQUESTS, "## How to reproduce", "", HOW_TO, ""])
    return "\n".join(lines)


def stop(signum, unused_frame):
    """On SIGTERM, exit through the finally blocks, which stop the running command and the emulator."""
    sys.exit(128 + signum)


def main():
    signal.signal(signal.SIGTERM, stop)
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, help="runs per median in every section (default: %s)" % RUNS)
    parser.add_argument(
        "--output", default=os.path.join(ROOT, "docs", "performance.md"), help="where to write the report"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    load_at_start = os.getloadavg()[0]
    workdir = tempfile.mkdtemp(prefix="openrouter-bench-")
    bench = Bench(workdir)
    sections = []
    try:
        for name, run_section in SECTIONS:
            runs = args.runs or RUNS[name]
            print(
                "bench: %s, %d runs per median (%.0f s so far)" % (name, runs, time.perf_counter() - started),
                file=sys.stderr,
            )
            sections.append(run_section(bench, runs))
    finally:
        bench.close()
        shutil.rmtree(workdir, ignore_errors=True)
    goal_rows = goals(dict((name, section.figures) for (name, dummy), section in zip(SECTIONS, sections)))
    text = report(
        machine_facts(), sections, goal_rows, (load_at_start, os.getloadavg()[0]), time.perf_counter() - started
    )
    print(text)
    with open(args.output, "w") as handle:
        handle.write(text)


if __name__ == "__main__":
    main()
