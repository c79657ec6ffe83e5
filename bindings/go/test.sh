#!/usr/bin/env bash
# The Go binding's tests: go vet, then `go test` against real servers (pyftpdlib and vsftpd,
# each plain and with explicit TLS, certificates verified), which the tests start and stop
# themselves (TestMain; the servers also exit when their stdin closes, so a killed run takes
# them along). Then the tests that use goroutines and callbacks again, under the race detector
# and cgo's full pointer checks (GODEBUG=cgocheck=2).
#
#   FTPC_PREFIX=/path/to/prefix bindings/go/test.sh      (default: <repo>/target/prefix)
#
# Assumes scripts/servers/install.sh and make-certs.sh ran. Installs Go, gcc and pkg-config
# from Debian if missing. The last line is `test result: ok. N passed; M failed`.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
export FTPC_TOP="$top"
export FTPC_PREFIX="${FTPC_PREFIX:-$top/target/prefix}"

need=()
command -v go >/dev/null || need+=(golang-go)
command -v gcc >/dev/null || need+=(gcc)
command -v pkg-config >/dev/null || need+=(pkg-config)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y "${need[@]}" >/dev/null ||
    { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y "${need[@]}" >/dev/null; } ||
    { echo "could not install ${need[*]}"; echo "test result: FAILED. 0 passed; 1 failed"; exit 1; }
fi
if [ ! -f "$FTPC_PREFIX/lib/pkgconfig/ftpc.pc" ]; then
  echo "no libftpc in $FTPC_PREFIX (make install PREFIX=$FTPC_PREFIX)"
  echo "test result: FAILED. 0 passed; 1 failed"
  exit 1
fi

# Without a HOME (some CI runners), keep Go's caches under target/.
if [ -z "${HOME:-}" ]; then
  export GOCACHE="${GOCACHE:-$top/target/go-cache}" GOPATH="${GOPATH:-$top/target/go-path}"
fi
# Standard library only; the module proxy is not reachable and not needed.
export GOPROXY=off GOTOOLCHAIN=local GOFLAGS=-mod=mod GO111MODULE=on CGO_ENABLED=1
export PKG_CONFIG_PATH="$FTPC_PREFIX/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export LD_LIBRARY_PATH="$FTPC_PREFIX/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
cd "$here"

work=$(mktemp -d /tmp/ftpc-go-run.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

passed=0 failed=0
# count FILE: adds the leaf tests of a `go test -json` stream to the totals.
count() {
  local line
  line=$("$top/target/ftp-venv/bin/python" - "$1" <<'PY'
import json, sys
results, parents = {}, set()
for raw in open(sys.argv[1], errors="replace"):
    try:
        ev = json.loads(raw)
    except ValueError:
        continue
    name = ev.get("Test")
    if not name:
        continue
    if "/" in name:
        parents.add(name.rsplit("/", 1)[0])
    if ev.get("Action") in ("pass", "fail"):
        results[name] = ev["Action"]
# A parent whose subtests all ran counts through them; a parent that failed before any
# subtest ran counts itself.
p = sum(1 for n, a in results.items() if a == "pass" and n not in parents)
f = sum(1 for n, a in results.items() if a == "fail" and (n not in parents or
        not any(k.startswith(n + "/") and v == "fail" for k, v in results.items())))
print(p, f)
PY
)
  passed=$((passed + ${line% *})) failed=$((failed + ${line#* }))
}

echo "== gofmt, go vet"
unformatted=$(gofmt -l .)
[ -z "$unformatted" ] || echo "not gofmt-formatted: $unformatted"
if [ -z "$unformatted" ] && go vet ./... && go vet -tags ftpc_static ./...; then
  passed=$((passed + 1))
else
  failed=$((failed + 1))
fi

echo "== go test (libftpc from $FTPC_PREFIX)"
go test -count=1 -json -timeout 150s ./... > "$work/test.json" &
pids+=($!)
wait $! ; rc=$?
go_fail=$rc
# Show each test's result and the output of failures.
"$top/target/ftp-venv/bin/python" - "$work/test.json" <<'PY'
import json, sys
out = {}
for raw in open(sys.argv[1], errors="replace"):
    try:
        ev = json.loads(raw)
    except ValueError:
        print(raw, end="")
        continue
    name, act = ev.get("Test"), ev.get("Action")
    if act == "output":
        out.setdefault(name, []).append(ev["Output"])
    elif name and act in ("pass", "fail", "skip"):
        print(f"{act.upper():4} {name} ({ev.get('Elapsed', 0)}s)")
        if act == "fail":
            sys.stdout.write("".join(out.get(name, [])))
    elif not name and act == "fail":
        sys.stdout.write("".join(out.get(None, [])))
PY
count "$work/test.json"

echo "== go test -race, GODEBUG=cgocheck=2 (concurrency, cancellation, callbacks)"
GODEBUG=cgocheck=2 go test -count=1 -race -json -timeout 120s -run 'TestConcurrent|TestCancel|TestCloseDuringTransfer|TestAbortFromCallbacks' ./... > "$work/race.json" &
pids+=($!)
wait $! ; race_rc=$?
if [ $race_rc -eq 0 ]; then
  echo "race detector and cgocheck=2: clean"
else
  grep -h '"Output"' "$work/race.json" | "$top/target/ftp-venv/bin/python" -c '
import json, sys
for l in sys.stdin:
    sys.stdout.write(json.loads(l)["Output"])' | grep -v '^=== ' | tail -60
fi
# The race run counts as one test: the same tests already count above.
if [ $race_rc -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi

if [ $go_fail -ne 0 ] && [ $failed -eq 0 ]; then failed=1; fi
if [ $failed -eq 0 ]; then
  echo "test result: ok. $passed passed; $failed failed"
else
  echo "test result: FAILED. $passed passed; $failed failed"
  exit 1
fi
