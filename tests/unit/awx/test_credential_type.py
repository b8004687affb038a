# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWX/AAP credential type: its injector, rendered as AWX renders it, gives an environment the modules work with."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
import yaml
from ansible.module_utils import basic
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ansible_collections.openrouter.provisioning.plugins.module_utils.client import DEFAULT_API_URL
from ansible_collections.openrouter.provisioning.plugins.module_utils.common import MANAGEMENT_KEY_ENV
from ansible_collections.openrouter.provisioning.plugins.modules.openrouter_key_info import main as info_main
from ansible_collections.openrouter.provisioning.tests.unit import helpers

DEFINITION = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "extensions", "awx", "openrouter_credential_type.yml"
)


@pytest.fixture(scope="module")
def definition():
    with open(DEFINITION) as handle:
        return yaml.safe_load(handle)


def awx_inject(injectors, inputs):
    """The environment AWX gives a job, as its CredentialType.inject_credential builds it.

    Only inputs with a value are in the template namespace, every `env` injector is set, and each is rendered in
    Jinja's immutable sandbox.
    """
    namespace = {name: value for name, value in inputs.items() if len(value)}
    sandbox = ImmutableSandboxedEnvironment()
    return {name: sandbox.from_string(template).render(**namespace) for name, template in injectors["env"].items()}


@pytest.fixture
def run_in(monkeypatch):
    """Run a module's main() with only this environment to configure its connection, as a job in AWX would."""
    monkeypatch.setattr(basic.AnsibleModule, "exit_json", lambda self, **result: _exit(result, False))
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", lambda self, **result: _exit(result, True))

    def run(main, environment, **options):
        for name in MANAGEMENT_KEY_ENV + ("OPENROUTER_API_URL",):
            monkeypatch.delenv(name, raising=False)
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        with helpers.patch_module_args(dict(options, retries=0)):
            with pytest.raises(helpers.ModuleExit) as caught:
                main()
        return caught.value.result

    return run


def _exit(result, failed):
    raise helpers.ModuleExit(result, failed)


def test_the_key_is_a_required_secret_and_the_url_optional(definition):
    fields = {field["id"]: field for field in definition["inputs"]["fields"]}
    assert fields["management_key"]["secret"] is True
    assert not fields["api_url"].get("secret")
    assert definition["inputs"]["required"] == ["management_key"]
    assert set(definition["injectors"]) == {"env"}
    assert definition["kind"] == "cloud"


def test_an_injected_url_and_key_reach_the_emulator(definition, run_in, api_url, control):
    environment = awx_inject(definition["injectors"], {"management_key": helpers.MANAGEMENT_KEY, "api_url": api_url})
    assert environment == {"OPENROUTER_MANAGEMENT_KEY": helpers.MANAGEMENT_KEY, "OPENROUTER_API_URL": api_url}
    control.seed(keys=[{"name": "ci-pipeline"}])
    control.clear_requests()

    result = run_in(info_main, environment, current=True)

    assert not result["failed"], result
    assert result["current"]["is_management_key"]
    assert [record["name"] for record in result["api_keys"]] == ["ci-pipeline"]
    assert [entry["path"] for entry in control.requests()] == ["/keys", "/key"]


@pytest.mark.parametrize("inputs", [{}, {"api_url": ""}], ids=["url-not-given", "url-empty"])
def test_an_empty_url_injects_the_default_not_an_empty_variable(definition, run_in, http, inputs):
    environment = awx_inject(definition["injectors"], dict({"management_key": helpers.MANAGEMENT_KEY}, **inputs))
    assert environment["OPENROUTER_API_URL"] == DEFAULT_API_URL
    http.get(DEFAULT_API_URL + "/key", json={"data": {"label": "sk-or-v1-abc...9f3e", "is_management_key": True}})

    result = run_in(info_main, environment, current=True, list=False)

    assert not result["failed"], result
    assert result["current"]["is_management_key"]
    assert http.calls[0].request.headers["Authorization"] == "Bearer " + helpers.MANAGEMENT_KEY


def test_why_the_injector_needs_a_default(run_in):
    """A plain "{{ api_url }}" injector would set OPENROUTER_API_URL to an empty string, which the modules refuse."""
    environment = awx_inject({"env": {"OPENROUTER_API_URL": "{{ api_url }}"}}, {"api_url": ""})
    assert environment == {"OPENROUTER_API_URL": ""}
    environment["OPENROUTER_MANAGEMENT_KEY"] = helpers.MANAGEMENT_KEY

    result = run_in(info_main, environment)

    assert result["failed"]
    assert "api_url must be an http:// or https:// URL" in result["msg"]
