#!/usr/bin/env bash
# Stop the FastMCP reference provider started by start.sh.
# Usage: [PORT=8765] [PIDFILE=path] scripts/providers/fastmcp/stop.sh
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../common.sh
. "$HERE/../common.sh"
PORT="${PORT:-8765}"
BUILD="$(provider_build_dir)"
stop_by_pidfile "${PIDFILE:-$BUILD/fastmcp-$PORT.pid}"
