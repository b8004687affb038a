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
# emulator.sh set emulator_pid and emulator_out; this trap replaces its own and also removes the work directory.
# shellcheck disable=SC2154
trap 'kill "${emulator_pid}" 2>/dev/null; rm -rf "${emulator_out}" "${work}"' EXIT

fail() {
    echo "api_keys_role_interrupt: $*" >&2
    exit 1
}

# Send a JSON body (POST), or none (DELETE), to the emulator's control interface.
control() {
    "${python}" -c 'import sys, urllib.request
data = sys.argv[2].encode() if len(sys.argv) > 2 else None
request = urllib.request.Request(sys.argv[1], data=data, headers={"Content-Type": "application/json"},
                                 method="POST" if data else "DELETE")
urllib.request.urlopen(request).read()' "${emulator}/$1" "${@:2}"
}

# Wait (at most 60 s) until no process of the converge is left: Ansible's workers run in sessions of their own, so a
# signal to ansible-playbook's process group doesn't reach them; they are found by the unique secrets_dir in their
# command line (a worker is a fork of ansible-playbook).
wait_for_converge_processes() {
    for _ in $(seq 600); do
        pgrep -f "secrets_dir=${secrets_dir}" > /dev/null || return 0
        sleep 0.1
    done
    fail "processes of an interrupted converge are still running"
}

# Start a converge in its own session, wait until the emulator is holding the answer to POST number $1 (posts.py; the key is
# about to be created, and its secret is not yet sent), and interrupt the run: INT sends SIGINT to ansible-playbook's
# process group, as Ctrl-C in a terminal does; KILL sends SIGKILL to that group and to the sessions of its workers
# (with their module processes), as a killed CI job or a crash does. Then wait until no worker of the run is left,
# and until the emulator has applied the POST in flight.
interrupt() {
    # A background job of a non-interactive shell starts with SIGINT ignored, which older ansible-core keeps: restore
    # the default, as a terminal's foreground job has it, so that SIGINT acts as Ctrl-C does.
    setsid "${python}" -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execvp(sys.argv[1], sys.argv[1:])' ansible-playbook -i localhost, -c local converge.yml -e "secrets_dir=${secrets_dir}" \
        > "${work}/run.log" 2>&1 &
    local pid=$! worker
    "${python}" posts.py "${emulator}/faults" "$1" "${pid}" || { cat "${work}/run.log"; fail "POST number $1 never came"; }
    if [ "$2" = KILL ]; then
        for worker in $(pgrep -f "secrets_dir=${secrets_dir}"); do
            [ "${worker}" = "${pid}" ] || pkill -KILL -s "${worker}" || true
        done
    fi
    kill -s "$2" -- "-${pid}"
    local status=0
    wait "${pid}" || status=$?
    wait_for_converge_processes
    sleep 4  # the POST in flight is applied when its 3 s delay ends
    cat "${work}/run.log"
    [ "${status}" != 0 ] || fail "the converge interrupted by SIG$2 succeeded"
    echo "after SIG$2: $(find "${secrets_dir}" -name '*.key' | wc -l) secret files"
}

# Every create answers 3 s late, so that each interruption comes while a POST is in flight, even on a loaded machine
# where the kill comes a second after the POST arrives: the emulator then creates the key, but its secret may never
# reach the module.
control faults '{"method": "POST", "path": "^/keys$", "action": "delay", "seconds": 3, "times": 1000}'

# The first run is interrupted during the POST of it-int-4. The second run creates it-int-5 onwards (POST n is that of
# it-int-<n-1>), and is killed during its 7th POST (the 12th in all), or a later one if the kill comes late: the last
# POST that arrived is the one it killed in flight.
interrupt 5 INT
interrupt 12 KILL
killed="it-int-$(($("${python}" posts.py "${emulator}/faults") - 1))"
control faults

# The next run creates the rest and reports every key without a secret file ($killed among them, killed in flight);
# the repair rotates exactly those.
ansible-playbook -i localhost, -c local verify.yml -e "secrets_dir=${secrets_dir}" -e phase=report \
    -e "expect_reported=${killed}" "$@"
ansible-playbook -i localhost, -c local verify.yml -e "secrets_dir=${secrets_dir}" -e phase=repair "$@"
