# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The workspace resource: its description, its options (defined once), and its parts on top of the core: members,
budgets (with their ordering rule) and the refusal to delete a workspace that still has active keys. No Ansible here.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import itertools

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.errors import UnsupportedError

from ansible_collections.openrouter.provisioning.plugins.module_utils.common import ModuleDefinition
from ansible_collections.openrouter.provisioning.plugins.module_utils.converge import (
    ResourceTask,
    find,
    get_record,
    list_records,
)
from ansible_collections.openrouter.provisioning.plugins.module_utils.errors import PlanError, ProvisioningError
from ansible_collections.openrouter.provisioning.plugins.module_utils.guardrails import (
    GUARDRAIL,
    GUARDRAIL_OPTIONS,
    GuardrailTask,
    guardrail_problems,
)
from ansible_collections.openrouter.provisioning.plugins.module_utils.key_resource import KEY
from ansible_collections.openrouter.provisioning.plugins.module_utils.resource import (
    UUID,
    Field,
    Flag,
    Money,
    OffsetLimitPaging,
    Resource,
    SetOf,
    Text,
)

# Widest first: OpenRouter requires each set limit to be strictly greater than the next set one.
INTERVALS = ("lifetime", "monthly", "weekly", "daily")
# The members add and remove requests take at most 100 user ids each.
MEMBER_BATCH = 100
BUDGET_MONEY = Money(unlimited=False)


class Rate(Money):
    """A fraction from 0.0001 to 1, compared within Money's tolerance."""

    option = dict(type="float")

    def normalize(self, name, value):
        if not 0.0001 <= value <= 1:
            raise ValueError("%s must be a number from 0.0001 to 1, got %r." % (name, value))
        return float(value)


WORKSPACE = Resource(
    "workspace",
    "/workspaces",
    [
        Field("name", Text(max_length=100)),
        Field(
            "slug",
            Text(
                max_length=50,
                pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
                meaning="lowercase letters and digits in segments joined by single hyphens, such as team-a",
            ),
        ),
        Field("description", Text(max_length=500), new=None),
        Field("default_text_model", Text(), new=None),
        Field("default_image_model", Text(), new=None),
        Field("default_provider_sort", Text(), new=None),
        Field("disabled_server_tools", SetOf(), new=None),
        Field("io_logging_api_key_ids", SetOf("int"), new=None),
        Field("io_logging_sampling_rate", Rate()),
        Field("is_observability_io_logging_enabled", Flag()),
        Field("is_observability_broadcast_enabled", Flag()),
        Field("is_data_discount_logging_enabled", Flag()),
    ],
    name_field="slug",
    paging=OffsetLimitPaging(100),
    # GET /workspaces/{slug} answers too: a lookup by slug is one request, not a listing.
    name_in_path=True,
)

# The guardrail options that set a default guardrail's rules: not its name (OpenRouter fixes it), workspace, id,
# state or assignments.
DEFAULT_GUARDRAIL_SPEC = dict(
    (name, spec)
    for name, spec in GUARDRAIL_OPTIONS.items()
    if name not in ("state", "id", "name", "workspace_id", "keys", "purge_keys", "members", "purge_members")
)

# The options of openrouter_workspace, defined once.
WORKSPACE_OPTIONS = dict(
    state=dict(type="str", choices=["present", "absent"], default="present"),
    id=dict(type="str"),
    **WORKSPACE.option_spec(),
    members=dict(type="list", elements="str"),
    purge_members=dict(type="bool", default=False),
    budgets=dict(type="dict"),
    purge_budgets=dict(type="bool", default=False),
    include_byok_in_budgets=dict(type="bool"),
    default_guardrail=dict(type="dict"),
    confirm_default_workspace_deletion=dict(type="bool", default=False),
)
# Ids of keys, not secrets.
WORKSPACE_OPTIONS["io_logging_api_key_ids"]["no_log"] = False


def workspace_ref_problems(ref, option="workspace_id"):
    """Why a workspace given by id or slug can't be either, checked before any request."""
    if not ref or UUID.match(ref) or WORKSPACE.fields["slug"].kind.pattern.match(ref):
        return []
    return [
        "%s must be a workspace's id (a UUID) or its slug (%s), got %r."
        % (option, WORKSPACE.fields["slug"].kind.meaning, ref)
    ]


def resolve_workspace_id(client, ref, option="workspace_id"):
    """The id of the workspace given by id or slug: an id as it is, with no request; a slug with one GET."""
    if not ref or UUID.match(ref):
        return ref
    record = find(client, WORKSPACE, name=ref)[0]
    if record is None:
        raise UnknownWorkspace(
            "%s %r is neither a workspace's id nor the slug of an existing workspace. Give the id or slug of a "
            "workspace that exists (openrouter_workspace_info lists them)." % (option, ref)
        )
    return record["id"]


class UnknownWorkspace(PlanError):
    """A workspace slug that names no workspace."""


def with_workspace_ref(definition, predict):
    """A module's definition whose workspace_id option also takes a workspace's slug, resolved to its id once, before
    the module's own work.

    In check mode a slug that names no workspace yet may be one an earlier task of the run would create: the result is
    then predict(params), with a warning, rather than a failure.
    """
    work, problems = definition.run, definition.problems

    def run(client, params, check_mode):
        try:
            workspace_id = resolve_workspace_id(client, params.get("workspace_id"))
        except UnknownWorkspace as exc:
            if not check_mode:
                raise
            return dict(predict(params), warnings=["%s The real run fails unless it exists by then." % exc])
        return work(client, dict(params, workspace_id=workspace_id), check_mode)

    return ModuleDefinition(
        definition.argument_spec,
        run,
        lambda params: problems(params) + workspace_ref_problems(params.get("workspace_id")),
        **definition.validation,
    )


def member_resource(ref):
    """A workspace's members, listed as the core lists any resource."""
    return Resource("workspace member", "%s/members" % WORKSPACE.record_path(ref), [], identity="user_id")


def order_problem(limits):
    """Why these budget limits (interval -> USD) break OpenRouter's ordering rule, or None."""
    ordered = [(interval, limits[interval]) for interval in INTERVALS if interval in limits]
    for (wider, wide), (narrower, narrow) in zip(ordered, ordered[1:]):
        if wide <= narrow:
            return (
                "the %s limit (%s USD) must be greater than the %s limit (%s USD): OpenRouter requires budget limits "
                "that strictly shrink from lifetime to monthly, weekly and daily. Raise %s or lower %s."
                % (wider, wide, narrower, narrow, wider, narrower)
            )
    return None


def desired_parts(params):
    """The normalised members and budgets given (None when not managed); raises PlanError naming each bad option."""
    problems, members, budgets = [], None, None
    for purge, option in (("purge_members", "members"), ("purge_budgets", "budgets")):
        if params.get(purge) and params.get(option) is None:
            problems.append("%s needs %s: give the complete list to keep, or leave %s out." % (purge, option, purge))
    if params.get("members") is not None:
        members = set(params["members"])
        if any(not str(member).strip() for member in members):
            problems.append("members must hold organisation user ids; remove the empty entry.")
    if params.get("budgets") is not None:
        budgets = {}
        for interval, limit in params["budgets"].items():
            if interval not in INTERVALS:
                problems.append(
                    "budgets has the unknown interval %r; the intervals are %s." % (interval, ", ".join(INTERVALS))
                )
                continue
            try:
                budgets[interval] = BUDGET_MONEY.normalize("budgets.%s" % interval, limit)
            except ValueError as exc:
                problems.append(str(exc))
                continue
            if budgets[interval] == 0:
                problems.append("budgets.%s must be greater than 0; leave the interval out for no budget." % interval)
        problem = None if problems else order_problem(budgets)
        if problem:
            problems.append("budgets: %s" % problem)
    return members, budgets, problems


def default_guardrail_params(value):
    """openrouter_guardrail's params for the default_guardrail option, checked as that module checks them; raises
    PlanError naming each bad member."""
    checked = ArgumentSpecValidator(DEFAULT_GUARDRAIL_SPEC).validate(value)
    problems = [
        "default_guardrail: %s%s" % ("unknown option " if isinstance(error, UnsupportedError) else "", error)
        for error in checked.errors
    ]
    params = dict((name, spec.get("default")) for name, spec in GUARDRAIL_OPTIONS.items())
    params.update(checked.validated_parameters)
    if not problems:
        problems = ["default_guardrail.%s" % problem for problem in guardrail_problems(params)]
    if problems:
        raise PlanError(" ".join(problems), problems=problems)
    return params


def workspace_problems(params):
    """A message for each option that can't work, checked before any request."""
    problems = WORKSPACE.problems(params) + desired_parts(params)[2]
    if params.get("default_guardrail") is not None:
        try:
            default_guardrail_params(params["default_guardrail"])
        except PlanError as exc:
            problems.extend(exc.problems)
    return problems


class DefaultGuardrailTask(GuardrailTask):
    """A workspace's default guardrail on the guardrail resource's own converge, found by the workspace's
    default_guardrail_id. Until its first PATCH it answers 404 and holds no rules, so it is planned from an
    unmaterialised record: a PATCH materialises it, and rules that are all unset need none."""

    def __init__(self, client, params, workspace, fresh, check_mode=False):
        super(DefaultGuardrailTask, self).__init__(
            client, dict(params, id=workspace.get("default_guardrail_id")), check_mode
        )
        self.workspace = workspace
        self.fresh = fresh

    def lookup(self):
        # A workspace this run created (or would create) has none yet: no request needed.
        current = get_record(self.client, GUARDRAIL, self.ref) if self.ref and not self.fresh else None
        if current is None:
            current = GUARDRAIL.new_record()
            current.update(
                id=self.ref,
                name="Workspace %s Default" % self.workspace.get("id"),
                workspace_id=self.workspace.get("id"),
            )
        return current, None


def read_members(client, ref):
    """The user ids of a workspace's members, every page read."""
    return set(record["user_id"] for record in list_records(client, member_resource(ref)))


def read_budgets(client, ref):
    """A workspace's budgets (interval -> limit in USD) and its include_byok_in_budgets, with one request."""
    records, answer = client.get_page("%s/budgets" % WORKSPACE.record_path(ref), "id")
    budgets = dict(
        (record.get("reset_interval") or "lifetime", BUDGET_MONEY.read(record.get("limit_usd"))) for record in records
    )
    return budgets, bool(answer.get("include_byok_in_budgets"))


def budget_order(kept, puts):
    """An order of the PUTs (interval -> limit) from the budgets kept after the deletes, each state on the way valid.

    Deletes go first, since a subset of a valid chain is valid. Among the at most 24 orders of the PUTs, the first
    (widest first) whose every step keeps the rule is taken; one always exists once the deletes are done.
    """
    for order in itertools.permutations(interval for interval in INTERVALS if interval in puts):
        state, good = dict(kept), True
        for interval in order:
            state[interval] = puts[interval]
            if order_problem(state):
                good = False
                break
        if good:
            return list(order)
    # Not reachable for a valid final state; fail rather than send a PUT the API would refuse.
    raise PlanError("No order of the budget changes keeps OpenRouter's ordering rule; change them in two runs.")


class WorkspaceTask(ResourceTask):
    """One run of openrouter_workspace: the workspace on the core, then its members and budgets."""

    def __init__(self, client, params, check_mode=False):
        super(WorkspaceTask, self).__init__(
            client, WORKSPACE, WORKSPACE.desired(params), params["state"], params.get("id"), check_mode=check_mode
        )
        self.params = params
        self.members, self.budgets = desired_parts(params)[:2]
        self.byok = params.get("include_byok_in_budgets")
        if params["confirm_default_workspace_deletion"]:
            self.delete_params = {"confirm_default_workspace_deletion": "true"}
        self.guardrail = None
        if params.get("default_guardrail") is not None:
            self.guardrail = default_guardrail_params(params["default_guardrail"])
        self.parts = None
        self.fresh = False

    def prepare(self, current, step):
        try:
            self._prepare(current, step)
        except PlanError as exc:
            # Nothing was sent yet: the run changed nothing.
            exc.result = dict(exc.result, changed=False)
            raise

    def _prepare(self, current, step):
        if step.action == "delete":
            self._refuse_active_keys(current)
            return
        self.fresh = current is None
        if step.action == "create":
            # OpenRouter requires a name: a new workspace is named after its slug unless name is given.
            step.body.setdefault("name", step.body["slug"])
        ref = current["id"] if current else None
        members = read_members(self.client, ref) if self.members is not None and ref else set()
        budgets, byok = {}, bool((current or {}).get("include_byok_in_budgets"))
        if ref and (self.budgets is not None or self.byok is not None):
            budgets, byok = read_budgets(self.client, ref)
        self.parts = self._plan_parts(members, budgets, byok)

    def _plan_parts(self, members, budgets, byok):
        """The member and budget writes from their current state, checked against the ordering rule first."""
        parts = {"add": [], "remove": [], "delete": [], "put": [], "before": {}, "after": {}}
        if self.members is not None:
            parts["add"] = sorted(self.members - members)
            parts["remove"] = sorted(members - self.members) if self.params["purge_members"] else []
            parts["before"]["members"] = sorted(members)
            parts["after"]["members"] = sorted((members | self.members) - set(parts["remove"]))
        final = dict(budgets)
        if self.budgets is not None:
            final = dict(self.budgets) if self.params["purge_budgets"] else dict(budgets, **self.budgets)
            problem = order_problem(final)
            if problem:
                kept = sorted(set(budgets) - set(self.budgets))
                raise PlanError(
                    "budgets: with the workspace's other budgets (%s) kept, %s Give those intervals in budgets too, "
                    "or set purge_budgets: true to delete them." % (", ".join(kept), problem),
                    self.result,
                )
            parts["delete"] = [interval for interval in INTERVALS if interval in budgets and interval not in final]
            puts = dict(
                (interval, limit)
                for interval, limit in final.items()
                if interval not in budgets or BUDGET_MONEY.differs(budgets[interval], limit)
            )
            kept = dict((interval, limit) for interval, limit in budgets.items() if interval in final)
            parts["put"] = [(interval, puts[interval]) for interval in budget_order(kept, puts)]
            parts["before"]["budgets"] = budgets
            parts["after"]["budgets"] = final
        if self.byok is not None:
            parts["before"]["include_byok_in_budgets"] = byok
            parts["after"]["include_byok_in_budgets"] = self.byok
            if self.byok != byok:
                if not final:
                    raise PlanError(
                        "include_byok_in_budgets applies to the workspace's budgets and OpenRouter sets it only with "
                        "one: give budgets too, or leave include_byok_in_budgets out.",
                        self.result,
                    )
                # The flag travels with a budget's PUT: the first one planned, else the widest budget, unchanged.
                if not parts["put"]:
                    interval = next(interval for interval in INTERVALS if interval in final)
                    parts["put"] = [(interval, final[interval])]
        parts["changed"] = any(parts[name] for name in ("add", "remove", "delete", "put"))
        parts["byok"] = self.byok if self.byok is not None and self.byok != byok else None
        parts["members"], parts["budgets"] = parts["after"].get("members"), final
        return parts

    def _refuse_active_keys(self, current):
        active = list(
            list_records(
                self.client,
                KEY,
                {"workspace_id": current["id"], "include_disabled": "false", "include_expired": "false"},
            )
        )
        if not active:
            return
        message = (
            "The workspace %s still has %d active API key(s), and OpenRouter refuses to delete it. Delete or "
            "disable them first (openrouter_key with state: absent or disabled: true; openrouter_key_info with "
            "workspace_id: %s lists them)" % (current["slug"], len(active), current["id"])
        )
        if self.check_mode:
            # An earlier task of the same check run may be the one that would retire them: predict, don't fail.
            self.result.setdefault("warnings", []).append(
                message + "; the real run fails unless they are gone by then."
            )
            return
        raise PlanError(message + ", then run this task again.", self.result)

    def finish(self, record):
        parts = self.parts
        if parts is None:  # a delete, or nothing to do
            return record
        self.result["changed"] = self.result["changed"] or parts["changed"]
        diff = self.result["diff"]
        # A create's before stays {}: nothing existed.
        sides = ("after",) if self.fresh else ("before", "after")
        self.result["diff"] = dict(diff, **dict((side, dict(diff[side], **parts[side])) for side in sides))
        record = dict(record)
        if self.guardrail is not None:
            record["default_guardrail"] = self._converge_default_guardrail(record)
        if not self.check_mode and parts["changed"]:
            self._apply(record["id"], parts)
        if parts["members"] is not None:
            record["members"] = parts["members"]
        if self.budgets is not None:
            record["budgets"] = parts["budgets"]
        if parts["byok"] is not None:
            record["include_byok_in_budgets"] = parts["byok"]
        return record

    def _converge_default_guardrail(self, record):
        task = DefaultGuardrailTask(self.client, self.guardrail, record, self.fresh, self.check_mode)
        try:
            outcome = task.run()
        except ProvisioningError as exc:
            exc.result = dict(self.result, workspace=record)
            raise
        self.result["changed"] = self.result["changed"] or outcome["changed"]
        for warning in outcome.get("warnings", []):
            self.result.setdefault("warnings", []).append("default_guardrail." + warning)
        for side in ("after",) if self.fresh else ("before", "after"):
            self.result["diff"][side]["default_guardrail"] = outcome["diff"][side]
        return outcome["guardrail"]

    def _apply(self, ref, parts):
        """Members are added before any is removed; budgets deleted first, then PUT in the planned order."""
        path = WORKSPACE.record_path(ref)
        for action, user_ids in (("add", parts["add"]), ("remove", parts["remove"])):
            for start in range(0, len(user_ids), MEMBER_BATCH):
                body = {"user_ids": user_ids[start : start + MEMBER_BATCH]}
                self.client.request("POST", "%s/members/%s" % (path, action), body=body)
        for interval in parts["delete"]:
            self.client.request("DELETE", "%s/budgets/%s" % (path, interval))
        for number, (interval, limit) in enumerate(parts["put"]):
            body = {"limit_usd": limit}
            if number == 0 and parts["byok"] is not None:
                body["include_byok_in_budgets"] = parts["byok"]
            self.client.request("PUT", "%s/budgets/%s" % (path, interval), body=body)


def converge_workspace(client, params, check_mode):
    """openrouter_workspace's work on its validated params."""
    return WorkspaceTask(client, params, check_mode).run()


def read_workspaces(client, params, check_mode):
    """openrouter_workspace_info's work on its validated params."""
    ref = params.get("id") or params.get("slug")
    if ref:
        record = get_record(client, WORKSPACE, ref)
        records = [record] if record else []
    else:
        records = list(list_records(client, WORKSPACE))
    for record in records:
        if params["members"]:
            record["members"] = sorted(read_members(client, record["id"]))
        if params["budgets"]:
            record["budgets"], record["include_byok_in_budgets"] = read_budgets(client, record["id"])
    return {"changed": False, "workspaces": records}
