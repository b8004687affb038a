#!/usr/bin/env bash
# The offline test matrix behind `make test`: for each supported ansible-core, ansible-test
# sanity, the pytest unit tests and ansible-test integration; then, once, the linters.
#
# Usage: scripts/matrix.sh STEP...   STEP: test (= sanity units integration lint),
#        sanity, units, integration, lint, venvs, lock, clean
#        CORE="2.17 2.21" scripts/matrix.sh units    restricts the ansible-core versions.
#
# Every venv lives in .venv/<name> and is rebuilt only when its pinned requirement file
# (tests/requirements/*.txt) or its Python changes.  Each step runs on a fresh copy of the
# repo's files in a mktemp dir; the logs end up in tests/output/matrix/.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REQS=$ROOT/tests/requirements
VENVS=$ROOT/.venv
KEEP_LOGS=$ROOT/tests/output/matrix
FAILED_LOG_LINES=${FAILED_LOG_LINES:-200}  # how much of a failed step's log the summary shows

ALL_CORES="2.17 2.18 2.19 2.20 2.21"
# ansible-core 2.20 and later need Python >= 3.12.
declare -A CORE_PYTHON=([2.17]=3.11 [2.18]=3.11 [2.19]=3.11 [2.20]=3.12 [2.21]=3.12)
# The pip versions ansible-test bootstraps into its venvs (`pip=` in python_requirements.py).
PIP_VERSIONS="23.1.2 24.2 25.2"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*"; }

# Print the interpreter for Python $1 (pyenv's newest patch release first, else PATH), or nothing.
find_python() {
    local dir
    if command -v pyenv >/dev/null 2>&1; then
        dir=$(printf '%s\n' "$(pyenv root)/versions/$1".* | sort -V | tail -n 1)
        if [ -n "$dir" ] && [ -x "$dir/bin/python$1" ]; then echo "$dir/bin/python$1"; return; fi
    fi
    command -v "python$1" || true
}

# Make .venv/$1 from Python $2 and requirement file $3, reusing it while the stamp (a hash of
# the interpreter's version and the requirements) matches.  The stamp is written last, so an
# interrupted install is redone; the lock keeps two `make` runs from building it at once.
ensure_venv() {
    local dir=$VENVS/$1 python=$2 req=$3 want
    want=$({ "$python" -VV; cat "$req"; } | sha256sum | cut -d' ' -f1)
    mkdir -p "$VENVS"
    (
        flock 9
        if [ -x "$dir/bin/python" ] && [ "$(cat "$dir/.stamp" 2>/dev/null)" = "$want" ]; then
            echo "reusing .venv/$1"
            exit 0
        fi
        rm -rf "$dir"
        "$python" -m venv "$dir" &&
            "$dir/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req" &&
            echo "$want" >"$dir/.stamp" && echo "built .venv/$1"
    ) 9>"$VENVS/$1.lock"
}

# ansible-test insists on running inside .../ansible_collections/<ns>/<name>/ and refuses a
# symlink, so copy the repo's files (tracked, plus untracked-but-not-ignored work) there.
# Prints the collection root of the new tree under $1.
make_tree() {
    local dest=$1/ansible_collections/openrouter/provisioning
    # --ignore-failed-read: a tracked file deleted in the work tree is simply not copied.
    mkdir -p "$dest" &&
        git -C "$ROOT" ls-files -co --exclude-standard --deduplicate -z |
        tar -C "$ROOT" --null -T - --ignore-failed-read -cf - 2>/dev/null | tar -C "$dest" -xf - &&
        echo "$dest"
}

# ansible-test fetches a get-pip.py from a host that is unreachable here, unless its cache
# file exists (the hash isn't checked): put our ensurepip-based stand-in there.
install_get_pip_standin() {
    local cache=$HOME/.ansible/test/cache version
    mkdir -p "$cache"
    for version in $PIP_VERSIONS; do
        cp "$ROOT/scripts/get_pip_standin.py" "$cache/get_pip_${version//./_}.py"
    done
}

# ansible-test makes its SSH key ~/.ansible/test/id_rsa on first use.  Two first uses at once
# (the two lanes start together) race: the second ssh-keygen finds the file and fails at its
# overwrite prompt.  So make it first, as ansible-test does (PEM, with the RSA header paramiko wants).
make_ansible_test_ssh_key() {
    local key=$HOME/.ansible/test/id_rsa
    [ ! -f "$key" ] || [ ! -f "$key.pub" ] || return 0
    rm -f "$key" "$key.pub"
    ssh-keygen -m PEM -q -t rsa -N '' -f "$key" && sed -i -E 's/(BEGIN|END) PRIVATE KEY/\1 RSA PRIVATE KEY/' "$key"
}

# ---- The steps.  Each runs in its own fresh tree, with its venv first on PATH.  run_step
# calls them in a condition, where bash ignores `set -e`: so every failure is returned
# explicitly (`|| return 1`). ----

step_sanity() {  # $1 = core
    local tree
    tree=$(make_tree "$WORK/sanity-$1") || return 1
    # --requirements (local) rather than --venv: both build the same per-test venvs under
    # ~/.ansible/test/venv, but --venv also rebuilds a delegation venv every run (~10 s more).
    # Those venvs aren't safe to build concurrently: the lock serialises sanity runs on the
    # same Python across `make` invocations too.
    (cd "$tree" && flock 9 && ansible-test sanity --python "${CORE_PYTHON[$1]}" --requirements --color no) \
        9>"$VENVS/sanity-${CORE_PYTHON[$1]}.lock"
}

step_units() {  # $1 = core
    local tree unit_args
    tree=$(make_tree "$WORK/units-$1") || return 1
    if ! find "$tree/tests/unit" -name 'test_*.py' 2>/dev/null | grep -q .; then
        echo "no unit tests (tests/unit/**/test_*.py) yet"
        return 0
    fi
    # --ansible-unit-inject-only with ANSIBLE_COLLECTIONS_PATH: pytest-ansible would otherwise
    # build a collections/ symlink farm, which ansible-test sanity rejects.
    # UNIT_ARGS: extra pytest arguments, e.g. UNIT_ARGS="-k emulator -x".
    read -ra unit_args <<<"${UNIT_ARGS:-}"
    (cd "$tree" && ANSIBLE_COLLECTIONS_PATH="$WORK/units-$1" \
        python -m pytest --ansible-unit-inject-only -p no:cacheprovider -ra "${unit_args[@]}" tests/unit)
}

step_integration() {  # $1 = core
    local tree targets target missing="" status=0
    tree=$(make_tree "$WORK/integration-$1") || return 1
    # setup_*/prepare_* targets are dependencies that other targets pull in, not run alone.
    targets=$(find "$tree/tests/integration/targets" -mindepth 1 -maxdepth 1 -type d \
        ! -name 'setup_*' ! -name 'prepare_*' -printf '%f\n' 2>/dev/null | sort)
    if [ -z "$targets" ]; then
        echo "no targets in tests/integration/targets"
        return 0
    fi
    # --local (the core venv, which has requests for the modules) rather than --venv: an
    # ansible-test venv lacks requests and costs ~10 s to build.
    # --continue-on-error: one failing target doesn't hide the others' results.
    (cd "$tree" && ansible-test integration --python "${CORE_PYTHON[$1]}" --local --continue-on-error --color no -v) ||
        status=1
    # ansible-test silently skips targets whose aliases say disabled/unsupported; every
    # target must run here.
    for target in $targets; do
        grep -q "^Running $target integration test" "$LOGS/integration-$1.log" || missing+=" $target"
    done
    if [ -n "$missing" ]; then
        echo "ERROR: these targets did not run (check their aliases):$missing"
        status=1
    fi
    return "$status"
}

step_ansible_lint() {
    local tree
    tree=$(make_tree "$WORK/ansible-lint") || return 1
    # The collection must be resolvable for the syntax check of playbooks that use it.
    (cd "$tree" && ANSIBLE_COLLECTIONS_PATH="$WORK/ansible-lint" ansible-lint --offline --nocolor)
}

step_antsibull_docs() {
    local tree
    tree=$(make_tree "$WORK/antsibull-docs") || return 1
    (cd "$tree" && antsibull-docs lint-collection-docs --plugin-docs .)
}

step_antsibull_changelog() {
    local tree
    tree=$(make_tree "$WORK/antsibull-changelog") || return 1
    (cd "$tree" && antsibull-changelog lint)
}

# Set variable $1 to the CPU seconds (user + sys) used so far by this shell's finished
# children.  A chain runs its steps one after another, so the difference over a step is that
# step's CPU.  `times` must run in this shell: in $(...) or a pipe it would see a subshell's.
children_cpu() {
    local -a lines
    times >"$WORK/times.$BASHPID"
    mapfile -t lines <"$WORK/times.$BASHPID"
    [[ ${lines[1]:-} =~ ^([0-9]+)m([0-9]+)[.0-9]*s\ ([0-9]+)m([0-9]+)[.0-9]*s ]] || { printf -v "$1" 0; return; }
    printf -v "$1" '%d' $((BASH_REMATCH[1] * 60 + BASH_REMATCH[2] + BASH_REMATCH[3] * 60 + BASH_REMATCH[4]))
}

# Run step $1 (the label, also the log name) as "$2 $3...", recording PASS/FAIL, the wall
# and CPU time, and a one-line digest of the log in $RESULTS.
run_step() {
    local label=$1 logfile=$LOGS/$1.log start=$SECONDS cpu cpu_before status digest
    shift
    log "start $label"
    children_cpu cpu_before
    if "$@" >"$logfile" 2>&1; then status=PASS; else status=FAIL; fi
    children_cpu cpu
    cpu=$((cpu - cpu_before))
    digest=$(digest_log "$label" "$logfile")
    printf '%s %-18s %4ss %4ss  %s\n' "$status" "$label" "$((SECONDS - start))" "$cpu" "$digest" >>"$RESULTS"
    log "$status $label ($((SECONDS - start))s, cpu ${cpu}s) $digest"
    [ "$status" = PASS ]
}

digest_log() {
    local n
    case $1 in
    sanity-*)
        n=$(grep -c '^Running sanity test' "$2" || true)
        grep -m1 -E '^FATAL: The [0-9]+ sanity test' "$2" || echo "$n sanity tests run" ;;
    units-*)
        grep -m1 '^no unit tests' "$2" ||
            grep -E '^=+ .*[0-9]+ (passed|failed|error|skipped|no tests ran).* in [0-9.]+s' "$2" | tail -n 1 | tr -d '=' | xargs ||
            true ;;
    integration-*)
        grep -m1 '^no targets' "$2" ||
            echo "targets run: $(grep '^Running .* integration test' "$2" | awk '{print $2}' | xargs)" ;;
    *) tail -n 1 "$2" | cut -c1-100 | grep . || echo "(no findings)" ;;
    esac
}

# Build the venvs of cores $@ one after another, ahead of the chains that use them; each
# core's result (PASS/FAIL) lands in $WORK/venv-<core>.done, written whole by a rename.
build_venvs() {
    local core status
    for core in "$@"; do
        status=FAIL
        run_step "venv-core-$core" ensure_venv "core-$core" "$(find_python "${CORE_PYTHON[$core]}")" \
            "$REQS/core-$core.txt" && status=PASS
        echo "$status" >"$WORK/venv-$core.tmp" && mv "$WORK/venv-$core.tmp" "$WORK/venv-$core.done"
    done
}

# Wait until build_venvs is done with core $1's venv; false if it failed.
venv_ready() {
    until [ -e "$WORK/venv-$1.done" ]; do sleep 1; done
    [ "$(cat "$WORK/venv-$1.done")" = PASS ]
}

# For each core of $2 in turn, once its venv is ready, run those of the requested steps
# ($3...) that this chain owns ($1).
run_chain() {  # $1 = this chain's steps, $2 = cores, $3... = the requested steps
    local own=" $1 " cores=$2 core step
    shift 2
    for core in $cores; do
        venv_ready "$core" || continue
        for step in "$@"; do
            case $own in *" $step "*)
                PATH="$VENVS/core-$core/bin:$PATH" run_step "$step-$core" "step_$step" "$core" || true ;;
            esac
        done
    done
}

run_lint() {
    local python req=$REQS/tools.txt
    python=$(find_python 3.12)
    if [ -z "$python" ]; then
        # tools.txt pins an ansible-core that needs 3.12; fall back to the unpinned top level.
        python=$(find_python 3.11) req=$REQS/tools.in
    fi
    run_step venv-tools ensure_venv tools "$python" "$req" || return 0
    for step in ansible_lint antsibull_docs antsibull_changelog; do
        PATH="$VENVS/tools/bin:$PATH" run_step "${step//_/-}" "step_$step" || true
    done
    # Stale docs/reference/, and the built tarball's contents and Galaxy import (scripts/release.sh).
    for step in docs-check release-check; do run_step "$step" bash "$ROOT/scripts/release.sh" "$step" || true; done
}

# A lane runs the cores of one Python version as three chains side by side:
#   venvs:  builds each core's venv in turn, then (on the 3.12 lane) the linters run;
#   sanity: one core after another, never two at once: ansible-test's sanity venvs
#           (~/.ansible/test/venv/<test>/<python>/...) are shared and not safe to build concurrently;
#   units, then integration, one core after another: much of their time is waiting (retry
#           back-offs, the emulator), which overlaps the sanity chain's work.
# The two lanes (3.11 with three cores, 3.12 with two plus the linters) run at once, one per
# core of the machine; different Pythons never share a sanity venv.
run_lane() {  # $1 = Python version, $2 = 1 to add the linters, $3... = the requested per-core steps
    local python_version=$1 with_lint=$2 cores="" core pids=""
    shift 2
    if [ "$PER_CORE" = 1 ]; then
        for core in $CORES; do
            [ "${CORE_PYTHON[$core]}" != "$python_version" ] || cores+=" $core"
        done
    fi
    # shellcheck disable=SC2086 # a list of cores
    { build_venvs $cores; if [ "$with_lint" = 1 ]; then run_lint; fi; } &
    pids+=" $!"
    run_chain sanity "$cores" "$@" &
    pids+=" $!"
    run_chain "units integration" "$cores" "$@" &
    pids+=" $!"
    # shellcheck disable=SC2086 # a list of pids
    wait $pids
}

# Resolve each tests/requirements/*.in into the pinned .txt that the venvs install.
lock() {
    local in name python tmp
    for in in "$REQS"/core-*.in "$REQS"/tools.in; do
        name=$(basename "$in" .in)
        case $name in core-*) python=$(find_python "${CORE_PYTHON[${name#core-}]}") ;; *) python=$(find_python 3.12) ;; esac
        tmp=$(mktemp -d)
        log "locking $name with $python"
        "$python" -m venv "$tmp"
        (cd "$REQS" && "$tmp/bin/python" -m pip install --quiet --disable-pip-version-check -r "$in")
        { echo "# Pinned from $name.in by 'make lock' (scripts/matrix.sh lock) on Python $("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])'); do not edit."
          "$tmp/bin/python" -m pip freeze --disable-pip-version-check; } >"$REQS/$name.txt"
        rm -rf "$tmp"
    done
}

clean() {
    rm -rf "$VENVS"/core-* "$VENVS"/tools "$VENVS"/*.lock "$ROOT/tests/output"
    rmdir "$VENVS" 2>/dev/null || true
}

summary() {
    local failed
    echo
    echo "==================== make test summary ===================="
    echo "     step                wall   cpu  result"
    cat "$RESULTS"
    failed=$(grep -c '^FAIL' "$RESULTS" || true)
    # Keep the logs for a look afterwards (a run writes them in its own temp dir while it
    # runs, since other runs or ansible-test itself may clear tests/output).
    rm -rf "$KEEP_LOGS" && mkdir -p "$KEEP_LOGS" && cp "$LOGS"/*.log "$KEEP_LOGS"/ 2>/dev/null || true
    awk '$1 == "FAIL" {print $2}' "$RESULTS" | while read -r label; do
        echo
        echo "-------------------- log of failed step $label (pip chatter dropped; last $FAILED_LOG_LINES lines) --------------------"
        grep -vE "^(WARNING: Location 'file:|Looking in |Collecting |  (Downloading|Using cached|Attempting)|Requirement already|Installing collected|Successfully |    Found existing|    Uninstalling|      Successfully| *━)" \
            "$LOGS/$label.log" | tail -n "$FAILED_LOG_LINES" || true
    done
    echo
    echo "full logs: tests/output/matrix/"
    echo "steps: $(grep -c '^PASS' "$RESULTS" || true) passed, $failed failed"
    [ "$failed" = 0 ]
}

main() {
    local steps=() lint=0 arg core
    PER_CORE=0  # 1 when the per-core venvs are needed (by a step, or by "venvs" alone)
    [ $# -gt 0 ] || set -- test
    for arg in "$@"; do
        case $arg in
        test) steps+=(sanity units integration) PER_CORE=1 lint=1 ;;
        sanity | units | integration) steps+=("$arg") PER_CORE=1 ;;
        lint) lint=1 ;;
        venvs) PER_CORE=1 ;;
        lock) lock; return ;;
        clean) clean; return ;;
        *) echo "unknown step: $arg (see the top of $0)" >&2; return 2 ;;
        esac
    done

    WORK=$(mktemp -d -t openrouter-matrix.XXXXXX)
    trap 'rm -rf "$WORK"' EXIT
    RESULTS=$WORK/results LOGS=$WORK/logs
    : >"$RESULTS"
    mkdir -p "$LOGS"

    CORES=${CORE:-$ALL_CORES}
    for core in $CORES; do
        [ -n "${CORE_PYTHON[$core]:-}" ] || { echo "unsupported CORE $core (supported: $ALL_CORES)" >&2; return 2; }
    done
    if [ -z "$(find_python 3.12)" ]; then
        echo "#################################################################################"
        echo "### NOTICE: no Python 3.12 in pyenv: SKIPPING ansible-core 2.20 and 2.21      ###"
        echo "#################################################################################"
        for core in $CORES; do
            [ "${CORE_PYTHON[$core]}" != 3.12 ] || echo "SKIP core-$core: no Python 3.12 in pyenv" >>"$RESULTS"
        done
        CORES=$(for core in $CORES; do [ "${CORE_PYTHON[$core]}" = 3.12 ] || echo "$core"; done | xargs)
    fi
    install_get_pip_standin
    make_ansible_test_ssh_key
    # Keep ansible's own tmp/cache dirs (ANSIBLE_HOME, default ~/.ansible) out of $HOME.
    export ANSIBLE_HOME=$WORK/ansible-home
    export PIP_DISABLE_PIP_VERSION_CHECK=1 NO_COLOR=1 ANSIBLE_NOCOLOR=1
    log "cores: $CORES; steps: ${steps[*]:-none}$([ $lint = 1 ] && echo ' + lint')"
    run_lane 3.11 0 "${steps[@]}" &
    local lane311=$!
    run_lane 3.12 "$lint" "${steps[@]}" &
    local lane312=$!
    wait "$lane311" "$lane312" || true
    summary
}

main "$@"
