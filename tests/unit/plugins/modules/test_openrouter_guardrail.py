# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""openrouter_guardrail and openrouter_guardrail_info end to end inside the process, against the emulator, whose model
slugs differ from their canonical slugs. Reruns must change nothing and only read."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.openrouter.provisioning.plugins.modules import (
    openrouter_guardrail,
    openrouter_guardrail_info,
    openrouter_key,
    openrouter_key_info,
)

FULL = dict(
    name="team",
    description="the team's budget",
    limit_usd=30,
    reset_interval="monthly",
    allowed_providers=["openai", "anthropic"],
    ignored_providers=["deepinfra"],
    allowed_models=["openai/gpt-4o", "anthropic/claude-sonnet-4"],
    ignored_models=["openai/gpt-4o-mini"],
    allowed_data_regions=["europe", "us"],
    content_filters=[{"pattern": "ACME-[0-9]{6}", "action": "redact", "label": "[TICKET]"}],
    content_filter_builtins=[
        {"slug": "email", "action": "redact"},
        {"slug": "regex-prompt-injection", "action": "block"},
    ],
    enforce_zdr=True,
    enforce_zdr_openai=False,
    enable_free_model_publication=False,
    enable_free_model_training=False,
    enable_paid_model_training=False,
    allow_safety_retention_google=True,
    allow_safety_retention_other=False,
    include_byok_in_budgets=True,
)


@pytest.fixture
def guardrail(run_emulated, control):
    """Run openrouter_guardrail (or another main) against the emulator; return (result, requests it sent)."""

    def run_module(main=openrouter_guardrail.main, **options):
        control.clear_requests()
        result = run_emulated(main, **options)
        return result, ["%s %s" % (call["method"], call["path"]) for call in control.requests()]

    return run_module


def reads_only(calls):
    return all(call.startswith("GET ") for call in calls)


def test_create_with_every_field_then_a_rerun_and_a_check_run_change_nothing(guardrail):
    predicted, calls = guardrail(check_mode=True, diff=True, **FULL)
    assert predicted["changed"] and reads_only(calls)
    created, calls = guardrail(diff=True, **FULL)
    assert created["changed"] and not created["failed"]
    assert created["diff"] == predicted["diff"]
    record = created["guardrail"]
    assert record["allowed_models"] == ["openai/gpt-4o-2024-05-13", "anthropic/claude-4-sonnet-20250522"]
    assert record["enforce_zdr_openai"] is False and record["enforce_zdr_xai"] is True
    assert record["enforce_zdr"] is None, "the deprecated switch is never sent"
    assert calls == ["GET /guardrails", "GET /models", "POST /guardrails"]
    for check_mode in (True, False):
        again, calls = guardrail(check_mode=check_mode, **FULL)
        assert again["changed"] is False, again
        assert calls == ["GET /guardrails", "GET /models"], "slugs that differ as written are looked up"
    canonical = dict(FULL, allowed_models=record["allowed_models"], ignored_models=record["ignored_models"])
    again, calls = guardrail(**canonical)
    assert again["changed"] is False
    assert calls == ["GET /guardrails"], "a model list equal to the stored one as written is not looked up"


def test_an_update_patches_only_what_differs(guardrail):
    guardrail(**FULL)
    wanted = dict(FULL, limit_usd=40, allowed_models=["openai/gpt-4o"], content_filter_builtins=[])
    predicted, _calls = guardrail(check_mode=True, diff=True, **wanted)
    updated, calls = guardrail(diff=True, **wanted)
    assert updated["changed"] and updated["diff"] == predicted["diff"]
    assert calls == ["GET /guardrails", "GET /models", "PATCH /guardrails/%s" % updated["guardrail"]["id"]]
    assert updated["diff"]["after"]["allowed_models"] == ["openai/gpt-4o-2024-05-13"]
    assert updated["guardrail"]["content_filter_builtins"] is None
    assert guardrail(**wanted)[0]["changed"] is False


def test_a_model_that_get_models_does_not_list_is_warned_about_in_both_modes(guardrail):
    # By slug, by canonical slug and misspelled: only the misspelled ones are named, each time the list is looked up.
    wanted = dict(
        name="typo",
        allowed_models=["openai/gpt-4o", "anthropic/claude-4-sonnet-20250522", "openai/gtp-4o"],
        ignored_models=["openai/gpt-4o-mini", "nobody/nothing"],
    )
    for check_mode in (True, False):
        result, _calls = guardrail(check_mode=check_mode, **wanted)
        assert result["changed"] and not result["failed"], result
        assert result["warnings"] == [
            "allowed_models names 'openai/gtp-4o', which GET /models lists by neither slug nor canonical slug. Check "
            "the spelling: a misspelled model matches no request.",
            "ignored_models names 'nobody/nothing', which GET /models lists by neither slug nor canonical slug. Check "
            "the spelling: a misspelled model matches no request.",
        ]
    assert "warnings" not in guardrail(**FULL)[0], "models that GET /models lists give no warning"


def test_assignments_add_move_and_purge_with_one_bulk_call_each(guardrail, control):
    keys = control.seed(count=3, name_prefix="gk-")
    by_name = dict((key["name"], key["hash"]) for key in keys)
    hashes = sorted(by_name.values())
    other, _calls = guardrail(name="other", keys=["gk-0"])
    first, calls = guardrail(name="team", keys=["gk-0", "gk-1", by_name["gk-2"]], diff=True)
    assert first["changed"]
    assert first["guardrail"]["key_hashes"] == hashes
    assert first["diff"]["after"]["keys_moved_from"] == {by_name["gk-0"]: other["guardrail"]["id"]}
    team_id = first["guardrail"]["id"]
    assert calls == [
        "GET /guardrails",
        "POST /guardrails",
        "GET /guardrails/assignments/keys",
        "GET /keys",
        "POST /guardrails/%s/assignments/keys" % team_id,
    ]
    again, calls = guardrail(name="team", keys=hashes)
    assert again["changed"] is False and calls == ["GET /guardrails", "GET /guardrails/assignments/keys"]
    kept, calls = guardrail(name="team", keys=[hashes[0]])
    assert kept["changed"] is False and kept["guardrail"]["key_hashes"] == hashes, "without purge nothing is removed"
    purged, calls = guardrail(name="team", keys=[hashes[0]], purge_keys=True, diff=True)
    assert purged["changed"] and purged["guardrail"]["key_hashes"] == [hashes[0]]
    assert calls[-1] == "POST /guardrails/%s/assignments/keys/remove" % team_id
    info, calls = guardrail(openrouter_guardrail_info.main, name="team", assignments=True)
    assert info["guardrails"][0]["key_hashes"] == [hashes[0]]
    assert info["guardrails"][0]["member_user_ids"] == []


def test_members_are_assigned_and_purged(guardrail, control):
    control.seed_members([{"id": "user_a"}, {"id": "user_b"}])
    result, _calls = guardrail(name="team", members=["user_a", "user_b"])
    assert result["guardrail"]["member_user_ids"] == ["user_a", "user_b"]
    result, _calls = guardrail(name="team", members=["user_b"], purge_members=True, check_mode=True)
    assert result["changed"] and result["guardrail"]["member_user_ids"] == ["user_b"]
    result, calls = guardrail(name="team", members=["user_b"], purge_members=True)
    assert result["changed"] and calls[-1].endswith("/assignments/members/remove")
    assert guardrail(name="team", members=["user_b"], purge_members=True)[0]["changed"] is False


def test_an_ambiguous_key_name_or_an_unknown_key_fails_naming_it(guardrail, control):
    control.seed(keys=[{"name": "twin"}, {"name": "twin"}])
    result, calls = guardrail(name="team", keys=["twin", "nobody"])
    assert result["failed"]
    where = "workspace %s" % result["guardrail"]["workspace_id"]
    assert "2 keys are named 'twin' in %s" % where in result["msg"]
    assert "keys lists 'nobody', but no key in %s has that hash or name." % where in result["msg"]
    assert "POST /guardrails" in calls, "the guardrail is created before its keys are resolved"
    assert result["guardrail"]["name"] == "team"


def test_a_check_run_predicts_keys_that_an_earlier_task_would_create(guardrail):
    result, calls = guardrail(name="team", keys=["not-yet"], check_mode=True)
    assert not result["failed"] and result["changed"] and reads_only(calls)
    assert any("'not-yet', which no key" in warning for warning in result["warnings"])
    real, _calls = guardrail(name="team", keys=["not-yet"])
    assert real["failed"] and "keys lists 'not-yet', but no key" in real["msg"]


def test_limit_and_interval_must_end_up_together(guardrail):
    guardrail(name="team", limit_usd=5, reset_interval="daily")
    result, calls = guardrail(name="team", limit_usd="unlimited")
    assert result["failed"] and calls == ["GET /guardrails"]
    assert "would have reset_interval 'daily' but no limit_usd" in result["msg"]
    assert "reset_interval: none" in result["msg"]
    result, calls = guardrail(name="fresh", limit_usd=5)
    assert result["failed"] and "Give reset_interval (daily, weekly or monthly) too." in result["msg"]
    cleared, _calls = guardrail(name="team", limit_usd="unlimited", reset_interval="none")
    assert cleared["changed"] and cleared["guardrail"]["limit_usd"] is None
    assert guardrail(name="team", limit_usd="unlimited", reset_interval="none")[0]["changed"] is False


def test_a_workspace_change_fails_and_says_so(guardrail, control):
    workspace = control.seed_workspaces([{"name": "Team", "slug": "team"}])[0]
    created, _calls = guardrail(name="team")
    result, calls = guardrail(id=created["guardrail"]["id"], workspace_id=workspace["id"])
    assert result["failed"] and reads_only(calls)
    assert result["msg"].startswith("workspace_id can't be changed on an existing guardrail")


@pytest.mark.parametrize(
    "options, message",
    [
        (dict(limit_usd="unlimited", reset_interval="daily"), "would have reset_interval 'daily' but no limit_usd"),
        (dict(limit_usd=-1), "limit_usd must be a number of USD (0 or more) or 'unlimited', got -1."),
        (dict(name="x" * 201), "name must be at most 200 characters, got 201."),
        (dict(allowed_providers=[""]), "allowed_providers must not hold an empty string."),
        (dict(keys=["gk", " "]), "keys must not hold an empty entry."),
        (dict(purge_keys=True), "purge_keys needs keys"),
        (
            dict(content_filter_builtins=[{"slug": "email", "action": "redact"}] * 2),
            "content_filter_builtins lists email more than once",
        ),
        (
            dict(content_filter_builtins=[{"slug": "email", "action": "redact", "scan_scope": "user_only"}]),
            "content_filter_builtins[0].scan_scope applies only to regex-prompt-injection",
        ),
        (
            dict(content_filters=[{"pattern": "x", "action": "redact", "label": "l" * 101}]),
            "content_filters[0].label must be at most 100 characters",
        ),
    ],
)
def test_bad_input_fails_before_any_request(guardrail, options, message):
    result, calls = guardrail(**dict(dict(name="team"), **options))
    assert result["failed"] and message in result["msg"]
    assert calls == []


def test_delete_then_info_by_id_is_empty(guardrail):
    created, _calls = guardrail(name="gone")
    deleted, calls = guardrail(name="gone", state="absent")
    assert deleted["changed"] and calls[-1] == "DELETE /guardrails/%s" % created["guardrail"]["id"]
    assert guardrail(name="gone", state="absent")[0]["changed"] is False
    info, calls = guardrail(openrouter_guardrail_info.main, id=created["guardrail"]["id"])
    assert info["guardrails"] == [] and calls == ["GET /guardrails/%s" % created["guardrail"]["id"], "GET /key"]


def test_a_key_takes_its_guardrail_by_name_moves_and_leaves(guardrail):
    team = guardrail(name="team")[0]["guardrail"]["id"]
    other = guardrail(name="other")[0]["guardrail"]["id"]
    key_options = dict(main=openrouter_key.main, name="dev", limit=1)
    created, calls = guardrail(guardrail="team", diff=True, **key_options)
    assert created["changed"] and created["secret"] and created["key"]["guardrail_id"] == team
    assert created["diff"]["before"] == {}
    assert calls[-1] == "POST /guardrails/%s/assignments/keys" % team
    again, calls = guardrail(guardrail=team, **key_options)
    assert again["changed"] is False
    assert calls == [
        "GET /keys",
        "GET /guardrails/assignments/keys",
    ], "a key that holds the guardrail given by id costs one read"
    moved, calls = guardrail(guardrail="other", check_mode=True, diff=True, **key_options)
    assert moved["changed"] and reads_only(calls)
    assert moved["diff"] == {
        "before": {"name": "dev", "limit": 1.0, "guardrail_id": team},
        "after": {"name": "dev", "limit": 1.0, "guardrail_id": other},
    }
    left, calls = guardrail(guardrail="", **key_options)
    assert left["changed"] and calls[-1] == "POST /guardrails/%s/assignments/keys/remove" % team
    assert guardrail(guardrail="", **key_options)[0]["changed"] is False
    missing, _calls = guardrail(guardrail="nobody", **key_options)
    assert missing["failed"] and "guardrail 'nobody' matches no guardrail in workspace" in missing["msg"]


def test_a_new_key_under_a_guardrail_by_id_costs_no_listing(guardrail, control):
    team = guardrail(name="team")[0]["guardrail"]["id"]
    created, calls = guardrail(openrouter_key.main, name="fresh", guardrail=team)
    assert created["changed"] and created["key"]["guardrail_id"] == team
    assert calls == [
        "GET /keys",
        "GET /guardrails/%s" % team,
        "POST /keys",
        "POST /guardrails/%s/assignments/keys" % team,
    ], "a key created under a guardrail given by id: found first, no read of the assignments, no listing"
    workspace = control.seed_workspaces([{"slug": "elsewhere", "name": "Elsewhere"}])[0]["id"]
    theirs = guardrail(name="theirs", workspace_id=workspace)[0]["guardrail"]["id"]
    wrong, calls = guardrail(openrouter_key.main, name="fresh", guardrail=theirs)
    assert wrong["failed"] and "guardrail %r matches no guardrail in workspace" % theirs in wrong["msg"]
    assert reads_only(calls)


def test_a_new_key_under_a_guardrail_that_does_not_exist_is_not_created(guardrail, control):
    for ref in ("nobody", "00000000-0000-4000-8000-00000000dead"):
        failed, calls = guardrail(openrouter_key.main, name="orphan", guardrail=ref)
        assert failed["failed"] and not failed["changed"], failed
        assert "guardrail %r matches no guardrail in the default workspace" % ref in failed["msg"]
        assert "secret" not in failed and reads_only(calls), "found before the create, so nothing to lose"
    assert control.keys() == []


def test_a_guardrail_id_of_another_workspace_for_a_new_key_fails_with_the_secret_kept(guardrail, control):
    # The default workspace's id is only known once the key exists, so this one case is found out after the create.
    workspace = control.seed_workspaces([{"slug": "elsewhere", "name": "Elsewhere"}])[0]["id"]
    theirs = guardrail(name="theirs", workspace_id=workspace)[0]["guardrail"]["id"]
    failed, calls = guardrail(openrouter_key.main, name="misplaced", guardrail=theirs)
    assert failed["failed"] and "guardrail %r matches no guardrail in workspace" % theirs in failed["msg"]
    assert failed["changed"] and failed["secret"] == control.secrets()[-1]
    assert calls[-2:] == ["POST /keys", "GET /guardrails"] and not any("assignments" in call for call in calls)


def test_a_check_run_predicts_a_guardrail_that_an_earlier_task_would_create(guardrail):
    predicted, calls = guardrail(openrouter_key.main, name="later", guardrail="new-team", check_mode=True, diff=True)
    assert predicted["changed"] and not predicted["failed"] and reads_only(calls), predicted
    assert predicted["diff"]["after"]["guardrail_id"] == "(guardrail named new-team)"
    assert predicted["warnings"] == [
        "guardrail 'new-team' matches no guardrail in the default workspace yet; the real run fails unless an "
        "earlier task creates it."
    ]
    team = guardrail(name="new-team")[0]["guardrail"]["id"]
    created, _calls = guardrail(openrouter_key.main, name="later", guardrail="new-team")
    assert created["changed"] and created["key"]["guardrail_id"] == team and "warnings" not in created


def test_key_info_gives_each_key_its_guardrail_id_from_one_read_of_the_assignments(guardrail):
    team = guardrail(name="team")[0]["guardrail"]["id"]
    for name, held in (("held", "team"), ("free", None)):
        guardrail(openrouter_key.main, name=name, **({"guardrail": held} if held else {}))
    info, calls = guardrail(openrouter_key_info.main, include_guardrail=True, check_mode=True)
    assert dict((record["name"], record["guardrail_id"]) for record in info["api_keys"]) == {"held": team, "free": None}
    assert calls == ["GET /keys", "GET /guardrails/assignments/keys"]
    plain, calls = guardrail(openrouter_key_info.main)
    assert all("guardrail_id" not in record for record in plain["api_keys"]) and calls == ["GET /keys"]
    none, calls = guardrail(openrouter_key_info.main, name="nobody", include_guardrail=True)
    assert none["api_keys"] == [] and calls == ["GET /keys"], "no key read, no assignments read"


# A workspace given by its slug: resolved to its id with one GET, as openrouter_key resolves it.
@pytest.fixture
def team(control):
    return control.seed_workspaces([{"name": "Team A", "slug": "team-a"}])[0]


def test_a_guardrail_created_by_slug_lands_in_that_workspace_and_a_rerun_only_reads(guardrail, control, team):
    default = guardrail(name="budget")[0]["guardrail"]
    created, calls = guardrail(name="budget", workspace_id="team-a", limit_usd=5, reset_interval="daily")
    assert created["changed"] and not created["failed"]
    assert created["guardrail"]["workspace_id"] == team["id"] and created["guardrail"]["id"] != default["id"]
    assert calls == ["GET /workspaces/team-a", "GET /guardrails", "POST /guardrails"]
    assert control.requests()[1]["query"]["workspace_id"] == team["id"]
    assert control.requests()[-1]["body"]["workspace_id"] == team["id"]
    assert sorted(record["workspace_id"] for record in control.state()["guardrails"].values()) == sorted(
        [default["workspace_id"], team["id"]]
    )
    rerun_by_slug = guardrail(name="budget", workspace_id="team-a", limit_usd=5, reset_interval="daily")
    rerun_by_id = guardrail(name="budget", workspace_id=team["id"], limit_usd=5, reset_interval="daily")
    assert not rerun_by_slug[0]["changed"] and not rerun_by_id[0]["changed"]
    assert rerun_by_slug[1] == ["GET /workspaces/team-a"] + rerun_by_id[1] and reads_only(rerun_by_slug[1])
    assert not any(call.startswith("GET /workspaces") for call in rerun_by_id[1])
    by_id = guardrail(id=created["guardrail"]["id"], workspace_id="team-a")[0]
    assert not by_id["changed"] and not by_id["failed"], "the slug's id is the guardrail's workspace_id"


def test_an_unknown_slug_fails_naming_the_option_with_no_write(guardrail, control):
    result, calls = guardrail(name="budget", workspace_id="no-such-team")
    assert result["failed"]
    assert result["msg"].startswith("workspace_id 'no-such-team' is neither a workspace's id nor the slug")
    # The 404 of the slug, confirmed as "missing" by GET /key, and nothing after it.
    assert calls == ["GET /workspaces/no-such-team", "GET /key"]
    assert control.state()["guardrails"] == {}


def test_a_check_run_predicts_a_guardrail_in_a_workspace_an_earlier_task_would_create(guardrail, control):
    result, calls = guardrail(name="budget", workspace_id="no-such-team", check_mode=True)
    assert result["changed"] and not result.get("failed") and reads_only(calls)
    assert result["guardrail"] == {}
    assert any("'no-such-team' is neither" in warning for warning in result["warnings"])
    absent = guardrail(name="budget", workspace_id="no-such-team", state="absent", check_mode=True)[0]
    assert absent["changed"] is False and absent["warnings"]
    info, calls = guardrail(openrouter_guardrail_info.main, workspace_id="no-such-team", check_mode=True)
    assert info["guardrails"] == [] and info["warnings"] and reads_only(calls)
    assert control.state()["guardrails"] == {}


def test_info_by_slug_lists_that_workspace_s_guardrails(guardrail, team):
    guardrail(name="elsewhere")
    mine = guardrail(name="mine", workspace_id=team["id"])[0]["guardrail"]
    info, calls = guardrail(openrouter_guardrail_info.main, workspace_id="team-a")
    assert [record["id"] for record in info["guardrails"]] == [mine["id"]]
    assert calls == ["GET /workspaces/team-a", "GET /guardrails"]
    missing, calls = guardrail(openrouter_guardrail_info.main, workspace_id="no-such-team")
    assert missing["failed"] and "workspace_id 'no-such-team' is neither" in missing["msg"]
    assert calls == ["GET /workspaces/no-such-team", "GET /key"]


@pytest.mark.parametrize("main", [openrouter_guardrail.main, openrouter_guardrail_info.main])
def test_a_workspace_that_is_neither_an_id_nor_a_slug_fails_before_any_request(guardrail, main):
    result, calls = guardrail(main, name="budget", workspace_id="Team A")
    assert result["failed"] and calls == []
    assert "workspace_id must be a workspace's id (a UUID) or its slug" in result["msg"]


def test_a_key_moved_to_another_workspace_still_holds_its_guardrail_by_id(guardrail, control):
    team = guardrail(name="team")[0]["guardrail"]["id"]
    key_hash = guardrail(openrouter_key.main, name="mover", guardrail=team)[0]["key"]["hash"]
    elsewhere = control.seed_workspaces([{"slug": "elsewhere", "name": "Elsewhere"}])[0]["id"]
    assert guardrail(openrouter_key.main, hash=key_hash, workspace_id=elsewhere)[0]["changed"]
    kept, calls = guardrail(openrouter_key.main, hash=key_hash, guardrail=team)
    assert kept["changed"] is False and kept["key"]["guardrail_id"] == team
    assert calls == ["GET /keys/%s" % key_hash, "GET /guardrails/assignments/keys"]
