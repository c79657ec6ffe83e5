#!/usr/bin/env bash
# The Ruby gem's tests, as scripts/test.sh runs them: against pyftpdlib and vsftpd, each plain
# and with explicit TLS verified against the test CA. Assumes scripts/servers/install.sh and
# make-certs.sh ran. FTPC_PREFIX is where libftpc is installed (default: target/prefix, which
# scripts/test.sh fills with `make install PREFIX=target/prefix`).
#
# The tests start their own servers (test/servers.rb) and stop them by PID when they end; each
# server also exits when its standard input, a pipe from the test process, closes, so a test
# run that dies (or is interrupted) takes its servers with it.
#
# Last line: `test result: ok. N passed; M failed` (or FAILED), counting the tests run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
export FTPC_PREFIX="${FTPC_PREFIX:-$top/target/prefix}"
case "$FTPC_PREFIX" in /*) ;; *) FTPC_PREFIX="$top/$FTPC_PREFIX" ;; esac

say() { printf '==> %s\n' "$*"; }

# Toolchain: Debian's Ruby, its ffi gem and minitest (rubygems.org is not used).
need=()
command -v ruby >/dev/null 2>&1 || need+=(ruby)
if command -v ruby >/dev/null 2>&1; then
  ruby -e 'require "ffi"' >/dev/null 2>&1 || need+=(ruby-ffi)
  ruby -e 'require "minitest"' >/dev/null 2>&1 || need+=(ruby-minitest)
else
  need+=(ruby-ffi)
fi
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]} (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y "${need[@]}" >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y "${need[@]}"; }
  ruby -e 'require "minitest"' >/dev/null 2>&1 || apt-get install -y ruby-minitest
fi

if [ ! -e "$FTPC_PREFIX/lib/libftpc.so.0" ]; then
  echo "libftpc.so.0 not found under $FTPC_PREFIX/lib (run make install PREFIX=...)" >&2
  echo "test result: FAILED. 0 passed; 1 failed"
  exit 1
fi
for f in "$top/target/ftp-venv/bin/python" "$top/target/test-certs/ca.pem"; do
  if [ ! -e "$f" ]; then
    echo "$f missing: run scripts/servers/install.sh and scripts/servers/make-certs.sh" >&2
    echo "test result: FAILED. 0 passed; 1 failed"
    exit 1
  fi
done

say "ruby $(ruby -e 'print RUBY_VERSION'), ffi $(ruby -e 'require "ffi"; print FFI::VERSION'), libftpc from $FTPC_PREFIX"
cd "$here"
log=$(mktemp)
trap 'rm -f "$log"' EXIT

say "gem build"
gemdir=$(mktemp -d)
(cd "$here" && gem build ftpc.gemspec --output "$gemdir/ftpc.gem" >/dev/null 2>&1) || {
  echo "gem build failed" >&2; echo "test result: FAILED. 0 passed; 1 failed"; exit 1; }
rm -rf "$gemdir"

say "minitest (test/test_*.rb)"
set +e
# A hung test fails the run instead of blocking it (the whole suite takes well under a minute).
timeout --kill-after=15 "${FTPC_RUBY_TEST_TIMEOUT:-600}" \
  ruby -w -Ilib -Itest -e 'Dir["test/test_*.rb"].sort.each { |f| require File.expand_path(f) }' \
  -- --verbose >"$log" 2>&1
status=$?
set -e
grep -v -E '^\[I [0-9-]+ ' "$log" | grep -v -E '^(Test[A-Za-z]+#test_[a-z0-9_]+ = [0-9.]+ s = \.)$' || true

summary=$(grep -E '^[0-9]+ runs, [0-9]+ assertions' "$log" | tail -1 || true)
if [ -z "$summary" ]; then
  echo "the test run ended without a summary (exit $status)" >&2
  echo "test result: FAILED. 0 passed; 1 failed"
  exit 1
fi
read -r runs failures errors skips < <(echo "$summary" |
  sed -E 's/^([0-9]+) runs, [0-9]+ assertions, ([0-9]+) failures, ([0-9]+) errors, ([0-9]+) skips.*/\1 \2 \3 \4/')
failed=$((failures + errors))
passed=$((runs - failed - skips))
if [ "$status" -eq 0 ] && [ "$failed" -eq 0 ]; then
  echo "test result: ok. $passed passed; $failed failed"
else
  [ "$failed" -gt 0 ] || failed=1
  echo "test result: FAILED. $passed passed; $failed failed"
  exit 1
fi
