# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The organization's members and the models list: GET /organization/members and GET /models; both seedable."""

from __future__ import annotations

from typing import Any

from .common import AUTH_MANAGEMENT, ApiError, check_optional_str, check_str, is_int, page, query_offset, route

ORGANIZATION_ID = "org_emulator"
ORG_ROLES = ("org:admin", "org:member")
# Some models' slug (id) differs from their canonical slug, as on the real list, so guardrail model lists can be
# checked to come back canonical whatever the request named.
DEFAULT_MODELS = (
    {"id": "openai/gpt-4o", "canonical_slug": "openai/gpt-4o-2024-05-13"},
    {"id": "openai/gpt-4o-mini", "canonical_slug": "openai/gpt-4o-mini-2024-07-18"},
    {"id": "anthropic/claude-3.5-sonnet", "canonical_slug": "anthropic/claude-3.5-sonnet-20240620"},
    {"id": "anthropic/claude-sonnet-4", "canonical_slug": "anthropic/claude-4-sonnet-20250522"},
    {"id": "google/gemini-2.5-pro", "canonical_slug": "google/gemini-2.5-pro"},
    {"id": "meta-llama/llama-3.1-8b-instruct", "canonical_slug": "meta-llama/llama-3.1-8b-instruct"},
    {"id": "mistralai/mistral-small", "canonical_slug": "mistralai/mistral-small"},
)
DEFAULT_MEMBERS = ({"id": "user_admin", "email": "admin@example.com", "role": "org:admin"},)
MODELS_DEFAULT_LIMIT = 500  # the SDK's default for GET /models


def model_record(spec: Any) -> dict[str, Any]:
    """A full SDK Model from {id, canonical_slug?, name?, created?}."""
    if not isinstance(spec, dict):
        raise ApiError(400, "each model must be an object with id and, optionally, canonical_slug and name")
    slug = check_str("id", spec.get("id"))
    created = spec.get("created", 1700000000)
    if not is_int(created):
        raise ApiError(400, "created must be an integer (seconds since the epoch)")
    return {
        "id": slug,
        "canonical_slug": check_str("canonical_slug", spec.get("canonical_slug", slug)),
        "name": check_str("name", spec.get("name", slug)),
        "created": created,
        "description": "",
        "context_length": 128000,
        "architecture": {"input_modalities": ["text"], "output_modalities": ["text"], "modality": "text->text"},
        "pricing": {"prompt": "0", "completion": "0"},
        "top_provider": {"is_moderated": False, "context_length": 128000, "max_completion_tokens": None},
        "per_request_limits": None,
        "supported_parameters": [],
        "supported_voices": None,
        "default_parameters": None,
        "links": {"details": f"/api/v1/models/{slug}/endpoints"},
    }


def member_record(spec: Any) -> dict[str, Any]:
    """An organization member from {id, email?, first_name?, last_name?, role?}."""
    if not isinstance(spec, dict):
        raise ApiError(400, "each member must be an object with id and, optionally, email, first_name, last_name, role")
    user_id = check_str("id", spec.get("id"))
    role = spec.get("role", "org:member")
    if role not in ORG_ROLES:
        raise ApiError(400, f"role must be one of {', '.join(ORG_ROLES)}")
    return {
        "id": user_id,
        "email": check_str("email", spec.get("email", f"{user_id}@example.com")),
        "first_name": check_optional_str("first_name", spec.get("first_name")),
        "last_name": check_optional_str("last_name", spec.get("last_name")),
        "role": role,
    }


class CatalogueMixin:
    """GET /models and GET /organization/members, mixed into Emulator."""

    _models: list[dict[str, Any]]
    _members: dict[str, dict[str, Any]]

    def _catalogue_routes(self):
        return (
            # The models list is public on the real API; a key, if sent, is not checked.
            route(r"/models", {"GET": lambda call: self._list_models(call.query)}),
            route(
                r"/organization/members",
                {"GET": lambda call: (200, page(list(self._members.values()), call.query))},
                AUTH_MANAGEMENT,
            ),
        )

    def _list_models(self, query: dict[str, str]) -> tuple[int, Any]:
        offset = query_offset(query)
        value = query.get("limit", str(MODELS_DEFAULT_LIMIT))
        if not value.isdigit() or not value.isascii() or int(value) < 1:
            raise ApiError(400, "limit must be an integer >= 1")
        end = offset + int(value)
        following = f"/api/v1/models?offset={end}&limit={value}" if end < len(self._models) else None
        data = self._models[offset:end]
        return 200, {"data": data, "total_count": len(self._models), "links": {"next": following}}

    def _canonical_model(self, name: str) -> str:
        """The canonical slug of a model named by slug or canonical slug; a name not on the list is kept as sent."""
        for model in self._models:
            if name in (model["id"], model["canonical_slug"]):
                return model["canonical_slug"]
        return name
