#!/usr/bin/env bash
# Stop the Cloudflare workers-oauth-provider started by start.sh.
# Usage: [PORT=28800] [PIDFILE=path] scripts/providers/cloudflare/stop.sh
# TERM to node (which disposes Miniflare and its workerd), KILL after 10 s; then any child
# recorded by start.sh (workerd) that outlived it gets TERM, by its PID.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../common.sh
. "$HERE/../common.sh"
PORT="${PORT:-28800}"
BUILD="$(provider_build_dir)"
PIDFILE="${PIDFILE:-$BUILD/cloudflare-$PORT.pid}"
stop_by_pidfile "$PIDFILE"
if [ -f "$PIDFILE.children" ]; then
  while read -r child; do
    [ -n "$child" ] || continue
    if kill -0 "$child" 2>/dev/null && [ "$(ps -o comm= -p "$child" 2>/dev/null)" = "workerd" ]; then
      log "workerd $child outlived its parent; sending TERM"
      kill -TERM "$child" 2>/dev/null || true
    fi
  done < "$PIDFILE.children"
  rm -f "$PIDFILE.children"
fi
