#!/usr/bin/env bash
# The main job on a fresh machine: builds libftpc, installs it into target/prefix, builds the C
# examples with pkg-config, starts pyftpdlib with explicit TLS on 127.0.0.1, and runs ftpput,
# ftpls and ftpget against it, checking the downloaded bytes.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bash scripts/servers/install.sh
bash scripts/servers/make-certs.sh
prefix="$top/target/prefix"
make install PREFIX="$prefix"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
make -C examples-c clean all

root=$(mktemp -d /tmp/ftpc-demo.XXXXXX)
chmod 777 "$root"
work=$(mktemp -d /tmp/ftpc-demo-local.XXXXXX)
fifo="$work/ready"
mkfifo "$fifo"
certs="$top/target/test-certs"
# The server exits when its stdin closes, that is when this script ends.
sleep infinity | target/ftp-venv/bin/python scripts/servers/ftpserver.py pyftpdlib --root "$root" \
  --tls explicit --cert "$certs/server.pem" --key "$certs/server.key" > "$fifo" 2>"$work/server.log" &
server=$!
trap 'kill $server 2>/dev/null; pkill -P $$ sleep 2>/dev/null; rm -rf "$root" "$work"' EXIT
read -r ready port < "$fifo"
[ "$ready" = READY ] || { echo "server did not start; see $work/server.log" >&2; exit 1; }
echo "pyftpdlib with explicit TLS on 127.0.0.1:$port"

export FTP_PASSWORD=ftpc-test-pw FTPC_CA_FILE="$certs/ca.pem"
url="ftpes://ftpctest@127.0.0.1:$port"
head -c 8388608 /dev/urandom > "$work/sample.bin"
mkdir -p "$root/docs" && echo "hello from ftpc" > "$root/docs/readme.txt" && chmod -R a+rwX "$root/docs"
cd "$work"
"$top/examples-c/ftpput" sample.bin "$url/"
"$top/examples-c/ftpls" "$url/"
"$top/examples-c/ftpget" "$url/sample.bin" copy.bin
cmp sample.bin copy.bin && echo "ftpget: downloaded bytes identical to the upload"
"$top/examples-c/ftpget" "$url/docs/readme.txt" readme.txt
cat readme.txt
mkdir -p site/css && echo "<h1>ftpc</h1>" > site/index.html && echo "h1 {}" > site/css/main.css
"$top/examples-c/ftpsync" site "$url/www"
echo "a second sync transfers nothing:"
"$top/examples-c/ftpsync" --delete site "$url/www"
echo "demo done"
