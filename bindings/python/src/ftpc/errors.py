"""ftpc's exceptions, placed in ftplib's hierarchy so that existing ``except`` clauses keep
working: 4xx replies are ``ftplib.error_temp``, 5xx ``ftplib.error_perm``, unexpected replies
``ftplib.error_reply``, protocol breaks ``ftplib.error_proto``; I/O failures are also
``OSError``, timeouts ``TimeoutError``, TLS failures ``ssl.SSLError``. Every one is an
``ftpc.Error`` (itself an ``ftplib.Error``) and carries:

``code``
    the library's result class (``ftpc.FTP_ERR_TEMPORARY``, ...), and ``name`` its name;
``reply_code``
    the server's three-digit reply code behind the failure, or 0 when there was none (a
    timeout, a refused connection);
``message``
    the library's one-line message naming the operation, the reply and the cause
    (``RETR /a.bin: 550 No such file``). Server text is untrusted: it can hold anything
    the server chose to send, terminal control characters included.

``str(err)`` is what ftplib would give: the server's reply line (``550 No such file``) when
the failure is a reply, the library's message otherwise.
"""

import ftplib
import ssl

from ._ffi import ffi, lib

__all__ = [
    "Error", "TemporaryError", "PermanentError", "UnexpectedReplyError", "ProtocolError",
    "IOFailure", "Timeout", "TLSError", "Aborted", "Cancelled", "Busy", "InvalidArgument",
    "InvalidState", "NotAvailable", "InternalError", "all_errors",
]


class Error(ftplib.Error):
    """Base of every ftpc failure."""

    code = 0
    name = ""
    reply_code = 0
    message = ""

    def __init__(self, *args, code=None, reply_code=0, message=None):
        super().__init__(*args)
        if code is not None:
            self.code = code
        self.name = _name(self.code)
        self.reply_code = reply_code
        self.message = message if message is not None else (str(args[0]) if args else "")


class TemporaryError(Error, ftplib.error_temp):
    """The server answered 4xx: try again later."""
    code = lib.FTP_ERR_TEMPORARY


class PermanentError(Error, ftplib.error_perm):
    """The server answered 5xx: refused for good."""
    code = lib.FTP_ERR_PERMANENT


class UnexpectedReplyError(Error, ftplib.error_reply):
    """A well-formed reply the command did not expect."""
    code = lib.FTP_ERR_UNEXPECTED_REPLY


class ProtocolError(Error, ftplib.error_proto):
    """The server broke the protocol (malformed, oversized or truncated replies or data)."""
    code = lib.FTP_ERR_PROTOCOL


class IOFailure(Error, OSError):
    """The operating system reported an error on a socket or a local file."""
    code = lib.FTP_ERR_IO


class Timeout(Error, TimeoutError):
    """A timeout ran out; the message names the phase."""
    code = lib.FTP_ERR_TIMEOUT


class TLSError(Error, ssl.SSLError):
    """TLS failed: handshake, certificate verification, or a stream cut without close_notify."""
    code = lib.FTP_ERR_TLS


class Aborted(Error):
    """A callback asked to stop (the session stays usable)."""
    code = lib.FTP_ERR_ABORTED


class Cancelled(Aborted):
    """``FTP.cancel()`` stopped the call (the session stays usable)."""


class Busy(Error, RuntimeError):
    """The handle is in use: called from inside its own callback."""
    code = lib.FTP_ERR_BUSY


class InvalidArgument(Error, ValueError):
    """A malformed argument, or CR/LF/NUL in something bound for the server."""
    code = lib.FTP_ERR_INVALID_ARGUMENT


class InvalidState(Error):
    """The session cannot do this now (a data stream is open, the connection is closed)."""
    code = lib.FTP_ERR_INVALID_STATE


class NotAvailable(Error):
    """The value asked for is not available (no size listed, no total announced)."""
    code = lib.FTP_ERR_NOT_AVAILABLE


class IntegrityError(Error):
    """A transferred file's hash differs from the server's (a verified transfer): the file is
    not put in place."""
    code = lib.FTP_ERR_INTEGRITY


class InternalError(Error):
    """The library caught an internal panic; the message has its text."""
    code = lib.FTP_ERR_PANIC


_BY_CODE = {
    cls.code: cls
    for cls in (TemporaryError, PermanentError, UnexpectedReplyError, ProtocolError, IOFailure,
                Timeout, TLSError, Aborted, Busy, InvalidArgument, InvalidState, NotAvailable,
                IntegrityError, InternalError)
}

#: What ftplib's ``all_errors`` is, for ftpc: every exception a session can raise.
all_errors = (Error, OSError, EOFError)


def _name(code):
    if not code:
        return ""
    return ffi.string(lib.ftp_strerror(code)).decode("utf-8", "replace").split(":", 1)[0]


def make_error(code, reply_code, message, reply_line=None, cls=None):
    """The exception for a failure: `reply_line` (``"550 No such file"``) becomes its str()
    when the failure is a server reply, as in ftplib."""
    cls = cls or _BY_CODE.get(code, Error)
    first = reply_line if reply_line else message
    return cls(first, code=code, reply_code=reply_code, message=message)


def reply_error(line):
    """The ftplib exception for a reply line that the caller refuses (sendcmd, voidcmd)."""
    code = int(line[:3]) if line[:3].isdigit() else 0
    c = line[:1]
    if c == "4":
        cls = TemporaryError
    elif c == "5":
        cls = PermanentError
    elif c in ("1", "2", "3"):
        cls = UnexpectedReplyError
    else:
        cls = ProtocolError
    return cls(line, code=cls.code, reply_code=code, message=line)
