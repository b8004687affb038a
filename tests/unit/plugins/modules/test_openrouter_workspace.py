# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""openrouter_workspace and openrouter_workspace_info, run in-process against the emulator (tests/emulator/)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.openrouter.provisioning.plugins.module_utils.workspaces import budget_order, order_problem
from ansible_collections.openrouter.provisioning.plugins.modules import openrouter_workspace, openrouter_workspace_info
from ansible_collections.openrouter.provisioning.tests.unit.helpers import API

MEMBERS = [{"id": "user_a"}, {"id": "user_b"}, {"id": "user_c"}]


@pytest.fixture
def workspace(run_emulated, control):
    """Run openrouter_workspace (or, with info=True, openrouter_workspace_info) against a fresh emulator."""
    control.seed_members(MEMBERS)

    def run_module(info=False, **options):
        module = openrouter_workspace_info if info else openrouter_workspace
        return run_emulated(module.main, **options)

    return run_module


def sent(control):  # pylint: disable=redefined-outer-name
    """The API requests since the last look, as 'METHOD /path', and clear the log."""
    calls = ["%s %s" % (call["method"], call["path"]) for call in control.requests()]
    control.clear_requests()
    return calls


TEAM = dict(slug="team-a", name="Team A", members=["user_a", "user_b"], budgets={"monthly": 500, "weekly": 100})


def test_create_then_rerun_reads_only(workspace, control):
    check = workspace(check_mode=True, diff=True, **TEAM)
    assert check["changed"] and not check["failed"], check.get("msg")
    # A 404 means "no such workspace" only once GET /key has shown api_url is OpenRouter's.
    assert sent(control) == ["GET /workspaces/team-a", "GET /key"]
    created = workspace(diff=True, **TEAM)
    assert created["changed"] and created["diff"] == check["diff"]
    assert created["diff"]["after"]["members"] == ["user_a", "user_b"]
    assert created["workspace"]["budgets"] == {"monthly": 500.0, "weekly": 100.0}
    ref = created["workspace"]["id"]
    assert sent(control) == [
        "GET /workspaces/team-a",
        "GET /key",
        "POST /workspaces",
        "POST /workspaces/%s/members/add" % ref,
        "PUT /workspaces/%s/budgets/monthly" % ref,
        "PUT /workspaces/%s/budgets/weekly" % ref,
    ]
    for key in ("name", "slug", "members", "budgets"):
        assert check["workspace"][key] == created["workspace"][key]
    again = workspace(**TEAM)
    assert not again["changed"]
    assert sent(control) == [
        "GET /workspaces/team-a",
        "GET /workspaces/%s/members" % ref,
        "GET /workspaces/%s/budgets" % ref,
    ]
    info = workspace(info=True, slug="team-a", members=True, budgets=True)
    assert info["workspaces"][0]["members"] == ["user_a", "user_b"]
    assert info["workspaces"][0]["budgets"] == {"monthly": 500.0, "weekly": 100.0}


def test_members_add_by_default_and_purge_removes(workspace, control):
    workspace(**TEAM)
    added = workspace(slug="team-a", members=["user_c"], diff=True)
    assert added["changed"] and added["workspace"]["members"] == ["user_a", "user_b", "user_c"]
    purged = workspace(slug="team-a", members=["user_c"], purge_members=True, diff=True)
    assert purged["diff"]["before"]["members"] == ["user_a", "user_b", "user_c"]
    assert purged["workspace"]["members"] == ["user_c"]
    sent(control)
    assert not workspace(slug="team-a", members=["user_c"], purge_members=True)["changed"]


def test_budgets_are_reordered_so_no_step_breaks_the_rule(workspace, control):
    created = workspace(**TEAM)
    ref = created["workspace"]["id"]
    sent(control)
    # weekly 100 -> 700 needs monthly raised first; lowering daily comes in any order.
    result = workspace(slug="team-a", budgets={"monthly": 1000, "weekly": 700})
    assert not result["failed"], result.get("msg")
    assert sent(control)[-2:] == ["PUT /workspaces/%s/budgets/monthly" % ref, "PUT /workspaces/%s/budgets/weekly" % ref]
    result = workspace(slug="team-a", budgets={"monthly": 50, "weekly": 20})
    assert not result["failed"], result.get("msg")
    assert sent(control)[-2:] == ["PUT /workspaces/%s/budgets/weekly" % ref, "PUT /workspaces/%s/budgets/monthly" % ref]
    purged = workspace(slug="team-a", budgets={"daily": 5}, purge_budgets=True)
    assert purged["workspace"]["budgets"] == {"daily": 5.0}
    assert sent(control)[2:] == [
        "DELETE /workspaces/%s/budgets/monthly" % ref,
        "DELETE /workspaces/%s/budgets/weekly" % ref,
        "PUT /workspaces/%s/budgets/daily" % ref,
    ]


def test_a_final_state_that_breaks_the_rule_fails_before_any_write(workspace, control):
    workspace(**TEAM)
    sent(control)
    result = workspace(slug="team-a", budgets={"daily": 200})
    assert result["failed"]
    assert "with the workspace's other budgets (monthly, weekly) kept" in result["msg"]
    assert "the weekly limit (100.0 USD) must be greater than the daily limit (200.0 USD)" in result["msg"]
    assert all(call.startswith("GET") for call in sent(control))


def test_include_byok_rides_on_a_budget_put(workspace, control):
    created = workspace(**TEAM)
    ref = created["workspace"]["id"]
    sent(control)
    result = workspace(slug="team-a", include_byok_in_budgets=True)
    assert result["changed"] and result["workspace"]["include_byok_in_budgets"] is True
    assert sent(control)[-1] == "PUT /workspaces/%s/budgets/monthly" % ref
    assert control.state()["budgets"][ref]["monthly"]["limit_usd"] == 500.0
    assert not workspace(slug="team-a", include_byok_in_budgets=True)["changed"]
    failed = workspace(slug="team-b", include_byok_in_budgets=True)
    assert failed["failed"] and "give budgets too" in failed["msg"]


def test_update_patches_only_what_differs_and_renames_by_id(workspace, control):
    ref = workspace(**TEAM)["workspace"]["id"]
    sent(control)
    result = workspace(id=ref, slug="team-alpha", description="Alpha", disabled_server_tools=["openrouter:bash"])
    assert result["changed"] and result["workspace"]["slug"] == "team-alpha"
    assert control.requests()[-1]["body"] == {
        "slug": "team-alpha",
        "description": "Alpha",
        "disabled_server_tools": ["openrouter:bash"],
    }
    assert not workspace(slug="team-alpha", disabled_server_tools=["openrouter:bash"])["changed"]


def test_absent_with_active_keys_fails_naming_how_many(workspace, control):
    ref = workspace(**TEAM)["workspace"]["id"]
    control.seed(keys=[{"name": "live", "workspace_id": ref}, {"name": "off", "workspace_id": ref, "disabled": True}])
    sent(control)
    result = workspace(slug="team-a", state="absent")
    assert result["failed"] and not result["changed"] and "still has 1 active API key(s)" in result["msg"]
    assert all(call.startswith("GET") for call in sent(control))
    # A check run can't know whether an earlier task of the run would retire the key: it predicts, with a warning.
    check = workspace(slug="team-a", state="absent", check_mode=True)
    assert check["changed"] and not check["failed"]
    assert any("still has 1 active API key(s)" in warning for warning in check["warnings"])


def test_absent_deletes_then_is_a_no_op(workspace, control):
    ref = workspace(**TEAM)["workspace"]["id"]
    sent(control)
    check = workspace(slug="team-a", state="absent", check_mode=True)
    assert check["changed"] and all(call.startswith("GET") for call in sent(control))
    assert workspace(slug="team-a", state="absent")["changed"]
    assert sent(control)[-1] == "DELETE /workspaces/%s" % ref
    assert not workspace(slug="team-a", state="absent")["changed"]
    assert sent(control) == ["GET /workspaces/team-a", "GET /key"]


def test_the_default_workspace_needs_the_confirmation(workspace, control):
    refused = workspace(slug="default", state="absent")
    assert refused["failed"] and "confirm_default_workspace_deletion" in refused["msg"]
    assert workspace(slug="default", state="absent", confirm_default_workspace_deletion=True)["changed"]
    assert control.requests()[-1]["query"] == {"confirm_default_workspace_deletion": "true"}


def test_a_missing_id_fails_and_never_creates(workspace, control):
    result = workspace(id="00000000-0000-4000-8000-00000000dead", slug="x")
    assert result["failed"] and "never creates a workspace in place of a given id" in result["msg"]
    assert sent(control) == ["GET /workspaces/00000000-0000-4000-8000-00000000dead", "GET /key"]


def test_info_lists_every_page(workspace, control):
    control.seed_workspaces([{"name": "W %d" % number, "slug": "w-%d" % number} for number in range(120)])
    sent(control)
    result = workspace(info=True)
    assert len(result["workspaces"]) == 121
    assert sent(control) == ["GET /workspaces", "GET /workspaces"]
    assert workspace(info=True, slug="nope")["workspaces"] == []


@pytest.mark.parametrize(
    "options, message",
    [
        ({"slug": "Team A"}, "slug must be lowercase letters and digits in segments joined by single hyphens"),
        ({"slug": "t", "budgets": {"yearly": 5}}, "budgets has the unknown interval 'yearly'"),
        ({"slug": "t", "budgets": {"monthly": 0}}, "budgets.monthly must be greater than 0"),
        ({"slug": "t", "budgets": {"monthly": "lots"}}, "budgets.monthly must be a number of USD (0 or more)"),
        (
            {"slug": "t", "budgets": {"monthly": 500, "weekly": 600}},
            "budgets: the monthly limit (500.0 USD) must be greater than the weekly limit (600.0 USD)",
        ),
        ({"slug": "t", "purge_members": True}, "purge_members needs members"),
        ({"slug": "t", "io_logging_sampling_rate": 2}, "io_logging_sampling_rate must be a number from 0.0001 to 1"),
        ({"slug": "t", "name": "x" * 101}, "name must be at most 100 characters, got 101."),
        ({"slug": "t", "members": [" "]}, "members must hold organisation user ids"),
    ],
)
def test_bad_input_fails_with_zero_requests(run, http, options, message):
    result = run(openrouter_workspace.main, **options)
    assert result["failed"] and message in result["msg"], result["msg"]
    assert len(http.calls) == 0
    assert API


def test_budget_order_finds_a_valid_order_for_every_pair_of_valid_states():
    import itertools

    states = []
    for values in itertools.product([None, 1, 2, 3, 4], repeat=4):
        state = dict((i, v) for i, v in zip(("lifetime", "monthly", "weekly", "daily"), values) if v is not None)
        if order_problem(state) is None:
            states.append(state)
    for now in states:
        for final in states:
            kept = dict((i, v) for i, v in now.items() if i in final)
            puts = dict((i, v) for i, v in final.items() if now.get(i) != v)
            order = budget_order(kept, puts)
            for interval in order:
                kept[interval] = puts[interval]
                assert order_problem(kept) is None
            assert kept == final


GUARD = {"limit_usd": 10, "reset_interval": "monthly", "allowed_models": ["openai/gpt-4o"], "enforce_zdr": True}


def test_default_guardrail_is_materialised_by_one_patch_and_compared_as_canonical_slugs(workspace, control):
    check = workspace(slug="team-g", default_guardrail=GUARD, check_mode=True, diff=True)
    assert check["changed"] and not check["failed"], check.get("msg")
    assert [call for call in sent(control) if not call.startswith("GET")] == []
    created = workspace(slug="team-g", default_guardrail=GUARD, diff=True)
    guardrail_id = created["workspace"]["default_guardrail_id"]
    assert sent(control) == [
        "GET /workspaces/team-g",
        "GET /key",
        "POST /workspaces",
        "GET /models",
        "PATCH /guardrails/" + guardrail_id,
    ]
    assert created["diff"] == check["diff"]
    guardrail = created["workspace"]["default_guardrail"]
    assert guardrail["allowed_models"] == ["openai/gpt-4o-2024-05-13"] and guardrail["enforce_zdr_openai"] is True
    again = workspace(slug="team-g", default_guardrail=GUARD)
    assert not again["changed"]
    assert all(call.startswith("GET") for call in sent(control))
    changed = workspace(slug="team-g", default_guardrail={"limit_usd": 20}, diff=True)
    assert changed["diff"]["before"]["default_guardrail"] == {"limit_usd": 10.0}
    assert control.requests()[-1]["body"] == {"limit_usd": 20.0}


def test_a_default_guardrail_s_misspelled_model_is_warned_about_under_its_option(workspace):
    result = workspace(slug="team-w", default_guardrail={"allowed_models": ["openai/gpt-4o", "openai/gtp-4o"]})
    assert result["changed"] and not result["failed"], result
    assert result["warnings"] == [
        "default_guardrail.allowed_models names 'openai/gtp-4o', which GET /models lists by neither slug nor canonical "
        "slug. Check the spelling: a misspelled model matches no request."
    ]
    assert "warnings" not in workspace(slug="team-w", default_guardrail=GUARD)


def test_default_guardrail_with_no_rules_set_needs_no_patch(workspace, control):
    workspace(slug="team-h")
    sent(control)
    result = workspace(slug="team-h", default_guardrail={"allowed_models": []})
    assert not result["changed"], result
    assert all(call.startswith("GET") for call in sent(control))


def test_a_bad_default_guardrail_fails_with_zero_requests(run, http):
    result = run(openrouter_workspace.main, slug="t", default_guardrail={"name": "x", "limit_usd": -1})
    assert (
        result["failed"]
        and "default_guardrail: unknown option name. Supported parameters include: allow" in result["msg"]
    ), result["msg"]
    result = run(openrouter_workspace.main, slug="t", default_guardrail={"limit_usd": -5, "reset_interval": "daily"})
    assert result["failed"] and "default_guardrail.limit_usd must be a number of USD" in result["msg"], result["msg"]
    assert len(http.calls) == 0


def test_a_create_diff_has_an_empty_before(workspace):
    result = workspace(check_mode=True, diff=True, default_guardrail=GUARD, **TEAM)
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["default_guardrail"]["limit_usd"] == 10.0


def test_a_refused_plan_reports_no_change(workspace):
    workspace(**TEAM)
    result = workspace(slug="team-a", description="new", budgets={"daily": 200})
    assert result["failed"] and result["changed"] is False
