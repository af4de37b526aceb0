# Sourced by scripts/run.sh and scripts/install.sh: one short progress line per step, with the
# step's full output in var/log/<step>.log (shown only when the step fails).
_progress_logs=${VAR_DIR:-$PWD/var}/log
mkdir -p "$_progress_logs"

say() { printf '  %s\n' "$*"; }

# step "what is happening" command args...: runs the command quietly, prints the elapsed time.
step() {
  local what=$1 start log status
  shift
  log="$_progress_logs/$(printf '%s' "$what" | tr -cs 'a-z0-9' '-' | cut -c1-30 | sed 's/-$//').log"
  start=$(date +%s)
  printf '  %s ...' "$what"
  # A dot every 5 s, so a long step (the first install, training) is visibly alive.
  ( while sleep 5; do printf '.'; done ) &
  local ticker=$!
  if "$@" >"$log" 2>&1; then
    kill "$ticker" 2>/dev/null; wait "$ticker" 2>/dev/null || true
    printf ' done (%ss)\n' "$(( $(date +%s) - start ))"
  else
    status=$?
    kill "$ticker" 2>/dev/null; wait "$ticker" 2>/dev/null || true
    printf ' FAILED (%ss)\n' "$(( $(date +%s) - start ))"
    tail -n 30 "$log" >&2
    echo "  full output: $log" >&2
    return "$status"
  fi
}
