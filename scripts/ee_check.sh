#!/usr/bin/env bash
# Check the collection's execution environment metadata the way ansible-builder uses it, offline:
#   1. build the collection tarball and install it into a temporary collections directory;
#   2. `ansible-builder introspect --sanitize` over that directory must list this collection's Python
#      requirements (meta/execution-environment.yml -> meta/ee-requirements.txt);
#   3. `ansible-builder create` must turn the example definition for users (docs/execution-environment.yml,
#      version 3) into a build context that installs this collection and its requirements.
# Building an image (`ansible-builder build`) needs a container runtime, so it is not done here.
#
# Usage: scripts/ee_check.sh [COLLECTION_ROOT]     (default: the checkout this script is in)
# ansible-galaxy and ansible-builder come from PATH, else from the tools venv (.venv/tools, `make venvs`).
set -euo pipefail

ROOT=$(cd "${1:-$(dirname "${BASH_SOURCE[0]}")/..}" && pwd)
if ! command -v ansible-builder >/dev/null 2>&1; then
    PATH=$ROOT/.venv/tools/bin:$PATH
fi
for tool in ansible-galaxy ansible-builder; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "ee_check: $tool not found; put the tools venv (.venv/tools/bin) on PATH." >&2
        exit 2
    }
done

WORK=$(mktemp -d -t openrouter-ee.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
export ANSIBLE_HOME=$WORK/ansible-home ANSIBLE_NOCOLOR=1

fail() {
    echo "ee_check: $*" >&2
    exit 1
}

echo "== build and install the collection"
ansible-galaxy collection build "$ROOT" --output-path "$WORK" >/dev/null
ansible-galaxy collection install --offline -p "$WORK/collections" "$WORK"/openrouter-provisioning-*.tar.gz 2>&1 |
    grep -v 'is not part of the configured Ansible collections paths' || true
[ -f "$WORK/collections/ansible_collections/openrouter/provisioning/meta/execution-environment.yml" ] ||
    fail "the installed collection has no meta/execution-environment.yml"

echo "== ansible-builder introspect --sanitize"
ansible-builder introspect --sanitize "$WORK/collections" | tee "$WORK/introspect.yml"
# Every requirement of meta/ee-requirements.txt must be found, attributed to this collection.
wanted=$(grep -vE '^\s*(#|$)' "$ROOT/meta/ee-requirements.txt")
[ -n "$wanted" ] || fail "meta/ee-requirements.txt lists no requirement"
while read -r requirement; do
    grep -qF -- "- '$requirement  # from collection openrouter.provisioning'" "$WORK/introspect.yml" ||
        fail "introspect did not find '$requirement' from meta/ee-requirements.txt for openrouter.provisioning"
done <<<"$wanted"

echo "== ansible-builder create (docs/execution-environment.yml)"
ansible-builder create --file "$ROOT/docs/execution-environment.yml" --context "$WORK/context" \
    --output-filename Containerfile
containerfile=$WORK/context/Containerfile
[ -f "$containerfile" ] || fail "ansible-builder create wrote no Containerfile"
grep -q 'openrouter.provisioning' "$WORK/context/_build/requirements.yml" ||
    fail "the example definition does not install openrouter.provisioning"
grep -q 'introspect' "$containerfile" ||
    fail "the Containerfile does not introspect the collections for their Python requirements"

echo "ee_check: passed (introspect found: $(tr '\n' ' ' <<<"$wanted"); the example definition makes a build context)"
