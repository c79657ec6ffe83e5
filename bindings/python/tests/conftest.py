"""Real servers for the tests: pyftpdlib and vsftpd, each plain and with explicit TLS
(certificates verified against the test CA), started on first use by
scripts/servers/ftpserver.py and stopped by PID at the end of the session. No mocks."""

import itertools
import os
import tempfile
import shutil
import signal
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
SCRIPT = os.path.join(TOP, "scripts", "servers", "ftpserver.py")
SERVER_PY = os.environ.get("FTPC_SERVER_PYTHON",
                           os.path.join(TOP, "target", "ftp-venv", "bin", "python"))
CERTS = os.path.join(TOP, "target", "test-certs")
CA = os.path.join(CERTS, "ca.pem")
# The servers' roots go under the system's temporary directory, not the checkout, which may
# sit below a directory vsftpd's local user cannot enter (a `mktemp -d` clone is 0700).
WORK = os.path.join(tempfile.gettempdir(), "ftpc-py-tests-%d" % os.getuid())
USER = "ftpctest"
PASSWORD = "ftpc-test-pw"

KINDS = ["pyftpdlib-plain", "pyftpdlib-tls", "vsftpd-plain", "vsftpd-tls"]


class Server:
    def __init__(self, name):
        self.name = name
        self.kind, tls = name.split("-")
        self.tls = tls == "tls"
        self.root = os.path.join(WORK, name)
        self.proc = None
        self.port = None
        self.implicit = False
        self._ids = itertools.count(1)

    @property
    def has_mlsd(self):
        return self.kind == "pyftpdlib"

    def start(self):
        if os.path.exists(self.root):
            shutil.rmtree(self.root)
        os.makedirs(self.root)
        os.chmod(WORK, 0o755)
        os.chmod(self.root, 0o777)
        cmd = [SERVER_PY, SCRIPT, self.kind, "--root", self.root]
        if self.tls:
            cmd += ["--tls", "implicit" if self.implicit else "explicit", "--cert", os.path.join(CERTS, "server.pem"),
                    "--key", os.path.join(CERTS, "server.key")]
        log = open(self.root.rstrip("/") + ".log", "wb")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=log, cwd=TOP)
        line = self.proc.stdout.readline().decode()
        if not line.startswith("READY "):
            self.stop()
            raise RuntimeError("%s did not start (%r); see %s.log" % (self.name, line, self.root))
        self.port = int(line.split()[1])

    def stop(self):
        p, self.proc = self.proc, None
        if p is None:
            return
        try:
            p.stdin.close()
        except OSError:
            pass
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.kill(p.pid, signal.SIGTERM)
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.kill(p.pid, signal.SIGKILL)
                p.wait()

    def tls_kwargs(self):
        return {"cafile": CA} if self.tls else {}

    def client(self, login=True, **kw):
        """A connected (and logged-in) session, FTP_TLS with the test CA when TLS."""
        import ftpc
        if self.tls:
            kw.setdefault("cafile", CA)
            ftp = ftpc.FTP_TLS(**kw)
        else:
            ftp = ftpc.FTP(**kw)
        ftp.connect("127.0.0.1", self.port)
        if login:
            ftp.login(USER, PASSWORD)
        return ftp

    def url(self, path=""):
        scheme = "ftpes" if self.tls else "ftp"
        return "%s://%s@127.0.0.1:%d/%s" % (scheme, USER, self.port, path)

    def new_dir(self):
        """A fresh directory in the server's root: (remote name, local path)."""
        name = "t%03d" % next(self._ids)
        path = os.path.join(self.root, name)
        os.mkdir(path)
        os.chmod(path, 0o777)
        return name, path


_servers = {}


@pytest.fixture(scope="session")
def _server_pool():
    yield _servers
    for s in _servers.values():
        s.stop()


def _get(pool, name):
    s = pool.get(name)
    if s is None:
        s = Server(name)
        s.start()
        pool[name] = s
    return s


@pytest.fixture(params=KINDS)
def server(request, _server_pool):
    return _get(_server_pool, request.param)


@pytest.fixture(params=["pyftpdlib-tls", "vsftpd-tls"])
def tls_server(request, _server_pool):
    return _get(_server_pool, request.param)


@pytest.fixture
def pyftpd(_server_pool):
    return _get(_server_pool, "pyftpdlib-plain")


@pytest.fixture
def rdir(server):
    """A fresh remote directory on `server`: (remote name, local path of it)."""
    return server.new_dir()


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, 0o666)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def payload(n, seed=1):
    """n bytes that are not all alike (catches reordered or repeated blocks)."""
    import random
    r = random.Random(seed)
    return r.randbytes(n)
