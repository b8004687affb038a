#!/usr/bin/env bash
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Run every YAML example of README.md and docs/*.md as written, in page order, against the emulator, each one with
# --check --diff first and then for real. The only setup is the one the guide documents: OPENROUTER_API_URL and
# OPENROUTER_MANAGEMENT_KEY in the environment (emulator.sh), and the controller's Python as the local interpreter.
set -eu
source ../setup_emulator/emulator.sh
collection="${ANSIBLE_COLLECTIONS_PATH%%:*}/ansible_collections/openrouter/provisioning"
work="$(mktemp -d)"
# emulator.sh sets emulator_pid and emulator_out; this trap replaces its own, so it stops the emulator too.
# shellcheck disable=SC2154
trap 'kill "${emulator_pid}" 2>/dev/null; rm -rf "${emulator_out}" "${work}"' EXIT
pages=(README.md)
for page in "${collection}"/docs/*.md; do pages+=("docs/$(basename "${page}")"); done
python=${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}
"${python}" examples.py "${collection}" "${work}" "${pages[@]}"
# Each example runs as the guide's check-mode workflow says: first with --check --diff, then for real with --diff.
# On the module path (integration_config.yml, see emulator.sh) only for real: the other targets test check mode on it,
# and the check runs would double this target's cost there.
modes=(check real)
# shellcheck disable=SC2154
if grep -qs '^openrouter_provisioning_in_process: false' "${integration_config}"; then
    modes=(real)
fi
: > "${work}/ran"
"${python}" - "${work}/manifest.json" <<'PY' |
import json, sys
for example in json.load(open(sys.argv[1])):
    print("%s\t%s\t%s" % (example["where"], example["dir"], example["playbook"]))
PY
while IFS=$'\t' read -r where dir playbook; do
    for mode in "${modes[@]}"; do
        check=()
        [ "${mode}" = check ] && check=(--check)
        echo "=== ${where} (${mode})"
        echo "${where} ${mode}" >> "${work}/ran"
        (cd "${dir}" && ansible-playbook -i localhost, -c local -e "ansible_python_interpreter=${python}" "${check[@]}" \
            --diff "${playbook}" "$@") || { echo "docs_examples: the example at ${where} failed (${mode})" >&2; exit 1; }
    done
done
# A loop that ran nothing must not pass: every example of the manifest ran in every mode.
expected=$("${python}" -c 'import json, sys; print(len(json.load(open(sys.argv[1]))))' "${work}/manifest.json")
ran=$(wc -l < "${work}/ran")
if [ "${ran}" -ne $((expected * ${#modes[@]})) ]; then
    echo "docs_examples: ${ran} runs for ${expected} examples in ${#modes[@]} modes" >&2
    exit 1
fi
