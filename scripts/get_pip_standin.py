"""Offline stand-in for the get-pip.py script that ansible-test downloads.

ansible-test bootstraps pip into each fresh virtual environment by running
~/.ansible/test/cache/get_pip_<version>.py (as __main__, via runpy) and only
downloads that script when the cache file is missing.  The download host is not
reachable here, so `make test` copies this file to those cache paths.

ansible-test passes pip-style arguments, e.g.
    --disable-pip-version-check pip==24.2 --no-setuptools --no-wheel
Like get-pip.py, we run pip from a wheel on sys.path and let it install the
requested packages from the configured package index; the wheel is the one
bundled with CPython for ensurepip.  A request for pip alone (the usual one) is
installed once into a tree in the same cache and copied from there into each
venv: a sanity run bootstraps about nine venvs per ansible-core, and pip
installing pip costs about 3 s of CPU each time, a copy a fraction of that.
"""

import compileall
import ensurepip
import glob
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile

# get-pip.py options that pip itself doesn't take: pip is installed without
# setuptools or wheel unless they are asked for by name.
GET_PIP_ONLY_FLAGS = ("--no-setuptools", "--no-wheel")
CACHE = os.path.dirname(os.path.abspath(__file__))


def built_once(target, build):
    """target, made by build(partial) into a partial directory that is renamed into place (the first of concurrent
    builders wins), then compiled for this Python: Python keeps no bytecode that it compiles on import where
    PYTHONDONTWRITEBYTECODE is set, and pip is large."""
    if not os.path.isdir(target):
        partial = "%s.tmp%d" % (target, os.getpid())
        build(partial)
        try:
            os.rename(partial, target)
        except OSError:  # another bootstrap made it first
            shutil.rmtree(partial)
    compileall.compile_dir(target, quiet=2)  # only what this Python has no bytecode for yet
    return target


def run_pip(args):
    """Run the pip bundled with this Python, from its wheel unpacked once in the cache, with args; return its status."""
    bundled = os.path.join(os.path.dirname(ensurepip.__file__), "_bundled")
    wheel = sorted(glob.glob(os.path.join(bundled, "pip-*.whl")))[-1]

    def unpack(partial):
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(partial)

    unpacked = built_once(os.path.join(CACHE, os.path.basename(wheel)[: -len(".whl")]), unpack)
    # pip's package directory runs as a script (python .../pip), finding itself beside it.
    return subprocess.call([sys.executable, os.path.join(unpacked, "pip")] + args)


def main():
    args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY_FLAGS]
    options = [arg for arg in args if arg.startswith("-")]
    wanted = [arg for arg in args if not arg.startswith("-")]
    if len(wanted) != 1 or not wanted[0].startswith("pip=="):
        sys.exit(run_pip(["install"] + args))

    def install(partial):
        if run_pip(["install", "--no-deps", "--target", partial] + options + wanted):
            sys.exit("could not install %s" % wanted[0])

    tree = built_once(os.path.join(CACHE, wanted[0].replace("==", "-") + "-installed"), install)
    site_packages = sysconfig.get_paths()["purelib"]
    for name in os.listdir(tree):
        if name != "bin":  # pip's console scripts: ansible-test runs pip as a module
            shutil.copytree(os.path.join(tree, name), os.path.join(site_packages, name), dirs_exist_ok=True)


if __name__ == "__main__":
    main()
