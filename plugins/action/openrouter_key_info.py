# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs openrouter_key_info in Ansible's worker when the task runs on the controller (see docs/in-process.md)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.openrouter.provisioning.plugins.plugin_utils.in_process import InProcessModuleAction


class ActionModule(InProcessModuleAction):
    MODULE = "openrouter_key_info"
