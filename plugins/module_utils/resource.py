# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the generic code needs to know about one OpenRouter resource: its paths, identity, lookup, paging and fields.

A field's kind says how its option is checked and normalised, how the API's value is read for comparison, and when two
values differ. Nothing here sends a request. See docs/architecture.md.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import math
import re
from datetime import datetime, timezone

from ansible_collections.openrouter.provisioning.plugins.module_utils.errors import PlanError

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
# A field left out of this mapping has no value the planner can predict for a new record.
NOT_PREDICTED = object()

# OpenRouter's ids of workspaces and guardrails: told from slugs and names by this shape alone.
UUID = re.compile(r"^[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$")


class Kind:
    """A plain value: given as is, compared with ==."""

    option = dict(type="str")

    def normalize(self, name, value):
        """The option's value in the API's form; raises ValueError with a message that names the option and the fix."""
        return value

    def read(self, value):
        """The API's value in the form normalize() gives, for comparison."""
        return value

    def differs(self, current, wanted):
        return current != wanted

    def merge(self, current, wanted):
        """The value to send and expect after a change; a nested object keeps its other members."""
        return wanted


class Text(Kind):
    """A string that must not be empty: an empty one is more likely a mistake than a wish.

    max_length, and pattern with its meaning, check it further where the API would refuse it.
    """

    def __init__(self, max_length=None, pattern=None, meaning=None):
        self.max_length = max_length
        self.pattern = re.compile(pattern) if pattern else None
        self.meaning = meaning

    def normalize(self, name, value):
        if not str(value).strip():
            raise ValueError("%s must not be empty; leave the option out instead." % name)
        if self.max_length is not None and len(str(value)) > self.max_length:
            raise ValueError("%s must be at most %d characters, got %d." % (name, self.max_length, len(str(value))))
        if self.pattern is not None and not self.pattern.match(str(value)):
            raise ValueError("%s must be %s, got %r." % (name, self.meaning, value))
        return value


class Flag(Kind):
    option = dict(type="bool")

    def read(self, value):
        return bool(value)


class Money(Kind):
    """USD, 0 or more; `unlimited` (when allowed) is null. Floats compare within a tolerance."""

    option = dict(type="raw")

    def __init__(self, unlimited=True):
        self.unlimited = unlimited

    def normalize(self, name, value):
        problem = "%s must be a number of USD (0 or more)%s, got %r." % (
            name,
            " or 'unlimited'" if self.unlimited else "",
            value,
        )
        if self.unlimited and isinstance(value, str) and value.strip().lower() == "unlimited":
            return None
        if isinstance(value, bool):
            raise ValueError(problem)
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(problem) from None
        if math.isnan(number) or math.isinf(number) or number < 0:
            raise ValueError(problem)
        return number

    def read(self, value):
        return None if value is None else float(value)

    def differs(self, current, wanted):
        if current is not None and wanted is not None:
            return not math.isclose(current, wanted, rel_tol=0, abs_tol=1e-9)
        return current != wanted


class Choice(Kind):
    """One of a few words; `null_word` (such as never) is what the API stores as null."""

    def __init__(self, choices, null_word=None):
        self.choices = tuple(choices)
        self.null_word = null_word
        self.option = dict(type="str", choices=list(self.choices))

    def normalize(self, name, value):
        if value not in self.choices:
            raise ValueError("%s must be one of %s, got %r." % (name, ", ".join(self.choices), value))
        return None if value == self.null_word else value


class Timestamp(Kind):
    """A moment in UTC as 'YYYY-MM-DDTHH:MM:SSZ', the only form OpenRouter accepts.

    Offsets are converted to UTC and a missing seconds part becomes :00. A date alone or a time without an offset is
    ambiguous and rejected; with `future`, so is a moment that has passed.
    """

    def __init__(self, future=False):
        self.future = future

    def normalize(self, name, value):
        moment = parse_timestamp(name, value)
        now = datetime.now(timezone.utc)
        if self.future and moment <= now:
            raise ValueError(
                "%s must be in the future, got %r, which is already past (it is now %s). Give a later time, or leave "
                "%s out." % (name, value, now.strftime(TIMESTAMP_FORMAT), name)
            )
        return moment.strftime(TIMESTAMP_FORMAT)

    def read(self, value):
        return parse_timestamp("the API's timestamp", value).strftime(TIMESTAMP_FORMAT) if value else value


def parse_timestamp(name, value):
    """An ISO 8601 timestamp with a time zone, as an aware datetime in UTC to the second; a ValueError names `name`."""
    text = str(value).strip()
    problem = (
        "%s must be an ISO 8601 timestamp with a time zone, such as 2027-12-31T23:59:59Z "
        "or 2027-12-31T23:59:59+02:00, got %r." % (name, value)
    )
    try:
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    except ValueError:
        raise ValueError(problem) from None
    if moment.tzinfo is None or "T" not in text.upper():
        raise ValueError(problem)
    return moment.astimezone(timezone.utc).replace(microsecond=0)


def _canonical(value):
    return json.dumps(value, sort_keys=True)


class SetOf(Kind):
    """A list whose order means nothing: compared as a set, null and [] alike; [] is sent as null (it clears it)."""

    def __init__(self, elements="str", choices=None):
        self.option = dict(type="list", elements=elements)
        if choices:
            self.option["choices"] = list(choices)

    def normalize(self, name, value):
        if any(isinstance(item, str) and not item.strip() for item in value):
            raise ValueError("%s must not hold an empty string." % name)
        return list(value) or None

    def differs(self, current, wanted):
        return sorted(set(map(_canonical, current or []))) != sorted(set(map(_canonical, wanted or [])))


class Nested(Kind):
    """An object of named members, each of its own kind; only the members given are managed."""

    option = dict(type="dict")

    def __init__(self, **members):
        self.members = members

    def normalize(self, name, value):
        if not isinstance(value, dict):
            raise ValueError("%s must be a dictionary, got %r." % (name, value))
        unknown = sorted(set(value) - set(self.members))
        if unknown:
            raise ValueError(
                "%s has unknown member(s) %s; the members are %s." % (name, ", ".join(unknown), ", ".join(self.members))
            )
        return dict(
            (member, self.members[member].normalize("%s.%s" % (name, member), item))
            for member, item in value.items()
            if item is not None
        )

    def read(self, value):
        value = value or {}
        return dict((member, kind.read(value.get(member))) for member, kind in self.members.items())

    def differs(self, current, wanted):
        current = current or {}
        return any(self.members[member].differs(current.get(member), item) for member, item in wanted.items())

    def merge(self, current, wanted):
        return dict(current or {}, **wanted)


class Field:
    """One field of a record.

    requests: which requests accept it ("create", "update" or both); one that no update accepts is fixed at creation.
    new: what the API gives a new record when the create leaves the field out, for check-mode predictions.
    """

    def __init__(self, name, kind=None, requests=("create", "update"), new=NOT_PREDICTED):
        self.name = name
        self.kind = kind or Kind()
        self.requests = tuple(requests)
        self.new = new

    @property
    def fixed(self):
        return "update" not in self.requests


class OffsetPaging:
    """Pages of a fixed size chosen by the server, asked for by offset alone; a short page is the last."""

    def __init__(self, size=100):
        self.size = size

    def query(self, offset):
        return {"offset": offset}

    def last(self, page, offset, answer):
        return len(page) < self.size


class OffsetLimitPaging:
    """Pages of up to `size` records asked for by offset and limit; total_count says when the list ends."""

    def __init__(self, size=100):
        self.size = size

    def query(self, offset):
        return {"offset": offset, "limit": self.size}

    def last(self, page, offset, answer):
        total = answer.get("total_count")
        return len(page) < self.size or (isinstance(total, int) and offset + len(page) >= total)


class WholeListPaging:
    """A list that usually comes whole in one answer (GET /models): further pages by offset only while total_count says
    records remain."""

    def query(self, offset):
        return {"offset": offset} if offset else {}

    def last(self, page, offset, answer):
        total = answer.get("total_count")
        return not isinstance(total, int) or offset + len(page) >= total


class Resource:
    """One kind of OpenRouter record, described once for find, plan, check mode, diff and apply.

    label: the record's name in messages ("key"); path: its collection ("/keys"), one record at path/<identity>.
    identity: the field a record is addressed by; ref_pattern and ref_meaning check a given identity before any request.
    name_field: the field a lookup by name matches exactly, within scope (a field sent as a list query) if any;
    list_query: what a lookup by name adds to the list query (so that no record is hidden from it).
    fixed_hint: what a user can do when a fixed field differs; result_key: where the module returns the record.
    name_in_path: the record path takes the name too (a workspace's slug), so a lookup by name is one GET.
    """

    def __init__(
        self,
        label,
        path,
        fields,
        identity="id",
        name_field="name",
        scope=None,
        paging=None,
        list_query=None,
        ref_pattern=None,
        ref_meaning=None,
        fixed_hint=None,
        result_key=None,
        name_in_path=False,
    ):
        self.label = label
        self.plural = label + "s"
        self.path = path
        self.fields = dict((field.name, field) for field in fields)
        self.identity = identity
        self.name_field = name_field
        self.scope = scope
        self.paging = paging or OffsetLimitPaging()
        self.list_query = dict(list_query or {})
        self.ref_pattern = re.compile(ref_pattern) if ref_pattern else None
        self.ref_meaning = ref_meaning
        self.fixed_hint = fixed_hint or "Delete the %s and create it again, or change the option back." % label
        self.result_key = result_key or label
        self.new_placeholder = "(new %s)" % label
        self.name_in_path = name_in_path

    def record_path(self, ref):
        return "%s/%s" % (self.path, ref)

    def option_spec(self, *names):
        """The argument spec of these fields' options, from their kinds."""
        return dict((name, dict(self.fields[name].kind.option)) for name in names or self.fields)

    def current(self, record):
        """The fields of a record that planning compares, in the normalised form desired values take."""
        return dict((name, field.kind.read(record.get(name))) for name, field in self.fields.items())

    def new_record(self):
        """A record as the API would create it from an empty create request, as far as it can be predicted."""
        record = {self.identity: None}
        record.update((name, field.new) for name, field in self.fields.items() if field.new is not NOT_PREDICTED)
        return record

    def desired(self, params):
        """The normalised values of the fields given in params; only those are managed. Raises PlanError."""
        wanted, problems = {}, []
        for name, field in self.fields.items():
            if params.get(name) is None:
                continue
            try:
                wanted[name] = field.kind.normalize(name, params[name])
            except ValueError as exc:
                problems.append(str(exc))
        problems.extend(self.ref_problems(params.get(self.identity)))
        if problems:
            raise PlanError(" ".join(problems), problems=problems)
        return wanted

    def problems(self, params):
        """A message for each value in params that can't work, each naming its option; checked before any request."""
        try:
            self.desired(params)
        except PlanError as exc:
            return exc.problems
        return []

    def ref_problems(self, ref):
        """A malformed identity would only earn a 404: say what is wrong before any request."""
        if ref is None or self.ref_pattern is None or self.ref_pattern.match(ref):
            return []
        return ["%s must be %s, got %r." % (self.identity, self.ref_meaning, ref)]
