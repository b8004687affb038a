# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Constants and helper functions shared by the unit tests; the fixtures built on them live in conftest.py.

Test modules import from here, never from a conftest or from another test module.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import json
import os
import threading

import yaml
from ansible.module_utils import basic

from ansible_collections.openrouter.provisioning.tests.emulator.openrouter_emulator import Emulator, EmulatorServer

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19 reads the arguments from basic._ANSIBLE_ARGS

    @contextlib.contextmanager
    def patch_module_args(args):
        basic._ANSIBLE_ARGS = json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode("utf-8")
        yield


API = "http://127.0.0.1:9/api/v1"  # mocked with `responses`; nothing listens on port 9
MANAGEMENT_KEY = "sk-or-v1-unit-test-management-key-0123456789"
LIST = "/keys?include_disabled=true&include_expired=true&offset=%d"
SECRET = "sk-or-v1-" + "5e" * 32
COLLECTION_ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


class ModuleExit(Exception):
    """What the `run` fixture turns a module's exit_json and fail_json into."""

    def __init__(self, result, failed):
        super(ModuleExit, self).__init__(result)
        self.result = dict(result, failed=failed)


def start_emulator(ssl_context=None):
    """The emulator on a free loopback port in a daemon thread, with MANAGEMENT_KEY; stop it with stop_emulator().

    With an ssl_context it speaks only TLS (its base_url still says http; swap the scheme).
    """
    server = EmulatorServer(("127.0.0.1", 0), Emulator(MANAGEMENT_KEY))
    if ssl_context is not None:
        server.socket = ssl_context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, name="openrouter-emulator", daemon=True).start()
    return server


def stop_emulator(server):
    server.shutdown()
    server.server_close()


def galaxy_version():
    """The collection's version, as galaxy.yml gives it."""
    with open(os.path.join(COLLECTION_ROOT, "galaxy.yml")) as handle:
        return yaml.safe_load(handle)["version"]


def sent(http):
    """The requests the module sent to API through `responses`, as (method, path with query, JSON body)."""
    calls = []
    for call in http.calls:
        body = json.loads(call.request.body) if call.request.body else None
        calls.append((call.request.method, call.request.url[len(API) :], body))
    return calls


def key(number, **fields):
    """A key's record as the API lists it, numbered for a distinct hash, name and label."""
    record = {
        "hash": "%064x" % number,
        "name": "key-%d" % number,
        "label": "sk-or-v1-abc...%04d" % number,
        "disabled": False,
        "limit": None,
        "limit_remaining": None,
        "limit_reset": None,
        "include_byok_in_limit": False,
        "usage": 0.0,
        "expires_at": None,
        "creator_user_id": None,
        "workspace_id": "ws-default",
        "created_at": "2026-11-01T00:00:00Z",
        "updated_at": None,
    }
    record.update(fields)
    return record


def listing(http, *pages):
    """Mock the key listing a name lookup reads: these pages, at offsets 0, 100, ..."""
    from responses.matchers import query_param_matcher

    for offset, page in enumerate(pages):
        query = {"include_disabled": "true", "include_expired": "true", "offset": str(offset * 100)}
        http.get(API + "/keys", json={"data": page}, match=[query_param_matcher(query)])
