#!/usr/bin/env bash
# `make bench`: build or reuse the test matrix's venv for ansible-core $BENCH_CORE (default 2.19), then run
# scripts/bench.py in it, which writes docs/performance.json and renders docs/performance.md from it.
# Arguments go to bench.py (--render-only: re-render the page from the JSON without measuring). BENCH_QUICK=1 makes
# it a smoke run (bench.py --quick), written to tests/output/bench/.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bin=$(python3 "$HERE/harness.py" venv "core-${BENCH_CORE:-2.19}")
exec "$bin/python" "$HERE/bench.py" "$@"
