#!/usr/bin/env bash
# `make bench`: build or reuse the test matrix's venv for ansible-core $BENCH_CORE (default 2.19), then run
# scripts/bench.py in it, which prints the figures and writes docs/performance.md. Arguments go to bench.py.
set -euo pipefail

# Reuse the matrix's venv machinery (find_python, ensure_venv, CORE_PYTHON, REQS, VENVS) without running its main.
eval "$(sed '/^main "\$@"$/d' "$(dirname "${BASH_SOURCE[0]}")/matrix.sh")"

core=${BENCH_CORE:-2.19}
python=$(find_python "${CORE_PYTHON[$core]:?BENCH_CORE must be one of ${!CORE_PYTHON[*]}}")
if [ -z "$python" ]; then
    echo "make bench needs Python ${CORE_PYTHON[$core]} for ansible-core $core (from pyenv or on PATH)." >&2
    exit 1
fi
ensure_venv "core-$core" "$python" "$REQS/core-$core.txt"
exec "$VENVS/core-$core/bin/python" "$ROOT/scripts/bench.py" "$@"
