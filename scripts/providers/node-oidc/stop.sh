#!/usr/bin/env bash
# Stop the node-oidc-provider AS started by start.sh.
# Usage: [PORT=8780] [PIDFILE=path] scripts/providers/node-oidc/stop.sh
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../common.sh
. "$HERE/../common.sh"
PORT="${PORT:-8780}"
BUILD="$(provider_build_dir)"
stop_by_pidfile "${PIDFILE:-$BUILD/node-oidc-$PORT.pid}"
