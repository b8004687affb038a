# shellcheck shell=bash
# Sourced by each target's runme.sh: start the emulator on a free loopback port, export where it listens,
# and stop it when the script exits, whatever happens.
# ansible-test runs a copy of tests/integration alone, so the emulator is found through the collection under test.
emulator_script="${ANSIBLE_COLLECTIONS_PATH%%:*}/ansible_collections/openrouter/provisioning/tests/emulator/openrouter_emulator.py"
emulator_out="$(mktemp)"
"${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}" "${emulator_script}" --port 0 > "${emulator_out}" &
emulator_pid=$!
trap 'kill "${emulator_pid}" 2>/dev/null; rm -f "${emulator_out}"' EXIT
for _ in $(seq 50); do
    [ -s "${emulator_out}" ] && break
    sleep 0.1
done
OPENROUTER_API_URL="$(head -n 1 "${emulator_out}")"
if [ -z "${OPENROUTER_API_URL}" ]; then
    echo "The emulator ${emulator_script} did not start." >&2
    exit 1
fi
export OPENROUTER_API_URL
export OPENROUTER_MANAGEMENT_KEY=sk-or-v1-emulator-management-key
# A run can force the module path (or the in-process path) of every target with tests/integration/integration_config.yml
# holding `openrouter_provisioning_in_process: false`: ansible-test passes no environment variable of its own through.
# Each runme.sh passes "$@" on to ansible-playbook, so the file is added to those arguments as extra vars.
integration_config="$(cd ../.. && pwd)/integration_config.yml"
if [ -f "${integration_config}" ]; then
    set -- "$@" -e "@${integration_config}"
fi
# Pipelining feeds a module to one Python process on its stdin instead of a temporary file, a few shell commands and a
# clean-up per task: it cuts the module path's cost by about a sixth, and changes nothing our modules see. A target
# that needs Ansible's default (secret_hygiene) sets ANSIBLE_PIPELINING itself before sourcing this.
export ANSIBLE_PIPELINING="${ANSIBLE_PIPELINING:-True}"
