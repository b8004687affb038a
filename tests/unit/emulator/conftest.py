# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures that run the emulator in-process on a free loopback port."""

from __future__ import annotations

import os
import sys

import pytest

# The emulator is a standalone script, not part of the collection's Python packages: import it from its folder.
EMULATOR_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "emulator")
sys.path.insert(0, EMULATOR_DIR)

import openrouter_emulator  # noqa: E402  (after the sys.path change)


@pytest.fixture(scope="session")
def emulator_server():
    """One emulator for the whole session; base_url resets it for every test."""
    server = openrouter_emulator.serve(port=0)[0]
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def base_url(emulator_server):
    """The API base URL of an emulator with no keys, log entries or faults."""
    url = emulator_server.base_url
    openrouter_emulator.Control(url).reset()
    return url


@pytest.fixture
def control(base_url):
    return openrouter_emulator.Control(base_url)


@pytest.fixture
def management_key():
    return openrouter_emulator.DEFAULT_MANAGEMENT_KEY
