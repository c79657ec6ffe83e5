"""Builds the ftpc wheel with libftpc bundled.

The library and its declarations are copied into the package (ftpc/_lib/) at build time from:

- FTPC_PREFIX: $FTPC_PREFIX/lib/libftpc.so.0 (what `make install PREFIX=...` writes) and
  $FTPC_PREFIX/include/ftpc_cdef.h, or this source tree's include/ftpc_cdef.h when the prefix
  has none;
- without FTPC_PREFIX: the source tree's target/prefix, then /usr/local, then /usr;
- FTPC_LIBRARY (a path to libftpc.so.0) overrides the library file.

FTPC_BUNDLE=0 builds a wheel without the library (it is then found at run time through
FTPC_LIBRARY, FTPC_PREFIX or the system loader).
"""

import os
import shutil
import sys

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py as _build_py

try:  # setuptools >= 70.1 has its own; older ones use the wheel package's
    from setuptools.command.bdist_wheel import bdist_wheel as _bdist_wheel
except ImportError:
    try:
        from wheel.bdist_wheel import bdist_wheel as _bdist_wheel
    except ImportError:  # pragma: no cover - wheel is in build-system.requires
        _bdist_wheel = None

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
SONAME = "libftpc.so.0"


def _bundle():
    return os.environ.get("FTPC_BUNDLE", "1") != "0"


def _find():
    """(library path, cdef path) to bundle."""
    env = os.environ.get("FTPC_PREFIX")
    prefixes = [env] if env else [os.path.join(TOP, "target", "prefix"), "/usr/local", "/usr"]
    lib = os.environ.get("FTPC_LIBRARY")
    prefix = None
    if not lib:
        for p in prefixes:
            for d in ("lib", "lib64", "lib/x86_64-linux-gnu", "lib/aarch64-linux-gnu"):
                cand = os.path.join(p, d, SONAME)
                if os.path.exists(cand):
                    lib, prefix = cand, p
                    break
            if lib:
                break
    if not lib or not os.path.exists(lib):
        sys.exit("ftpc: %s not found (looked in %s). Build and install the C library "
                 "(make install PREFIX=...) and set FTPC_PREFIX, or FTPC_LIBRARY=/path/to/%s, "
                 "or FTPC_BUNDLE=0 for a wheel without it."
                 % (SONAME, ", ".join(prefixes), SONAME))
    cdefs = []
    if prefix:
        cdefs.append(os.path.join(prefix, "include", "ftpc_cdef.h"))
    cdefs.append(os.path.join(TOP, "include", "ftpc_cdef.h"))
    cdefs.append(os.path.join(HERE, "src", "ftpc", "_lib", "ftpc_cdef.h"))
    for c in cdefs:
        if os.path.exists(c):
            return os.path.realpath(lib), c
    sys.exit("ftpc: ftpc_cdef.h not found (looked in %s)" % ", ".join(cdefs))


class build_py(_build_py):
    """Copies libftpc.so.0 and ftpc_cdef.h into the built package."""

    def run(self):
        super().run()
        dest = os.path.join(self.build_lib, "ftpc", "_lib")
        os.makedirs(dest, exist_ok=True)
        if _bundle():
            lib, cdef = _find()
            shutil.copyfile(lib, os.path.join(dest, SONAME))
            os.chmod(os.path.join(dest, SONAME), 0o755)
        else:
            cdef = None
            for c in (os.path.join(os.environ.get("FTPC_PREFIX", "/nonexistent"), "include",
                                   "ftpc_cdef.h"),
                      os.path.join(TOP, "include", "ftpc_cdef.h")):
                if os.path.exists(c):
                    cdef = c
                    break
            if cdef is None:
                sys.exit("ftpc: ftpc_cdef.h not found; set FTPC_PREFIX")
        shutil.copyfile(cdef, os.path.join(dest, "ftpc_cdef.h"))
        self.announce("ftpc: bundled %s" % (", ".join(sorted(os.listdir(dest)))), level=2)


cmdclass = {"build_py": build_py}

if _bdist_wheel is not None:
    class bdist_wheel(_bdist_wheel):
        """A wheel for this platform (it holds a native library) that any Python 3 can use
        (cffi's ABI mode compiles nothing): py3-none-<platform>."""

        def get_tag(self):
            python, abi, plat = super().get_tag()
            if _bundle():
                return "py3", "none", plat
            return python, abi, plat

    cmdclass["bdist_wheel"] = bdist_wheel

class BinaryDistribution(Distribution):
    """Holds a native library: installed as platform-specific (platlib), never as pure."""

    def has_ext_modules(self):
        return _bundle()


setup(cmdclass=cmdclass, distclass=BinaryDistribution)
