#!/usr/bin/env bash
# Creates <project>/.cache/moto-venv and installs the pinned moto[server] into it, once (nothing global); about
# a minute and a half the first time, instant after. Prints the venv path on stdout (see
# scripts/ensure-python-venv.sh: idempotent, serialised by a lock, a half-finished install is redone).
# Environment: PYTHON (default python3, >= 3.9), DSV_MOTO_VENV (default <project>/.cache/moto-venv).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
project="$(cd "$here/../.." && pwd)"
exec bash "$project/scripts/ensure-python-venv.sh" moto "${DSV_MOTO_VENV:-$project/.cache/moto-venv}" \
  "$here" moto_server
