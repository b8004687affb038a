# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The failures a module reports. Every one carries a message that is safe to log, and what the run did before it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ProvisioningError(Exception):
    """The base of every failure a module reports.

    `result` is the partial result to return with the failure: after a create it holds the new key's secret, which must
    reach the user even though the run failed.
    """

    def __init__(self, message, result=None):
        super(ProvisioningError, self).__init__(message)
        self.result = dict(result or {})


class PlanError(ProvisioningError):
    """The options can't be carried out as given (a bad value, an ambiguous name, a fixed field that differs).

    `problems` lists each bad option's message when there are several.
    """

    def __init__(self, message, result=None, problems=None):
        super(PlanError, self).__init__(message, result)
        self.problems = list(problems or [message])
