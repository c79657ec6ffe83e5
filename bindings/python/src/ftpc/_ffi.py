"""Loading libftpc through cffi in ABI mode (no compiler: the declarations come from
ftpc_cdef.h, the preprocessor-free copy of ftpc.h that ships with the library).

Where the library comes from, first match wins:

1. the copy bundled in this package (``ftpc/_lib/libftpc.so.0``, put there when the wheel is
   built);
2. ``FTPC_LIBRARY`` (the path of the file), then ``FTPC_PREFIX`` (``$FTPC_PREFIX/lib``);
3. the system loader (``libftpc.so.0`` on the library path, ``ldconfig``'s cache,
   ``LD_LIBRARY_PATH``).

The declarations come from the bundled ``ftpc_cdef.h`` (copied at build time from the same
place as the library).
"""

import os

from cffi import FFI

_HERE = os.path.dirname(os.path.abspath(__file__))
SONAME = "libftpc.so.0"

# Declarations that newer libraries export and older headers may lack; each is looked up
# lazily, so a library without it still loads (the binding falls back, see client.py).
_OPTIONAL_CDEF = {
    "ftp_cancel": "ftp_result ftp_cancel(ftp_client *ftp);",
}


def _read_cdef():
    candidates = [os.path.join(_HERE, "_lib", "ftpc_cdef.h")]
    prefix = os.environ.get("FTPC_PREFIX")
    if prefix:
        candidates.append(os.path.join(prefix, "include", "ftpc_cdef.h"))
    # A source checkout: bindings/python/src/ftpc -> include/.
    candidates.append(os.path.join(_HERE, "..", "..", "..", "..", "include", "ftpc_cdef.h"))
    for path in candidates:
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as f:
                return f.read(), path
    raise ImportError(
        "ftpc: ftpc_cdef.h not found (looked in: %s); reinstall the package" % ", ".join(candidates)
    )


def _candidates():
    """The library paths to try, in order, with where each came from."""
    out = [(os.path.join(_HERE, "_lib", SONAME), "bundled")]
    lib = os.environ.get("FTPC_LIBRARY")
    if lib:
        out.append((lib, "FTPC_LIBRARY"))
    prefix = os.environ.get("FTPC_PREFIX")
    if prefix:
        out.append((os.path.join(prefix, "lib", SONAME), "FTPC_PREFIX"))
    out.append((SONAME, "system loader"))
    return out


def _load():
    cdef, cdef_path = _read_cdef()
    ffi = FFI()
    ffi.cdef(cdef)
    for name, decl in _OPTIONAL_CDEF.items():
        if name + "(" not in cdef:
            ffi.cdef(decl)
    errors = []
    for path, origin in _candidates():
        if origin != "system loader" and not os.path.exists(path):
            errors.append("%s (%s): missing" % (path, origin))
            continue
        try:
            lib = ffi.dlopen(path)
        except OSError as e:
            errors.append("%s (%s): %s" % (path, origin, e))
            continue
        return ffi, lib, path, origin, cdef_path
    raise ImportError("ftpc: cannot load libftpc; tried " + "; ".join(errors))


ffi, lib, library_path, library_origin, cdef_path = _load()


def has(name):
    """Whether the loaded library exports `name` (for functions newer than some builds)."""
    try:
        getattr(lib, name)
        return True
    except AttributeError:
        return False
