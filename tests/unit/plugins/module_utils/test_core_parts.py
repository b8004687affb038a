# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The core's generic pieces that workspaces brought: a lookup by a name the record path takes, Text's length and
pattern, the delete query, and the prepare()/finish() hooks around the record's own write."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.openrouter.provisioning.plugins.module_utils.client import OpenRouterClient
from ansible_collections.openrouter.provisioning.plugins.module_utils.converge import ResourceTask, find
from ansible_collections.openrouter.provisioning.plugins.module_utils.errors import PlanError
from ansible_collections.openrouter.provisioning.plugins.module_utils.resource import Field, Resource, Text
from ansible_collections.openrouter.provisioning.tests.unit.helpers import API

GADGET = Resource(
    "gadget",
    "/gadgets",
    [Field("slug", Text(max_length=5, pattern=r"^[a-z]+$", meaning="lowercase letters")), Field("note", Text())],
    name_field="slug",
    name_in_path=True,
)
RECORD = {"id": "g-1", "slug": "abc", "note": "x"}


def client():
    return OpenRouterClient(API, "sk-or-v1-core-parts-management-key-0123", retries=0)


def test_a_name_in_the_path_is_one_get_and_a_record_of_another_name_is_not_taken(http):
    http.get(API + "/gadgets/abc", json={"data": RECORD})
    http.get(API + "/gadgets/g-1", json={"data": RECORD})
    assert find(client(), GADGET, name="abc") == (RECORD, {"g-1"})
    assert find(client(), GADGET, name="g-1") == (None, set())


def test_text_checks_length_and_pattern():
    assert GADGET.problems({"slug": "abcdef"}) == ["slug must be at most 5 characters, got 6."]
    assert GADGET.problems({"slug": "AB"}) == ["slug must be lowercase letters, got 'AB'."]


class PartsTask(ResourceTask):
    delete_params = {"confirm": "true"}

    def prepare(self, current, step):
        self.seen = step.action
        if current and current["note"] == "locked":
            raise PlanError("locked", self.result)

    def finish(self, record):
        return dict(record, part=self.seen)


def test_prepare_sees_the_plan_before_any_write_and_finish_shapes_the_record(http):
    http.get(API + "/gadgets/abc", json={"data": RECORD})
    http.patch(API + "/gadgets/g-1", json={"data": dict(RECORD, note="y")})
    result = PartsTask(client(), GADGET, {"slug": "abc", "note": "y"}).run()
    assert result["gadget"] == dict(RECORD, note="y", part="update")
    http.get(API + "/gadgets/abc", json={"data": dict(RECORD, note="locked")})
    with pytest.raises(PlanError):
        PartsTask(client(), GADGET, {"slug": "abc", "note": "y"}).run()


def test_the_delete_sends_the_task_query(http):
    http.get(API + "/gadgets/abc", json={"data": RECORD})
    http.delete(API + "/gadgets/g-1?confirm=true", json={"deleted": True})
    assert PartsTask(client(), GADGET, {"slug": "abc"}, state="absent").run()["changed"]
