"""Offline stand-in for the get-pip.py script that ansible-test downloads.

ansible-test bootstraps pip into each fresh virtual environment by running
~/.ansible/test/cache/get_pip_<version>.py (as __main__, via runpy) and only
downloads that script when the cache file is missing.  The download host is not
reachable here, so `make test` copies this file to those cache paths.

ansible-test passes pip-style arguments, e.g.
    --disable-pip-version-check pip==24.2 --no-setuptools --no-wheel
Like get-pip.py, we run pip from a wheel on sys.path (unpacked once) and let it
install the requested packages from the configured package index; the wheel is
the one bundled with CPython for ensurepip.  This installs pip once, where
`python -m ensurepip` followed by an upgrade would install it twice (plus
setuptools on Python < 3.12): a sanity run bootstraps a dozen venvs.
"""

import compileall
import ensurepip
import glob
import os
import runpy
import shutil
import sys
import zipfile

# get-pip.py options that pip itself doesn't take: pip is installed without
# setuptools or wheel unless they are asked for by name.
GET_PIP_ONLY_FLAGS = ("--no-setuptools", "--no-wheel")


def unpacked(wheel):
    """The wheel unpacked once beside this script (in ansible-test's cache): pip run from the zip would be compiled
    afresh at every start (zipimport keeps no bytecode), about 3 s of CPU for each of a sanity run's venvs."""
    target = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.path.basename(wheel)[: -len(".whl")])
    if not os.path.isdir(target):
        partial = "%s.tmp%d" % (target, os.getpid())
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(partial)
        # Compiled here: Python would not keep the bytecode it compiles on import where PYTHONDONTWRITEBYTECODE is set.
        compileall.compile_dir(partial, quiet=2)
        try:
            os.rename(partial, target)
        except OSError:  # another bootstrap unpacked it first
            shutil.rmtree(partial)
    return target


def main():
    bundled = os.path.join(os.path.dirname(ensurepip.__file__), "_bundled")
    wheel = sorted(glob.glob(os.path.join(bundled, "pip-*.whl")))[-1]
    sys.path.insert(0, unpacked(wheel))
    sys.argv = ["pip", "install"] + [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY_FLAGS]
    runpy.run_module("pip", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
