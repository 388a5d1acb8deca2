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

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$HERE/../../.." && pwd)"
BASE="${KUMBU_FIDELITY_DIR:-$REPO_ROOT/target/fidelity}"
WORK="$BASE/orange-money"
VENV="$WORK/venv"
PYTHON="${PYTHON:-python3}"
PY_REQS=(o-money==0.0.10)

setup_only=0
for arg in "$@"; do
  case "$arg" in
    --setup-only) setup_only=1 ;;
    -h|--help) sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

log() { echo "[orange-money fidelity] $*" >&2; }

stamp="$VENV/.kumbu-reqs" want="${PY_REQS[*]}"
if [[ ! -x "$VENV/bin/python" || ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  log "creating venv $VENV with ${want}"
  rm -rf "$VENV"
  mkdir -p "$WORK"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${PY_REQS[@]}"
  "$VENV/bin/python" -m pip check --disable-pip-version-check >/dev/null
  printf '%s' "$want" > "$stamp"
fi

if [[ "$setup_only" == 1 ]]; then
  log "setup done in $WORK"
  exit 0
fi

: "${ORANGE_SIM_URL:?set ORANGE_SIM_URL to the running simulator, e.g. http://127.0.0.1:8092}"
: "${ORANGE_CLIENT:?set ORANGE_CLIENT to <client id>:<client secret> the simulator accepts}"
: "${ORANGE_MERCHANT_KEY:?set ORANGE_MERCHANT_KEY to a merchant key the simulator accepts}"
export ORANGE_SIM_URL ORANGE_CLIENT ORANGE_MERCHANT_KEY

echo "== o-money"
if ! "$VENV/bin/python" "$HERE/o_money_check.py"; then
  echo "== Orange Money fidelity FAILED: o-money"
  exit 1
fi
echo "== Orange Money fidelity passed (o-money)"
