# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""openrouter_key against the emulator: a key moved between workspaces in place, workspaces given by slug, and keys
made for a partner's end users (external_user, and the write-only external_api_key)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.openrouter.provisioning.plugins.modules import (
    openrouter_guardrail,
    openrouter_key,
    openrouter_key_info,
)

PARTNER_KEY = "pk-partner-0123456789abcdefghijklmnopqrstuv"


@pytest.fixture
def key(run_emulated, control):
    """Run openrouter_key (or another main) against the emulator; return (result, the requests it sent)."""

    def run_module(main=openrouter_key.main, **options):
        control.clear_requests()
        result = run_emulated(main, **options)
        return result, ["%s %s" % (call["method"], call["path"]) for call in control.requests()]

    return run_module


@pytest.fixture
def team(control):
    return control.seed_workspaces([{"name": "Team A", "slug": "team-a"}])[0]


def test_a_key_found_by_hash_moves_in_place_keeping_its_secret_and_guardrail(key, control, team):
    guardrail = key(openrouter_guardrail.main, name="budget", limit_usd=5, reset_interval="monthly")[0]["guardrail"]
    created = key(name="svc", guardrail=guardrail["id"])[0]
    key_hash = created["key"]["hash"]

    moved, calls = key(hash=key_hash, workspace_id=team["id"], diff=True)
    assert moved["changed"] and not moved["failed"]
    assert calls == ["GET /keys/%s" % key_hash, "PATCH /keys/%s" % key_hash]
    assert control.requests()[-1]["body"] == {"workspace_id": team["id"]}
    assert moved["key"]["hash"] == key_hash and moved["key"]["workspace_id"] == team["id"]
    assert moved["diff"]["after"] == {"workspace_id": team["id"]}
    assert "secret" not in moved

    state = control.state()
    assert [record["workspace_id"] for record in state["keys"]] == [team["id"]]
    assert created["secret"] in control.secrets()
    # The guardrail went with the key: asking for it again changes nothing.
    again, calls = key(hash=key_hash, workspace_id="team-a", guardrail=guardrail["id"])
    assert not again["changed"]
    assert "PATCH /keys/%s" % key_hash not in calls


def test_a_slug_costs_one_get_and_an_id_none(key, team):
    created, calls = key(name="svc", workspace_id="team-a")
    assert created["key"]["workspace_id"] == team["id"]
    assert calls[0] == "GET /workspaces/team-a"
    assert calls.count("GET /workspaces/team-a") == 1 and "POST /keys" in calls
    rerun_by_slug = key(name="svc", workspace_id="team-a")
    rerun_by_id = key(name="svc", workspace_id=team["id"])
    assert not rerun_by_slug[0]["changed"] and not rerun_by_id[0]["changed"]
    assert rerun_by_slug[1] == ["GET /workspaces/team-a"] + rerun_by_id[1]
    assert not any(call.startswith("GET /workspaces") for call in rerun_by_id[1])


def test_a_name_lookup_stays_in_its_workspace_and_never_moves_a_namesake(key, control, team):
    default = key(name="svc")[0]["key"]
    other, calls = key(name="svc", workspace_id="team-a")
    assert other["changed"] and "POST /keys" in calls and not any(call.startswith("PATCH") for call in calls)
    assert other["key"]["hash"] != default["hash"] and other["key"]["workspace_id"] == team["id"]
    assert sorted(record["workspace_id"] for record in control.state()["keys"]) == sorted(
        [default["workspace_id"], team["id"]]
    )


def test_an_unknown_slug_fails_before_any_write_naming_the_option(key, control):
    result, calls = key(name="svc", workspace_id="no-such-team")
    assert result["failed"]
    assert result["msg"].startswith("workspace_id 'no-such-team' is neither a workspace's id nor the slug")
    assert all(call.startswith("GET ") for call in calls) and "GET /keys" not in calls
    assert control.state()["keys"] == []


def test_a_check_run_predicts_a_key_in_a_workspace_an_earlier_task_would_create(key, control):
    result, calls = key(name="svc", workspace_id="no-such-team", check_mode=True)
    assert result["changed"] and not result.get("failed") and all(call.startswith("GET ") for call in calls)
    assert any("'no-such-team' is neither" in warning for warning in result["warnings"])
    info, _calls = key(openrouter_key_info.main, workspace_id="no-such-team", check_mode=True)
    assert info["api_keys"] == [] and info["warnings"]
    assert control.state()["keys"] == []


def test_a_workspace_that_is_neither_an_id_nor_a_slug_fails_before_any_request(key):
    result, calls = key(name="svc", workspace_id="Team A")
    assert result["failed"] and calls == []
    assert "workspace_id must be a workspace's id (a UUID) or its slug" in result["msg"]


def test_external_user_is_set_at_creation_and_replaced_only_with_recreate(key, control):
    created = key(name="svc", external_user="end-user-1", external_api_key=PARTNER_KEY, diff=True)[0]
    assert created["key"]["external_user"] == "end-user-1"
    post = [call for call in control.requests() if call["method"] == "POST"][0]
    assert post["body"]["external"] == {"user": "end-user-1", "api_key": PARTNER_KEY}
    assert "external_user" not in post["body"]

    assert not key(name="svc", external_user="end-user-1", external_api_key=PARTNER_KEY)[0]["changed"]
    refused, calls = key(name="svc", external_user="end-user-2")
    assert refused["failed"] and "external_user can't be changed on an existing key" in refused["msg"]
    assert all(call.startswith("GET ") for call in calls)

    replaced = key(name="svc", external_user="end-user-2", recreate="on_change", diff=True)[0]
    assert replaced["changed"] and replaced["previous_hash"] == created["key"]["hash"]
    assert replaced["key"]["external_user"] == "end-user-2"
    assert replaced["diff"]["before"]["external_user"] == "end-user-1"
    assert [record["external_user"] for record in control.state()["keys"]] == ["end-user-2"]


def test_external_api_key_is_never_in_a_result_or_diff(key):
    for options in (dict(check_mode=True), {}, dict(recreate="always")):
        result = key(name="svc", external_user="end-user-1", external_api_key=PARTNER_KEY, diff=True, **options)[0]
        assert result["changed"] and not result["failed"]
        assert PARTNER_KEY not in json.dumps(result)


@pytest.mark.parametrize(
    "options, message",
    [
        (dict(external_user="u", external_api_key="short"), "external_api_key must be at least 32 characters, got 5"),
        (dict(external_api_key=PARTNER_KEY), "external_api_key needs external_user"),
    ],
)
def test_a_bad_external_api_key_fails_before_any_request(key, options, message):
    result, calls = key(name="svc", **options)
    assert result["failed"] and calls == []
    assert message in result["msg"] and PARTNER_KEY not in result["msg"]
