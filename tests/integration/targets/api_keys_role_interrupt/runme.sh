#!/usr/bin/env bash
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Issue 11's interruption test: a role run creating 30 keys is interrupted mid-loop, once by SIGINT to ansible-playbook
# and once by SIGKILL of its whole process group. Every key created then has its secret file, or is reported by the
# next run; the documented repair (openrouter_api_keys_rotate_missing) then gives every key its file.
set -eu
source ../setup_emulator/emulator.sh
python="${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}"
emulator="${OPENROUTER_API_URL%/api/v1}/_emulator"
work="$(mktemp -d)"
secrets_dir="${work}/secrets"
trap 'kill "${emulator_pid}" 2>/dev/null; rm -rf "${emulator_out}" "${work}"' EXIT

fail() {
    echo "api_keys_role_interrupt: $*" >&2
    exit 1
}

# POST a JSON body to the emulator's control interface.
control() {
    "${python}" -c 'import sys, urllib.request; urllib.request.urlopen(urllib.request.Request(sys.argv[1], data=sys.argv[2].encode(), headers={"Content-Type": "application/json"}, method="POST")).read()' "${emulator}/$1" "$2"
}

# Start a converge in its own session (its process group), wait until it has written $1 secret files in all, then
# send signal $2 to ansible-playbook (INT) or to its process group (KILL), and wait for it to end.
interrupt() {
    setsid ansible-playbook -i localhost, -c local converge.yml -e "secrets_dir=${secrets_dir}" > "${work}/run.log" 2>&1 &
    local pid=$!
    for _ in $(seq 600); do
        [ "$(find "${secrets_dir}" -name '*.key' 2>/dev/null | wc -l)" -ge "$1" ] && break
        kill -0 "${pid}" 2>/dev/null || { cat "${work}/run.log"; fail "the converge ended before it was interrupted"; }
        sleep 0.1
    done
    if [ "$2" = INT ]; then kill -s INT "${pid}"; else kill -s KILL -- "-${pid}"; fi
    wait "${pid}" && fail "the converge interrupted by SIG$2 succeeded" || true
    cat "${work}/run.log"
    # A process of the killed group may still finish its request; give it time, then count.
    sleep 1
    echo "after SIG$2: $(find "${secrets_dir}" -name '*.key' | wc -l) secret files"
}

# Each create answers 0.3 s late, so the loop is mid-way when the signal comes.
control faults '{"method": "POST", "path": "^/keys$", "action": "delay", "seconds": 0.3, "times": 1000}'

interrupt 5 INT
interrupt 12 KILL

ansible-playbook -i localhost, -c local verify.yml -e "secrets_dir=${secrets_dir}" -e phase=report "$@"
ansible-playbook -i localhost, -c local verify.yml -e "secrets_dir=${secrets_dir}" -e phase=repair "$@"
