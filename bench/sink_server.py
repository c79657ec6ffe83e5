#!/usr/bin/env python3
"""A minimal FTP server for the benchmark's client-alone cases (bench/bench.py): it costs the
client as little waiting as possible, so what is measured is the client.

    sink_server.py --root DIR [--tls --cert PEM --key PEM] [--log FILE] [--port N]

Binds 127.0.0.1 only (port 0, the default, picks a free one), prints `READY <port>` on stdout
once it accepts connections, and runs until SIGTERM/SIGINT or until its standard input closes
(like scripts/servers/ftpserver.py). One thread per control connection; passive mode only
(EPSV, PASV), the data connection accepted (and its TLS handshake done) as soon as it comes,
as pyftpdlib and vsftpd do.

RETR serves DIR/NAME (any directory in the path is ignored; REST is honoured): plain with
os.sendfile() from the page cache, over TLS with `sendall` of 4 MiB memoryview slices of the
file, read into memory at start (every file in DIR, so no run pays for it). STOR receives
into one reused 1 MiB buffer and discards the bytes; it counts them and replies 226 only
after the whole stream, with the count in the reply. Every transfer appends "RETR|STOR NAME BYTES" to --log (before the 226), so the bench
can check the byte count of every run.

TLS (--tls): explicit, AUTH TLS (or SSL) on the control connection; data connections are
protected after PROT P, with the same SSLContext (so clients can resume the session).

Commands: USER, PASS (any password), SYST, FEAT, PWD, CWD, CDUP, TYPE, EPSV, PASV, SIZE,
MDTM, REST, RETR, STOR, QUIT, NOOP, OPTS UTF8, AUTH, PBSZ, PROT; 502 to everything else.
Not a real server: no files are written, no users are checked.
"""

import argparse
import os
import signal
import socket
import ssl
import sys
import threading
import time

SEND_SLICE = 4 << 20
RECV_BUFFER = 1 << 20


class Files:
    """The files RETR serves: open descriptors (plain) and contents (TLS), loaded once."""

    def __init__(self, root):
        self.root = root
        self.lock = threading.Lock()
        self.contents = {}

    def path(self, name):
        base = os.path.basename(name.rstrip("/"))
        path = os.path.join(self.root, base)
        return path if base and os.path.isfile(path) else None

    def preload(self):
        for name in sorted(os.listdir(self.root)):
            path = os.path.join(self.root, name)
            if os.path.isfile(path):
                self.content(path)

    def content(self, path):
        with self.lock:
            data = self.contents.get(path)
            if data is None:
                with open(path, "rb") as f:
                    data = memoryview(f.read())
                self.contents[path] = data
            return data


class Passive:
    """A passive data connection being accepted (and its TLS handshake done) in a thread."""

    def __init__(self, listener, ctx):
        self.listener = listener
        self.ctx = ctx
        self.conn = None
        self.done = threading.Event()
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        try:
            conn, _ = self.listener.accept()
            conn.settimeout(None)
            # Else Nagle holds a transfer's last small record (or close_notify) until the
            # client's delayed ACK: 40 ms per transfer.
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.ctx is not None:
                conn = self.ctx.wrap_socket(conn, server_side=True)
            self.conn = conn
        except (OSError, ValueError):
            pass
        finally:
            self.listener.close()
            self.done.set()

    def connection(self):
        """The accepted connection, or None (none within 30 s, or the handshake failed)."""
        self.done.wait()
        return self.conn

    def close(self):
        """Drops a connection that was not used (a second EPSV, the session ends)."""
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept
        except OSError:
            pass
        self.done.wait()
        if self.conn is not None:
            self.conn.close()


class Session(threading.Thread):
    def __init__(self, conn, ctx, files, log):
        super().__init__(daemon=True)
        self.conn = conn
        self.ctx = ctx
        self.files = files
        self.log = log
        self.reader = conn.makefile("rb")
        self.protect = False
        self.passive = None
        self.offset = 0

    def reply(self, text):
        self.conn.sendall(text.encode() + b"\r\n")

    def run(self):
        try:
            self.reply("220 ftpc bench sink server")
            while True:
                line = self.reader.readline()
                if not line:
                    return
                line = line.decode("utf-8", "replace").rstrip("\r\n")
                verb, _, arg = line.partition(" ")
                verb = verb.upper()
                handler = getattr(self, "cmd_" + verb, None)
                if handler is None:
                    self.reply(f"502 {verb} not implemented")
                elif handler(arg) is False:
                    return
        except (OSError, ValueError):
            pass
        finally:
            self.close_passive()
            try:
                self.conn.close()
            except OSError:
                pass

    def cmd_USER(self, arg):
        self.reply("331 Password please")

    def cmd_PASS(self, arg):
        self.reply("230 Logged in")

    def cmd_SYST(self, arg):
        self.reply("215 UNIX Type: L8")

    def cmd_FEAT(self, arg):
        lines = ["211-Features:", " EPSV", " PASV", " SIZE", " MDTM", " REST STREAM", " UTF8"]
        if self.ctx is not None:
            lines += [" AUTH TLS", " PBSZ", " PROT"]
        self.conn.sendall(("\r\n".join(lines + ["211 End"]) + "\r\n").encode())

    def cmd_PWD(self, arg):
        self.reply('257 "/" is the current directory')

    def cmd_CWD(self, arg):
        self.reply("250 OK")

    def cmd_CDUP(self, arg):
        self.reply("250 OK")

    def cmd_TYPE(self, arg):
        self.reply(f"200 Type set to {arg}")

    def cmd_NOOP(self, arg):
        self.reply("200 OK")

    def cmd_OPTS(self, arg):
        if arg.upper().startswith("UTF8"):
            self.reply("200 UTF8 on")
        else:
            self.reply("501 Option not understood")

    def cmd_QUIT(self, arg):
        self.reply("221 Bye")
        return False

    def cmd_AUTH(self, arg):
        if self.ctx is None or arg.upper() not in ("TLS", "SSL", "TLS-C"):
            self.reply("502 No TLS here")
            return
        self.reply("234 AUTH TLS OK")
        self.conn = self.ctx.wrap_socket(self.conn, server_side=True)
        self.reader = self.conn.makefile("rb")

    def cmd_PBSZ(self, arg):
        self.reply("200 PBSZ=0")

    def cmd_PROT(self, arg):
        level = arg.upper()
        if level not in ("P", "C") or (level == "P" and self.ctx is None):
            self.reply("536 Protection level not supported")
            return
        self.protect = level == "P"
        self.reply(f"200 Protection level {level}")

    def open_passive(self):
        """Listens for the data connection and accepts it at once, in a thread of its own,
        with the TLS handshake when PROT P is on: curl waits on a data connection's handshake
        before it reads the control connection again, so a server that accepted only at RETR
        would cost it a 200 ms stall per transfer."""
        self.close_passive()
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(30)
        passive = Passive(listener, self.ctx if self.protect else None)
        self.passive = passive
        return listener.getsockname()[1]

    def close_passive(self):
        if self.passive is not None:
            self.passive.close()
            self.passive = None

    def cmd_EPSV(self, arg):
        if arg.upper() == "ALL":
            self.reply("200 EPSV ALL OK")
            return
        port = self.open_passive()
        self.reply(f"229 Entering Extended Passive Mode (|||{port}|)")

    def cmd_PASV(self, arg):
        port = self.open_passive()
        self.reply(f"227 Entering Passive Mode (127,0,0,1,{port >> 8},{port & 255})")

    def cmd_SIZE(self, arg):
        path = self.files.path(arg)
        if path is None:
            self.reply("550 No such file")
        else:
            self.reply(f"213 {os.path.getsize(path)}")

    def cmd_MDTM(self, arg):
        path = self.files.path(arg)
        if path is None:
            self.reply("550 No such file")
        else:
            stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime(os.path.getmtime(path)))
            self.reply(f"213 {stamp}")

    def cmd_REST(self, arg):
        try:
            self.offset = int(arg)
        except ValueError:
            self.reply("501 Bad offset")
            return
        self.reply(f"350 Restarting at {self.offset}")

    def data_connection(self):
        """The data connection (after 150), wrapped in TLS after PROT P."""
        if self.passive is None:
            self.reply("425 Use EPSV or PASV first")
            return None
        self.reply("150 Opening data connection")
        passive, self.passive = self.passive, None
        data = passive.connection()
        if data is None:
            self.reply("425 No data connection")
        return data

    def end_data(self, data):
        """Closes a data connection, with close_notify under TLS (then waits, up to 10 s,
        for the client's close_notify or close, which every client sends at the end)."""
        try:
            if isinstance(data, ssl.SSLSocket):
                data.settimeout(10)
                data = data.unwrap()
        except (OSError, ValueError):
            pass
        try:
            data.close()
        except OSError:
            pass

    def cmd_RETR(self, arg):
        offset, self.offset = self.offset, 0
        path = self.files.path(arg)
        if path is None:
            self.close_passive()
            self.reply("550 No such file")
            return
        data = self.data_connection()
        if data is None:
            return
        sent = 0
        try:
            if isinstance(data, ssl.SSLSocket):
                content = self.files.content(path)
                for start in range(offset, len(content), SEND_SLICE):
                    chunk = content[start:start + SEND_SLICE]
                    data.sendall(chunk)
                    sent += len(chunk)
            else:
                with open(path, "rb") as f:
                    size = os.fstat(f.fileno()).st_size
                    position = offset
                    while position < size:
                        n = os.sendfile(data.fileno(), f.fileno(), position, size - position)
                        if n == 0:
                            break
                        position += n
                        sent += n
        except OSError as e:
            self.end_data(data)
            self.record("RETR", arg, sent, f"failed: {e}")
            self.reply(f"426 Transfer aborted after {sent} bytes")
            return
        self.end_data(data)
        self.record("RETR", arg, sent)
        self.reply(f"226 Transfer complete, {sent} bytes sent")

    def cmd_STOR(self, arg):
        self.offset = 0
        data = self.data_connection()
        if data is None:
            return
        buffer = bytearray(RECV_BUFFER)
        received = 0
        try:
            while True:
                n = data.recv_into(buffer)
                if n == 0:
                    break
                received += n
        except OSError as e:
            self.end_data(data)
            self.record("STOR", arg, received, f"failed: {e}")
            self.reply(f"426 Transfer aborted after {received} bytes")
            return
        self.end_data(data)
        self.record("STOR", arg, received)
        self.reply(f"226 Transfer complete, {received} bytes received")

    def record(self, verb, name, nbytes, note=""):
        if self.log is not None:
            with self.log[1]:
                self.log[0].write(f"{verb} {name} {nbytes}{' ' + note if note else ''}\n")
                self.log[0].flush()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--tls", action="store_true")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--log")
    args = ap.parse_args()
    ctx = None
    if args.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)
    files = Files(args.root)
    if args.tls:
        files.preload()
    log = (open(args.log, "a"), threading.Lock()) if args.log else None
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", args.port))
    listener.listen(16)

    def stop(*_):
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    def watch_stdin():
        while sys.stdin.buffer.read(65536):
            pass
        stop()

    threading.Thread(target=watch_stdin, daemon=True).start()
    print(f"READY {listener.getsockname()[1]}", flush=True)
    while True:
        conn, _ = listener.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        Session(conn, ctx, files, log).start()


if __name__ == "__main__":
    main()
