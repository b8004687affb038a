# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options:
  management_key:
    description:
      - An OpenRouter management key (formerly called a provisioning key), used as the Bearer token.
      - If not set, the first of the environment variables E(OPENROUTER_MANAGEMENT_KEY), E(OPENROUTER_PROVISIONING_KEY)
        and E(OPENROUTER_API_KEY) that is set is used.
      - Required, either as this option or through one of those environment variables.
      - It is never logged or returned.
    type: str
    aliases: [provisioning_key]
  api_url:
    description:
      - The base URL of the OpenRouter API, without a trailing C(/keys).
      - If not set, the environment variable E(OPENROUTER_API_URL) is used, and then the default.
      - Must start with C(http://) or C(https://).
    type: str
    default: https://openrouter.ai/api/v1
  timeout:
    description:
      - Seconds to wait for each HTTP request to connect and for each response to arrive. Must be greater than 0.
    type: float
    default: 30
  validate_certs:
    description:
      - Whether to verify the TLS certificate of O(api_url).
      - Setting this to V(false) is unsafe; it exposes O(management_key) to anyone who can intercept the connection.
        Use it only against a test endpoint you control.
    type: bool
    default: true
  retries:
    description:
      - How many times to retry a request that failed with HTTP 429, 502, 503 or 504, or with a connection error, after
        the first try.
      - GET, PATCH and DELETE requests are retried. A POST (which creates a key) is retried only on HTTP 429 or when the
        connection could not be opened, because re-sending it blindly could create a second key.
      - Waits follow the V(Retry-After) header when OpenRouter sends one, else a jittered exponential backoff starting
        at 0.5 seconds and doubling up to 8 seconds.
      - V(0) disables retries.
    type: int
    default: 5
  retry_max_time:
    description:
      - The most seconds, counted from the first try of a request, that retrying may take. No wait goes past this
        bound; when V(Retry-After) asks for a longer wait than remains, the module fails at once and says so.
    type: float
    default: 60
requirements:
  - python >= 3.9
  - requests
notes:
  - All options of this fragment can be set once per play for every module of the collection with
    C(module_defaults) and the action group C(group/openrouter.provisioning.openrouter).
seealso:
  - name: OpenRouter management keys
    description: How to create the management key these modules need.
    link: https://openrouter.ai/docs/guides/overview/auth/management-api-keys
"""

    ACTION_GROUP = r"""
attributes:
  action_group:
    description: Use C(group/openrouter.provisioning.openrouter) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - openrouter.provisioning.openrouter
"""
