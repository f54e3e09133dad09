#!/usr/bin/env bash
# The test command (README): starts the reference providers on 127.0.0.1 — FastMCP 4.2.3 from a
# pinned venv (with short lifetimes, so expiry paths run in seconds), its ten deliberately broken
# variants, the MCP TypeScript SDK 1.32.2 demo provider, node-oidc-provider 9, an Authlib
# server with a deliberately broken variant (scripts/providers/node-oidc, scripts/providers/authlib)
# and Cloudflare's workers-oauth-provider 1.2.3 in Miniflare (scripts/providers/cloudflare;
# its own lifetimes, at least 60 s) — runs `cargo test`, then the
# live-provider tests, and stops every provider by PID whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."
export OAUTH_ORACLE_BUILD="${OAUTH_ORACLE_BUILD:-target}"
# Every proptest runs from this seed unless told otherwise: the suite cannot fail by chance
# (a property test's own config may fix its seed too).
export PROPTEST_RNG_SEED="${PROPTEST_RNG_SEED:-20261202}"
P=scripts/providers
TTLS=(CODE_TTL=2 ACCESS_TTL=2 REFRESH_TTL=6)
BUGS=(code_reuse revoke_one no_rotation no_pkce foreign_code access_outlives
      foreign_refresh raw_state short_code no_client_auth)

started=()   # "kind:port"
stop_all() {
  for s in "${started[@]}"; do
    PORT="${s#*:}" "$P/${s%%:*}/stop.sh" >/dev/null 2>&1 || true
  done
}
trap stop_all EXIT

pids=()
start() { # kind port env...: in the background (installs run side by side); `wait` for `pids`
  local kind=$1 port=$2; shift 2
  env PORT="$port" "$@" "$P/$kind/start.sh" >/dev/null &
  pids+=($!)
  started+=("$kind:$port")
}

echo "== reference providers"
t0=$(date +%s)
start fastmcp 18765 "${TTLS[@]}"            # installs the venv on first use
start ts-demo 18770                          # npm ci on first use
start node-oidc 18780 "${TTLS[@]}"           # node-oidc-provider 9; npm ci on first use
start authlib 18790 "${TTLS[@]}"             # Authlib + Flask; a venv on first use
start cloudflare 18820                       # workers-oauth-provider in Miniflare; npm ci
for pid in "${pids[@]}"; do wait "$pid"; done   # a failed start fails the script (set -e)
pids=()
start authlib 18791 BUG=open_introspection "${TTLS[@]}"   # its introspection answers anyone
port=18801
for bug in "${BUGS[@]}"; do
  env PORT=$port BUG="$bug" "${TTLS[@]}" "$P/fastmcp/start.sh" >/dev/null &
  pids+=($!)
  started+=("fastmcp:$port")
  export "OAUTH_ORACLE_BROKEN_$(echo "$bug" | tr a-z A-Z)_URL=http://127.0.0.1:$port"
  port=$((port + 1))
done
for pid in "${pids[@]}"; do wait "$pid"; done
export OAUTH_ORACLE_AUTHLIB_OPEN_INTROSPECTION_URL=http://127.0.0.1:18791
export OAUTH_ORACLE_FASTMCP_URL=http://127.0.0.1:18765 OAUTH_ORACLE_TS_URL=http://127.0.0.1:18770
export OAUTH_ORACLE_NODE_OIDC_URL=http://127.0.0.1:18780 OAUTH_ORACLE_AUTHLIB_URL=http://127.0.0.1:18790
export OAUTH_ORACLE_CLOUDFLARE_URL=http://127.0.0.1:18820
echo "providers ready in $(( $(date +%s) - t0 )) s"

echo "== cargo test"
cargo test
echo "== live-provider tests"
cargo test --test live_providers -- --ignored --test-threads 2
cargo test --test live_real_servers -- --ignored --test-threads 2
echo "== fingerprint live tests"
cargo test --test fingerprint_live -- --ignored --test-threads 1
