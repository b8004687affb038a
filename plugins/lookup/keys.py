# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: keys
short_description: Read OpenRouter API keys inline, by name, by hash, or all of them
version_added: 0.2.0
description:
  - Returns the records of OpenRouter API keys for use inside an expression, the same records
    M(openrouter.provisioning.openrouter_key_info) returns in
    RV(openrouter.provisioning.openrouter_key_info#module:api_keys).
  - Never returns a key's secret, which OpenRouter shows only once, when the key is created.
  - Given names, it reads every page of the key list once and returns the keys with each name, in the order of the
    names. Given O(hash), it reads each key by its hash, one request each. Given neither, it returns every key.
  - It uses the same connection options, environment variables and HTTP client as the modules. C(module_defaults) does
    not reach lookups, so set the options as keyword arguments, in the environment, or with the variables below.
author:
  - openrouter.provisioning developers (@openrouter-provisioning)
extends_documentation_fragment:
  - openrouter.provisioning.connection
  - openrouter.provisioning.key_listing
options:
  _terms:
    description:
      - Names of keys. Each returns every key with exactly that name; several keys can share a name.
    type: list
    elements: str
  hash:
    description:
      - Hashes of keys to read, each with one request. The filters O(workspace_id), O(include_disabled) and
        O(include_expired) do not apply to them.
    type: list
    elements: str
  on_missing:
    description:
      - What to do when a name or a hash matches no key.
      - V(error) fails with a message that names it. V(warn) warns and returns nothing for it. V(skip) returns nothing
        for it.
    type: str
    choices: [error, warn, skip]
    default: error
  management_key:
    # Ansible gives the last of these that is set precedence, so they are listed in the reverse of the modules' order.
    env:
      - name: OPENROUTER_API_KEY
      - name: OPENROUTER_PROVISIONING_KEY
      - name: OPENROUTER_MANAGEMENT_KEY
    vars:
      - name: openrouter_management_key
  api_url:
    env:
      - name: OPENROUTER_API_URL
    vars:
      - name: openrouter_api_url
notes:
  - Listing or reading keys with a key that is not a management key fails with HTTP 403 and a message that says to use a
    management key.
  - With C(lookup()), one matching key comes back as a dictionary and several as a list. C(query()) always returns a
    list.
seealso:
  - module: openrouter.provisioning.openrouter_key_info
  - module: openrouter.provisioning.openrouter_key
"""

EXAMPLES = r"""
- name: Fail early unless the key ci-pipeline exists and is enabled
  ansible.builtin.assert:
    that:
      - not lookup('openrouter.provisioning.keys', 'ci-pipeline').disabled
    fail_msg: The key ci-pipeline is disabled; enable it before the deploy.

- name: Show how much the ci-pipeline key has spent this month
  ansible.builtin.debug:
    msg: "{{ lookup('openrouter.provisioning.keys', 'ci-pipeline').usage_monthly }} USD"

- name: Read two keys by name, and keep going if one of them does not exist
  ansible.builtin.set_fact:
    team_keys: "{{ query('openrouter.provisioning.keys', 'chatbot-prod', 'research', on_missing='skip') }}"

- name: Read a key by its hash
  ansible.builtin.debug:
    msg: "{{ lookup('openrouter.provisioning.keys', hash=key_hash) }}"
  vars:
    key_hash: f01d52606dc8f0a8303a7b5cc3fa07109c2e346cec7c0a16b40de462992ce943

- name: List the names of every enabled key that has not expired
  ansible.builtin.debug:
    msg: "{{ query('openrouter.provisioning.keys', include_disabled=false, include_expired=false)
             | map(attribute='name') }}"

- name: Use another API URL and a vaulted management key
  ansible.builtin.debug:
    msg: "{{ query('openrouter.provisioning.keys', 'ci-pipeline') | map(attribute='limit_remaining') }}"
  vars:
    openrouter_api_url: https://openrouter.ai/api/v1
    openrouter_management_key: "{{ vault_openrouter_management_key }}"
"""

RETURN = r"""
_raw:
  description:
    - The records of the keys found, in the order asked, as the API gives them, with the fields of
      RV(openrouter.provisioning.openrouter_key_info#module:api_keys). Never contains a secret.
    - Every key when neither names nor O(hash) are given, newest first.
  type: list
  elements: dict
  sample:
    - hash: f01d52606dc8f0a8303a7b5cc3fa07109c2e346cec7c0a16b40de462992ce943
      name: ci-pipeline
      label: sk-or-v1-0e6...1c96
      disabled: false
      limit: 25.0
      limit_remaining: 20.5
      limit_reset: monthly
      usage_monthly: 4.5
      workspace_id: 0df9e665-d932-5740-b2c7-b52af166bc11
"""

from ansible.errors import AnsibleLookupError
from ansible.module_utils.basic import missing_required_lib
from ansible.plugins.lookup import LookupBase
from ansible.utils.display import Display

from ansible_collections.openrouter.provisioning.plugins.module_utils.client import (
    HAS_REQUESTS,
    redact,
)
from ansible_collections.openrouter.provisioning.plugins.module_utils.common import (
    client_from_params,
    connection_problems,
)
from ansible_collections.openrouter.provisioning.plugins.module_utils.errors import ProvisioningError
from ansible_collections.openrouter.provisioning.plugins.module_utils.key_resource import KEY
from ansible_collections.openrouter.provisioning.plugins.module_utils.workspaces import (
    resolve_workspace_id,
    workspace_ref_problems,
)

CONNECTION_OPTIONS = ("management_key", "api_url", "timeout", "validate_certs", "retries", "retry_max_time")
FILTER_OPTIONS = ("workspace_id", "include_disabled", "include_expired")
VAR_OPTIONS = ("management_key", "api_url")

display = Display()


def read_keys(client, names, hashes, workspace_id=None, include_disabled=True, include_expired=True):
    """Return (the records asked for, in order; a description of each name or hash that matched nothing)."""
    found, missing = [], []
    if names or not hashes:
        # A slug costs one request, and only when keys are listed.
        workspace = resolve_workspace_id(client, workspace_id)
        listed = list(client.list_keys(include_disabled, include_expired, workspace))
        if not names:
            found.extend(listed)
        for name in names:
            matches = [record for record in listed if record.get("name") == name]
            if not matches:
                missing.append(
                    "no key is named %r%s" % (name, " in workspace %r" % workspace_id if workspace_id else "")
                )
            found.extend(matches)
    for key_hash in hashes:
        record = client.get_key(key_hash)
        if record is None:
            missing.append("no key has the hash %r" % key_hash)
        else:
            found.append(record)
    return found, missing


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        params = {name: self.get_option(name) for name in CONNECTION_OPTIONS + FILTER_OPTIONS}
        # Values from the vars: sources arrive untemplated (for example "{{ vault_openrouter_management_key }}").
        for name in VAR_OPTIONS:
            if isinstance(params[name], str):
                params[name] = self._templar.template(params[name])
        names = list(terms or [])
        hashes = self.get_option("hash") or []
        secrets = [params["management_key"]]

        problems = connection_problems(params)
        if any(not str(name).strip() for name in names):
            problems.append("A key name given to the keys lookup must not be empty; pass the name of a key.")
        if params["workspace_id"] == "":
            problems.append("workspace_id must not be empty; leave it out to read the default workspace.")
        problems.extend(workspace_ref_problems(params["workspace_id"]))
        for key_hash in hashes:
            problems.extend(KEY.ref_problems(key_hash))
        if problems:
            raise AnsibleLookupError("openrouter.provisioning.keys: " + redact(" ".join(problems), secrets))
        if not HAS_REQUESTS:
            raise AnsibleLookupError(missing_required_lib("requests"))

        client = client_from_params(params)
        try:
            found, missing = read_keys(
                client, names, hashes, params["workspace_id"], params["include_disabled"], params["include_expired"]
            )
        except ProvisioningError as exc:
            raise AnsibleLookupError("openrouter.provisioning.keys: " + redact(str(exc), secrets)) from None

        if missing:
            message = "openrouter.provisioning.keys: %s." % "; ".join(missing)
            on_missing = self.get_option("on_missing")
            if on_missing == "error":
                raise AnsibleLookupError(
                    message + " Check the name or hash (names are matched exactly), or set on_missing=skip to get "
                    "nothing for a key that does not exist."
                )
            if on_missing == "warn":
                display.warning(message)
        return found
