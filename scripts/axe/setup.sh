#!/usr/bin/env bash
# Installs (idempotently) npm axe-core, the accessibility engine the dashboard's browser tests
# run in each page (tests/e2e/axe.rs), under $KUMBU_AXE_DIR (default <repo>/target/axe).
# Usage: scripts/axe/setup.sh     (prints where axe.min.js is)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$HERE/../.." && pwd)"
PREFIX="${KUMBU_AXE_DIR:-$REPO_ROOT/target/axe}"
VERSION=4.10.3
command -v npm >/dev/null || { echo "npm is required (apt-get install npm)" >&2; exit 1; }
installed="$(node -p "require('$PREFIX/node_modules/axe-core/package.json').version" 2>/dev/null || true)"
if [[ "$installed" != "$VERSION" ]]; then
  echo "[axe] installing npm axe-core@$VERSION into $PREFIX" >&2
  mkdir -p "$PREFIX"
  npm install --prefix "$PREFIX" --no-audit --no-fund --save-exact --loglevel=error \
    "axe-core@$VERSION" >&2
fi
echo "$PREFIX/node_modules/axe-core/axe.min.js"
