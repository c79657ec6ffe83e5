#!/usr/bin/env bash
# Installs the real FTP servers the tests run against, and the C toolchain pieces the C tests
# use (pkg-config, valgrind): pyftpdlib (into a venv the project owns)
# and vsftpd (Debian package, its own daemon kept from starting), plus the test user vsftpd logs
# in through PAM. Idempotent: a second run only checks.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
venv="$top/target/ftp-venv"

if ! "$venv/bin/python" -c 'import pyftpdlib, OpenSSL' 2>/dev/null; then
  echo "installing pyftpdlib into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check 'pyftpdlib>=2.0' pyOpenSSL
fi

need_apt=()
command -v vsftpd >/dev/null 2>&1 || [ -x /usr/sbin/vsftpd ] || need_apt+=(vsftpd)
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
command -v curl >/dev/null 2>&1 || need_apt+=(curl)
command -v pkg-config >/dev/null 2>&1 || need_apt+=(pkg-config)
command -v cc >/dev/null 2>&1 || need_apt+=(gcc)
command -v c++ >/dev/null 2>&1 || need_apt+=(g++)
command -v make >/dev/null 2>&1 || need_apt+=(make)
command -v valgrind >/dev/null 2>&1 || need_apt+=(valgrind)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "error: need root to apt-get install ${need_apt[*]}" >&2
    exit 1
  fi
  echo "installing ${need_apt[*]} with apt-get"
  # Keep the packaged vsftpd from starting a daemon on port 21: tests start their own.
  policy=/usr/sbin/policy-rc.d
  had_policy=0; [ -e "$policy" ] && had_policy=1
  if [ $had_policy = 0 ]; then printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod +x "$policy"; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  if [ $had_policy = 0 ]; then rm -f "$policy"; fi
fi
# In case a packaged daemon got started anyway.
pkill -x vsftpd 2>/dev/null && echo "stopped a packaged vsftpd daemon" || true

# vsftpd logs in real local users through PAM.
if [ "$(id -u)" = 0 ] && ! id ftpctest >/dev/null 2>&1; then
  useradd --create-home --shell /bin/bash ftpctest
fi
if [ "$(id -u)" = 0 ]; then
  echo 'ftpctest:ftpc-test-pw' | chpasswd
fi
echo "servers ready: pyftpdlib in $venv, vsftpd at $(command -v vsftpd || echo /usr/sbin/vsftpd)"
