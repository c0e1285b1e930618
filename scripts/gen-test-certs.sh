#!/bin/sh
# Generates the TLS test certificates committed under gateway/test/fixtures/tls/ (used by the
# SIP TLS/WSS tests: trusted-peer accept and refuse). Long validity (100 years) so the committed
# files do not expire. EC P-256 keys, SHA-256. Re-run only to replace them:
#   sh scripts/gen-test-certs.sh
# Files:
#   ca.crt / ca.key               test CA that signs everything below
#   server.crt / server.key       the gateway: CN=gateway.test, SAN DNS:localhost, DNS:gateway.test, IP:127.0.0.1
#   trusted-client.crt / .key     a peer in the trusted list: CN=lync-pool.test, SAN DNS:lync-pool.test
#   untrusted-client.crt / .key   signed by the same CA but not trusted: CN=stranger.test
#   rogue-ca.crt, rogue-client.crt / .key   CN=lync-pool.test but signed by another CA
set -eu
cd "$(dirname "$0")/../gateway/test/fixtures/tls"
DAYS=36500
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

key() { openssl ecparam -name prime256v1 -genkey -noout -out "$1"; }

# $1 name, $2 subject, $3 SAN, $4 CA cert, $5 CA key, $6 extendedKeyUsage
sign() {
  key "$1.key"
  openssl req -new -key "$1.key" -subj "$2" -out "$work/$1.csr"
  printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=%s\nsubjectAltName=%s\n' "$6" "$3" > "$work/$1.ext"
  openssl x509 -req -in "$work/$1.csr" -CA "$4" -CAkey "$5" -CAcreateserial -CAserial "$work/serial" \
    -days "$DAYS" -sha256 -extfile "$work/$1.ext" -out "$1.crt"
}

key ca.key
openssl req -x509 -new -key ca.key -subj "/CN=Deskline Test CA" -days "$DAYS" -sha256 \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.crt
sign server "/CN=gateway.test" "DNS:localhost,DNS:gateway.test,IP:127.0.0.1" ca.crt ca.key "serverAuth,clientAuth"
sign trusted-client "/CN=lync-pool.test" "DNS:lync-pool.test" ca.crt ca.key "clientAuth,serverAuth"
sign untrusted-client "/CN=stranger.test" "DNS:stranger.test" ca.crt ca.key "clientAuth,serverAuth"

key "$work/rogue-ca.key"
openssl req -x509 -new -key "$work/rogue-ca.key" -subj "/CN=Rogue CA" -days "$DAYS" -sha256 \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out rogue-ca.crt
sign rogue-client "/CN=lync-pool.test" "DNS:lync-pool.test" rogue-ca.crt "$work/rogue-ca.key" "clientAuth"
rm -f ca.srl
echo "test certificates written to $(pwd)"
