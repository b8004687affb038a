#!/usr/bin/env bash
# The docs and release checks, in the tools venv (.venv/tools) of the test matrix (noxfile.py runs the checks).
#
# Usage: scripts/release.sh docs            regenerate docs/reference/ from the plugins' DOCUMENTATION and the
#                                           role's argument_specs (antsibull-docs)
#        scripts/release.sh docs-check      regenerate into a temp dir; fail if docs/reference/ differs
#        scripts/release.sh release-check   build the tarball, check its file list, and import it with
#                                           galaxy-importer, offline
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*"; }

# The tools venv (.venv/tools, pinned in tests/requirements/tools.txt), built or reused by scripts/harness.py.
use_tools_venv() {
    local bin
    bin=$(python3 "$HERE/harness.py" venv tools)
    export PATH="$bin:$PATH"
}

# Write the reference pages for the collection's current files into $1.
generate_docs() {
    python3 "$HERE/harness.py" tree "$WORK/tree" >/dev/null
    mkdir -m 0755 "$1"
    ANSIBLE_COLLECTIONS_PATH=$WORK/tree antsibull-docs collection --use-current --squash-hierarchy \
        --output-format simplified-rst --no-add-antsibull-docs-version --no-breadcrumbs --fail-on-error \
        --cleanup everything --dest-dir "$1" openrouter.provisioning
}

docs() {
    generate_docs "$WORK/reference"
    rm -rf "$ROOT/docs/reference"
    cp -r "$WORK/reference" "$ROOT/docs/reference"
    log "wrote docs/reference/: $(cd "$ROOT/docs/reference" && echo *)"
}

docs_check() {
    generate_docs "$WORK/reference"
    if ! diff -ru "$ROOT/docs/reference" "$WORK/reference"; then
        echo "docs/reference/ is stale: run 'make docs' and commit the result." >&2
        return 1
    fi
    echo "docs/reference/ is up to date"
}

# Paths that must never ship: venvs, caches, test output, build output, logs, keys.
FORBIDDEN='(^|/)(\.venv|venv|\.cache|\.ansible|\.git|__pycache__|\.pytest_cache|\.hypothesis|\.mypy_cache|\.ruff_cache|\.tox|build|dist|collections|output|tests/output)(/|$)|\.(pyc|log|key|tar\.gz)$|(^|/)importer_result\.json$'
# Files a Galaxy user needs.
REQUIRED='README.md CHANGELOG.rst changelogs/changelog.yaml meta/runtime.yml meta/execution-environment.yml requirements.txt docs/guide.md'

release_check() {
    local version tarball files bad missing="" file
    version=$(sed -n 's/^version: *//p' "$ROOT/galaxy.yml")
    # Build from the work tree itself, where the venvs, caches and test output are.
    ansible-galaxy collection build "$ROOT" --output-path "$WORK" --force
    tarball=$WORK/openrouter-provisioning-$version.tar.gz
    files=$(tar -tzf "$tarball")
    bad=$(grep -E "$FORBIDDEN" <<<"$files" || true)
    if [ -n "$bad" ]; then
        printf 'The tarball holds files that must not ship (extend build_ignore in galaxy.yml):\n%s\n' "$bad" >&2
        return 1
    fi
    for file in $REQUIRED; do
        grep -qx "$file" <<<"$files" || missing+=" $file"
    done
    if [ -n "$missing" ]; then
        echo "The tarball lacks:$missing" >&2
        return 1
    fi
    echo "$(wc -l <<<"$files") entries, $(du -k "$tarball" | cut -f1) KiB; no venvs, caches or test output"

    # galaxy-importer as Galaxy runs it, without network: ansible-lint offline, no ansible-test (it needs
    # containers), and its temporary files in $WORK. The importer exits non-zero when the import fails; a
    # warning (for example from ansible-lint) fails this check too.
    local status=0
    (cd "$WORK" &&
        GALAXY_IMPORTER_CONFIG=$ROOT/scripts/galaxy-importer.cfg \
        GALAXY_IMPORTER_ANSIBLE_LOCAL_TMP=$WORK/ansible-tmp GALAXY_IMPORTER_TMP_ROOT_DIR=$WORK \
        python -m galaxy_importer.main "$tarball") >"$WORK/importer.log" 2>&1 || status=$?
    cat "$WORK/importer.log"
    if [ "$status" != 0 ]; then
        echo "galaxy-importer failed." >&2
        return 1
    fi
    if grep -E '^(WARNING|ERROR)' "$WORK/importer.log" >/dev/null; then
        echo "galaxy-importer reported warnings or errors (above)." >&2
        return 1
    fi
    echo "galaxy-importer: the import passed with no warnings"
}

main_release() {
    WORK=$(mktemp -d -t openrouter-release.XXXXXX)
    trap 'rm -rf "$WORK"' EXIT
    export ANSIBLE_HOME=$WORK/ansible-home
    use_tools_venv
    case ${1:-} in
    docs) docs ;;
    docs-check) docs_check ;;
    release-check) release_check ;;
    *) echo "usage: $0 docs|docs-check|release-check" >&2; return 2 ;;
    esac
}

main_release "$@"
