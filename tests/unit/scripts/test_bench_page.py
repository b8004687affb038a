# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""docs/performance.md is rendered from docs/performance.json by scripts/bench.py with its template.

bench_figures_quick.json holds the figures of a quick run (BENCH_QUICK=1: small sizes, one run each), so that the
template, derived() and the bench's bookkeeping are tested on other sizes than the page's, without measuring.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import importlib.util
import json
import os
import types

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench", os.path.join(ROOT, "scripts", "bench.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load(path):
    with open(path) as handle:
        return json.load(handle)


@pytest.fixture
def figures():
    return load(os.path.join(ROOT, "docs", "performance.json"))


@pytest.fixture
def quick():
    return load(os.path.join(os.path.dirname(__file__), "bench_figures_quick.json"))


def test_page_is_rendered_from_the_figures(bench, figures):
    with open(os.path.join(ROOT, "docs", "performance.md")) as handle:
        assert bench.render(figures) == handle.read(), "docs/performance.md is stale: run `make bench-render`"


def test_the_page_is_a_full_run(figures):
    assert not figures["quick"], "docs/performance.json holds a quick run: run `make bench` without BENCH_QUICK"


def test_figures_reach_the_page_and_goals_follow_them(bench, quick):
    page = bench.render(quick)
    assert "This is a quick smoke run" in page
    assert "{{" not in page and "{%" not in page
    loop = quick["sections"]["loop"]["samples"]
    loop["openrouter_key/in-process"]["task"] = loop["uri"]["task"] * 0.5
    quick["sections"]["adhoc"]["samples"]["openrouter_key/module"]["wall"] = 9.87
    page = bench.render(quick)
    assert "| openrouter_key, module path | 1 (1 GET) | 9.87 s |" in page
    assert "against the same loop of uri GETs (the loop task's time) | <= 0.10× | 0.50× " in page
    assert page.split("the loop task's time) |")[1].split("\n")[0].endswith("| **miss** |")
    loop["openrouter_key/in-process"]["task"] = loop["uri"]["task"] * 0.05
    assert bench.render(quick).split("the loop task's time) |")[1].split("\n")[0].endswith("| pass |")


def test_a_path_that_sends_other_requests_is_a_miss_on_the_page(bench, quick):
    rows = bench.derived(quick)["path_rows"]
    assert len(rows) == 10 and bench.derived(quick)["paths_agree"]
    module = quick["sections"]["create"]["samples"]["role/module/create"]["calls"]
    module["list"] += 1
    assert bench.derived(quick)["paths_agree"], "in-process may list less: a loop shares one listing there"
    module["POST"] += 1
    assert not bench.derived(quick)["paths_agree"]
    assert "| create | role/create | 11 (6 list, 5 POST) | 13 (7 list, 6 POST) | **no** |" in bench.render(quick)


def test_the_role_goal_of_one_listing_per_run(bench, quick):
    calls = quick["sections"]["role"]["samples"]["files/in-process/create"]["calls"]

    def verdict():
        return bench.render(quick).split("One listing per run")[1].split("\n")[0].rsplit("|", 2)[1].strip()

    assert verdict() == "**miss**"
    calls["list"] = 2
    assert verdict() == "pass"
    calls["GET"] = 1
    assert verdict() == "**miss**"


def fake_bench(bench, tmp_path, calls_of):
    """A Bench that runs nothing: each command's argv[0] is recorded, and calls_of(argv) gives its requests."""
    fake = object.__new__(bench.Bench)
    fake.task_times = str(tmp_path / "times.json")
    fake.control = types.SimpleNamespace(clear_requests=lambda: None)
    fake.ran = []

    def run(argv, env=None):
        fake.ran.append(argv[0])
        fake.last = argv
        return 1.5, ""

    fake.run = run
    fake.calls = lambda: collections.Counter(calls_of(fake.last))
    return fake


def test_ways_take_turns_and_a_capped_way_drops_out(bench, tmp_path):
    fake = fake_bench(bench, tmp_path, lambda argv: {"GET": 1})
    ways = dict(
        (way, (None, [("run", [letter])])) for way, letter in (("x/in-process", "a"), ("x/module", "b"), ("uri", "c"))
    )
    samples = fake.measure(ways, 3, capped={"x/module": 1})
    assert fake.ran == ["a", "b", "c", "a", "c", "a", "c"]
    figures = bench.figures_of(samples)
    assert figures["x/module/run"] == {"wall": 1.5, "calls": {"GET": 1}, "runs": 1}
    assert figures["x/in-process/run"]["runs"] == 3


def test_the_bench_fails_when_the_paths_send_other_requests(bench, tmp_path):
    fake = fake_bench(bench, tmp_path, lambda argv: {"GET": 2 if argv == ["b"] else 1})
    ways = {"x/in-process": (None, [("run", ["a"])]), "x/module": (None, [("run", ["b"])])}
    with pytest.raises(RuntimeError, match=r"x \(run\) sent 1 \(1 GET\) in-process but 2 \(2 GET\) on the module path"):
        fake.measure(ways, 1)


def test_the_requests_of_a_way_must_not_vary_between_runs(bench, tmp_path):
    counts = iter([1, 2])
    fake = fake_bench(bench, tmp_path, lambda argv: {"GET": next(counts)})
    with pytest.raises(RuntimeError, match="the requests changed between runs"):
        fake.measure({"uri": (None, [("run", ["c"])])}, 2)


def test_figures_are_rounded_and_a_quick_run_has_every_section(bench):
    assert bench.rounded({"a": [1.234567, 2], "b": 0.5}) == {"a": [1.2346, 2], "b": 0.5}
    assert bench.QUICK["sizes"].keys() == bench.FULL["sizes"].keys()
    assert bench.QUICK["runs"].keys() == bench.FULL["runs"].keys() == set(name for name, _run in bench.SECTIONS)
