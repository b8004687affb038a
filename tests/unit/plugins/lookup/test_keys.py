# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The keys lookup against the real emulator over HTTP: what it returns, what it sends, and how it fails."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
import yaml
from ansible.errors import AnsibleLookupError
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import lookup_loader
from ansible.template import Templar

try:
    from ansible.template import trust_as_template
except ImportError:  # ansible-core < 2.19 templates every string

    def trust_as_template(value):
        return value


from ansible_collections.openrouter.provisioning.plugins.lookup import keys as keys_lookup
from ansible_collections.openrouter.provisioning.plugins.module_utils.common import MANAGEMENT_KEY_ENV
from ansible_collections.openrouter.provisioning.tests.unit.helpers import MANAGEMENT_KEY

ENV = MANAGEMENT_KEY_ENV + ("OPENROUTER_API_URL",)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def lookup(api_url):
    """Run the lookup as a template's lookup() would, with the emulator's URL and key unless told otherwise."""
    loader = DataLoader()
    templar = Templar(loader=loader)
    plugin = lookup_loader.get("openrouter.provisioning.keys", loader=loader, templar=templar)

    def run(*terms, variables=None, **options):
        templar.available_variables = variables or {}
        options.setdefault("api_url", api_url)
        options.setdefault("management_key", MANAGEMENT_KEY)
        options.setdefault("retries", 0)
        options = {name: value for name, value in options.items() if value is not None}
        return plugin.run(list(terms), variables=variables or {}, **options)

    return run


@pytest.fixture
def seeded(control):
    """Four keys, two sharing a name, one disabled, one in the workspace ws-other; newest first, as the API lists
    them."""
    control.seed_workspaces([{"name": "Other", "slug": "ws-other"}])
    created = control.seed(
        keys=[
            {"name": "ci-pipeline", "limit": 25},
            {"name": "twin"},
            {"name": "twin", "disabled": True},
            {"name": "elsewhere", "workspace_id": "ws-other"},
        ]
    )
    control.clear_requests()
    return created


def calls(control):
    return ["%s %s" % (entry["method"], entry["path"]) for entry in control.requests()]


def test_one_name_is_one_listing_and_returns_the_record_without_a_secret(lookup, control, seeded):
    found = lookup("ci-pipeline")
    assert [record["hash"] for record in found] == [seeded[0]["hash"]]
    assert found[0]["limit"] == 25
    assert "key" not in found[0]
    assert not any(key["key"] in str(found) for key in seeded)
    assert calls(control) == ["GET /keys"]
    assert control.requests()[0]["query"]["include_disabled"] == "true"


def test_several_names_share_one_listing_and_keep_their_order(lookup, control, seeded):
    found = lookup("twin", "ci-pipeline")
    assert [record["name"] for record in found] == ["twin", "twin", "ci-pipeline"]
    assert calls(control) == ["GET /keys"]


def test_no_names_returns_every_key_of_the_workspace(lookup, seeded):
    assert sorted(record["name"] for record in lookup()) == ["ci-pipeline", "twin", "twin"]
    assert [record["name"] for record in lookup(workspace_id="ws-other")] == ["elsewhere"]


def test_a_workspace_slug_costs_one_request_and_an_id_none(lookup, control, seeded):
    assert [record["name"] for record in lookup("elsewhere", workspace_id="ws-other")] == ["elsewhere"]
    assert calls(control) == ["GET /workspaces/ws-other", "GET /keys"]
    workspace = control.requests()[1]["query"]["workspace_id"]
    control.clear_requests()
    assert [record["name"] for record in lookup("elsewhere", workspace_id=workspace)] == ["elsewhere"]
    assert calls(control) == ["GET /keys"]


def test_an_unknown_workspace_slug_fails_naming_the_option(lookup, control, seeded):
    with pytest.raises(AnsibleLookupError) as caught:
        lookup("svc", workspace_id="no-such-team")
    assert "workspace_id 'no-such-team' is neither a workspace's id nor the slug of an existing workspace" in str(
        caught.value
    )
    assert "GET /keys" not in calls(control)


def test_filters_reach_the_api(lookup, control, seeded):
    assert [record["name"] for record in lookup("twin", include_disabled=False)] == ["twin"]
    assert control.requests()[0]["query"]["include_disabled"] == "false"


def test_hashes_are_read_one_request_each(lookup, control, seeded):
    wanted = [seeded[3]["hash"], seeded[0]["hash"]]
    found = lookup(hash=wanted)
    assert [record["hash"] for record in found] == wanted
    assert calls(control) == ["GET /keys/%s" % key_hash for key_hash in wanted]


def test_every_page_is_read(lookup, control):
    control.seed(count=205, name_prefix="page-")
    control.clear_requests()
    assert len(lookup()) == 205
    assert [entry["query"]["offset"] for entry in control.requests()] == ["0", "100", "200"]


@pytest.mark.parametrize(
    "terms, options, message",
    [
        (("nope",), {}, "no key is named 'nope'."),
        (("nope",), {"workspace_id": "ws-other"}, "no key is named 'nope' in workspace 'ws-other'."),
        ((), {"hash": ["a" * 64]}, "no key has the hash '%s'." % ("a" * 64)),
    ],
)
def test_a_missing_key_fails_by_default_and_says_how_to_skip_it(lookup, seeded, terms, options, message):
    with pytest.raises(AnsibleLookupError) as caught:
        lookup(*terms, **options)
    assert message in str(caught.value)
    assert "on_missing=skip" in str(caught.value)


def test_a_missing_key_can_be_skipped_or_warned_about(lookup, seeded, monkeypatch):
    warnings = []
    monkeypatch.setattr(keys_lookup.display, "warning", warnings.append)
    assert [record["name"] for record in lookup("nope", "ci-pipeline", on_missing="skip")] == ["ci-pipeline"]
    assert warnings == []
    assert lookup("nope", on_missing="warn") == []
    assert warnings == ["openrouter.provisioning.keys: no key is named 'nope'."]


@pytest.mark.parametrize(
    "terms, options, message",
    [
        (("svc",), {"hash": ["abc"]}, "hash must be the 64 hexadecimal characters"),
        (("",), {}, "A key name given to the keys lookup must not be empty"),
        (("svc",), {"workspace_id": ""}, "workspace_id must not be empty"),
        (("svc",), {"workspace_id": "Team A"}, "workspace_id must be a workspace's id (a UUID) or its slug"),
        (("svc",), {"api_url": "127.0.0.1:9/api/v1"}, "api_url must be an http:// or https:// URL"),
        (("svc",), {"timeout": 0}, "timeout must be a number of seconds greater than 0"),
        (("svc",), {"management_key": None}, "management_key is required: set the management_key option or the "),
    ],
)
def test_bad_input_fails_before_any_request(lookup, control, terms, options, message):
    with pytest.raises(AnsibleLookupError) as caught:
        lookup(*terms, **options)
    assert message in str(caught.value)
    assert control.requests() == []


def test_an_ordinary_key_gets_a_clear_403_without_its_secret(lookup, control):
    ordinary = control.seed(keys=[{"name": "app"}])[0]["key"]
    with pytest.raises(AnsibleLookupError) as caught:
        lookup("app", management_key=ordinary)
    message = str(caught.value)
    assert "GET /keys failed with HTTP 403" in message
    assert "not a management key" in message
    assert ordinary not in message


def test_a_wrong_key_gets_a_clear_401_without_the_key(lookup):
    wrong = "sk-or-v1-not-a-real-key-0123456789"
    with pytest.raises(AnsibleLookupError) as caught:
        lookup("svc", management_key=wrong)
    assert "HTTP 401" in str(caught.value)
    assert wrong not in str(caught.value)


def test_an_unreachable_api_says_so(lookup):
    with pytest.raises(AnsibleLookupError) as caught:
        lookup("svc", api_url="http://127.0.0.1:9/api/v1")
    assert "could not reach http://127.0.0.1:9/api/v1" in str(caught.value)
    assert "api_url" in str(caught.value)


def test_it_retries_as_the_modules_do(lookup, control, seeded):
    control.add_fault(method="GET", path="^/keys$", action="status", status=503)
    assert len(lookup("ci-pipeline", retries=2)) == 1
    assert calls(control) == ["GET /keys", "GET /keys"]


def test_connection_comes_from_the_environment_as_for_the_modules(lookup, monkeypatch, api_url, seeded):
    for name in MANAGEMENT_KEY_ENV:
        monkeypatch.setenv(name, MANAGEMENT_KEY)
        monkeypatch.setenv("OPENROUTER_API_URL", api_url)
        assert len(lookup("ci-pipeline", api_url=None, management_key=None)) == 1
        monkeypatch.delenv(name)


def test_connection_comes_from_templated_variables(lookup, api_url, seeded):
    variables = {
        "emulator_url": api_url,
        "vault_key": MANAGEMENT_KEY,
        # Strings from a playbook are trusted as templates; only those are templated.
        "openrouter_api_url": trust_as_template("{{ emulator_url }}"),
        "openrouter_management_key": trust_as_template("{{ vault_key }}"),
    }
    assert len(lookup("ci-pipeline", api_url=None, management_key=None, variables=variables)) == 1


def test_the_environment_variables_take_precedence_in_the_modules_order(lookup, monkeypatch, api_url, seeded):
    """With all of them set, the first of the modules' list wins, as in the modules, whatever the others hold."""
    for name in MANAGEMENT_KEY_ENV[1:]:
        monkeypatch.setenv(name, "sk-or-v1-an-ordinary-key-0123456789")
    monkeypatch.setenv(MANAGEMENT_KEY_ENV[0], MANAGEMENT_KEY)
    assert len(lookup("ci-pipeline", management_key=None)) == 1


def test_documented_env_fallbacks_are_the_modules():
    """Ansible gives the last environment variable listed that is set precedence, the modules the first."""
    options = yaml.safe_load(keys_lookup.DOCUMENTATION)["options"]
    assert tuple(entry["name"] for entry in options["management_key"]["env"]) == MANAGEMENT_KEY_ENV[::-1]
    assert [entry["name"] for entry in options["api_url"]["env"]] == ["OPENROUTER_API_URL"]
