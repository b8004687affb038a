# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 7, section 1: each path sends exactly the floor of requests, read from the emulator's request log.

The modules run in-process against an emulator on loopback whose account holds K keys in all. A page holds 100 keys
and a listing stops at the first short page, so listing K keys reads K // 100 + 1 == ceil((K + 1) / 100) pages: a full
last page can only be told from the end of the list by reading the next one.

The role's row (N listed keys, nothing to change: the list pages and one module run) is asserted end to end by the
integration target api_keys_role; test_role_* below proves its two halves here. The last test checks that a run reuses
one connection for all its requests.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.openrouter.provisioning.plugins.filter.api_keys_plan import api_keys_plan
from ansible_collections.openrouter.provisioning.plugins.modules import openrouter_key, openrouter_key_info
from ansible_collections.openrouter.provisioning.tests.unit.emulator import conftest as emulator_fixtures
from ansible_collections.openrouter.provisioning.tests.unit.plugins.modules import conftest as module_fixtures

# Fixtures reused, not copied: run runs a module's main() in-process; control drives an emulator reset for each test.
run = module_fixtures.run
emulator_server = emulator_fixtures.emulator_server
base_url = emulator_fixtures.base_url
control = emulator_fixtures.control

PAGE_SIZE = 100
SIZES = (0, 99, 100, 250)  # keys in the account; 99 and 100 sit on either side of a page edge
NAME = "perf-target"
TARGET = {"name": NAME, "limit": 5.0}
MISSING_HASH = "f" * 64
MODES = [pytest.param(False, id="real"), pytest.param(True, id="check")]

# (path, whether the target key exists, the options, with {hash} for its hash, the writes a real run sends after the lookup)
PATHS = [
    ("present unchanged by hash", True, dict(hash="{hash}", limit=5), []),
    ("present unchanged by name", True, dict(name=NAME, limit=5), []),
    ("create by name", False, dict(name=NAME, limit=5), ["POST /keys"]),
    ("create disabled by name", False, dict(name=NAME, disabled=True), ["POST /keys", "PATCH /keys/{new}"]),
    ("update by hash", True, dict(hash="{hash}", limit=7), ["PATCH /keys/{hash}"]),
    ("update by name", True, dict(name=NAME, limit=7), ["PATCH /keys/{hash}"]),
    ("absent existing by hash", True, dict(hash="{hash}", state="absent"), ["DELETE /keys/{hash}"]),
    ("absent existing by name", True, dict(name=NAME, state="absent"), ["DELETE /keys/{hash}"]),
    ("absent missing by hash", False, dict(hash="{hash}", state="absent"), []),
    ("absent missing by name", False, dict(name=NAME, state="absent"), []),
    (
        "replace by name",
        True,
        dict(name=NAME, expires_at="2099-01-01T00:00:00Z", recreate="on_change"),
        ["POST /keys", "DELETE /keys/{hash}"],
    ),
]


@pytest.fixture
def run_emulated(run, base_url):  # pylint: disable=redefined-outer-name
    """Run a module's main() in-process against the emulator."""

    def run_module(main, **options):
        return run(
            main,
            api_url=base_url,
            management_key=emulator_fixtures.openrouter_emulator.DEFAULT_MANAGEMENT_KEY,
            **options,
        )

    return run_module


def list_pages(k):
    """The list requests a full listing of k keys sends: every page up to and including the first short one."""
    return [
        "GET /keys?include_disabled=true&include_expired=true&offset=%d" % offset
        for offset in range(0, k // PAGE_SIZE * PAGE_SIZE + 1, PAGE_SIZE)
    ]


def account(control, k, target=None):
    """Give the account k keys in all, target (a seed spec) the oldest, so on the last page; return its hash or MISSING_HASH."""
    key_hash = control.seed(keys=[target])[0]["hash"] if target else MISSING_HASH
    control.seed(count=k - (1 if target else 0), name_prefix="other-")
    control.clear_requests()
    return key_hash


def sent(control):
    """The API requests since the last look, as 'METHOD /path?query', and clear the log."""
    calls = []
    for call in control.requests():
        query = "&".join("%s=%s" % item for item in sorted(call["query"].items()))
        calls.append("%s %s%s" % (call["method"], call["path"], "?" + query if query else ""))
    control.clear_requests()
    return calls


@pytest.mark.parametrize("check_mode", MODES)
@pytest.mark.parametrize(
    "path, exists, options, writes, k",
    [
        pytest.param(path, exists, options, writes, k, id="%s-K%d" % (path.replace(" ", "_"), k))
        for path, exists, options, writes in PATHS
        for k in (max(size, 1) if exists else size for size in SIZES)
    ],
)
def test_openrouter_key_sends_the_lookup_then_only_the_writes_it_needs(
    run_emulated, control, path, exists, options, writes, k, check_mode
):
    key_hash = account(control, k, TARGET if exists else None)
    options = dict(
        (name, value.format(hash=key_hash) if isinstance(value, str) else value) for name, value in options.items()
    )
    result = run_emulated(openrouter_key.main, check_mode=check_mode, **options)
    assert not result["failed"], result["msg"]
    assert result["changed"] == bool(writes)
    lookup = ["GET /keys/%s" % key_hash] if "hash" in options else list_pages(k)
    if "hash" in options and not exists:
        lookup.append("GET /key")  # a 404 means "missing" only once GET /key shows api_url is OpenRouter's API
    if check_mode:
        assert sent(control) == lookup
    else:
        assert sent(control) == lookup + [
            write.format(hash=key_hash, new=result["key"].get("hash")) for write in writes
        ]


@pytest.mark.parametrize("check_mode", MODES)
@pytest.mark.parametrize("k", SIZES)
@pytest.mark.parametrize(
    "options, by_hash",
    [
        pytest.param({}, False, id="everything"),
        pytest.param({"name": NAME}, False, id="by_name"),
        pytest.param({"hash": "{hash}"}, True, id="by_hash"),
    ],
)
def test_openrouter_key_info_reads_each_page_once_or_one_key(run_emulated, control, options, by_hash, k, check_mode):
    key_hash = account(control, k, TARGET if k else None)
    options = dict((name, value.format(hash=key_hash)) for name, value in options.items())
    result = run_emulated(openrouter_key_info.main, check_mode=check_mode, **options)
    assert not result["failed"], result["msg"]
    assert len(result["api_keys"]) == (k if not options else min(k, 1))
    # A 404 for the hash means "missing" only once GET /key shows api_url is OpenRouter's API.
    missing = ["GET /key"] if by_hash and not k else []
    assert sent(control) == (["GET /keys/%s" % key_hash] + missing if by_hash else list_pages(k))


@pytest.mark.parametrize("k", (1,) + SIZES[1:])
def test_role_reads_the_pages_in_one_module_run_and_plans_without_a_request(run_emulated, control, k):
    """The role runs openrouter_key_info once, then api_keys_plan, then openrouter_key once per planned change only."""
    control.seed(keys=[{"name": "role-%d" % number, "limit": float(number)} for number in range(k)])
    control.clear_requests()
    desired = [{"name": "role-%d" % number, "limit": number} for number in range(k)]
    existing = run_emulated(openrouter_key_info.main)["api_keys"]
    assert api_keys_plan(existing, desired) == []
    desired[-1]["limit"] = 1000
    assert [change["name"] for change in api_keys_plan(existing, desired)] == ["role-%d" % (k - 1)]
    assert sent(control) == list_pages(k)


def test_a_run_sends_all_its_requests_over_one_connection(run_emulated, control, emulator_server, monkeypatch):
    """One requests.Session per run: the three list pages and the PATCH share one kept-alive connection."""
    account(control, 250, TARGET)
    connections = []
    accept = emulator_server.process_request
    monkeypatch.setattr(
        emulator_server,
        "process_request",
        lambda request, address: (connections.append(address), accept(request, address)),
    )
    result = run_emulated(openrouter_key.main, name=NAME, limit=7)
    monkeypatch.undo()
    assert result["changed"]
    assert len(sent(control)) == len(list_pages(250)) + 1
    assert len(connections) == 1
