#!/usr/bin/env python3
"""Benchmark: ftpc (bench/ftpc_bench.c, linked against the installed library) against curl on
the same transfers, side by side, on 127.0.0.1.

    python3 bench/bench.py [--size-mib 1024] [--runs 5] [--small-files 1000] [--only CASE...]

Starts pyftpdlib and vsftpd, plain and with explicit TLS (PROT P), creates the test file, and for
each case alternates ftpc and curl runs, then prints the median throughput of both, the ratio
ftpc/curl and the peak RSS of both. Whole processes are timed (connect and login included) with
GNU time, which also gives the peak RSS. The raw loopback TCP ceiling is measured the same way:
a sendfile() sender and the same reader program.

Only loopback is used. Run `make bench` (or scripts/bench.sh) for the build steps.
"""

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY = os.path.join(TOP, "target/ftp-venv/bin/python")
SERVER = os.path.join(TOP, "scripts/servers/ftpserver.py")
CERTS = os.path.join(TOP, "target/test-certs")
BENCH = os.path.join(TOP, "target/bench/ftpc_bench")
IDLE_HEAP = os.path.join(TOP, "target/release/examples/idle_heap")
USER, PASSWORD = "ftpctest", "ftpc-test-pw"


class Server:
    def __init__(self, kind, tls, root):
        args = [PY, SERVER, kind, "--root", root]
        if tls:
            args += ["--tls", "explicit", "--cert", f"{CERTS}/server.pem", "--key", f"{CERTS}/server.key"]
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("READY "):
            sys.exit(f"{kind} did not start")
        self.port = int(line.split()[1])

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


def timed(cmd, env=None):
    """Runs cmd under GNU time: (seconds, peak RSS KiB, stdout)."""
    with tempfile.NamedTemporaryFile("r") as t:
        out = subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", t.name] + cmd,
                             env=env, capture_output=True, text=True)
        if out.returncode != 0:
            sys.exit(f"failed: {' '.join(cmd)}\n{out.stderr}")
        elapsed, rss = t.read().split()[-2:]
    return float(elapsed), int(rss), out.stdout


def sendfile_server(path):
    """A TCP server that sends `path` with sendfile() to one connection per accept."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)

    def serve():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn, open(path, "rb") as f:
                size = os.fstat(f.fileno()).st_size
                sent = 0
                while sent < size:
                    sent += os.sendfile(conn.fileno(), f.fileno(), sent, size - sent)

    threading.Thread(target=serve, daemon=True).start()
    return listener


def median_rate(samples, size):
    return size / statistics.median(samples) / 1e6


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--small-files", type=int, default=1000)
    ap.add_argument("--only", nargs="*")
    args = ap.parse_args()
    size = args.size_mib * 1024 * 1024

    work = tempfile.mkdtemp(prefix="ftpc-bench-")
    os.chmod(work, 0o755)
    big = os.path.join(work, "big.bin")
    with open(big, "wb") as f:
        block = os.urandom(1 << 20)
        for _ in range(args.size_mib):
            f.write(block)
    os.chmod(big, 0o644)
    subprocess.run(["cat", big], stdout=subprocess.DEVNULL, check=True)  # into the page cache

    env = dict(os.environ, FTP_PASSWORD=PASSWORD, FTPC_CA_FILE=f"{CERTS}/ca.pem")
    results = []

    def case(name, ftpc_cmd, curl_cmd, nbytes):
        if args.only and not any(o in name for o in args.only):
            return
        f_t, c_t, f_rss, c_rss = [], [], [], []
        for _ in range(args.runs):
            t, rss, _ = timed(ftpc_cmd, env)
            f_t.append(t)
            f_rss.append(rss)
            if curl_cmd:
                t, rss, _ = timed(curl_cmd, env)
                c_t.append(t)
                c_rss.append(rss)
        f_rate = median_rate(f_t, nbytes)
        c_rate = median_rate(c_t, nbytes) if c_t else None
        row = (name, f_rate, c_rate, f_rate / c_rate if c_rate else None, max(f_rss), max(c_rss) if c_rss else None)
        results.append(row)
        print_row(row)

    print(f"{'case':34} {'ftpc MB/s':>10} {'curl MB/s':>10} {'ratio':>6} {'ftpc RSS':>9} {'curl RSS':>9}")
    # The ceiling: raw loopback TCP, sendfile() to the same reader.
    listener = sendfile_server(big)
    port = listener.getsockname()[1]
    case("raw loopback TCP (ceiling)", [BENCH, "tcp", "127.0.0.1", str(port)], None, size)
    listener.close()

    for kind in ("pyftpdlib", "vsftpd"):
        for tls in (False, True):
            root = os.path.join(work, f"{kind}-{'tls' if tls else 'plain'}")
            os.makedirs(root)
            os.chmod(root, 0o777)
            os.link(big, os.path.join(root, "big.bin"))
            server = Server(kind, tls, root)
            scheme = "ftpes" if tls else "ftp"
            url = f"{scheme}://{USER}@127.0.0.1:{server.port}"
            curl_url = f"ftp://{USER}:{PASSWORD}@127.0.0.1:{server.port}"
            curl_tls = ["--ssl-reqd", "--cacert", f"{CERTS}/ca.pem"] if tls else []
            label = f"{kind} {'TLS' if tls else 'plain'}"
            case(f"{label} download", [BENCH, "download", f"{url}/big.bin"],
                 ["curl", "-sS", "-o", "/dev/null"] + curl_tls + [f"{curl_url}/big.bin"], size)
            case(f"{label} upload", [BENCH, "upload", f"{url}/up-ftpc.bin", big],
                 ["curl", "-sS", "-T", big] + curl_tls + [f"{curl_url}/up-curl.bin"], size)
            if not tls:
                small = os.path.join(root, "small")
                os.makedirs(small)
                for i in range(args.small_files):
                    with open(os.path.join(small, f"f{i:04d}.bin"), "wb") as f:
                        f.write(os.urandom(4096))
                os.chmod(small, 0o777)
                config = os.path.join(work, f"{kind}-curl.cfg")
                with open(config, "w") as f:
                    for i in range(args.small_files):
                        f.write(f'url = "{curl_url}/small/f{i:04d}.bin"\noutput = "/dev/null"\n')
                case(f"{label} {args.small_files} x 4 KiB", [BENCH, "many", f"{url}/small/", str(args.small_files)],
                     ["curl", "-sS", "-K", config], args.small_files * 4096)
            if kind == "pyftpdlib" and not tls and not args.only:
                idle = subprocess.run([IDLE_HEAP, "127.0.0.1", str(server.port), USER], env=env,
                                      capture_output=True, text=True, check=True).stdout.strip()
                print(f"{'idle plain session heap':34} {int(idle):>10} bytes (target: under 65536)")
            server.stop()
    shutil.rmtree(work, ignore_errors=True)


def print_row(row):
    name, f, c, ratio, frss, crss = row
    fmt = lambda v, spec: format(v, spec) if v is not None else "-"
    print(f"{name:34} {fmt(f, '10.0f')} {fmt(c, '10.0f')} {fmt(ratio, '6.2f')} "
          f"{fmt(frss, '7d')}KB {fmt(crss, '7d')}KB", flush=True)


if __name__ == "__main__":
    main()
