"""What the offline test machine needs around nox, in one place (standard library, Python 3.9+).

noxfile.py declares the sessions (sanity, units and integration per ansible-core, lint, docs-check,
release-check); this module gives them what nox can't:

- venvs:  .venv/core-<X>-<stamp> per ansible-core, .venv/tools-<stamp> for the linters and .venv/nox-<stamp>,
          each from its pinned tests/requirements/*.txt, by the uv of nox's venv (which pip builds); the stamp
          hashes that file and the interpreter, and a lock makes parallel sessions (and other checkouts sharing
          .venv) build each venv once.
          ansible-core 2.20+ needs Python 3.12, taken from pyenv when it exists; else those cores are skipped.
- trees:  ansible-test runs only inside .../ansible_collections/openrouter/provisioning and refuses a
          symlink, so every session works on a fresh copy of the files git knows (tracked + untracked, not ignored).
- ansible-test offline: its get-pip.py download is replaced by scripts/get_pip_standin.py, written into
          its cache; its SSH key is made up front (two first uses at once race); sanity runs on one Python
          are serialised (its per-test venvs are shared and not safe to build concurrently).
- the check that every integration target ran (ansible-test silently skips targets whose aliases say so).

And the parallel runner behind `make test` (the `run` command below): it builds nox's venv from Python 3.11,
asks nox for the sessions, and runs them as two lanes at once, one per CPU of a 2-core machine: Python 3.11's
cores and Python 3.12's cores. Within a lane, four chains run side by side, each one core after another: sanity;
units; integration (much of their time is waiting on the emulator, which overlaps sanity's CPU); and the venv builds
ahead of them, followed on the 3.12 lane by lint, ee, docs-check and release-check. The integration sessions are
shared out by their length between the integration chains and, after the units, the units chains.
Each session's log goes to tests/output/nox/<session>.log; a summary with wall and CPU time ends the run.

Usage: python3 scripts/harness.py run [--core 2.19 ...] [STEP ...] [-- PYTEST_ARGS]
           STEP: test (the default: everything), sanity, units, integration, lint, docs-check, release-check
       python3 scripts/harness.py venv core-2.19|tools|nox  build or reuse it; print its bin directory
       python3 scripts/harness.py nox [NOX_ARGS]          run nox on noxfile.py, e.g. nox -s units-2.19 -- -k secret
       python3 scripts/harness.py venvs                   build or reuse every venv this machine can have
       python3 scripts/harness.py tree DIR                copy the collection under DIR; print its root
       python3 scripts/harness.py lock|clean              re-pin tests/requirements/*.txt | remove venvs, output
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQS = ROOT / "tests" / "requirements"
VENVS = ROOT / ".venv"
LOGS = ROOT / "tests" / "output" / "nox"

# ansible-core 2.20 and later need Python >= 3.12.
CORE_PYTHON = {"2.17": "3.11", "2.18": "3.11", "2.19": "3.11", "2.20": "3.12", "2.21": "3.12"}
# The pip versions ansible-test bootstraps into its venvs (`pip=` in python_requirements.py).
PIP_VERSIONS = ("23.1.2", "24.2", "25.2")
FAILED_LOG_LINES = int(os.environ.get("FAILED_LOG_LINES", "200"))
PIP_CHATTER = re.compile(
    r"^(WARNING: Location 'file:|Looking in |Collecting |  (Downloading|Using cached|Attempting)|Requirement already"
    r"|Installing collected|Successfully |    Found existing|    Uninstalling|      Successfully| *━)"
)


def log(message):
    # On stderr: `harness.py venv` prints only the venv's path on stdout.
    print(time.strftime("[%H:%M:%S] ") + message, file=sys.stderr, flush=True)


def find_python(version):
    """The interpreter for Python `version`: pyenv's newest patch release, else one on PATH, else None."""
    if shutil.which("pyenv"):
        root = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=True).stdout.strip()
        dirs = sorted(
            Path(root, "versions").glob(version + ".*"),
            key=lambda d: [int(p) if p.isdigit() else 0 for p in d.name.split(".")],
        )
        if dirs and os.access(dirs[-1] / "bin" / ("python" + version), os.X_OK):
            return str(dirs[-1] / "bin" / ("python" + version))
    return shutil.which("python" + version)


@contextlib.contextmanager
def locked(name):
    """Hold .venv/<name>.lock (flock(2), so it also excludes older checkouts' bash `flock` on the same file)."""
    VENVS.mkdir(parents=True, exist_ok=True)
    with open(VENVS / (name + ".lock"), "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def ensure_venv(name, python, requirements, uv=None):
    """Make .venv/<name>-<stamp> from `python` and `requirements`, or reuse it; return its bin directory.

    The stamp is a hash of `python -VV` and the pins (comments aside), so checkouts whose pins differ (the
    worktrees that share one .venv) each get their own venv and never rebuild one under another's feet. The stamp
    file is written last, so an interrupted install is redone.
    """
    version = subprocess.run([python, "-VV"], capture_output=True, check=True).stdout
    pins = [line for line in Path(requirements).read_bytes().splitlines() if not line.lstrip().startswith(b"#")]
    want = hashlib.sha256(b"\n".join([version] + pins)).hexdigest()
    venv = VENVS / ("%s-%s" % (name, want[:12]))
    with locked(venv.name):
        stamp = venv / ".stamp"
        if (venv / "bin" / "python").exists() and stamp.exists() and stamp.read_text().strip() == want:
            return venv / "bin"
        log("building .venv/%s from %s" % (venv.name, Path(requirements).relative_to(ROOT)))
        start = time.monotonic()
        shutil.rmtree(venv, ignore_errors=True)
        if uv:
            # uv installs with a fraction of pip's CPU; --seed gives the venv pip too, as `python -m venv` does.
            subprocess.run([uv, "venv", "--quiet", "--seed", "--python", python, str(venv)], check=True)
            install = [uv, "pip", "install", "--quiet", "--compile-bytecode", "--python", str(venv / "bin" / "python")]
        else:
            # nox's own venv, with pip: it brings uv for the others.
            subprocess.run([python, "-m", "venv", str(venv)], check=True, stdout=sys.stderr)
            install = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        subprocess.run(install + ["-r", str(requirements)], check=True, stdout=sys.stderr)
        stamp.write_text(want + "\n")
        log("built .venv/%s in %ds" % (venv.name, time.monotonic() - start))
    return venv / "bin"


class Unavailable(Exception):
    """The interpreter a venv needs is not on this machine."""


def venv(name):
    """.venv/core-<X> (its core's Python) or .venv/tools (3.12; without it, 3.11 and the unpinned tools.in)."""
    if name == "tools":
        python, requirements = find_python("3.12"), REQS / "tools.txt"
        if not python:
            # tools.txt pins an ansible-core that needs 3.12.
            python, requirements = find_python("3.11"), REQS / "tools.in"
    elif name == "nox":
        python, requirements = find_python("3.11"), REQS / "nox.txt"
    else:
        core = name[len("core-") :]
        if core not in CORE_PYTHON:
            raise ValueError("unknown venv %s (core-X for X in %s, tools, nox)" % (name, " ".join(CORE_PYTHON)))
        python, requirements = find_python(CORE_PYTHON[core]), REQS / (name + ".txt")
    if not python:
        raise Unavailable("no Python for .venv/%s (pyenv's or on PATH)" % name)
    # Every venv but nox's own is built by the uv that nox's venv brings.
    return ensure_venv(name, python, requirements, uv=None if name == "nox" else str(venv("nox") / "uv"))


def make_tree(parent):
    """Copy the collection's files to <parent>/ansible_collections/openrouter/provisioning; return that path."""
    dest = Path(parent, "ansible_collections", "openrouter", "provisioning")
    dest.mkdir(parents=True, exist_ok=True)
    listing = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-co", "--exclude-standard", "--deduplicate", "-z"],
        capture_output=True,
        check=True,
    ).stdout
    for name in filter(None, listing.decode().split("\0")):
        source = ROOT / name
        if source.is_file():  # a tracked file deleted in the work tree is simply not copied
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name, follow_symlinks=False)
    return dest


def prepare_ansible_test():
    """Put the get-pip stand-in in ansible-test's cache and make its SSH key, once, safely under concurrency."""
    home = Path.home() / ".ansible" / "test"
    cache = home / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    standin = (ROOT / "scripts" / "get_pip_standin.py").read_bytes()
    for version in PIP_VERSIONS:
        target = cache / ("get_pip_%s.py" % version.replace(".", "_"))
        if not target.exists() or target.read_bytes() != standin:
            tmp = target.with_suffix(".tmp%d" % os.getpid())
            tmp.write_bytes(standin)
            tmp.replace(target)  # atomic: a concurrent ansible-test never reads half a file
    key = home / "id_rsa"
    with locked("ansible-test-ssh-key"):
        if key.exists() and key.with_suffix(".pub").exists():
            return
        key.unlink(missing_ok=True)
        key.with_suffix(".pub").unlink(missing_ok=True)
        # As ansible-test makes it: PEM, with the RSA header paramiko wants.
        subprocess.run(["ssh-keygen", "-m", "PEM", "-q", "-t", "rsa", "-N", "", "-f", str(key)], check=True)
        key.write_text(re.sub(r"(BEGIN|END) PRIVATE KEY", r"\1 RSA PRIVATE KEY", key.read_text()))


def integration_targets(tree):
    """The targets that must run: all but setup_*/prepare_* (dependencies that other targets pull in)."""
    targets = Path(tree, "tests", "integration", "targets")
    return (
        sorted(d.name for d in targets.iterdir() if d.is_dir() and not d.name.startswith(("setup_", "prepare_")))
        if targets.is_dir()
        else []
    )


def missing_targets(output, targets):
    """The targets that ansible-test's output shows it didn't run (it skips a disabled or unsupported one silently)."""
    return [t for t in targets if not re.search(r"^Running %s integration test" % t, output, re.M)]


def lock():
    """Resolve each tests/requirements/*.in into the pinned .txt that the venvs install."""
    for source in sorted(REQS.glob("*.in")):
        name = source.stem
        if name == "units":  # included by the core-*.in files
            continue
        version = CORE_PYTHON.get(name[len("core-") :], "3.11" if name == "nox" else "3.12")
        python = find_python(version)
        log("locking %s with %s" % (name, python))
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run([python, "-m", "venv", tmp], check=True)
            pip = [tmp + "/bin/python", "-m", "pip", "--disable-pip-version-check"]
            subprocess.run(pip + ["install", "--quiet", "-r", source.name], cwd=REQS, check=True)
            frozen = subprocess.run(pip + ["freeze"], capture_output=True, text=True, check=True).stdout
        header = "# Pinned from %s by 'make lock' (scripts/harness.py lock) on Python %s; do not edit.\n"
        (REQS / (name + ".txt")).write_text(header % (source.name, version) + frozen)


def clean():
    for path in VENVS.glob("*"):
        if path.name.startswith(("core-", "tools", "nox", "sanity-", "ansible-test-")):
            shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
    shutil.rmtree(ROOT / "tests" / "output", ignore_errors=True)


# ---- The parallel runner ----


def digest(name, text):
    """One line about a session's log for the summary."""
    kind = name.split("-")[0]
    if kind == "sanity":
        found = re.search(r"^FATAL: The \d+ sanity test.*", text, re.M)
        return found.group(0) if found else "%d sanity tests run" % len(re.findall(r"^Running sanity test", text, re.M))
    if kind == "units":
        found = re.findall(r"^=+ (.*\d+ (?:passed|failed|error|skipped|no tests ran).* in [\d.]+s.*?) =+$", text, re.M)
        return found[-1] if found else ""
    if kind == "integration":
        return "targets run: " + " ".join(re.findall(r"^Running (\S+) integration test", text, re.M))
    ended = re.search(r"^nox > Session \S+ (?:aborted|failed|was skipped): (.*?)(?: \(took .*)?$", text, re.M)
    if ended:
        return ended.group(1)[:100]
    found = re.findall(r"^nox > (?!cd |Session |Running session|Command |uv binary).*", text, re.M)
    return found[-1][6:106] if found else ""


class Runner:
    def __init__(self, nox, posargs):
        self.nox, self.posargs, self.results, self.lock = nox, posargs, [], threading.Lock()

    def record(self, status, name, wall, cpu, line):
        with self.lock:
            self.results.append((status, name, wall, cpu, line))
        log("%s %s (%ds, cpu %ds) %s" % (status, name, wall, cpu, line))

    def session(self, name):
        log("start " + name)
        start, logfile = time.monotonic(), LOGS / (name + ".log")
        with open(logfile, "w") as out:
            args = [self.nox, "-f", str(ROOT / "noxfile.py"), "-s", name]
            if self.posargs and name.startswith("units-"):  # UNIT_ARGS: extra pytest arguments
                args += ["--"] + self.posargs
            process = subprocess.Popen(args, stdout=out, stderr=out)
            status, usage = os.wait4(process.pid, 0)[1:]
        text = logfile.read_text(errors="replace")
        status = "SKIP" if "Session %s was skipped" % name in text else "PASS" if status == 0 else "FAIL"
        self.record(status, name, time.monotonic() - start, usage.ru_utime + usage.ru_stime, digest(name, text))

    def build(self, name):
        start = time.monotonic()
        try:
            venv(name)
        except (subprocess.CalledProcessError, Unavailable) as error:
            self.record("FAIL", "venv-" + name, time.monotonic() - start, 0, str(error))

    def chain(self, steps):
        for step in steps:
            step()

    def run(self, chains):
        threads = [threading.Thread(target=self.chain, args=(steps,)) for steps in chains if steps]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def summary(self):
        print("\n==================== make test summary ====================")
        print("     session             wall   cpu  result")
        for status, name, wall, cpu, line in self.results:
            print("%s %-20s %4ds %4ds  %s" % (status, name, wall, cpu, line))
        failed = [result[1] for result in self.results if result[0] == "FAIL"]
        for name in failed:
            path = LOGS / (name + ".log")
            if path.exists():
                print(
                    "\n---------- log of failed session %s (pip chatter dropped; last %d lines) ----------"
                    % (name, FAILED_LOG_LINES)
                )
                lines = [line for line in path.read_text(errors="replace").splitlines() if not PIP_CHATTER.match(line)]
                print("\n".join(lines[-FAILED_LOG_LINES:]))
        passed = sum(1 for result in self.results if result[0] == "PASS")
        print("\nfull logs: tests/output/nox/\nsessions: %d passed, %d failed" % (passed, len(failed)))
        return not failed


def run(argv):
    """`make test` and friends: run the chosen nox sessions in lanes; exit non-zero if one failed."""
    posargs = argv[argv.index("--") + 1 :] if "--" in argv else []
    argv = argv[: argv.index("--")] if "--" in argv else argv
    cores, steps = [], []
    while argv:
        arg = argv.pop(0)
        if arg == "--core":
            cores += argv.pop(0).split()
        else:
            steps.append(arg)
    steps = steps or ["test"]
    cores = cores or list(CORE_PYTHON)
    unknown = [c for c in cores if c not in CORE_PYTHON]
    if unknown:
        sys.exit("unsupported CORE %s (supported: %s)" % (" ".join(unknown), " ".join(CORE_PYTHON)))

    shutil.rmtree(LOGS, ignore_errors=True)
    LOGS.mkdir(parents=True)
    nox = str(venv("nox") / "nox")
    listing = subprocess.run(
        [nox, "-f", str(ROOT / "noxfile.py"), "-l", "--json"], capture_output=True, text=True, check=True
    )
    sessions = [s for s in json.loads(listing.stdout) if "test" in steps or s["tags"][0] in steps]
    runner = Runner(nox, posargs)
    if not find_python("3.12"):
        print("#" * 80 + "\n### NOTICE: no Python 3.12 in pyenv: SKIPPING ansible-core 2.20 and 2.21\n" + "#" * 80)
        for core in [c for c in cores if CORE_PYTHON[c] == "3.12"]:
            runner.record("SKIP", "core-" + core, 0, 0, "no Python 3.12 in pyenv")
            cores.remove(core)
    sessions = [s for s in sessions if "per-run" in s["tags"] or any("core-" + c in s["tags"] for c in cores)]
    prepare_ansible_test()  # before the lanes start, so their first ansible-test runs don't race for the SSH key

    def per_core(kinds, core):
        names = [s["name"] for s in sessions if s["tags"][0] in kinds and "core-" + core in s["tags"]]
        return [lambda name=name: runner.session(name) for name in names]

    chains = []
    for python in ("3.11", "3.12"):
        lane = [c for c in cores if CORE_PYTHON[c] == python]
        builds = [
            lambda c=c: runner.build("core-" + c) for c in lane if any("core-" + c in s["tags"] for s in sessions)
        ]
        chains.append(builds)
        # Units and integration spend much of their time waiting (retry back-offs, the emulator's delays), so they run
        # as chains of their own beside sanity, which is mostly CPU.
        chains.append([step for c in lane for step in per_core({"sanity"}, c)])
        chains.append([step for c in lane for step in per_core({"units"}, c)])
        chains.append([])

    # The integration sessions are the longest, and mostly wait (on the emulator's delays, interrupts, retries), so they
    # are shared out between four chains, the two integration chains and, after their units, the two units chains,
    # heaviest first, by their rough length in minutes: the oldest and newest core run every target in-process and
    # most of them again on the module path (noxfile.targets_of); the cores between run a few.
    def weight(session):
        if session["tags"][1] not in ("core-" + cores[0], "core-" + cores[-1]):
            return 1
        return 4 if session["name"].endswith("-module") else 6

    loads = {3: 0, 7: 0, 2: 2, 6: 2}  # each chain that takes integration sessions, and its length so far
    for s in sorted((s for s in sessions if s["tags"][0] == "integration"), key=weight, reverse=True):
        chain = min(loads, key=loads.get)
        loads[chain] += weight(s)
        chains[chain].append(lambda name=s["name"]: runner.session(name))
    # The once-per-run sessions follow the 3.12 lane's venv builds.
    chains[4] += [lambda name=s["name"]: runner.session(name) for s in sessions if "per-run" in s["tags"]]
    log("cores: %s; sessions: %s" % (" ".join(cores), " ".join(s["name"] for s in sessions)))
    runner.run(chains)
    sys.exit(0 if runner.summary() else 1)


def main(argv):
    command = argv[0] if argv else "run"
    if command == "run":
        run(argv[1:])
    elif command == "venv" and len(argv) == 2:
        try:
            print(venv(argv[1]))
        except Unavailable as error:
            sys.exit(str(error))
    elif command == "venvs":
        for name in ["nox", "tools"] + ["core-" + core for core in CORE_PYTHON]:
            with contextlib.suppress(Unavailable):
                venv(name)
    elif command == "tree" and len(argv) == 2:
        print(make_tree(argv[1]))
    elif command == "nox":  # nox itself, on this noxfile: `harness.py nox -l`, `harness.py nox -s lint -- ruff`
        nox = str(venv("nox") / "nox")
        os.execv(nox, [nox, "-f", str(ROOT / "noxfile.py")] + argv[1:])
    elif command == "lock":
        lock()
    elif command == "clean":
        clean()
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
