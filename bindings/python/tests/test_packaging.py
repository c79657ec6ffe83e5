"""The package as installed: the bundled library and declarations are the ones loaded."""

import os
import zipfile

import ftpc
from ftpc import _ffi


def test_loads_bundled_library_when_installed_from_wheel():
    wheel = os.environ.get("FTPC_EXPECT_WHEEL")
    pkg = os.path.dirname(os.path.abspath(ftpc.__file__))
    if wheel:
        names = zipfile.ZipFile(wheel).namelist()
        assert "ftpc/_lib/libftpc.so.0" in names and "ftpc/_lib/ftpc_cdef.h" in names
        assert os.path.basename(wheel).endswith(".whl") and "-py3-none-" in wheel
        assert _ffi.library_origin == "bundled"
        assert _ffi.library_path == os.path.join(pkg, "_lib", "libftpc.so.0")
        assert _ffi.cdef_path == os.path.join(pkg, "_lib", "ftpc_cdef.h")
    assert ftpc.library_version == ftpc.__version__


def test_every_declared_function_is_exported():
    with open(_ffi.cdef_path) as f:
        cdef = f.read()
    import re
    names = re.findall(r"\b(ftp_[a-z_0-9]+)\(", cdef)
    assert len(names) > 100
    missing = [n for n in names if not _ffi.has(n)]
    assert missing == []


def test_errors_are_ftplib_errors():
    import ftplib
    import ssl
    assert issubclass(ftpc.PermanentError, ftplib.error_perm)
    assert issubclass(ftpc.TemporaryError, ftplib.error_temp)
    assert issubclass(ftpc.UnexpectedReplyError, ftplib.error_reply)
    assert issubclass(ftpc.ProtocolError, ftplib.error_proto)
    assert issubclass(ftpc.TLSError, ssl.SSLError)
    assert issubclass(ftpc.Timeout, TimeoutError)
    assert issubclass(ftpc.IOFailure, OSError)
    for cls in (ftpc.PermanentError, ftpc.Aborted, ftpc.Cancelled, ftpc.InvalidState):
        assert issubclass(cls, ftpc.Error) and issubclass(cls, ftplib.Error)
        assert issubclass(cls, ftpc.all_errors)
