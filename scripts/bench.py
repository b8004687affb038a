#!/usr/bin/env python
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark the collection against what users do today, against the emulator on loopback (issues 7, 11 and 14).

`make bench` runs it with the Python of an ansible-core venv (2.18 or later: the uri playbook uses break_when).
It writes the raw figures to docs/performance.json, then renders docs/performance.md from them with the template
scripts/performance.md.j2, which holds all of the page's prose and the goals:

    python scripts/bench.py [--runs N] [--quick] [--figures FILE.json] [--output FILE.md]
    python scripts/bench.py --render-only [--figures FILE.json] [--output FILE.md]   # no measuring

Every command that runs a module of the collection runs on both paths, in Ansible's worker (in-process, the default)
and as a module process (forced with OPENROUTER_PROVISIONING_IN_PROCESS=false), taking turns with the uri baseline.
--runs N takes every median over N runs. --quick (BENCH_QUICK=1 for `make bench`) is a smoke run: one run of every
section at small sizes, written under tests/output/bench/ unless --figures and --output say otherwise. The playbooks
it runs are in tests/bench/.
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
FIGURES = os.path.join(ROOT, "docs", "performance.json")
PAGE = os.path.join(ROOT, "docs", "performance.md")
TEMPLATE = os.path.join(ROOT, "scripts", "performance.md.j2")
EMULATOR = os.path.join(ROOT, "tests", "emulator", "openrouter_emulator.py")
sys.path.insert(0, os.path.dirname(EMULATOR))

import openrouter_emulator  # noqa: E402  (a standalone script, imported from its folder)

PAGE_SIZE = 100
MANAGEMENT_KEY = openrouter_emulator.DEFAULT_MANAGEMENT_KEY
# The switch of plugins/plugin_utils/in_process.py: "false" forces the module path.
SWITCH_ENV = "OPENROUTER_PROVISIONING_IN_PROCESS"
PATHS = ("in-process", "module")
# Runs per median and sizes, by section: sized so that the whole bench takes about 11 minutes on a quiet 2-core
# machine, where a module process or a uri task costs about 0.5 s, so that the role's 300 creates on the module path
# take 3 minutes (they run once). --quick: one run of each at small sizes.
FULL = {
    "runs": {"loop": 2, "create": 2, "converge": 2, "listing": 2, "memory": 3, "adhoc": 5, "role": 2},
    "sizes": {
        "loop": 50,
        "create": 50,
        "converge": (200, 1000),
        "listing": (1000, 10000),
        "memory": (0, 1000, 5000, 10000),
        "role": 300,
    },
}
QUICK = {
    "runs": dict.fromkeys(FULL["runs"], 1),
    "sizes": {
        "loop": 5,
        "create": 5,
        "converge": (20, 100),
        "listing": (100, 300),
        "memory": (0, 100, 300),
        "role": 10,
    },
}
QUICK_OUTPUT = os.path.join(ROOT, "tests", "output", "bench")
# The limits the converge section changes in its largest account.
CHANGES = 5
# A single command that takes longer than this (seconds) fails the bench rather than stall it.
COMMAND_TIMEOUT = 900
REQUEST_KINDS = ("list", "GET", "POST", "PATCH", "DELETE")
# The tasks whose own time the bench takes from the playbook (tests/bench/noop.yml and uri_get.yml; the role).
LOOP_TASK = "Read each key by hash"
APPLY_TASK = "Apply the changes"

# A callback plugin that writes each task's wall time, by task name, to the JSON file $BENCH_TASK_TIMES: from its start
# to the start of the next task (or the end of the play), which includes every item of a loop.
TIMER = """
import json, os, time
from ansible.plugins.callback import CallbackBase

class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_timer"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self.times, self.running = {}, None

    def stop(self):
        if self.running:
            name, started = self.running
            self.times[name] = self.times.get(name, 0.0) + time.perf_counter() - started
            self.running = None

    def v2_playbook_on_task_start(self, task, is_conditional):
        self.stop()
        self.running = (task.name, time.perf_counter())

    def v2_playbook_on_stats(self, stats):
        self.stop()
        with open(os.environ["BENCH_TASK_TIMES"], "w") as handle:
            json.dump(self.times, handle)
"""

# Runs a command, then prints its wall time and peak RSS (KiB) as a last line. A child's peak RSS counts the memory of
# the process it was forked from, so the module process must come from this small interpreter, not from the bench's own.
LAUNCHER = """
import json, resource, subprocess, sys, time
started = time.perf_counter()
code = subprocess.call(sys.argv[1:])
print(json.dumps([time.perf_counter() - started, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss]))
sys.exit(code)
"""


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
    """One step of one way, over several runs: its wall times (and a task's), and the requests, which must not vary."""

    def __init__(self):
        self.walls = []
        self.tasks = []
        self.calls = None

    def add(self, wall, calls, task=None):
        if self.calls is not None and calls != self.calls:
            raise RuntimeError(
                "the requests changed between runs: %s, then %s" % (describe(self.calls), describe(calls))
            )
        self.walls.append(wall)
        if task is not None:
            self.tasks.append(task)
        self.calls = calls

    @property
    def median(self):
        return statistics.median(self.walls)


def paths_agree(in_process, module):
    """Whether two paths' requests ({kind: count}) are those of one module: the same writes and reads, but for the key
    listings, of which in-process sends no more (a loop's items share one listing in Ansible's worker there)."""
    kinds = set(in_process) | set(module)
    return all(
        in_process.get(kind, 0) <= module.get(kind, 0) if kind == "list" else in_process.get(kind) == module.get(kind)
        for kind in kinds
    )


def check_paths(samples):
    """Fail loudly where a step's two paths don't agree (paths_agree): the two paths are one module.

    samples is {(way, step): Samples}, where our ways are named "<what>/in-process" and "<what>/module".
    """
    for (way, step), sample in samples.items():
        what, _slash, path = way.rpartition("/")
        other = samples.get((what + "/module", step)) if path == "in-process" else None
        if other is not None and not paths_agree(sample.calls, other.calls):
            raise RuntimeError(
                "%s (%s) sent %s in-process but %s on the module path: both paths must send the same writes and "
                "reads, and in-process no more listings" % (what, step, describe(sample.calls), describe(other.calls))
            )


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
                "callback_plugins = %s\ncallbacks_enabled = bench_timer\n"
                "[inventory]\ninventory_unparsed_warning = false\n"
                % (self.collections, sys.executable, os.path.join(workdir, "callback_plugins"))
            )
        os.makedirs(os.path.join(workdir, "callback_plugins"))
        with open(os.path.join(workdir, "callback_plugins", "bench_timer.py"), "w") as handle:
            handle.write(TIMER)
        self.task_times = os.path.join(workdir, "task-times.json")
        self.vars_files = 0
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
            BENCH_TASK_TIMES=self.task_times,
        )

    def env_of(self, path):
        """The environment of a command on this path of our modules: the module path is forced with the switch."""
        return dict(self.env, **{SWITCH_ENV: "false"}) if path == "module" else self.env

    def close(self):
        self.emulator.terminate()
        self.emulator.wait(timeout=30)

    def playbook(self, name, keys, **extra_vars):
        """The command that runs tests/bench/<name>.yml with bench_keys set to keys, and these extra variables."""
        self.vars_files += 1
        path = os.path.join(self.workdir, "vars-%d.json" % self.vars_files)
        with open(path, "w") as handle:
            json.dump(dict(extra_vars, bench_keys=keys), handle)
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

    def measure(self, ways, runs, prepare=None, task=None, capped=None):
        """Time each way's steps in order, runs times; return {(way, step): Samples}.

        ways is {way: (env, [(step, argv), ...])}. The ways take turns run by run (A B C A B C...), so changes in the
        machine's load hit them alike; a way in capped ({way: runs}) drops out after its runs. prepare(way) sets the
        emulator up, untimed, before each way's steps. task names a task of the playbooks whose own time is kept too.
        Fails if the two paths of a step sent different requests.
        """
        samples = collections.defaultdict(Samples)
        for attempt in range(runs):
            for way, (env, steps) in ways.items():
                if attempt >= (capped or {}).get(way, runs):
                    continue
                if prepare:
                    prepare(way)
                self.control.clear_requests()
                for step, argv in steps:
                    if os.path.exists(self.task_times):
                        os.remove(self.task_times)
                    wall = self.run(argv, env=env)[0]
                    samples[way, step].add(wall, self.calls(), self.task_time(task) if task else None)
            print("  run %d of %d done" % (attempt + 1, runs), file=sys.stderr)
        check_paths(samples)
        return samples

    def task_time(self, name):
        """The wall time of the named task in the playbook that just ran, from the bench_timer callback."""
        with open(self.task_times) as handle:
            times = json.load(handle)
        if name not in times:
            raise RuntimeError("the playbook ran no task named %r (it ran %s)" % (name, ", ".join(sorted(times))))
        return times[name]

    def seed(self, keys=None, count=0):
        """Empty the account, then give it these key specs, or count keys."""
        self.control.reset()
        if keys:
            self.control.seed(keys=keys)
        elif count:
            self.control.seed(count=count, name_prefix="listed-")

    def payload(self, module, args):
        """Keep the AnsiballZ payload that Ansible builds for one ad hoc run of the module (on the module path, which
        our modules take only when forced); return its path."""
        remote_tmp = tempfile.mkdtemp(dir=self.workdir, prefix="remote-")
        self.run(
            self.adhoc(module, args),
            env=dict(self.env_of("module"), ANSIBLE_KEEP_REMOTE_FILES="1", ANSIBLE_REMOTE_TMP=remote_tmp),
        )
        for folder, _subdirs, files in os.walk(remote_tmp):
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
        """Run code in a fresh interpreter that can import the collection; return its last output line, as JSON."""
        output = self.run([sys.executable, "-c", code], env=dict(self.env, PYTHONPATH=self.collections))[1]
        return json.loads(output.splitlines()[-1])


# --- the sections ---------------------------------------------------------------------------------------------------


def figures_of(samples, name=lambda key: "/".join(map(str, key))):
    """{(way, step): Samples} as JSON: {"way/step": {"wall": median s, "calls": {kind: count}, "runs", "task"?}}."""
    figures = {}
    for key, value in samples.items():
        figures[name(key)] = {"wall": value.median, "calls": dict(value.calls), "runs": len(value.walls)}
        if value.tasks:
            figures[name(key)]["task"] = statistics.median(value.tasks)
    return figures


def three_ways(bench, what, steps, baseline_steps=None):
    """{way: (env, steps)}: ours on both paths ("<what>/in-process", "<what>/module"), then the uri baseline's."""
    ways = dict(("%s/%s" % (what, path), (bench.env_of(path), steps)) for path in PATHS)
    if baseline_steps:
        ways["uri"] = (bench.env, baseline_steps)
    return ways


def section_loop(bench, runs, size):
    bench.seed(keys=bench_keys(size))
    keys = [dict((field, key[field]) for field in ("name", "hash", "limit")) for key in bench.control.keys()]
    noop, get = (bench.playbook(name, keys) for name in ("noop", "uri_get"))
    ways = three_ways(bench, "openrouter_key", [("run", noop)], [("run", get)])
    samples = bench.measure(ways, runs, task=LOOP_TASK)
    return {"runs": runs, "size": size, "samples": figures_of(samples, lambda key: key[0])}


def section_create(bench, runs, size):
    steps = dict(
        (way, [(step, bench.playbook(way, bench_keys(size))) for step in ("create", "rerun")])
        for way in ("role", "uri")
    )
    ways = three_ways(bench, "role", steps["role"], steps["uri"])
    samples = bench.measure(ways, runs, prepare=lambda way: bench.control.reset())
    return {"runs": runs, "size": size, "samples": figures_of(samples)}


def section_converge(bench, runs, sizes):
    """The role's run against an account that holds its keys already: as they are, and (largest) with a few changes."""
    figures = {}
    for count in sizes:
        keys = bench_keys(count)
        cases = [("no change", keys)] + (
            [("%d changes" % CHANGES, with_changes(keys, CHANGES))] if count == max(sizes) else []
        )
        for label, seed in cases:
            ways = three_ways(
                bench, "role", [("run", bench.playbook("role", keys))], [("run", bench.playbook("uri", keys))]
            )
            samples = bench.measure(ways, runs, prepare=lambda way, seed=seed: bench.seed(keys=seed))
            figures.update(figures_of(samples, lambda key, prefix="%d/%s/" % (count, label): prefix + key[0]))
    return {"runs": runs, "sizes": list(sizes), "changes": CHANGES, "samples": figures}


def section_listing(bench, runs, sizes):
    figures = {}
    # The uri listing of the largest account is not run: it pays a module run per page (see the page's template).
    for count in sizes:
        bench.seed(count=count)
        uri = [("list", bench.playbook("uri", []))] if count == min(sizes) else None
        samples = bench.measure(three_ways(bench, "info", [("list", bench.playbook("info", []))], uri), runs)
        figures.update(figures_of(samples, lambda key, prefix="%d/" % count: prefix + key[0]))
    return {"runs": runs, "sizes": list(sizes), "samples": figures}


# Writing secret files as openrouter_key does (write_secret: a temporary file, fsync, rename, fsync of the directory),
# in a fresh interpreter, without Ansible: the seconds per file.
WRITE_SECRETS = """
import json, time
from ansible_collections.openrouter.provisioning.plugins.module_utils.secret_files import secret_path, write_secret
started = time.perf_counter()
for number in range(%(count)d):
    write_secret(secret_path(%(folder)r, "bench-%%04d" %% number), "sk-or-v1-" + "0" * 64)
print(json.dumps((time.perf_counter() - started) / %(count)d))
"""


def section_role(bench, runs, size):
    """The role creating size keys in an empty account, writing each secret to its file or returning the secrets.

    The module path runs once: at 300 keys it takes minutes. Each path writes its own secrets directory, which holds
    its last run's files at the end.
    """
    keys = bench_keys(size)
    secrets = dict((path, os.path.join(bench.workdir, "secrets-" + path)) for path in PATHS)
    arguments = dict(
        (path, {"openrouter_api_keys_secrets_dir": folder, "openrouter_api_keys_return_secrets": False})
        for path, folder in secrets.items()
    )
    ways = dict(
        ("files/" + path, (bench.env_of(path), [("create", bench.playbook("role", keys, **arguments[path]))]))
        for path in PATHS
    )
    ways["returned/in-process"] = (bench.env_of("in-process"), [("create", bench.playbook("role", keys))])

    def prepare(way):
        bench.control.reset()
        what, _slash, path = way.partition("/")
        if what == "files":
            shutil.rmtree(secrets[path], ignore_errors=True)
            os.mkdir(secrets[path], 0o700)

    samples = bench.measure(ways, runs, prepare=prepare, task=APPLY_TASK, capped={"files/module": 1})
    for path, folder in secrets.items():
        if len(os.listdir(folder)) != size:
            raise RuntimeError(
                "the role (%s) wrote %d secret files for %d new keys" % (path, len(os.listdir(folder)), size)
            )
    writes = []
    for attempt in range(runs):
        folder = os.path.join(bench.workdir, "written-%d" % attempt)
        writes.append(bench.python(WRITE_SECRETS % {"count": size, "folder": folder}))
    return {"runs": runs, "size": size, "samples": figures_of(samples), "write_file": statistics.median(writes)}


# What the returned records alone take in memory, to tell the module's own share from the cost of returning them.
RECORDS_MEMORY = """
import json, os, tracemalloc
from ansible_collections.openrouter.provisioning.plugins.module_utils.client import OpenRouterClient
tracemalloc.start()
keys = list(OpenRouterClient(os.environ['OPENROUTER_API_URL'], os.environ['OPENROUTER_MANAGEMENT_KEY']).list_keys())
print(json.dumps([tracemalloc.get_traced_memory()[0], len(json.dumps(keys)), len(keys)]))
"""


def section_memory(bench, runs, sizes):
    payload = bench.payload("openrouter.provisioning.openrouter_key_info", {})
    points = {}
    for count in sizes:
        bench.seed(count=count)
        samples = [bench.module_process(payload) for attempt in range(runs)]
        if any(len(result["api_keys"]) != count for wall, rss, result in samples):
            raise RuntimeError("openrouter_key_info did not return all %d keys" % count)
        points[str(count)] = {
            "wall": statistics.median(wall for wall, rss, result in samples),
            "rss_mb": statistics.median(rss for wall, rss, result in samples),
        }
    held, encoded, listed = bench.python(RECORDS_MEMORY)  # the account still holds the most keys
    return {"runs": runs, "points": points, "records": {"held_bytes": held, "json_bytes": encoded, "count": listed}}


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
    adhoc = dict((way, [("adhoc", bench.adhoc(*call))]) for way, call in calls.items())
    ways = three_ways(bench, "openrouter_key", adhoc["openrouter_key"], adhoc["uri"])
    samples = bench.measure(ways, runs)
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
    return {
        "runs": runs,
        "samples": figures_of(samples, lambda key: key[0]),
        "process": dict((way, {"wall": wall, "rss_mb": rss}) for way, (wall, rss) in process.items()),
        "parts": parts,
    }


SECTIONS = (
    ("loop", section_loop),
    ("create", section_create),
    ("converge", section_converge),
    ("listing", section_listing),
    ("memory", section_memory),
    ("adhoc", section_adhoc),
    ("role", section_role),
)


# --- the page: docs/performance.json through the template scripts/performance.md.j2 ----------------------------------


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


def path_rows(sections):
    """[section, row, requests in-process, requests on the module path, whether they agree] for every row measured on
    both paths."""
    rows = []
    for name in sorted(sections):
        samples = sections[name].get("samples", {})
        for key in sorted(samples):
            if "/in-process" in key and key.replace("/in-process", "/module") in samples:
                module = samples[key.replace("/in-process", "/module")]
                calls = samples[key]["calls"]
                rows.append(
                    [name, key.replace("/in-process", ""), calls, module["calls"], paths_agree(calls, module["calls"])]
                )
    return rows


def derived(figures):
    """What the page states beyond the raw figures: the memory line's fit and the ratios the goals compare."""
    sections = figures["sections"]
    points = [(int(count), point["rss_mb"]) for count, point in sections["memory"]["points"].items()]
    slope, intercept = fit(points)
    records = sections["memory"]["records"]
    loop, create, converge, listing, adhoc, role = (
        sections[name]["samples"] for name in ("loop", "create", "converge", "listing", "adhoc", "role")
    )
    sizes = sections["converge"]["sizes"]
    rows = path_rows(sections)
    returned, files = role["returned/in-process/create"], role["files/in-process/create"]
    keys = sections["role"]["size"]
    return {
        "line": {
            "intercept_mb": intercept,
            "kb_per_key": slope * 1024,
            "worst": max(abs(rss - (intercept + slope * count)) / rss for count, rss in points),
            "fitted": dict((str(count), intercept + slope * count) for count, rss in points),
        },
        "records_kb_per_key": records["held_bytes"] / 1024.0 / records["count"],
        "json_kb_per_key": records["json_bytes"] / 1024.0 / records["count"],
        # In-process against uri, and against the module path, goal by goal.
        "loop_task_ratio": loop["openrouter_key/in-process"]["task"] / loop["uri"]["task"],
        "loop_wall_ratio": loop["openrouter_key/in-process"]["wall"] / loop["uri"]["wall"],
        "loop_paths_ratio": loop["openrouter_key/in-process"]["task"] / loop["openrouter_key/module"]["task"],
        "create_ratio": create["role/in-process/create"]["wall"] / create["uri/create"]["wall"],
        "create_paths_ratio": create["role/in-process/create"]["wall"] / create["role/module/create"]["wall"],
        "rerun_ratio": dict(
            (
                str(count),
                converge["%d/no change/role/in-process" % count]["wall"] / converge["%d/no change/uri" % count]["wall"],
            )
            for count in sizes
        ),
        "adhoc_ratio": adhoc["openrouter_key/in-process"]["wall"] / adhoc["uri"]["wall"],
        "adhoc_paths_ratio": adhoc["openrouter_key/in-process"]["wall"] / adhoc["openrouter_key/module"]["wall"],
        "process_extra": (
            sections["adhoc"]["process"]["openrouter_key"]["wall"] - sections["adhoc"]["process"]["uri"]["wall"]
        ),
        "path_rows": rows,
        "paths_agree": all(row[-1] for row in rows),
        # What writing the secret files adds to the role's apply loop, per key, against that loop's own time per key;
        # and what writing one file takes by itself.
        "file_ms_per_key": (files["task"] - returned["task"]) * 1000 / keys,
        "write_ms": sections["role"]["write_file"] * 1000,
        "apply_ms_per_key": returned["task"] * 1000 / keys,
        "at_floor": all(
            create["role/%s/rerun" % path]["calls"] == {"list": 1}
            and all(
                converge["%d/no change/role/%s" % (count, path)]["calls"] == {"list": list_pages(count)}
                for count in sizes
            )
            and all(
                listing["%d/info/%s" % (count, path)]["calls"] == {"list": list_pages(count)}
                for count in sections["listing"]["sizes"]
            )
            for path in PATHS
        ),
    }


def render(figures, template=TEMPLATE):
    """The Markdown page: the template's prose around the figures (and what derived() makes of them)."""
    import jinja2  # ansible-core's own dependency, in every core venv

    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(os.path.dirname(template)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.do"],
    )
    environment.filters.update(describe=describe, seconds=seconds, ms=milliseconds)
    environment.globals.update(times=times, table=table, list_pages=list_pages)
    page = environment.get_template(os.path.basename(template))
    return page.render(f=figures, s=figures["sections"], d=derived(figures), profile_parts=PROFILE_PARTS)


def stop(signum, unused_frame):
    """On SIGTERM, exit through the finally blocks, which stop the running command and the emulator."""
    sys.exit(128 + signum)


def rounded(value):
    """The figures with every float to 4 decimals (a tenth of a millisecond): noise is far above that."""
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return dict((key, rounded(item)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return [rounded(item) for item in value]
    return value


def measure(plan, runs_override=None):
    """Run every section with plan's runs and sizes (FULL or QUICK); return the figures."""
    started = time.perf_counter()
    load_at_start = os.getloadavg()[0]
    workdir = tempfile.mkdtemp(prefix="openrouter-bench-")
    bench = Bench(workdir)
    sections = {}
    try:
        for name, run_section in SECTIONS:
            runs = runs_override or plan["runs"][name]
            print(
                "bench: %s, %d runs per median (%.0f s so far)" % (name, runs, time.perf_counter() - started),
                file=sys.stderr,
            )
            section_started = time.perf_counter()
            sizes = [plan["sizes"][name]] if name in plan["sizes"] else []
            sections[name] = run_section(bench, runs, *sizes)
            sections[name]["elapsed"] = time.perf_counter() - section_started
    finally:
        bench.close()
        shutil.rmtree(workdir, ignore_errors=True)
    return rounded(
        {
            "machine": machine_facts(),
            "load": [load_at_start, os.getloadavg()[0]],
            "elapsed": time.perf_counter() - started,
            "quick": plan is QUICK,
            "sections": sections,
        }
    )


def main():
    signal.signal(signal.SIGTERM, stop)
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, help="runs per median in every section (default: %s)" % FULL["runs"])
    parser.add_argument(
        "--quick",
        action="store_true",
        default=os.environ.get("BENCH_QUICK", "") not in ("", "0"),
        help="a smoke run: every section once, at small sizes, written under tests/output/bench/ (or BENCH_QUICK=1)",
    )
    parser.add_argument("--figures", help="the JSON file of figures to write, or to read (default: %s)" % FIGURES)
    parser.add_argument("--output", help="where to write the page rendered from the figures (default: %s)" % PAGE)
    parser.add_argument("--render-only", action="store_true", help="render --figures into --output; measure nothing")
    args = parser.parse_args()
    if args.quick and not args.render_only:
        os.makedirs(QUICK_OUTPUT, exist_ok=True)
        default_figures, default_page = (
            os.path.join(QUICK_OUTPUT, name) for name in ("performance.json", "performance.md")
        )
    else:
        default_figures, default_page = FIGURES, PAGE
    args.figures, args.output = args.figures or default_figures, args.output or default_page
    if args.render_only:
        with open(args.figures) as handle:
            figures = json.load(handle)
    else:
        figures = measure(QUICK if args.quick else FULL, args.runs)
        with open(args.figures, "w") as handle:
            json.dump(figures, handle, indent=1, sort_keys=True)
            handle.write("\n")
    text = render(figures)
    print(text)
    with open(args.output, "w") as handle:
        handle.write(text)


if __name__ == "__main__":
    main()
