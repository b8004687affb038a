# openrouter.provisioning: the offline test entry points.  The sessions are in noxfile.py; scripts/harness.py
# builds the pinned venvs under .venv/ (nox itself too, from Python 3.11), keeps ansible-test working
# offline, and runs the sessions in parallel lanes with a summary at the end.
#
#   make test                   everything: sanity, units, integration for each ansible-core, lint, docs-check,
#                               release-check
#   make sanity|units|integration [CORE="2.17 2.19"] [UNIT_ARGS="-k secret -x"]
#                               one kind of session, for all or some ansible-core versions
#   make lint                   ansible-lint, antsibull-docs lint-collection-docs, antsibull-changelog lint, ruff
#   make venvs                  only build the venvs
#   make lock                   re-pin tests/requirements/*.txt from the *.in files
#   make clean                  remove the venvs and tests/output
# One session by hand: make nox ARGS=-l, then make nox ARGS="-s units-2.19 -- -k secret"

HARNESS := python3 scripts/harness.py

.PHONY: test sanity units integration lint venvs lock clean

test sanity units integration lint:
	@$(HARNESS) run $@ $(if $(CORE),--core "$(CORE)") $(if $(UNIT_ARGS),-- $(UNIT_ARGS))

venvs lock clean:
	@$(HARNESS) $@

.PHONY: nox
nox:
	@$(HARNESS) nox $(ARGS)

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

docs:
	@bash scripts/release.sh $@

docs-check release-check:
	@$(HARNESS) run $@

# ---- The benchmark (scripts/bench.sh runs scripts/bench.py in a core venv) ----
#   make bench [BENCH_CORE=2.21]   time the role, the modules (in-process and as module processes) and uri
#                               playbooks against the emulator (about 11 minutes); writes docs/performance.json and
#                               renders docs/performance.md
#   make bench BENCH_QUICK=1    a smoke run: every command once at small sizes, written to tests/output/bench/
#   make bench-render           re-render docs/performance.md from docs/performance.json (no measuring)

.PHONY: bench bench-render

bench:
	@bash scripts/bench.sh

bench-render:
	@bash scripts/bench.sh --render-only
