"""ftplib's ``FTP`` and ``FTP_TLS`` on libftpc.

Every C call runs through cffi, which releases the GIL for its duration: other Python threads
run while a transfer waits on the network. Callbacks (data, progress, retry, sync events) run on
the calling thread before the call returns; an exception raised in one is kept, the transfer
stops (the library sends ABOR and drains the replies, so the session stays usable), and the
exception is re-raised to the caller.
"""

import datetime
import io
import os
import ssl
import tempfile
import threading
import weakref
from collections import namedtuple

from ._ffi import ffi, has, lib
from .errors import (Busy, Cancelled, Error, InvalidArgument, InvalidState, make_error,
                     reply_error)

__all__ = ["FTP", "FTP_TLS", "Entry", "RetryPolicy", "SyncEvent", "connect", "FTP_PORT",
           "FTPS_PORT", "MAXLINE", "CRLF", "B_CRLF", "print_line"]

FTP_PORT = 21
FTPS_PORT = 990
MAXLINE = 8192
CRLF = "\r\n"
B_CRLF = b"\r\n"

_HAS_CANCEL = has("ftp_cancel")


def print_line(line):
    """Default retrlines callback: print a line to stdout (ftplib's ``print_line``)."""
    print(line)


# ---------------------------------------------------------------------------------------------
# Small value types


class RetryPolicy(namedtuple("RetryPolicy", "max_attempts initial_delay multiplier max_delay "
                                            "jitter")):
    """How the production-layer calls retry transient failures (seconds; ``multiplier`` 2.0
    doubles each wait; ``jitter`` 0.2 varies each wait by up to 20% either way). With
    ``FTP(retry=...)`` it also retries connecting and logging in."""

    __slots__ = ()

    def __new__(cls, max_attempts=4, initial_delay=0.5, multiplier=2.0, max_delay=30.0,
                jitter=0.2):
        return super().__new__(cls, max_attempts, initial_delay, multiplier, max_delay, jitter)

    def _c_args(self):
        return (int(self.max_attempts), _ms(self.initial_delay), int(round(self.multiplier * 100)),
                _ms(self.max_delay), int(round(self.jitter * 100)))


_ENTRY_TYPES = {
    lib.FTP_ENTRY_FILE: "file",
    lib.FTP_ENTRY_DIR: "dir",
    lib.FTP_ENTRY_CURRENT_DIR: "cdir",
    lib.FTP_ENTRY_PARENT_DIR: "pdir",
    lib.FTP_ENTRY_LINK: "link",
    lib.FTP_ENTRY_OTHER: "other",
}

# The facts `mlsd()` reports (the C API answers facts by name only): RFC 3659's, and the
# UNIX ones servers commonly send.
_KNOWN_FACTS = ("type", "size", "modify", "create", "perm", "unique", "lang", "media-type",
                "charset", "unix.mode", "unix.owner", "unix.group", "unix.uid", "unix.gid",
                "unix.nlink", "unix.ownername", "unix.groupname")


class Entry(namedtuple("Entry", "name name_bytes type size modified facts")):
    """One listed object, parsed by the library from MLSD or LIST.

    ``name`` is decoded with the session's encoding (undecodable bytes as surrogates, so
    ``os.fsencode``-style round trips work) and ``name_bytes`` is exactly what the server sent;
    both are untrusted server text. ``type`` is ``"file"``, ``"dir"``, ``"cdir"``, ``"pdir"``,
    ``"link"`` or ``"other"``; ``size`` an int or None; ``modified`` an aware UTC
    ``datetime`` or None; ``facts`` a dict of the facts the library knows by name.
    """

    __slots__ = ()

    @property
    def is_dir(self):
        return self.type == "dir"

    @property
    def is_file(self):
        return self.type == "file"


SyncEvent = namedtuple("SyncEvent", "action path bytes files_done files_total error message")
SyncEvent.__doc__ = """One path handled by ``sync``/``mirror``: ``action`` is ``"uploaded"``,
``"downloaded"``, ``"skipped"``, ``"deleted"``, ``"created_directory"`` or ``"failed"``;
``error`` the ``ftpc.Error`` for a failed path (else None). ``path`` and ``message`` may hold
server text (untrusted)."""

_SYNC_ACTIONS = {
    lib.FTP_SYNC_UPLOADED: "uploaded",
    lib.FTP_SYNC_DOWNLOADED: "downloaded",
    lib.FTP_SYNC_SKIPPED: "skipped",
    lib.FTP_SYNC_DELETED: "deleted",
    lib.FTP_SYNC_CREATED_DIRECTORY: "created_directory",
    lib.FTP_SYNC_FAILED: "failed",
}


def _ms(seconds):
    if seconds is None:
        return 0
    if seconds < 0:
        raise ValueError("a duration cannot be negative")
    return min(int(round(seconds * 1000)), 0xFFFFFFFF)


def _text(p, encoding="utf-8"):
    if p == ffi.NULL:
        return ""
    return ffi.string(p).decode(encoding, "surrogateescape")


def _take_string(out, encoding):
    """A string the library returned through `out`, freed with ftp_string_free."""
    try:
        return _text(out[0], encoding)
    finally:
        lib.ftp_string_free(out[0])


def _reply_line(code, text):
    """ftplib's form of a reply: "213 123", and for several lines "214-first\\n...\\n214 last"."""
    lines = text.split("\n")
    if len(lines) == 1:
        return "%d %s" % (code, text)
    return "\n".join(["%d-%s" % (code, lines[0])] + lines[1:-1] + ["%d %s" % (code, lines[-1])])


# ---------------------------------------------------------------------------------------------
# Callbacks: defined once, each call passes its state through `userdata` (ffi.new_handle).


class _CallState:
    """What one call's callbacks need: the Python functions, the first exception raised, and
    the session (for cancellation without ftp_cancel)."""

    __slots__ = ("owner", "exc", "on_data", "on_progress", "read", "on_line", "encoding",
                 "on_sync", "events", "pending", "handle")

    def __init__(self, owner, encoding="utf-8"):
        self.owner = owner
        self.exc = None
        self.on_data = None
        self.on_progress = None
        self.read = None
        self.on_line = None
        self.encoding = encoding
        self.on_sync = None
        self.events = None
        self.pending = b""
        self.handle = ffi.new_handle(self)

    def stop(self):
        # Without ftp_cancel (older libraries), cancel() sets a flag the callbacks check.
        owner = self.owner
        return not _HAS_CANCEL and owner is not None and owner._cancel_flag


def _progress(st):
    """The progress callback to pass. On the main thread always: running Python code between
    blocks is what lets Ctrl-C (KeyboardInterrupt) stop a transfer. Elsewhere only when
    someone listens or the library cannot cancel by itself (no ftp_cancel): a transfer then
    runs without taking the GIL at all."""
    if (st.on_progress is None and _HAS_CANCEL
            and threading.current_thread() is not threading.main_thread()):
        return ffi.NULL
    return _progress_cb


def _onerror(exc_type, exc_value, tb):
    """An exception that escaped a callback's own try (a KeyboardInterrupt arriving between
    two bytecodes): kept for the caller like any other; the callback returns its error value
    (1, stop)."""
    try:
        userdata = tb.tb_frame.f_locals["userdata"] if tb is not None else None
        if userdata is None:
            return
        target = ffi.from_handle(userdata)
        if isinstance(target, _CallState):
            _stash(target, exc_value)
        else:  # the retry callback's weak reference to its session
            owner = target()
            if owner is not None and owner._retry_exc is None:
                owner._retry_exc = exc_value
    except BaseException:  # noqa: B902 - nothing may escape into C
        pass


def _stash(st, e):
    if st.exc is None:
        st.exc = e
    return 1


@ffi.callback("ftp_write_cb", error=1, onerror=_onerror)
def _write_cb(userdata, data, length):
    st = ffi.from_handle(userdata)
    try:
        if st.stop():
            return 1
        st.on_data(ffi.buffer(data, length)[:])
        return 0
    except BaseException as e:  # noqa: B902 - re-raised after the call returns
        return _stash(st, e)


@ffi.callback("ftp_progress_cb", error=1, onerror=_onerror)
def _progress_cb(userdata, transferred, total):
    st = ffi.from_handle(userdata)
    try:
        if st.stop():
            return 1
        if st.on_progress is not None:
            st.on_progress(transferred, None if total < 0 else total)
        return 0
    except BaseException as e:  # noqa: B902
        return _stash(st, e)


@ffi.callback("ftp_read_cb", error=1, onerror=_onerror)
def _read_cb(userdata, buffer, capacity, out_len):
    st = ffi.from_handle(userdata)
    try:
        if st.stop():
            return 1
        n = st.read(ffi.buffer(buffer, capacity), capacity)
        out_len[0] = n
        return 0
    except BaseException as e:  # noqa: B902
        return _stash(st, e)


@ffi.callback("ftp_line_cb", error=1, onerror=_onerror)
def _line_cb(userdata, line, length):
    st = ffi.from_handle(userdata)
    try:
        if st.stop():
            return 1
        st.on_line(ffi.buffer(line, length)[:].decode(st.encoding, "surrogateescape"))
        return 0
    except BaseException as e:  # noqa: B902
        return _stash(st, e)


@ffi.callback("ftp_sync_cb", error=1, onerror=_onerror)
def _sync_cb(userdata, action, path, nbytes, done, total, error, message):
    st = ffi.from_handle(userdata)
    try:
        if st.stop():
            return 1
        msg = _text(message, st.encoding)
        err = make_error(error, 0, msg) if error < 0 else None
        ev = SyncEvent(_SYNC_ACTIONS.get(action, str(action)), _text(path, st.encoding), nbytes,
                       done, total, err, msg)
        st.events.append(ev)
        if st.on_sync is not None:
            st.on_sync(ev)
        return 0
    except BaseException as e:  # noqa: B902
        return _stash(st, e)


@ffi.callback("ftp_retry_cb", error=1, onerror=_onerror)
def _retry_cb(userdata, attempt, error, reply_code, message, delay_ms):
    owner = ffi.from_handle(userdata)()  # a weak reference to the session
    if owner is None:
        return 1
    try:
        if owner._cancel_flag:
            return 1
        fn = owner._on_retry
        if fn is None:
            return 0
        err = make_error(error, reply_code, _text(message, owner.encoding))
        return 1 if fn(attempt, err, delay_ms / 1000.0) is False else 0
    except BaseException as e:  # noqa: B902
        if owner._retry_exc is None:
            owner._retry_exc = e
        return 1


# ---------------------------------------------------------------------------------------------
# Readers for uploads


def _file_reader(fp, callback=None):
    """A read function for _read_cb over a binary file object: readinto when it has one (no
    copy), read otherwise. `callback(block)` sees each block, as in ftplib's storbinary."""
    readinto = getattr(fp, "readinto", None)

    if readinto is not None and callback is None:
        def read(buf, capacity):
            n = readinto(memoryview(buf))
            if n is None:
                raise BlockingIOError("the source has no data ready (non-blocking file)")
            return n
        return read

    def read(buf, capacity):
        data = fp.read(capacity)
        if data is None:
            raise BlockingIOError("the source has no data ready (non-blocking file)")
        if isinstance(data, str):
            raise TypeError("storbinary/upload need a binary file object, not text")
        n = len(data)
        if n > capacity:
            raise ValueError("read() returned more bytes than asked for")
        buf[0:n] = data
        if callback is not None and n:
            callback(bytes(data))
        return n
    return read


def _lines_reader(fp, st, callback=None):
    """ftplib's storlines: the file is read line by line (callback per line); the library
    turns every line end into CRLF."""

    def read(buf, capacity):
        while not st.pending:
            line = fp.readline(MAXLINE + 1)
            if not line:
                return 0
            if isinstance(line, str):
                raise TypeError("storlines needs a binary file object, not text")
            if len(line) > MAXLINE:
                raise Error("got more than %d bytes" % MAXLINE)
            if line[-2:] != B_CRLF:  # as ftplib: every line, the last too, ends with CRLF
                if line[-1:] in (b"\r", b"\n"):
                    line = line[:-1]
                line = line + B_CRLF
            if callback is not None:
                callback(line)
            st.pending = line
        n = min(capacity, len(st.pending))
        buf[0:n] = st.pending[:n]
        st.pending = st.pending[n:]
        return n
    return read


# ---------------------------------------------------------------------------------------------
# Option keywords shared by FTP and FTP_TLS

_PASSIVE = {"auto": lib.FTP_PASSIVE_AUTO, "epsv": lib.FTP_PASSIVE_EPSV,
            "pasv": lib.FTP_PASSIVE_PASV}
_OPTION_NAMES = {
    "connect_timeout", "reply_timeout", "data_connect_timeout", "accept_timeout",
    "data_idle_timeout", "keepalive", "retry", "passive_mode", "active", "trust_pasv_address",
    "block_size", "ascii", "utf8", "max_listing_entries", "max_listing_bytes",
    "max_tree_depth", "max_tree_entries", "on_retry",
}


class FTP:
    """An FTP session with ftplib's methods (``ftplib.FTP``'s signature), on libftpc.

    ``FTP(host)`` connects, ``FTP(host, user, passwd)`` also logs in. ftpc's keywords (after
    ftplib's): ``port``; timeouts in seconds (``timeout`` sets them all, ``connect_timeout``,
    ``reply_timeout``, ``data_connect_timeout``, ``accept_timeout``, ``data_idle_timeout``);
    ``keepalive`` (seconds between NOOPs during long transfers); ``retry`` (a
    :class:`RetryPolicy`, also for connecting and logging in) and ``on_retry``;
    ``passive_mode`` (``"auto"``: EPSV then PASV, ``"epsv"``, ``"pasv"``); ``active``
    (``(bind_address, advertise_address, port_min, port_max, use_eprt)`` or True);
    ``trust_pasv_address``; ``block_size``; ``ascii``; ``utf8``; listing and tree bounds
    (``max_listing_entries``, ``max_listing_bytes``, ``max_tree_depth``, ``max_tree_entries``).

    Not thread-safe in itself (as ftplib): one thread at a time per session, but
    :meth:`cancel` may be called from any thread. A session that is never closed is freed by
    the garbage collector without touching the network.
    """

    host = ""
    port = FTP_PORT
    maxline = MAXLINE
    file = None
    welcome = None
    passiveserver = True
    debugging = 0
    trust_server_pasv_ipv4_address = False
    _tls_level = lib.FTP_TLS_NONE

    def __init__(self, host="", user="", passwd="", acct="", timeout=None, source_address=None,
                 *, encoding="utf-8", port=None, **options):
        unknown = set(options) - _OPTION_NAMES
        if unknown:
            raise TypeError("unexpected keyword arguments: %s" % ", ".join(sorted(unknown)))
        self.encoding = encoding
        self.timeout = timeout
        self.source_address = source_address
        self._options = dict(options)
        self.passiveserver = "active" not in options or not options["active"]
        self.trust_server_pasv_ipv4_address = bool(options.get("trust_pasv_address", False))
        self._ftp = None
        self._finalizer = None
        self._lock = threading.RLock()
        self._active = None  # the thread inside a C call on this session
        self._ptr_lock = threading.Lock()
        self._cancel_flag = False
        self._on_retry = options.get("on_retry")
        self._retry_exc = None
        self._retry_handle = None
        self._data = None
        self._welcome_code = 220
        self._login_reply = None
        self.url_path = None
        if host:
            self.connect(host, port or 0)
            if user:
                self.login(user, passwd, acct)

    # -- lifetime -----------------------------------------------------------------------------

    def __enter__(self):
        return self

    def __exit__(self, *args):
        """As ftplib: QUIT (errors ignored), then close."""
        if self._ftp is not None:
            try:
                self.quit()
            except (OSError, EOFError, Error):
                pass
            finally:
                self.close()

    def __repr__(self):
        state = "connected to %s:%d" % (self.host, self.port) if self._ftp is not None \
            else "not connected"
        return "<%s.%s %s>" % (type(self).__module__, type(self).__name__, state)

    @property
    def sock(self):
        """ftplib code tests ``ftp.sock`` to know whether a session is open: a true value
        while connected (not a socket: the library owns the connection), None after."""
        return _ControlConnection(self) if self._ftp is not None else None

    @property
    def lastresp(self):
        """The last reply's code as a string, as ftplib keeps it."""
        return str(self.reply_code) if self._ftp is not None else ""

    @property
    def connected(self):
        """Whether the session holds a connected handle (quit/close end it)."""
        return self._ftp is not None

    def _release(self, how):
        """Frees the handle with `how` (ftp_quit, ftp_free), once; returns its result. A data
        stream still open is ended after the session is gone, so ending it sends nothing.
        From another thread while a call runs, that call is cancelled first (as closing an
        ftplib socket from another thread interrupts it); from inside the session's own
        callback it raises Busy (raise an exception there to stop the transfer instead)."""
        if self._active == threading.get_ident():
            raise Busy("the session cannot be closed from inside its own callback",
                       code=lib.FTP_ERR_BUSY)
        if not self._lock.acquire(blocking=False):
            self.cancel()
            self._lock.acquire()
        try:
            return self._release_locked(how)
        finally:
            self._lock.release()

    def _release_locked(self, how):
        data, self._data = self._data, None
        with self._ptr_lock:
            ftp, self._ftp = self._ftp, None
            if self._finalizer is not None:
                self._finalizer.detach()
                self._finalizer = None
        try:
            return 0 if ftp is None else how(ftp)
        finally:
            if data is not None:
                data._drop()

    def quit(self):
        """QUIT and free the session (ftplib: returns the reply; the C API frees the handle
        with QUIT's reply, so this returns None). Raises when QUIT was not answered with
        2xx; the session is closed in every case."""
        r = self._release(lib.ftp_quit)
        if r not in (0, None):
            raise make_error(r, 0, "QUIT: %s" % _text(lib.ftp_strerror(r)))
        return None

    def close(self):
        """Close the connection without sending anything (ftplib's close). Idempotent."""
        self._release(lib.ftp_free)

    # -- options --------------------------------------------------------------------------------

    def _opts(self):
        o = ffi.gc(lib.ftp_options_new(), lib.ftp_options_free)
        if o == ffi.NULL:
            raise MemoryError("ftp_options_new")

        def setter(fn, *args):
            if fn(o, *args) != 0:
                raise make_error(lib.ftp_options_errcode(o), 0,
                                 _text(lib.ftp_options_errmsg(o)))

        opts = self._options
        if self.timeout is not None:
            setter(lib.ftp_options_set_timeout_ms, _ms(self.timeout))
        for key, fn in (("connect_timeout", lib.ftp_options_set_connect_timeout_ms),
                        ("reply_timeout", lib.ftp_options_set_reply_timeout_ms),
                        ("data_connect_timeout", lib.ftp_options_set_data_connect_timeout_ms),
                        ("accept_timeout", lib.ftp_options_set_accept_timeout_ms),
                        ("data_idle_timeout", lib.ftp_options_set_data_idle_timeout_ms),
                        ("keepalive", lib.ftp_options_set_keepalive_ms)):
            if opts.get(key) is not None:
                setter(fn, _ms(opts[key]))
        if opts.get("retry") is not None:
            setter(lib.ftp_options_set_retry_policy, *RetryPolicy(*opts["retry"])._c_args())
        if opts.get("passive_mode") is not None:
            setter(lib.ftp_options_set_passive_mode, _PASSIVE[opts["passive_mode"]])
        if not self.passiveserver:
            active = opts.get("active")
            if active is True or active is None:
                active = ("", "", 0, 0, False)
            bind, advertise, pmin, pmax, eprt = (tuple(active) + ("", "", 0, 0, False)[len(active):])
            setter(lib.ftp_options_set_active, self._enc(bind), self._enc(advertise), pmin, pmax,
                   bool(eprt))
        if self.trust_server_pasv_ipv4_address:
            setter(lib.ftp_options_set_trust_pasv_address, True)
        if opts.get("block_size") is not None:
            setter(lib.ftp_options_set_block_size, int(opts["block_size"]))
        if opts.get("ascii"):
            setter(lib.ftp_options_set_transfer_type, lib.FTP_TYPE_ASCII)
        if opts.get("utf8") is not None:
            setter(lib.ftp_options_set_utf8, bool(opts["utf8"]))
        for key, fn in (("max_listing_entries", lib.ftp_options_set_max_listing_entries),
                        ("max_listing_bytes", lib.ftp_options_set_max_listing_bytes),
                        ("max_tree_depth", lib.ftp_options_set_max_tree_depth),
                        ("max_tree_entries", lib.ftp_options_set_max_tree_entries)):
            if opts.get(key) is not None:
                setter(fn, int(opts[key]))
        self._tls_options(setter)
        return o

    def _tls_options(self, setter):
        """FTP_TLS adds its settings here."""

    # -- calls ----------------------------------------------------------------------------------

    def _enc(self, s, what="argument"):
        """A str/bytes/PathLike argument as bytes for C, refusing NUL (C would cut it there)."""
        if s is None:
            return ffi.NULL
        if isinstance(s, os.PathLike):
            s = os.fspath(s)
        if isinstance(s, str):
            s = s.encode(self.encoding, "surrogateescape")
        elif not isinstance(s, (bytes, bytearray)):
            raise TypeError("%s must be str or bytes, not %s" % (what, type(s).__name__))
        if b"\0" in s:
            raise InvalidArgument("%s contains NUL" % what, code=lib.FTP_ERR_INVALID_ARGUMENT,
                                  message="%s contains NUL" % what)
        return bytes(s)

    def _path(self, p):
        """A local path as bytes (os.fsencode), for the production-layer calls."""
        b = os.fsencode(p)
        if b"\0" in b:
            raise InvalidArgument("path contains NUL", code=lib.FTP_ERR_INVALID_ARGUMENT)
        return b

    def _live(self):
        ftp = self._ftp
        if ftp is None:
            raise InvalidState("not connected (connect() first, or the session was closed)",
                               code=lib.FTP_ERR_INVALID_STATE)
        return ftp

    def _error(self, r):
        ftp = self._ftp
        if ftp is None:
            return make_error(r, 0, _text(lib.ftp_strerror(r)))
        msg = _text(lib.ftp_errmsg(ftp), self.encoding)
        reply = lib.ftp_errreply(ftp)
        line = None
        if reply:
            if lib.ftp_reply_code(ftp) == reply:
                line = _reply_line(reply, _text(lib.ftp_reply_text(ftp), self.encoding))
            else:
                i = msg.find("%d " % reply)
                line = msg[i:] if i >= 0 else None
        cls = Cancelled if (r == lib.FTP_ERR_ABORTED and self._cancel_flag) else None
        return make_error(r, reply, msg, line, cls)

    def _call(self, fn, *args, state=None):
        """Runs `fn(ftp, *args)`; raises the callback's exception, or the failure, if any."""
        with self._lock:
            ftp = self._live()
            self._retry_exc = None
            outer, self._active = self._active, threading.get_ident()
            try:
                r = fn(ftp, *args)
                if state is not None and state.exc is not None:
                    exc, state.exc = state.exc, None
                    raise exc
                if self._retry_exc is not None:
                    exc, self._retry_exc = self._retry_exc, None
                    raise exc
                if r < 0:
                    raise self._error(r)
                return r
            finally:
                self._active = outer
                if outer is None:
                    self._cancel_flag = False

    def _last_reply(self):
        ftp = self._ftp
        if ftp is None:
            return ""
        return _reply_line(lib.ftp_reply_code(ftp), _text(lib.ftp_reply_text(ftp), self.encoding))

    def cancel(self):
        """Stops the call running on this session, from any thread: it raises
        :class:`ftpc.Cancelled` soon, without waiting for the server or a timeout, and the
        session stays usable (it reconnects and logs in again on the next call, back to the
        same directory). Returns True when a call was stopped, False when none was running
        (a late cancel never stops the next call)."""
        with self._ptr_lock:
            if self._ftp is None:
                return False
            self._cancel_flag = True
            if not _HAS_CANCEL:
                return True  # the callbacks see the flag
            if lib.ftp_cancel(self._ftp) == lib.FTP_DONE:
                self._cancel_flag = False
                return False
            return True

    # -- connecting -----------------------------------------------------------------------------

    def _connected(self):
        """After ftp_open: the retry callback (the C API takes it on a connected handle only,
        so it does not see the retries of connecting and logging in)."""
        self._retry_handle = ffi.new_handle(weakref.ref(self))
        self._call(lib.ftp_set_retry_callback, _retry_cb, self._retry_handle)

    def _new_handle(self):
        if self._ftp is not None:
            raise InvalidState("already connected", code=lib.FTP_ERR_INVALID_STATE)
        out = ffi.new("ftp_client **")
        r = lib.ftp_new(self._opts(), out)
        if r != 0:
            raise make_error(r, lib.ftp_last_reply_code(), _text(lib.ftp_last_error_message()))
        with self._ptr_lock:
            self._ftp = out[0]
            self._finalizer = weakref.finalize(self, lib.ftp_free, out[0])

    def connect(self, host="", port=0, timeout=None, source_address=None):
        """Connect (and, for FTP_TLS, start TLS and verify the certificate); returns the
        welcome line. `source_address` is not supported (ftpc picks the local address)."""
        if host:
            self.host = host
        if port > 0:
            self.port = port
        elif self._tls_level == lib.FTP_TLS_IMPLICIT and not port:
            self.port = FTPS_PORT
        if timeout is not None:
            self.timeout = timeout
        if source_address is not None or self.source_address is not None:
            raise InvalidArgument("source_address is not supported by ftpc",
                                  code=lib.FTP_ERR_INVALID_ARGUMENT)
        self._new_handle()
        try:
            self._call(lib.ftp_open, self._enc(self.host, "host"), self.port)
            self._connected()
        except BaseException:
            self.close()
            raise
        # The C API gives the welcome's text without its code; the last reply is the welcome
        # only without explicit TLS (then it is AUTH's 234). A welcome is always 2xx: 220.
        code = lib.ftp_reply_code(self._ftp)
        self._welcome_code = code if (self._tls_level in (lib.FTP_TLS_NONE, lib.FTP_TLS_IMPLICIT)
                                      and 200 <= code < 300) else 220
        self.welcome = self.getwelcome()
        return self.welcome

    def _open_url(self, url, password):
        self._new_handle()
        out = ffi.new("char **")
        try:
            self._call(lib.ftp_open_url, self._enc(url, "url"), self._enc(password), out)
            self._connected()
        except BaseException:
            self.close()
            raise
        self.url_path = _take_string(out, self.encoding)
        self.welcome = self.getwelcome()
        self._login_reply = self._last_reply()

    def getwelcome(self):
        """The server's welcome, as ftplib gives it ("220 ..."). Untrusted server text."""
        if self._ftp is None:
            return self.welcome
        return _reply_line(self._welcome_code, _text(lib.ftp_welcome(self._ftp), self.encoding))

    def set_debuglevel(self, level):
        """Accepted for ftplib compatibility; ftpc does not print protocol traces."""
        self.debugging = level

    debug = set_debuglevel

    def set_pasv(self, val):
        """Passive (True, the default) or active (False) data connections. Before connect()
        it sets the mode; on a connected session only the current mode is accepted (the C API
        fixes the mode at connection time)."""
        val = bool(val)
        if self._ftp is not None and val != self.passiveserver:
            raise InvalidState("ftpc fixes passive/active mode when connecting: create the "
                               "session with FTP(active=...) or call set_pasv() before "
                               "connect()", code=lib.FTP_ERR_INVALID_STATE)
        self.passiveserver = val

    def login(self, user="", passwd="", acct=""):
        """USER/PASS/ACCT as ftplib (anonymous by default); then FEAT and UTF-8 where
        offered. Returns the last reply line (the C API's login ends with FEAT/OPTS, whose
        reply this is, not PASS's 230)."""
        if not user:
            user = "anonymous"
        if not passwd:
            passwd = ""
        if not acct:
            acct = ""
        if user == "anonymous" and passwd in ("", "-"):
            passwd = passwd + "anonymous@"
        self._call(lib.ftp_login, self._enc(user, "user"), self._enc(passwd, "password"),
                   self._enc(acct or None, "account"))
        self._login_reply = self._last_reply()
        return self._login_reply

    # -- commands -------------------------------------------------------------------------------

    def sendcmd(self, cmd):
        """Send a command and return the reply line; 4xx raises error_temp, 5xx error_perm
        (as ftplib). Untrusted server text."""
        code = ffi.new("int *")
        text = ffi.new("char **")
        self._call(lib.ftp_quote, self._enc(cmd, "command"), code, text)
        line = _reply_line(code[0], _take_string(text, self.encoding))
        if line[:1] not in ("1", "2", "3"):
            raise reply_error(line)
        return line

    def voidcmd(self, cmd):
        """Send a command and expect a 2xx reply (error_reply otherwise)."""
        line = self.sendcmd(cmd)
        if line[:1] != "2":
            raise reply_error(line)
        return line

    def sendport(self, host, port):
        raise InvalidState("ftpc opens data connections itself: use FTP(active=...)",
                           code=lib.FTP_ERR_INVALID_STATE)

    sendeprt = sendport

    def makeport(self):
        raise InvalidState("ftpc opens data connections itself: use transfercmd()",
                           code=lib.FTP_ERR_INVALID_STATE)

    makepasv = makeport

    def voidresp(self):
        """Finish the data connection opened by transfercmd() and return the server's final
        reply (raises on a failure reply); without one, the last reply."""
        data = self._data
        if data is not None:
            return data._finish()
        return self._last_reply()

    getresp = voidresp

    def abort(self):
        """ABOR outside a transfer; to stop a transfer, raise in its callback or call cancel()."""
        self._call(lib.ftp_abort)
        return self._last_reply()

    def noop(self):
        self._call(lib.ftp_noop)
        return self._last_reply()

    def rename(self, fromname, toname):
        self._call(lib.ftp_rename, self._enc(fromname, "fromname"), self._enc(toname, "toname"))
        return self._last_reply()

    def delete(self, filename):
        self._call(lib.ftp_delete, self._enc(filename, "filename"))
        return self._last_reply()

    def cwd(self, dirname):
        if dirname == "..":
            self._call(lib.ftp_cdup)
            line = self._last_reply()
            self._learn_cwd()
            return line
        if dirname == "":
            dirname = "."
        self._call(lib.ftp_cwd, self._enc(dirname, "dirname"))
        line = self._last_reply()
        self._learn_cwd()
        return line

    def _learn_cwd(self):
        # PWD, so that the session knows its directory: a session that reconnects (after a
        # transfer cut by a callback or cancel()) returns only to a directory it knows, and
        # after a relative CWD it knows none (see /work/notes/python-abi.md).
        out = ffi.new("char **")
        with self._lock:
            if lib.ftp_pwd(self._live(), out) == 0:
                lib.ftp_string_free(out[0])

    def size(self, filename):
        """SIZE: the size in bytes (the server's answer; in TYPE I)."""
        out = ffi.new("uint64_t *")
        self._call(lib.ftp_size, self._enc(filename, "filename"), out)
        return int(out[0])

    def mkd(self, dirname):
        out = ffi.new("char **")
        self._call(lib.ftp_mkd, self._enc(dirname, "dirname"), out)
        return _take_string(out, self.encoding)

    def rmd(self, dirname):
        self._call(lib.ftp_rmd, self._enc(dirname, "dirname"))
        return self._last_reply()

    def pwd(self):
        out = ffi.new("char **")
        self._call(lib.ftp_pwd, out)
        return _take_string(out, self.encoding)

    # ftpc extras among the commands
    def cdup(self):
        self._call(lib.ftp_cdup)
        return self._last_reply()

    def mdtm(self, filename):
        """MDTM: the modification time as an aware UTC datetime."""
        out = ffi.new("int64_t *")
        self._call(lib.ftp_mdtm, self._enc(filename, "filename"), out)
        return datetime.datetime.fromtimestamp(out[0], datetime.timezone.utc)

    def set_mtime(self, filename, when):
        """MFMT: sets a file's modification time (a datetime, or seconds since 1970 UTC)."""
        if isinstance(when, datetime.datetime):
            if when.tzinfo is None:
                raise ValueError("use an aware datetime (UTC)")
            when = when.timestamp()
        self._call(lib.ftp_mfmt, self._enc(filename, "filename"), int(when))

    def has_feature(self, feature):
        out = ffi.new("bool *")
        self._call(lib.ftp_feat_has, self._enc(feature, "feature"), out)
        return bool(out[0])

    def feature_params(self, feature):
        """The parameters FEAT listed for `feature`, or None when it is not listed."""
        out = ffi.new("char **")
        try:
            self._call(lib.ftp_feat_params, self._enc(feature, "feature"), out)
        except Error as e:
            if e.code == lib.FTP_ERR_NOT_AVAILABLE:
                return None
            raise
        return _take_string(out, self.encoding)

    @property
    def reply_code(self):
        """The code of the last reply on this session (0 before any)."""
        return lib.ftp_reply_code(self._ftp) if self._ftp is not None else 0

    @property
    def last_reply(self):
        """The last reply line (untrusted server text)."""
        return self._last_reply()

    def is_tls(self):
        """Whether the control connection is under TLS."""
        out = ffi.new("bool *")
        self._call(lib.ftp_is_tls, out)
        return bool(out[0])

    def last_data_tls_resumed(self):
        """Whether the last TLS data connection resumed the control connection's TLS session
        (None before the first one)."""
        out = ffi.new("bool *")
        try:
            self._call(lib.ftp_last_data_tls_resumed, out)
        except Error as e:
            if e.code == lib.FTP_ERR_NOT_AVAILABLE:
                return None
            raise
        return bool(out[0])

    def set_binary(self, binary=True):
        """TYPE I (True) or TYPE A (False) for later transfers (sent when it changes)."""
        self._call(lib.ftp_set_transfer_type,
                   lib.FTP_TYPE_BINARY if binary else lib.FTP_TYPE_ASCII)

    # -- transfers (ftplib) ---------------------------------------------------------------------

    @staticmethod
    def _split(cmd, verbs):
        """("RETR", "a b.txt") for "RETR a b.txt" when the verb is one of `verbs`."""
        verb, _, arg = cmd.partition(" ")
        if verb.upper() in verbs and arg:
            return verb.upper(), arg
        return None, None

    def retrbinary(self, cmd, callback, blocksize=8192, rest=None, *, progress=None):
        """Retrieve in binary mode: `callback(bytes)` gets each block (at most `blocksize`
        bytes). `rest` resumes at that offset. ftpc extra: `progress(done, total_or_None)`.
        Returns the final reply. An exception raised by a callback stops the transfer and
        is re-raised."""
        st = _CallState(self, self.encoding)
        if blocksize and blocksize > 0:
            def on_data(data, cb=callback, bs=blocksize):
                if len(data) <= bs:
                    cb(data)
                else:
                    for i in range(0, len(data), bs):
                        cb(data[i:i + bs])
            st.on_data = on_data
        else:
            st.on_data = callback
        st.on_progress = progress
        verb, arg = self._split(cmd, ("RETR",))
        self.set_binary(True)
        if verb == "RETR":
            self._call(lib.ftp_retr, self._enc(arg, "path"), int(rest or 0), _write_cb,
                       _progress(st), st.handle, state=st)
            return self._last_reply()
        return self._stream_in(cmd, rest, st)

    def _stream_in(self, cmd, rest, st):
        """Any other command through a data stream (ftp_data_open), read to the end."""
        conn = self.transfercmd(cmd, rest)
        try:
            buf = ffi.new("uint8_t[]", 65536)
            n = ffi.new("size_t *")
            while True:
                if self._cancel_flag:
                    raise Cancelled("cancelled", code=lib.FTP_ERR_ABORTED)
                conn._check(lib.ftp_data_read(conn._data, buf, 65536, n))
                if n[0] == 0:
                    break
                st.on_data(ffi.buffer(buf, n[0])[:])
        except BaseException:
            conn._abort()
            raise
        return self.voidresp()

    def retrlines(self, cmd, callback=None):
        """Retrieve in ASCII mode (RETR, LIST, NLST, MLSD, ...): `callback(line)` gets each
        line without its line ending (printed by default). Returns the final reply. Lines
        are untrusted server text."""
        st = _CallState(self, self.encoding)
        st.on_line = callback if callback is not None else print_line
        self._call(lib.ftp_retr_lines, self._enc(cmd, "command"), _line_cb, st.handle, state=st)
        return self._last_reply()

    def storbinary(self, cmd, fp, blocksize=8192, callback=None, rest=None, *, progress=None,
                   total=None):
        """Store in binary mode from the binary file object `fp` ("STOR name" or "APPE
        name"); `callback(block)` after each block, `rest` resumes at that remote offset.
        ftpc extras: `progress(done, total_or_None)` and `total` (the size, so that a source
        that ends early fails instead of storing a short file). Returns the final reply."""
        st = _CallState(self, self.encoding)
        st.read = _file_reader(fp, callback)
        st.on_progress = progress
        verb, arg = self._split(cmd, ("STOR", "APPE"))
        self.set_binary(True)
        if verb is not None:
            fn = lib.ftp_stor if verb == "STOR" else lib.ftp_appe
            self._call(fn, self._enc(arg, "path"), int(rest or 0),
                       -1 if total is None else int(total), _read_cb, _progress(st), st.handle,
                       state=st)
            return self._last_reply()
        conn = self.transfercmd(cmd, rest)
        try:
            buf = bytearray(65536)
            while True:
                n = st.read(buf, len(buf))
                if not n:
                    break
                conn.sendall(memoryview(buf)[:n])
        except BaseException:
            conn._abort()
            raise
        return self.voidresp()

    def storlines(self, cmd, fp, callback=None):
        """Store in ASCII mode from the binary file object `fp` ("STOR name"), line by line;
        every line end is sent as CRLF. `callback(line)` after each line."""
        verb, arg = self._split(cmd, ("STOR",))
        if verb is None:
            raise InvalidArgument("storlines supports STOR only", code=lib.FTP_ERR_INVALID_ARGUMENT)
        st = _CallState(self, self.encoding)
        st.read = _lines_reader(fp, st, callback)
        self._call(lib.ftp_stor_lines, self._enc(arg, "path"), _read_cb, st.handle, state=st)
        return self._last_reply()

    def transfercmd(self, cmd, rest=None):
        """Open a data connection for `cmd` and return a socket-like object (``recv``,
        ``sendall``, ``makefile``, ``close``, context manager). Finish with
        :meth:`voidresp`, as with ftplib. Until then the session refuses other commands."""
        return self.ntransfercmd(cmd, rest)[0]

    def ntransfercmd(self, cmd, rest=None):
        """As transfercmd, returning ``(conn, size)``: the size the server announced, or None."""
        if self._data is not None:
            raise InvalidState("a data connection is still open: finish it with voidresp()",
                               code=lib.FTP_ERR_INVALID_STATE)
        out = ffi.new("ftp_data **")
        self._call(lib.ftp_data_open, self._enc(cmd, "command"), int(rest or 0), out)
        conn = DataConnection(self, out[0])
        self._data = conn
        size = ffi.new("uint64_t *")
        announced = lib.ftp_data_expected_size(out[0], size) == 0
        return conn, (int(size[0]) if announced else None)

    def nlst(self, *args):
        """NLST: a list of names (untrusted server text)."""
        cmd = "NLST" + "".join(" " + a for a in args)
        files = []
        self.retrlines(cmd, files.append)
        return files

    def dir(self, *args):
        """LIST, printed or handed to a callback given as the last argument."""
        func = None
        if args and not isinstance(args[-1], str):
            args, func = args[:-1], args[-1]
        cmd = "LIST" + "".join(" " + a for a in args if a)
        self.retrlines(cmd, func)

    def mlsd(self, path="", facts=[]):  # noqa: B006 - ftplib's signature
        """MLSD, parsed by the library: yields ``(name, facts)`` as ftplib does, with the
        facts the C API can name (type, size, modify, perm, unique, unix.*, and any asked
        for in `facts`), keys in lower case. The listing is read whole before the first
        item is yielded (as ftplib), so the session is free while you iterate."""
        wanted = tuple(f.lower() for f in facts)
        rows = []
        it = ffi.new("ftp_mlsd **")
        self._call(lib.ftp_mlsd_open, self._enc(path or None, "path"), it)
        handle = it[0]
        try:
            out = ffi.new("ftp_entry **")
            while True:
                r = lib.ftp_mlsd_next(handle, out)
                if r == lib.FTP_DONE:
                    break
                if r < 0:
                    with self._lock:
                        raise self._error(r)
                e = out[0]
                entry = {}
                for name in _KNOWN_FACTS + wanted:
                    v = lib.ftp_entry_fact(e, name.encode())
                    if v != ffi.NULL:
                        entry[name] = _text(v, self.encoding)
                if wanted:
                    entry = {k: v for k, v in entry.items() if k in wanted}
                rows.append((self._entry_name(e), entry))
        finally:
            lib.ftp_mlsd_close(handle)
        yield from rows

    # -- listings as entries (ftpc) -------------------------------------------------------------

    def _entry_name(self, e):
        data = ffi.new("uint8_t **")
        n = ffi.new("size_t *")
        if lib.ftp_entry_name_bytes(e, data, n) == 0:
            return ffi.buffer(data[0], n[0])[:].decode(self.encoding, "surrogateescape")
        return _text(lib.ftp_entry_name(e), self.encoding)

    def _entry(self, e):
        data = ffi.new("uint8_t **")
        n = ffi.new("size_t *")
        raw = ffi.buffer(data[0], n[0])[:] if lib.ftp_entry_name_bytes(e, data, n) == 0 \
            else ffi.string(lib.ftp_entry_name(e))
        size = ffi.new("uint64_t *")
        mod = ffi.new("int64_t *")
        facts = {}
        for name in _KNOWN_FACTS:
            v = lib.ftp_entry_fact(e, name.encode())
            if v != ffi.NULL:
                facts[name] = _text(v, self.encoding)
        return Entry(
            raw.decode(self.encoding, "surrogateescape"), raw,
            _ENTRY_TYPES.get(lib.ftp_entry_type(e), "other"),
            int(size[0]) if lib.ftp_entry_size(e, size) == 0 else None,
            datetime.datetime.fromtimestamp(mod[0], datetime.timezone.utc)
            if lib.ftp_entry_modified(e, mod) == 0 else None,
            facts)

    def listdir(self, path=""):
        """The entries of `path` (MLSD where offered, parsed LIST otherwise; no ``.``/``..``),
        with retries, as a list of :class:`Entry`."""
        out = ffi.new("ftp_dir_list **")
        self._call(lib.ftp_dir_list_open, self._enc(path or None, "path"), out)
        lst = out[0]
        try:
            return [self._entry(lib.ftp_dir_list_entry(lst, i))
                    for i in range(lib.ftp_dir_list_count(lst))]
        finally:
            lib.ftp_dir_list_free(lst)

    def iter_entries(self, path="", use_list=False):
        """Stream the entries of `path` from MLSD (or LIST with `use_list`), parsed as they
        arrive; close the generator (or run it out) before the next command."""
        it = ffi.new("ftp_mlsd **")
        self._call(lib.ftp_list_open if use_list else lib.ftp_mlsd_open,
                   self._enc(path or None, "path"), it)
        handle = it[0]
        try:
            out = ffi.new("ftp_entry **")
            while True:
                with self._lock:
                    r = lib.ftp_mlsd_next(handle, out)
                    if r == lib.FTP_DONE:
                        return
                    if r < 0:
                        raise self._error(r)
                    entry = self._entry(out[0])
                yield entry
        finally:
            lib.ftp_mlsd_close(handle)

    def mlst(self, path=""):
        """MLST: facts about one path, as an :class:`Entry`."""
        out = ffi.new("ftp_entry **")
        self._call(lib.ftp_mlst, self._enc(path or None, "path"), out)
        try:
            return self._entry(out[0])
        finally:
            lib.ftp_entry_free(out[0])

    # -- transfers with progress and resume (ftpc) ------------------------------------------

    def download(self, remote, dest, *, rest=0, progress=None):
        """Download `remote` into `dest`: a binary file object (anything with ``write``), a
        callable taking bytes, or a local path (``rest`` > 0 appends there from that offset;
        ``rest=None`` resumes from the local file's length). Returns the bytes received."""
        if isinstance(dest, (str, bytes, os.PathLike)):
            resume = rest is None or rest > 0
            st = _CallState(self, self.encoding)
            st.on_progress = progress
            before = os.path.getsize(dest) if resume and os.path.exists(dest) else 0
            self._call(lib.ftp_retr_file, self._enc(remote, "remote"), self._path(dest), resume,
                       _progress(st), st.handle, state=st)
            return os.path.getsize(dest) - before
        write = dest if callable(dest) and not hasattr(dest, "write") else dest.write
        count = [0]

        def on_data(data):
            count[0] += len(data)
            write(data)
        st = _CallState(self, self.encoding)
        st.on_data = on_data
        st.on_progress = progress
        self.set_binary(True)
        self._call(lib.ftp_retr, self._enc(remote, "remote"), int(rest or 0), _write_cb,
                   _progress(st), st.handle, state=st)
        return count[0]

    def upload(self, src, remote, *, rest=0, append=False, progress=None, total=None):
        """Upload `src` (a binary file object, bytes-like, or a local path) to `remote`,
        from remote offset `rest` (REST+STOR), or appending (APPE). Bytes and paths are read
        from offset `rest` too (a file object is read from where it stands, as ftplib's
        storbinary does). The size of bytes and paths is known (`total`, the whole file's),
        so a short source fails. Returns the final reply."""
        if isinstance(src, (bytes, bytearray, memoryview)):
            total = len(src) if total is None else total
            src = io.BytesIO(memoryview(src).cast("B")[rest or 0:])
        if isinstance(src, (str, os.PathLike)):
            with open(src, "rb") as fp:
                if rest:
                    fp.seek(rest)
                return self.upload(fp, remote, rest=rest, append=append, progress=progress,
                                   total=os.fstat(fp.fileno()).st_size)
        return self.storbinary(("APPE " if append else "STOR ") + remote, src, rest=rest,
                               progress=progress, total=total)

    # -- the production layer (ftpc) ----------------------------------------------------------

    def set_retry_policy(self, policy=None, **kw):
        """Retry policy of download_file, upload_file, listdir, ensure_directory, sync and
        mirror: a :class:`RetryPolicy` or its fields as keywords."""
        policy = policy if policy is not None else RetryPolicy(**kw)
        self._call(lib.ftp_set_retry_policy, *RetryPolicy(*policy)._c_args())

    def on_retry(self, fn):
        """`fn(attempt, error, delay_seconds)` is told before each retry; returning False
        vetoes it (the call fails with that error); raising stops and is re-raised. None
        removes it. Usable as a decorator."""
        self._on_retry = fn
        return fn

    def download_file(self, remote, local, *, resume=True, progress=None):
        """Download `remote` to the local path through a partial file renamed into place
        when complete; retries transient failures and resumes (also a partial file left by
        an earlier call, with `resume`)."""
        st = _CallState(self, self.encoding)
        st.on_progress = progress
        self._call(lib.ftp_download_file, self._enc(remote, "remote"), self._path(local),
                   bool(resume), _progress(st), st.handle, state=st)

    def upload_file(self, local, remote, *, temporary_name=False, progress=None):
        """Upload the local path to `remote`, retrying transient failures by continuing
        where the server stopped and checking the size at the end; with `temporary_name`
        readers never see a partial file."""
        st = _CallState(self, self.encoding)
        st.on_progress = progress
        self._call(lib.ftp_upload_file, self._path(local), self._enc(remote, "remote"),
                   bool(temporary_name), _progress(st), st.handle, state=st)

    def ensure_directory(self, path):
        """``mkdir -p`` on the server."""
        self._call(lib.ftp_ensure_directory, self._enc(path, "path"))

    def _tree(self, fn, a, b, delete, dry_run, callback):
        st = _CallState(self, self.encoding)
        st.events = []
        st.on_sync = callback
        try:
            self._call(fn, a, b, bool(delete), bool(dry_run), _sync_cb, st.handle, state=st)
        except Error as e:
            e.events = st.events
            raise
        return st.events

    def sync(self, local_dir, remote_dir, *, delete=False, dry_run=False, callback=None):
        """Make `remote_dir` hold what `local_dir` holds (uploads, creates, with `delete`
        removes). Returns the :class:`SyncEvent` list; `callback(event)` sees each as it
        happens. When some path failed, raises the first failure with ``.events``."""
        return self._tree(lib.ftp_sync_directory, self._path(local_dir),
                          self._enc(remote_dir, "remote_dir"), delete, dry_run, callback)

    def mirror(self, remote_dir, local_dir, *, delete=False, dry_run=False, callback=None):
        """The reverse of sync: make `local_dir` hold what `remote_dir` holds."""
        return self._tree(lib.ftp_mirror_directory, self._enc(remote_dir, "remote_dir"),
                          self._path(local_dir), delete, dry_run, callback)


class _ControlConnection:
    """What ``FTP.sock`` gives while connected: true, and ``close()`` closes the session."""

    __slots__ = ("_ftp",)

    def __init__(self, ftp):
        self._ftp = ftp

    def close(self):
        self._ftp.close()

    def __repr__(self):
        return "<ftpc control connection of %r>" % (self._ftp,)


class DataConnection:
    """A data connection from ``transfercmd`` (socket-like: ``recv``, ``recv_into``,
    ``sendall``, ``send``, ``makefile``, ``close``; a context manager). Closing it before
    the end of a download aborts the transfer (ABOR); ``voidresp()`` on the session then
    gives the server's final reply."""

    def __init__(self, owner, data):
        self._owner = owner
        self._data = data
        self._eof = False
        self._wrote = False
        self._result = None  # False (fine) or the exception, once consumed
        self._finalizer = weakref.finalize(self, lib.ftp_data_abort, data)

    def __enter__(self):
        return self

    def __exit__(self, *args):
        self.close()

    def _check(self, r):
        if r < 0:
            with self._owner._lock:
                raise self._owner._error(r)
        return r

    def _consume(self, fn):
        """Ends the stream with ftp_data_close/_abort, once; keeps the outcome."""
        data, self._data = self._data, None
        if data is None:
            return
        self._finalizer.detach()
        owner = self._owner
        with owner._lock:
            if owner._data is self:
                owner._data = None
            r = fn(data)
            if r < 0 and owner._ftp is not None:
                self._result = owner._error(r)
            elif r < 0:
                self._result = make_error(r, 0, _text(lib.ftp_strerror(r)))
            else:
                self._result = False

    def _drop(self):
        """The session is going away: abort quietly."""
        self._consume(lib.ftp_data_abort)

    def _abort(self):
        self._consume(lib.ftp_data_abort)
        self._result = False if self._result is None else self._result

    def _finish(self):
        owner = self._owner
        self._consume(lib.ftp_data_close)
        if self._owner._data is self:
            owner._data = None
        if self._result:
            raise self._result
        line = owner._last_reply()
        if line[:1] not in ("2",):
            raise reply_error(line)
        return line

    def _live(self):
        if self._data is None:
            raise InvalidState("the data connection is closed", code=lib.FTP_ERR_INVALID_STATE)
        return self._data

    def recv(self, bufsize=65536):
        data = self._live()
        buf = ffi.new("uint8_t[]", max(1, bufsize))
        n = ffi.new("size_t *")
        self._check(lib.ftp_data_read(data, buf, bufsize, n))
        if n[0] == 0:
            self._eof = True
        return ffi.buffer(buf, n[0])[:]

    def recv_into(self, buffer, nbytes=0):
        data = self._live()
        mv = memoryview(buffer).cast("B")
        size = nbytes or len(mv)
        n = ffi.new("size_t *")
        self._check(lib.ftp_data_read(data, ffi.from_buffer(mv), size, n))
        if n[0] == 0:
            self._eof = True
        return n[0]

    def sendall(self, data):
        d = self._live()
        self._wrote = True
        mv = memoryview(data).cast("B")
        self._check(lib.ftp_data_write(d, ffi.from_buffer(mv), len(mv)))

    def send(self, data):
        self.sendall(data)
        return len(memoryview(data).cast("B"))

    def makefile(self, mode="rb", buffering=None, **_kw):
        raw = _DataRaw(self)
        if "b" not in mode:
            raise ValueError("only binary modes")
        if "r" in mode:
            return io.BufferedReader(raw) if buffering != 0 else raw
        return io.BufferedWriter(raw) if buffering != 0 else raw

    def unwrap(self):
        """ftplib calls this on TLS data sockets; the library closes TLS itself."""
        return self

    def close(self):
        """Close: after an upload or a download read to its end, the session's voidresp()
        reads the final reply; before the end of a download, the transfer is aborted."""
        if self._data is not None and not self._eof and self._is_download_unfinished():
            self._abort()

    def _is_download_unfinished(self):
        # A stream someone wrote to is an upload: keep it for voidresp() (close_notify and the
        # final reply come from ftp_data_close). Otherwise it was opened to read from.
        return not self._wrote

    def fileno(self):
        return -1


class _DataRaw(io.RawIOBase):
    def __init__(self, conn):
        self._conn = conn

    def readable(self):
        return True

    def writable(self):
        return True

    def readinto(self, b):
        return self._conn.recv_into(b)

    def write(self, b):
        self._conn.sendall(b)
        return len(memoryview(b).cast("B"))


class FTP_TLS(FTP):
    """Explicit FTPS (``AUTH TLS``) with ftplib's ``FTP_TLS`` signature, on libftpc.

    Certificates are verified by default against the system's CA store (SSL_CERT_FILE and
    SSL_CERT_DIR honoured) and the host name checked. TLS starts when connecting (not at
    ``auth()``) and data connections are protected (PROT P) by default, resuming the control
    connection's TLS session (strict servers such as vsftpd require it; ftplib cannot).

    ``context`` may be an ``ssl.SSLContext``; ftpc (rustls) takes from it: ``verify_mode``
    (CERT_NONE turns verification off), the CA certificates it loaded from a file
    (``get_ca_certs()``; certificates from ``load_default_certs`` are the system store, used
    anyway), and ``minimum_version``/``maximum_version``. ftpc keywords: ``cafile``,
    ``capath``, ``system_roots``, ``server_hostname``, ``pins`` (``sha256//BASE64``),
    ``certfile``/``keyfile`` (client certificate), ``implicit`` (TLS from the first byte,
    port 990), ``data_protection`` (``"private"`` or ``"clear"``), ``ccc``,
    ``allow_missing_close_notify``, ``verify=False`` (DANGEROUS: accepts anyone).
    """

    def __init__(self, host="", user="", passwd="", acct="", keyfile=None, certfile=None,
                 context=None, timeout=None, source_address=None, *, encoding="utf-8",
                 cafile=None, capath=None, system_roots=True, server_hostname=None, pins=(),
                 implicit=False, data_protection="private", ccc=False,
                 allow_missing_close_notify=False, verify=True, port=None, **options):
        if data_protection not in ("private", "clear"):
            raise ValueError("data_protection is 'private' or 'clear'")
        self.keyfile = keyfile
        self.certfile = certfile
        self.context = context
        self.cafile = cafile
        self.capath = capath
        self.system_roots = system_roots
        self.server_hostname = server_hostname
        self.pins = tuple(pins)
        self.implicit = implicit
        self._prot = data_protection
        self._ccc = ccc
        self._allow_missing_close_notify = allow_missing_close_notify
        self._verify = verify
        self._ca_tmp = None
        self._ca_finalizer = None
        FTP.__init__(self, host, user, passwd, acct, timeout, source_address, encoding=encoding,
                     port=port, **options)

    @property
    def _tls_level(self):
        if self.implicit:
            return lib.FTP_TLS_IMPLICIT
        return lib.FTP_TLS_ALL if self._prot == "private" else lib.FTP_TLS_CONTROL

    def _context_ca_file(self, ctx):
        certs = ctx.get_ca_certs(binary_form=True)
        if not certs:
            return None
        if self._ca_tmp is None:
            fd, path = tempfile.mkstemp(prefix="ftpc-ca-", suffix=".pem")
            with os.fdopen(fd, "w") as f:
                for der in certs:
                    f.write(ssl.DER_cert_to_PEM_cert(der))
            self._ca_tmp = path
            self._ca_finalizer = weakref.finalize(self, os.unlink, path)
        return self._ca_tmp

    def _tls_options(self, setter):
        setter(lib.ftp_options_set_tls, self._tls_level)
        setter(lib.ftp_options_set_tls_data_protection,
               lib.FTP_PROT_PRIVATE if self._prot == "private" else lib.FTP_PROT_CLEAR)
        verify = self._verify
        ctx = self.context
        if ctx is not None:
            if not isinstance(ctx, ssl.SSLContext):
                raise TypeError("context must be an ssl.SSLContext")
            if ctx.verify_mode == ssl.CERT_NONE:
                verify = False
            elif not ctx.check_hostname and not self.pins and self.server_hostname is None:
                raise ValueError("ftpc always checks the host name when verifying; pass "
                                 "server_hostname= or pins=, or use verify_mode=CERT_NONE")
            versions = {ssl.TLSVersion.TLSv1_2: lib.FTP_TLS_VERSION_1_2,
                        ssl.TLSVersion.TLSv1_3: lib.FTP_TLS_VERSION_1_3}
            lo = versions.get(ctx.minimum_version, lib.FTP_TLS_VERSION_1_2)
            hi = versions.get(ctx.maximum_version, lib.FTP_TLS_VERSION_1_3)
            if (lo, hi) != (lib.FTP_TLS_VERSION_1_2, lib.FTP_TLS_VERSION_1_3):
                setter(lib.ftp_options_set_tls_versions, lo, hi)
            if verify:
                ca = self._context_ca_file(ctx)
                if ca:
                    setter(lib.ftp_options_set_tls_ca_file, os.fsencode(ca))
        if not verify:
            setter(lib.ftp_options_dangerous_disable_tls_verification)
        if self.cafile:
            setter(lib.ftp_options_set_tls_ca_file, self._path(self.cafile))
        if self.capath:
            setter(lib.ftp_options_set_tls_ca_dir, self._path(self.capath))
        if not self.system_roots:
            setter(lib.ftp_options_set_tls_system_roots, False)
        for pin in self.pins:
            setter(lib.ftp_options_add_tls_pin, self._enc(pin, "pin"))
        if self.server_hostname:
            setter(lib.ftp_options_set_tls_server_name, self._enc(self.server_hostname))
        if self.certfile:
            setter(lib.ftp_options_set_tls_client_cert, self._path(self.certfile),
                   self._path(self.keyfile or self.certfile))
        if self._ccc:
            setter(lib.ftp_options_set_tls_ccc, True)
        if self._allow_missing_close_notify:
            setter(lib.ftp_options_set_tls_allow_missing_close_notify, True)

    def close(self):
        FTP.close(self)

    def auth(self):
        """TLS is started when connecting: this checks the control connection is protected
        and returns the reply to the last command."""
        if not self.is_tls():
            raise InvalidState("the control connection is not under TLS",
                               code=lib.FTP_ERR_INVALID_STATE)
        return self._last_reply()

    def login(self, user="", passwd="", acct="", secure=True):
        return FTP.login(self, user, passwd, acct)

    def prot_p(self):
        """Protected data connections: the default (PROT P is sent before the first data
        connection). Before connect() it switches back from prot_c()."""
        if self._ftp is not None and self._prot != "private":
            raise InvalidState("ftpc fixes data protection when connecting: create the "
                               "session with data_protection='private'",
                               code=lib.FTP_ERR_INVALID_STATE)
        self._prot = "private"
        return None

    def prot_c(self):
        """Clear data connections (PROT C). ftpc fixes data protection when connecting, so
        this works before connect() (or use FTP_TLS(data_protection="clear")); on a session
        connected with protected data it raises ftpc.InvalidState."""
        if self._ftp is not None and self._prot != "clear":
            raise InvalidState("ftpc fixes data protection when connecting: call prot_c() "
                               "before connect() or use FTP_TLS(data_protection='clear')",
                               code=lib.FTP_ERR_INVALID_STATE)
        self._prot = "clear"
        return None

    def ccc(self):
        """Clear the command channel after login; ftpc needs it before connect() (or
        FTP_TLS(ccc=True))."""
        if self._ftp is not None:
            raise InvalidState("ftpc sends CCC after login only when asked before connecting: "
                               "FTP_TLS(ccc=True)", code=lib.FTP_ERR_INVALID_STATE)
        self._ccc = True


def connect(url, password=None, **kwargs):
    """Connect to an ``ftp://``, ``ftpes://`` (explicit TLS) or ``ftps://`` (implicit TLS)
    URL and log in (anonymously when the URL names no user; `password` when it names a user
    but no password). Returns an FTP or FTP_TLS session whose ``url_path`` is the URL's
    decoded path. Keywords are those of FTP / FTP_TLS (cafile=..., timeout=...)."""
    scheme = url.split(":", 1)[0].lower()
    if scheme in ("ftps", "ftpes"):
        ftp = FTP_TLS(implicit=(scheme == "ftps"), **kwargs)
    else:
        ftp = FTP(**kwargs)
    ftp._open_url(url, password)
    return ftp
