#!/usr/bin/env bash
# Stop the TS SDK demo provider started by start.sh.
# Usage: [PORT=8770] [PIDFILE=path] scripts/providers/ts-demo/stop.sh
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../common.sh
. "$HERE/../common.sh"
PORT="${PORT:-8770}"
BUILD="$(provider_build_dir)"
stop_by_pidfile "${PIDFILE:-$BUILD/ts-demo-$PORT.pid}"
