# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A resource that exists only here gets find, plan, check mode, diff and apply from the core with no code of its own:
offset/limit paging with total_count, an id identity, a list compared as a set and a nested object."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest
from responses.matchers import query_param_matcher

from ansible_collections.openrouter.provisioning.plugins.module_utils.client import OpenRouterClient
from ansible_collections.openrouter.provisioning.plugins.module_utils.converge import ResourceTask
from ansible_collections.openrouter.provisioning.plugins.module_utils.errors import PlanError
from ansible_collections.openrouter.provisioning.plugins.module_utils.resource import (
    Field,
    Flag,
    Kind,
    Money,
    Nested,
    OffsetLimitPaging,
    Resource,
    SetOf,
    Text,
)
from ansible_collections.openrouter.provisioning.tests.unit.helpers import API

WIDGET = Resource(
    "widget",
    "/widgets",
    [
        Field("name", Text()),
        Field("tags", SetOf(), new=None),
        Field("settings", Nested(color=Kind(), budget=Money(unlimited=False)), new={"color": None, "budget": None}),
        Field("enabled", Flag(), new=True),
        Field("workspace_id", Text(), requests=("create",)),
    ],
    scope="workspace_id",
    paging=OffsetLimitPaging(100),
)
TARGET = {
    "id": "w-150",
    "name": "target",
    "tags": ["b", "a"],
    "settings": {"color": "red", "budget": 5},
    "enabled": True,
    "workspace_id": "ws",
}


def widget(number):
    return {"id": "w-%d" % number, "name": "other-%d" % number, "tags": None, "settings": None, "enabled": True}


def pages(http, records, total=None):
    """Serve the list as pages of 100 with total_count, as guardrails and workspaces do."""
    for offset in range(0, max(len(records), 1), 100):
        http.get(
            API + "/widgets",
            match=[query_param_matcher({"workspace_id": "ws", "offset": str(offset), "limit": "100"})],
            json={"data": records[offset : offset + 100], "total_count": len(records) if total is None else total},
        )


def converge(desired, check_mode=False, **options):
    client = OpenRouterClient(API, "sk-or-v1-toy-management-key-0123456789", retries=0)
    task = ResourceTask(
        client, WIDGET, WIDGET.desired(dict(desired, workspace_id="ws")), check_mode=check_mode, **options
    )
    return task.run()


def sent(http):
    return [
        (call.request.method, call.request.url[len(API) :].split("?")[0], json.loads(call.request.body or "null"))
        for call in http.calls
    ]


def test_a_record_on_the_second_page_that_matches_is_a_no_op(http):
    pages(http, [widget(number) for number in range(149)] + [TARGET])
    result = converge({"name": "target", "tags": ["a", "b", "a"], "settings": {"budget": 5.0}})
    assert result["changed"] is False
    assert result["widget"] == TARGET
    assert [method for method, _path, _body in sent(http)] == ["GET", "GET"]


def test_a_page_that_total_count_says_is_the_last_ends_the_listing(http):
    records = [widget(number) for number in range(100)]
    pages(http, records, total=100)
    assert converge({"name": "absent-one"}, check_mode=True)["changed"] is True


def test_check_mode_predicts_the_change_and_sends_no_write(http):
    pages(http, [TARGET])
    result = converge({"name": "target", "tags": ["c"], "settings": {"color": "blue"}}, check_mode=True)
    assert result["changed"] is True
    assert result["diff"] == {
        "before": {
            "name": "target",
            "tags": ["b", "a"],
            "settings": {"color": "red", "budget": 5.0},
            "workspace_id": "ws",
        },
        "after": {"name": "target", "tags": ["c"], "settings": {"color": "blue", "budget": 5.0}, "workspace_id": "ws"},
    }
    assert result["widget"]["settings"] == {"color": "blue", "budget": 5.0}
    assert [method for method, _path, _body in sent(http)] == ["GET"]


def test_apply_patches_only_what_differs_keeping_the_nested_members(http):
    pages(http, [TARGET])
    updated = dict(TARGET, settings={"color": "blue", "budget": 5.0})
    http.patch(API + "/widgets/w-150", json={"data": updated})
    result = converge({"name": "target", "tags": ["a", "b"], "settings": {"color": "blue"}})
    assert result["changed"] is True and result["widget"] == updated
    assert sent(http)[-1] == ("PATCH", "/widgets/w-150", {"settings": {"color": "blue", "budget": 5.0}})


def test_a_new_record_is_created_with_the_fields_create_accepts(http):
    pages(http, [])
    created = dict(TARGET, id="w-new", name="fresh", tags=["x"])
    http.post(API + "/widgets", status=201, json={"data": created})
    result = converge({"name": "fresh", "tags": ["x"]})
    assert result["changed"] is True and result["widget"] == created
    assert sent(http)[-1] == ("POST", "/widgets", {"name": "fresh", "tags": ["x"], "workspace_id": "ws"})
    assert result["diff"] == {"before": {}, "after": {"name": "fresh", "tags": ["x"], "workspace_id": "ws"}}


def test_check_mode_predicts_a_new_record_from_the_described_defaults(http):
    pages(http, [])
    result = converge({"name": "fresh"}, check_mode=True)
    assert result["widget"] == {
        "id": None,
        "name": "fresh",
        "tags": None,
        "settings": {"color": None, "budget": None},
        "enabled": True,
        "workspace_id": "ws",
    }


def test_a_record_is_deleted_by_id(http):
    pages(http, [TARGET])
    http.delete(API + "/widgets/w-150", json={"deleted": True})
    result = converge({"name": "target"}, state="absent")
    assert result["changed"] is True and result["widget"] == {}
    assert result["diff"]["after"] == {}


def test_a_record_found_by_id_is_read_directly(http):
    http.get(API + "/widgets/w-150", json={"data": TARGET})
    assert converge({"name": "target"}, ref="w-150")["changed"] is False


def test_an_ambiguous_name_fails_listing_the_candidates(http):
    pages(http, [TARGET, dict(TARGET, id="w-151")])
    with pytest.raises(PlanError) as caught:
        converge({"name": "target"})
    assert (
        str(caught.value)
        == "2 widgets are named 'target': w-150, w-151. Pass id to choose one, or delete the extra widgets."
    )


def test_a_fixed_field_that_differs_fails_naming_it(http):
    http.get(API + "/widgets/w-150", json={"data": dict(TARGET, workspace_id="ws-other")})
    with pytest.raises(PlanError) as caught:
        converge({"name": "target"}, ref="w-150")
    assert str(caught.value).startswith("workspace_id can't be changed on an existing widget")
    assert caught.value.result["changed"] is False


def test_a_nested_object_with_an_unknown_member_is_refused():
    assert WIDGET.problems({"settings": {"colour": "red"}}) == [
        "settings has unknown member(s) colour; the members are color, budget."
    ]
    assert WIDGET.problems({"settings": {"budget": -1}}) == [
        "settings.budget must be a number of USD (0 or more), got -1."
    ]
