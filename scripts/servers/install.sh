#!/usr/bin/env bash
# Installs the real FTP servers the tests run against, and the C toolchain pieces the C tests
# use (pkg-config, valgrind):
#   - pyftpdlib, into a venv the project owns (target/ftp-venv);
#   - vsftpd 3.0.3, ProFTPD 1.3.8 (proftpd-core + proftpd-mod-crypto: mod_tls, mod_digest) and
#     Pure-FTPd 1.0.50, Debian's builds: the .debs are fetched with `apt-get download` and
#     unpacked with `dpkg-deb -x` into target/servers/NAME, and only the shared libraries they
#     link against are apt-get installed. The server packages themselves are never installed:
#     they conflict with each other (each Provides/Conflicts ftp-server) and would each bring a
#     daemon on port 21 and a boot-time service;
#   - the test user `ftpctest` (no login shell) and the PAM service `ftpc-vsftpd` that vsftpd
#     logs it in through.
# Debian 12, as root. Idempotent: a second run only checks.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
venv="$top/target/ftp-venv"
servers="$top/target/servers"
user=ftpctest
password=ftpc-test-pw
pam_service=/etc/pam.d/ftpc-vsftpd
nologin=/usr/sbin/nologin

is_root() { [ "$(id -u)" = 0 ]; }
need_root() {
  is_root && return 0
  echo "error: need root to $*" >&2
  exit 1
}

# cffi: the test that loads include/ftpc_cdef.h the way a Python binding would.
if ! "$venv/bin/python" -c 'import pyftpdlib, OpenSSL, cffi' 2>/dev/null; then
  echo "installing pyftpdlib into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check 'pyftpdlib>=2.0' pyOpenSSL cffi
fi

# apt-get waits for a lock another apt-get (a second checkout running this script) holds.
apt_get() { apt-get -o DPkg::Lock::Timeout=600 "$@"; }
apt_updated=0
apt_update() {
  if [ $apt_updated = 0 ]; then
    apt_get update -qq
    apt_updated=1
  fi
}
export DEBIAN_FRONTEND=noninteractive

# Installs packages with apt-get, no daemon allowed to start: a policy-rc.d that refuses every
# start for the duration (Debian's documented switch; invoke-rc.d and deb-systemd-invoke obey
# it), removed afterwards unless it was there before.
policy=/usr/sbin/policy-rc.d
apt_install() {
  need_root "apt-get install $*"
  echo "installing $* with apt-get"
  local own_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy"
    chmod +x "$policy"
    own_policy=1
    trap 'rm -f "$policy"' EXIT
  fi
  apt_update
  apt_get install -y -qq --no-install-recommends "$@" >/dev/null
  if [ $own_policy = 1 ]; then
    rm -f "$policy"
    trap - EXIT
  fi
}

need_apt=()
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
command -v curl >/dev/null 2>&1 || need_apt+=(curl)
command -v pkg-config >/dev/null 2>&1 || need_apt+=(pkg-config)
command -v cc >/dev/null 2>&1 || need_apt+=(gcc)
command -v c++ >/dev/null 2>&1 || need_apt+=(g++)
command -v make >/dev/null 2>&1 || need_apt+=(make)
command -v valgrind >/dev/null 2>&1 || need_apt+=(valgrind)
if [ ${#need_apt[@]} -gt 0 ]; then
  apt_install "${need_apt[@]}"
fi

# Unpacks Debian packages into $servers/NAME (once; remove the directory to refresh) and keeps
# their Depends fields there, from which the shared libraries are installed below.
unpack() { # NAME PACKAGE...
  local name=$1; shift
  local dir="$servers/$name"
  [ -f "$dir/.packages" ] && return 0
  need_root "unpack $*"
  echo "unpacking $* into $dir"
  apt_update
  local tmp
  tmp=$(mktemp -d)
  (cd "$tmp" && apt_get download -qq -o APT::Sandbox::User=root "$@")
  rm -rf "$dir"
  mkdir -p "$dir"
  local deb
  for deb in "$tmp"/*.deb; do
    dpkg-deb -x "$deb" "$dir"
    dpkg-deb -f "$deb" Depends >> "$dir/.depends"
    basename "$deb" >> "$dir/.packages.tmp"
  done
  rm -rf "$tmp"
  mv "$dir/.packages.tmp" "$dir/.packages"
}
unpack vsftpd vsftpd
unpack proftpd proftpd-core proftpd-mod-crypto
unpack pure-ftpd pure-ftpd

# The shared libraries the unpacked programs link against: the Debian library packages
# (lib*<soversion>, zlib1g) among their dependencies, the first of any alternatives.
need_libs=()
for lib in $(cat "$servers"/*/.depends | tr ',' '\n' | sed 's/^ *//; s/[ |].*//' |
  grep -E '^(lib[a-z0-9.+-]*[0-9][a-z0-9.+-]*|zlib1g)$' | sort -u); do
  dpkg-query -W -f='${Status}' "$lib" 2>/dev/null | grep -q 'ok installed' || need_libs+=("$lib")
done
if [ ${#need_libs[@]} -gt 0 ]; then
  apt_install "${need_libs[@]}"
fi
# Every program and module finds its libraries.
programs=(
  "$servers/vsftpd/usr/sbin/vsftpd"
  "$servers/proftpd/usr/sbin/proftpd"
  "$servers/proftpd/usr/lib/proftpd/mod_tls.so"
  "$servers/proftpd/usr/lib/proftpd/mod_digest.so"
  "$servers/pure-ftpd/usr/sbin/pure-ftpd"
  "$servers/pure-ftpd/usr/bin/pure-pw"
)
for program in "${programs[@]}"; do
  if [ ! -e "$program" ]; then
    echo "error: $program is missing: remove $servers and run again" >&2
    exit 1
  fi
  if ldd "$program" | grep -q 'not found'; then
    echo "error: $program lacks shared libraries:" >&2
    ldd "$program" | grep 'not found' >&2
    exit 1
  fi
done

# The test user, which vsftpd logs in through PAM and whose uid ProFTPD's and Pure-FTPd's
# virtual users map to. It has no login shell, so a developer's machine is not left with an
# account anyone who knows the test password could log in to.
if is_root; then
  if ! id "$user" >/dev/null 2>&1; then
    useradd --no-create-home --home-dir /nonexistent --shell "$nologin" "$user"
  elif [ "$(getent passwd "$user" | cut -d: -f7)" != "$nologin" ]; then
    echo "taking the login shell away from $user"
    usermod --shell "$nologin" "$user"
  fi
  echo "$user:$password" | chpasswd
elif ! id "$user" >/dev/null 2>&1; then
  need_root "create the test user $user"
fi

# vsftpd's own PAM service: password and account checks only. Debian's /etc/pam.d/vsftpd also
# requires a shell listed in /etc/shells (pam_shells), which the test user no longer has.
pam_text='# ftpc test servers (scripts/servers/install.sh): vsftpd logs in the test user.
auth	required	pam_unix.so
account	required	pam_unix.so
session	required	pam_permit.so'
if [ "$(cat "$pam_service" 2>/dev/null)" != "$pam_text" ]; then
  need_root "write $pam_service"
  printf '%s\n' "$pam_text" > "$pam_service"
fi

echo "servers ready: pyftpdlib in $venv; vsftpd, proftpd, pure-ftpd in $servers"
