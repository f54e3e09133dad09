# Shared helpers for scripts/providers/*/start.sh and stop.sh. Source it; don't run it.
# shellcheck shell=bash

# Repository root (scripts/providers/common.sh -> ../..).
PROVIDERS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$PROVIDERS_DIR/../.." && pwd)"

# Build dir: $OAUTH_ORACLE_BUILD (absolute, or relative to the repo root), default target/.
provider_build_dir() {
  local b="${OAUTH_ORACLE_BUILD:-target}"
  case "$b" in
    /*) ;;
    *) b="$REPO_ROOT/$b" ;;
  esac
  mkdir -p "$b/providers"
  (cd "$b/providers" && pwd)
}

log() { printf '%s\n' "$*" >&2; }

# http_status URL -> prints the HTTP status code (000 if nothing answers).
http_status() {
  curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1" 2>/dev/null || true
}

# wait_ready URL PID TIMEOUT_S LOGFILE: poll URL until it answers 200.
# Fails early if PID dies; prints the log tail on failure.
wait_ready() {
  local url="$1" pid="$2" timeout="$3" logfile="$4"
  local deadline=$(( $(date +%s) + timeout ))
  while :; do
    if [ "$(http_status "$url")" = "200" ]; then
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      log "provider process $pid exited before becoming ready; last log lines ($logfile):"
      tail -n 40 "$logfile" >&2 || true
      return 1
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      log "provider not ready at $url after ${timeout}s; last log lines ($logfile):"
      tail -n 40 "$logfile" >&2 || true
      return 1
    fi
    sleep 0.2
  done
}

# stop_by_pidfile PIDFILE: TERM the recorded process, KILL it after 10 s, remove the file.
stop_by_pidfile() {
  local pidfile="$1" pid i
  if [ ! -f "$pidfile" ]; then
    log "no pid file at $pidfile: nothing to stop"
    return 0
  fi
  pid="$(cat "$pidfile")"
  if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
    log "process ${pid:-?} from $pidfile is not running"
    rm -f "$pidfile"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "process $pid ignored TERM for 10 s; sending KILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
  log "stopped $pid"
}

# Milliseconds since the epoch (bash >= 5 EPOCHREALTIME; no bc/date %N needed).
now_ms() { local t="${EPOCHREALTIME/[.,]/}"; echo $(( t / 1000 )); }

# sha256 of a file (for install stamps).
file_sha() { sha256sum "$1" | cut -d' ' -f1; }
