# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The reliability tests' emulator fixtures (a real emulator on a free loopback port), for the lookup's tests."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.openrouter.provisioning.tests.unit.reliability.conftest import (  # noqa: F401
    api_url,
    control,
    emulator_server,
    loopback_only,
)
