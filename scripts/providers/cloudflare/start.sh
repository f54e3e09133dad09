#!/usr/bin/env bash
# Start Cloudflare's workers-oauth-provider 1.2.3 (worker.mjs) inside Miniflare 4.20260426.0
# (workerd) on 127.0.0.1.
#
# Usage: [PORT=28800] [PIDFILE=path] [ACCESS_TTL=s] [REFRESH_TTL=s|0|never] \
#        scripts/providers/cloudflare/start.sh
#
# - npm ci (from the committed package-lock.json) into
#   ${OAUTH_ORACLE_BUILD:-target}/providers/cloudflare (re-done when the lock changes);
#   worker.mjs, server.mjs and cimd-documents.mjs are copied there on every start, so
#   node_modules never lands in git. server.mjs bundles the worker with esbuild at start.
# - Starts server.mjs in the background; PID in $PIDFILE
#   (default ${OAUTH_ORACLE_BUILD:-target}/providers/cloudflare-$PORT.pid), log beside it
#   (.log), the PIDs of its children (workerd) in $PIDFILE.children for stop.sh.
# - Waits (60 s max, override with READY_TIMEOUT) for
#   GET /.well-known/oauth-authorization-server to answer 200.
# - Prints the base URL (only line on stdout), e.g. http://127.0.0.1:28800
# Stop with scripts/providers/cloudflare/stop.sh (same PORT / PIDFILE).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../common.sh
. "$HERE/../common.sh"

export PORT="${PORT:-28800}"
BUILD="$(provider_build_dir)"
APP="$BUILD/cloudflare"
STAMP="$APP/.package-lock.sha256"
PIDFILE="${PIDFILE:-$BUILD/cloudflare-$PORT.pid}"
LOGFILE="${LOGFILE:-${PIDFILE%.pid}.log}"
BASE_URL="http://127.0.0.1:$PORT"
READY_URL="$BASE_URL/.well-known/oauth-authorization-server"

# 1. node_modules from the lock file.
want_sha="$(file_sha "$HERE/package-lock.json")"
if [ ! -d "$APP/node_modules" ] || [ "$(cat "$STAMP" 2>/dev/null || true)" != "$want_sha" ]; then
  log "npm ci into $APP ..."
  t0=$(date +%s)
  rm -rf "$APP"
  mkdir -p "$APP"
  cp "$HERE/package.json" "$HERE/package-lock.json" "$APP/"
  # --ignore-scripts: esbuild and workerd find their platform binaries through their
  # optional @esbuild/* and @cloudflare/workerd-* packages; no install script is needed.
  (cd "$APP" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >&2)
  printf '%s\n' "$want_sha" > "$STAMP"
  log "node_modules ready in $(( $(date +%s) - t0 ))s"
fi
cp "$HERE/worker.mjs" "$HERE/server.mjs" "$HERE/cimd-documents.mjs" "$APP/"

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
# workerd is a child of node: record it so stop.sh can end it if node has to be KILLed.
ps -o pid= --ppid "$pid" | tr -d ' ' > "$PIDFILE.children" || true
log "cloudflare provider pid $pid ready in $(( $(now_ms) - t0 )) ms (log: $LOGFILE)"
echo "$BASE_URL"
