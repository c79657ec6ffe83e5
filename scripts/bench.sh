#!/usr/bin/env bash
# Benchmark against curl (see bench/bench.py and BENCHMARKS.md): builds the release library,
# installs it into target/prefix, builds bench/ftpc_bench.c with pkg-config, runs the cases.
# Arguments go to bench.py, e.g. --size-mib 256 --runs 3.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bash scripts/servers/install.sh >/dev/null
bash scripts/servers/make-certs.sh >/dev/null
command -v /usr/bin/time >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
make install PREFIX="$top/target/prefix" >/dev/null
cargo build --release --example idle_heap --quiet
mkdir -p target/bench
export PKG_CONFIG_PATH="$top/target/prefix/lib/pkgconfig"
cc -O2 -std=c99 -Wall -Wextra -Wpedantic -Werror $(pkg-config --cflags ftpc) bench/ftpc_bench.c \
  -o target/bench/ftpc_bench $(pkg-config --libs ftpc) -Wl,-rpath,"$(pkg-config --variable=libdir ftpc)"
exec python3 bench/bench.py "$@"
