#!/usr/bin/env bash
# Start the Authlib reference authorization server (authlib==1.9.10 + Flask 3.1.3,
# see server.py) on 127.0.0.1.
#
# Usage: [PORT=8790] [CODE_TTL=s] [ACCESS_TTL=s] [REFRESH_TTL=s] [PIDFILE=path] \
#        scripts/providers/authlib/start.sh
#
# - Creates the venv ${OAUTH_ORACLE_BUILD:-target}/providers/authlib-venv from
#   requirements.txt (re-created when requirements.txt changes).
# - Starts server.py in the background; PID in $PIDFILE
#   (default ${OAUTH_ORACLE_BUILD:-target}/providers/authlib-$PORT.pid),
#   log in the same place with .log.
# - Waits (60 s max, override with READY_TIMEOUT) for
#   GET /.well-known/oauth-authorization-server to answer 200.
# - Prints the base URL (only line on stdout), e.g. http://127.0.0.1:8790
# Stop with scripts/providers/authlib/stop.sh (same PORT / PIDFILE).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../common.sh
. "$HERE/../common.sh"

export PORT="${PORT:-8790}"
BUILD="$(provider_build_dir)"
VENV="$BUILD/authlib-venv"
STAMP="$VENV/.requirements.sha256"
PIDFILE="${PIDFILE:-$BUILD/authlib-$PORT.pid}"
LOGFILE="${LOGFILE:-${PIDFILE%.pid}.log}"
PYTHON="${PYTHON:-python3}"
BASE_URL="http://127.0.0.1:$PORT"
READY_URL="$BASE_URL/.well-known/oauth-authorization-server"

# 1. venv (install from the complete pinned list).
want_sha="$(file_sha "$HERE/requirements.txt")"
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$STAMP" 2>/dev/null || true)" != "$want_sha" ]; then
  log "creating $VENV (authlib==1.9.10, Flask==3.1.3 and their pinned dependencies)..."
  t0=$(date +%s)
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    -r "$HERE/requirements.txt" >&2
  "$VENV/bin/python" -m pip check >&2
  printf '%s\n' "$want_sha" > "$STAMP"
  log "venv ready in $(( $(date +%s) - t0 ))s"
fi

# 2. refuse to start over a live instance / busy port.
if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
  log "already running: pid $(cat "$PIDFILE") from $PIDFILE (stop it with stop.sh first)"
  exit 1
fi
if [ "$(http_status "$READY_URL")" != "000" ]; then
  log "something already answers on $BASE_URL; choose another PORT"
  exit 1
fi

# 3. start in the background.
mkdir -p "$(dirname "$PIDFILE")" "$(dirname "$LOGFILE")"
t0=$(now_ms)
nohup "$VENV/bin/python" "$HERE/server.py" >"$LOGFILE" 2>&1 </dev/null &
pid=$!
printf '%s\n' "$pid" > "$PIDFILE"

# 4. wait until ready.
if ! wait_ready "$READY_URL" "$pid" "${READY_TIMEOUT:-60}" "$LOGFILE"; then
  kill "$pid" 2>/dev/null || true
  rm -f "$PIDFILE"
  exit 1
fi
log "authlib provider pid $pid ready in $(( $(now_ms) - t0 )) ms (log: $LOGFILE)"
echo "$BASE_URL"
