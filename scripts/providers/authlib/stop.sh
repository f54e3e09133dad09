#!/usr/bin/env bash
# Stop the Authlib authorization server started by start.sh.
# Usage: [PORT=8790] [PIDFILE=path] scripts/providers/authlib/stop.sh
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../common.sh
. "$HERE/../common.sh"
PORT="${PORT:-8790}"
BUILD="$(provider_build_dir)"
stop_by_pidfile "${PIDFILE:-$BUILD/authlib-$PORT.pid}"
