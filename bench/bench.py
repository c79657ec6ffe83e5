#!/usr/bin/env python3
"""Benchmark: ftpc (bench/ftpc_bench.c, linked against the installed library) against curl on
the same transfers, side by side, on 127.0.0.1.

    python3 bench/bench.py [--size-mib 1024] [--runs 5] [--small-files 1000] [--only CASE...]

Starts pyftpdlib and vsftpd, plain and with explicit TLS (PROT P), creates the test file, and for
each case alternates ftpc and curl runs, then prints the median throughput of both, the ratio
ftpc/curl, the median CPU time of both clients, how busy the server was while serving each of
them, and the peak RSS of both. Whole processes are timed (connect and login included) with GNU
time, which also gives the CPU time and the peak RSS. The server's CPU time is read from /proc
for its whole process tree (vsftpd forks per session). The raw loopback TCP ceiling is measured
the same way: a sendfile() sender and the same reader program.

The files live in /dev/shm (RAM) when it has room, so that no disk is in the measurement.

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
import time

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

    def cpu_seconds(self):
        """CPU time of the server's process tree so far: each live process's own time plus
        what it collected from children that ended (so every process counts once). Waits (up
        to 2 s) for finished sessions to be reaped first."""
        deadline = time.monotonic() + 2
        while True:
            tree = process_tree(self.proc.pid)
            busy = [p for p in tree if p != self.proc.pid and len(process_tree(p)) > 1]
            # vsftpd: the listener (child of the launcher) has no session children left.
            if not busy or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        ticks = 0
        for pid in tree:
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                ticks += sum(int(v) for v in fields[11:15])  # utime stime cutime cstime
            except OSError:
                pass
        return ticks / os.sysconf("SC_CLK_TCK")


def process_tree(pid):
    """pid and all its descendants."""
    tree, todo = [], [pid]
    while todo:
        p = todo.pop()
        tree.append(p)
        try:
            with open(f"/proc/{p}/task/{p}/children") as f:
                todo += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return tree


def timed(cmd, env=None):
    """Runs cmd under GNU time: (seconds, peak RSS KiB, CPU seconds, stdout)."""
    with tempfile.NamedTemporaryFile("r") as t:
        out = subprocess.run(["/usr/bin/time", "-f", "%e %M %U %S", "-o", t.name] + cmd,
                             env=env, capture_output=True, text=True)
        if out.returncode != 0:
            sys.exit(f"failed: {' '.join(cmd)}\n{out.stderr}")
        elapsed, rss, user, system = t.read().split()[-4:]
    return float(elapsed), int(rss), float(user) + float(system), out.stdout


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

    shm = "/dev/shm"
    in_ram = os.path.isdir(shm) and shutil.disk_usage(shm).free > 3 * size + (256 << 20)
    work = tempfile.mkdtemp(prefix="ftpc-bench-", dir=shm if in_ram else None)
    print(f"files in {work} ({'RAM' if in_ram else 'disk: /dev/shm has no room'})")
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

    def case(name, ftpc_cmd, curl_cmd, nbytes, server=None, cleanup=(), extra_env=None):
        if args.only and not any(o in name for o in args.only):
            return
        run_env = dict(env, **(extra_env or {}))
        runs = {"ftpc": ([], [], [], []), "curl": ([], [], [], [])}  # seconds, RSS, CPU, server busy
        for _ in range(args.runs):
            for tool, cmd in (("ftpc", ftpc_cmd), ("curl", curl_cmd)):
                if cmd is None:
                    continue
                before = server.cpu_seconds() if server else None
                t, rss, cpu, _ = timed(cmd, run_env)
                samples = runs[tool]
                samples[0].append(t)
                samples[1].append(rss)
                samples[2].append(cpu)
                if server:
                    samples[3].append((server.cpu_seconds() - before) / t)
                for path in cleanup:  # uploads: keep RAM free, and every run writes a new file
                    if os.path.exists(path):
                        os.unlink(path)
        def summary(tool):
            t, rss, cpu, busy = runs[tool]
            if not t:
                return None, None, None, None
            return (median_rate(t, nbytes), max(rss), statistics.median(cpu),
                    statistics.median(busy) if busy else None)
        f_rate, f_rss, f_cpu, f_busy = summary("ftpc")
        c_rate, c_rss, c_cpu, c_busy = summary("curl")
        row = (name, f_rate, c_rate, f_rate / c_rate if c_rate else None, f_cpu, c_cpu,
               f_busy, c_busy, f_rss, c_rss)
        results.append(row)
        print_row(row)
        return f_rate, c_rate

    print(f"{'case':34} {'ftpc MB/s':>10} {'curl MB/s':>10} {'ratio':>6} {'ftpc CPU':>9} "
          f"{'curl CPU':>9} {'server busy':>12} {'ftpc RSS':>9} {'curl RSS':>9}")
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
                 ["curl", "-sS", "-o", "/dev/null"] + curl_tls + [f"{curl_url}/big.bin"], size,
                 server)
            case(f"{label} upload", [BENCH, "upload", f"{url}/up-ftpc.bin", big],
                 ["curl", "-sS", "-T", big] + curl_tls + [f"{curl_url}/up-curl.bin"], size,
                 server, [os.path.join(root, "up-ftpc.bin"), os.path.join(root, "up-curl.bin")])
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
                     ["curl", "-sS", "-K", config], args.small_files * 4096, server)
            if kind == "pyftpdlib" and not tls:
                # The bandwidth limit: a transfer of about 10 s at 20 MB/s (curl --limit-rate
                # beside it). Reported, not asserted: the target is within 5 % of the limit.
                limit = 20_000_000
                limited = os.path.join(root, "limited.bin")
                with open(big, "rb") as src, open(limited, "wb") as dst:
                    left = 10 * limit
                    while left > 0:
                        chunk = src.read(min(left, 1 << 20)) or os.urandom(1 << 20)
                        dst.write(chunk[:left])
                        left -= len(chunk[:left])
                os.chmod(limited, 0o644)
                for direction in ("download", "upload"):
                    if direction == "download":
                        ftpc_cmd = [BENCH, "download", f"{url}/limited.bin"]
                        curl_cmd = ["curl", "-sS", "--limit-rate", str(limit), "-o", "/dev/null",
                                    f"{curl_url}/limited.bin"]
                        cleanup = ()
                    else:
                        ftpc_cmd = [BENCH, "upload", f"{url}/up-limited-ftpc.bin", limited]
                        curl_cmd = ["curl", "-sS", "--limit-rate", str(limit), "-T", limited,
                                    f"{curl_url}/up-limited-curl.bin"]
                        cleanup = [os.path.join(root, "up-limited-ftpc.bin"),
                                   os.path.join(root, "up-limited-curl.bin")]
                    rates = case(f"{label} {direction} limited 20 MB/s", ftpc_cmd, curl_cmd,
                                 10 * limit, server, cleanup,
                                 extra_env={"FTPC_MAX_RATE": str(limit)})
                    if rates:
                        f_rate, c_rate = rates
                        print(f"{'  limit 20 MB/s, 10 s':34} ftpc {(f_rate * 1e6 / limit - 1) * 100:+.1f} %"
                              f", curl {(c_rate * 1e6 / limit - 1) * 100:+.1f} % of the limit "
                              f"(target: within 5 %)", flush=True)
            if kind == "pyftpdlib" and not tls and not args.only:
                idle = subprocess.run([IDLE_HEAP, "127.0.0.1", str(server.port), USER], env=env,
                                      capture_output=True, text=True, check=True).stdout.strip()
                print(f"{'idle plain session heap':34} {int(idle):>10} bytes (target: under 65536)")
            server.stop()
    shutil.rmtree(work, ignore_errors=True)


def print_row(row):
    """CPU: median seconds of the client process; server busy: the server's CPU time over the
    wall time while it served ftpc / curl (100% is one core)."""
    name, f, c, ratio, fcpu, ccpu, fbusy, cbusy, frss, crss = row
    fmt = lambda v, spec, unit="": format(v, spec) + unit if v is not None else "-"
    pct = lambda v: fmt(v if v is None else v * 100, ".0f", "%")
    busy = f"{pct(fbusy)} / {pct(cbusy)}" if fbusy is not None else "-"
    print(f"{name:34} {fmt(f, '.0f'):>10} {fmt(c, '.0f'):>10} {fmt(ratio, '.2f'):>6} "
          f"{fmt(fcpu, '.2f', 's'):>9} {fmt(ccpu, '.2f', 's'):>9} {busy:>12} "
          f"{fmt(frss, 'd', 'KB'):>9} {fmt(crss, 'd', 'KB'):>9}", flush=True)


if __name__ == "__main__":
    main()
