# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # What narrows a listing of keys, for openrouter_key_info and the keys lookup alike.
    DOCUMENTATION = r"""
options:
  workspace_id:
    description:
      - List the keys of this workspace, given by its id or its slug. OpenRouter's default workspace is listed when not
        given.
      - A slug costs one request (C(GET /workspaces/<slug>)) to find its id; an id (a UUID) costs none. A slug that
        names no workspace fails.
    type: str
  include_disabled:
    description:
      - Whether disabled keys are listed.
    type: bool
    default: true
  include_expired:
    description:
      - Whether expired keys are listed.
    type: bool
    default: true
"""
