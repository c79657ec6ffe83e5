#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 60) with cargo-fuzz on the stable toolchain
# (coverage-guided libFuzzer, sanitizer off: the targets are safe Rust and check their own
# invariants). A crash fails the run and leaves its input in fuzz/artifacts/.
set -euo pipefail
secs=${1:-60}
cd "$(dirname "$0")/../fuzz"
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
log=$(mktemp)
for target in $(cargo fuzz list); do
  echo "fuzzing $target for ${secs}s"
  status=0
  cargo fuzz run "$target" -s none -- -max_total_time="$secs" > "$log" 2>&1 || status=$?
  grep -E "^Done" "$log" || true
  if [ "$status" -ne 0 ]; then
    tail -n 40 "$log"
    echo "fuzz target $target failed (status $status); the input is in fuzz/artifacts/$target" >&2
    exit 1
  fi
done
rm -f "$log"
