#!/usr/bin/env bash
# MTN MoMo simulator fidelity run: installs (idempotently) three real third-party MTN MoMo client
# libraries — PyPI momo-openapi==0.1.2, PyPI mtn-momo-client==2.0.1, npm mtn-momo@2.0.0 — under
# $KUMBU_FIDELITY_DIR (default <repo>/target/fidelity), then drives each one, unchanged, against the
# already-running simulator at $MTN_SIM_URL (`kumbu simulate mtn-momo --listen 127.0.0.1:PORT`).
#
# Usage: MTN_SIM_URL=http://127.0.0.1:8090 MTN_SUBSCRIPTION_KEY=<key> scripts/fidelity/mtn-momo/run.sh
#        scripts/fidelity/mtn-momo/run.sh --setup-only     # install the clients and exit
# Optional env: PYTHON (>= 3.10, default python3), MTN_POLL_TIMEOUT, MTN_DELAYED_TIMEOUT,
# MTN_FIDELITY_SKIP (see the harnesses). Exits non-zero if setup or any harness fails.
#
# Both Python clients share one venv: momo-openapi needs requests, mtn-momo-client needs httpx, and
# their pins do not conflict (checked with pip). If a future pin conflicts, give it its own venv.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$HERE/../../.." && pwd)"
BASE="${KUMBU_FIDELITY_DIR:-$REPO_ROOT/target/fidelity}"
WORK="$BASE/mtn-momo"
VENV="$WORK/venv"
NPM_PREFIX="$WORK/npm"
PYTHON="${PYTHON:-python3}"
PY_REQS=(momo-openapi==0.1.2 mtn-momo-client==2.0.1)
NPM_PKG_NAME=mtn-momo
NPM_PKG_VERSION=2.0.0

setup_only=0
for arg in "$@"; do
  case "$arg" in
    --setup-only) setup_only=1 ;;
    -h|--help) sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

log() { echo "[mtn-momo fidelity] $*" >&2; }

setup_python() {
  local stamp="$VENV/.kumbu-reqs" want="${PY_REQS[*]}"
  if [[ -x "$VENV/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    return 0
  fi
  "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' \
    || { log "$PYTHON is older than 3.10 (mtn-momo-client needs >= 3.10); set PYTHON"; return 1; }
  log "creating venv $VENV with ${want}"
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${PY_REQS[@]}"
  "$VENV/bin/python" -m pip check --disable-pip-version-check >/dev/null
  printf '%s' "$want" > "$stamp"
}

setup_node() {
  local installed
  installed="$(node -p "require('$NPM_PREFIX/node_modules/$NPM_PKG_NAME/package.json').version" 2>/dev/null || true)"
  if [[ "$installed" == "$NPM_PKG_VERSION" ]]; then
    return 0
  fi
  log "installing npm $NPM_PKG_NAME@$NPM_PKG_VERSION into $NPM_PREFIX"
  mkdir -p "$NPM_PREFIX"
  npm install --prefix "$NPM_PREFIX" --no-audit --no-fund --save-exact --loglevel=error \
    "$NPM_PKG_NAME@$NPM_PKG_VERSION" >&2
}

command -v node >/dev/null || { log "node is required"; exit 1; }
command -v npm >/dev/null || { log "npm is required"; exit 1; }
mkdir -p "$WORK"
setup_python
setup_node

if [[ "$setup_only" == 1 ]]; then
  log "setup done in $WORK"
  exit 0
fi

: "${MTN_SIM_URL:?set MTN_SIM_URL to the running simulator, e.g. http://127.0.0.1:8090}"
: "${MTN_SUBSCRIPTION_KEY:?set MTN_SUBSCRIPTION_KEY to a subscription key the simulator accepts}"
export MTN_SIM_URL MTN_SUBSCRIPTION_KEY

failed=()
run_harness() {
  local name="$1"; shift
  echo "== $name"
  if ! "$@"; then
    failed+=("$name")
  fi
}

run_harness momo-openapi "$VENV/bin/python" "$HERE/momo_openapi_check.py"
run_harness mtn-momo-client "$VENV/bin/python" "$HERE/mtn_momo_client_check.py"
run_harness mtn-momo env NODE_PATH="$NPM_PREFIX/node_modules" node "$HERE/mtn_momo_check.js"

if (( ${#failed[@]} )); then
  echo "== MTN MoMo fidelity FAILED: ${failed[*]}"
  exit 1
fi
echo "== MTN MoMo fidelity passed (momo-openapi, mtn-momo-client, mtn-momo)"
