#!/usr/bin/env python
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark the collection against what users do today (issue 7), against the emulator on loopback.

`make bench` runs it with the Python of an ansible-core venv (2.18 or later: the uri playbook uses break_when).
It writes the raw figures to docs/performance.json, then renders docs/performance.md from them with the template
scripts/performance.md.j2, which holds all of the page's prose (and the goals of issue 7):

    python scripts/bench.py [--runs N] [--figures FILE.json] [--output FILE.md]
    python scripts/bench.py --render-only [--figures FILE.json] [--output FILE.md]   # no measuring

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
FIGURES = os.path.join(ROOT, "docs", "performance.json")
PAGE = os.path.join(ROOT, "docs", "performance.md")
TEMPLATE = os.path.join(ROOT, "scripts", "performance.md.j2")
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
CONVERGE_SIZES = (200, 1000)
WAYS_CREATE = ("role", "loop", "uri")
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
    """{(way, step): Samples} as JSON: {"way/step": {"wall": median seconds, "calls": {kind: count}}}."""
    return dict((name(key), {"wall": value.median, "calls": dict(value.calls)}) for key, value in samples.items())


def section_create(bench, runs):
    keys = bench_keys(50)
    samples = bench.measure(
        dict((way, [(step, bench.playbook(way, keys)) for step in ("create", "rerun")]) for way in WAYS_CREATE),
        runs,
        prepare=bench.control.reset,
    )
    return {"runs": runs, "samples": figures_of(samples)}


def section_converge(bench, runs):
    figures = {}
    for count in CONVERGE_SIZES:
        keys = bench_keys(count)
        for label, seed in (("no change", keys), ("5 changes", with_changes(keys, 5))):
            samples = bench.measure(
                dict((way, [("run", bench.playbook(way, keys))]) for way in ("role", "uri")),
                runs,
                prepare=lambda seed=seed: bench.seed(keys=seed),
            )
            figures.update(figures_of(samples, lambda key, prefix="%d/%s/" % (count, label): prefix + key[0]))
    return {"runs": runs, "samples": figures}


def section_listing(bench, runs):
    figures = {}
    # The uri listing of 10,000 keys is not run: it pays a module run per page (see the page's template).
    for count, ways in ((1000, ("info", "uri")), (10000, ("info",))):
        bench.seed(count=count)
        samples = bench.measure(dict((way, [("list", bench.playbook(way, []))]) for way in ways), runs)
        figures.update(figures_of(samples, lambda key, prefix="%d/" % count: prefix + key[0]))
    return {"runs": runs, "samples": figures}


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
    return {
        "runs": runs,
        "samples": figures_of(samples, lambda key: key[0]),
        "process": dict((way, {"wall": wall, "rss_mb": rss}) for way, (wall, rss) in process.items()),
        "parts": parts,
    }


SECTIONS = (
    ("create", section_create),
    ("converge", section_converge),
    ("listing", section_listing),
    ("memory", section_memory),
    ("adhoc", section_adhoc),
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


def derived(figures):
    """What the page states beyond the raw figures: the memory line's fit and the ratios the goals compare."""
    sections = figures["sections"]
    points = [(int(count), point["rss_mb"]) for count, point in sections["memory"]["points"].items()]
    slope, intercept = fit(points)
    records = sections["memory"]["records"]
    create, converge, adhoc = (sections[name]["samples"] for name in ("create", "converge", "adhoc"))
    return {
        "line": {
            "intercept_mb": intercept,
            "kb_per_key": slope * 1024,
            "worst": max(abs(rss - (intercept + slope * count)) / rss for count, rss in points),
            "fitted": dict((str(count), intercept + slope * count) for count, rss in points),
        },
        "records_kb_per_key": records["held_bytes"] / 1024.0 / records["count"],
        "json_kb_per_key": records["json_bytes"] / 1024.0 / records["count"],
        "rerun_ratio": dict(
            (count, converge["%d/no change/role" % count]["wall"] / converge["%d/no change/uri" % count]["wall"])
            for count in CONVERGE_SIZES
        ),
        "create_ratio": create["role/create"]["wall"] / create["uri/create"]["wall"],
        "adhoc_ratio": adhoc["openrouter_key"]["wall"] / adhoc["uri"]["wall"],
        "process_extra": (
            sections["adhoc"]["process"]["openrouter_key"]["wall"] - sections["adhoc"]["process"]["uri"]["wall"]
        ),
        "at_floor": create["role/rerun"]["calls"] == {"list": 1}
        and all(
            converge["%d/no change/role" % count]["calls"] == {"list": list_pages(count)} for count in CONVERGE_SIZES
        )
        and all(
            sections["listing"]["samples"]["%d/info" % count]["calls"] == {"list": list_pages(count)}
            for count in (1000, 10000)
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


def measure(runs_override):
    started = time.perf_counter()
    load_at_start = os.getloadavg()[0]
    workdir = tempfile.mkdtemp(prefix="openrouter-bench-")
    bench = Bench(workdir)
    sections = {}
    try:
        for name, run_section in SECTIONS:
            runs = runs_override or RUNS[name]
            print(
                "bench: %s, %d runs per median (%.0f s so far)" % (name, runs, time.perf_counter() - started),
                file=sys.stderr,
            )
            sections[name] = run_section(bench, runs)
    finally:
        bench.close()
        shutil.rmtree(workdir, ignore_errors=True)
    return {
        "machine": machine_facts(),
        "load": [load_at_start, os.getloadavg()[0]],
        "elapsed": time.perf_counter() - started,
        "sections": sections,
    }


def main():
    signal.signal(signal.SIGTERM, stop)
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, help="runs per median in every section (default: %s)" % RUNS)
    parser.add_argument("--figures", default=FIGURES, help="the JSON file of figures to write, or to read")
    parser.add_argument("--output", default=PAGE, help="where to write the page rendered from the figures")
    parser.add_argument("--render-only", action="store_true", help="render --figures into --output; measure nothing")
    args = parser.parse_args()
    if args.render_only:
        with open(args.figures) as handle:
            figures = json.load(handle)
    else:
        figures = measure(args.runs)
        with open(args.figures, "w") as handle:
            json.dump(figures, handle, indent=1, sort_keys=True)
            handle.write("\n")
    text = render(figures)
    print(text)
    with open(args.output, "w") as handle:
        handle.write(text)


if __name__ == "__main__":
    main()
