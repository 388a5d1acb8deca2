#!/usr/bin/env bash
# Orange Money simulator fidelity run: installs (idempotently) PyPI o-money==0.0.10 under
# $KUMBU_FIDELITY_DIR (default <repo>/target/fidelity), then drives it, unchanged, against the
# already-running simulator at $ORANGE_SIM_URL (`kumbu simulate orange-money --listen …`).
#
# Usage: ORANGE_SIM_URL=http://127.0.0.1:8092 ORANGE_CLIENT=<id>:<secret> \
#          ORANGE_MERCHANT_KEY=<key> scripts/fidelity/orange-money/run.sh
#        scripts/fidelity/orange-money/run.sh --setup-only     # install the client and exit
# Optional env: PYTHON (default python3), ORANGE_FIDELITY_SKIP (see the harness). Exits non-zero
# if setup or the harness fails.
set -euo pipefail
NAME=orange-money
PY_REQS=(o-money==0.0.10)
HARNESS=o_money_check.py
NEEDS=(ORANGE_SIM_URL ORANGE_CLIENT ORANGE_MERCHANT_KEY)
source "$(dirname "${BASH_SOURCE[0]}")/../python-runner.sh"
