# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure planning for one record of any resource: from the current record and the desired fields to a plan. No I/O."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class Plan:
    """What to do about one record. action is one of none, create, update, replace, delete, fail.

    body is the create request's body; patch is the update request's body (after a create: the fields only an update
    accepts); before and after are the diff of the fields the user gave.
    """

    def __init__(self, action, before=None, after=None, body=None, patch=None, reason=None):
        self.action = action
        self.before = before or {}
        self.after = after or {}
        self.body = body
        self.patch = patch
        self.reason = reason

    @property
    def changed(self):
        return self.action in ("create", "update", "replace", "delete")

    @property
    def diff(self):
        return {"before": self.before, "after": self.after}

    def __repr__(self):
        return "Plan(%s)" % ", ".join("%s=%r" % item for item in sorted(vars(self).items()) if item[1])


def _new_record_requests(resource, values):
    """The create body and the follow-up patch that give a new record these values."""
    new = resource.new_record()
    body, patch = {}, {}
    for name, value in values.items():
        field = resource.fields[name]
        if "create" in field.requests:
            if value is not None:
                body[name] = value
        elif name in new and field.kind.differs(new[name], value):
            patch[name] = value
    return body, patch or None


def plan(resource, current, desired, state="present", recreate="never", ref=None):
    """Plan how to make `current` (a record, or None when there is none) match `desired`.

    `desired` holds only the fields the user gave, normalised by resource.desired(); other fields are left alone.
    `ref` is the identity the user looked the record up by, if any. `recreate` says what a fixed field that differs
    does: never (fail), on_change (replace the record) or always (replace it even when nothing differs).
    """
    if state == "absent":
        if current is None:
            return Plan("none")
        return Plan("delete", before=resource.current(current))
    if current is None:
        if ref:
            return Plan(
                "fail",
                reason="No %s with %s %s exists. The module never creates a %s in place of a given %s; leave %s out "
                "to create a %s by name."
                % (
                    resource.label,
                    resource.identity,
                    ref,
                    resource.label,
                    resource.identity,
                    resource.identity,
                    resource.label,
                ),
            )
        body, patch = _new_record_requests(resource, desired)
        return Plan("create", after=dict(desired), body=body, patch=patch)
    now = resource.current(current)
    wanted = dict(
        (name, resource.fields[name].kind.merge(now[name], value))
        for name, value in desired.items()
        if resource.fields[name].kind.differs(now[name], value)
    )
    fixed = [name for name in wanted if resource.fields[name].fixed]
    before = dict((name, now[name]) for name in desired)
    if recreate == "always" or (fixed and recreate == "on_change"):
        # The new record inherits every setting of the old one that the user didn't give.
        body, patch = _new_record_requests(resource, dict(now, **wanted))
        identity = resource.identity
        return Plan(
            "replace",
            before=dict(before, **{identity: current.get(identity)}),
            after=dict(before, **dict(wanted, **{identity: resource.new_placeholder})),
            body=body,
            patch=patch,
        )
    if fixed:
        return Plan(
            "fail",
            reason="%s can't be changed on an existing %s (%s). %s"
            % (
                ", ".join(fixed),
                resource.label,
                "; ".join("%s is %r, wanted %r" % (name, now[name], wanted[name]) for name in fixed),
                resource.fixed_hint,
            ),
        )
    if not wanted:
        return Plan("none", before=before, after=before)
    return Plan("update", before=before, after=dict(before, **wanted), patch=wanted)


def predict(resource, current, step):
    """The record the API should hold after the plan: the result in check mode, and a check of plans in tests."""
    if step.action == "delete":
        return None
    if step.action in ("none", "fail"):
        return current
    record = dict(current) if step.action == "update" else resource.new_record()
    record.update(step.body or {})
    record.update(step.patch or {})
    return record
