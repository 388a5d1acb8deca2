# Sourced by the Python-only fidelity runners (orange-money/run.sh, wave/run.sh), after they set
# NAME (the operator's folder), PY_REQS (exact requirements), HARNESS (the check script) and the
# names of the environment variables the harness needs (NEEDS). Installs the client (once, under
# $KUMBU_FIDELITY_DIR, default <repo>/target/fidelity/$NAME) and runs the harness against the
# simulator those variables name. `--setup-only` installs and exits; `--help` prints the
# runner's header. Optional env: PYTHON (default python3).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)"
repo_root="$(cd "$here/../../.." && pwd)"
work="${KUMBU_FIDELITY_DIR:-$repo_root/target/fidelity}/$NAME"
venv="$work/venv"
python="${PYTHON:-python3}"

setup_only=0
for arg in "$@"; do
  case "$arg" in
    --setup-only) setup_only=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[1]}" | grep '^#' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

log() { echo "[$NAME fidelity] $*" >&2; }

stamp="$venv/.kumbu-reqs" want="${PY_REQS[*]}"
if [[ ! -x "$venv/bin/python" || ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  log "creating venv $venv with ${want}"
  rm -rf "$venv"
  mkdir -p "$work"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${PY_REQS[@]}"
  "$venv/bin/python" -m pip check --disable-pip-version-check >/dev/null
  printf '%s' "$want" > "$stamp"
fi

if [[ "$setup_only" == 1 ]]; then
  log "setup done in $work"
  exit 0
fi

for var in "${NEEDS[@]}"; do
  [[ -n "${!var:-}" ]] || { echo "set $var (see --help)" >&2; exit 2; }
  export "${var?}"
done

echo "== ${PY_REQS[*]}"
if ! "$venv/bin/python" "$here/$HARNESS"; then
  echo "== $NAME fidelity FAILED: ${PY_REQS[*]}"
  exit 1
fi
echo "== $NAME fidelity passed (${PY_REQS[*]})"
