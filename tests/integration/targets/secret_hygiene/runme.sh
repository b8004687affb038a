#!/usr/bin/env bash
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Create, rotate and fail with both modules and the role under -vvvv, ANSIBLE_DEBUG=1 and ANSIBLE_LOG_PATH, keep
# everything Ansible wrote, then scan it for the management keys and every secret the emulator issued.
set -eu
# The module path as Ansible runs it by default (a temporary file per module), whose -vvvv output is scanned too.
export ANSIBLE_PIPELINING=False
source ../setup_emulator/emulator.sh
HYGIENE_WRONG_KEY="sk-or-v1-wrong-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
export HYGIENE_WRONG_KEY
python="${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}"
capture="${OUTPUT_DIR:-$(mktemp -d)}"

if ! ANSIBLE_DEBUG=1 ANSIBLE_LOG_PATH="${capture}/ansible.log" \
        ansible-playbook -i localhost, -c local -vvvv main.yml "$@" > "${capture}/output.txt" 2>&1; then
    # Without ansible-core's debug lines, which start with a process id and a timestamp.
    grep -Ev '^ *[0-9]+ [0-9]+\.[0-9]+: ' "${capture}/output.txt" | tail -n 150
    echo "main.yml failed; its whole output is in ${capture}" >&2
    exit 1
fi
"${python}" hygiene.py scan "${capture}/output.txt" "${capture}/ansible.log" || {
    echo "a secret leaked; the output is in ${capture}" >&2
    exit 1
}
[ -n "${OUTPUT_DIR:-}" ] || rm -rf "${capture}"
