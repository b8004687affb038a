# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Guardrails, assignments, workspaces, members, budgets and the models list over HTTP: the rules of
../shared/contract/guardrails-workspaces.md and the emulator's choices where it is silent (docs/emulator.md)."""

from __future__ import annotations

import json
import urllib.error

import pytest
import requests

from ansible_collections.openrouter.provisioning.tests.emulator import openrouter_emulator as emu


def ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json()


def error(response, status):
    """The error message of an error response, checked for its shape."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"]["code"] == status
    return body["error"]["message"]


@pytest.fixture
def guardrail(api):
    """Create a guardrail and return its record."""

    def create(name="g", **fields):
        return ok(api("POST", "/guardrails", json=dict(fields, name=name)), 201)["data"]

    return create


@pytest.fixture
def workspace(api):
    def create(slug="team", **fields):
        return ok(api("POST", "/workspaces", json=dict({"name": slug.title()}, slug=slug, **fields)), 201)["data"]

    return create


# --- paging ---------------------------------------------------------------------------------------------------


def test_offset_limit_paging(api, guardrail):
    for index in range(120):
        guardrail(f"g{index}")
    first = ok(api("GET", "/guardrails"))
    assert first["total_count"] == 120 and len(first["data"]) == 50  # the default limit
    assert first["data"][0]["name"] == "g119"  # newest first
    last = ok(api("GET", "/guardrails", params={"offset": 100, "limit": 100}))
    assert [row["name"] for row in last["data"]] == [f"g{index}" for index in reversed(range(20))]
    assert ok(api("GET", "/guardrails", params={"offset": 500}))["data"] == []


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 101}, {"limit": "x"}, {"offset": -1}])
@pytest.mark.parametrize(
    "path", ["/guardrails", "/workspaces", "/organization/members", "/guardrails/assignments/keys"]
)
def test_paging_parameters_are_never_clamped(api, path, params):
    error(api("GET", path, params=params), 400)


# --- guardrail validation -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"name": ""}, "name must be a string of 1 to 200"),
        ({"name": "x" * 201}, "name must be a string of 1 to 200"),
        ({"description": "x" * 1001}, "description"),
        ({"limit_usd": 5}, "limit_usd and reset_interval must be provided together"),
        ({"reset_interval": "daily"}, "limit_usd and reset_interval must be provided together"),
        ({"limit_usd": 5, "reset_interval": "yearly"}, "reset_interval must be one of daily, weekly, monthly"),
        ({"limit_usd": -1, "reset_interval": "daily"}, "limit_usd"),
        ({"allowed_models": []}, "allowed_models must be a non-empty array"),
        ({"ignored_providers": [""]}, "ignored_providers must be a non-empty array of non-empty strings"),
        ({"allowed_data_regions": []}, "allowed_data_regions"),
        ({"allowed_data_regions": ["mars"]}, "allowed_data_regions"),
        ({"content_filters": [{"pattern": "", "action": "block"}]}, "content_filters[0].pattern"),
        ({"content_filters": [{"pattern": "a", "action": "drop"}]}, "content_filters[0].action"),
        ({"content_filters": [{"pattern": "a", "action": "flag", "label": "x" * 101}]}, "label"),
        ({"content_filter_builtins": [{"slug": "dna", "action": "block"}]}, "slug must be one of"),
        ({"content_filter_builtins": [{"slug": "email", "action": "block"}] * 2}, "more than once"),
        (
            {"content_filter_builtins": [{"slug": "regex-prompt-injection", "action": "flag", "scan_scope": "x"}]},
            "scan",
        ),
        ({"enforce_zdr": "yes"}, "enforce_zdr must be a boolean"),
        ({"include_byok_in_budgets": None}, "include_byok_in_budgets must be a boolean"),
        ({"workspace_id": "nowhere"}, "Workspace nowhere not found"),
    ],
)
def test_guardrail_validation(api, fields, message):
    assert message in error(api("POST", "/guardrails", json=dict({"name": "g"}, **fields)), 400)
    assert ok(api("GET", "/guardrails"))["total_count"] == 0


@pytest.mark.parametrize(
    "pattern",
    [
        r"foo(?=bar)",
        r"(?<!x)y",
        r"(a)\1",
        r"(?P<w>a)(?P=w)",
        r"(?<w>a)\k<w>",
        r"(a+)+",
        r"(\d*)*",
        r"(a|a)*",
        r"(unclosed",
    ],
)
def test_unsafe_patterns_are_invalid_regex(api, pattern):
    response = api(
        "POST", "/guardrails", json={"name": "g", "content_filters": [{"pattern": pattern, "action": "block"}]}
    )
    assert error(response, 400).startswith("invalid_regex_pattern: ")
    assert response.json()["error"]["metadata"] == {"code": "invalid_regex_pattern"}


def test_guardrail_defaults_and_builtin_labels(guardrail):
    record = guardrail(
        content_filter_builtins=[
            {"slug": "ssn", "action": "redact", "label": "mine"},
            {"slug": "regex-prompt-injection", "action": "block", "scan_scope": "user_only"},
        ],
        content_filters=[{"pattern": r"\d{3}-\d{2}", "action": "flag"}],
        enforce_zdr=True,
        enforce_zdr_xai=False,
    )
    assert record["content_filter_builtins"] == [
        {"slug": "ssn", "action": "redact", "label": "[SSN]"},  # the label is system-assigned
        {"slug": "regex-prompt-injection", "action": "block", "label": "[PROMPT_INJECTION]", "scan_scope": "user_only"},
    ]
    assert record["content_filters"] == [{"pattern": r"\d{3}-\d{2}", "action": "flag", "label": None}]
    assert [record[name] for name in ("enforce_zdr_anthropic", "enforce_zdr_xai", "enforce_zdr_other")] == [
        True,
        False,
        True,
    ]
    assert (record["include_byok_in_budgets"], record["limit_usd"], record["description"]) == (False, None, None)


def test_guardrail_patch(api, guardrail):
    record = guardrail(limit_usd=10, reset_interval="weekly", include_byok_in_budgets=True, allowed_providers=["a"])
    path = f"/guardrails/{record['id']}"
    assert "No update fields provided" in error(api("PATCH", path, json={"unknown": 1}), 400)
    # The pairing is checked on the result: clearing one of the two alone is refused, both together is fine.
    assert "together" in error(api("PATCH", path, json={"limit_usd": None}), 400)
    updated = ok(api("PATCH", path, json={"limit_usd": None, "reset_interval": None, "allowed_providers": ["b", "c"]}))
    assert (updated["data"]["limit_usd"], updated["data"]["allowed_providers"]) == (None, ["b", "c"])
    assert updated["data"]["include_byok_in_budgets"] is True  # left alone when not sent
    assert "together" in error(api("PATCH", path, json={"limit_usd": 3}), 400)  # reset_interval is null now


def test_unknown_guardrail_is_404(api):
    for method, path in [
        ("GET", "/guardrails/nope"),
        ("PATCH", "/guardrails/nope"),
        ("DELETE", "/guardrails/nope"),
        ("GET", "/guardrails/nope/assignments/members"),
        ("POST", "/guardrails/nope/assignments/members/remove"),
    ]:
        error(api(method, path, json={"name": "x", "member_user_ids": ["u"]}), 404)


# --- model slugs ----------------------------------------------------------------------------------------------


def test_model_lists_are_stored_as_canonical_slugs(api, control, guardrail):
    control.set_models([{"id": "acme/fast", "canonical_slug": "acme/fast-2026-01-01"}, {"id": "acme/plain"}])
    models = ok(api("GET", "/models", key=None))["data"]
    assert [(model["id"], model["canonical_slug"]) for model in models] == [
        ("acme/fast", "acme/fast-2026-01-01"),
        ("acme/plain", "acme/plain"),
    ]
    record = guardrail(allowed_models=["acme/fast", "acme/fast-2026-01-01", "acme/plain", "other/unknown"])
    # Either form names one model (listed once); a model that isn't on the list is kept as sent (a choice).
    assert record["allowed_models"] == ["acme/fast-2026-01-01", "acme/plain", "other/unknown"]
    patched = ok(api("PATCH", f"/guardrails/{record['id']}", json={"ignored_models": ["acme/fast"]}))["data"]
    assert patched["ignored_models"] == ["acme/fast-2026-01-01"]


def test_default_models_have_differing_slugs(control):
    models = control.models()
    assert any(model["id"] != model["canonical_slug"] for model in models)


# --- assignments ----------------------------------------------------------------------------------------------


def test_assigning_a_key_moves_it(api, control, guardrail):
    first, second = guardrail("first")["id"], guardrail("second")["id"]
    hashes = [row["hash"] for row in control.seed(count=3)]
    assign = f"/guardrails/{first}/assignments/keys"
    assert ok(api("POST", assign, json={"key_hashes": hashes + hashes[:1] + ["0" * 64]})) == {"assigned_count": 3}
    assert ok(api("POST", assign, json={"key_hashes": hashes})) == {"assigned_count": 0}  # held already
    assert ok(api("POST", f"/guardrails/{second}/assignments/keys", json={"key_hashes": hashes[:1]})) == {
        "assigned_count": 1
    }
    listed = ok(api("GET", assign))
    assert listed["total_count"] == 2 and {row["key_hash"] for row in listed["data"]} == set(hashes[1:])
    everything = ok(api("GET", "/guardrails/assignments/keys"))
    assert everything["total_count"] == 3 and everything["data"][0]["guardrail_id"] == second  # the move is newest
    assert ok(api("POST", assign + "/remove", json={"key_hashes": hashes})) == {"unassigned_count": 2}
    for bad in ({}, {"key_hashes": []}, {"key_hashes": [""]}, {"key_hashes": "abc"}):
        error(api("POST", assign, json=bad), 400)


def test_deleting_a_key_or_guardrail_removes_its_assignments(api, control, guardrail):
    target = guardrail()["id"]
    hashes = [row["hash"] for row in control.seed(count=2)]
    control.seed_members([{"id": "user_a"}])
    api("POST", f"/guardrails/{target}/assignments/keys", json={"key_hashes": hashes})
    api("POST", f"/guardrails/{target}/assignments/members", json={"member_user_ids": ["user_a", "stranger"]})
    ok(api("DELETE", f"/keys/{hashes[0]}"))
    assert [row["key_hash"] for row in ok(api("GET", "/guardrails/assignments/keys"))["data"]] == hashes[1:]
    member = ok(api("GET", "/guardrails/assignments/members"))["data"]
    assert [(row["user_id"], row["organization_id"]) for row in member] == [("user_a", "org_emulator")]
    ok(api("DELETE", f"/guardrails/{target}"))
    assert ok(api("GET", "/guardrails/assignments/keys"))["total_count"] == 0
    assert ok(api("GET", "/guardrails/assignments/members"))["total_count"] == 0


def test_default_guardrail_lifecycle(api, workspace):
    space = workspace()
    default_id = space["default_guardrail_id"]
    assert default_id == emu.default_guardrail_id(space["id"])
    error(api("GET", f"/guardrails/{default_id}"), 404)
    error(api("DELETE", f"/guardrails/{default_id}"), 404)
    assert "renamed" in error(api("PATCH", f"/guardrails/{default_id}", json={"name": "mine"}), 400)
    error(api("GET", f"/guardrails/{default_id}"), 404)  # a refused PATCH materialises nothing
    made = ok(api("PATCH", f"/guardrails/{default_id}", json={"name": f"Workspace {space['id']} Default"}))["data"]
    assert made["workspace_id"] == space["id"]
    listed = ok(api("GET", "/guardrails", params={"workspace_id": "team"}))["data"]
    assert [row["id"] for row in listed] == [default_id]
    ok(api("DELETE", f"/guardrails/{default_id}"))  # back to unmaterialised (a choice)
    error(api("GET", f"/guardrails/{default_id}"), 404)


# --- workspaces -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"slug": "Upper"}, "slug"),
        ({"slug": "a--b"}, "slug"),
        ({"slug": "-a"}, "slug"),
        ({"slug": "a" * 51}, "slug"),
        ({"slug": "default"}, "already exists"),
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"description": "x" * 501}, "description"),
        ({"io_logging_sampling_rate": 0}, "io_logging_sampling_rate"),
        ({"io_logging_sampling_rate": 1.5}, "io_logging_sampling_rate"),
        ({"disabled_server_tools": ["openrouter:teleport"]}, "disabled_server_tools"),
        ({"default_provider_sort": "random"}, "default_provider_sort"),
        ({"is_data_discount_logging_enabled": None}, "is_data_discount_logging_enabled"),
    ],
)
def test_workspace_validation(api, fields, message):
    body = dict({"name": "Team", "slug": "team"}, **fields)
    assert message in error(api("POST", "/workspaces", json=body), 400)


def test_workspace_by_id_or_slug(api, workspace):
    space = workspace("alpha")
    workspace("beta")
    assert ok(api("GET", "/workspaces/alpha"))["data"] == ok(api("GET", f"/workspaces/{space['id']}"))["data"]
    assert "already exists" in error(api("PATCH", "/workspaces/alpha", json={"slug": "beta"}), 400)
    assert "No update fields provided" in error(api("PATCH", "/workspaces/alpha", json={}), 400)
    renamed = ok(api("PATCH", "/workspaces/alpha", json={"slug": "alpha", "description": "same slug is fine"}))
    assert renamed["data"]["updated_at"] is not None
    # A key may name its workspace by slug; it is stored as the id, and GET /keys filters by either.
    key = ok(api("POST", "/keys", json={"name": "k", "workspace_id": "alpha"}), 201)["data"]
    assert key["workspace_id"] == space["id"]
    assert [row["name"] for row in ok(api("GET", "/keys", params={"workspace_id": "alpha"}))["data"]] == ["k"]


def test_deleting_a_workspace(api, control, workspace, guardrail):
    space = workspace()
    key = control.seed(keys=[{"name": "live", "workspace_id": space["id"]}])[0]
    control.seed(keys=[{"name": "off", "workspace_id": space["id"], "disabled": True}])
    guardrail(workspace_id="team")
    api("PUT", "/workspaces/team/budgets/daily", json={"limit_usd": 5})
    assert "active API key" in error(api("DELETE", "/workspaces/team"), 400)
    ok(api("PATCH", f"/keys/{key['hash']}", json={"disabled": True}))
    ok(api("DELETE", "/workspaces/team"))
    state = control.state()
    assert space["id"] not in state["workspaces"] and space["id"] not in state["budgets"]
    assert state["guardrails"] == {}


def test_deleting_the_default_workspace(api, control):
    control.seed(count=1)
    assert "confirm_default_workspace_deletion" in error(api("DELETE", "/workspaces/default"), 400)
    ok(api("DELETE", "/workspaces/default", params={"confirm_default_workspace_deletion": "true"}))
    assert [key["disabled"] for key in control.keys()] == [True]  # its inference keys are disabled for good
    assert "default workspace has been deleted" in error(api("POST", "/guardrails", json={"name": "g"}), 400)


def test_workspace_members(api, control, workspace):
    control.seed_members([{"id": "user_a"}, {"id": "user_b", "role": "org:admin"}])
    workspace()
    added = ok(api("POST", "/workspaces/team/members/add", json={"user_ids": ["user_a", "user_a", "stranger"]}))
    assert added["added_count"] == 1 and added["data"][0]["role"] == "member"
    assert ok(api("POST", "/workspaces/team/members/add", json={"user_ids": ["user_a", "user_b"]}))["added_count"] == 1
    error(api("POST", "/workspaces/team/members/add", json={"user_ids": [f"u{n}" for n in range(101)]}), 400)
    error(api("POST", "/workspaces/team/members/remove", json={"user_ids": []}), 400)
    control.seed(keys=[{"name": "made-by-a", "workspace_id": "team", "creator_user_id": "user_a"}])
    assert "active API keys" in error(
        api("POST", "/workspaces/team/members/remove", json={"user_ids": ["user_a"]}), 400
    )
    removed = ok(api("POST", "/workspaces/team/members/remove", json={"user_ids": ["user_b", "stranger"]}))
    assert removed == {"removed_count": 1}
    default = ok(api("GET", "/workspaces/default/members"))
    assert default["total_count"] == 3 and {row["role"] for row in default["data"]} == {"admin", "member"}


# --- budgets --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "steps, refused, message",
    [
        ([("daily", 10)], ("weekly", 10), "the weekly limit ($10) must be greater than the daily limit ($10)."),
        ([("lifetime", 100)], ("daily", 200), "the lifetime limit ($100) must be greater than the daily limit ($200)."),
        ([("monthly", 500)], ("weekly", 600), "the monthly limit ($500) must be greater than the weekly limit ($600)."),
        (
            [("weekly", 50), ("monthly", 100)],
            ("weekly", 100.5),
            "($100) must be greater than the weekly limit ($100.5).",
        ),
    ],
)
def test_budgets_strictly_shrink(api, workspace, steps, refused, message):
    workspace()
    for interval, limit in steps:
        ok(api("PUT", f"/workspaces/team/budgets/{interval}", json={"limit_usd": limit}))
    interval, limit = refused
    text = error(api("PUT", f"/workspaces/team/budgets/{interval}", json={"limit_usd": limit}), 400)
    assert text.startswith("Budget limits must be strictly decreasing as scope narrows: ") and text.endswith(message)


def test_budget_rules(api, workspace):
    workspace()
    base = "/workspaces/team/budgets"
    for bad in (
        {"limit_usd": 0},
        {"limit_usd": -1},
        {"limit_usd": "5"},
        {},
        {"limit_usd": 5, "include_byok_in_budgets": 1},
    ):
        error(api("PUT", f"{base}/daily", json=bad), 400)
    error(api("PUT", f"{base}/hourly", json={"limit_usd": 5}), 400)
    error(api("GET", f"{base}/daily"), 404)  # not set (a choice)
    daily = ok(api("PUT", f"{base}/daily", json={"limit_usd": 5}))["data"]
    again = ok(api("PUT", f"{base}/daily", json={"limit_usd": 6}))["data"]
    assert (again["id"], again["created_at"], again["limit_usd"]) == (daily["id"], daily["created_at"], 6)
    ok(api("PUT", f"{base}/lifetime", json={"limit_usd": 100, "include_byok_in_budgets": True}))
    listed = ok(api("GET", base))
    assert [row["reset_interval"] for row in listed["data"]] == [None, "daily"] and listed["include_byok_in_budgets"]
    ok(api("PUT", f"{base}/weekly", json={"limit_usd": 50}))  # between them
    assert ok(api("GET", "/workspaces/team"))["data"]["include_byok_in_budgets"] is True
    assert ok(api("DELETE", f"{base}/monthly")) == {"deleted": True}  # a missing budget is deleted too


# --- access, faults, the log, the control interface and the state file ----------------------------------------


def test_new_paths_need_a_management_key(api, control):
    worker = control.seed(count=1)[0]["key"]
    for path in ("/guardrails", "/workspaces", "/organization/members", "/guardrails/assignments/members"):
        assert error(api("GET", path, key=None), 401) == "Missing Authentication header"
        assert error(api("GET", path, key=worker), 403) == "Only management keys can perform this operation"
    assert ok(api("GET", "/models", key=None))["total_count"] > 0  # the models list is public


def test_faults_and_the_log_cover_the_new_paths(api, control):
    control.add_fault(method="POST", path="^/guardrails$", action="apply_then_drop")
    with pytest.raises(requests.ConnectionError):
        api("POST", "/guardrails", json={"name": "lost"})
    assert [row["name"] for row in ok(api("GET", "/guardrails"))["data"]] == ["lost"]
    control.add_fault(
        method="PUT", path="^/workspaces/default/budgets/daily$", action="status", status=429, retry_after=1
    )
    response = api("PUT", "/workspaces/default/budgets/daily", json={"limit_usd": 1})
    assert error(response, 429) == "Rate limit exceeded" and response.headers["Retry-After"] == "1"
    log = control.requests()
    assert [(row["method"], row["path"], row["status"], row["fault"]) for row in log] == [
        ("POST", "/guardrails", None, "apply_then_drop"),
        ("GET", "/guardrails", 200, None),
        ("PUT", "/workspaces/default/budgets/daily", 429, "status"),
    ]


def test_control_seeding_and_reset(control):
    control.seed_members([{"id": "user_a", "email": "a@example.org", "first_name": "A", "role": "org:admin"}])
    spaces = control.seed_workspaces(
        [{"name": "One", "slug": "one", "members": ["user_a"]}, {"name": "Two", "slug": "two"}]
    )
    state = control.state()
    assert [state["workspaces"][space["id"]]["slug"] for space in spaces] == ["one", "two"]
    assert list(state["workspace_members"][spaces[0]["id"]]) == ["user_a"]
    with pytest.raises(urllib.error.HTTPError):
        control.seed_workspaces([{"name": "Three", "slug": "three"}, {"name": "Bad", "slug": "one"}])
    assert "three" not in [space["slug"] for space in control.state()["workspaces"].values()]  # all or nothing
    control.reset()
    state = control.state()
    assert [space["slug"] for space in state["workspaces"].values()] == ["default"]
    assert list(state["members"]) == ["user_admin"] and state["guardrails"] == {}


def test_state_file_keeps_everything(tmp_path, management_key):
    path = tmp_path / "state.json"
    first = emu.Emulator(management_key, str(path))
    auth = f"Bearer {management_key}"
    first.dispatch("POST", "/api/v1/workspaces", auth, json.dumps({"name": "Kept", "slug": "kept"}).encode())
    first.dispatch("POST", "/api/v1/guardrails", auth, json.dumps({"name": "kept", "workspace_id": "kept"}).encode())
    second = emu.Emulator(management_key, str(path))
    listed = json.loads(second.dispatch("GET", "/api/v1/guardrails?workspace_id=kept", auth, b"").body)
    assert [row["name"] for row in listed["data"]] == ["kept"]
