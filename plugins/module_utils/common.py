# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connection options every module shares, and the glue from AnsibleModule to the client."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import env_fallback, missing_required_lib

from ansible_collections.openrouter.provisioning.plugins.module_utils.client import (
    DEFAULT_API_URL,
    HAS_REQUESTS,
    REQUESTS_IMPORT_ERROR,
    OpenRouterClient,
    OpenRouterError,
    redact,
)

MANAGEMENT_KEY_ENV = ("OPENROUTER_MANAGEMENT_KEY", "OPENROUTER_PROVISIONING_KEY", "OPENROUTER_API_KEY")


def connection_argument_spec():
    """The argument spec of the connection options, documented in the connection doc fragment."""
    return dict(
        management_key=dict(
            type="str", no_log=True, aliases=["provisioning_key"], fallback=(env_fallback, list(MANAGEMENT_KEY_ENV))
        ),
        api_url=dict(type="str", fallback=(env_fallback, ["OPENROUTER_API_URL"]), default=DEFAULT_API_URL),
        timeout=dict(type="float", default=30.0),
        validate_certs=dict(type="bool", default=True),
        retries=dict(type="int", default=5),
        retry_max_time=dict(type="float", default=60.0),
    )


def connection_problems(params):
    """Return a message for each connection option that can't work, each naming the option and the fix."""
    problems = []
    if not params.get("management_key"):
        problems.append(
            "management_key is required: set the management_key option or the %s environment variable."
            % MANAGEMENT_KEY_ENV[0]
        )
    if not str(params.get("api_url") or "").startswith(("http://", "https://")):
        problems.append(
            "api_url must be an http:// or https:// URL such as %s, got %r." % (DEFAULT_API_URL, params.get("api_url"))
        )
    if params.get("timeout") is None or params["timeout"] <= 0:
        problems.append("timeout must be a number of seconds greater than 0, got %r." % params.get("timeout"))
    if params.get("retries") is None or params["retries"] < 0:
        problems.append("retries must be 0 or more, got %r." % params.get("retries"))
    if params.get("retry_max_time") is None or params["retry_max_time"] < 0:
        problems.append("retry_max_time must be 0 or more seconds, got %r." % params.get("retry_max_time"))
    return problems


def client_from_module(module, problems=()):
    """Return a client, or fail before any request with every problem at once, the module's own included."""
    if not HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)
    params = module.params
    problems = list(problems) + connection_problems(params)
    if problems:
        module.fail_json(msg=redact(" ".join(problems), [params.get("management_key")]))
    return OpenRouterClient(
        params["api_url"],
        params["management_key"],
        timeout=params["timeout"],
        validate_certs=params["validate_certs"],
        retries=params["retries"],
        retry_max_time=params["retry_max_time"],
    )


def run_module(module, work):
    """Run work() and exit with its result, or fail with a safe message and whatever partial result the error carries."""
    try:
        result = work()
    except OpenRouterError as exc:
        module.fail_json(msg=str(exc), **getattr(exc, "result", {}))
    module.exit_json(**result)
