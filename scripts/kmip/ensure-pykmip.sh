#!/usr/bin/env bash
# Creates <project>/.cache/pykmip-venv and installs the pinned PyKMIP into it, once (nothing global); about
# 15 s the first time, instant after. Prints the venv path on stdout (see scripts/ensure-python-venv.sh).
# Environment: PYTHON (default python3, >= 3.9), DSV_PYKMIP_VENV (default <project>/.cache/pykmip-venv).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
project="$(cd "$here/../.." && pwd)"
exec bash "$project/scripts/ensure-python-venv.sh" pykmip "${DSV_PYKMIP_VENV:-$project/.cache/pykmip-venv}" \
  "$here" pykmip-server
