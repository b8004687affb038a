# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The action plugin of the same name runs the module's logic in Ansible's worker on the controller.
    DOCUMENTATION = r"""
attributes:
  action:
    description:
      - Indicates this has a corresponding action plugin so some parts of the options can be executed on the
        controller.
    support: full
    details:
      - When the task runs on the controller (a local connection, including C(delegate_to=localhost)), the action plugin
        runs the module's logic inside Ansible's worker process instead of starting the module, which saves the start-up
        of a Python process on every task and loop item. Validation, results, check mode, diff and the hiding of secrets
        are the same either way.
      - The module itself runs on a remote host, with C(async), with C(become), when C(requests) can't be imported on
        the controller, or when the variable C(openrouter_provisioning_in_process) or the environment variable
        E(OPENROUTER_PROVISIONING_IN_PROCESS) is V(false).
"""
