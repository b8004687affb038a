# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import json

import pytest
import responses
from ansible.module_utils import basic

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19 reads the arguments from basic._ANSIBLE_ARGS

    @contextlib.contextmanager
    def patch_module_args(args):
        basic._ANSIBLE_ARGS = json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode("utf-8")
        yield


API = "http://127.0.0.1:9/api/v1"
MANAGEMENT_KEY = "sk-or-v1-unit-test-management-key-0123456789"


class ModuleExit(Exception):
    def __init__(self, result, failed):
        super(ModuleExit, self).__init__(result)
        self.result = dict(result, failed=failed)


@pytest.fixture
def run(monkeypatch):
    """Run a module's main() with these options and return its result; HTTP goes to `responses` mocks."""

    def exit_json(self, **result):
        raise ModuleExit(result, False)

    def fail_json(self, **result):
        raise ModuleExit(result, True)

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)
    for name in (
        "OPENROUTER_MANAGEMENT_KEY",
        "OPENROUTER_PROVISIONING_KEY",
        "OPENROUTER_API_KEY",
        "OPENROUTER_API_URL",
    ):
        monkeypatch.delenv(name, raising=False)

    def run_module(main, check_mode=False, diff=False, **options):
        args = dict(management_key=MANAGEMENT_KEY, api_url=API, retries=0)
        args.update(options)
        args.update(_ansible_check_mode=check_mode, _ansible_diff=diff)
        with patch_module_args(args):
            with pytest.raises(ModuleExit) as caught:
                main()
        return caught.value.result

    return run_module


@pytest.fixture
def http():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


def sent(http):
    """The requests the module sent, as (method, path with query, JSON body)."""
    calls = []
    for call in http.calls:
        body = json.loads(call.request.body) if call.request.body else None
        calls.append((call.request.method, call.request.url[len(API) :], body))
    return calls
