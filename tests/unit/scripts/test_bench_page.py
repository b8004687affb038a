# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""docs/performance.md is rendered from docs/performance.json by scripts/bench.py with its template."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import importlib.util
import json
import os

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench", os.path.join(ROOT, "scripts", "bench.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def figures():
    with open(os.path.join(ROOT, "docs", "performance.json")) as handle:
        return json.load(handle)


def test_page_is_rendered_from_the_figures(bench, figures):
    with open(os.path.join(ROOT, "docs", "performance.md")) as handle:
        assert bench.render(figures) == handle.read(), "docs/performance.md is stale: run `make bench-render`"


def test_figures_reach_the_page_and_goals_follow_them(bench, figures):
    figures = copy.deepcopy(figures)
    figures["sections"]["adhoc"]["samples"]["openrouter_key"]["wall"] = 9.87
    figures["sections"]["memory"]["points"]["10000"]["rss_mb"] = 40.0
    page = bench.render(figures)
    assert "| openrouter_key | 1 (1 GET) | 9.87 s |" in page
    assert "One openrouter_key no-op by hash takes <= 1.1× one uri GET, ad hoc | 7.71× | **no**: the module" in page
    assert "peak RSS of the module process < 50 MB | 40.0 MB at 10,000 keys" in page
    assert "{{" not in page and "{%" not in page
