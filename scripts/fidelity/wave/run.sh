#!/usr/bin/env bash
# Wave simulator fidelity run: installs (idempotently) PyPI wave-business-api==1.0.0 under
# $KUMBU_FIDELITY_DIR (default <repo>/target/fidelity), then drives it, unchanged, against the
# already-running simulator at $WAVE_SIM_URL (`kumbu simulate wave --listen …`).
#
# Usage: WAVE_SIM_URL=http://127.0.0.1:8093 WAVE_API_KEY=wave_ci_prod_<…> \
#          scripts/fidelity/wave/run.sh
#        scripts/fidelity/wave/run.sh --setup-only     # install the client and exit
# Optional env: PYTHON (default python3), WAVE_FIDELITY_SKIP (see the harness). Exits non-zero
# if setup or the harness fails.
set -euo pipefail
NAME=wave
PY_REQS=(wave-business-api==1.0.0)
HARNESS=wave_business_api_check.py
NEEDS=(WAVE_SIM_URL WAVE_API_KEY)
source "$(dirname "${BASH_SOURCE[0]}")/../python-runner.sh"
