#!/usr/bin/env bash
# Start node-oidc-provider (oidc-provider 9.13.3) configured as an MCP-style OAuth 2.1
# authorization server (see server.mjs) on 127.0.0.1.
#
# Usage: [PORT=8780] [CODE_TTL=s] [ACCESS_TTL=s] [REFRESH_TTL=s] [PIDFILE=path] \
#        scripts/providers/node-oidc/start.sh
#
# - npm ci (from the committed package-lock.json) into
#   ${OAUTH_ORACLE_BUILD:-target}/providers/node-oidc (re-done when the lock changes);
#   server.mjs is copied there on every start, so node_modules never lands in git.
# - Starts server.mjs in the background; PID in $PIDFILE
#   (default ${OAUTH_ORACLE_BUILD:-target}/providers/node-oidc-$PORT.pid), log beside it (.log).
# - Waits (60 s max, override with READY_TIMEOUT) for
#   GET /.well-known/openid-configuration to answer 200 (node-oidc serves the same
#   document at /.well-known/oauth-authorization-server too).
# - Prints the base URL (only line on stdout), e.g. http://127.0.0.1:8780
# Stop with scripts/providers/node-oidc/stop.sh (same PORT / PIDFILE).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../common.sh
. "$HERE/../common.sh"

export PORT="${PORT:-8780}"
BUILD="$(provider_build_dir)"
APP="$BUILD/node-oidc"
STAMP="$APP/.package-lock.sha256"
PIDFILE="${PIDFILE:-$BUILD/node-oidc-$PORT.pid}"
LOGFILE="${LOGFILE:-${PIDFILE%.pid}.log}"
BASE_URL="http://127.0.0.1:$PORT"
READY_URL="$BASE_URL/.well-known/openid-configuration"

# 1. node_modules from the lock file.
want_sha="$(file_sha "$HERE/package-lock.json")"
if [ ! -d "$APP/node_modules" ] || [ "$(cat "$STAMP" 2>/dev/null || true)" != "$want_sha" ]; then
  log "npm ci into $APP ..."
  t0=$(date +%s)
  rm -rf "$APP"
  mkdir -p "$APP"
  cp "$HERE/package.json" "$HERE/package-lock.json" "$APP/"
  (cd "$APP" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >&2)
  printf '%s\n' "$want_sha" > "$STAMP"
  log "node_modules ready in $(( $(date +%s) - t0 ))s"
fi
cp "$HERE/server.mjs" "$APP/server.mjs"

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
nohup node "$APP/server.mjs" >"$LOGFILE" 2>&1 </dev/null &
pid=$!
printf '%s\n' "$pid" > "$PIDFILE"

# 4. wait until ready.
if ! wait_ready "$READY_URL" "$pid" "${READY_TIMEOUT:-60}" "$LOGFILE"; then
  kill "$pid" 2>/dev/null || true
  rm -f "$PIDFILE"
  exit 1
fi
log "node-oidc provider pid $pid ready in $(( $(now_ms) - t0 )) ms (log: $LOGFILE)"
echo "$BASE_URL"
