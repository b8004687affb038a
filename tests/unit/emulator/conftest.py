# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures that run the emulator in-process on a free loopback port.

tests/unit imports the emulator one way only, through the collection, so one copy of it is loaded. That import waits
until a fixture runs: pytest loads this file before pytest-ansible installs the collection loader.
"""

from __future__ import annotations

import pytest
import requests


def _emulator():
    from ansible_collections.openrouter.provisioning.tests.emulator import openrouter_emulator

    return openrouter_emulator


def __getattr__(name):
    # Other test folders read the emulator module from here (conftest.openrouter_emulator).
    if name == "openrouter_emulator":
        return _emulator()
    raise AttributeError(name)


@pytest.fixture(scope="session")
def emulator_server():
    """One emulator for the whole session; base_url resets it for every test."""
    server = _emulator().serve(port=0)[0]
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def base_url(emulator_server):
    """The API base URL of an emulator in its initial state, with no log entries or faults."""
    url = emulator_server.base_url
    _emulator().Control(url).reset()
    return url


@pytest.fixture
def control(base_url):
    return _emulator().Control(base_url)


@pytest.fixture
def management_key():
    return _emulator().DEFAULT_MANAGEMENT_KEY


@pytest.fixture
def session():
    with requests.Session() as http:
        http.trust_env = False  # loopback only, whatever proxy the environment names
        yield http


@pytest.fixture
def api(base_url, management_key, session):
    """Call the API of a fresh emulator with the management key (or another key, or none)."""

    def call(method, path, key=management_key, **kwargs):
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return session.request(method, base_url + path, headers=headers, timeout=10, **kwargs)

    return call
