# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The guardrail resource: its description, its options (defined once), and what only guardrails need on top of the
core: model slugs compared as canonical slugs, the limit_usd/reset_interval pairing, and the key and member
assignments. No Ansible here. See docs/architecture.md and ../shared/contract/guardrails-workspaces.md."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

from ansible_collections.openrouter.provisioning.plugins.module_utils.common import ModuleDefinition
from ansible_collections.openrouter.provisioning.plugins.module_utils.converge import (
    ResourceTask,
    get_record,
    list_records,
)
from ansible_collections.openrouter.provisioning.plugins.module_utils.errors import PlanError, ProvisioningError
from ansible_collections.openrouter.provisioning.plugins.module_utils.key_resource import KEY
from ansible_collections.openrouter.provisioning.plugins.module_utils.reconcile import predict
from ansible_collections.openrouter.provisioning.plugins.module_utils.resource import (
    UUID,
    Choice,
    Field,
    Flag,
    Kind,
    Money,
    OffsetLimitPaging,
    Resource,
    SetOf,
    Text,
    WholeListPaging,
)

FILTER_ACTIONS = ("redact", "block", "flag")
BUILTIN_SLUGS = (
    "email",
    "phone",
    "ssn",
    "credit-card",
    "ip-address",
    "secrets",
    "person-name",
    "address",
    "regex-prompt-injection",
)
PROMPT_INJECTION = "regex-prompt-injection"
SCAN_SCOPES = ("user_only", "all_messages")
ZDR_FIELDS = (
    "enforce_zdr_anthropic",
    "enforce_zdr_openai",
    "enforce_zdr_google",
    "enforce_zdr_xai",
    "enforce_zdr_other",
)
SWITCHES = ZDR_FIELDS + (
    "enable_free_model_publication",
    "enable_free_model_training",
    "enable_paid_model_training",
    "allow_safety_retention_google",
    "allow_safety_retention_other",
)
MODEL_LISTS = ("allowed_models", "ignored_models")


def _canonical(value):
    return json.dumps(value, sort_keys=True)


class Switch(Kind):
    """A boolean the API keeps as null until it is set: null is not false, so it is compared exactly."""

    option = dict(type="bool")


class Description(Kind):
    """Free text of at most 1000 characters; an empty one clears it (the API stores null)."""

    def normalize(self, name, value):
        if len(value) > 1000:
            raise ValueError("%s must be at most 1000 characters, got %d." % (name, len(value)))
        return value or None


class Entries(Kind):
    """A list of objects with fixed members, checked and compared in the form the API stores.

    members: each member's option spec; stored(entry) gives an entry as the API stores and returns it, minus what the
    API assigns itself; ordered says whether the order of the entries means something.
    """

    def __init__(self, members, ordered):
        self.option = dict(type="list", elements="dict", options=members)
        self.members = members
        self.ordered = ordered

    def stored(self, name, entry):
        return entry

    def normalize(self, name, value):
        entries = []
        for index, entry in enumerate(value):
            where = "%s[%d]" % (name, index)
            if not isinstance(entry, dict):
                raise ValueError("%s must be a dictionary, got %r." % (where, entry))
            unknown = sorted(set(entry) - set(self.members))
            if unknown:
                raise ValueError(
                    "%s has unknown member(s) %s; the members are %s."
                    % (where, ", ".join(unknown), ", ".join(self.members))
                )
            for member, spec in self.members.items():
                item = entry.get(member)
                if spec.get("required") and not item:
                    raise ValueError("%s.%s is required." % (where, member))
                if item is not None and "choices" in spec and item not in spec["choices"]:
                    raise ValueError(
                        "%s.%s must be one of %s, got %r." % (where, member, ", ".join(spec["choices"]), item)
                    )
            entries.append(self.stored(where, entry))
        return entries or None

    def read(self, value):
        return [self.stored("", entry) for entry in value] if value else None

    def differs(self, current, wanted):
        current, wanted = [list(map(_canonical, entries or [])) for entries in (current, wanted)]
        if self.ordered:
            return current != wanted
        return sorted(current) != sorted(wanted)


class ContentFilters(Entries):
    """Custom regex filters, applied in the order given: {pattern, action, label (null when not given)}."""

    def __init__(self):
        super(ContentFilters, self).__init__(
            dict(
                pattern=dict(type="str", required=True),
                action=dict(type="str", required=True, choices=list(FILTER_ACTIONS)),
                label=dict(type="str"),
            ),
            ordered=True,
        )

    def stored(self, name, entry):
        label = entry.get("label")
        if name and label is not None and len(label) > 100:
            raise ValueError("%s.label must be at most 100 characters, got %d." % (name, len(label)))
        return {"pattern": entry.get("pattern"), "action": entry.get("action"), "label": label}


class Builtins(Entries):
    """Built-in filters, one per slug, in no order. Their labels are system-assigned, so they are not compared;
    scan_scope (default all_messages) belongs to regex-prompt-injection alone."""

    def __init__(self):
        super(Builtins, self).__init__(
            dict(
                slug=dict(type="str", required=True, choices=list(BUILTIN_SLUGS)),
                action=dict(type="str", required=True, choices=list(FILTER_ACTIONS)),
                scan_scope=dict(type="str", choices=list(SCAN_SCOPES)),
            ),
            ordered=False,
        )

    def normalize(self, name, value):
        entries = super(Builtins, self).normalize(name, value) or []
        slugs = [entry["slug"] for entry in entries]
        repeated = sorted(set(slug for slug in slugs if slugs.count(slug) > 1))
        if repeated:
            raise ValueError("%s lists %s more than once; give each slug once." % (name, ", ".join(repeated)))
        return entries or None

    def stored(self, name, entry):
        stored = {"slug": entry.get("slug"), "action": entry.get("action")}
        if entry.get("slug") == PROMPT_INJECTION:
            stored["scan_scope"] = entry.get("scan_scope") or "all_messages"
        elif name and entry.get("scan_scope"):
            raise ValueError("%s.scan_scope applies only to %s; leave it out." % (name, PROMPT_INJECTION))
        return stored


GUARDRAIL = Resource(
    "guardrail",
    "/guardrails",
    [
        Field("name", Text(max_length=200)),
        Field("description", Description(), new=None),
        Field("limit_usd", Money(), new=None),
        Field("reset_interval", Choice(("daily", "weekly", "monthly", "none"), null_word="none"), new=None),
        Field("allowed_providers", SetOf(), new=None),
        Field("ignored_providers", SetOf(), new=None),
        Field("allowed_models", SetOf(), new=None),
        Field("ignored_models", SetOf(), new=None),
        Field("allowed_data_regions", SetOf(choices=("global", "europe", "us")), new=None),
        Field("content_filters", ContentFilters(), new=None),
        Field("content_filter_builtins", Builtins(), new=None),
    ]
    + [Field(name, Switch(), new=None) for name in SWITCHES]
    + [
        Field("include_byok_in_budgets", Flag(), new=False),
        Field("workspace_id", Text(), requests=("create",)),
    ],
    scope="workspace_id",
    paging=OffsetLimitPaging(100),
    fixed_hint="Create a guardrail in the other workspace (and delete this one if it is no longer needed), or change "
    "the option back.",
)


class Assignments:
    """One kind of assignment to a guardrail: keys (by hash) or members (by user id)."""

    def __init__(self, kind, holder, body_field):
        self.kind = kind
        self.holder = holder
        self.body_field = body_field
        # The organization-wide listing: who holds which guardrail, read once per run.
        self.listing = Resource(kind[:-1] + " assignment", "/guardrails/assignments/" + kind, [])

    def holders(self, client):
        """{holder: the id of the guardrail it holds} over the whole organization."""
        return dict((row[self.holder], row["guardrail_id"]) for row in list_records(client, self.listing))

    def send(self, client, guardrail_id, holders, remove=False):
        path = "%s/%s/assignments/%s%s" % (GUARDRAIL.path, guardrail_id, self.kind, "/remove" if remove else "")
        return client.request("POST", path, body={self.body_field: holders})[1]


ASSIGNMENTS = (Assignments("keys", "key_hash", "key_hashes"), Assignments("members", "user_id", "member_user_ids"))
KEY_HASH = re.compile(r"^[0-9a-fA-F]{64}$")

# The options of openrouter_guardrail, defined once.
GUARDRAIL_OPTIONS = dict(
    state=dict(type="str", choices=["present", "absent"], default="present"),
    id=dict(type="str"),
    **GUARDRAIL.option_spec(),
    enforce_zdr=dict(type="bool"),
    keys=dict(type="list", elements="str", no_log=False),
    purge_keys=dict(type="bool", default=False, no_log=False),
    members=dict(type="list", elements="str"),
    purge_members=dict(type="bool", default=False),
)


def guardrail_desired(params):
    """The normalised fields given; the deprecated enforce_zdr stands for each enforce_zdr_* not given, as the API
    reads it. Raises PlanError naming every bad option."""
    params = dict(params)
    if params.get("enforce_zdr") is not None:
        params.update((name, params["enforce_zdr"]) for name in ZDR_FIELDS if params.get(name) is None)
    desired = GUARDRAIL.desired(params)
    problems = [pair_problem(desired, {})] if "limit_usd" in desired and "reset_interval" in desired else []
    for assignment in ASSIGNMENTS:
        if any(not str(ref).strip() for ref in params.get(assignment.kind) or []):
            problems.append("%s must not hold an empty entry." % assignment.kind)
        if params.get("purge_" + assignment.kind) and params.get(assignment.kind) is None:
            problems.append(
                "purge_%s needs %s: give the complete list (an empty one unassigns every one)."
                % (assignment.kind, assignment.kind)
            )
    problems = [problem for problem in problems if problem]
    if problems:
        raise PlanError(" ".join(problems), problems=problems)
    return desired


def guardrail_problems(params):
    try:
        guardrail_desired(params)
    except PlanError as exc:
        return exc.problems
    return []


def pair_problem(desired, now):
    """Why the guardrail would end up with limit_usd or reset_interval but not both (the API refuses it), or None."""
    limit = desired.get("limit_usd", now.get("limit_usd"))
    interval = desired.get("reset_interval", now.get("reset_interval"))
    if (limit is None) == (interval is None):
        return None
    if limit is None:
        return (
            "limit_usd and reset_interval go together: the guardrail would have reset_interval %r but no limit_usd. "
            "Give limit_usd too, or set reset_interval: none with limit_usd: unlimited to remove the limit." % interval
        )
    return (
        "limit_usd and reset_interval go together: the guardrail would have limit_usd %r but no reset_interval. "
        "Give reset_interval (daily, weekly or monthly) too." % limit
    )


def canonical_models(client):
    """{slug: canonical slug} of every model in GET /models."""
    return dict(
        (model["id"], model.get("canonical_slug") or model["id"])
        for model in client.list_records("/models", identity="id", paging=WholeListPaging())
    )


def unknown_models(wanted, models):
    """The models of `wanted` that are neither a slug nor a canonical slug of `models` (canonical_models())."""
    known = set(models) | set(models.values())
    return [model for model in wanted if model not in known]


class GuardrailTask(ResourceTask):
    """One run of openrouter_guardrail: the generic converge, then the assignments the user gave."""

    def __init__(self, client, params, check_mode=False):
        super(GuardrailTask, self).__init__(
            client, GUARDRAIL, guardrail_desired(params), params["state"], params.get("id"), check_mode=check_mode
        )
        self.params = params
        self.models = None

    def before_plan(self, current):
        now = GUARDRAIL.current(current) if current else {}
        for name in MODEL_LISTS:
            wanted = self.desired.get(name)
            # The API answers canonical slugs: a list named by slug is looked up only when it differs as written.
            if wanted and GUARDRAIL.fields[name].kind.differs(now.get(name), wanted):
                if self.models is None:
                    self.models = canonical_models(self.client)
                self.desired[name] = list(dict.fromkeys(self.models.get(model, model) for model in wanted))
                unknown = unknown_models(wanted, self.models)
                if unknown:
                    # A warning, not a failure: a model can be newer than the listing, or listed only to other users.
                    self.result.setdefault("warnings", []).append(
                        "%s names %s, which GET /models lists by neither slug nor canonical slug. Check the "
                        "spelling: a misspelled model matches no request." % (name, ", ".join(map(repr, unknown)))
                    )
        if self.state == "present" and ("limit_usd" in self.desired or "reset_interval" in self.desired):
            problem = pair_problem(self.desired, now)
            if problem:
                raise PlanError(problem, self.result)

    def run(self):
        result = super(GuardrailTask, self).run()
        if self.state == "present":
            try:
                for assignment in ASSIGNMENTS:
                    if self.params.get(assignment.kind) is not None:
                        self._assign(assignment)
            except ProvisioningError as exc:
                exc.result = dict(self.result, **exc.result)
                raise
        return result

    def _assign(self, assignment):
        record = self.result["guardrail"]
        guardrail_id = record.get("id")
        holders = assignment.holders(self.client)
        wanted = self._resolve(assignment, holders, record.get("workspace_id"))
        current = set(holder for holder, held in holders.items() if guardrail_id and held == guardrail_id)
        add = sorted(wanted - current)
        remove = sorted(current - wanted) if self.params["purge_" + assignment.kind] else []
        field = assignment.body_field
        diff = self.result["diff"] = dict(
            (side, dict(self.result.get("diff", {}).get(side) or {})) for side in ("before", "after")
        )
        diff["before"][field] = sorted(current)
        record[field] = diff["after"][field] = sorted((current - set(remove)) | set(add))
        moved = dict((holder, holders[holder]) for holder in add if holder in holders)
        if moved:
            # Each holds at most one guardrail: assigning it here takes it from the one it holds now.
            diff["after"]["%s_moved_from" % assignment.kind] = moved
        if add or remove:
            self.result["changed"] = True
        if self.check_mode:
            return
        if add:
            assignment.send(self.client, guardrail_id, add)
        if remove:
            assignment.send(self.client, guardrail_id, remove, remove=True)

    def _resolve(self, assignment, holders, workspace_id):
        """The holders wanted: member ids as given; keys by hash, or by exact name within the guardrail's workspace.

        A hash that holds some guardrail exists; any other hash, and every name, is looked up in one key listing.
        """
        refs = list(dict.fromkeys(self.params[assignment.kind]))
        if assignment.kind != "keys":
            return set(refs)
        known = [ref for ref in refs if KEY_HASH.match(ref) and ref in holders]
        rest = [ref for ref in refs if ref not in known]
        if not rest:
            return set(known)
        keys = list(list_records(self.client, KEY, dict(KEY.list_query, workspace_id=workspace_id)))
        where = "workspace %s" % workspace_id if workspace_id else "the default workspace"
        wanted, problems = set(known), []
        for ref in rest:
            matches = [key["hash"] for key in keys if key["hash"] == ref or key.get("name") == ref]
            if len(matches) == 1:
                wanted.add(matches[0])
            elif matches:
                problems.append(
                    "%d keys are named %r in %s: %s. Give their hash instead."
                    % (len(matches), ref, where, ", ".join(matches))
                )
            elif self.check_mode and not KEY_HASH.match(ref):
                # An earlier task of the same check run may be the one that would create it: predict, don't fail.
                self.result.setdefault("warnings", []).append(
                    "keys lists %r, which no key in %s has as its name yet; the real run fails unless an earlier task "
                    "creates it." % (ref, where)
                )
                wanted.add("(key named %s)" % ref)
            else:
                problems.append("keys lists %r, but no key in %s has that hash or name." % (ref, where))
        if problems:
            raise PlanError(" ".join(problems), self.result, problems=problems)
        return wanted


def converge_guardrail(client, params, check_mode):
    """openrouter_guardrail's work on its validated params."""
    return GuardrailTask(client, params, check_mode).run()


def with_guardrail(definition):
    """openrouter_key's definition with the work of its `guardrail` option (keys.KEY_OPTIONS) on top of the key's."""
    work = definition.run

    def run(client, params, check_mode):
        if params["state"] != "present" or params.get("guardrail") is None:
            return work(client, params, check_mode)
        return work(client, params, check_mode, parts=KeyGuardrail(params["guardrail"]))

    return ModuleDefinition(definition.argument_spec, run, definition.problems, **definition.validation)


def with_guardrail_ids(definition):
    """openrouter_key_info's definition with the `include_guardrail` option: each key read gets guardrail_id (or
    None), from one paged read of the organization's key assignments, and none when no key was read."""
    work = definition.run

    def run(client, params, check_mode):
        result = work(client, params, check_mode)
        if params["include_guardrail"] and result.get("api_keys"):
            holders = ASSIGNMENTS[0].holders(client)
            for record in result["api_keys"]:
                record["guardrail_id"] = holders.get(record.get("hash"))
        return result

    return ModuleDefinition(
        dict(definition.argument_spec, include_guardrail=dict(type="bool", default=False)),
        run,
        definition.problems,
        **definition.validation,
    )


class KeyGuardrail:
    """openrouter_key's `guardrail` option as the parts of its KeyTask: the key holds that guardrail (by id or by name
    within the key's workspace), or none with an empty string. It is found before any write of the key, so a guardrail
    that doesn't exist fails the task with nothing created; the assignment follows the key's own write."""

    def __init__(self, ref):
        self.ref = ref
        self.held = None
        self.wanted = None
        self.unplaced = None  # found by id for a new key whose workspace (the default one) has no id until created

    def prepare(self, task, current, step):
        # An assignment moves a key from any guardrail it holds, and a key this run creates holds none: only a key
        # that exists and stays needs the read of the assignments.
        if current and step.action not in ("create", "replace"):
            self.held = ASSIGNMENTS[0].holders(task.client).get(current["hash"])
        self.wanted = self.ref or None
        if not self.wanted or self.wanted == self.held:
            return
        workspace_id = (predict(KEY, current, step) or {}).get("workspace_id")
        found = get_record(task.client, GUARDRAIL, self.ref) if UUID.match(self.ref) else None
        if found and workspace_id is None:
            # The id the default workspace's records carry is known once the key exists: finish() checks it then.
            self.unplaced = found
        elif found and found.get("workspace_id") == workspace_id:
            # An id (the role passes ids) costs one GET, not a listing of the workspace's guardrails.
            self.wanted = found["id"]
        else:
            # A name, or an id that GET doesn't place in the key's workspace: the workspace's own listing decides.
            self.wanted = self._match(task, workspace_id)

    def _match(self, task, workspace_id):
        """The id of the one guardrail that self.ref names in the workspace's listing."""
        ref = self.ref
        in_workspace = list_records(task.client, GUARDRAIL, {"workspace_id": workspace_id})
        matches = [guardrail["id"] for guardrail in in_workspace if ref in (guardrail["id"], guardrail.get("name"))]
        where = "workspace %s" % workspace_id if workspace_id else "the default workspace"
        if len(matches) == 1:
            return matches[0]
        if not matches and task.check_mode and not UUID.match(ref):
            # An earlier task of the same check run may be the one that would create it: predict, don't fail.
            task.result.setdefault("warnings", []).append(
                "guardrail %r matches no guardrail in %s yet; the real run fails unless an earlier task creates it."
                % (ref, where)
            )
            return "(guardrail named %s)" % ref
        raise PlanError(
            "guardrail %r matches %s in %s. Give the id or the name of one guardrail of the key's workspace."
            % (ref, "the guardrails %s" % ", ".join(matches) if matches else "no guardrail", where),
            dict(task.result, changed=False) if task.result.get("key") is None else task.result,
        )

    def finish(self, task, record):
        """Assign or unassign the key after its own write (in check mode, only say so); return its record."""
        result = task.result
        if self.unplaced and self.unplaced.get("workspace_id") != record.get("workspace_id"):
            self.wanted = self._match(task, record.get("workspace_id"))
        # A created key's diff keeps its empty before.
        before, after = [dict(result.get("diff", {}).get(side) or {}) for side in ("before", "after")]
        if before or self.held:
            before["guardrail_id"] = self.held
        after["guardrail_id"] = self.wanted
        result["diff"] = {"before": before, "after": after}
        record["guardrail_id"] = self.wanted
        if self.wanted == self.held:
            return record
        result["changed"] = True
        if not task.check_mode:
            if self.wanted:
                ASSIGNMENTS[0].send(task.client, self.wanted, [record["hash"]])
            else:
                ASSIGNMENTS[0].send(task.client, self.held, [record["hash"]], remove=True)
        return record


def read_guardrails(client, params, check_mode):
    """openrouter_guardrail_info's work on its validated params."""
    if params["id"]:
        record = get_record(client, GUARDRAIL, params["id"])
        records = [record] if record else []
    else:
        records = list_records(client, GUARDRAIL, {"workspace_id": params["workspace_id"] or None})
    guardrails = [record for record in records if params["name"] is None or record.get("name") == params["name"]]
    if params["assignments"] and guardrails:
        for assignment in ASSIGNMENTS:
            holders = assignment.holders(client)
            for record in guardrails:
                record[assignment.body_field] = sorted(h for h, held in holders.items() if held == record["id"])
    return {"changed": False, "guardrails": guardrails}
