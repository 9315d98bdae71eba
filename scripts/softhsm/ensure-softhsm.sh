#!/bin/sh
# Makes SoftHSM2 (Debian package softhsm2) available for the pkcs11 KEK provider's tests; idempotent.
# CI runs as root on a fresh machine with network only to package registries, so apt is the installer.
# Prints the PKCS#11 module path on stdout; diagnostics go to stderr.
set -eu

find_module() {
  for candidate in \
    /usr/lib/softhsm/libsofthsm2.so \
    /usr/lib/*-linux-gnu*/softhsm/libsofthsm2.so \
    /usr/local/lib/softhsm/libsofthsm2.so; do
    if [ -f "$candidate" ]; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

if ! command -v softhsm2-util >/dev/null 2>&1 || ! find_module >/dev/null; then
  if [ "$(id -u)" != "0" ]; then
    echo "ensure-softhsm: SoftHSM2 is not installed and this user is not root." >&2
    echo "ensure-softhsm: install it with: sudo apt-get install -y softhsm2" >&2
    exit 2
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-softhsm: SoftHSM2 is not installed and apt-get is not available; install softhsm2 by hand." >&2
    exit 2
  fi
  echo "ensure-softhsm: installing softhsm2 with apt-get (first run)…" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >&2
  apt-get install -y -q --no-install-recommends softhsm2 >&2
fi

if ! module=$(find_module); then
  echo "ensure-softhsm: softhsm2 is installed but libsofthsm2.so was not found" >&2
  exit 3
fi
echo "$module"
