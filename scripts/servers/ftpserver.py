#!/usr/bin/env python3
"""Starts one real FTP server on 127.0.0.1 for ftpc's tests and demo.

    ftpserver.py pyftpdlib|vsftpd --root DIR [--port N] [--tls none|explicit|implicit]
                 [--cert PEM --key PEM] [--tls-required] [--host 127.0.0.1]

Prints `READY <port>` on stdout once the server accepts connections, then runs until it is
sent SIGTERM or SIGINT, or its standard input closes (so a test harness that dies takes its
servers with it). Port 0 (the default) picks a free port.

pyftpdlib runs in this process (run it with the venv's python, see install.sh). vsftpd runs as
a child, from the Debian build install.sh unpacked into target/servers, with its configuration
and log in a state directory next to the root (`ROOT.vsftpd`); it must run as root and logs in
the local user `ftpctest` (install.sh creates it) through the PAM service `ftpc-vsftpd`. The
child runs in a session of its own; stopping kills it and every process descended from this
launcher (the per-connection processes too), by PID, and nothing else on the machine.
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


def program(package, rel):
    """A program from a Debian package install.sh unpacked into target/servers/PACKAGE."""
    path = os.path.join(SERVERS, package, rel)
    if not os.access(path, os.X_OK):
        sys.exit(f"{package} is not installed ({path} is missing): {INSTALL}")
    return path


def prepare(args, kind):
    """Checks for root and the test user, hands the root to the test user and makes the state
    directory (configuration, logs, run files). Returns (user, root, state)."""
    if os.geteuid() != 0:
        sys.exit(f"{kind} must be started as root")
    try:
        user = pwd.getpwnam(USER)
    except KeyError:
        sys.exit(f"user {USER} is missing: {INSTALL}")
    root = os.path.abspath(args.root)
    os.chown(root, user.pw_uid, user.pw_gid)
    state = root.rstrip("/") + "." + kind
    os.makedirs(state, exist_ok=True)
    # ProFTPD refuses an AuthUserFile in a directory others may write to.
    os.chmod(state, 0o755)
    return user, root, state


def write_private(path, text):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)


def become_subreaper():
    """Makes processes that the server's processes leave behind (their parent gone) children
    of this launcher instead of init, so that they stay in its process tree and are stopped
    with it."""
    try:
        import ctypes

        PR_SET_CHILD_SUBREAPER = 36
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def processes():
    """pid -> (parent pid, state letter) for every process, from /proc."""
    out = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        out[int(name)] = (int(fields[1]), fields[0])
    return out


def descendants(pid, table):
    children = {}
    for child, (parent, _) in table.items():
        children.setdefault(parent, []).append(child)
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def kill_descendants():
    """Kills every process descended from this one, and no other: each is stopped first
    (SIGSTOP) and the tree scanned again until no new one appears, since a stopped process
    cannot fork; then all of them get SIGKILL. Found through /proc's parent links, because
    vsftpd makes each session a session leader of its own (setsid), out of reach of the
    listener's process group."""
    stopped = set()
    for _ in range(100):
        new = descendants(os.getpid(), processes()) - stopped
        if not new:
            break
        for pid in new:
            try:
                os.kill(pid, signal.SIGSTOP)
            except OSError:
                pass
        stopped |= new
    for pid in stopped:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def reap_orphans(child):
    """Collects the exit status of processes this launcher adopted as subreaper (all but
    `child`, which the main thread waits for), so they do not linger as zombies."""
    while True:
        time.sleep(1)
        for pid, (parent, state) in processes().items():
            if parent == os.getpid() and state == "Z" and pid != child.pid:
                try:
                    os.waitpid(pid, os.WNOHANG)
                except OSError:
                    pass


def supervise(kind, argv, host, ports, state, on_exit=None):
    """Runs a server child in a session and process group of its own, prints READY once it
    listens on every one of `ports` (the first is the one reported), and ends it with every
    process it started (listener and per-connection processes) on SIGTERM, SIGINT, stdin
    closing or the child's own exit. Never returns."""
    become_subreaper()
    child = subprocess.Popen(argv, stdin=subprocess.DEVNULL, start_new_session=True)
    threading.Thread(target=reap_orphans, args=(child,), daemon=True).start()

    def kill_all():
        kill_descendants()
        if on_exit is not None:
            on_exit()

    def stop(*_):
        # No wait() here: the main thread is already in child.wait(), and a second wait from a
        # signal handler stalls on Popen's lock.
        kill_all()
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    exit_when_stdin_closes(stop)
    for port in ports:
        if not wait_listening(host, port, child=child):
            kill_all()
            logs = ", ".join(sorted(os.listdir(state)))
            sys.exit(
                f"{kind} did not start listening on {host}:{port} (exit status "
                f"{child.poll()}); its files in {state}: {logs}"
            )
    print(f"READY {ports[0]}", flush=True)
    child.wait()
    kill_all()
    sys.exit(f"{kind} exited with {child.returncode}; see the logs in {state}")


def run_vsftpd(args):
    user, root, state = prepare(args, "vsftpd")
    if not os.path.exists(f"/etc/pam.d/{PAM_SERVICE}"):
        sys.exit(f"PAM service {PAM_SERVICE} is missing: {INSTALL}")
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
    write_private(conf, "\n".join(lines) + "\n")
    supervise("vsftpd", [program("vsftpd", "usr/sbin/vsftpd"), conf], args.host, [port], state)


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
    if args.cert:
        args.cert, args.key = os.path.abspath(args.cert), os.path.abspath(args.key)
    os.makedirs(args.root, exist_ok=True)
    run = {
        "pyftpdlib": run_pyftpdlib,
        "vsftpd": run_vsftpd,
    }[args.server]
    run(args)


if __name__ == "__main__":
    main()
