# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every operation through OpenRouter's official Python SDK (openrouter==1.3.84) against the emulator.

The SDK parses each response into its pydantic models and raises when a required field is missing or mistyped,
so a passing call is the conformance check; the asserts add that every field the model knows was sent.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

openrouter = pytest.importorskip("openrouter")
httpx = pytest.importorskip("httpx")  # a dependency of the SDK

from openrouter import errors  # noqa: E402  (after the importorskip)

PAST = "2001-01-01T00:00:00Z"
OTHER_WORKSPACE = "11111111-1111-4111-8111-111111111111"
DEFAULT_WORKSPACE = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def client(base_url):
    """Make SDK clients for the emulator: loopback only, and no retries so that an injected 500 surfaces at once."""
    clients = []

    def make(api_key):
        http = httpx.Client(trust_env=False)
        clients.append(http)
        return openrouter.OpenRouter(api_key=api_key, server_url=base_url, client=http, retry_config=None)

    yield make
    for http in clients:
        http.close()


@pytest.fixture
def connect(client):
    return lambda api_key: client(api_key).api_keys


@pytest.fixture
def keys(connect, management_key):
    return connect(management_key)


@pytest.fixture
def sdk(client, management_key):
    return client(management_key)


def assert_complete(model):
    """The emulator sent every field of the SDK's model, optional ones included."""
    assert model.model_fields_set == set(type(model).model_fields), (
        set(type(model).model_fields) - model.model_fields_set
    )


def test_list_with_every_query_parameter(keys, control):
    control.seed(
        keys=[
            {"name": "disabled", "disabled": True},
            {"name": "expired", "expires_at": PAST},
            {"name": "elsewhere", "workspace_id": OTHER_WORKSPACE},
        ]
    )
    control.seed(count=101)
    first = keys.list()
    assert len(first.data) == 100 and first.data[0].name == "seed-100"
    for key in first.data:
        assert_complete(key)
    assert [key.name for key in keys.list(offset=100).data] == ["seed-0"]
    assert [key.name for key in keys.list(offset=100, include_disabled=True, include_expired=True).data] == [
        "seed-0",
        "expired",
        "disabled",
    ]
    assert [key.name for key in keys.list(offset=100, include_disabled=False, include_expired=True).data] == [
        "seed-0",
        "expired",
    ]
    assert [key.name for key in keys.list(workspace_id=OTHER_WORKSPACE).data] == ["elsewhere"]


def test_create_get_update_delete(keys):
    expires = datetime(2099, 1, 1, tzinfo=timezone.utc)
    created = keys.create(
        name="sdk",
        limit=12.5,
        limit_reset="weekly",
        include_byok_in_limit=True,
        expires_at=expires,
        creator_user_id="user_1",
        workspace_id=OTHER_WORKSPACE,
        external={"user": "customer-1"},
    )
    assert created.key.startswith("sk-or-v1-") and len(created.key) == 73
    assert_complete(created.data)
    key = created.data
    assert (key.name, key.limit, key.limit_remaining, key.limit_reset, key.include_byok_in_limit) == (
        "sdk",
        12.5,
        12.5,
        "weekly",
        True,
    )
    assert (key.expires_at, key.creator_user_id, key.workspace_id, key.updated_at) == (
        expires,
        "user_1",
        OTHER_WORKSPACE,
        None,
    )

    fetched = keys.get(hash=key.hash).data
    assert_complete(fetched)
    assert fetched.model_dump() == key.model_dump()

    updated = keys.update(
        hash=key.hash, name="renamed", disabled=True, limit=None, limit_reset=None, include_byok_in_limit=False
    ).data
    assert_complete(updated)
    assert (updated.name, updated.disabled, updated.limit, updated.limit_remaining, updated.limit_reset) == (
        "renamed",
        True,
        None,
        None,
        None,
    )
    assert updated.include_byok_in_limit is False and updated.updated_at is not None

    deleted = keys.delete(hash=key.hash)
    assert_complete(deleted)
    assert deleted.DELETED is True  # the SDK's name for 'deleted'
    with pytest.raises(errors.NotFoundResponseError):
        keys.get(hash=key.hash)


@pytest.mark.filterwarnings(
    "ignore::DeprecationWarning"
)  # rate_limit and is_provisioning_key are deprecated, and checked here
def test_current_key(keys, connect):
    management = keys.get_current_key_metadata().data
    assert_complete(management)
    assert management.is_management_key is True and management.rate_limit.requests == -1
    created = keys.create(name="worker", limit=2)
    current = connect(created.key).get_current_key_metadata().data
    assert_complete(current)
    assert (current.is_management_key, current.is_provisioning_key, current.label, current.limit) == (
        False,
        False,
        created.data.label,
        2.0,
    )
    assert current.free_model_daily_requests.remaining == current.free_model_daily_requests.limit


def test_errors(keys, connect):
    key_hash = keys.create(name="target").data.hash
    cases = [
        (errors.BadRequestResponseError, 400, lambda: keys.create(name="")),
        (errors.BadRequestResponseError, 400, lambda: keys.update(hash=key_hash)),
        (errors.BadRequestResponseError, 400, lambda: keys.list(offset=-1)),
        (errors.UnauthorizedResponseError, 401, lambda: connect("sk-or-v1-unknown").list()),
        (errors.UnauthorizedResponseError, 401, lambda: connect("sk-or-v1-unknown").get_current_key_metadata()),
        (errors.ForbiddenResponseError, 403, lambda: connect(keys.create(name="worker").key).create(name="x")),
        (errors.NotFoundResponseError, 404, lambda: keys.get(hash="0" * 64)),
        (errors.NotFoundResponseError, 404, lambda: keys.delete(hash="0" * 64)),
    ]
    for error, status, operation in cases:
        with pytest.raises(error) as raised:
            operation()
        assert raised.value.status_code == status == raised.value.data.error.code


@pytest.mark.parametrize(
    "fault, error, operation",
    [
        (
            {"method": "PATCH", "status": 409, "message": "Concurrent modification"},
            errors.ConflictResponseError,
            lambda keys, key_hash: keys.update(hash=key_hash, name="x"),
        ),
        (
            {"method": "GET", "status": 429, "retry_after": 3},
            errors.TooManyRequestsResponseError,
            lambda keys, key_hash: keys.list(),
        ),
        (
            {"method": "POST", "status": 429},
            errors.TooManyRequestsResponseError,
            lambda keys, key_hash: keys.create(name="x"),
        ),
        (
            {"method": "DELETE", "status": 500},
            errors.InternalServerResponseError,
            lambda keys, key_hash: keys.delete(hash=key_hash),
        ),
        (
            {"method": "GET", "path": "^/key$", "status": 500},
            errors.InternalServerResponseError,
            lambda keys, key_hash: keys.get_current_key_metadata(),
        ),
    ],
)
def test_injected_errors(keys, control, fault, error, operation):
    key_hash = keys.create(name="target").data.hash
    control.add_fault(action="status", **fault)
    with pytest.raises(error) as raised:
        operation(keys, key_hash)
    assert raised.value.status_code == fault["status"] == raised.value.data.error.code
    assert raised.value.headers.get("Retry-After") == (str(fault["retry_after"]) if "retry_after" in fault else None)


# --- guardrails -----------------------------------------------------------------------------------------------


def test_guardrail_create_get_list_update_delete(sdk):
    created = sdk.guardrails.create(
        name="strict",
        description="only two models",
        limit_usd=25,
        reset_interval="monthly",
        allowed_providers=["openai", "anthropic"],
        ignored_providers=["deepinfra"],
        allowed_models=["openai/gpt-4o", "anthropic/claude-3.5-sonnet-20240620"],
        ignored_models=["openai/gpt-4o-mini"],
        enforce_zdr=True,
        enforce_zdr_openai=False,
        allowed_data_regions=["europe"],
        content_filters=[{"pattern": r"\bsecret-\d+\b", "action": "redact", "label": "[SECRET-ID]"}],
        content_filter_builtins=[
            {"slug": "email", "action": "block"},
            {"slug": "regex-prompt-injection", "action": "flag"},
        ],
        enable_free_model_publication=False,
        enable_free_model_training=False,
        enable_paid_model_training=False,
        allow_safety_retention_google=False,
        allow_safety_retention_other=True,
        include_byok_in_budgets=True,
    ).data
    assert_complete(created)
    # Model lists come back as canonical slugs, whichever form the request used.
    assert created.allowed_models == ["openai/gpt-4o-2024-05-13", "anthropic/claude-3.5-sonnet-20240620"]
    assert created.ignored_models == ["openai/gpt-4o-mini-2024-07-18"]
    assert (created.enforce_zdr_openai, created.enforce_zdr_anthropic, created.enforce_zdr_other) == (False, True, True)
    assert created.content_filter_builtins[0].label == "[EMAIL]"
    assert created.content_filter_builtins[1].scan_scope == "all_messages"
    assert created.workspace_id == DEFAULT_WORKSPACE and created.updated_at is None

    fetched = sdk.guardrails.get(id=created.id).data
    assert_complete(fetched)
    assert fetched.model_dump() == created.model_dump()

    for index in range(3):
        sdk.guardrails.create(name=f"g{index}")
    listed = sdk.guardrails.list(offset=1, limit=2).result
    assert listed.total_count == 4 and [row.name for row in listed.data] == ["g1", "g0"]
    for row in listed.data:
        assert_complete(row)

    updated = sdk.guardrails.update(id=created.id, name="renamed", allowed_models=None, limit_usd=30).data
    assert_complete(updated)
    assert (updated.name, updated.allowed_models, updated.limit_usd, updated.reset_interval) == (
        "renamed",
        None,
        30,
        "monthly",
    )
    assert updated.include_byok_in_budgets is True and updated.updated_at is not None

    deleted = sdk.guardrails.delete(id=created.id)
    assert deleted.DELETED is True
    with pytest.raises(errors.NotFoundResponseError):
        sdk.guardrails.get(id=created.id)


def test_guardrail_assignments(sdk, keys, control):
    control.seed_members([{"id": "user_a"}, {"id": "user_b", "role": "org:admin"}])
    first, second = (sdk.guardrails.create(name=name).data.id for name in ("first", "second"))
    hashes = [keys.create(name=name).data.hash for name in ("k1", "k2")]

    assert sdk.guardrails.bulk_assign_keys(id=first, key_hashes=hashes).assigned_count == 2
    assert sdk.guardrails.bulk_assign_members(id=first, member_user_ids=["user_a", "user_b"]).assigned_count == 2
    keys.update(hash=hashes[0], name="k1-renamed")
    rows = sdk.guardrails.list_guardrail_key_assignments(id=first).result
    assert rows.total_count == 2 and {row.key_name for row in rows.data} == {"k1-renamed", "k2"}
    for row in rows.data:
        assert_complete(row)
    members = sdk.guardrails.list_guardrail_member_assignments(id=first).result
    assert {row.user_id for row in members.data} == {"user_a", "user_b"}
    for row in members.data:
        assert_complete(row)

    # A key holds one guardrail: assigning it elsewhere moves it.
    assert sdk.guardrails.bulk_assign_keys(id=second, key_hashes=hashes[:1]).assigned_count == 1
    everything = sdk.guardrails.list_key_assignments().result
    assert sorted((row.key_hash, row.guardrail_id) for row in everything.data) == sorted(
        [(hashes[0], second), (hashes[1], first)]
    )
    assert sdk.guardrails.list_member_assignments(limit=1).result.total_count == 2

    assert sdk.guardrails.bulk_unassign_keys(id=first, key_hashes=hashes).unassigned_count == 1
    assert sdk.guardrails.bulk_unassign_members(id=first, member_user_ids=["user_a"]).unassigned_count == 1
    assert sdk.guardrails.list_guardrail_key_assignments(id=first).result.total_count == 0


def test_default_guardrail(sdk):
    workspace = sdk.workspaces.create(name="Team", slug="team").data
    with pytest.raises(errors.NotFoundResponseError):
        sdk.guardrails.get(id=workspace.default_guardrail_id)
    materialised = sdk.guardrails.update(id=workspace.default_guardrail_id, enforce_zdr_openai=True).data
    assert_complete(materialised)
    assert (materialised.id, materialised.name, materialised.workspace_id) == (
        workspace.default_guardrail_id,
        f"Workspace {workspace.id} Default",
        workspace.id,
    )
    assert sdk.guardrails.get(id=workspace.default_guardrail_id).data.enforce_zdr_openai is True
    with pytest.raises(errors.BadRequestResponseError):
        sdk.guardrails.update(id=workspace.default_guardrail_id, name="renamed")


# --- workspaces -----------------------------------------------------------------------------------------------


def test_workspace_create_get_list_update_delete(sdk):
    created = sdk.workspaces.create(
        name="Research",
        slug="research",
        description="lab keys",
        default_text_model="openai/gpt-4o",
        default_image_model="google/gemini-2.5-pro",
        default_provider_sort="price",
        disabled_server_tools=["openrouter:web_search"],
        io_logging_api_key_ids=[1, 2],
        io_logging_sampling_rate=0.5,
        is_observability_io_logging_enabled=True,
        is_observability_broadcast_enabled=False,
        is_data_discount_logging_enabled=True,
    ).data
    assert_complete(created)
    assert (created.slug, created.io_logging_sampling_rate, created.disabled_server_tools) == (
        "research",
        0.5,
        ["openrouter:web_search"],
    )
    by_slug = sdk.workspaces.get(id="research").data
    assert_complete(by_slug)
    assert by_slug.model_dump() == created.model_dump()

    listed = sdk.workspaces.list(limit=1).result
    assert listed.total_count == 2 and [row.slug for row in listed.data] == ["research"]
    assert [row.slug for row in sdk.workspaces.list(offset=1).result.data] == ["default"]

    updated = sdk.workspaces.update(id=created.id, name="Lab", slug="lab", disabled_server_tools=[]).data
    assert_complete(updated)
    assert (updated.name, updated.slug, updated.disabled_server_tools) == ("Lab", "lab", None)

    assert sdk.workspaces.delete(id="lab").DELETED is True
    with pytest.raises(errors.NotFoundResponseError):
        sdk.workspaces.get(id=created.id)
    with pytest.raises(errors.BadRequestResponseError):
        sdk.workspaces.delete(id="default")
    assert sdk.workspaces.delete(id="default", confirm_default_workspace_deletion=True).DELETED is True


def test_workspace_members(sdk, control):
    control.seed_members([{"id": "user_a", "first_name": "Ada"}, {"id": "user_b", "role": "org:admin"}])
    workspace = sdk.workspaces.create(name="Team", slug="team").data
    added = sdk.workspaces.bulk_add_members(id="team", user_ids=["user_a", "user_b"])
    assert added.added_count == 2 and {row.role for row in added.data} == {"member", "admin"}
    listed = sdk.workspaces.list_members(id=workspace.id).result
    assert listed.total_count == 2
    for row in listed.data:
        assert_complete(row)
    assert sdk.workspaces.bulk_remove_members(id="team", user_ids=["user_a"]).removed_count == 1
    default = sdk.workspaces.list_members(id=DEFAULT_WORKSPACE).result
    assert {row.user_id for row in default.data} == {"user_admin", "user_a", "user_b"}

    organization = sdk.organization.list_members(limit=2).result
    assert organization.total_count == 3 and len(organization.data) == 2
    for row in organization.data:
        assert_complete(row)


def test_workspace_budgets(sdk):
    sdk.workspaces.create(name="Team", slug="team")
    lifetime = sdk.workspaces.set_budget(workspace_ref="team", interval="lifetime", limit_usd=1000)
    assert_complete(lifetime.data)
    assert (lifetime.data.reset_interval, lifetime.include_byok_in_budgets) == (None, False)
    monthly = sdk.workspaces.set_budget(
        workspace_ref="team", interval="monthly", limit_usd=500, include_byok_in_budgets=True
    )
    assert (monthly.data.reset_interval, monthly.include_byok_in_budgets) == ("monthly", True)
    with pytest.raises(errors.BadRequestResponseError) as raised:
        sdk.workspaces.set_budget(workspace_ref="team", interval="weekly", limit_usd=600)
    assert raised.value.data.error.message == (
        "Budget limits must be strictly decreasing as scope narrows: "
        "the monthly limit ($500) must be greater than the weekly limit ($600)."
    )
    listed = sdk.workspaces.list_budgets(workspace_ref="team")
    assert [row.limit_usd for row in listed.data] == [1000, 500] and listed.include_byok_in_budgets is True
    fetched = sdk.workspaces.get_budget(workspace_ref="team", interval="monthly")
    assert_complete(fetched.data)
    assert sdk.workspaces.delete_budget(workspace_ref="team", interval="monthly").DELETED is True
    assert sdk.workspaces.delete_budget(workspace_ref="team", interval="daily").DELETED is True
    assert sdk.workspaces.get(id="team").data.include_byok_in_budgets is True


# --- models and key moves -------------------------------------------------------------------------------------


def test_models_list(sdk):
    models = sdk.models.list().result
    assert models.total_count == len(models.data) and models.links.next is None
    for model in models.data:
        assert_complete(model.top_provider)
    assert any(model.id != model.canonical_slug for model in models.data)
    assert any(model.id == model.canonical_slug for model in models.data)


def test_key_moves_with_its_guardrail(sdk, keys):
    workspace = sdk.workspaces.create(name="Team", slug="team").data
    created = keys.create(name="mover", external={"user": "customer-9", "api_key": "pk-" + "0123456789abcdef" * 3})
    assert created.data.external_user == "customer-9"
    guardrail = sdk.guardrails.create(name="g").data
    sdk.guardrails.bulk_assign_keys(id=guardrail.id, key_hashes=[created.data.hash])
    moved = keys.update(hash=created.data.hash, workspace_id=workspace.id).data
    assert_complete(moved)
    assert (moved.hash, moved.workspace_id) == (created.data.hash, workspace.id)
    assert [row.key_hash for row in sdk.guardrails.list_guardrail_key_assignments(id=guardrail.id).result.data] == [
        created.data.hash
    ]
    assert [key.name for key in keys.list(workspace_id=workspace.id).data] == ["mover"]


def test_new_errors(sdk, keys):
    guardrail = sdk.guardrails.create(name="g").data
    cases = [
        (errors.BadRequestResponseError, lambda: sdk.guardrails.create(name="x", limit_usd=5)),
        (errors.BadRequestResponseError, lambda: sdk.guardrails.list(limit=101)),
        (errors.BadRequestResponseError, lambda: sdk.guardrails.bulk_assign_keys(id=guardrail.id, key_hashes=[])),
        (errors.NotFoundResponseError, lambda: sdk.guardrails.get(id="no-such-guardrail")),
        (errors.NotFoundResponseError, lambda: sdk.guardrails.list_guardrail_key_assignments(id="no-such")),
        (errors.BadRequestResponseError, lambda: sdk.workspaces.create(name="x", slug="Not A Slug")),
        (errors.BadRequestResponseError, lambda: sdk.workspaces.create(name="x", slug="default")),
        (errors.NotFoundResponseError, lambda: sdk.workspaces.get(id="missing")),
        (
            errors.BadRequestResponseError,
            lambda: sdk.workspaces.set_budget(workspace_ref="default", interval="daily", limit_usd=0),
        ),
        (errors.BadRequestResponseError, lambda: keys.create(name="x", external={"user": "u", "api_key": "short"})),
    ]
    for error, operation in cases:
        with pytest.raises(error) as raised:
            operation()
        assert raised.value.status_code == raised.value.data.error.code


@pytest.mark.parametrize(
    "method, path, operation",
    [
        ("GET", "^/guardrails$", lambda sdk: sdk.guardrails.list()),
        (
            "POST",
            "^/guardrails/[^/]+/assignments/keys$",
            lambda sdk: sdk.guardrails.bulk_assign_keys(id="g", key_hashes=["h"]),
        ),
        ("GET", "^/workspaces/default/members$", lambda sdk: sdk.workspaces.list_members(id="default")),
        (
            "PUT",
            "^/workspaces/[^/]+/budgets/daily$",
            lambda sdk: sdk.workspaces.set_budget(workspace_ref="default", interval="daily", limit_usd=1),
        ),
        ("GET", "^/organization/members$", lambda sdk: sdk.organization.list_members()),
    ],
)
def test_injected_errors_on_new_paths(sdk, control, method, path, operation):
    control.add_fault(action="status", method=method, path=path, status=500)
    with pytest.raises(errors.InternalServerResponseError) as raised:
        operation(sdk)
    assert raised.value.status_code == 500 == raised.value.data.error.code
    assert control.requests()[-1]["fault"] == "status"
