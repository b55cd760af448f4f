#!/bin/sh
# Test PKI for doorauth: a throw-away CA and a loopback server certificate.
#
#   certs/gen.sh OUTDIR
#
# Writes OUTDIR/ca.pem, ca.key, server.pem, server.key (EC P-256, 30 days).
# The server certificate covers every loopback name the tests and door-idp
# use: IP 127.0.0.1, 127.0.0.2, 127.0.0.3, ::1 and DNS localhost (plus
# *.localhost and idp.localhost for browser demos).  The files are made
# fresh at build time and never committed (.gitignore: *.pem, *.key).
set -eu

if [ $# -ne 1 ]; then
  echo "usage: $0 OUTDIR" >&2
  exit 2
fi
out=$1
days=${DOOR_CERT_DAYS:-30}
mkdir -p "$out"
tmp=$(mktemp -d "${out%/}/.gen.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
umask 077

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
  -out "$tmp/ca.key" 2>/dev/null
openssl req -x509 -new -key "$tmp/ca.key" -sha256 -days "$days" \
  -subj "/O=doorauth tests/CN=doorauth test CA" \
  -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -addext "subjectKeyIdentifier=hash" \
  -out "$tmp/ca.pem"

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
  -out "$tmp/server.key" 2>/dev/null
openssl req -new -key "$tmp/server.key" -sha256 \
  -subj "/O=doorauth tests/CN=localhost" -out "$tmp/server.csr"
cat > "$tmp/server.ext" <<'EXT'
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth,clientAuth
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
subjectAltName=IP:127.0.0.1,IP:127.0.0.2,IP:127.0.0.3,IP:::1,DNS:localhost,DNS:*.localhost,DNS:idp.localhost
EXT
openssl x509 -req -in "$tmp/server.csr" -CA "$tmp/ca.pem" \
  -CAkey "$tmp/ca.key" -CAcreateserial -sha256 -days "$days" \
  -extfile "$tmp/server.ext" -out "$tmp/server.pem" 2>/dev/null

openssl verify -CAfile "$tmp/ca.pem" "$tmp/server.pem" >/dev/null

# Certificates are public; keys stay owner-only.
chmod 644 "$tmp/ca.pem" "$tmp/server.pem"
for f in ca.key server.key ca.pem server.pem; do
  mv -f "$tmp/$f" "$out/$f"
done
