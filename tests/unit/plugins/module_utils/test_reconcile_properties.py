# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Properties of the reconciler over random current and desired states."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.openrouter.provisioning.plugins.module_utils.key_resource import KEY
from ansible_collections.openrouter.provisioning.plugins.module_utils.reconcile import plan, predict

MANAGED = [name for name, field in KEY.fields.items() if not field.fixed]

SECRET_PREFIX = "sk-or-v1-"
limits = st.one_of(st.none(), st.floats(min_value=0, max_value=1e6, allow_nan=False), st.integers(0, 1000).map(float))
resets = st.sampled_from([None, "daily", "weekly", "monthly"])
names = st.text(min_size=1, max_size=8)
stamps = st.one_of(st.none(), st.sampled_from(["2027-01-01T00:00:00Z", "2028-06-30T12:00:00Z"]))
workspaces = st.sampled_from(["ws-a", "ws-b"])

records = st.fixed_dictionaries(
    {
        "hash": st.just("e" * 64),
        "name": names,
        "label": st.just(SECRET_PREFIX + "abc...1234"),
        "disabled": st.booleans(),
        "limit": limits,
        "limit_reset": resets,
        "include_byok_in_limit": st.booleans(),
        "expires_at": stamps,
        "creator_user_id": st.sampled_from([None, "user_1"]),
        "workspace_id": workspaces,
    }
)
wishes = st.fixed_dictionaries(
    {},
    optional={
        "name": names,
        "disabled": st.booleans(),
        "limit": limits,
        "limit_reset": resets,
        "include_byok_in_limit": st.booleans(),
        "expires_at": stamps,
        "creator_user_id": st.sampled_from(["user_1", "user_2"]),
        "workspace_id": workspaces,
    },
)


@settings(max_examples=300, deadline=None)
@given(current=st.one_of(st.none(), records), wanted=wishes, recreate=st.sampled_from(["never", "on_change", "always"]))
def test_applying_a_plan_converges(current, wanted, recreate):
    wanted.setdefault("name", "n")
    step = plan(KEY, current, wanted, recreate=recreate)
    if step.action == "fail":
        return
    after = dict(predict(KEY, current, step), hash="new" if step.action in ("create", "replace") else current["hash"])
    follow_up = plan(KEY, after, wanted, recreate="on_change")
    assert follow_up.action == "none", (current, wanted, step, follow_up)


@settings(max_examples=300, deadline=None)
@given(current=records, wanted=wishes)
def test_a_patch_carries_only_changed_fields_and_no_secret(current, wanted):
    step = plan(KEY, current, wanted, recreate="on_change")
    now = KEY.current(current)
    if step.action == "update":
        assert step.patch
        assert set(step.patch) <= set(MANAGED)
        assert all(now[field] != value for field, value in step.patch.items())
    for part in (step.body, step.patch, step.before, step.after):
        assert SECRET_PREFIX not in repr(part)
