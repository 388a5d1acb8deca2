#!/usr/bin/env bash
# M-Pesa Mozambique simulator fidelity run: installs (idempotently) PyPI paymentsds-mpesa==0.1a10
# under $KUMBU_FIDELITY_DIR (default <repo>/target/fidelity), then drives it, unchanged, against
# the already-running simulator at $MPESA_SIM_HOST, which must serve each operation on M-Pesa's
# own port (`kumbu simulate mpesa-mz --host 127.0.0.1`): the library's ports are fixed.
#
# Usage: MPESA_SIM_HOST=http://127.0.0.1 MPESA_API_KEY=<a key the simulator takes> \
#          scripts/fidelity/mpesa-mz/run.sh
#        scripts/fidelity/mpesa-mz/run.sh --setup-only     # install the client and exit
# Optional env: PYTHON (default python3), MPESA_FIDELITY_SKIP (see the harness). Exits non-zero
# if setup or the harness fails.
set -euo pipefail
NAME=mpesa-mz
PY_REQS=(paymentsds-mpesa==0.1a10)
HARNESS=paymentsds_mpesa_check.py
NEEDS=(MPESA_SIM_HOST MPESA_API_KEY)
source "$(dirname "${BASH_SOURCE[0]}")/../python-runner.sh"
