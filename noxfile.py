"""The offline test matrix as nox sessions: `nox -l` lists them, `make test` runs them all in parallel lanes.

Run one alone (each works on its own fresh copy of the collection, so any of them can run at the same time):
    make units CORE=2.19            or  python3 scripts/harness.py nox -s units-2.19 -- -k secret -x
    python3 scripts/harness.py nox -l   (the list)
    python3 scripts/harness.py nox -s sanity-2.19 -- --test pylint
    python3 scripts/harness.py nox -s lint -- ruff   (only the checks whose name starts with "ruff")

The sessions install nothing themselves (venv_backend "none"): the pinned, shared venvs, the collection tree and
what ansible-test needs offline come from scripts/harness.py, which also holds the parallel runner behind `make test`.
Each session's first tag is its kind (what `make <kind>` runs); the second is "core-<X>", or "per-run" for the
sessions that run once. The runner picks new sessions up by these tags, so adding one here adds it to `make test`.
"""

import contextlib
import json
import os
import subprocess
import sys
import tempfile

import nox

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "scripts"))
import harness  # noqa: E402 (found through the path above)

nox.options.default_venv_backend = "none"

CORES = list(harness.CORE_PYTHON)
# The oldest and newest ansible-core, which run every test; the cores between run a share (see below).
END_CORES = (CORES[0], CORES[-1])

# Integration runs: (core, session name suffix, variables for every playbook of the targets). Every core runs the
# targets as users do (in-process on the controller); the oldest and newest run them again on the module path.
INTEGRATION_RUNS = [(core, "", {}) for core in CORES] + [
    (core, "-module", {"openrouter_provisioning_in_process": False}) for core in END_CORES
]
# Which targets each run takes, so that `make test` keeps within its time on a 2-core machine. In-process, the oldest
# and newest core run every target, and the cores between run those that go through what changes from one core to the
# next (the action plugin, the lookup plugin; the other modules share that path), and the role, whose templating and
# filter are what ansible-core's new templating engine changed, on the core that brought it (2.19).
# On the module path both run every target but three whose work is mostly the controller's and which cost most of the
# CPU there (the role's seven playbooks, the docs' whole playbooks, 20 forks): those run on the module path on one of
# the two each (about 230 s of CPU spared, 2 minutes of `make test`), so every target still runs both ways.
EVERY_CORE_TARGETS = ("keys_lookup", "openrouter_key")
TEMPLATING_CORE, TEMPLATING_TARGETS = "2.19", ("api_keys_role",)
MODULE_PATH_ONCE = {
    "api_keys_role": CORES[-1],
    "reliability_concurrency": CORES[-1],
    "docs_examples": CORES[0],
}


def targets_of(core, module_path, targets):
    """The targets an integration run on this core (on the module path, or in-process) takes, of all `targets`."""
    if module_path:
        return [t for t in targets if MODULE_PATH_ONCE.get(t, core) == core]
    if core in END_CORES:
        return list(targets)
    return [t for t in targets if t in EVERY_CORE_TARGETS or (core == TEMPLATING_CORE and t in TEMPLATING_TARGETS)]


# Likewise the unit tests of the emulator, of the HTTP client under faults and of the request counts: they drive the
# modules through the same few ansible-core entry points that tests/unit/plugins covers on every core, so the cores
# between the oldest and newest skip them.
SCENARIO_UNITS = ("tests/unit/emulator", "tests/unit/performance", "tests/unit/reliability")


@contextlib.contextmanager
def workspace(session, venv_name):
    """Yield (tree, env, bin): a fresh copy of the collection, made the working directory, and the
    environment with .venv/<venv_name>/bin first on PATH. A missing interpreter skips the session."""
    try:
        bindir = harness.venv(venv_name)
    except harness.Unavailable as error:
        session.skip(str(error))
    with tempfile.TemporaryDirectory(prefix="openrouter-nox-") as work:
        tree = harness.make_tree(work)
        env = {
            "PATH": str(bindir) + os.pathsep + os.environ["PATH"],
            # Where the collection is found (pytest-ansible's --ansible-unit-inject-only, ansible-lint's syntax check).
            "ANSIBLE_COLLECTIONS_PATH": work,
            "ANSIBLE_HOME": os.path.join(work, "ansible-home"),  # ansible's tmp and cache, out of $HOME
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "NO_COLOR": "1",
            "ANSIBLE_NOCOLOR": "1",
        }
        session.chdir(tree)
        try:
            yield tree, env, bindir
        finally:
            session.chdir(harness.ROOT)


def sanity(session, core):
    python = harness.CORE_PYTHON[core]
    with workspace(session, "core-" + core) as (unused_tree, env, bindir):
        harness.prepare_ansible_test()
        # --requirements (local) rather than --venv: both build the same per-test venvs under ~/.ansible/test/venv,
        # but --venv also rebuilds a delegation venv every run (~10 s more). Those venvs are not safe to build
        # concurrently, hence the lock per Python.
        with harness.locked("sanity-" + python):
            args = ["sanity", "--python", python, "--requirements", "--color", "no"]
            # pylint, two thirds of a sanity run's CPU (about 45 s), runs on the oldest and newest core only: the
            # pylint of the cores between differs from theirs only in its pinned version and checkers.
            if core not in END_CORES and not session.posargs:
                args += ["--skip-test", "pylint"]
            args += session.posargs
            session.run(bindir / "ansible-test", *args, env=env)


def units(session, core):
    with workspace(session, "core-" + core) as (tree, env, bindir):
        if not any(tree.glob("tests/unit/**/test_*.py")):
            session.skip("no unit tests (tests/unit/**/test_*.py) yet")
        # --ansible-unit-inject-only with ANSIBLE_COLLECTIONS_PATH: pytest-ansible would otherwise build a
        # collections/ symlink farm, which ansible-test sanity rejects. Two xdist workers: many tests wait (retry
        # back-offs, timeouts, the emulator), so two at a time halve the wall time at no cost in CPU.
        pytest = ["-m", "pytest", "--ansible-unit-inject-only", "-p", "no:cacheprovider", "-ra", "-n", "2"]
        if core not in END_CORES:
            pytest += ["--ignore=" + path for path in SCENARIO_UNITS]
        pytest += session.posargs
        session.run(bindir / "python", *pytest, "tests/unit", env=env)


def integration(session, core, settings):
    with workspace(session, "core-" + core) as (tree, env, bindir):
        harness.prepare_ansible_test()
        if not harness.integration_targets(tree):
            session.skip("no targets in tests/integration/targets")
        if settings:
            # ansible-test passes its targets none of our environment variables; its one channel is the vars file
            # tests/integration/integration_config.yml, copied along with the targets, which the targets' shared
            # setup (setup_emulator/emulator.sh) hands to every playbook as extra vars.
            with open(tree / "tests" / "integration" / "integration_config.yml", "a") as handle:
                handle.writelines("\n%s: %s\n" % (name, json.dumps(value)) for name, value in settings.items())
        # --local (the core venv, which has requests for the modules) rather than --venv: an ansible-test venv
        # lacks requests and costs ~10 s to build. --continue-on-error: one failing target doesn't hide the others.
        args = ["integration", "--python", harness.CORE_PYTHON[core], "--local", "--continue-on-error", "--color", "no"]
        targets = targets_of(core, bool(settings), harness.integration_targets(tree))
        status, output = tee([bindir / "ansible-test", *args, "-v", *(session.posargs or targets)], env)
        missing = [] if session.posargs else harness.missing_targets(output, targets)
        if missing:
            session.error("these targets did not run (check their aliases): " + " ".join(missing))
        if status:
            session.error("ansible-test integration failed (exit %d)" % status)


def tee(args, env):
    """Run args with env added, streaming its output; return (exit status, output) for checks on what ran."""
    session_env = {**os.environ, **env}
    process = subprocess.Popen(args, env=session_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    for line in process.stdout:
        sys.stdout.write(line)
        lines.append(line)
    sys.stdout.flush()
    return process.wait(), "".join(lines)


def declare(kind, core, run, doc, suffix="", **kwargs):
    """Declare session <kind>-<core><suffix>, tagged [kind, core-<core>], calling run(session, core, **kwargs)."""

    def session_function(session):
        run(session, core, **kwargs)

    session_function.__doc__ = doc
    nox.session(name="%s-%s%s" % (kind, core, suffix), tags=[kind, "core-" + core])(session_function)


for _core in CORES:
    _python = "Python " + harness.CORE_PYTHON[_core]
    _tests = "every test" if _core in END_CORES else "every test but pylint"
    declare("sanity", _core, sanity, "ansible-test sanity (%s) on ansible-core %s, %s." % (_tests, _core, _python))
    _which = "every test" if _core in END_CORES else "every test but " + ", ".join(SCENARIO_UNITS)
    declare("units", _core, units, "pytest tests/unit (%s) on ansible-core %s, %s." % (_which, _core, _python))
for _core, _suffix, _settings in INTEGRATION_RUNS:
    _doc = "ansible-test integration on ansible-core %s%s: %s." % (
        _core,
        " " + json.dumps(_settings) if _settings else "",
        " ".join(targets_of(_core, bool(_settings), harness.integration_targets(harness.ROOT))),
    )
    declare("integration", _core, integration, _doc, suffix=_suffix, settings=_settings)


# ---- Once per run, on the tools venv (.venv/tools). ----


@nox.session(tags=["lint", "per-run"])
def lint(session):
    """ansible-lint (production profile, .ansible-lint), antsibull-docs and antsibull-changelog lint, ruff."""
    with workspace(session, "tools") as (unused_tree, env, bindir):
        checks = {
            "ansible-lint": ["ansible-lint", "--offline", "--nocolor"],
            "antsibull-docs": ["antsibull-docs", "lint-collection-docs", "--plugin-docs", "."],
            "antsibull-changelog": ["antsibull-changelog", "lint"],
            "ruff-format": ["ruff", "format", "--no-cache", "--check", "--diff", "."],
            "ruff-check": ["ruff", "check", "--no-cache", "--output-format", "concise", "."],
        }
        chosen = [name for name in checks if not session.posargs or name.startswith(tuple(session.posargs))]
        failed = []
        for name in chosen:  # all of them, whatever fails first
            session.log("---- " + name)
            try:
                session.run(bindir / checks[name][0], *checks[name][1:], env=env)
            except nox.command.CommandFailed:
                failed.append(name)
        if failed:
            session.error("lint failed: " + " ".join(failed))
        session.log("lint passed: " + " ".join(chosen))


@nox.session(tags=["ee", "per-run"])
def ee(session):
    """The execution environment metadata as ansible-builder reads it: introspect and create, offline."""
    with workspace(session, "tools") as (tree, env, unused_bindir):
        session.run("bash", tree / "scripts" / "ee_check.sh", tree, env=env, external=True)


@nox.session(name="docs-check", tags=["docs-check", "per-run"])
def docs_check(session):
    """Fail if docs/reference/ is stale (scripts/release.sh regenerates it into a temp dir and compares)."""
    session.run("bash", harness.ROOT / "scripts" / "release.sh", "docs-check", external=True)


@nox.session(name="release-check", tags=["release-check", "per-run"])
def release_check(session):
    """Build the tarball, check its file list and import it with galaxy-importer, offline (scripts/release.sh)."""
    session.run("bash", harness.ROOT / "scripts" / "release.sh", "release-check", external=True)
