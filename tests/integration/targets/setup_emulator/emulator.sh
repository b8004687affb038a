# Sourced by each target's runme.sh: start the emulator on a free loopback port, export where it listens,
# and stop it when the script exits, whatever happens.
emulator_script="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../../../emulator/openrouter_emulator.py"
emulator_out="$(mktemp)"
"${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}" "${emulator_script}" --port 0 > "${emulator_out}" &
emulator_pid=$!
trap 'kill "${emulator_pid}" 2>/dev/null; rm -f "${emulator_out}"' EXIT
for _ in $(seq 50); do
    [ -s "${emulator_out}" ] && break
    sleep 0.1
done
OPENROUTER_API_URL="$(head -n 1 "${emulator_out}")"
export OPENROUTER_API_URL
export OPENROUTER_MANAGEMENT_KEY=sk-or-v1-emulator-management-key
export ANSIBLE_ROLES_PATH="${ANSIBLE_ROLES_PATH:-}"
