"""ftpc's additions: errors with class and reply code, callbacks that raise, cancellation,
the GIL, closing and finalizers, the production layer, listings, URLs, TLS verification."""

import ftplib
import gc
import io
import os
import socket
import ssl
import threading
import time

import pytest

import ftpc
from ftpc import FTP, FTP_TLS
from conftest import CA, CERTS, PASSWORD, USER, payload, read, write


class Boom(Exception):
    pass


# -- errors -------------------------------------------------------------------------------------


def test_error_classes_and_codes(server, rdir):
    name, local = rdir
    with server.client() as ftp:
        with pytest.raises(ftpc.PermanentError) as e:
            ftp.size("%s/missing.bin" % name)
        err = e.value
        assert isinstance(err, ftplib.error_perm) and isinstance(err, ftpc.Error)
        assert err.code == ftpc.FTP_ERR_PERMANENT and err.name == "FTP_ERR_PERMANENT"
        assert err.reply_code == 550 and str(err).startswith("550")
        assert "missing.bin" in err.message
        with pytest.raises(ftpc.PermanentError) as e:
            ftp.cwd("no-such-dir")
        assert e.value.reply_code == 550
        # CR/LF and NUL never reach the server.
        with pytest.raises(ftpc.InvalidArgument) as e:
            ftp.delete("a\r\nDELE b")
        assert isinstance(e.value, ValueError) and e.value.reply_code == 0
        with pytest.raises(ftpc.InvalidArgument):
            ftp.delete("a\0b")
        assert ftp.pwd() == "/"


def test_connection_refused_is_oserror():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    ftp = FTP()
    with pytest.raises(ftpc.IOFailure) as e:
        ftp.connect("127.0.0.1", port)
    assert isinstance(e.value, OSError) and isinstance(e.value, ftplib.all_errors)
    assert e.value.code == ftpc.FTP_ERR_IO and e.value.reply_code == 0
    assert not ftp.connected


def _silent_listener():
    """A peer that accepts and never speaks (a stalled server)."""
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(4)
    return lst


def test_timeout_is_timeouterror():
    lst = _silent_listener()
    try:
        ftp = FTP(timeout=0.5)
        t0 = time.monotonic()
        with pytest.raises(ftpc.Timeout) as e:
            ftp.connect("127.0.0.1", lst.getsockname()[1])
        assert isinstance(e.value, TimeoutError) and e.value.code == ftpc.FTP_ERR_TIMEOUT
        assert time.monotonic() - t0 < 5
    finally:
        lst.close()


def test_closed_session_raises_invalid_state(pyftpd):
    ftp = pyftpd.client()
    ftp.quit()
    assert not ftp.connected
    with pytest.raises(ftpc.InvalidState):
        ftp.pwd()
    ftp.close()  # idempotent
    ftp.quit()


# -- callbacks that raise, re-entrancy ----------------------------------------------------------


def test_download_callback_raises(server, rdir):
    name, local = rdir
    data = payload(3_000_000, 5)
    write(os.path.join(local, "big.bin"), data)
    with server.client() as ftp:
        ftp.cwd(name)
        got = []

        def cb(block):
            got.append(block)
            if sum(map(len, got)) > 100_000:
                raise Boom("stop here")
        with pytest.raises(Boom, match="stop here"):
            ftp.retrbinary("RETR big.bin", cb)
        assert 100_000 < sum(map(len, got)) < len(data)
        # The session stays usable: the same download completes.
        out = io.BytesIO()
        ftp.retrbinary("RETR big.bin", out.write)
        assert out.getvalue() == data
        lines = []
        ftp.retrlines("LIST", lines.append)
        with pytest.raises(Boom):
            ftp.retrlines("LIST", lambda line: (_ for _ in ()).throw(Boom()))
        assert ftp.nlst()


def test_upload_source_raises(server, rdir):
    name, local = rdir

    class Failing(io.RawIOBase):
        def __init__(self):
            self.n = 0

        def readable(self):
            return True

        def readinto(self, b):
            self.n += 1
            if self.n > 3:
                raise Boom("disk on fire")
            b[:1000] = b"z" * 1000
            return 1000
    with server.client() as ftp:
        ftp.cwd(name)
        with pytest.raises(Boom, match="disk on fire"):
            ftp.storbinary("STOR part.bin", Failing())
        # Never a "complete" short file silently: either absent or shorter than asked.
        assert ftp.voidcmd("NOOP").startswith("200")
        ftp.storbinary("STOR ok.bin", io.BytesIO(b"fine"))
        assert read(os.path.join(local, "ok.bin")) == b"fine"


def test_progress_raises_in_download_file(server, rdir, tmp_path):
    name, local = rdir
    write(os.path.join(local, "p.bin"), payload(2_000_000, 6))
    dest = tmp_path / "p.bin"
    with server.client(block_size=16384) as ftp:
        def progress(done, total):
            if done > 50_000:
                raise KeyboardInterrupt  # what Ctrl-C looks like inside a callback
        with pytest.raises(KeyboardInterrupt):
            ftp.download_file("%s/p.bin" % name, dest, progress=progress)
        assert not dest.exists()  # only the partial file, never the final name
        ftp.download_file("%s/p.bin" % name, dest)
        assert read(dest) == read(os.path.join(local, "p.bin"))


def test_calling_the_session_inside_its_callback_is_busy(pyftpd):
    name, local = pyftpd.new_dir()
    write(os.path.join(local, "f"), b"x" * 10)
    with pyftpd.client() as ftp:
        with pytest.raises(ftpc.Busy):
            ftp.retrbinary("RETR %s/f" % name, lambda b: ftp.pwd())
        assert ftp.pwd() == "/"


# -- cancellation and the GIL -------------------------------------------------------------------


def test_cancel_from_another_thread(server, rdir):
    name, local = rdir
    write(os.path.join(local, "slow.bin"), payload(4_000_000, 7))
    with server.client(block_size=8192) as ftp:
        ftp.cwd(name)
        timer = threading.Timer(0.3, ftp.cancel)
        timer.start()
        t0 = time.monotonic()
        with pytest.raises(ftpc.Cancelled) as e:
            ftp.retrbinary("RETR slow.bin", lambda b: time.sleep(0.005))
        assert time.monotonic() - t0 < 10
        assert isinstance(e.value, ftpc.Aborted) and e.value.code == ftpc.FTP_ERR_ABORTED
        timer.join()
        assert ftp.pwd() == "/" + name  # still where it was, even if it had to reconnect
        assert ftp.size("slow.bin") == 4_000_000  # usable afterwards
        out = io.BytesIO()
        ftp.retrbinary("RETR slow.bin", out.write)  # a cancel does not outlive its call
        assert len(out.getvalue()) == 4_000_000


class Ticker:
    """Another Python thread that counts while the main thread is inside a C call."""

    def __init__(self):
        self.ticks = 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.ticks += 1
            time.sleep(0.001)

    def __enter__(self):
        self._t.start()
        return self

    def __exit__(self, *a):
        self._stop.set()
        self._t.join()


def test_gil_released_while_waiting():
    """No callbacks at all: connecting to a peer that never greets waits inside C."""
    lst = _silent_listener()
    try:
        ftp = FTP(timeout=1.0)
        with Ticker() as t:
            before = t.ticks
            with pytest.raises(ftpc.Timeout):
                ftp.connect("127.0.0.1", lst.getsockname()[1])
            during = t.ticks - before
        # ~1000 ticks in a second when the GIL is free; ~0 when a call holds it.
        assert during > 200, during
    finally:
        lst.close()


def test_gil_released_during_transfer(server, rdir, tmp_path):
    name, local = rdir
    data = payload(30_000_000, 8)
    write(os.path.join(local, "large.bin"), data)
    with server.client() as ftp:
        with Ticker() as t:
            before, t0 = t.ticks, time.monotonic()
            ftp.download_file("%s/large.bin" % name, tmp_path / "large.bin")
            during, elapsed = t.ticks - before, time.monotonic() - t0
        assert read(tmp_path / "large.bin") == data
        # The ticker sleeps 1 ms per tick: it runs at a good fraction of its free rate.
        assert during > elapsed * 1000 * 0.3, (during, elapsed)


# -- closing and finalizers ----------------------------------------------------------------------


def _fds():
    return len(os.listdir("/proc/self/fd"))


def test_unclosed_sessions_are_freed(server):
    gc.collect()
    base = _fds()
    for _ in range(10):
        ftp = server.client()
        ftp.pwd()
        del ftp
    gc.collect()
    assert _fds() <= base + 1


def test_context_manager_closes(server):
    with server.client() as ftp:
        assert ftp.connected and ftp.sock  # ftplib code tests `ftp.sock` for an open session
        assert ftp.lastresp.isdigit()
    assert not ftp.connected and ftp.sock is None


def test_exception_inside_with_block_closes(server):
    with pytest.raises(Boom):
        with server.client() as ftp:
            raise Boom()
    assert not ftp.connected


# -- production layer -------------------------------------------------------------------------


def test_download_upload_file_with_progress(server, rdir, tmp_path):
    name, local = rdir
    data = payload(1_000_000, 9)
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    with server.client() as ftp:
        seen = []
        ftp.upload_file(src, "%s/up.bin" % name, temporary_name=True,
                        progress=lambda d, t: seen.append((d, t)))
        assert read(os.path.join(local, "up.bin")) == data
        assert seen[-1] == (len(data), len(data))
        assert all(a[0] <= b[0] for a, b in zip(seen, seen[1:]))
        seen.clear()
        ftp.download_file("%s/up.bin" % name, tmp_path / "down.bin",
                          progress=lambda d, t: seen.append((d, t)))
        assert read(tmp_path / "down.bin") == data
        assert seen[-1][0] == len(data) and seen[-1][1] in (None, len(data))


def test_download_file_resumes_partial(server, rdir, tmp_path):
    name, local = rdir
    data = payload(600_000, 10)
    write(os.path.join(local, "r.bin"), data)
    dest = tmp_path / "r.bin"
    (tmp_path / ".r.bin.ftpc-part").write_bytes(data[:250_000])
    seen = []
    with server.client() as ftp:
        ftp.download_file("%s/r.bin" % name, dest, resume=True,
                          progress=lambda d, t: seen.append(d))
    assert read(dest) == data
    assert seen[0] > 250_000  # continued after the partial file, counted from the start


def test_resume_by_hand_in_memory(server, rdir, tmp_path):
    name, local = rdir
    data = payload(300_000, 11)
    with server.client() as ftp:
        ftp.cwd(name)
        ftp.upload(data[:100_000], "u.bin")
        ftp.upload(data, "u.bin", rest=100_000)  # memoryview source; REST + STOR
        assert read(os.path.join(local, "u.bin")) == data
        ftp.upload(b"tail", "u.bin", append=True)
        assert read(os.path.join(local, "u.bin")) == data + b"tail"
        part = tmp_path / "part.bin"
        part.write_bytes(data[:123])
        n = ftp.download("u.bin", part, rest=None)  # continue from the local length
        assert read(part) == data + b"tail" and n == len(data) + 4 - 123
        buf = io.BytesIO()
        ftp.download("u.bin", buf, rest=1000, progress=lambda d, t: None)
        assert buf.getvalue() == (data + b"tail")[1000:]


def test_short_source_with_known_total_fails(pyftpd):
    name, local = pyftpd.new_dir()
    with pyftpd.client() as ftp:
        with pytest.raises(ftpc.Error) as e:
            ftp.storbinary("STOR %s/short.bin" % name, io.BytesIO(b"x" * 10), total=100)
        assert e.value.code == ftpc.FTP_ERR_IO
        assert ftp.pwd() == "/"


def test_ensure_directory_and_listdir(server, rdir):
    name, local = rdir
    with server.client() as ftp:
        ftp.ensure_directory("%s/a/b/c" % name)
        ftp.ensure_directory("%s/a/b/c" % name)  # exists: fine
        assert os.path.isdir(os.path.join(local, "a", "b", "c"))
        write(os.path.join(local, "a", "f.txt"), b"12345")
        entries = {e.name: e for e in ftp.listdir("%s/a" % name)}
        assert set(entries) == {"b", "f.txt"}
        assert entries["b"].is_dir and entries["f.txt"].is_file
        assert entries["f.txt"].size == 5 and entries["f.txt"].name_bytes == b"f.txt"
        assert entries["f.txt"].modified.year >= 2020
        streamed = sorted(e.name for e in ftp.iter_entries("%s/a" % name,
                                                           use_list=not server.has_mlsd)
                          if e.type in ("file", "dir"))
        assert streamed == ["b", "f.txt"]
        if server.has_mlsd:
            assert ftp.mlst("%s/a/f.txt" % name).size == 5


def test_sync_and_mirror(server, rdir, tmp_path):
    name, local = rdir
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "one.txt").write_bytes(b"one")
    (src / "sub" / "two.bin").write_bytes(payload(50_000, 12))
    with server.client() as ftp:
        plan = ftp.sync(src, "%s/tree" % name, dry_run=True)
        assert {e.path for e in plan if e.action == "uploaded"} == {"one.txt", "sub/two.bin"}
        assert not os.path.exists(os.path.join(local, "tree", "one.txt"))
        seen = []
        events = ftp.sync(src, "%s/tree" % name, callback=seen.append)
        assert seen == events
        assert read(os.path.join(local, "tree", "sub", "two.bin")) == \
            (src / "sub" / "two.bin").read_bytes()
        again = ftp.sync(src, "%s/tree" % name)
        assert {e.action for e in again} <= {"skipped"}
        dest = tmp_path / "mirror"
        events = ftp.mirror("%s/tree" % name, dest)
        assert {e.path for e in events if e.action == "downloaded"} == {"one.txt", "sub/two.bin"}
        assert (dest / "one.txt").read_bytes() == b"one"
        (src / "one.txt").unlink()
        events = ftp.sync(src, "%s/tree" % name, delete=True)
        assert any(e.action == "deleted" and e.path == "one.txt" for e in events)
        assert not os.path.exists(os.path.join(local, "tree", "one.txt"))
        with pytest.raises(Boom):
            ftp.mirror("%s/tree" % name, tmp_path / "m2",
                       callback=lambda ev: (_ for _ in ()).throw(Boom()))


def test_retry_policy_applies_to_connecting():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    t0 = time.monotonic()
    with pytest.raises(ftpc.IOFailure):
        FTP().connect("127.0.0.1", port)
    once = time.monotonic() - t0
    ftp = FTP(retry=ftpc.RetryPolicy(max_attempts=3, initial_delay=0.2, multiplier=2.0,
                                     jitter=0))
    t0 = time.monotonic()
    with pytest.raises(ftpc.IOFailure):
        ftp.connect("127.0.0.1", port)
    assert time.monotonic() - t0 >= 0.55 > once  # waited 0.2 s, then 0.4 s


def test_set_retry_policy_on_session(pyftpd, tmp_path):
    calls = []
    with pyftpd.client(on_retry=lambda *a: calls.append(a)) as ftp:
        ftp.set_retry_policy(max_attempts=2, initial_delay=0.01)
        with pytest.raises(ftpc.PermanentError):  # permanent: not retried
            ftp.download_file("missing.bin", tmp_path / "x")
        assert calls == []


# -- URLs, TLS ----------------------------------------------------------------------------------


def test_connect_url(server, rdir):
    name, local = rdir
    write(os.path.join(local, "u.txt"), b"via url")
    with ftpc.connect(server.url(name + "/u.txt"), PASSWORD, **server.tls_kwargs()) as ftp:
        assert ftp.url_path == "/%s/u.txt" % name or ftp.url_path == "%s/u.txt" % name
        out = io.BytesIO()
        ftp.retrbinary("RETR " + ftp.url_path, out.write)
        assert out.getvalue() == b"via url"
        assert isinstance(ftp, FTP_TLS) == server.tls


def test_tls_verified_and_session_reused(tls_server, tmp_path):
    name, local = tls_server.new_dir()
    write(os.path.join(local, "s.bin"), payload(100_000, 13))
    with tls_server.client() as ftp:
        assert ftp.is_tls() and ftp.auth().startswith("2")
        assert ftp.last_data_tls_resumed() is None
        ftp.download_file("%s/s.bin" % name, tmp_path / "s.bin")
        ftp.retrbinary("RETR %s/s.bin" % name, lambda b: None)
        assert ftp.last_data_tls_resumed() is True


def test_tls_wrong_ca_fails(tls_server):
    ftp = FTP_TLS(cafile=os.path.join(CERTS, "selfsigned.pem"))
    with pytest.raises(ftpc.TLSError) as e:
        ftp.connect("127.0.0.1", tls_server.port)
    assert isinstance(e.value, ssl.SSLError) and e.value.code == ftpc.FTP_ERR_TLS
    assert not ftp.connected


def test_tls_default_uses_system_roots_only(tls_server):
    with pytest.raises(ftpc.TLSError):
        FTP_TLS().connect("127.0.0.1", tls_server.port)  # the test CA is not a system root


def test_tls_wrong_name_fails(tls_server):
    with pytest.raises(ftpc.TLSError):
        FTP_TLS(cafile=CA, server_hostname="not-this-host.example").connect(
            "127.0.0.1", tls_server.port)


def test_tls_ssl_context(tls_server):
    ctx = ssl.create_default_context(cafile=CA)
    with FTP_TLS(context=ctx) as ftp:
        ftp.connect("127.0.0.1", tls_server.port)
        ftp.login(USER, PASSWORD)
        assert ftp.nlst() is not None
    bad = ssl.create_default_context(cafile=os.path.join(CERTS, "selfsigned.pem"))
    with pytest.raises(ftpc.TLSError):
        FTP_TLS(context=bad).connect("127.0.0.1", tls_server.port)


def test_prot_c_before_connect_and_after(tls_server):
    name, local = tls_server.new_dir()
    write(os.path.join(local, "c.txt"), b"clear data")
    ftps = FTP_TLS(cafile=CA)
    ftps.prot_c()
    with ftps:
        ftps.connect("127.0.0.1", tls_server.port)
        ftps.login(USER, PASSWORD)
        out = io.BytesIO()
        ftps.retrbinary("RETR %s/c.txt" % name, out.write)
        assert out.getvalue() == b"clear data"
    with tls_server.client() as ftp:
        with pytest.raises(ftpc.InvalidState):
            ftp.prot_c()
        ftp.prot_p()  # already so



def test_data_stream_closed_early_and_session_closed_under_it(server, rdir):
    name, local = rdir
    write(os.path.join(local, "big.bin"), payload(5_000_000, 14))
    with server.client(reply_timeout=10) as ftp:
        ftp.cwd(name)
        conn = ftp.transfercmd("RETR big.bin")
        assert len(conn.recv(1000)) > 0
        conn.close()  # before the end: ABOR
        try:
            ftp.voidresp()
        except ftplib.all_errors:
            pass
        assert ftp.size("big.bin") == 5_000_000
        assert ftp.abort()[:3] in ("225", "226")  # ABOR outside a transfer, as ftplib's abort()
        conn = ftp.transfercmd("RETR big.bin")
        conn.recv(1000)
        t0 = time.monotonic()
        ftp.close()  # no network: the stream is dropped after the session
        assert time.monotonic() - t0 < 2
        with pytest.raises(ftpc.InvalidState):
            conn.recv(1000)
    t0 = time.monotonic()
    with server.client(reply_timeout=10) as ftp:
        conn = ftp.transfercmd("RETR %s/big.bin" % name)
        conn.recv(1000)
    assert time.monotonic() - t0 < 8  # QUIT with a stream open ends without hanging
    del conn
    gc.collect()


def test_implicit_tls(_server_pool, tmp_path):
    from conftest import Server
    s = _server_pool.get("pyftpdlib-implicit")
    if s is None:
        s = Server("pyftpdlib-tls")
        s.name = "pyftpdlib-implicit"
        s.root = s.root.replace("pyftpdlib-tls", "pyftpdlib-implicit")
        s.implicit = True
        s.start()
        _server_pool[s.name] = s
    name, local = s.new_dir()
    write(os.path.join(local, "i.bin"), b"implicit")
    with FTP_TLS(cafile=CA, implicit=True) as ftp:
        ftp.connect("127.0.0.1", s.port)
        ftp.login(USER, PASSWORD)
        out = io.BytesIO()
        ftp.retrbinary("RETR %s/i.bin" % name, out.write)
        assert out.getvalue() == b"implicit" and ftp.is_tls()
    with ftpc.connect("ftps://%s@127.0.0.1:%d/%s/i.bin" % (USER, s.port, name), PASSWORD,
                      cafile=CA) as ftp:
        assert isinstance(ftp, FTP_TLS) and ftp.size(ftp.url_path) == 8


def test_ctrl_c_stops_a_download(server, rdir, tmp_path):
    """A real SIGINT during download_file (no callback of the caller's): KeyboardInterrupt
    reaches the caller, the transfer stops, the session stays usable."""
    import signal
    name, local = rdir
    write(os.path.join(local, "k.bin"), payload(40_000_000, 15))
    with server.client(block_size=4096) as ftp:
        part = tmp_path / ".k.bin.ftpc-part"

        def interrupt_when_under_way():
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                if part.exists() and part.stat().st_size >= 1_000_000:
                    break
                time.sleep(0.0005)
            os.kill(os.getpid(), signal.SIGINT)
        timer = threading.Thread(target=interrupt_when_under_way)
        timer.start()
        t0 = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            ftp.download_file("%s/k.bin" % name, tmp_path / "k.bin")
            time.sleep(5)  # (the transfer was faster than the signal: fail below)
        timer.join()
        assert time.monotonic() - t0 < 4
        assert not (tmp_path / "k.bin").exists()
        assert ftp.size("%s/k.bin" % name) == 40_000_000


def test_close_from_another_thread_interrupts(server, rdir):
    name, local = rdir
    write(os.path.join(local, "c.bin"), payload(4_000_000, 16))
    ftp = server.client(block_size=8192)
    timer = threading.Timer(0.3, ftp.close)
    timer.start()
    t0 = time.monotonic()
    with pytest.raises(ftpc.Cancelled):
        ftp.retrbinary("RETR %s/c.bin" % name, lambda b: time.sleep(0.005))
    timer.join()
    assert time.monotonic() - t0 < 5
    assert not ftp.connected


def test_close_inside_own_callback_is_busy(pyftpd):
    name, local = pyftpd.new_dir()
    write(os.path.join(local, "f"), b"x" * 10)
    with pyftpd.client() as ftp:
        with pytest.raises(ftpc.Busy):
            ftp.retrbinary("RETR %s/f" % name, lambda b: ftp.close())
        assert ftp.pwd() == "/"


def test_sessions_on_several_threads(server, rdir):
    name, local = rdir
    files = {"f%d.bin" % i: payload(1_000_000, 30 + i) for i in range(6)}
    for n, d in files.items():
        write(os.path.join(local, n), d)
    results, errors = {}, []

    def worker(n):
        try:
            with server.client() as ftp:
                out = io.BytesIO()
                ftp.retrbinary("RETR %s/%s" % (name, n), out.write)
                ftp.upload(out.getvalue(), "%s/copy-%s" % (name, n))
                results[n] = out.getvalue()
        except BaseException as e:  # noqa: B902
            errors.append(e)
    threads = [threading.Thread(target=worker, args=(n,)) for n in files]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert results == files
    for n, d in files.items():
        assert read(os.path.join(local, "copy-" + n)) == d
