#!/usr/bin/env bash
# django-proxypay fidelity run: installs (idempotently) PyPI django-proxypay==1.3.2 with Django
# 4.2 under $KUMBU_FIDELITY_DIR (default <repo>/target/fidelity), then drives it, unchanged, in a
# minimal Django project whose PROXYPAY settings point at a Kumbu's ProxyPay face with a live key
# ($KUMBU_PROXYPAY_URL, $KUMBU_LIVE_KEY), whose live references go to a gateway playing ProxyPay
# (another Kumbu in test mode: $GATEWAY_URL, $GATEWAY_KEY), where the harness plays the payer.
# Its own runner (and virtualenv): its module is named `proxypay`, as proxypay-py's is.
#
# Usage: KUMBU_PROXYPAY_URL=… KUMBU_LIVE_KEY=sk_live_… GATEWAY_URL=… GATEWAY_KEY=sk_test_… \
#          scripts/fidelity/django-proxypay/run.sh
#        scripts/fidelity/django-proxypay/run.sh --setup-only     # install the client and exit
# Optional env: PYTHON (default python3), PROXYPAY_FIDELITY_SKIP. Exits non-zero if setup or the
# harness fails.
set -euo pipefail
NAME=django-proxypay
PY_REQS=(django-proxypay==1.3.2 Django==4.2.17)
HARNESS=django_proxypay_check.py
NEEDS=(KUMBU_PROXYPAY_URL KUMBU_LIVE_KEY GATEWAY_URL GATEWAY_KEY)
source "$(dirname "${BASH_SOURCE[0]}")/../python-runner.sh"
