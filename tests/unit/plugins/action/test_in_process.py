# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The in-process action plugins: where each task runs, and that its result is the module's own."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
from unittest.mock import MagicMock

import pytest
import responses
from ansible.errors import AnsibleActionFail
from ansible.module_utils.common import warnings as module_warnings
from ansible.module_utils.common.parameters import PASS_VARS

from ansible_collections.openrouter.provisioning.plugins.action.openrouter_key import ActionModule as KeyAction
from ansible_collections.openrouter.provisioning.plugins.module_utils import listing_cache
from ansible_collections.openrouter.provisioning.plugins.module_utils.common import ModuleDefinition
from ansible_collections.openrouter.provisioning.plugins.modules import openrouter_key, openrouter_key_info
from ansible_collections.openrouter.provisioning.plugins.plugin_utils import in_process
from ansible_collections.openrouter.provisioning.plugins.plugin_utils.in_process import SWITCH_ENV, module_result
from ansible_collections.openrouter.provisioning.tests.unit.helpers import (
    API,
    MANAGEMENT_KEY,
    SECRET,
    patch_module_args,
)

try:
    from ansible.module_utils import _internal as module_internal
except ImportError:  # ansible-core < 2.19
    module_internal = None

HASH = "%064x" % 1
FQCN = "openrouter.provisioning.openrouter_key"
ENV_NAMES = ("OPENROUTER_MANAGEMENT_KEY", "OPENROUTER_PROVISIONING_KEY", "OPENROUTER_API_KEY", "OPENROUTER_API_URL")
# ansible-core 2.21 adds `invocation` only when asked to; earlier versions always add it.
INJECT_CHOICES = (True, False) if "inject_invocation" in PASS_VARS else (True,)


def record(**fields):
    data = {"hash": HASH, "name": "svc", "label": "sk-or-v1-abc...0001", "disabled": False, "limit": None}
    data.update(fields, limit_reset=None, include_byok_in_limit=False, expires_at=None, creator_user_id=None)
    return dict(data, workspace_id="ws-default", created_at="2026-11-01T00:00:00Z", updated_at=None)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in ENV_NAMES + (SWITCH_ENV,):
        monkeypatch.delenv(name, raising=False)
    if hasattr(module_internal, "is_controller"):
        # From 2.19 a module's warnings go to the controller's display when it runs in a controller process.
        monkeypatch.setattr(module_internal, "is_controller", False)
    yield
    # AnsibleModule collects warnings in module globals, which one process running many modules must reset.
    for store in (module_warnings._global_warnings, module_warnings._global_deprecations):
        store.clear()


def module_output(module, args, check_mode, diff, inject):
    """What the module prints, through AnsibleModule's own exit_json and fail_json."""
    internal = dict(_ansible_check_mode=check_mode, _ansible_diff=diff, _ansible_module_name=FQCN)
    if "inject_invocation" in PASS_VARS:
        internal["_ansible_inject_invocation"] = inject
    with patch_module_args(dict(args, **internal)):
        with pytest.raises(SystemExit):
            module.main()


def messages(warnings):
    """Warning texts, whether a version prints them as strings or as structured summaries."""
    return [item if isinstance(item, str) else item.get("event", item).get("msg") for item in warnings or []]


def compare(capsys, module, args, check_mode=False, diff=False, inject=True, environment=None):
    """Run the module's main() and the in-process path on the same arguments; return both results, normalised."""
    module_output(module, args, check_mode, diff, inject)
    printed = json.loads(capsys.readouterr().out)
    listing_cache.forget()  # the two runs stand for two processes
    in_worker = module_result(
        module.DEFINITION,
        FQCN,
        args,
        dict(os.environ) if environment is None else environment,
        check_mode=check_mode,
        diff=diff,
        inject_invocation=inject,
    )
    in_worker = json.loads(json.dumps(in_worker))
    for result in (printed, in_worker):
        if "warnings" in result:
            result["warnings"] = messages(result["warnings"])
    return printed, in_worker


CONNECTION = dict(management_key=MANAGEMENT_KEY, api_url=API, retries=0)


@pytest.mark.parametrize("inject", INJECT_CHOICES)
@pytest.mark.parametrize(
    "args",
    [
        pytest.param(dict(CONNECTION, name="svc", colour="red"), id="unsupported-option"),
        pytest.param(dict(CONNECTION, limit=3), id="hash-or-name-missing"),
        pytest.param(dict(CONNECTION, name="svc", state="gone"), id="bad-choice"),
        pytest.param(dict(CONNECTION, name="svc", timeout="soon"), id="bad-type"),
        pytest.param(dict(CONNECTION, name="svc", expires_at="2027-01-01"), id="bad-value"),
        pytest.param(dict(api_url=API, name="svc"), id="no-management-key"),
        pytest.param(dict(CONNECTION, name="svc", api_url="ftp://example.invalid"), id="bad-url"),
    ],
)
def test_a_rejected_task_fails_exactly_as_the_module_does(capsys, args, inject):
    printed, in_worker = compare(capsys, openrouter_key, args, inject=inject)
    assert printed["failed"] and in_worker == printed
    assert MANAGEMENT_KEY not in json.dumps(in_worker)


@pytest.mark.parametrize("inject", INJECT_CHOICES)
@pytest.mark.parametrize("check_mode", [False, True])
def test_an_update_by_hash_matches_the_module_with_check_mode_and_diff(capsys, check_mode, inject):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as http:
        http.get(API + "/keys/" + HASH, json={"data": record(limit=1.0)})
        http.patch(API + "/keys/" + HASH, json={"data": record(limit=2.0)})
        args = dict(CONNECTION, hash=HASH, limit=2)
        printed, in_worker = compare(capsys, openrouter_key, args, check_mode=check_mode, diff=True, inject=inject)
    assert printed["changed"] and printed["diff"] == {"before": {"limit": 1.0}, "after": {"limit": 2.0}}
    assert in_worker == printed
    if inject:
        assert printed["invocation"]["module_args"]["management_key"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"


def test_a_create_returns_the_secret_and_hides_the_management_key(capsys):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as http:
        http.get(API + "/keys", json={"data": []})
        http.post(API + "/keys", status=201, json={"data": record(hash="%064x" % 2), "key": SECRET})
        printed, in_worker = compare(capsys, openrouter_key, dict(CONNECTION, name="svc"))
    assert printed["secret"] == SECRET and in_worker == printed
    assert MANAGEMENT_KEY not in json.dumps(in_worker)


def test_an_api_error_matches_the_module(capsys):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as http:
        http.get(API + "/keys", status=401, json={"error": {"code": 401, "message": "User not found."}})
        printed, in_worker = compare(capsys, openrouter_key_info, dict(CONNECTION))
    assert printed["failed"] and "401" in printed["msg"] and in_worker == printed


def test_an_option_given_with_its_alias_warns_like_the_module(capsys):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as http:
        http.get(API + "/keys", json={"data": [record()]})
        args = dict(CONNECTION, provisioning_key=MANAGEMENT_KEY)
        printed, in_worker = compare(capsys, openrouter_key_info, args)
    assert in_worker == printed
    assert in_worker["warnings"] == ["Both option management_key and its alias provisioning_key are set."]


def test_env_fallbacks_read_the_task_environment_not_the_workers(capsys, monkeypatch):
    """The module reads OPENROUTER_* from its own environment: the worker's with the task's `environment:` on top."""
    monkeypatch.setenv("OPENROUTER_MANAGEMENT_KEY", MANAGEMENT_KEY)
    monkeypatch.setenv("OPENROUTER_API_URL", API)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as http:
        http.get(API + "/keys", json={"data": [record()]})
        printed, in_worker = compare(capsys, openrouter_key_info, dict(retries=0))
    assert not printed.get("failed") and in_worker == printed
    assert MANAGEMENT_KEY not in json.dumps(in_worker)
    # The worker's own environment has the key, but the task's environment doesn't: the module would fail.
    result = module_result(openrouter_key_info.DEFINITION, FQCN, dict(retries=0), {"OPENROUTER_API_URL": API})
    assert result["failed"] and result["msg"].startswith("management_key is required")


def test_an_unexpected_exception_is_a_failed_result_without_secrets():
    def run(client, params, check_mode):
        raise RuntimeError("bug while holding %s" % params["management_key"])

    definition = ModuleDefinition(argument_spec={}, run=run)
    result = module_result(definition, FQCN, dict(CONNECTION), {})
    assert result["failed"] and not result["changed"]
    assert "RuntimeError" in result["msg"] and SWITCH_ENV in result["msg"]
    assert MANAGEMENT_KEY not in json.dumps(result)


def action(connection="local", async_val=0, become=False, task_vars_switch=None):
    task = MagicMock(async_val=async_val, check_mode=False, diff=False, environment=None, action=FQCN)
    task.args = dict(CONNECTION, hash=HASH)
    conn = MagicMock(transport=connection, has_native_async=False)
    conn._shell.tmpdir = None
    play_context = MagicMock(become=become)
    templar = MagicMock()
    templar.template.side_effect = lambda value, **kwargs: value
    plugin = KeyAction(task, conn, play_context, MagicMock(), templar, MagicMock())
    plugin._execute_module = MagicMock(return_value={"changed": False, "from": "module"})
    return plugin


@pytest.mark.parametrize(
    "kwargs, task_vars, env, reason",
    [
        ({}, {}, None, None),
        ({"connection": "ansible.builtin.local"}, {}, None, None),
        ({"connection": "ssh"}, {}, None, "the connection is not local"),
        ({"async_val": 30}, {}, None, "the task is async"),
        ({"become": True}, {}, None, "the task uses become"),
        ({}, {}, "false", "turns the in-process path off"),
        ({}, {}, "yes", None),
        ({}, {"openrouter_provisioning_in_process": False}, None, "turns the in-process path off"),
        ({}, {"openrouter_provisioning_in_process": True}, "false", None),
    ],
)
def test_the_switch_decides_where_the_task_runs(monkeypatch, kwargs, task_vars, env, reason):
    if env is not None:
        monkeypatch.setenv(SWITCH_ENV, env)
    found = action(**kwargs).module_path_reason(task_vars)
    assert found == reason if reason is None else reason in found


def test_a_switch_that_is_not_a_boolean_fails_the_task(monkeypatch):
    monkeypatch.setenv(SWITCH_ENV, "sometimes")
    with pytest.raises(AnsibleActionFail, match="OPENROUTER_PROVISIONING_IN_PROCESS must be true or false"):
        action().module_path_reason({})


def test_without_requests_on_the_controller_the_module_runs(monkeypatch):
    monkeypatch.setattr(in_process, "HAS_REQUESTS", False)
    assert "requests" in action().module_path_reason({})


@pytest.mark.parametrize("kwargs, wrap_async", [({"connection": "ssh"}, False), ({"async_val": 30}, True)])
def test_a_remote_or_async_task_runs_the_module(kwargs, wrap_async):
    plugin = action(**kwargs)
    result = plugin.run(task_vars={})
    assert result["from"] == "module"
    plugin._execute_module.assert_called_once_with(task_vars={}, wrap_async=wrap_async)


def test_a_local_task_runs_in_the_worker():
    plugin = action()
    with responses.RequestsMock() as http:
        http.get(API + "/keys/" + HASH, json={"data": record()})
        result = plugin.run(task_vars={})
    assert result["key"]["hash"] == HASH and not result["changed"]
    assert MANAGEMENT_KEY not in json.dumps(result)
    plugin._execute_module.assert_not_called()


def test_the_task_environment_overrides_the_workers(monkeypatch):
    monkeypatch.setenv("OPENROUTER_API_URL", "http://worker.invalid")
    plugin = action()
    plugin._task.environment = [{"OPENROUTER_API_URL": API}, {"OPENROUTER_MANAGEMENT_KEY": MANAGEMENT_KEY}]
    environment = plugin.task_environment()
    assert environment["OPENROUTER_API_URL"] == API and environment["OPENROUTER_MANAGEMENT_KEY"] == MANAGEMENT_KEY
