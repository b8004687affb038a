# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The generic pieces the guardrail added to the core: before_plan(), Text's length bound and SetOf's empty list."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.openrouter.provisioning.plugins.module_utils.converge import ResourceTask
from ansible_collections.openrouter.provisioning.plugins.module_utils.errors import PlanError
from ansible_collections.openrouter.provisioning.plugins.module_utils.resource import Field, Resource, SetOf, Text

THING = Resource("thing", "/things", [Field("name", Text(max_length=5)), Field("tags", SetOf(choices=("a", "b")))])


class Client:
    """Has the record /things/t-1, and refuses any other request."""

    def get_record(self, path):
        assert path == "/things/t-1"
        return {"id": "t-1", "name": "thing", "tags": ["A"]}


class UpperTags(ResourceTask):
    def before_plan(self, current):
        self.seen = current
        self.desired["tags"] = [tag.upper() for tag in self.desired["tags"]]


def test_before_plan_sees_the_current_record_and_adjusts_the_desired_fields():
    task = UpperTags(Client(), THING, THING.desired({"tags": ["a"]}), ref="t-1", check_mode=True)
    assert task.run()["changed"] is False
    assert task.seen["id"] == "t-1"


def test_before_plan_may_stop_the_run():
    class Refuse(ResourceTask):
        def before_plan(self, current):
            raise PlanError("no", self.result)

    with pytest.raises(PlanError):
        Refuse(Client(), THING, {}, ref="t-1").run()


def test_an_empty_set_is_sent_as_null_and_an_empty_item_is_refused():
    assert THING.desired({"tags": []}) == {"tags": None}
    assert THING.option_spec("tags") == {"tags": {"type": "list", "elements": "str", "choices": ["a", "b"]}}
    assert THING.problems({"tags": ["a", " "], "name": "toolong"}) == [
        "name must be at most 5 characters, got 7.",
        "tags must not hold an empty string.",
    ]
