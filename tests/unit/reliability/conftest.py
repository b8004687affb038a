# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The real emulator on a free loopback port, for running module code against it over real HTTP.

The tests import the modules' `run` fixture from tests/unit/plugins/modules/conftest.py and point it at api_url.
Imports of the collection wait until a fixture runs: pytest loads this file before pytest-ansible installs the
collection loader when it is given this folder.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import tempfile

import pytest


@pytest.fixture(scope="session")
def emulator_server():
    """One emulator for the session, with the management key the modules' runner sends."""
    from ansible_collections.openrouter.provisioning.tests.emulator.openrouter_emulator import serve
    from ansible_collections.openrouter.provisioning.tests.unit.plugins.modules.conftest import MANAGEMENT_KEY

    server = serve(port=0, management_key=MANAGEMENT_KEY)[0]
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def control(emulator_server):
    """The control interface of an emulator with no keys, requests or faults."""
    from ansible_collections.openrouter.provisioning.tests.emulator.openrouter_emulator import Control

    emulator = Control(emulator_server.base_url)
    emulator.reset()
    return emulator


@pytest.fixture
def api_url(emulator_server, control):
    """The API base URL of that fresh emulator."""
    return emulator_server.base_url


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
    """No proxy from the environment may carry a test's requests off this machine."""
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "127.0.0.1,localhost")


@pytest.fixture(autouse=True)
def lock_files_in_tmp_path(monkeypatch, tmp_path):
    """The key module's lock files (one per API URL and name, never removed) go to the test's own directory."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
