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
from ansible_collections.openrouter.provisioning.plugins.modules import (
    openrouter_guardrail,
    openrouter_guardrail_info,
    openrouter_key,
    openrouter_key_info,
    openrouter_workspace,
)

PAGE_SIZE = 100
SIZES = (0, 99, 100, 250)  # keys in the account; 99 and 100 sit on either side of a page edge
NAME = "perf-target"
TARGET = {"name": NAME, "limit": 5.0}
MISSING_HASH = "f" * 64
MODES = [pytest.param(False, id="real"), pytest.param(True, id="check")]
OTHER_WORKSPACE = "11111111-1111-4111-8111-111111111111"

# (path, whether the target key exists, the options, with {hash} for its hash, the writes a real run sends after the
# lookup)
PATHS = [
    ("present unchanged by hash", True, dict(hash="{hash}", limit=5), []),
    ("present unchanged by name", True, dict(name=NAME, limit=5), []),
    ("create by name", False, dict(name=NAME, limit=5), ["POST /keys"]),
    ("create disabled by name", False, dict(name=NAME, disabled=True), ["POST /keys", "PATCH /keys/{new}"]),
    ("update by hash", True, dict(hash="{hash}", limit=7), ["PATCH /keys/{hash}"]),
    ("update by name", True, dict(name=NAME, limit=7), ["PATCH /keys/{hash}"]),
    # A workspace given by id costs no request: the move is the PATCH alone.
    ("move by hash", True, dict(hash="{hash}", workspace_id=OTHER_WORKSPACE), ["PATCH /keys/{hash}"]),
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


def list_pages(k):
    """The list requests a full listing of k keys sends: every page up to and including the first short one."""
    return [
        "GET /keys?include_disabled=true&include_expired=true&offset=%d" % offset
        for offset in range(0, k // PAGE_SIZE * PAGE_SIZE + 1, PAGE_SIZE)
    ]


def account(control, k, target=None):
    """Give the account k keys in all, target (a seed spec) the oldest, so on the last page.

    Returns its hash, or MISSING_HASH without a target.
    """
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


@pytest.mark.parametrize(
    "main, options",
    [
        pytest.param(openrouter_key.main, dict(name=NAME, limit=5), id="key_unchanged_by_name"),
        pytest.param(openrouter_key.main, dict(name="perf-new"), id="key_create_by_name"),
        pytest.param(openrouter_key.main, dict(hash="{mover}"), id="key_move_by_hash"),
        pytest.param(openrouter_key_info.main, dict(name=NAME), id="key_info_by_name"),
        pytest.param(openrouter_guardrail.main, dict(name=NAME), id="guardrail_unchanged_by_name"),
        pytest.param(openrouter_guardrail.main, dict(name="perf-new"), id="guardrail_create_by_name"),
        pytest.param(openrouter_guardrail_info.main, dict(name=NAME), id="guardrail_info_by_name"),
    ],
)
def test_a_workspace_slug_adds_one_get_to_the_requests_of_its_id(run_emulated, control, api, main, options):
    """Each path sends, given a workspace's slug, one GET /workspaces/<slug> and then what it sends given the id."""
    workspace = control.seed_workspaces([{"name": "Perf", "slug": "perf-ws"}])[0]["id"]
    control.seed(keys=[dict(TARGET, workspace_id=workspace)])
    api("POST", "/guardrails", json={"name": NAME, "workspace_id": workspace})
    mover = control.seed(keys=[{"name": "perf-mover"}])[0]["hash"]
    options = dict((name, str(value).format(mover=mover)) for name, value in options.items())
    by_slug, by_id = [], []
    for ref, calls in (("perf-ws", by_slug), (workspace, by_id)):
        control.clear_requests()
        # Check mode sends the same reads as a real run and changes nothing, so both runs start from one state.
        result = run_emulated(main, check_mode=True, workspace_id=ref, **options)
        assert not result["failed"], result["msg"]
        calls.extend(sent(control))
    assert by_slug == ["GET /workspaces/perf-ws"] + by_id
    assert not any(call.startswith("GET /workspaces") for call in by_id)


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


# openrouter_guardrail: G guardrails in the default workspace, the target the oldest (so on the last page). Lists of
# guardrails and assignments page by offset and limit and stop where total_count says, so G guardrails take
# max(1, ceil(G / 100)) pages. The key listing that resolves key names is one page here (three keys).
GUARDRAIL_SIZES = (1, 100, 150)
GUARDRAIL_NAME = "perf-guardrail"
CANONICAL = "openai/gpt-4o-2024-05-13"
DEFAULT_WORKSPACE = "00000000-0000-4000-8000-000000000000"
ASSIGNED = "GET /guardrails/assignments/keys?limit=100&offset=0"
GUARDRAIL_PATHS = [
    ("unchanged by name", dict(name=GUARDRAIL_NAME, limit_usd=5), []),
    ("unchanged by id", dict(id="{id}", limit_usd=5), []),
    ("models by canonical slug, unchanged", dict(name=GUARDRAIL_NAME, allowed_models=[CANONICAL]), []),
    ("models by slug, unchanged", dict(name=GUARDRAIL_NAME, allowed_models=["openai/gpt-4o"]), ["GET /models"]),
    ("create by name", dict(name="perf-new", limit_usd=5, reset_interval="daily"), ["POST /guardrails"]),
    ("update by id", dict(id="{id}", limit_usd=7), ["PATCH /guardrails/{id}"]),
    ("delete by name", dict(name=GUARDRAIL_NAME, state="absent"), ["DELETE /guardrails/{id}"]),
    ("keys unchanged by hash", dict(name=GUARDRAIL_NAME, keys=["{k0}"]), [ASSIGNED]),
    (
        "keys: one added by name",
        dict(name=GUARDRAIL_NAME, keys=["perf-k1"]),
        [
            ASSIGNED,
            "GET /keys?include_disabled=true&include_expired=true&offset=0&workspace_id=" + DEFAULT_WORKSPACE,
            "POST /guardrails/{id}/assignments/keys",
        ],
    ),
    (
        "keys: one purged",
        dict(name=GUARDRAIL_NAME, keys=[], purge_keys=True),
        [ASSIGNED, "POST /guardrails/{id}/assignments/keys/remove"],
    ),
]


def guardrail_account(api_call, control, g):
    """g guardrails, the target the oldest, holding the key perf-k0; return the target's id and the keys' hashes."""
    keys = dict((key["name"], key["hash"]) for key in control.seed(count=3, name_prefix="perf-k"))
    target = api_call(
        "POST",
        "/guardrails",
        json={"name": GUARDRAIL_NAME, "limit_usd": 5, "reset_interval": "daily", "allowed_models": [CANONICAL]},
    ).json()["data"]["id"]
    api_call("POST", "/guardrails/%s/assignments/keys" % target, json={"key_hashes": [keys["perf-k0"]]})
    for number in range(g - 1):
        api_call("POST", "/guardrails", json={"name": "other-%d" % number})
    control.clear_requests()
    return dict(id=target, k0=keys["perf-k0"])


@pytest.mark.parametrize("check_mode", MODES)
@pytest.mark.parametrize(
    "path, options, after, g",
    [
        pytest.param(path, options, after, g, id="%s-G%d" % (path.replace(" ", "_"), g))
        for path, options, after in GUARDRAIL_PATHS
        for g in GUARDRAIL_SIZES
    ],
)
def test_openrouter_guardrail_sends_the_lookup_then_only_what_it_needs(
    run_emulated, control, api, path, options, after, g, check_mode
):
    ids = guardrail_account(api, control, g)
    options = dict((name, fill(value, ids)) for name, value in options.items())
    result = run_emulated(openrouter_guardrail.main, check_mode=check_mode, **options)
    assert not result["failed"], result["msg"]
    after = [call.format(**ids) for call in after]
    writes = [call for call in after if not call.startswith("GET ")]
    assert result["changed"] == bool(writes)
    if "id" in options:
        lookup = ["GET /guardrails/%s" % ids["id"]]
    else:
        lookup = ["GET /guardrails?limit=100&offset=%d" % offset for offset in range(0, g, 100)]
    assert sent(control) == lookup + [call for call in after if not (check_mode and call in writes)]


def fill(value, ids):
    if isinstance(value, list):
        return [fill(item, ids) for item in value]
    return value.format(**ids) if isinstance(value, str) else value


# openrouter_workspace: (path, the options, whether the workspace exists first with TEAM, the requests a real run
# sends; check mode sends only the GETs). {ws} is the workspace's path, {guard} its default guardrail's.
TEAM = dict(slug="perf-team", members=["user_admin"], budgets={"monthly": 50, "weekly": 10})
WORKSPACE_PATHS = [
    ("create bare", dict(slug="perf-team"), False, ["GET /workspaces/perf-team", "GET /key", "POST /workspaces"]),
    (
        "create with members and budgets",
        TEAM,
        False,
        [
            "GET /workspaces/perf-team",
            "GET /key",
            "POST /workspaces",
            "POST {ws}/members/add",
            "PUT {ws}/budgets/monthly",
            "PUT {ws}/budgets/weekly",
        ],
    ),
    (
        "unchanged with members and budgets",
        TEAM,
        True,
        ["GET /workspaces/perf-team", "GET {ws}/members?limit=100&offset=0", "GET {ws}/budgets"],
    ),
    ("unchanged by id, settings only", dict(id="{id}", name="perf-team"), True, ["GET {ws}"]),
    ("update settings", dict(slug="perf-team", description="new"), True, ["GET /workspaces/perf-team", "PATCH {ws}"]),
    (
        "raise both budgets",
        dict(slug="perf-team", budgets={"monthly": 100, "weekly": 60}),
        True,
        ["GET /workspaces/perf-team", "GET {ws}/budgets", "PUT {ws}/budgets/monthly", "PUT {ws}/budgets/weekly"],
    ),
    (
        "default guardrail, first rules",
        dict(slug="perf-team", default_guardrail={"limit_usd": 5, "reset_interval": "daily"}),
        True,
        ["GET /workspaces/perf-team", "GET {guard}", "GET /key", "PATCH {guard}"],
    ),
    (
        "absent existing",
        dict(slug="perf-team", state="absent"),
        True,
        [
            "GET /workspaces/perf-team",
            "GET /keys?include_disabled=false&include_expired=false&offset=0&workspace_id={id}",
            "DELETE {ws}",
        ],
    ),
    ("absent missing", dict(slug="perf-team", state="absent"), False, ["GET /workspaces/perf-team", "GET /key"]),
]


@pytest.mark.parametrize("check_mode", MODES)
@pytest.mark.parametrize(
    "options, exists, calls",
    [
        pytest.param(options, exists, calls, id=path.replace(" ", "_"))
        for path, options, exists, calls in WORKSPACE_PATHS
    ],
)
def test_openrouter_workspace_sends_the_floor_of_requests(run_emulated, control, options, exists, calls, check_mode):
    ref = run_emulated(openrouter_workspace.main, **TEAM)["workspace"]["id"] if exists else None
    control.clear_requests()
    options = dict((name, value.format(id=ref) if isinstance(value, str) else value) for name, value in options.items())
    result = run_emulated(openrouter_workspace.main, check_mode=check_mode, **options)
    assert not result["failed"], result["msg"]
    record = result["workspace"] or {"id": ref}
    ref = ref or record["id"]
    expected = [
        call.format(ws="/workspaces/%s" % ref, id=ref, guard="/guardrails/%s" % record.get("default_guardrail_id"))
        for call in calls
        if not check_mode or call.startswith("GET")
    ]
    assert result["changed"] == any(not call.startswith("GET") for call in calls)
    assert sent(control) == expected


# A loop of openrouter_key tasks in one worker process (Ansible's loop on the in-process path): the lookups by name
# share one listing, kept valid by the account's generation on this machine (listing_cache.py).
LOOP = 20


def run_in_loop(run_emulated, options):
    """One item of a loop: a module run in the process of the items before it, with their kept listings."""
    result = run_emulated(openrouter_key.main, keep_listings=True, **options)
    assert not result["failed"], result["msg"]
    return result


@pytest.mark.parametrize("k", (0, 250))
def test_a_loop_of_creates_by_name_lists_once_then_only_posts(run_emulated, control, k):
    account(control, k)
    for number in range(LOOP):
        assert run_in_loop(run_emulated, dict(name="loop-%d" % number))["changed"]
    assert sent(control) == list_pages(k) + ["POST /keys"] * LOOP


def test_updates_and_deletes_by_hash_in_the_loop_keep_the_listing(run_emulated, control):
    """The role's apply loop mixes them: an own write keeps the kept listing, changed as the write changed the list."""
    key_hash = account(control, 5, TARGET)
    run_in_loop(run_emulated, dict(name="loop-0"))
    run_in_loop(run_emulated, dict(hash=key_hash, name="renamed"))
    gone = run_in_loop(run_emulated, dict(name="loop-1"))["key"]["hash"]
    run_in_loop(run_emulated, dict(hash=gone, state="absent"))
    assert run_in_loop(run_emulated, dict(name="loop-1"))["changed"]
    assert not run_in_loop(run_emulated, dict(name="renamed", limit=5))["changed"]
    assert run_in_loop(run_emulated, dict(name=NAME))["changed"]  # its old name is free
    calls = sent(control)
    assert calls[:1] == list_pages(5) and calls.count(list_pages(5)[0]) == 1
    assert [call.split()[0] for call in calls[1:]] == ["POST", "GET", "PATCH", "POST", "GET", "DELETE", "POST", "POST"]


def test_a_write_by_another_process_between_items_makes_the_next_item_list_again(run_emulated, control, monkeypatch):
    from ansible_collections.openrouter.provisioning.plugins.module_utils import listing_cache

    account(control, 0)
    ours = {}
    monkeypatch.setattr(listing_cache, "_KEPT", ours)
    run_in_loop(run_emulated, dict(name="loop-0"))
    # Another fork of this machine creates the name our next item asks for.
    monkeypatch.setattr(listing_cache, "_KEPT", {})
    theirs = run_in_loop(run_emulated, dict(name="loop-1"))["key"]["hash"]
    monkeypatch.setattr(listing_cache, "_KEPT", ours)
    control.clear_requests()
    result = run_in_loop(run_emulated, dict(name="loop-1"))
    assert not result["changed"] and result["key"]["hash"] == theirs
    run_in_loop(run_emulated, dict(name="loop-2"))
    assert sent(control) == list_pages(0) + ["POST /keys"]


def test_a_name_created_earlier_in_the_loop_is_found_and_never_created_twice(run_emulated, control):
    account(control, 0)
    first = run_in_loop(run_emulated, dict(name="loop-0", limit=5))
    again = run_in_loop(run_emulated, dict(name="loop-0", limit=5))
    assert not again["changed"] and again["key"]["hash"] == first["key"]["hash"]
    assert [key["name"] for key in control.keys()] == ["loop-0"]
    assert sent(control) == list_pages(0) + ["POST /keys"]
