# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""docs/reliability.md: every row of its table names tests that exist, and every fault of the reliability issue has
a row."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast
import os
import re

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
HEADER = "| Fault | Behaviour | Tests |"
# The faults, concurrency cases, bad input, secret hygiene, properties and soak of the issue: each must start a row.
ISSUE_ROWS = [
    "429 with `Retry-After: 1`, three times, then success",
    "429 without `Retry-After`",
    "Persistent 503",
    "Connection refused",
    "A response slower than `timeout` to a GET",
    "A response slower than `timeout` to a POST",
    "A 200 with a malformed JSON body",
    "A proxy's HTML 502 page",
    "A 409 on PATCH",
    "A lost create response",
    "Twenty forks, twenty keys",
    "Twenty forks, one name",
    "No lost updates: 1,000 requests from 8 threads",
    "Bad input",
    "`expires_at` in another time zone",
    "A run under `-vvvv`, `ANSIBLE_DEBUG=1` and `ANSIBLE_LOG_PATH`",
    "`secret` in `diff`, `key`, the info module's output or the role's output",
    "TLS verification",
    "Idempotency of the reconciler",
    "Secrets and minimal PATCHes",
    "Soak: 500 runs with 10% random faults",
    # Issues 12, 10 and 13: a hostile or wrong server.
    "A listing that never ends",
    "A response body without end",
    "A server that trickles its answer",
    "A redirect",
    "`http://` to another machine",
    "Control characters or a long text",
    "An answer of an unexpected shape",
    "A wrong `api_url` that answers 404",
    "Messages that say what went wrong",
    "One try classified apart from the decision to retry",
]


def table():
    """The rows of the fault table as (fault, behaviour, [test names])."""
    with open(os.path.join(ROOT, "docs", "reliability.md")) as handle:
        lines = handle.read().splitlines()
    rows = []
    for line in lines[lines.index(HEADER) + 2 :]:
        if not line.startswith("|"):
            break
        fault, behaviour, tests = [cell.strip() for cell in line.strip().strip("|").split("|")]
        rows.append((fault, behaviour, re.findall(r"`([^`]+)`", tests)))
    return rows


def defined_tests(path):
    """The names of the test functions a pytest file defines at its top level."""
    with open(os.path.join(ROOT, path)) as handle:
        tree = ast.parse(handle.read())
    return set(node.name for node in tree.body if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"))


def test_every_fault_of_the_issue_has_a_row():
    faults = [fault for fault, dummy, dummy in table()]
    assert [row for row in ISSUE_ROWS if not any(fault.startswith(row) for fault in faults)] == []


@pytest.mark.parametrize("fault, behaviour, tests", table(), ids=[row[0][:40] for row in table()])
def test_every_row_names_tests_that_exist(fault, behaviour, tests):
    assert behaviour and tests
    for test in tests:
        if "::" in test:
            path, name = test.split("::")
            assert os.path.isfile(os.path.join(ROOT, path)), test
            assert name in defined_tests(path), test
        else:
            assert os.path.isfile(os.path.join(ROOT, "tests", "integration", "targets", test, "aliases")), test
