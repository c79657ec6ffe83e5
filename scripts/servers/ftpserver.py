#!/usr/bin/env python3
"""Starts one real FTP server on 127.0.0.1 for ftpc's tests and demo.

    ftpserver.py pyftpdlib|vsftpd --root DIR [--port N] [--tls none|explicit|implicit]
                 [--cert PEM --key PEM] [--tls-required] [--host 127.0.0.1]

Prints `READY <port>` on stdout once the server accepts connections, then runs until it is
sent SIGTERM or SIGINT, or its standard input closes (so a test harness that dies takes its
servers with it). Port 0 (the default) picks a free port.

pyftpdlib runs in this process (run it with the venv's python, see install.sh). vsftpd runs as
a child, from the Debian build install.sh unpacked into target/servers, with a config written
next to the root; it must run as root and logs in the local user `ftpctest` (install.sh creates
it) through the PAM service `ftpc-vsftpd`.
"""

import argparse
import os
import pwd
import signal
import socket
import subprocess
import sys
import threading
import time

USER = "ftpctest"
PASSWORD = "ftpc-test-pw"
TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SERVERS = os.path.join(TOP, "target", "servers")
PAM_SERVICE = "ftpc-vsftpd"
INSTALL = "run scripts/servers/install.sh (as root)"


def free_port(host):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def wait_listening(host, port, timeout=10.0, child=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child is not None and child.poll() is not None:
            return False
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.02)
    return False


def exit_when_stdin_closes(on_exit):
    def watch():
        try:
            while sys.stdin.buffer.read(1):
                pass
        except Exception:
            pass
        on_exit()

    threading.Thread(target=watch, daemon=True).start()


def run_pyftpdlib(args):
    from pyftpdlib.authorizers import DummyAuthorizer
    from pyftpdlib.handlers import FTPHandler
    from pyftpdlib.servers import FTPServer

    authorizer = DummyAuthorizer()
    authorizer.add_user(USER, PASSWORD, args.root, perm="elradfmwMT")
    if args.tls == "none":
        handler = FTPHandler
    else:
        from pyftpdlib.handlers import TLS_FTPHandler

        class ExplicitTLS(TLS_FTPHandler):
            certfile = args.cert
            keyfile = args.key
            tls_control_required = args.tls_required
            tls_data_required = args.tls_required

        class ImplicitTLS(ExplicitTLS):
            """TLS from the first byte: handshake on accept, banner after it."""

            def handle(self):
                self.secure_connection(self.ssl_context)

            def handle_ssl_established(self):
                TLS_FTPHandler.handle(self)

        handler = ImplicitTLS if args.tls == "implicit" else ExplicitTLS
        if args.client_ca:
            from OpenSSL import SSL

            context = handler.get_ssl_context()
            context.set_verify(
                SSL.VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT,
                lambda _conn, _cert, _err, _depth, ok: bool(ok),
            )
            context.load_verify_locations(args.client_ca)
            # OpenSSL refuses to resume sessions under peer verification without this.
            context.set_session_id(b"ftpc-test")
    handler.authorizer = authorizer
    handler.banner = "ftpc test server (pyftpdlib) ready"
    handler.permit_foreign_addresses = False
    server = FTPServer((args.host, args.port), handler)
    server.max_cons = 256
    port = server.socket.getsockname()[1]
    print(f"READY {port}", flush=True)

    def stop(*_):
        server.close_all()
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    exit_when_stdin_closes(lambda: os._exit(0))
    server.serve_forever(handle_exit=True)


def vsftpd_binary():
    """Debian's vsftpd, which install.sh unpacked into target/servers/vsftpd."""
    path = os.path.join(SERVERS, "vsftpd", "usr", "sbin", "vsftpd")
    if not os.access(path, os.X_OK):
        sys.exit(f"vsftpd is not installed ({path} is missing): {INSTALL}")
    return path


def run_vsftpd(args):
    if os.geteuid() != 0:
        sys.exit("vsftpd must be started as root")
    try:
        user = pwd.getpwnam(USER)
    except KeyError:
        sys.exit(f"user {USER} is missing: {INSTALL}")
    if not os.path.exists(f"/etc/pam.d/{PAM_SERVICE}"):
        sys.exit(f"PAM service {PAM_SERVICE} is missing: {INSTALL}")
    root = os.path.abspath(args.root)
    os.chown(root, user.pw_uid, user.pw_gid)
    state = root.rstrip("/") + ".vsftpd"
    os.makedirs(state, exist_ok=True)
    empty = os.path.join(state, "empty")
    os.makedirs(empty, exist_ok=True)
    port = args.port or free_port(args.host)
    lines = [
        "listen=YES",
        "listen_ipv6=NO",
        f"listen_address={args.host}",
        f"listen_port={port}",
        "background=NO",
        "anonymous_enable=NO",
        "local_enable=YES",
        "write_enable=YES",
        "local_umask=022",
        "chroot_local_user=YES",
        "allow_writeable_chroot=YES",
        f"local_root={root}",
        "seccomp_sandbox=NO",
        "isolate=NO",
        "isolate_network=NO",
        "pasv_enable=YES",
        f"pasv_address={args.host}",
        "pasv_addr_resolve=NO",
        "port_enable=YES",
        "connect_from_port_20=NO",
        f"secure_chroot_dir={empty}",
        # The project's PAM service (install.sh): Debian's `vsftpd` one requires a login
        # shell, which the test user does not have.
        f"pam_service_name={PAM_SERVICE}",
        "utf8_filesystem=YES",
        # TYPE A as RFC 959 means it (vsftpd's default leaves bytes unconverted).
        "ascii_upload_enable=YES",
        "ascii_download_enable=YES",
        "use_localtime=NO",
        "max_clients=0",
        "max_per_ip=0",
        "ftpd_banner=ftpc test server (vsftpd) ready",
        f"vsftpd_log_file={state}/vsftpd.log",
        "xferlog_enable=YES",
        "log_ftp_protocol=YES",
    ]
    if args.tls != "none":
        lines += [
            "ssl_enable=YES",
            f"rsa_cert_file={args.cert}",
            f"rsa_private_key_file={args.key}",
            "ssl_ciphers=HIGH",
            # TLS 1.0 off; vsftpd 3.0.3 has no switches for later versions, so TLS 1.1 to
            # 1.3 stay as OpenSSL allows.
            "ssl_tlsv1=NO",
            "ssl_sslv2=NO",
            "ssl_sslv3=NO",
            "require_ssl_reuse=YES",
            "strict_ssl_read_eof=YES",
            "strict_ssl_write_shutdown=YES",
            f"force_local_logins_ssl={'YES' if args.tls_required else 'NO'}",
            f"force_local_data_ssl={'YES' if args.tls_required else 'NO'}",
            f"implicit_ssl={'YES' if args.tls == 'implicit' else 'NO'}",
        ]
    conf = os.path.join(state, "vsftpd.conf")
    with open(conf, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.chmod(conf, 0o600)
    child = subprocess.Popen([vsftpd_binary(), conf], stdin=subprocess.DEVNULL)

    def stop(*_):
        # The listener and every session process (which ignore SIGTERM) go at once. No wait()
        # here: the main thread is already in child.wait(), and a second wait from a signal
        # handler stalls on Popen's lock.
        subprocess.run(["pkill", "-KILL", "-f", f"vsftpd {conf}"], check=False)
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    exit_when_stdin_closes(stop)
    if not wait_listening(args.host, port, child=child):
        child.kill()
        sys.exit(
            f"vsftpd did not start listening on {args.host}:{port} (exit status "
            f"{child.poll()}); config {conf}, log {state}/vsftpd.log"
        )
    print(f"READY {port}", flush=True)
    child.wait()
    sys.exit(f"vsftpd exited with {child.returncode}; see {state}/vsftpd.log")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("server", choices=["pyftpdlib", "vsftpd"])
    parser.add_argument("--root", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--tls", choices=["none", "explicit", "implicit"], default="none")
    parser.add_argument("--tls-required", action="store_true")
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--client-ca", help="pyftpdlib: require client certificates from this CA")
    args = parser.parse_args()
    if args.host not in ("127.0.0.1", "::1", "localhost"):
        sys.exit("test servers bind to loopback only")
    if args.tls != "none" and not (args.cert and args.key):
        sys.exit("--tls needs --cert and --key (see make-certs.sh)")
    os.makedirs(args.root, exist_ok=True)
    if args.server == "pyftpdlib":
        run_pyftpdlib(args)
    else:
        run_vsftpd(args)


if __name__ == "__main__":
    main()
