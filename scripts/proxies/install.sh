#!/usr/bin/env bash
# Installs the real proxies the proxy tests run through: Dante (SOCKS5, RFC 1928/1929) and
# tinyproxy (HTTP CONNECT with basic authentication), Debian's builds. As for the FTP servers
# (scripts/servers/install.sh), the .debs are fetched with `apt-get download` and unpacked with
# `dpkg-deb -x` into target/proxies/NAME; only the shared libraries they link against are
# apt-get installed, so no daemon or boot-time service is left behind. The tests start each
# proxy on 127.0.0.1 at a port chosen at run time and stop it by its PID
# (tests/common/proxies.rs). Debian 12, as root. Idempotent.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
proxies="$top/target/proxies"
export DEBIAN_FRONTEND=noninteractive
apt_get() { apt-get -o DPkg::Lock::Timeout=600 "$@"; }

unpack() { # NAME PACKAGE
  local name=$1 package=$2
  local dir="$proxies/$name"
  [ -f "$dir/.package" ] && return 0
  [ "$(id -u)" = 0 ] || { echo "error: need root to unpack $package" >&2; exit 1; }
  echo "unpacking $package into $dir"
  local tmp
  tmp=$(mktemp -d)
  (cd "$tmp" && apt_get download -qq -o APT::Sandbox::User=root "$package") ||
    { apt_get update -qq && (cd "$tmp" && apt_get download -qq -o APT::Sandbox::User=root "$package"); }
  rm -rf "$dir"
  mkdir -p "$dir"
  dpkg-deb -x "$tmp"/*.deb "$dir"
  basename "$tmp"/*.deb > "$dir/.package"
  rm -rf "$tmp"
}
unpack dante dante-server
unpack tinyproxy tinyproxy-bin

# Dante links against libwrap0 and libpam0g besides libc.
need=()
for lib in libwrap0 libpam0g libcrypt1; do
  dpkg-query -W -f='${Status}' "$lib" 2>/dev/null | grep -q 'ok installed' || need+=("$lib")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]} with apt-get"
  apt_get update -qq
  apt_get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
for program in "$proxies/dante/usr/sbin/danted" "$proxies/tinyproxy/usr/bin/tinyproxy"; do
  if [ ! -x "$program" ] || ldd "$program" | grep -q 'not found'; then
    echo "error: $program is missing or lacks libraries: remove $proxies and run again" >&2
    exit 1
  fi
done
