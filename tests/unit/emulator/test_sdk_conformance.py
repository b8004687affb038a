# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every key operation through OpenRouter's official Python SDK (openrouter==1.3.84) against the emulator.

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


@pytest.fixture
def connect(base_url):
    """Make SDK clients for the emulator: loopback only, and no retries so that an injected 500 surfaces at once."""
    clients = []

    def make(api_key):
        http = httpx.Client(trust_env=False)
        clients.append(http)
        return openrouter.OpenRouter(api_key=api_key, server_url=base_url, client=http, retry_config=None).api_keys

    yield make
    for http in clients:
        http.close()


@pytest.fixture
def keys(connect, management_key):
    return connect(management_key)


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
