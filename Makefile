# openrouter.provisioning: the offline test entry points.  Every target builds the venvs it
# needs under .venv/ (reused while tests/requirements/*.txt are unchanged); see
# scripts/matrix.sh for what runs and why.
#
#   make test                   everything: sanity, units, integration for each ansible-core, then lint
#   make sanity|units|integration [CORE="2.17 2.19"]   one step, for all or some ansible-core versions
#   make lint                   ansible-lint, antsibull-docs lint-collection-docs, antsibull-changelog lint
#   make venvs                  only build the per-core venvs
#   make lock                   re-pin tests/requirements/*.txt from the *.in files
#   make clean                  remove the venvs and tests/output

MATRIX := scripts/matrix.sh
export CORE

.PHONY: test sanity units integration lint venvs lock clean

test sanity units integration lint venvs lock clean:
	@bash $(MATRIX) $@

# ---- The demo, the docs and the release checks (scripts/demo.sh, scripts/release.sh) ----
#   make demo                   build and install the collection, run demo/demo.yml against the emulator
#   make demo OPENROUTER_MANAGEMENT_KEY=... API_URL=https://openrouter.ai/api/v1
#                               the same against the real API: creates and deletes three real keys
#   make docs                   regenerate docs/reference/ from the plugins' DOCUMENTATION
#   make docs-check             fail if docs/reference/ is stale
#   make release-check          build the tarball, check its files, import it with galaxy-importer (offline)

.PHONY: demo docs docs-check release-check

demo:
	@bash scripts/demo.sh

docs docs-check release-check:
	@bash scripts/release.sh $@

# ---- The benchmark (scripts/bench.sh runs scripts/bench.py in a matrix venv) ----
#   make bench [BENCH_CORE=2.21]   time the role, the modules and a uri playbook against the emulator
#                               (about 10 minutes); prints the figures and writes docs/performance.md

.PHONY: bench

bench:
	@bash scripts/bench.sh
