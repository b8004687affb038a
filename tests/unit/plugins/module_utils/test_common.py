# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""plugins/module_utils/common.py: the shared connection options and the glue from a module's params to its work."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.openrouter.provisioning.plugins.module_utils import client
from ansible_collections.openrouter.provisioning.plugins.module_utils.common import (
    MANAGEMENT_KEY_ENV,
    ModuleDefinition,
    connection_argument_spec,
    connection_problems,
    execute,
    key_source,
    with_key_from_file,
)
from ansible_collections.openrouter.provisioning.plugins.module_utils.errors import ProvisioningError
from ansible_collections.openrouter.provisioning.tests.unit.helpers import API, MANAGEMENT_KEY, galaxy_version

VALID = dict(management_key=MANAGEMENT_KEY, api_url=API, timeout=30.0, retries=0, retry_max_time=60.0)


@pytest.fixture(autouse=True)
def no_key_in_environment(monkeypatch):
    for name in MANAGEMENT_KEY_ENV:
        monkeypatch.delenv(name, raising=False)


def params(**changes):
    return dict(connection_defaults(), **dict(VALID, **changes))


def connection_defaults():
    return dict((name, spec.get("default")) for name, spec in connection_argument_spec().items())


def test_the_collection_version_in_the_client_is_galaxy_yml_s():
    version = galaxy_version()
    assert client.COLLECTION_VERSION == version
    assert client.USER_AGENT == "openrouter.provisioning/%s (Ansible collection)" % version


def test_the_connection_options_and_their_defaults():
    spec = connection_argument_spec()
    key = spec["management_key"]
    assert key["no_log"] is True and key["aliases"] == ["provisioning_key"]
    assert (
        key["fallback"][1]
        == list(MANAGEMENT_KEY_ENV)
        == [
            "OPENROUTER_MANAGEMENT_KEY",
            "OPENROUTER_PROVISIONING_KEY",
            "OPENROUTER_API_KEY",
        ]
    )
    assert spec["api_url"]["fallback"][1] == ["OPENROUTER_API_URL"]
    assert connection_defaults() == dict(
        management_key=None,
        api_url="https://openrouter.ai/api/v1",
        timeout=30.0,
        validate_certs=True,
        retries=5,
        retry_max_time=60.0,
        allow_plain_http=False,
        management_key_file=None,
    )


def test_valid_connection_options_have_no_problem():
    assert connection_problems(params()) == []
    assert connection_problems(params(api_url="https://openrouter.example/api/v1", retries=0, retry_max_time=0)) == []


@pytest.mark.parametrize(
    "changes, message",
    [
        (dict(management_key=None), "management_key is required: set the management_key option or the "),
        (dict(api_url="openrouter.ai/api/v1"), "api_url must be an http:// or https:// URL"),
        (dict(api_url="http://openrouter.example/api/v1"), "set allow_plain_http=true if the network"),
        (dict(timeout=0), "timeout must be a number of seconds greater than 0, got 0."),
        (dict(retries=-1), "retries must be 0 or more, got -1."),
        (dict(retry_max_time=-0.5), "retry_max_time must be 0 or more seconds, got -0.5."),
    ],
)
def test_each_unworkable_connection_option_is_named_with_its_fix(changes, message):
    problems = connection_problems(params(**changes))
    assert len(problems) == 1 and message in problems[0], problems


def test_plain_http_to_another_machine_passes_when_allowed():
    assert connection_problems(params(api_url="http://openrouter.example/api/v1", allow_plain_http=True)) == []


def test_the_key_file_replaces_the_option_stripped(tmp_path):
    path = tmp_path / "key"
    path.write_text("\n  %s \n" % MANAGEMENT_KEY)
    assert with_key_from_file(dict(management_key=None, management_key_file=str(path))) == (
        dict(management_key=MANAGEMENT_KEY, management_key_file=str(path)),
        [],
    )
    assert with_key_from_file(dict(management_key="x")) == (dict(management_key="x"), [])


@pytest.mark.parametrize(
    "content, message",
    [
        ("", "must hold the management key alone, got an empty file."),
        ("a b", "got several words."),
        (None, "can't be read"),
    ],
)
def test_a_key_file_that_cannot_serve_says_why(tmp_path, content, message):
    path = tmp_path / "key"
    if content is not None:
        path.write_text(content)
    given = dict(management_key=None, management_key_file=str(path))
    returned, problems = with_key_from_file(given)
    assert returned == given and len(problems) == 1 and problems[0].startswith("management_key_file %s " % path)
    assert message in problems[0]


def test_the_key_source_is_the_first_set_variable_when_it_holds_the_key(monkeypatch):
    assert key_source(dict(management_key=MANAGEMENT_KEY)) is None
    monkeypatch.setenv("OPENROUTER_API_KEY", MANAGEMENT_KEY)
    assert key_source(dict(management_key=MANAGEMENT_KEY)) == "OPENROUTER_API_KEY"
    assert key_source(dict(management_key=MANAGEMENT_KEY, management_key_file="/k")) is None
    monkeypatch.setenv("OPENROUTER_PROVISIONING_KEY", "sk-or-v1-another")  # set first, so it decides
    assert key_source(dict(management_key=MANAGEMENT_KEY)) is None
    assert key_source(dict(management_key="sk-or-v1-another")) == "OPENROUTER_PROVISIONING_KEY"


def definition(run, problems=None):
    return ModuleDefinition(dict(name=dict(type="str")), run, problems)


def test_execute_returns_the_work_s_result_and_keeps_the_diff_only_in_diff_mode():
    work = definition(
        lambda api, given, check_mode: {"changed": check_mode, "diff": {"before": {}}, "url": api.api_url}
    )
    assert execute(work, params(), check_mode=True, diff=True) == {
        "changed": True,
        "diff": {"before": {}},
        "url": API,
    }
    assert execute(work, params()) == {"changed": False, "url": API}


def test_execute_fails_before_any_work_on_every_problem_without_the_key():
    def run(api, given, check_mode):
        raise AssertionError("no work may start")

    work = definition(run, lambda given: ["name %s is not allowed." % given["management_key"]])
    result = execute(work, params(timeout=0))
    assert result["failed"] and not result["changed"] and MANAGEMENT_KEY not in result["msg"]
    assert result["msg"].startswith("name ") and result["msg"].endswith("greater than 0, got 0.")


def test_execute_turns_a_provisioning_error_into_a_failure_with_its_partial_result():
    def run(api, given, check_mode):
        raise ProvisioningError("lost after create with %s" % MANAGEMENT_KEY, {"secret": "kept", "changed": True})

    result = execute(definition(run), params())
    assert result == {"secret": "kept", "changed": True, "failed": True, "msg": "lost after create with ********"}
