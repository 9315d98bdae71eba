#!/usr/bin/env bash
# Creates <project>/.cache/pykmip-venv and installs the pinned PyKMIP into it, once (nothing global).
#
# Idempotent: a marker file records a hash of the pins and the Python version; when it matches, the script
# exits at once. A half-finished install (no marker) is removed and redone. A lock serialises concurrent runs.
# Prints the venv path on stdout; progress goes to stderr.
# Environment: PYTHON (default python3, must be >= 3.9), DSV_PYKMIP_VENV (default <project>/.cache/pykmip-venv).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
project="$(cd "$here/../.." && pwd)"
venv="${DSV_PYKMIP_VENV:-$project/.cache/pykmip-venv}"
python="${PYTHON:-python3}"
requirements="$here/requirements.txt"
constraints="$here/constraints.txt"
marker="$venv/.dsv-pykmip-installed"

log() { printf 'ensure-pykmip: %s\n' "$*" >&2; }

if ! command -v "$python" >/dev/null 2>&1; then
  log "no $python on PATH: install Python 3.9+ (with the venv module) or set PYTHON"
  exit 1
fi

# What the venv must match: the pins and the interpreter that built it.
stamp="$(cat "$requirements" "$constraints" | sha256sum | cut -d' ' -f1) $("$python" -c 'import sys; print(".".join(map(str, sys.version_info[:3])))')"
ready() { [[ -f "$marker" && "$(cat "$marker")" == "$stamp" && -x "$venv/bin/pykmip-server" ]]; }

if ready; then
  printf '%s\n' "$venv"
  exit 0
fi

mkdir -p "$(dirname "$venv")"
exec 9>"$venv.lock"
flock 9
# Another run may have finished the install while we waited for the lock.
if ready; then
  printf '%s\n' "$venv"
  exit 0
fi

started=$SECONDS
log "creating $venv and installing $(grep -v '^#' "$requirements" | tr '\n' ' ')(first run; about 20 s)"
rm -rf "$venv"
if ! "$python" -m venv "$venv"; then
  log "$python -m venv failed: install the venv module (Debian: apt-get install python3-venv) or set PYTHON"
  exit 1
fi
# --disable-pip-version-check / --no-input: quiet and never waits on a prompt in CI.
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
  -r "$requirements" -c "$constraints" >&2
"$venv/bin/python" -c 'import kmip.services.server' >&2
printf '%s' "$stamp" >"$marker"
log "installed in $((SECONDS - started))s"
printf '%s\n' "$venv"
