#!/usr/bin/env bash
# Start the FastMCP reference OAuth provider (fastmcp==4.2.3) on 127.0.0.1.
#
# Usage: [PORT=8765] [VALID_SCOPES="read write"] [REQUIRED_SCOPES=...] \
#        [CODE_TTL=s] [ACCESS_TTL=s] [REFRESH_TTL=s] [BUG=name] [PIDFILE=path] \
#        scripts/providers/fastmcp/start.sh
#
# - Creates the venv ${OAUTH_ORACLE_BUILD:-target}/providers/fastmcp-venv from
#   requirements.txt (re-created when requirements.txt changes).
# - Starts server.py in the background; PID in $PIDFILE
#   (default ${OAUTH_ORACLE_BUILD:-target}/providers/fastmcp-$PORT.pid),
#   log in the same place with .log.
# - Waits (60 s max, override with READY_TIMEOUT) for
#   GET /.well-known/oauth-authorization-server to answer 200.
# - Prints the base URL (only line on stdout), e.g. http://127.0.0.1:8765
# Stop with scripts/providers/fastmcp/stop.sh (same PORT / PIDFILE).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../common.sh
. "$HERE/../common.sh"

export PORT="${PORT:-8765}"
# Fixed hash seed: error texts built from Python sets (e.g. /register's
# "Requested scopes are not valid: a, b") then list items in a stable order.
export PYTHONHASHSEED="${PYTHONHASHSEED:-0}"
BUILD="$(provider_build_dir)"
VENV="$BUILD/fastmcp-venv"
STAMP="$VENV/.requirements.sha256"
PIDFILE="${PIDFILE:-$BUILD/fastmcp-$PORT.pid}"
LOGFILE="${LOGFILE:-${PIDFILE%.pid}.log}"
PYTHON="${PYTHON:-python3}"
BASE_URL="http://127.0.0.1:$PORT"
READY_URL="$BASE_URL/.well-known/oauth-authorization-server"

# 1. venv (install from the complete pinned list).
want_sha="$(file_sha "$HERE/requirements.txt")"
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$STAMP" 2>/dev/null || true)" != "$want_sha" ]; then
  log "creating $VENV (fastmcp==4.2.3 and its pinned dependencies)..."
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
log "fastmcp provider pid $pid ready in $(( $(now_ms) - t0 )) ms (log: $LOGFILE)"
echo "$BASE_URL"
