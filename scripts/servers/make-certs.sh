#!/usr/bin/env bash
# Makes the certificates the TLS tests use, in DIR (default target/test-certs):
#   ca.pem/ca.key                 a test CA
#   server.pem/server.key         signed by the CA for localhost and 127.0.0.1
#   wronghost.pem/wronghost.key   signed by the CA for another name
#   expired.pem/expired.key       signed by the CA, validity ended
#   selfsigned.pem/selfsigned.key self-signed for localhost and 127.0.0.1
#   client.pem/client.key         a client certificate signed by the CA
# Idempotent: existing files younger than 20 days are kept.
set -euo pipefail
dir=${1:-"$(cd "$(dirname "$0")/../.." && pwd)/target/test-certs"}
mkdir -p "$dir"
cd "$dir"
if [ -f client.pem ] && [ -n "$(find selfsigned.pem -mtime -20)" ]; then
  exit 0
fi
san="subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1"
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=ftpc test CA" \
  -keyout ca.key -out ca.pem -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
sign() { # name subject-alt-name openssl-x509-args...
  local name=$1 alt=$2 usage=${USAGE:-serverAuth}; shift 2
  openssl req -newkey rsa:2048 -nodes -subj "/CN=${name}" -keyout "$name.key" -out "$name.csr" 2>/dev/null
  printf '%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=%s\n' "$alt" "$usage" > "$name.ext"
  openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial \
    -extfile "$name.ext" -out "$name.pem" "$@" 2>/dev/null
  rm -f "$name.csr" "$name.ext"
}
sign server "$san" -days 30
sign wronghost "subjectAltName=DNS:wrong.example" -days 30
USAGE=clientAuth sign client "subjectAltName=DNS:ftpc-client" -days 30
# An expired certificate: validity that ended yesterday.
if openssl x509 -help 2>&1 | grep -q -- '-not_after'; then
  sign expired "$san" -not_before 20200101000000Z -not_after 20200201000000Z
else
  openssl req -newkey rsa:2048 -nodes -subj "/CN=expired" -keyout expired.key -out expired.csr 2>/dev/null
  printf '%s\n' "$san" > expired.ext
  openssl ca -batch -selfsign -help >/dev/null 2>&1 || true
  # Fallback for older openssl: faketime-free way is a CA config with explicit dates.
  cat > ca.cnf <<CNF
[ca]
default_ca=test
[test]
database=index.txt
new_certs_dir=.
certificate=ca.pem
private_key=ca.key
default_md=sha256
policy=any
copy_extensions=copy
serial=serial.txt
[any]
commonName=supplied
CNF
  : > index.txt; echo 01 > serial.txt
  openssl ca -batch -config ca.cnf -in expired.csr -out expired.pem -extfile expired.ext \
    -startdate 20200101000000Z -enddate 20200201000000Z 2>/dev/null
  rm -f expired.csr expired.ext ca.cnf index.txt* serial.txt* 01.pem
fi
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=localhost" \
  -keyout selfsigned.key -out selfsigned.pem -addext "$san" 2>/dev/null
chmod 644 ./*.pem ./*.key
echo "test certificates in $dir"
