"""ftpc: FTP and FTPS for Python with ftplib's shape, on the ftpc C library (libftpc).

Move ftplib code over by changing the import::

    from ftpc import FTP, FTP_TLS

    with FTP_TLS("ftp.example.com", cafile="ca.pem") as ftp:   # verified TLS by default
        ftp.login("user", "secret")
        ftp.retrbinary("RETR file.bin", open("file.bin", "wb").write)

Exceptions subclass ftplib's (``error_temp``, ``error_perm``, ``error_reply``,
``error_proto``) and carry ``code`` (the library's class) and ``reply_code`` (the server's).
Server text (replies, names, listing lines) is untrusted: it may hold anything the server sent.
"""

from . import _ffi
from ._ffi import lib as _lib
from .client import (B_CRLF, CRLF, FTP, FTP_PORT, FTP_TLS, FTPS_PORT, MAXLINE, DataConnection,
                     Entry, RetryPolicy, SyncEvent, connect, print_line)
from .errors import (Aborted, Busy, Cancelled, Error, IntegrityError, InternalError, InvalidArgument,
                     InvalidState, IOFailure, NotAvailable, PermanentError, ProtocolError,
                     TemporaryError, Timeout, TLSError, UnexpectedReplyError, all_errors)

# ftplib's names for its exception classes, so `ftpc.error_perm` works where
# `ftplib.error_perm` did (they are ftplib's own classes: ftpc's errors subclass them).
from ftplib import error_perm, error_proto, error_reply, error_temp  # noqa: F401

__version__ = "0.1.0"

#: The loaded library's version ("0.1.0") and where it was loaded from.
library_version = _ffi.ffi.string(_lib.ftp_version()).decode()
library_path = _ffi.library_path

# Result codes, as the C header names them.
FTP_OK = _lib.FTP_OK
FTP_ERR_INVALID_ARGUMENT = _lib.FTP_ERR_INVALID_ARGUMENT
FTP_ERR_TEMPORARY = _lib.FTP_ERR_TEMPORARY
FTP_ERR_PERMANENT = _lib.FTP_ERR_PERMANENT
FTP_ERR_UNEXPECTED_REPLY = _lib.FTP_ERR_UNEXPECTED_REPLY
FTP_ERR_PROTOCOL = _lib.FTP_ERR_PROTOCOL
FTP_ERR_IO = _lib.FTP_ERR_IO
FTP_ERR_TIMEOUT = _lib.FTP_ERR_TIMEOUT
FTP_ERR_TLS = _lib.FTP_ERR_TLS
FTP_ERR_ABORTED = _lib.FTP_ERR_ABORTED
FTP_ERR_BUSY = _lib.FTP_ERR_BUSY
FTP_ERR_NOT_AVAILABLE = _lib.FTP_ERR_NOT_AVAILABLE
FTP_ERR_PANIC = _lib.FTP_ERR_PANIC
FTP_ERR_INVALID_STATE = _lib.FTP_ERR_INVALID_STATE

__all__ = [
    "FTP", "FTP_TLS", "connect", "DataConnection", "Entry", "RetryPolicy", "SyncEvent",
    "Error", "TemporaryError", "PermanentError", "UnexpectedReplyError", "ProtocolError",
    "IOFailure", "Timeout", "TLSError", "Aborted", "Cancelled", "Busy", "InvalidArgument",
    "InvalidState", "NotAvailable", "IntegrityError", "InternalError", "all_errors", "error_temp", "error_perm",
    "error_reply", "error_proto", "print_line", "FTP_PORT", "FTPS_PORT", "MAXLINE", "CRLF",
    "B_CRLF", "library_version", "library_path",
]
