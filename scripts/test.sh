#!/usr/bin/env bash
# Every test of the project, as CI runs it: installs the real test servers, checks formatting
# and lints, then runs the unit tests, the scripted-server tests and the tests against
# pyftpdlib, vsftpd, ProFTPD and Pure-FTPd (built with --features real-servers; plain
# `cargo test` leaves those out, see tests/README.md).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

step() { printf '\n==> %s\n' "$*"; }

# The real-server tests keep their servers' roots (files up to 64 MiB) under
# $TMPDIR/ftpc-tests-UID for inspection after a failure; a new run starts without the last
# run's, so repeated runs do not fill the disk.
rm -rf "${TMPDIR:-/tmp}/ftpc-tests-$(id -u)"

step "installing test servers"
bash scripts/servers/install.sh
bash scripts/proxies/install.sh
bash scripts/servers/make-certs.sh

step "cargo fmt --check"
cargo fmt --all -- --check

# The tests against the real servers are built only with real-servers; generate-header
# regenerates include/ftpc.h so a test can check the committed one for drift.
features=(--features real-servers,generate-header)

step "cargo clippy --all-targets ${features[*]} -- -D warnings (and without the feature)"
cargo clippy --all-targets "${features[@]}" -- -D warnings
cargo clippy --all-targets -- -D warnings

step "cargo test ${features[*]} (unit tests, real servers, scripted faults)"
cargo test --all-targets "${features[@]}" --no-fail-fast 2>&1 | tee target/test-output.txt
cargo test --doc "${features[@]}"

step "the language packages (bindings/*/test.sh) against the release library"
make install PREFIX="$top/target/prefix" >/dev/null
export FTPC_PREFIX="$top/target/prefix"
# Every package runs even when one fails; the script fails at the end.
failed_packages=()
for lang in python go ruby node; do
  [ -x "bindings/$lang/test.sh" ] || continue
  step "bindings/$lang/test.sh"
  bash "bindings/$lang/test.sh" 2>&1 | tee -a target/test-output.txt || failed_packages+=("$lang")
done

step "fuzzing every target for ${FUZZ_SECONDS:-60}s (scripts/fuzz.sh)"
bash scripts/fuzz.sh "${FUZZ_SECONDS:-60}"

# One closing line that counts every test run above.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "\nall tests: %d passed, %d failed\n", p, f }' target/test-output.txt
if [ ${#failed_packages[@]} -gt 0 ]; then
  echo "failed language packages: ${failed_packages[*]}" >&2
  exit 1
fi
