# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a module of this collection inside Ansible's worker when its task runs on the controller.

A module costs a new Python process, AnsiballZ packaging and its imports on every task and loop item; its request
takes milliseconds. When the task would run the module on the controller anyway, the action plugin of the same name
validates the arguments and calls the module's logic (its DEFINITION and execute()) in the worker, and builds the
result as AnsibleModule would. Everywhere else it runs the module as usual. See docs/in-process.md.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib
import os

from ansible import constants as C
from ansible.errors import AnsibleActionFail, AnsibleError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import env_fallback, remove_values
from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.errors import AnsibleFallbackNotFound, UnsupportedError
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display
from ansible.utils.vars import merge_hash

from ansible_collections.openrouter.provisioning.plugins.module_utils.client import HAS_REQUESTS, redact
from ansible_collections.openrouter.provisioning.plugins.module_utils.common import execute

display = Display()

SWITCH_ENV = "OPENROUTER_PROVISIONING_IN_PROCESS"
SWITCH_VAR = "openrouter_provisioning_in_process"
MODULES_PACKAGE = "ansible_collections.openrouter.provisioning.plugins.modules."
LOCAL_CONNECTIONS = ("local", "ansible.builtin.local")


def task_env_fallback(environment):
    """An env_fallback that reads the environment the module would see, instead of the worker's own."""

    def fallback(*names, **kwargs):
        for name in names:
            if name in environment:
                return environment[name]
        raise AnsibleFallbackNotFound

    return fallback


def spec_with_environment(argument_spec, environment):
    """A copy of the argument spec whose environment fallbacks read `environment`."""
    spec = {}
    for name, option in argument_spec.items():
        fallback = option.get("fallback")
        if fallback and fallback[0] is env_fallback:
            option = dict(option, fallback=(task_env_fallback(environment),) + tuple(fallback[1:]))
        spec[name] = option
    return spec


def module_result(definition, module_name, args, environment, check_mode=False, diff=False, inject_invocation=True):
    """The result AnsibleModule would return for this module and these arguments, computed in this process.

    It validates as AnsibleModule does (the same validator, spec and messages), runs execute(), adds `invocation`
    where AnsibleModule adds it, and removes every no_log value from the result, warnings included.
    """
    validation = ArgumentSpecValidator(
        spec_with_environment(definition.argument_spec, environment), **definition.validation
    )
    checked = validation.validate(args)
    params = checked.validated_parameters
    no_log_values = checked._no_log_values
    warnings = [
        "Both option {option} and its alias {alias} are set.".format(**warning) for warning in checked._warnings
    ]
    if checked.error_messages:
        msg = checked.errors.msg
        if isinstance(checked.errors[0], UnsupportedError):
            msg = "Unsupported parameters for ({name}) {kind}: {msg}".format(name=module_name, kind="module", msg=msg)
        result = {"failed": True, "msg": msg}
    else:
        try:
            result = execute(definition, params, check_mode, diff)
        except Exception as exc:  # pylint: disable=broad-except
            # A bug must not become a worker traceback that could carry the management key or a secret.
            result = {
                "failed": True,
                "changed": False,
                "msg": "%s failed unexpectedly in Ansible's worker process: %s: %s. Set %s=false to run it as a "
                "module, and report this as a bug of openrouter.provisioning."
                % (module_name, type(exc).__name__, redact(exc, no_log_values), SWITCH_ENV),
            }
    if not result.get("failed"):
        result.pop("failed", None)
    if inject_invocation and "invocation" not in result:
        result["invocation"] = {"module_args": params}
    warnings.extend(result.pop("warnings", None) or [])
    if warnings:
        result["warnings"] = warnings
    preserved = dict((key, value) for key, value in result.items() if value is None or isinstance(value, bool))
    result = remove_values(result, no_log_values)
    result.update(preserved)
    return result


class InProcessModuleAction(ActionBase):
    """The action plugin of a module of this collection; a subclass names the module in MODULE."""

    MODULE = None
    _supports_check_mode = True
    _supports_async = True

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(InProcessModuleAction, self).run(tmp, task_vars)
        del tmp
        reason = self.module_path_reason(task_vars)
        if reason is None:
            display.vvv("%s: running in Ansible's worker process" % self.MODULE, host=self._play_context.remote_addr)
            return merge_hash(result, self.run_in_process(task_vars))
        display.vvv("%s: running the module, because %s" % (self.MODULE, reason), host=self._play_context.remote_addr)
        wrap_async = self._task.async_val and not getattr(self._connection, "has_native_async", False)
        result = merge_hash(result, self._execute_module(task_vars=task_vars, wrap_async=wrap_async))
        if not wrap_async:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result

    def in_process_enabled(self, task_vars):
        """The switch: the variable if it is set (per task, play, host or group), else the environment variable."""
        if SWITCH_VAR in task_vars:
            value, source = self._templar.template(task_vars[SWITCH_VAR]), "the variable %s" % SWITCH_VAR
        elif SWITCH_ENV in os.environ:
            value, source = os.environ[SWITCH_ENV], "the environment variable %s" % SWITCH_ENV
        else:
            return True
        try:
            return boolean(value, strict=True)
        except TypeError:
            raise AnsibleActionFail("%s must be true or false, got %r." % (source, to_text(value))) from None

    def module_path_reason(self, task_vars):
        """Why the task must run the module as usual, or None when it can run in this process."""
        if not self.in_process_enabled(task_vars):
            return "%s or %s turns the in-process path off" % (SWITCH_VAR, SWITCH_ENV)
        if self._task.async_val:
            return "the task is async"
        if getattr(self._connection, "transport", None) not in LOCAL_CONNECTIONS:
            return "the connection is not local"
        if self._play_context.become:
            return "the task uses become"
        if not HAS_REQUESTS:
            return "requests can't be imported on the controller"
        return None

    def module_code(self):
        return importlib.import_module(MODULES_PACKAGE + self.MODULE)

    def task_environment(self):
        """The environment the module would run in: the worker's, with the task's `environment:` over it."""
        task_env = {}
        self._compute_environment_string(task_env)
        return dict(os.environ, **dict((key, to_text(value)) for key, value in task_env.items()))

    def inject_invocation(self, task_vars):
        """AnsibleModule adds `invocation` always before ansible-core 2.21, and from 2.21 only when configured so."""
        try:
            return boolean(C.config.get_config_value("INJECT_INVOCATION", variables=task_vars))
        except AnsibleError:
            return True

    def run_in_process(self, task_vars):
        return module_result(
            self.module_code().DEFINITION,
            self._task.action,
            dict(self._task.args),
            self.task_environment(),
            check_mode=bool(self._task.check_mode),
            diff=bool(self._task.diff),
            inject_invocation=self.inject_invocation(task_vars),
        )
