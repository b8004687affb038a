#!/usr/bin/env bash
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
set -eu
source ../setup_emulator/emulator.sh

# Run a playbook, show its output, and keep the output in $output for the checks that follow.
play() {
    output="$(ansible-playbook -i localhost, -c local "$@")" || { echo "${output}"; return 1; }
    echo "${output}"
}

fail() {
    echo "api_keys_role: $*" >&2
    exit 1
}

# No output below may show a secret the emulator made (its secrets are sk-or-v1- and 64 hex digits).
no_secret_shown() {
    if grep -Eq 'sk-or-v1-[0-9a-f]{64}' <<< "${output}"; then fail "$1 printed a secret"; fi
}

# 1. --check --diff on an empty account: only GETs, and the module results are shown (no secret can exist).
play check.yml --check --diff "$@"
grep -q '(item=create it-role-a)' <<< "${output}" || fail "check mode hid the module results"
no_secret_shown check.yml

# 2. Every step of the role, each asserted on its facts, its files and the emulator's request log. A run whose
#    secrets go to files shows each module result (an update's diff too); one that returns secrets hides them.
play main.yml --diff "$@"
grep -q '(item=update it-role-b)' <<< "${output}" || fail "a real run with a secrets directory hid its results"
grep -q '"limit": 7.5' <<< "${output}" || fail "the diff of an update was not shown"
if grep -q '(item=create it-role-a)' <<< "${output}"; then fail "a run returning secrets showed a module result"; fi
grep -Eq 'created 5, updated 0, replaced 0, deleted 0, unchanged 0, failed 0' <<< "${output}" ||
    fail "the one-line summary is missing"
# The exclusive run deletes three unlisted keys; they don't count against the five listed ones, all unchanged.
grep -q 'created 0, updated 0, replaced 0, deleted 3, unchanged 5, failed 0' <<< "${output}" ||
    fail "the summary of the exclusive run miscounted the unchanged keys"
no_secret_shown main.yml

# 3. Converge the final keys again, among 200 more: the role as a whole must report no change.
play rerun.yml "$@"
grep -Eq '^localhost +: ok=[1-9][0-9]* +changed=0 +unreachable=0 +failed=0 ' <<< "${output}" ||
    fail "the role reported a change on a rerun with nothing to change"

# 4. The safety rules: refusals before any write, file names for any key name, the missing-secret notice and repair,
#    duplicates, exclusive scope and the 403 of a key that isn't a management key. Results are shown, secrets never.
play safety.yml "$@"
grep -q '(item=create ../it-safe-escape)' <<< "${output}" || fail "a create with a secrets directory was hidden"
grep -q 'their secret file is missing, so their secrets are lost: It-Safe-Upper' <<< "${output}" ||
    fail "the missing secret file was not reported"
grep -Eq 'delete +it-safe-after \([0-9a-f]{64}\)' <<< "${output}" || fail "the plan did not show a delete's hash"
no_secret_shown safety.yml

# 5. With a vault password, the secret files are Ansible Vault files that open to a working key.
play vault.yml "$@"
no_secret_shown vault.yml

# 6. Items under guardrails: created, rerun, moved, removed, an unknown name refused; the plan and summary lines show it.
play guardrail.yml "$@"
grep -q 'created 10, updated 0, replaced 0, deleted 0, guardrails changed 10, unchanged 0, failed 0' <<< "${output}" ||
    fail "the summary did not count the keys created under a guardrail"
grep -Eq 'update +it-guarded-0 \([0-9a-f]{64}\): guardrail_id it-gr-team \([^)]*\) -> it-gr-other \(' <<< "${output}" ||
    fail "the plan did not show a move by the guardrails' names"
grep -Eq 'update +it-guarded-3 \([0-9a-f]{64}\): guardrail_id it-gr-team \([^)]*\) -> None' <<< "${output}" ||
    fail "the plan did not show a removal"
grep -q 'created 0, updated 5, replaced 0, deleted 0, guardrails changed 5, unchanged 5' <<< "${output}" ||
    fail "the check run's summary did not predict the guardrail changes"
grep -q 'created 0, updated 0, replaced 0, deleted 0, guardrails changed 0, unchanged 10' <<< "${output}" ||
    fail "a rerun's summary is missing"
no_secret_shown guardrail.yml
