#!/usr/bin/env bash
# Runs a PyKMIP server in the foreground for tests and local trials: start-kmip.sh DIR PORT.
#
# Installs PyKMIP once (ensure-pykmip.sh), writes a throwaway PKI into DIR/pki unless present
# (make-certs.sh), writes DIR/server.conf (TLS 1.2, client certificate required and checked for the
# clientAuth EKU, a SQLite database DIR/kmip.db) and runs the PyKMIP server on 127.0.0.1:PORT until this script
# gets SIGINT (clean stop) or SIGTERM (the server is killed), or, with --stop-on-eof, until its standard input
# closes (clean stop): a test process that dies however it dies (even SIGKILL) closes that pipe, so no server
# outlives it. Its log is DIR/server.log. Readiness: the
# port answers Discover Versions over TLS with DIR/pki/client.pem (test/testing/kmip.ts waits for that).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
usage='usage: start-kmip.sh DIR PORT [--stop-on-eof]'
dir="${1:?$usage}"
port="${2:?$usage}"
stop_on_eof="${3:-}"
mkdir -p "$dir/policies"
dir="$(cd "$dir" && pwd)"

venv="$(bash "$here/ensure-pykmip.sh")"
[[ -f "$dir/pki/server.pem" ]] || bash "$here/make-certs.sh" "$dir/pki"

# PyKMIP's TLS1.2 suite: PROTOCOL_TLSv1_2 with ECDHE ciphers; we keep only the AEAD ones.
cat >"$dir/server.conf" <<CONF
[server]
hostname=127.0.0.1
port=$port
certificate_path=$dir/pki/server.pem
key_path=$dir/pki/server.key
ca_path=$dir/pki/ca.pem
auth_suite=TLS1.2
policy_path=$dir/policies
enable_tls_client_auth=True
tls_cipher_suites=
    TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
    TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
logging_level=INFO
database_path=$dir/kmip.db
CONF

# -W ignore: PyKMIP's ssl.PROTOCOL_TLSv1_2 is deprecated in Python 3.10+ and warns on every start.
"$venv/bin/python" -W ignore -c 'from kmip.services.server.server import main; main()' \
  -f "$dir/server.conf" -l "$dir/server.log" </dev/null &
server=$!
# PyKMIP stops at once on SIGINT (its SIGTERM handler waits for accept() to time out, up to 10 s).
trap 'kill -INT "$server" 2>/dev/null || true' INT
trap 'kill -KILL "$server" 2>/dev/null || true' TERM
if [[ "$stop_on_eof" == --stop-on-eof ]]; then
  # Through fd 3: a background job's own stdin is /dev/null (no job control in a script).
  exec 3<&0
  (
    cat >/dev/null <&3 || true
    kill -INT "$server" 2>/dev/null || true
  ) &
  exec 3<&-
fi
# `wait` returns early when a trapped signal arrives; wait again for the server to finish its shutdown.
status=0
wait "$server" || status=$?
while kill -0 "$server" 2>/dev/null; do wait "$server" || status=$?; done
exit "$status"
