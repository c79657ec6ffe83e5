#!/usr/bin/env bash
# The main job on a fresh machine: installs the test servers, builds ftpc, starts pyftpdlib on
# 127.0.0.1 and runs the demo against it (upload, list, download, compare).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bash scripts/servers/install.sh
cargo build --release --examples
root=$(mktemp -d /tmp/ftpc-demo.XXXXXX)
chmod 777 "$root"
fifo=$(mktemp -u /tmp/ftpc-demo-ready.XXXXXX)
mkfifo "$fifo"
# The server exits when its stdin closes, that is when this script ends.
sleep infinity | target/ftp-venv/bin/python scripts/servers/ftpserver.py pyftpdlib --root "$root" > "$fifo" 2>"$root.log" &
server=$!
trap 'kill $server 2>/dev/null; pkill -P $$ sleep 2>/dev/null; rm -rf "$root" "$root.log" "$fifo"' EXIT
read -r ready port < "$fifo"
[ "$ready" = READY ] || { echo "server did not start; see $root.log" >&2; exit 1; }
echo "pyftpdlib listening on 127.0.0.1:$port"
FTP_PASSWORD=ftpc-test-pw target/release/examples/demo 127.0.0.1 "$port" ftpctest
