#!/usr/bin/env bash
# Lists the baseline entries (scripts/contract-baseline.toml) that a long seeded contract run never
# meets, so that they can be removed: an entry no fuzzing reaches records nothing. It never fails
# because of them (CI's contract runs only list unseen entries, so that they stay deterministic).
# Usage: scripts/contract-unseen.sh [examples] [seed] [faces...]
#   examples per operation and phase (default 200); seed  schemathesis's --seed (default 1);
#   faces    default: every face. Reports are kept under target/contract-unseen/<face>/.
set -euo pipefail
cd "$(dirname "$0")/.."
examples=${1:-200}
seed=${2:-1}
shift $(( $# > 2 ? 2 : $# ))
faces=${*:-native proxypay plexospay adullam simiz kulpay}
runs=()
for face in $faces; do
  # A run that fails on an unrecorded check still leaves its report: it is read all the same.
  bash scripts/contract.sh "$face" "$examples" --seed "$seed" || echo "($face: the contract did not hold; its report is still read)"
  rm -rf "target/contract-unseen/$face"
  mkdir -p target/contract-unseen
  cp -r "target/contract/$face" "target/contract-unseen/$face"
  for report in target/contract-unseen/"$face"/*.ndjson; do runs+=("$face=$report"); done
done
python3 scripts/contract-check.py --unseen scripts/contract-baseline.toml "${runs[@]}"
