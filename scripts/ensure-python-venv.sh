#!/usr/bin/env bash
# Creates a project-local virtualenv and installs pinned PyPI packages into it, once (nothing global):
#   ensure-python-venv.sh TAG VENV PINS_DIR BINARY
# PINS_DIR holds requirements.txt (what to install) and constraints.txt (a pip freeze of a clean install, so CI
# installs exactly those versions); BINARY is an entry point in VENV/bin that must exist and answer --help.
# Used by scripts/moto/ensure-moto.sh and scripts/kmip/ensure-pykmip.sh.
#
# Idempotent: a marker file records a hash of the pins and the Python version; when it matches, the script
# exits at once. A half-finished install (no marker) is removed and redone. A lock serialises concurrent runs
# (two test files starting the same tool at once). Prints VENV on stdout; progress goes to stderr.
# Environment: PYTHON (default python3, must be >= 3.9).
set -euo pipefail

tag="${1:?usage: ensure-python-venv.sh TAG VENV PINS_DIR BINARY}"
venv="${2:?}"
pins="${3:?}"
binary="${4:?}"
python="${PYTHON:-python3}"
requirements="$pins/requirements.txt"
constraints="$pins/constraints.txt"
marker="$venv/.dsv-$tag-installed"

log() { printf 'ensure-%s: %s\n' "$tag" "$*" >&2; }

if ! command -v "$python" >/dev/null 2>&1; then
  log "no $python on PATH: install Python 3.9+ (with the venv module) or set PYTHON"
  exit 1
fi

# What the venv must match: the pins and the interpreter that built it.
stamp="$(cat "$requirements" "$constraints" | sha256sum | cut -d' ' -f1) $("$python" -c 'import sys; print(".".join(map(str, sys.version_info[:3])))')"
ready() { [[ -f "$marker" && "$(cat "$marker")" == "$stamp" && -x "$venv/bin/$binary" ]]; }

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
log "creating $venv and installing $(grep -v '^#' "$requirements" | tr '\n' ' ')(first run)"
rm -rf "$venv"
if ! "$python" -m venv "$venv"; then
  log "$python -m venv failed: install the venv module (Debian: apt-get install python3-venv) or set PYTHON"
  exit 1
fi
# --disable-pip-version-check / --no-input: quiet and never waits on a prompt in CI.
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
  -r "$requirements" -c "$constraints" >&2
"$venv/bin/$binary" --help >/dev/null
printf '%s' "$stamp" >"$marker"
log "installed in $((SECONDS - started))s"
printf '%s\n' "$venv"
