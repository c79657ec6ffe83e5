#!/usr/bin/env bash
# The Python package's tests, as scripts/test.sh runs them:
#
#   FTPC_PREFIX=/path/to/prefix bindings/python/test.sh     (default: <top>/target/prefix)
#
# Builds the wheel from FTPC_PREFIX (bundling libftpc.so.0), installs it into a venv under
# target/, and runs pytest against real servers that the tests start and stop themselves
# (pyftpdlib and vsftpd, plain and explicit TLS verified against the test CA; see
# tests/conftest.py). Needs scripts/servers/install.sh and make-certs.sh to have run, and root
# (vsftpd). The last line is `test result: ok. N passed; M failed` (or FAILED).
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TOP="$(cd "$HERE/../.." && pwd)"
export FTPC_PREFIX="${FTPC_PREFIX:-$TOP/target/prefix}"
VENV="$TOP/target/py-bindings-venv"
DIST="$TOP/target/py-bindings-dist"
JUNIT="$TOP/target/py-bindings-junit.xml"

fail() {
    echo "bindings/python: $*" >&2
    echo "test result: FAILED. 0 passed; 1 failed"
    exit 1
}

[ -e "$FTPC_PREFIX/lib/libftpc.so.0" ] ||
    fail "$FTPC_PREFIX/lib/libftpc.so.0 is missing (make install PREFIX=$FTPC_PREFIX)"
[ -x "$TOP/target/ftp-venv/bin/python" ] || fail "target/ftp-venv is missing: run scripts/servers/install.sh"
[ -e "$TOP/target/test-certs/ca.pem" ] || fail "target/test-certs is missing: run scripts/servers/make-certs.sh"

PYTHON="${PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ]; then
    if ! "$PYTHON" -m venv "$VENV" >/dev/null 2>&1; then
        # Debian's python3 keeps venv (and ensurepip) in a package of its own.
        rm -rf "$VENV"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv >/dev/null ||
            fail "cannot install python3-venv"
        "$PYTHON" -m venv "$VENV" || fail "cannot create $VENV"
    fi
fi
if ! "$VENV/bin/python" -c "import cffi, pytest, setuptools, wheel" >/dev/null 2>&1; then
    "$VENV/bin/pip" install -q "cffi>=1.15" "pytest>=7" "setuptools>=61" wheel ||
        fail "pip install of cffi, pytest, setuptools, wheel failed"
fi

# The wheel, as users get it: built from FTPC_PREFIX, with the library inside.
rm -rf "$DIST" "$HERE/build" "$HERE/src/ftpc.egg-info"
"$VENV/bin/pip" wheel -q --no-deps --no-build-isolation -w "$DIST" "$HERE" ||
    fail "building the wheel failed"
WHEEL="$(ls "$DIST"/ftpc-*.whl 2>/dev/null | head -n1)"
[ -n "$WHEEL" ] || fail "no wheel in $DIST"
"$VENV/bin/pip" install -q --force-reinstall --no-deps "$WHEEL" || fail "installing $WHEEL failed"
rm -rf "$HERE/build" "$HERE/src/ftpc.egg-info"

# From a directory where the source tree's ftpc is not importable: the installed one is tested.
cd "$HERE/tests" || fail "no tests directory"
rm -f "$JUNIT"
FTPC_EXPECT_WHEEL="$WHEEL" "$VENV/bin/python" -m pytest -q -p no:cacheprovider \
    --rootdir "$HERE" -c "$HERE/pyproject.toml" --junitxml "$JUNIT" "$HERE/tests"
status=$?

counts="$("$VENV/bin/python" - "$JUNIT" <<'PY'
import sys
import xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
except (OSError, ET.ParseError):
    print("0 1")
    sys.exit()
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
tests = sum(int(s.get("tests", 0)) for s in suites)
failed = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
skipped = sum(int(s.get("skipped", 0)) for s in suites)
print(tests - failed - skipped, failed)
PY
)"
passed="${counts% *}"
failed="${counts#* }"
if [ "$status" -eq 0 ] && [ "$failed" -eq 0 ]; then
    echo "test result: ok. $passed passed; $failed failed"
else
    [ "$failed" -eq 0 ] && failed=1
    echo "test result: FAILED. $passed passed; $failed failed"
    exit 1
fi
