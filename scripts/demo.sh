#!/usr/bin/env bash
# `make demo`: build the collection, install the tarball into build/collections, start the emulator on a free
# loopback port, run demo/demo.yml against it, and stop the emulator whatever happens.
#
# Against the real API (no emulator; it creates, changes and deletes three real keys named ansible-demo-*):
#   make demo OPENROUTER_MANAGEMENT_KEY=sk-or-v1-... API_URL=https://openrouter.ai/api/v1
# DEMO_KEY_PREFIX changes the prefix of the demo's key names.
set -euo pipefail

started=$SECONDS

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*"; }

# The demo runs on the test matrix's venv for ansible-core 2.19 (Python 3.11); without a 3.11, on 2.21 (Python 3.12).
for core in 2.19 2.21; do
    bin=$(python3 "$HERE/harness.py" venv "core-$core") && break
done
if [ -z "${bin:-}" ]; then
    echo "make demo needs Python 3.11 or 3.12 (from pyenv or on PATH)." >&2
    exit 1
fi
log "venv: .venv/core-$core (the test matrix's pinned ansible-core $core)"
export PATH="$bin:$PATH"

# Build the collection and install the tarball, as a user would.
BUILD=$ROOT/build
version=$(sed -n 's/^version: *//p' "$ROOT/galaxy.yml")
export ANSIBLE_COLLECTIONS_PATH=$BUILD/collections
log "building openrouter-provisioning-$version.tar.gz and installing it into build/collections"
ansible-galaxy collection build "$ROOT" --output-path "$BUILD" --force >/dev/null
ansible-galaxy collection install "$BUILD/openrouter-provisioning-$version.tar.gz" --force >/dev/null
ansible-galaxy collection list openrouter.provisioning | tail -n 1

if [ -n "${API_URL:-}" ]; then
    if [ -z "${OPENROUTER_MANAGEMENT_KEY:-}" ]; then
        echo "API_URL is set, so the demo runs against that API: set OPENROUTER_MANAGEMENT_KEY too." >&2
        exit 1
    fi
    export OPENROUTER_API_URL=$API_URL
    log "REAL RUN against $API_URL: this creates, changes and deletes three keys named ${DEMO_KEY_PREFIX:-ansible-demo-}*"
else
    emulator_out=$(mktemp)
    python "$ROOT/tests/emulator/openrouter_emulator.py" --port 0 >"$emulator_out" &
    emulator_pid=$!
    trap 'kill "$emulator_pid" 2>/dev/null || true; wait "$emulator_pid" 2>/dev/null || true; rm -f "$emulator_out"' EXIT
    for _ in $(seq 100); do
        [ -s "$emulator_out" ] || ! kill -0 "$emulator_pid" 2>/dev/null && break
        sleep 0.1
    done
    OPENROUTER_API_URL=$(head -n 1 "$emulator_out")
    if [ -z "$OPENROUTER_API_URL" ]; then
        echo "The emulator did not start." >&2
        exit 1
    fi
    # The emulator's own management key; whatever key the environment holds is not sent anywhere.
    export OPENROUTER_API_URL OPENROUTER_MANAGEMENT_KEY=sk-or-v1-emulator-management-key
    log "emulator (pid $emulator_pid) at $OPENROUTER_API_URL"
fi

cd "$ROOT/demo"
export ANSIBLE_CONFIG=$ROOT/demo/ansible.cfg
ansible-playbook demo.yml
log "make demo took $((SECONDS - started))s"
