#!/usr/bin/env python3
"""Benchmark of the session pool (issue 16): ftpc's pool (bench/pool_bench.c) against curl,
lftp and ftpc over one session, side by side in one run, on 127.0.0.1 with vsftpd.

    python3 bench/pool_bench.py [--runs 3] [--small-files 1000] [--segmented-mib 1024]
                                [--rate-mbps 50] [--mirror-max-mib 64] [--mirror-rate-mbps 0]
                                [--only CASE...]

Cases:
  files      COUNT files of 4 KiB: 4 pooled sessions, one session, curl (every URL in one
             invocation, so one connection reused).
  segmented  one file of SEGMENTED_MIB from vsftpd capped at RATE MB/s per connection
             (local_max_rate): 4 segments, one connection, `lftp -e "pget -n 4"`. Peak RSS.
  mirror     200 files from 1 KiB to MIRROR_MAX_MIB (log-spread, in 8 directories): 4 workers,
             one session, `lftp -e "mirror --parallel=4"`.

Each tool is run RUNS times, alternating; the median wall time (GNU time, connect and login
included) and the largest peak RSS are reported, with each tool's speed relative to the
case's first line. Run through scripts/bench.sh (`make bench`), which builds and installs the
release library and installs lftp (Debian) when it is missing.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import CERTS, PASSWORD, PY, SERVER, TOP, USER, timed  # noqa: E402

POOL_BENCH = os.path.join(TOP, "target/bench/pool_bench")


class Server:
    """vsftpd (a process per session, so sessions run in parallel) with extra options."""

    def __init__(self, root, extra=()):
        args = [PY, SERVER, "vsftpd", "--root", root, *extra]
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("READY "):
            sys.exit("vsftpd did not start")
        self.port = int(line.split()[1])

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


def fresh(path):
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)


def run_case(name, tools, nbytes, runs, env):
    """tools: [(label, argv, before_each)]; the first is the reference for the ratios."""
    samples = {label: ([], []) for label, _, _ in tools}
    for _ in range(runs):
        for label, argv, before in tools:
            if before:
                before()
            seconds, rss, _, _ = timed(argv, env)
            samples[label][0].append(seconds)
            samples[label][1].append(rss)
    reference = statistics.median(samples[tools[0][0]][0])
    print(f"\n{name}")
    print(f"  {'tool':38} {'median s':>9} {'MB/s':>8} {'vs first':>9} {'peak RSS':>10}")
    rows = []
    for label, _, _ in tools:
        t = statistics.median(samples[label][0])
        rss = max(samples[label][1])
        ratio = t / reference
        print(f"  {label:38} {t:9.2f} {nbytes / t / 1e6:8.1f} {1 / ratio:8.2f}x {rss:>8}KB",
              flush=True)
        rows.append((label, t, rss))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--small-files", type=int, default=1000)
    ap.add_argument("--segmented-mib", type=int, default=1024)
    ap.add_argument("--rate-mbps", type=int, default=50)
    ap.add_argument("--mirror-max-mib", type=int, default=64)
    ap.add_argument("--mirror-rate-mbps", type=int, default=0,
                    help="cap the mirror's server per connection too (0: no cap)")
    ap.add_argument("--only", nargs="*")
    args = ap.parse_args()
    lftp = shutil.which("lftp")
    if lftp is None:
        print("lftp is not installed (scripts/bench.sh installs it): its lines are skipped")
    shm = "/dev/shm" if os.path.isdir("/dev/shm") else None
    work = tempfile.mkdtemp(prefix="ftpc-pool-bench-", dir=shm)
    os.chmod(work, 0o755)
    env = dict(os.environ, FTP_PASSWORD=PASSWORD, FTPC_CA_FILE=f"{CERTS}/ca.pem")
    want = lambda case: not args.only or case in args.only
    try:
        if want("files"):
            root = os.path.join(work, "files-root")
            small = os.path.join(root, "small")
            os.makedirs(small)
            for i in range(args.small_files):
                with open(os.path.join(small, f"f{i:04d}.bin"), "wb") as f:
                    f.write(os.urandom(4096))
            for d in (root, small):
                os.chmod(d, 0o777)
            server = Server(root)
            url = f"ftp://{USER}@127.0.0.1:{server.port}/small"
            config = os.path.join(work, "curl.cfg")
            with open(config, "w") as f:
                for i in range(args.small_files):
                    f.write(f'url = "ftp://{USER}:{PASSWORD}@127.0.0.1:{server.port}/small/'
                            f'f{i:04d}.bin"\noutput = "/dev/null"\n')
            out4, out1 = os.path.join(work, "out4"), os.path.join(work, "out1")
            run_case(
                f"{args.small_files} files of 4 KiB (vsftpd)",
                [
                    ("ftpc pool, 4 sessions",
                     [POOL_BENCH, "files", url, str(args.small_files), out4, "4"],
                     lambda: fresh(out4)),
                    ("ftpc, one session",
                     [POOL_BENCH, "files", url, str(args.small_files), out1, "1"],
                     lambda: fresh(out1)),
                    ("curl, every URL in one invocation", ["curl", "-sS", "-K", config], None),
                ],
                args.small_files * 4096, args.runs, env)
            server.stop()

        if want("segmented"):
            root = os.path.join(work, "seg-root")
            os.makedirs(root)
            os.chmod(root, 0o777)
            big = os.path.join(root, "big.bin")
            with open(big, "wb") as f:
                block = os.urandom(1 << 20)
                for _ in range(args.segmented_mib):
                    f.write(block)
            os.chmod(big, 0o644)
            rate = args.rate_mbps * 1_000_000
            server = Server(root, ["--max-rate", str(rate)])
            url = f"ftp://{USER}@127.0.0.1:{server.port}/big.bin"
            target = os.path.join(work, "seg-out.bin")
            remove = lambda: os.path.exists(target) and os.unlink(target)
            tools = [
                ("ftpc segmented, 4 connections", [POOL_BENCH, "segmented", url, target, "4"],
                 remove),
                ("ftpc, one connection", [POOL_BENCH, "segmented", url, target, "1"], remove),
            ]
            if lftp:
                tools.append((
                    "lftp pget -n 4",
                    [lftp, "-u", f"{USER},{PASSWORD}", "-e",
                     f"set ftp:ssl-allow no; pget -n 4 big.bin -o {target}; quit",
                     f"ftp://127.0.0.1:{server.port}"],
                    remove))
            run_case(f"{args.segmented_mib} MiB, server capped at {args.rate_mbps} MB/s per "
                     "connection (vsftpd)", tools, args.segmented_mib << 20, args.runs, env)
            server.stop()
            os.unlink(big)
            remove()

        if want("mirror"):
            root = os.path.join(work, "mirror-root")
            tree = os.path.join(root, "tree")
            total = 0
            low, high = 1024, args.mirror_max_mib << 20
            for i in range(200):
                size = int(low * (high / low) ** (i / 199))
                d = os.path.join(tree, f"d{i % 8}")
                os.makedirs(d, exist_ok=True)
                with open(os.path.join(d, f"f{i:03d}.bin"), "wb") as f:
                    f.write(os.urandom(min(size, 1 << 20)) * (size >> 20) +
                            os.urandom(size & ((1 << 20) - 1)))
                total += size
            for dirpath, _, _ in os.walk(root):
                os.chmod(dirpath, 0o777)
            cap = ["--max-rate", str(args.mirror_rate_mbps * 1_000_000)] \
                if args.mirror_rate_mbps else []
            server = Server(root, cap)
            url = f"ftp://{USER}@127.0.0.1:{server.port}/tree"
            m4, m1, ml = (os.path.join(work, n) for n in ("m4", "m1", "mlftp"))
            tools = [
                ("ftpc mirror, 4 workers", [POOL_BENCH, "mirror", url, m4, "4"],
                 lambda: shutil.rmtree(m4, ignore_errors=True)),
                ("ftpc mirror, one session", [POOL_BENCH, "mirror", url, m1, "1"],
                 lambda: shutil.rmtree(m1, ignore_errors=True)),
            ]
            if lftp:
                tools.append((
                    "lftp mirror --parallel=4",
                    [lftp, "-u", f"{USER},{PASSWORD}", "-e",
                     f"set ftp:ssl-allow no; mirror --parallel=4 tree {ml}; quit",
                     f"ftp://127.0.0.1:{server.port}"],
                    lambda: shutil.rmtree(ml, ignore_errors=True)))
            capped = f", capped at {args.mirror_rate_mbps} MB/s" if cap else ""
            run_case(f"mirror of 200 files, 1 KiB to {args.mirror_max_mib} MiB, "
                     f"{total / 1e6:.0f} MB in 8 directories (vsftpd{capped})", tools, total,
                     args.runs, env)
            server.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
