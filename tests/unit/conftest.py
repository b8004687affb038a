# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fixtures shared by every unit test; constants and helper functions are in helpers.py.

Imports of the collection (helpers.py included) wait until a fixture runs: pytest loads this file before
pytest-ansible makes the collection importable.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import tempfile

import pytest
import requests
import responses
from ansible.module_utils import basic

ENV_NAMES = ("OPENROUTER_MANAGEMENT_KEY", "OPENROUTER_PROVISIONING_KEY", "OPENROUTER_API_KEY", "OPENROUTER_API_URL")


def _helpers():
    from ansible_collections.openrouter.provisioning.tests.unit import helpers

    return helpers


def _forget_listings():
    """Drop the key listings and the server's clock kept in this process, as a new process starts without them."""
    from ansible_collections.openrouter.provisioning.plugins.module_utils import client, listing_cache

    listing_cache.forget()
    client._SERVER_CLOCK.clear()


# --- modules in-process ---------------------------------------------------------------------------------------


@pytest.fixture
def run(monkeypatch):
    """Run a module's main() with these options and return its result; by default HTTP goes to `responses` mocks."""
    helpers = _helpers()

    def exit_json(self, **result):
        raise helpers.ModuleExit(result, False)

    def fail_json(self, **result):
        raise helpers.ModuleExit(result, True)

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)

    def run_module(main, check_mode=False, diff=False, keep_listings=False, **options):
        """keep_listings: run as the next item of a loop in the same worker, with the listings kept so far; else as
        a process of its own (as the module path runs every item)."""
        if not keep_listings:
            _forget_listings()
        args = dict(management_key=helpers.MANAGEMENT_KEY, api_url=helpers.API, retries=0)
        args.update(options)
        args.update(_ansible_check_mode=check_mode, _ansible_diff=diff)
        with helpers.patch_module_args(args):
            with pytest.raises(helpers.ModuleExit) as caught:
                main()
        return caught.value.result

    return run_module


@pytest.fixture
def run_emulated(run, base_url):
    """Run a module's main() in-process against a fresh emulator."""

    def run_module(main, **options):
        return run(main, **dict({"api_url": base_url}, **options))

    return run_module


@pytest.fixture
def http():
    """`responses` mocks that must all be called."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


# --- the emulator ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def emulator_server():
    """One emulator for the whole session, with helpers.MANAGEMENT_KEY; base_url resets it for every test."""
    helpers = _helpers()
    server = helpers.start_emulator()
    yield server
    helpers.stop_emulator(server)


@pytest.fixture
def base_url(emulator_server):
    """The API base URL of an emulator in its initial state, with no keys, log entries or faults."""
    from ansible_collections.openrouter.provisioning.tests.emulator.openrouter_emulator import Control

    Control(emulator_server.base_url).reset()
    return emulator_server.base_url


@pytest.fixture
def api_url(base_url):
    """The same fresh emulator's API base URL, under the name of the modules' option."""
    return base_url


@pytest.fixture
def control(base_url):
    """The control interface of that fresh emulator."""
    from ansible_collections.openrouter.provisioning.tests.emulator.openrouter_emulator import Control

    return Control(base_url)


@pytest.fixture
def management_key():
    return _helpers().MANAGEMENT_KEY


@pytest.fixture
def session():
    with requests.Session() as http_session:
        http_session.trust_env = False  # loopback only, whatever proxy the environment names
        yield http_session


@pytest.fixture
def api(base_url, management_key, session):
    """Call the API of a fresh emulator with the management key (or another key, or none)."""

    def call(method, path, key=management_key, **kwargs):
        headers = {"Authorization": "Bearer %s" % key} if key else {}
        return session.request(method, base_url + path, headers=headers, timeout=10, **kwargs)

    return call


# --- isolation for every test ---------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
    """No proxy from the environment may carry a test's requests off this machine."""
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "127.0.0.1,localhost")


@pytest.fixture(autouse=True)
def lock_files_in_tmp_path(monkeypatch, tmp_path):
    """The key module's lock files (one per API URL and name, never removed) go to the test's own directory, and no
    listing kept by an earlier test's module run is used."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    _forget_listings()


@pytest.fixture
def secret_file(tmp_path):
    """A path for a key's secret in a new 0700 directory of the test's own."""
    directory = tmp_path / "secrets"
    directory.mkdir(mode=0o700)
    return str(directory / "svc.key")
