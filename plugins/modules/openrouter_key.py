#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: openrouter_key
short_description: Create, update, disable, rotate and delete an OpenRouter API key
version_added: 0.1.0
description:
  - Manages one OpenRouter API key idempotently through OpenRouter's key-management API.
  - The key is found by O(hash) if given, else by O(name) (within O(workspace_id)). A lookup by name reads every page of
    the key list, disabled and expired keys included, so a disabled or expired key is never duplicated.
  - Only the options you give are managed. Of those, O(name), O(disabled), O(limit), O(limit_reset),
    O(include_byok_in_limit) and O(workspace_id) are changed in place with one PATCH that carries only the fields that
    differ. A key found by O(hash) in another workspace is moved there, keeping its hash, secret and guardrail.
  - O(expires_at), O(creator_user_id) and O(external_user) can only be set when a key is created. When one of them
    differs from the existing key, O(recreate) decides what happens.
  - The secret of a key is given once, by the run that creates it; OpenRouter can't show it again. With O(secret_file),
    the module writes it to that file (mode 0600) the moment the key exists, before any other step, and leaves it out of
    the result. Without O(secret_file), it is returned in RV(secret); register the result and store the secret at once,
    with C(no_log=true) on the task.
author:
  - openrouter.provisioning developers (@openrouter-provisioning)
extends_documentation_fragment:
  - openrouter.provisioning.connection
  - openrouter.provisioning.connection.ACTION_GROUP
  - openrouter.provisioning.attributes
  - openrouter.provisioning.in_process
attributes:
  check_mode:
    support: full
    details:
      - In check mode the module sends only GET requests and reports the same RV(ignore:changed) and RV(diff) that a
        real run would. It returns no RV(secret), because no key is created, and writes or removes no O(secret_file);
        RV(secret_file) and RV(diff) say what would be written or removed.
  diff_mode:
    support: full
    details:
      - The diff shows the options you gave, before and after; the secret is never part of it.
  idempotent:
    support: partial
    details:
      - With O(recreate=always) the key is replaced on every run, which is not idempotent by design.
      - In every other case a second run with the same options reports no change and sends no POST, PATCH or DELETE.
options:
  state:
    description:
      - V(present) makes sure the key exists with the given settings; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  hash:
    description:
      - The hash that identifies the key, as OpenRouter returns it (64 hexadecimal characters).
      - When given, the key is found by hash and O(name) renames it. With O(state=present) the module fails if no key
        has this hash; it never creates a key in its place.
      - One of O(hash) and O(name) is required.
    type: str
  name:
    description:
      - The key's name. Without O(hash), the key is found by this exact name.
      - If more than one key bears the name, the module fails and lists their hashes; pass O(hash) to choose one.
      - Required to create a key.
    type: str
  workspace_id:
    description:
      - The workspace the key belongs to, given by its id or its slug. OpenRouter's default workspace is used when not
        given.
      - A slug costs one request (C(GET /workspaces/<slug>)) per run to find its id; an id (a UUID) costs none. A slug
        that names no workspace fails before any change; in check mode it is taken for a workspace an earlier task
        would create, with a warning, and the key is predicted to be created there.
      - Lookups by name search this workspace only, so a key of the same name in another workspace is never moved;
        another key is created here.
      - A key found by O(hash) in another workspace is moved here with one PATCH. It keeps its hash, its secret and
        its guardrail.
    type: str
  disabled:
    description:
      - Whether the key is disabled. A disabled key can't be used, but keeps its settings and can be enabled again.
      - A key created with O(disabled=true) is created and then disabled with a second request.
    type: bool
  limit:
    description:
      - The spending limit of the key in USD, a number of 0 or more.
      - V(unlimited) removes the limit.
      - V(10) and V(10.0) are the same limit.
    type: raw
  limit_reset:
    description:
      - How often the spending limit resets, at midnight UTC (weeks run Monday to Sunday).
      - V(never) means the limit never resets, which OpenRouter stores as no reset.
    type: str
    choices: [daily, weekly, monthly, never]
  include_byok_in_limit:
    description:
      - Whether usage through your own provider keys (BYOK) counts against O(limit).
    type: bool
  guardrail:
    description:
      - The guardrail the key holds, by id or by exact name within the key's workspace. A key holds at most one
        guardrail, so one under another guardrail is moved. An empty string removes the key from its guardrail.
      - The module reads the organization's key assignments once; a key that already holds the guardrail given by id
        costs no other request, and one given by name costs one listing of the workspace's guardrails.
      - The guardrail is found before the key is created or changed, so one that doesn't exist fails the task with
        nothing written. In check mode a name that matches no guardrail yet gives a warning instead, since an earlier
        task of the run may create it.
      - Not managed when not given. M(openrouter.provisioning.openrouter_guardrail) manages the guardrail itself.
    type: str
    version_added: 0.2.0
  expires_at:
    description:
      - When the key expires, as an ISO 8601 timestamp with a time zone. Fixed at creation (see O(recreate)).
      - The module normalises it to UTC with seconds, the only form OpenRouter accepts, before sending or comparing it.
        V(2027-12-31T23:59:59Z) is sent unchanged, V(2028-01-01T01:59:59+02:00) is sent as V(2027-12-31T23:59:59Z),
        and V(2027-12-31T23:59Z) as V(2027-12-31T23:59:00Z).
      - A date without a time, or a time without a time zone, is rejected before any request, since it is ambiguous.
      - A moment that has already passed is rejected before any request.
    type: str
  creator_user_id:
    description:
      - The OpenRouter user ID of the member who creates the key, for keys owned by an organization. Fixed at creation
        (see O(recreate)).
    type: str
  external_user:
    description:
      - The end user a key is made for, for SaaS partners who create keys on behalf of their own users. It becomes the
        key's RV(key.external_user). Fixed at creation (see O(recreate)).
    type: str
    version_added: 0.2.0
  external_api_key:
    description:
      - The partner's API key that goes with O(external_user), at least 32 characters. Needs O(external_user).
      - Sent only when this run creates a key (also by replacing one). OpenRouter never returns it, so the module
        can't compare it, and it is never in the result or the diff. To change it, replace the key with
        O(recreate=always) and the new value.
    type: str
    version_added: 0.2.0
  recreate:
    description:
      - What to do when O(expires_at), O(creator_user_id) or O(external_user) differs from the existing key. OpenRouter
        can't change these on an existing key.
      - V(never) fails and names the field that differs.
      - V(on_change) replaces the key with a new one, which gets a new hash and secret.
      - V(always) replaces the key on every run. Use it to rotate a key. This is not idempotent.
      - A replacement creates the new key first, then deletes the old one, so there is never a moment without a key.
        The new key inherits the old key's settings for every option you didn't give.
    type: str
    choices: [never, on_change, always]
    default: never
  secret_file:
    description:
      - The absolute path of a file to write a new key's secret to, on the host that runs the module (the controller
        when the task runs there). C(~) is expanded.
      - When this run creates a key (also by replacing one with O(recreate)), the secret and a newline are written to
        the file atomically with mode 0600 the moment OpenRouter answers the create, before any other step (the PATCH
        of a key created with O(disabled=true), the DELETE of the replaced key). An existing file is replaced. A run
        that creates no key never touches the file.
      - With O(state=absent), the file is removed once the key is gone (deleted by this run, or already missing).
      - The file's directory must be owned by the user running the module and writable by no one else; if it doesn't
        exist, its parent must, and it is created with mode 0700. A symbolic link, or a file of another user, at the
        path is refused. All this is checked before any request, in check mode too.
      - If the file can't be written after the key was created, the module fails and returns the secret in RV(secret)
        instead, so it is never lost.
      - With O(secret_file_vault_password) or O(secret_file_vault_password_file), the file is an Ansible Vault file
        instead of plain text.
    type: path
  secret_file_vault_password:
    description:
      - A vault password to encrypt O(secret_file) with. The file is then written as Ansible Vault (format 1.1 with the
        AES256 cipher, or 1.2 with O(secret_file_vault_id)), with the same care as a plain one (atomically, mode 0600),
        and opens to the secret alone, without a newline, for example with C(lookup('ansible.builtin.unvault', path))
        or C(ansible-vault view).
      - Leading and trailing white space is dropped, as Ansible does with vault passwords. An empty password is
        refused.
      - If a vault file is already at O(secret_file), this password must open it, so a mistyped password never leaves
        one secret file under another password; change the file's password with C(ansible-vault rekey), or remove it.
      - These checks run before any request. Encrypting needs the Python package C(cryptography) on the host that runs
        the module (ansible-core's controller always has it).
      - Only with O(secret_file). Mutually exclusive with O(secret_file_vault_password_file).
    type: str
    version_added: 0.2.0
  secret_file_vault_password_file:
    description:
      - A file that holds the vault password for O(secret_file), on the host that runs the module; read as
        O(secret_file_vault_password) would be given.
      - An executable file is refused, because Ansible would run it as a password script, which this module doesn't.
      - Only with O(secret_file). Mutually exclusive with O(secret_file_vault_password).
    type: path
    version_added: 0.2.0
  secret_file_vault_id:
    description:
      - The vault id label to write in the header of O(secret_file) (format 1.2), so that C(--vault-id label@source)
        picks the right password. V(default) writes format 1.1, as C(ansible-vault) does.
      - Needs O(secret_file_vault_password) or O(secret_file_vault_password_file). A label has no spaces, C(;) or C(@).
    type: str
    version_added: 0.2.0
  lock_timeout:
    description:
      - The longest time, in seconds, to wait for the lock of the key's name while another run on this machine holds it
        (see the notes). Then the module fails, saying so, before any change.
      - The default is a little more than a run can hold the lock with the connection options given, three times
        (O(retry_max_time) + O(timeout)) plus O(timeout); that is 300 seconds with their defaults.
      - V(0) tries once and fails at once if the lock is held. Only a lookup by name takes the lock.
    type: float
  return_secret:
    description:
      - Whether the result carries a new key's secret in RV(secret).
      - The default is V(true) without O(secret_file), and V(false) with it, so that no secret is in the result and
        the task needs no C(no_log).
      - V(false) needs O(secret_file), or the secret would be lost.
    type: bool
notes:
  - B(Lost responses.) If a create request reaches OpenRouter but its answer is lost (a timeout, a dropped connection,
    a gateway error), the module lists the keys with that name again. A key that appeared is deleted, because its secret
    can't be recovered, and the key is created once more, so you still get a secret. If no key has appeared, the module
    looks again after short, growing waits (0.5, 1, 2, 4 seconds and so on, up to O(timeout) in all), in case the create
    is still on its way, and stops as soon as the key shows. If the second try is lost too, the module fails and says
    which keys it deleted; if it can't delete such a key, it fails and names its hash.
  - B(Parallel runs.) Lookups by name that may create a key are serialised per API URL, workspace and name with a lock
    file in C(openrouter-provisioning-<uid>) in the temporary directory (C(TMPDIR)), so forks on one machine can't
    create the same key twice. The lock files are per user, and two names can share one (there are 256), so a run may
    now and then wait for a run of another name. This protection ends at the machine's edge and at the user; don't
    manage the same key by name from several machines or users at once.
  - B(One listing per loop.) When the task runs on the controller in-process, all items of its loop run in one
    process, and their lookups by name share one listing of the keys, updated with each write of the loop, so N creates
    cost one listing and N POSTs. A write of a key by this module in any other process on this machine (as the same
    user) makes the next lookup list again. Changes made elsewhere (another machine, OpenRouter's web site, another
    client) are seen only once the listing is read again, at the latest 60 seconds after it was read. On the module
    path each item lists.
  - If anything fails after the create (for example the PATCH that disables a new key), the module fails, but the new
    key's secret is already in O(secret_file), or in RV(secret), and the result carries RV(key.hash).
  - If a replacement can't delete the old key, it deletes the new key again, so the next run finds one key and replaces
    it. With O(secret_file), the file then holds the old key's secret again (or is removed if there was none). If that
    fails too, the module fails with the new key's RV(secret) and both hashes, and one of the two keys must be deleted
    by hash.
seealso:
  - module: openrouter.provisioning.openrouter_key_info
"""

EXAMPLES = r"""
- name: Create a key with a monthly 25 USD limit; its secret goes to a file, never into the result or the log
  openrouter.provisioning.openrouter_key:
    name: ci-pipeline
    limit: 25
    limit_reset: monthly
    secret_file: ~/.config/openrouter/ci-pipeline.key

- name: Create a key and take its secret from the result instead (register it, and keep it out of the log)
  openrouter.provisioning.openrouter_key:
    name: batch-jobs
  register: batch_key
  no_log: true

- name: Set the auth options once for every module of the collection
  module_defaults:
    group/openrouter.provisioning.openrouter:
      management_key: "{{ vault_openrouter_management_key }}"
  block:
    - name: Remove the limit of a key
      openrouter.provisioning.openrouter_key:
        name: research
        limit: unlimited

    - name: Disable a key, keeping its settings
      openrouter.provisioning.openrouter_key:
        name: contractor-2026
        disabled: true

- name: Rename a key, found by its hash
  openrouter.provisioning.openrouter_key:
    hash: f01d52606dc8f0a8303a7b5cc3fa07109c2e346cec7c0a16b40de462992ce943
    name: billing-service

- name: Give a key an expiry; replace the key if it already exists with another one
  openrouter.provisioning.openrouter_key:
    name: summer-intern
    limit: 5
    expires_at: "2027-08-31T23:59:59Z"
    recreate: on_change
  register: intern_key
  no_log: true

- name: Write the secret as an Ansible Vault file, labelled prod; read it back with the unvault lookup
  openrouter.provisioning.openrouter_key:
    name: reporting
    secret_file: ~/.config/openrouter/reporting.key
    secret_file_vault_password: "{{ vault_secret_files_password }}"
    secret_file_vault_id: prod

- name: Rotate a key (a new key replaces the old one on every run); the file has the new secret before the old key goes
  openrouter.provisioning.openrouter_key:
    name: chatbot-prod
    recreate: always
    secret_file: /srv/chatbot/openrouter.key

- name: Move a key, found by its hash, to the workspace with the slug team-a; it keeps its secret and guardrail
  openrouter.provisioning.openrouter_key:
    hash: f01d52606dc8f0a8303a7b5cc3fa07109c2e346cec7c0a16b40de462992ce943
    workspace_id: team-a

- name: Create a key for an end user of a SaaS partner
  openrouter.provisioning.openrouter_key:
    name: acme-user-42
    workspace_id: partners
    external_user: user-42
    external_api_key: "{{ vault_acme_partner_api_key }}"
    secret_file: ~/.config/openrouter/acme-user-42.key

- name: Delete a key, and its secret file
  openrouter.provisioning.openrouter_key:
    name: old-experiment
    state: absent
    secret_file: ~/.config/openrouter/old-experiment.key
"""

RETURN = r"""
key:
  description:
    - The key's record as the API gives it after this run, never its secret.
    - In check mode, the record as it would be after the run; a key that would be created has no RV(key.hash) yet.
    - Empty after O(state=absent).
  returned: always
  type: dict
  sample:
    hash: f01d52606dc8f0a8303a7b5cc3fa07109c2e346cec7c0a16b40de462992ce943
    name: ci-pipeline
    label: sk-or-v1-0e6...1c96
    disabled: false
    limit: 25.0
    limit_remaining: 25.0
    limit_reset: monthly
    include_byok_in_limit: false
    usage: 0.0
    usage_daily: 0.0
    usage_weekly: 0.0
    usage_monthly: 0.0
    byok_usage: 0.0
    byok_usage_daily: 0.0
    byok_usage_weekly: 0.0
    byok_usage_monthly: 0.0
    created_at: "2026-11-26T10:30:00Z"
    updated_at: null
    expires_at: null
    creator_user_id: null
    workspace_id: 0df9e665-d932-5740-b2c7-b52af166bc11
    external_user: null
    last_used_at: null
  contains:
    hash:
      description: The key's identifier, to pass as O(hash).
      type: str
      returned: when the key exists
    guardrail_id:
      description: The id of the guardrail the key holds after this run, or null.
      type: str
      returned: when O(guardrail) is given
    name:
      description: The key's name.
      type: str
      returned: success
    label:
      description: A masked form of the secret, safe to show.
      type: str
      returned: when the key exists
    disabled:
      description: Whether the key is disabled.
      type: bool
      returned: success
    limit:
      description: The spending limit in USD, or null when there is none.
      type: float
      returned: success
    limit_reset:
      description: How often the limit resets (C(daily), C(weekly), C(monthly)), or null for never.
      type: str
      returned: success
    expires_at:
      description: When the key expires (UTC), or null.
      type: str
      returned: success
    workspace_id:
      description: The id of the key's workspace.
      type: str
      returned: success
    external_user:
      description: The end user the key was made for (O(external_user)), or null.
      type: str
      returned: success
secret:
  description:
    - The new key's secret, to use as an OpenRouter API key. OpenRouter shows it only once.
    - Also returned when a step after the create failed, so the secret is never lost.
    - With O(secret_file), returned only with O(return_secret=true), or when writing the file failed.
  returned: when this run created a key (also by replacing one), outside check mode, and O(return_secret) is true
  type: str
  sample: sk-or-v1-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
secret_file:
  description:
    - The path of O(secret_file), when this run wrote the new key's secret to it, or removed it with O(state=absent).
    - In check mode, when the run would write or remove it. RV(diff) shows it as well, in C(after) when it is
      written and in C(before) when it is removed.
    - When the key was created but O(secret_file) could not be written (a full disk, say), the task fails and this is
      the file the secret was rescued to instead (C(recovered-<hash>.key), mode 0600, in this user's private directory
      beside the name locks), unless O(return_secret=true) put it in RV(secret).
  returned: when this run wrote or removed O(secret_file) (in check mode, would)
  type: str
  sample: /home/ci/.config/openrouter/ci-pipeline.key
secret_file_encrypted:
  description:
    - Whether RV(secret_file) was written (in check mode, would be written) as an Ansible Vault file, encrypted with
      O(secret_file_vault_password) or O(secret_file_vault_password_file).
  returned: when this run wrote O(secret_file) (in check mode, would)
  type: bool
  sample: true
  version_added: 0.2.0
previous_hash:
  description: The hash of the key that a replacement (O(recreate)) deleted.
  returned: when this run replaced a key, outside check mode
  type: str
  sample: 9c4e5f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6
diff:
  description:
    - The options you gave, before and after this run; C({}) is the before of a create and the after of a delete.
    - A replacement shows the old hash before and C((new key)), or the new hash outside check mode, after.
  returned: in diff mode
  type: dict
  sample:
    before:
      limit: 10.0
    after:
      limit: 25.0
"""

from ansible_collections.openrouter.provisioning.plugins.module_utils.common import (
    ModuleDefinition,
    run_ansible_module,
)
from ansible_collections.openrouter.provisioning.plugins.module_utils.guardrails import with_guardrail
from ansible_collections.openrouter.provisioning.plugins.module_utils.key_resource import KEY_OPTIONS
from ansible_collections.openrouter.provisioning.plugins.module_utils.keys import converge_key, key_problems
from ansible_collections.openrouter.provisioning.plugins.module_utils.workspaces import with_workspace_ref

# The guardrail option sits on top of the key's own options and work (guardrails.py); a workspace slug is resolved
# to its id before both (workspaces.py).
DEFINITION = with_workspace_ref(
    with_guardrail(
        ModuleDefinition(
            argument_spec=KEY_OPTIONS,
            run=converge_key,
            problems=key_problems,
            required_one_of=[("hash", "name")],
        )
    ),
    # A check run's key in a workspace an earlier task would create: it would be created there too (or, absent, be
    # nothing to delete).
    predict=lambda params: {"changed": params["state"] == "present", "key": {}},
)


def main():
    run_ansible_module(DEFINITION)


if __name__ == "__main__":
    main()
