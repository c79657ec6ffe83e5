#!/usr/bin/env python3
"""Starts one real FTP server on 127.0.0.1 for ftpc's tests and demo.

    ftpserver.py pyftpdlib|vsftpd|proftpd|pureftpd --root DIR [--port N]
                 [--tls none|explicit|implicit] [--cert PEM --key PEM] [--tls-required]
                 [--host 127.0.0.1] [--max-per-ip N] [--max-rate BYTES_PER_SECOND]

Prints `READY <port>` on stdout once the server accepts connections, then runs until it is
sent SIGTERM or SIGINT, or its standard input closes (so a test harness that dies takes its
servers with it). Port 0 (the default) picks a free port.

pyftpdlib runs in this process (run it with the venv's python, see install.sh). vsftpd, ProFTPD
and Pure-FTPd run as a child, from the Debian builds install.sh unpacked into target/servers,
with their configuration, logs and run files in a state directory next to the root
(`ROOT.vsftpd`, `ROOT.proftpd`, `ROOT.pureftpd`). They must run as root. vsftpd logs in the
local user `ftpctest` through PAM; ProFTPD and Pure-FTPd log in a virtual user of the same name
and password that maps to its uid. Each child runs in a session of its own; stopping kills it
and every process descended from this launcher (the per-connection processes too), by PID, and
nothing else on the machine. ProFTPD and Pure-FTPd get a passive port range of their own,
reserved at run time so that servers running in parallel never share one.

Pure-FTPd has no implicit FTPS in Debian's build.
"""

import argparse
import fcntl
import os
import pwd
import grp
import signal
import socket
import subprocess
import sys
import tempfile
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


def port_is_free(host, port):
    """Whether a server could listen on `port`: connections that linger in TIME_WAIT after a
    transfer do not count (servers listen with SO_REUSEADDR), or a busy test run would soon
    find every passive range taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
            return True
        except OSError:
            return False


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


PASSIVE_SPAN = 64
PASSIVE_DIR = os.path.join(tempfile.gettempdir(), "ftpc-passive-ports")


def pid_alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def reserve_passive_ports(host):
    """Reserves PASSIVE_SPAN consecutive free ports below the kernel's ephemeral range for this
    process, so that servers started in parallel never share a passive port range. A range is
    a file in PASSIVE_DIR named by its first port and holding the owner's PID, written under a
    lock; a range whose owner is gone is taken again. Returns (first, last, release)."""
    low, high = 20000, 32767
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            high = min(high, int(f.read().split()[0]) - 1)
    except (OSError, ValueError, IndexError):
        pass
    os.makedirs(PASSIVE_DIR, exist_ok=True)
    with open(os.path.join(PASSIVE_DIR, "lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for first in range(low, high - PASSIVE_SPAN + 2, PASSIVE_SPAN):
            path = os.path.join(PASSIVE_DIR, str(first))
            try:
                with open(path) as f:
                    owner = int(f.read())
            except (OSError, ValueError):
                owner = None
            if owner is not None and owner != os.getpid() and pid_alive(owner):
                continue
            last = first + PASSIVE_SPAN - 1
            if not all(port_is_free(host, p) for p in range(first, last + 1)):
                continue
            with open(path, "w") as f:
                f.write(str(os.getpid()))

            def release(path=path):
                try:
                    os.remove(path)
                except OSError:
                    pass

            return first, last, release
    sys.exit(f"no free range of {PASSIVE_SPAN} passive ports between {low} and {high}")


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
    server.max_cons_per_ip = args.max_per_ip
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


def sha512_crypt(password):
    """The password's SHA-512 crypt(3) hash, as `openssl passwd -6` makes it."""
    out = subprocess.run(
        ["openssl", "passwd", "-6", "-stdin"],
        input=password,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


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
        f"max_per_ip={args.max_per_ip}",
        f"local_max_rate={args.max_rate}",
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


def run_proftpd(args):
    user, root, state = prepare(args, "proftpd")
    proftpd = program("proftpd", "usr/sbin/proftpd")
    modules = os.path.join(SERVERS, "proftpd", "usr", "lib", "proftpd")
    host = args.host
    port = args.port or free_port(host)
    # Implicit FTPS is a virtual host on the reported port; the main server, which ProFTPD
    # always has, listens on another free port.
    main_port = free_port(host) if args.tls == "implicit" else port
    first, last, release = reserve_passive_ports(host)
    group = grp.getgrgid(user.pw_gid).gr_name
    passwd = os.path.join(state, "passwd")
    write_private(
        passwd,
        f"{USER}:{sha512_crypt(PASSWORD)}:{user.pw_uid}:{user.pw_gid}::{root}:/usr/sbin/nologin\n",
    )
    groups = os.path.join(state, "group")
    write_private(groups, f"{group}:x:{user.pw_gid}:\n")
    tls = []
    if args.tls != "none":
        tls = [
            "  TLSEngine on",
            "  TLSProtocol TLSv1.2 TLSv1.3",
            f"  TLSRSACertificateFile {args.cert}",
            f"  TLSRSACertificateKeyFile {args.key}",
            "  TLSVerifyClient off",
            f"  TLSRequired {'on' if args.tls_required else 'off'}",
            # Says why a data connection was refused (session reuse is required by default).
            f"  TLSLog {state}/tls.log",
        ]
    lines = [
        'ServerName "ftpc test server (proftpd)"',
        'ServerIdent on "ftpc test server (proftpd) ready"',
        "ServerType standalone",
        "DefaultServer on",
        f"DefaultAddress {host}",
        "SocketBindTight on",
        f"UseIPv6 {'on' if ':' in host else 'off'}",
        f"Port {main_port}",
        "User nobody",
        "Group nogroup",
        "MaxInstances 256",
        f"PidFile {state}/proftpd.pid",
        f"ScoreboardFile {state}/proftpd.scoreboard",
        f"DelayTable {state}/proftpd.delay",
        "WtmpLog off",
        "UseReverseDNS off",
        f"SystemLog {state}/proftpd.log",
        f"TransferLog {state}/xfer.log",
        f"ModulePath {modules}",
        "LoadModule mod_tls.c",
        "LoadModule mod_digest.c",
        f"MasqueradeAddress {host}",
        "<Global>",
        "  AuthOrder mod_auth_file.c",
        f"  AuthUserFile {passwd}",
        f"  AuthGroupFile {groups}",
        "  AuthPAM off",
        "  RequireValidShell off",
        "  DefaultRoot ~",
        "  Umask 022",
        "  AllowOverwrite on",
        "  AllowRetrieveRestart on",
        "  AllowStoreRestart on",
        "  TimesGMT on",
        f"  PassivePorts {first} {last}",
        # Every command and reply.
        f"  ExtendedLog {state}/extended.log ALL default",
        "  DigestEngine on",
        *([f"  MaxClientsPerHost {args.max_per_ip}"] if args.max_per_ip else []),
        *tls,
        "</Global>",
    ]
    ports = [port]
    if args.tls == "implicit":
        lines += [
            f"<VirtualHost {host}>",
            '  ServerName "ftpc test server (proftpd, implicit TLS)"',
            '  ServerIdent on "ftpc test server (proftpd) ready"',
            f"  Port {port}",
            f"  MasqueradeAddress {host}",
            "  TLSOptions UseImplicitSSL",
            "</VirtualHost>",
        ]
        ports.append(main_port)
    conf = os.path.join(state, "proftpd.conf")
    write_private(conf, "\n".join(lines) + "\n")
    check = subprocess.run([proftpd, "-t", "-c", conf], capture_output=True, text=True)
    if check.returncode != 0:
        release()
        sys.exit(f"proftpd refused its configuration {conf}:\n{check.stderr}")
    supervise("proftpd", [proftpd, "-n", "-q", "-c", conf], host, ports, state, release)


def run_pureftpd(args):
    if args.tls == "implicit":
        sys.exit("Pure-FTPd (Debian's build) has no implicit FTPS")
    user, root, state = prepare(args, "pureftpd")
    pure_ftpd = program("pure-ftpd", "usr/sbin/pure-ftpd")
    pure_pw = program("pure-ftpd", "usr/bin/pure-pw")
    host = args.host
    port = args.port or free_port(host)
    first, last, release = reserve_passive_ports(host)
    # A PureDB with one virtual user, hashed as `openssl passwd -6` does (pure-pw useradd
    # would hash with argon2id, and every login would take seconds). `/./` chroots it.
    passwd = os.path.join(state, "pureftpd.passwd")
    pdb = os.path.join(state, "pureftpd.pdb")
    write_private(
        passwd,
        f"{USER}:{sha512_crypt(PASSWORD)}:{user.pw_uid}:{user.pw_gid}::{root}/./::::::::::::\n",
    )
    made = subprocess.run(
        [pure_pw, "mkdb", pdb, "-f", passwd], capture_output=True, text=True
    )
    if made.returncode != 0:
        release()
        sys.exit(f"pure-pw mkdb failed: {made.stderr}")
    argv = [
        pure_ftpd,
        "-S", f"{host},{port}",
        "-6" if ":" in host else "-4",
        "-p", f"{first}:{last}",
        "-P", host,
        "-l", f"puredb:{pdb}",
        "-E",  # no anonymous logins
        "-A",  # everyone chrooted
        "-H",  # no reverse DNS
        "-D",  # list dot files (ftpc's partial files)
        "-u", "1",  # any uid but root's
        "-c", "256",  # clients at once
        "-C", str(args.max_per_ip or 256),  # clients from one address
        "-O", f"clf:{state}/transfer.log",
    ]  # fmt: skip
    if args.tls != "none":
        argv += ["-Y", "3" if args.tls_required else "1", "-2", f"{args.cert},{args.key}"]
    supervise("pureftpd", argv, host, [port], state, release)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("server", choices=["pyftpdlib", "vsftpd", "proftpd", "pureftpd"])
    parser.add_argument("--root", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--tls", choices=["none", "explicit", "implicit"], default="none")
    parser.add_argument("--tls-required", action="store_true")
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--client-ca", help="pyftpdlib: require client certificates from this CA")
    parser.add_argument("--max-per-ip", type=int, default=0,
                        help="connections per client address (0: no limit)")
    parser.add_argument("--max-rate", type=int, default=0,
                        help="vsftpd: bytes per second per data connection (0: no limit)")
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
        "proftpd": run_proftpd,
        "pureftpd": run_pureftpd,
    }[args.server]
    run(args)


if __name__ == "__main__":
    main()
