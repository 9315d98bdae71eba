#!/usr/bin/env bash
# Writes a throwaway PKI for a test KMIP server into DIR (created if missing), with openssl:
#   ca.pem / ca.key                 the CA the server and the client trust
#   server.pem / server.key         the server: CN=localhost, SAN localhost and 127.0.0.1, serverAuth
#   client.pem / client.key         a client: CN=dsv-kmip-client, clientAuth (PyKMIP requires that EKU)
#   other-client.pem / .key         a second client identity from the same CA: CN=dsv-kmip-other
#   rogue-ca.pem, rogue-client.pem / .key   a client from a CA the server does not trust
# EC P-256 keys, valid for 2 days. Nothing here protects anything: tests and local trials only.
set -euo pipefail

dir="${1:?usage: make-certs.sh DIR}"
mkdir -p "$dir"
cd "$dir"
umask 077

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

# ca NAME: a self-signed CA certificate NAME.pem with its key NAME.key.
ca() {
  key "$1.key"
  openssl req -x509 -new -key "$1.key" -sha256 -days 2 -subj "/CN=$2" -out "$1.pem" \
    -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign'
}

# leaf NAME CN CA EXTENSIONS…: NAME.pem signed by CA.pem/CA.key.
leaf() {
  local name="$1" cn="$2" issuer="$3"
  shift 3
  key "$name.key"
  openssl req -new -key "$name.key" -subj "/CN=$cn" -out "$name.csr"
  printf '%s\n' "$@" >"$name.ext"
  openssl x509 -req -in "$name.csr" -CA "$issuer.pem" -CAkey "$issuer.key" -CAcreateserial -sha256 -days 2 \
    -extfile "$name.ext" -out "$name.pem" 2>/dev/null
  rm -f "$name.csr" "$name.ext"
}

ca ca 'DSV KMIP test CA'
leaf server localhost ca 'subjectAltName=DNS:localhost,IP:127.0.0.1' 'extendedKeyUsage=serverAuth' \
  'keyUsage=critical,digitalSignature'
leaf client dsv-kmip-client ca 'extendedKeyUsage=clientAuth' 'keyUsage=critical,digitalSignature'
leaf other-client dsv-kmip-other ca 'extendedKeyUsage=clientAuth' 'keyUsage=critical,digitalSignature'
ca rogue-ca 'Rogue CA'
leaf rogue-client dsv-kmip-client rogue-ca 'extendedKeyUsage=clientAuth' 'keyUsage=critical,digitalSignature'
rm -f ./*.srl
