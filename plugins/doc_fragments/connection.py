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
      - "A key exported in the environment of the controller becomes part of the facts when a play on C(localhost)
        gathers facts (C(ansible_env)), and so lands in the fact cache if one is configured. Use C(gather_facts: false)
        in such plays, or pass the key from a vaulted variable instead."
      - When a request fails with HTTP 401 or 403 and the key came from one of those variables, the message names it.
    type: str
    aliases: [provisioning_key]
  management_key_file:
    description:
      - The path of a file that holds the management key alone (surrounding whitespace is ignored), read when the task
        runs, on the host that runs the module (the controller for a task on V(localhost)).
      - When set, it is used instead of O(management_key) and the environment variables, so the key stays out of the
        environment and of Ansible's variables. Keep the file readable only by its owner.
      - A file that can't be read, is empty or holds more than the key fails the task before any request.
    type: path
  api_url:
    description:
      - The base URL of the OpenRouter API, without a trailing C(/keys).
      - If not set, the environment variable E(OPENROUTER_API_URL) is used, and then the default.
      - Must start with C(http://) or C(https://). C(http://) to a host other than this machine (V(localhost) or a
        loopback address) is refused unless O(allow_plain_http=true), since it would send O(management_key) in clear
        text.
      - Redirects are not followed. A base URL that redirects, that answers with something other than OpenRouter's JSON,
        or that answers HTTP 404 to C(GET /key) fails with a message to check this option.
    type: str
    default: https://openrouter.ai/api/v1
  allow_plain_http:
    description:
      - Allow an O(api_url) that starts with C(http://) and points to another machine.
      - This sends O(management_key) unencrypted, readable by anyone on the network path. Use it only for a test
        endpoint on a network you trust. Plain HTTP to this machine (V(localhost), C(127.0.0.1), C(::1)) is always
        allowed.
    type: bool
    default: false
  timeout:
    description:
      - The most seconds one HTTP request may take, from connecting to the last byte of the answer. Must be greater
        than 0.
      - It is a deadline for each try, not a bound on each read, so a server that trickles its answer can't hold a try
        longer. O(retries) and O(retry_max_time) bound the tries.
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
