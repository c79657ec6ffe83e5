#!/usr/bin/env bash
# Benchmark against curl and lftp (see bench/bench.py and BENCHMARKS.md): builds the release
# library, installs it into target/prefix, builds bench/ftpc_bench.c with pkg-config and
# examples/bench_rust.rs, runs the cases. Arguments go to bench.py, e.g. --size-mib 256 --runs 3
# --only sink --tools ftpc,curl; then bench/pool_bench.py runs the pool's cases (issue 16) with
# their defaults, or alone with --pool ARGS.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bash scripts/servers/install.sh >/dev/null
bash scripts/servers/make-certs.sh >/dev/null
command -v /usr/bin/time >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
make install PREFIX="$top/target/prefix" >/dev/null
cargo build --release --example idle_heap --example bench_rust --quiet
mkdir -p target/bench
export PKG_CONFIG_PATH="$top/target/prefix/lib/pkgconfig"
cc -O2 -std=c99 -Wall -Wextra -Wpedantic -Werror $(pkg-config --cflags ftpc) bench/ftpc_bench.c \
  -o target/bench/ftpc_bench $(pkg-config --libs ftpc) -Wl,-rpath,"$(pkg-config --variable=libdir ftpc)"
cc -O2 -std=c99 -Wall -Wextra -Wpedantic -Werror $(pkg-config --cflags ftpc) bench/pool_bench.c \
  -o target/bench/pool_bench $(pkg-config --libs ftpc) -Wl,-rpath,"$(pkg-config --variable=libdir ftpc)"
# bench.py's and the pool's cases compare with lftp (Debian's).
command -v lftp >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq lftp >/dev/null; }
# `scripts/bench.sh --pool [ARGS]`: only the pool's cases (bench/pool_bench.py ARGS).
if [ "${1:-}" = "--pool" ]; then
  shift
  exec python3 bench/pool_bench.py "$@"
fi
python3 bench/bench.py "$@"
exec python3 bench/pool_bench.py
