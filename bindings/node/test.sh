#!/usr/bin/env bash
# Runs the Node package's tests against real servers (pyftpdlib and vsftpd, each plain and with
# explicit TLS verified against target/test-certs/ca.pem). Called by scripts/test.sh; assumes
# scripts/servers/install.sh and make-certs.sh already ran. The tests start their own servers
# (test/servers.js) and stop them by PID; a server also exits when its stdin closes, so none
# outlives this script.
#
#   FTPC_PREFIX  where libftpc is installed (default: <repo top>/target/prefix)
#
# Last line: `test result: ok. N passed; M failed` (or FAILED).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
top="$(cd "$here/../.." && pwd)"
export FTPC_PREFIX="${FTPC_PREFIX:-$top/target/prefix}"
cd "$here"

fail() {
  echo "bindings/node/test.sh: $*" >&2
  echo "test result: FAILED. 0 passed; 1 failed"
  exit 1
}

[ -e "$FTPC_PREFIX/lib/libftpc.so.0" ] || fail "no libftpc in $FTPC_PREFIX/lib (make install PREFIX=...)"
[ -x "$top/target/ftp-venv/bin/python" ] || fail "no test servers: run scripts/servers/install.sh"
[ -e "$top/target/test-certs/ca.pem" ] || fail "no test certificates: run scripts/servers/make-certs.sh"

# Node 20 or newer and npm: Debian's packages when missing.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$major" -ge 20 ] || fail "Node $major is too old: the package needs Node 20 or newer"
command -v mkfifo >/dev/null || fail "mkfifo (coreutils) is needed by the event-loop tests"

# Dependencies exactly as locked, only when missing or older than the lock file.
if [ ! -e node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
fi

tap="$(mktemp)"
runner=""
cleanup() {
  if [ -n "$runner" ] && kill -0 "$runner" 2>/dev/null; then kill "$runner" 2>/dev/null || true; fi
  rm -f "$tap"
  rm -rf "${TMPDIR:-/tmp}/ftpc-node-tests-$(id -u)"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

status=0
# The type declarations and the typed example must compile.
if ! npx --no-install tsc -p examples/tsconfig.json; then
  echo "bindings/node/test.sh: tsc --noEmit failed" >&2
  status=1
fi

node --test --test-timeout=120000 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$tap" \
  test/*.test.js &
runner=$!
wait "$runner" || status=1
runner=""

passed="$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$tap" | tail -1)"
failed="$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$tap" | tail -1)"
cancelled="$(sed -n 's/^# cancelled \([0-9]*\)$/\1/p' "$tap" | tail -1)"
passed="${passed:-0}"
failed=$(( ${failed:-0} + ${cancelled:-0} ))
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi

if [ "$status" -eq 0 ] && [ "$failed" -eq 0 ]; then
  echo "test result: ok. $passed passed; $failed failed"
else
  echo "test result: FAILED. $passed passed; $failed failed"
  exit 1
fi
