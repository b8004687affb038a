# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connection options every module shares, and the glue from AnsibleModule to the client."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.openrouter.provisioning.plugins.module_utils.client import (
    DEFAULT_API_URL,
    HAS_REQUESTS,
    REQUESTS_IMPORT_ERROR,
    OpenRouterClient,
    is_loopback,
    redact,
)
from ansible_collections.openrouter.provisioning.plugins.module_utils.errors import ProvisioningError

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
        allow_plain_http=dict(type="bool", default=False),
        management_key_file=dict(type="path"),
    )


def with_key_from_file(params):
    """Return params with management_key read from management_key_file when that is set, and the problems found."""
    path = params.get("management_key_file")
    if not path:
        return params, []
    try:
        with open(path) as handle:
            key = handle.read().strip()
    except (OSError, UnicodeDecodeError) as exc:
        return params, ["management_key_file %s can't be read: %s." % (path, getattr(exc, "strerror", None) or exc)]
    if not key or len(key.split()) != 1:
        return params, [
            "management_key_file %s must hold the management key alone, got %s."
            % (path, "an empty file" if not key else "several words")
        ]
    return dict(params, management_key=key), []


def key_source(params):
    """The environment variable the management key came from, if it equals one: a 401 or 403 then names it."""
    if params.get("management_key_file"):
        return None
    for name in MANAGEMENT_KEY_ENV:
        value = os.environ.get(name)
        if value:
            return name if value == params.get("management_key") else None
    return None


def client_from_params(params):
    """The client of checked connection options (connection_problems() found none), for modules and lookups alike."""
    return OpenRouterClient(
        params["api_url"],
        params["management_key"],
        timeout=params["timeout"],
        validate_certs=params["validate_certs"],
        retries=params["retries"],
        retry_max_time=params["retry_max_time"],
        key_source=key_source(params),
    )


def connection_problems(params):
    """Return a message for each connection option that can't work, each naming the option and the fix."""
    problems = []
    if not params.get("management_key") and not params.get("management_key_file"):
        problems.append(
            "management_key is required: set the management_key option or the %s environment variable."
            % MANAGEMENT_KEY_ENV[0]
        )
    if not str(params.get("api_url") or "").startswith(("http://", "https://")):
        problems.append(
            "api_url must be an http:// or https:// URL such as %s, got %r." % (DEFAULT_API_URL, params.get("api_url"))
        )
    elif (
        params["api_url"].startswith("http://")
        and not is_loopback(params["api_url"])
        and not params.get("allow_plain_http")
    ):
        problems.append(
            "api_url %s is plain http:// to another machine, which would send the management key unencrypted; "
            "use https://, or set allow_plain_http=true if the network to it is trusted." % params["api_url"]
        )
    if params.get("timeout") is None or params["timeout"] <= 0:
        problems.append("timeout must be a number of seconds greater than 0, got %r." % params.get("timeout"))
    if params.get("retries") is None or params["retries"] < 0:
        problems.append("retries must be 0 or more, got %r." % params.get("retries"))
    if params.get("retry_max_time") is None or params["retry_max_time"] < 0:
        problems.append("retry_max_time must be 0 or more seconds, got %r." % params.get("retry_max_time"))
    return problems


class ModuleDefinition:
    """A module declared once: its options, the checks its values need, and its work.

    The module's main() and the in-process action plugin of the same name both run it through execute(), so they
    validate, fail, scrub and report the same way.

    run(client, params, check_mode) returns the result; problems(params) returns a message for each value that can't
    work, checked before any request. `validation` holds AnsibleModule's and ArgumentSpecValidator's keyword arguments
    (required_one_of, mutually_exclusive, required_if, required_together).
    """

    def __init__(self, argument_spec, run, problems=None, **validation):
        self.argument_spec = dict(connection_argument_spec(), **argument_spec)
        self.run = run
        self.problems = problems or (lambda params: [])
        self.validation = validation


def execute(definition, params, check_mode=False, diff=False):
    """Run a module's work on validated params and return its result; a failure has failed=True and a safe msg."""
    if not HAS_REQUESTS:
        return {
            "failed": True,
            "changed": False,
            "msg": missing_required_lib("requests"),
            "exception": REQUESTS_IMPORT_ERROR,
        }
    params, problems = with_key_from_file(params)
    problems = list(definition.problems(params)) + problems + connection_problems(params)
    if problems:
        return {"failed": True, "changed": False, "msg": redact(" ".join(problems), [params.get("management_key")])}
    client = client_from_params(params)
    try:
        result = definition.run(client, params, check_mode)
    except ProvisioningError as exc:
        return dict(exc.result, failed=True, msg=redact(str(exc), [params.get("management_key")]))
    if not diff:
        result.pop("diff", None)
    return result


def run_ansible_module(definition):
    """The whole main() of a module: parse the arguments as Ansible does, execute, and exit."""
    module = AnsibleModule(argument_spec=definition.argument_spec, supports_check_mode=True, **definition.validation)
    result = execute(definition, module.params, module.check_mode, module._diff)
    if result.pop("failed", False):
        module.fail_json(**result)
    module.exit_json(**result)
