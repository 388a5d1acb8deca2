#!/usr/bin/env bash
# ProxyPay upstream fidelity run: installs (idempotently) PyPI proxypay-py==1.0.0 under
# $KUMBU_FIDELITY_DIR (default <repo>/target/fidelity), then drives it, unchanged but for its
# endpoint, as a merchant's code would (django-proxypay, whose module has the same name, has a
# runner of its own: ../django-proxypay/run.sh): against a Kumbu's ProxyPay face with a live key
# ($KUMBU_PROXYPAY_URL, $KUMBU_LIVE_KEY), whose live references go to a gateway playing ProxyPay
# (another Kumbu in test mode: $GATEWAY_URL, $GATEWAY_KEY), where the harness plays the
# Multicaixa payer.
#
# Usage: KUMBU_PROXYPAY_URL=… KUMBU_LIVE_KEY=sk_live_… GATEWAY_URL=… GATEWAY_KEY=sk_test_… \
#          scripts/fidelity/proxypay/run.sh
#        scripts/fidelity/proxypay/run.sh --setup-only     # install the client and exit
# Optional env: PYTHON (default python3), PROXYPAY_FIDELITY_SKIP. Exits non-zero if setup or the
# harness fails.
set -euo pipefail
NAME=proxypay
# proxypay-py imports requests without declaring it.
PY_REQS=(proxypay-py==1.0.0 requests==2.32.3)
HARNESS=proxypay_py_check.py
NEEDS=(KUMBU_PROXYPAY_URL KUMBU_LIVE_KEY GATEWAY_URL GATEWAY_KEY)
source "$(dirname "${BASH_SOURCE[0]}")/../python-runner.sh"
