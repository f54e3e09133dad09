#!/usr/bin/env bash
# Full flow with curl against the Cloudflare worker started by start.sh, printing every request
# and its raw response (status line, headers, body) as Markdown. SMOKE.md is its output.
#
# Usage: scripts/providers/cloudflare/smoke.sh BASE_URL [LOGFILE] > out.md
#        scripts/providers/cloudflare/smoke.sh --expiry BASE_URL > out.md
#        scripts/providers/cloudflare/smoke.sh --boundary BASE_URL > out.md
#        scripts/providers/cloudflare/smoke.sh --code-expiry BASE_URL > out.md
#        scripts/providers/cloudflare/smoke.sh --extra BASE_URL > out.md
#   BASE_URL  as printed by start.sh. The main flow needs the default lifetimes and
#             SCOPES='read write', and a fresh worker (it counts CIMD fetches). --expiry needs
#             ACCESS_TTL=100 REFRESH_TTL=130 and takes ~105 s: it shows the expiry rules.
#             --boundary (same lifetimes, ~105 s) polls a refresh token and an access token
#             every 100 ms around their limits and prints one table row per change of answer.
#             --code-expiry (any lifetimes, ~10 min) exchanges one code 595 s and another
#             605 s after it was issued.
#             --extra (any worker, a few seconds) probes request shapes: a redirect URI with a
#             query, unknown registration fields, a POST /authorize, a missing redirect_uri, an
#             empty scope, Basic plus body credentials, PKCE methods.
#   LOGFILE   the provider log (default: ${OAUTH_ORACLE_BUILD:-target}/providers/cloudflare-$PORT.log);
#             its `cimd fetch` lines are quoted at the end
# Needs curl and python3 (JSON and URL parsing only).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../common.sh
. "$HERE/../common.sh"

EXPIRY=0
BOUNDARY=0
if [ "${1:-}" = "--expiry" ]; then EXPIRY=1; shift; fi
if [ "${1:-}" = "--boundary" ]; then BOUNDARY=1; shift; fi
EXTRA=0
if [ "${1:-}" = "--extra" ]; then EXTRA=1; shift; fi
CODE_EXPIRY=0
if [ "${1:-}" = "--code-expiry" ]; then CODE_EXPIRY=1; shift; fi
BASE="${1:?usage: smoke.sh [--expiry] BASE_URL [LOGFILE]}"
BASE="${BASE%/}"
PORT="${BASE##*:}"
LOGFILE="${2:-$(provider_build_dir)/cloudflare-$PORT.log}"
RESOURCE="$BASE/mcp"
REDIRECT="http://127.0.0.1:9999/cb"
VERIFIER="dBjftJeZ4CVP-mJ92K27uhbUJU1p1r_wW1gFWFOEjXk"
CHALLENGE="$(python3 -c 'import base64,hashlib,sys; print(base64.urlsafe_b64encode(hashlib.sha256(sys.argv[1].encode()).digest()).decode().rstrip("="))' "$VERIFIER")"
STATE="st-12345"
INIT='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"oauth-oracle-smoke","version":"0.0.0"}}}'
CIMD="https://client.example/oauth/metadata.json"
CIMD_NOCACHE="https://nocache.example/oauth/metadata.json"

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
N=0
LAST_BODY="$TMP/none"
LAST_HEAD="$TMP/none"

json_get() {  # json_get FILE KEY
  python3 -c 'import json,sys
try: v=json.load(open(sys.argv[1])).get(sys.argv[2], "")
except Exception: v=""
print(v if isinstance(v,str) else json.dumps(v))' "$1" "$2"
}
location() { tr -d '\r' < "$LAST_HEAD" | sed -n 's/^location: *//Ip' | head -n1; }
loc_param() {  # loc_param NAME: a query parameter of the last Location
  python3 -c 'import sys,urllib.parse as u; print(u.parse_qs(u.urlsplit(sys.argv[1]).query).get(sys.argv[2],[""])[0])' "$(location)" "$1"
}

# section TITLE: a Markdown heading between steps.
section() { printf -- '---\n\n**%s**\n\n' "$1"; }
# step TITLE -- CURL_ARGS... : run curl, print request and raw response.
step() {
  local title="$1"; shift; shift
  N=$((N + 1))
  LAST_HEAD="$TMP/h$N"; LAST_BODY="$TMP/b$N"
  curl -sS -D "$LAST_HEAD" -o "$LAST_BODY" --max-time 10 "$@" || true
  printf '## %d. %s\n\n' "$N" "$title"
  printf '```\n$ curl'; printf " %q" "$@"; printf '\n```\n\n'
  printf '```http\n'
  tr -d '\r' < "$LAST_HEAD"
  cat "$LAST_BODY"; printf '\n```\n\n'
}
authorize() {  # authorize TITLE CLIENT_ID [KEY=VALUE (replace) | -KEY (drop) | +KEY=VALUE (add)]...
  local title="$1" cid="$2"; shift 2
  local keys=(response_type client_id redirect_uri code_challenge code_challenge_method state scope)
  declare -A p=([response_type]=code [client_id]="$cid" [redirect_uri]="$REDIRECT"
    [code_challenge]="$CHALLENGE" [code_challenge_method]=S256 [state]="$STATE" [scope]="read write")
  local extra=() args=() kv k
  for kv in "$@"; do
    case "$kv" in
      -*) unset "p[${kv#-}]" ;;
      +*) extra+=(--data-urlencode "${kv#+}") ;;
      *) k="${kv%%=*}"; p[$k]="${kv#*=}" ;;
    esac
  done
  for k in "${keys[@]}"; do
    if [ -n "${p[$k]+set}" ]; then args+=(--data-urlencode "$k=${p[$k]}"); fi
  done
  step "$title" -- -G "$BASE/authorize" "${args[@]}" "${extra[@]}"
}
mcp() {  # mcp TITLE TOKEN [extra curl args]
  local title="$1" tok="$2"; shift 2
  step "$title" -- -X POST "$BASE/mcp" -H "Authorization: Bearer $tok" \
    -H 'Content-Type: application/json' --data "$INIT" "$@"
}

if [ "$EXTRA" = 1 ]; then
  printf '<!-- generated by scripts/providers/cloudflare/smoke.sh --extra on %s against %s -->\n\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$BASE"
  step "POST /register with a redirect URI holding a query, and fields the library does not know" -- -X POST "$BASE/register" \
    -H 'Content-Type: application/json' \
    --data '{"redirect_uris":["https://app.example/cb?x=a%20b&code=old"],"token_endpoint_auth_method":"none","scope":"read","software_id":"x"}'
  QC="$(json_get "$LAST_BODY" client_id)"
  authorize "GET /authorize with that redirect URI" "$QC" "redirect_uri=https://app.example/cb?x=a%20b&code=old"
  authorize "GET /authorize without redirect_uri (the client has one registered URI)" "$QC" -redirect_uri
  step "POST /authorize with the parameters in a form body" -- -X POST "$BASE/authorize" \
    --data-urlencode response_type=code --data-urlencode "client_id=$QC" \
    --data-urlencode "redirect_uri=https://app.example/cb?x=a%20b&code=old" --data-urlencode "code_challenge=$CHALLENGE" \
    --data-urlencode code_challenge_method=S256 --data-urlencode "state=$STATE"
  authorize "GET /authorize without scope" "$QC" "redirect_uri=https://app.example/cb?x=a%20b&code=old" -scope
  CODE="$(loc_param code)"
  step "POST /token for the code issued without scope" -- -X POST "$BASE/token" \
    --data-urlencode grant_type=authorization_code --data-urlencode "code=$CODE" \
    --data-urlencode "client_id=$QC" --data-urlencode "code_verifier=$VERIFIER"
  step "POST /token with HTTP Basic and a client_id in the body" -- -X POST "$BASE/token" -u "$QC:x" \
    --data-urlencode grant_type=refresh_token --data-urlencode refresh_token=a:b:c --data-urlencode "client_id=$QC"
  authorize "GET /authorize with a code_challenge and no code_challenge_method" "$QC" \
    "redirect_uri=https://app.example/cb?x=a%20b&code=old" -code_challenge_method
  authorize "GET /authorize with code_challenge_method=S512" "$QC" \
    "redirect_uri=https://app.example/cb?x=a%20b&code=old" code_challenge_method=S512
  exit 0
fi

if [ "$CODE_EXPIRY" = 1 ]; then
  printf '<!-- generated by scripts/providers/cloudflare/smoke.sh --code-expiry on %s against %s -->\n\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$BASE"
  for c in A B; do
    step "POST /register, public client $c" -- -X POST "$BASE/register" -H 'Content-Type: application/json' \
      --data '{"redirect_uris":["http://127.0.0.1:9999/cb"],"token_endpoint_auth_method":"none"}'
    eval "CID_$c=\"\$(json_get \"\$LAST_BODY\" client_id)\""
  done
  T0=$(date +%s)
  authorize "GET /authorize (client A)" "$CID_A"; CODE_A="$(loc_param code)"
  authorize "GET /authorize (client B)" "$CID_B"; CODE_B="$(loc_param code)"
  while [ "$(date +%s)" -lt $(( T0 + 595 )) ]; do sleep 1; done
  printf '_t = %d s after the codes were issued._\n\n' "$(( $(date +%s) - T0 ))"
  step "POST /token (client A's code)" -- -X POST "$BASE/token" --data-urlencode grant_type=authorization_code \
    --data-urlencode "code=$CODE_A" --data-urlencode "client_id=$CID_A" --data-urlencode "code_verifier=$VERIFIER"
  while [ "$(date +%s)" -lt $(( T0 + 605 )) ]; do sleep 1; done
  printf '_t = %d s after the codes were issued._\n\n' "$(( $(date +%s) - T0 ))"
  step "POST /token (client B's code)" -- -X POST "$BASE/token" --data-urlencode grant_type=authorization_code \
    --data-urlencode "code=$CODE_B" --data-urlencode "client_id=$CID_B" --data-urlencode "code_verifier=$VERIFIER"
  exit 0
fi

if [ "$BOUNDARY" = 1 ]; then
  printf '<!-- generated by scripts/providers/cloudflare/smoke.sh --boundary on %s against %s (ACCESS_TTL=100 REFRESH_TTL=130) -->\n\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$BASE"
  curl -sS -o "$TMP/reg" -X POST "$BASE/register" -H 'Content-Type: application/json' \
    --data '{"redirect_uris":["http://127.0.0.1:9999/cb"],"token_endpoint_auth_method":"none"}'
  PUB="$(json_get "$TMP/reg" client_id)"
  authorize "GET /authorize" "$PUB" >/dev/null
  CODE="$(loc_param code)"
  curl -sS -o "$TMP/tok" -X POST "$BASE/token" --data-urlencode grant_type=authorization_code \
    --data-urlencode "code=$CODE" --data-urlencode "client_id=$PUB" --data-urlencode "code_verifier=$VERIFIER"
  AT="$(json_get "$TMP/tok" access_token)"; RT="$(json_get "$TMP/tok" refresh_token)"
  # expires_at of the access token (and so of the exchange, in whole seconds) from /mcp.
  curl -sS -o "$TMP/mcp" -X POST "$BASE/mcp" -H "Authorization: Bearer $AT" --data x
  EXP="$(json_get "$TMP/mcp" expires_at)"
  GRANT_EXP=$(( EXP - 100 + 130 ))
  printf 'Access token `expires_at` = %s (from `/mcp`); the grant expires at %s (exchange + 130 s).\n' "$EXP" "$GRANT_EXP"
  printf 'Presenting the same refresh token again and again keeps it usable (it stays the "previous" one).\n\n'
  printf '| wall clock (ms) | unix s | probe | answer |\n|---|---|---|---|\n'
  last=""
  probe() {  # probe KIND: one request, prints a row when the answer changes
    local kind="$1" answer now
    now="$(now_ms)"
    if [ "$kind" = refresh ]; then
      curl -sS -o "$TMP/p" -w '%{http_code}' -X POST "$BASE/token" --data-urlencode grant_type=refresh_token \
        --data-urlencode "refresh_token=$RT" --data-urlencode "client_id=$PUB" > "$TMP/code" || true
      answer="$(cat "$TMP/code") $(python3 -c 'import json,sys
d=json.load(open(sys.argv[1])); print(d.get("error") or ("expires_in=%s" % d.get("expires_in")), d.get("error_description",""))' "$TMP/p")"
    else
      curl -sS -o "$TMP/p" -w '%{http_code}' -X POST "$BASE/mcp" -H "Authorization: Bearer $AT" --data x > "$TMP/code" || true
      answer="$(cat "$TMP/code") $(python3 -c 'import json,sys
try: d=json.load(open(sys.argv[1]))
except Exception: d={}
print(d.get("error") or "ok", d.get("error_description",""))' "$TMP/p")"
    fi
    if [ "$kind $answer" != "$last" ]; then
      printf '| %s | %s | %s | %s |\n' "$now" "$(( now / 1000 ))" "$kind" "$answer"
      last="$kind $answer"
    fi
  }
  # refresh: expires_in = min(100, grant left) drops below 100 from exchange + 30 s;
  # refused once fewer than 60 s are left (exchange + 70 s).
  while [ "$(( $(now_ms) / 1000 ))" -lt $(( GRANT_EXP - 102 )) ]; do sleep 0.5; done
  while [ "$(( $(now_ms) / 1000 ))" -le $(( GRANT_EXP - 98 )) ]; do probe refresh; sleep 0.1; done
  last=""
  while [ "$(( $(now_ms) / 1000 ))" -lt $(( GRANT_EXP - 62 )) ]; do sleep 0.5; done
  while [ "$(( $(now_ms) / 1000 ))" -le $(( GRANT_EXP - 58 )) ]; do probe refresh; sleep 0.1; done
  last=""
  while [ "$(( $(now_ms) / 1000 ))" -lt $(( EXP - 2 )) ]; do sleep 0.5; done
  while [ "$(( $(now_ms) / 1000 ))" -le $(( EXP + 1 )) ]; do probe access; sleep 0.1; done
  exit 0
fi

if [ "$EXPIRY" = 1 ]; then
  printf '<!-- generated by scripts/providers/cloudflare/smoke.sh --expiry on %s against %s (ACCESS_TTL=100 REFRESH_TTL=130) -->\n\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$BASE"
  T0=$(date +%s)
  at() { printf '_t = %d s after the code exchange._\n\n' "$(( $(date +%s) - T0 ))"; }
  wait_until() { local target=$(( T0 + $1 )); while [ "$(date +%s)" -lt "$target" ]; do sleep 0.2; done; }
  step "POST /register, public client" -- -X POST "$BASE/register" -H 'Content-Type: application/json' \
    --data '{"redirect_uris":["http://127.0.0.1:9999/cb"],"token_endpoint_auth_method":"none"}'
  PUB="$(json_get "$LAST_BODY" client_id)"
  authorize "GET /authorize" "$PUB"
  CODE="$(loc_param code)"
  T0=$(date +%s)
  step "POST /token (authorization_code) -> ATa, RTa" -- -X POST "$BASE/token" \
    --data-urlencode grant_type=authorization_code --data-urlencode "code=$CODE" \
    --data-urlencode "client_id=$PUB" --data-urlencode "code_verifier=$VERIFIER"
  ATA="$(json_get "$LAST_BODY" access_token)"; RTA="$(json_get "$LAST_BODY" refresh_token)"
  wait_until 45; at
  step "POST /token (refresh_token RTa; 85 s of the grant left, under ACCESS_TTL) -> ATb, RTb" -- -X POST "$BASE/token" \
    --data-urlencode grant_type=refresh_token --data-urlencode "refresh_token=$RTA" --data-urlencode "client_id=$PUB"
  RTB="$(json_get "$LAST_BODY" refresh_token)"
  wait_until 72; at
  step "POST /token (refresh_token RTb; 58 s of the grant left)" -- -X POST "$BASE/token" \
    --data-urlencode grant_type=refresh_token --data-urlencode "refresh_token=$RTB" --data-urlencode "client_id=$PUB"
  mcp "POST /mcp with ATa (28 s left)" "$ATA"
  wait_until 102; at
  mcp "POST /mcp with ATa (expired 2 s ago)" "$ATA"
  exit 0
fi

printf '<!-- generated by scripts/providers/cloudflare/smoke.sh on %s against %s -->\n\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$BASE"
printf 'PKCE: code_verifier=`%s`, code_challenge=`%s` (S256), state=`%s`, redirect_uri=`%s`.\n\n' "$VERIFIER" "$CHALLENGE" "$STATE" "$REDIRECT"

section "Discovery and the resource's challenge"
step "GET authorization server metadata" -- "$BASE/.well-known/oauth-authorization-server"
step "OPTIONS /token (CORS preflight with an Origin)" -- -X OPTIONS "$BASE/token" \
  -H 'Origin: https://app.example' -H 'Access-Control-Request-Method: POST'
step "POST /.well-known/oauth-authorization-server" -- -X POST "$BASE/.well-known/oauth-authorization-server"
step "POST /mcp without a token" -- -X POST "$BASE/mcp" -H 'Content-Type: application/json' --data "$INIT"
step "GET protected resource metadata" -- "$BASE/.well-known/oauth-protected-resource/mcp"

section "Registration"
step "POST /register, public client (token_endpoint_auth_method none)" -- -X POST "$BASE/register" \
  -H 'Content-Type: application/json' \
  --data '{"redirect_uris":["http://127.0.0.1:9999/cb"],"client_name":"smoke public","token_endpoint_auth_method":"none","grant_types":["authorization_code","refresh_token"]}'
PUB="$(json_get "$LAST_BODY" client_id)"
step "POST /register, confidential client (client_secret_post)" -- -X POST "$BASE/register" \
  -H 'Content-Type: application/json' \
  --data '{"redirect_uris":["http://127.0.0.1:9999/cb"],"token_endpoint_auth_method":"client_secret_post"}'
CONF="$(json_get "$LAST_BODY" client_id)"; CONF_SECRET="$(json_get "$LAST_BODY" client_secret)"
step "POST /register, no auth method (RFC 7591 default client_secret_basic)" -- -X POST "$BASE/register" \
  -H 'Content-Type: application/json' --data '{"redirect_uris":["https://app.example/cb"]}'
DEF="$(json_get "$LAST_BODY" client_id)"; DEF_SECRET="$(json_get "$LAST_BODY" client_secret)"
step "POST /register, non-loopback http redirect URI" -- -X POST "$BASE/register" \
  -H 'Content-Type: application/json' --data '{"redirect_uris":["http://app.example/cb"],"token_endpoint_auth_method":"none"}'
step "POST /register, javascript: redirect URI" -- -X POST "$BASE/register" \
  -H 'Content-Type: application/json' --data '{"redirect_uris":["javascript:alert(1)"],"token_endpoint_auth_method":"none"}'
step "POST /register, refresh_token grant without authorization_code" -- -X POST "$BASE/register" \
  -H 'Content-Type: application/json' --data '{"redirect_uris":["https://app.example/cb"],"grant_types":["refresh_token"]}'
step "GET /register" -- "$BASE/register"
step "POST /register, body not JSON" -- -X POST "$BASE/register" -H 'Content-Type: application/json' --data 'nope'

section "Authorization, PKCE and code exchange (public client)"
authorize "GET /authorize (public client, S256, resource)" "$PUB" "+resource=$RESOURCE"
CODE1="$(loc_param code)"
step "POST /token with a wrong code_verifier" -- -X POST "$BASE/token" \
  --data-urlencode grant_type=authorization_code --data-urlencode "code=$CODE1" \
  --data-urlencode "redirect_uri=$REDIRECT" --data-urlencode "client_id=$PUB" \
  --data-urlencode "code_verifier=wrong-${VERIFIER}"
step "POST /token with another client's credentials (confidential client)" -- -X POST "$BASE/token" \
  --data-urlencode grant_type=authorization_code --data-urlencode "code=$CODE1" \
  --data-urlencode "redirect_uri=$REDIRECT" --data-urlencode "client_id=$CONF" \
  --data-urlencode "client_secret=$CONF_SECRET" --data-urlencode "code_verifier=$VERIFIER"
step "POST /token with a resource that is not the grant's" -- -X POST "$BASE/token" \
  --data-urlencode grant_type=authorization_code --data-urlencode "code=$CODE1" \
  --data-urlencode "redirect_uri=$REDIRECT" --data-urlencode "client_id=$PUB" \
  --data-urlencode "code_verifier=$VERIFIER" --data-urlencode "resource=$BASE/other"
step "POST /token with redirect_uri on another loopback port than at /authorize" -- -X POST "$BASE/token" \
  --data-urlencode grant_type=authorization_code --data-urlencode "code=$CODE1" \
  --data-urlencode "redirect_uri=http://127.0.0.1:4242/cb" --data-urlencode "client_id=$PUB" \
  --data-urlencode "code_verifier=$VERIFIER"
step "POST /token with an unregistered redirect_uri" -- -X POST "$BASE/token" \
  --data-urlencode grant_type=authorization_code --data-urlencode "code=$CODE1" \
  --data-urlencode "redirect_uri=https://evil.example/cb" --data-urlencode "client_id=$PUB" \
  --data-urlencode "code_verifier=$VERIFIER"
step "POST /token without code_verifier" -- -X POST "$BASE/token" \
  --data-urlencode grant_type=authorization_code --data-urlencode "code=$CODE1" \
  --data-urlencode "redirect_uri=$REDIRECT" --data-urlencode "client_id=$PUB"
step "POST /token (authorization_code; the failed attempts above did not consume the code)" -- -X POST "$BASE/token" \
  -H 'Origin: https://app.example' \
  --data-urlencode grant_type=authorization_code --data-urlencode "code=$CODE1" \
  --data-urlencode "redirect_uri=$REDIRECT" --data-urlencode "client_id=$PUB" \
  --data-urlencode "code_verifier=$VERIFIER" --data-urlencode "resource=$RESOURCE"
AT1="$(json_get "$LAST_BODY" access_token)"; RT1="$(json_get "$LAST_BODY" refresh_token)"
mcp "POST /mcp with the access token" "$AT1"
step "POST /mcp/tools (a descendant path of the resource) with the access token" -- -X POST "$BASE/mcp/tools" \
  -H "Authorization: Bearer $AT1" -H 'Content-Type: application/json' --data "$INIT"
mcp "POST /mcp with the access token, Host localhost (token audience is the 127.0.0.1 resource)" "$AT1" -H "Host: localhost:$PORT"
mcp "POST /mcp with a made-up token of the issued shape" "user:AAAAAAAAAAAAAAAA:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"
step "POST /token with the same code again (replay)" -- -X POST "$BASE/token" \
  --data-urlencode grant_type=authorization_code --data-urlencode "code=$CODE1" \
  --data-urlencode "redirect_uri=$REDIRECT" --data-urlencode "client_id=$PUB" \
  --data-urlencode "code_verifier=$VERIFIER"
mcp "POST /mcp with the access token issued from the replayed code" "$AT1"
step "POST /token (refresh_token issued from the replayed code)" -- -X POST "$BASE/token" \
  --data-urlencode grant_type=refresh_token --data-urlencode "refresh_token=$RT1" \
  --data-urlencode "client_id=$PUB"

section "Refresh rotation: the two usable refresh tokens"
authorize "GET /authorize (public client, no resource: the sole resource is chosen)" "$PUB"
CODE2="$(loc_param code)"
step "POST /token (authorization_code) -> AT2, RT2" -- -X POST "$BASE/token" \
  --data-urlencode grant_type=authorization_code --data-urlencode "code=$CODE2" \
  --data-urlencode "client_id=$PUB" --data-urlencode "code_verifier=$VERIFIER"
AT2="$(json_get "$LAST_BODY" access_token)"; RT2="$(json_get "$LAST_BODY" refresh_token)"
step "POST /token (refresh_token RT2) -> AT3, RT3" -- -X POST "$BASE/token" \
  --data-urlencode grant_type=refresh_token --data-urlencode "refresh_token=$RT2" \
  --data-urlencode "client_id=$PUB"
AT3="$(json_get "$LAST_BODY" access_token)"; RT3="$(json_get "$LAST_BODY" refresh_token)"
mcp "POST /mcp with AT2 (issued before the refresh)" "$AT2"
step "POST /token (refresh_token RT2 again: the previous token still works) -> AT4, RT4" -- -X POST "$BASE/token" \
  --data-urlencode grant_type=refresh_token --data-urlencode "refresh_token=$RT2" \
  --data-urlencode "client_id=$PUB"
AT4="$(json_get "$LAST_BODY" access_token)"; RT4="$(json_get "$LAST_BODY" refresh_token)"
step "POST /token (refresh_token RT3: neither the last presented nor the newest)" -- -X POST "$BASE/token" \
  --data-urlencode grant_type=refresh_token --data-urlencode "refresh_token=$RT3" \
  --data-urlencode "client_id=$PUB"
mcp "POST /mcp with AT4 (the dead RT3 did not revoke the grant)" "$AT4"
step "POST /token (refresh_token RT4, scope=read: downscoped) -> AT5, RT5" -- -X POST "$BASE/token" \
  --data-urlencode grant_type=refresh_token --data-urlencode "refresh_token=$RT4" \
  --data-urlencode "client_id=$PUB" --data-urlencode scope=read
AT5="$(json_get "$LAST_BODY" access_token)"
step "POST /token (refresh_token RT2: no longer the previous one)" -- -X POST "$BASE/token" \
  --data-urlencode grant_type=refresh_token --data-urlencode "refresh_token=$RT2" \
  --data-urlencode "client_id=$PUB"
step "POST /token (refresh_token RT4 again, with a resource that is not the grant's)" -- -X POST "$BASE/token" \
  --data-urlencode grant_type=refresh_token --data-urlencode "refresh_token=$RT4" \
  --data-urlencode "client_id=$PUB" --data-urlencode "resource=$BASE/other"
step "POST /token (refresh_token RT4 again, scope=admin: none granted)" -- -X POST "$BASE/token" \
  --data-urlencode grant_type=refresh_token --data-urlencode "refresh_token=$RT4" \
  --data-urlencode "client_id=$PUB" --data-urlencode scope=admin
step "POST /token (refresh_token RT4 presented by the confidential client)" -- -X POST "$BASE/token" \
  --data-urlencode grant_type=refresh_token --data-urlencode "refresh_token=$RT4" \
  --data-urlencode "client_id=$CONF" --data-urlencode "client_secret=$CONF_SECRET"
mcp "POST /mcp with AT5" "$AT5"

section "A second authorization for the same user, client and resource"
authorize "GET /authorize (public client again; its code is never exchanged)" "$PUB"
mcp "POST /mcp with AT5 (from the earlier grant)" "$AT5"
mcp "POST /mcp with AT2 (from the earlier grant)" "$AT2"

section "Confidential client: registered auth method, failed authentication"
authorize "GET /authorize (confidential client)" "$CONF"
CODE3="$(loc_param code)"
step "POST /token, client_secret_basic for a client_secret_post client" -- -X POST "$BASE/token" \
  -u "$CONF:$CONF_SECRET" \
  --data-urlencode grant_type=authorization_code --data-urlencode "code=$CODE3" \
  --data-urlencode "redirect_uri=$REDIRECT" --data-urlencode "code_verifier=$VERIFIER"
step "POST /token with a wrong client_secret" -- -X POST "$BASE/token" \
  --data-urlencode grant_type=authorization_code --data-urlencode "code=$CODE3" \
  --data-urlencode "redirect_uri=$REDIRECT" --data-urlencode "client_id=$CONF" \
  --data-urlencode "client_secret=wrong" --data-urlencode "code_verifier=$VERIFIER"
step "POST /token without the client_secret (as a public client)" -- -X POST "$BASE/token" \
  --data-urlencode grant_type=authorization_code --data-urlencode "code=$CODE3" \
  --data-urlencode "redirect_uri=$REDIRECT" --data-urlencode "client_id=$CONF" \
  --data-urlencode "code_verifier=$VERIFIER"
step "POST /token (authorization_code, client_secret_post; the code survived the failures)" -- -X POST "$BASE/token" \
  --data-urlencode grant_type=authorization_code --data-urlencode "code=$CODE3" \
  --data-urlencode "redirect_uri=$REDIRECT" --data-urlencode "client_id=$CONF" \
  --data-urlencode "client_secret=$CONF_SECRET" --data-urlencode "code_verifier=$VERIFIER"
ATC="$(json_get "$LAST_BODY" access_token)"; RTC="$(json_get "$LAST_BODY" refresh_token)"

section "Revocation at the token endpoint (no grant_type, token=...)"
step "POST /token token=<the confidential client's access token> by the public client (another client's token)" -- -X POST "$BASE/token" \
  --data-urlencode "token=$ATC" --data-urlencode "client_id=$PUB"
mcp "POST /mcp with the confidential client's access token (not revoked by another client)" "$ATC"
step "POST /token token=<access token> (revoke the access token alone)" -- -X POST "$BASE/token" \
  --data-urlencode "token=$ATC" --data-urlencode "client_id=$CONF" --data-urlencode "client_secret=$CONF_SECRET"
mcp "POST /mcp with the revoked access token" "$ATC"
step "POST /token (refresh_token of the grant whose access token was revoked)" -- -X POST "$BASE/token" \
  --data-urlencode grant_type=refresh_token --data-urlencode "refresh_token=$RTC" \
  --data-urlencode "client_id=$CONF" --data-urlencode "client_secret=$CONF_SECRET"
ATC2="$(json_get "$LAST_BODY" access_token)"; RTC2="$(json_get "$LAST_BODY" refresh_token)"
step "POST /token token=<refresh token>, token_type_hint=refresh_token (revoke the grant)" -- -X POST "$BASE/token" \
  --data-urlencode "token=$RTC2" --data-urlencode token_type_hint=refresh_token \
  --data-urlencode "client_id=$CONF" --data-urlencode "client_secret=$CONF_SECRET"
mcp "POST /mcp with the grant's access token after revoking its refresh token" "$ATC2"
step "POST /token (refresh_token RTC: the previous refresh token of the revoked grant)" -- -X POST "$BASE/token" \
  --data-urlencode grant_type=refresh_token --data-urlencode "refresh_token=$RTC" \
  --data-urlencode "client_id=$CONF" --data-urlencode "client_secret=$CONF_SECRET"
step "POST /token token=<unknown token of the issued shape>" -- -X POST "$BASE/token" \
  --data-urlencode "token=user:AAAAAAAAAAAAAAAA:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB" \
  --data-urlencode "client_id=$CONF" --data-urlencode "client_secret=$CONF_SECRET"
step "POST /token token=<a value without two colons>" -- -X POST "$BASE/token" \
  --data-urlencode "token=no-such-token" --data-urlencode "client_id=$PUB"
step "POST /token token=... with a wrong client_secret" -- -X POST "$BASE/token" \
  --data-urlencode "token=no-such-token" --data-urlencode "client_id=$CONF" --data-urlencode "client_secret=wrong"

section "Confidential client without PKCE"
authorize "GET /authorize (confidential client, no code_challenge)" "$CONF" -code_challenge -code_challenge_method
CODE7="$(loc_param code)"
step "POST /token without redirect_uri (no PKCE)" -- -X POST "$BASE/token" \
  --data-urlencode grant_type=authorization_code --data-urlencode "code=$CODE7" \
  --data-urlencode "client_id=$CONF" --data-urlencode "client_secret=$CONF_SECRET"
step "POST /token with a code_verifier for a code issued without a challenge" -- -X POST "$BASE/token" \
  --data-urlencode grant_type=authorization_code --data-urlencode "code=$CODE7" \
  --data-urlencode "redirect_uri=$REDIRECT" --data-urlencode "client_id=$CONF" \
  --data-urlencode "client_secret=$CONF_SECRET" --data-urlencode "code_verifier=$VERIFIER"
step "POST /token with redirect_uri (no PKCE)" -- -X POST "$BASE/token" \
  --data-urlencode grant_type=authorization_code --data-urlencode "code=$CODE7" \
  --data-urlencode "redirect_uri=$REDIRECT" --data-urlencode "client_id=$CONF" \
  --data-urlencode "client_secret=$CONF_SECRET"
AT7="$(json_get "$LAST_BODY" access_token)"

section "Code replay: by another client, then with a wrong code_verifier"
step "POST /token replaying the code by the public client" -- -X POST "$BASE/token" \
  --data-urlencode grant_type=authorization_code --data-urlencode "code=$CODE7" \
  --data-urlencode "redirect_uri=$REDIRECT" --data-urlencode "client_id=$PUB" \
  --data-urlencode "code_verifier=$VERIFIER"
mcp "POST /mcp with the token from that code (another client's replay revoked nothing)" "$AT7"
step "POST /token replaying the code by its client, with a wrong code_verifier and no redirect_uri" -- -X POST "$BASE/token" \
  --data-urlencode grant_type=authorization_code --data-urlencode "code=$CODE7" \
  --data-urlencode "client_id=$CONF" --data-urlencode "client_secret=$CONF_SECRET" \
  --data-urlencode "code_verifier=wrong"
mcp "POST /mcp with the token from that code (the replay revoked the grant)" "$AT7"

section "Default auth method: either secret method works"
authorize "GET /authorize (default-method client, https redirect URI)" "$DEF" "redirect_uri=https://app.example/cb"
CODE4="$(loc_param code)"
step "POST /token with HTTP Basic" -- -X POST "$BASE/token" -u "$DEF:$DEF_SECRET" \
  --data-urlencode grant_type=authorization_code --data-urlencode "code=$CODE4" \
  --data-urlencode "code_verifier=$VERIFIER"
RTD="$(json_get "$LAST_BODY" refresh_token)"
step "POST /token (refresh) with client_secret_post" -- -X POST "$BASE/token" \
  --data-urlencode grant_type=refresh_token --data-urlencode "refresh_token=$RTD" \
  --data-urlencode "client_id=$DEF" --data-urlencode "client_secret=$DEF_SECRET"
RTD="$(json_get "$LAST_BODY" refresh_token)"
step "POST /token (refresh) with resource in upper-case scheme and host, and a query" -- -X POST "$BASE/token" \
  -u "$DEF:$DEF_SECRET" --data-urlencode grant_type=refresh_token --data-urlencode "refresh_token=$RTD" \
  --data-urlencode "resource=HTTP://127.0.0.1:$PORT/mcp?mode=x"
RTD="$(json_get "$LAST_BODY" refresh_token)"
step "POST /token with a wrong Basic secret" -- -X POST "$BASE/token" -u "$DEF:wrong" \
  --data-urlencode grant_type=refresh_token --data-urlencode "refresh_token=$RTD"

section "Authorization request errors"
authorize "GET /authorize with an unknown client_id" "no-such-client"
authorize "GET /authorize with an unregistered redirect_uri" "$PUB" "redirect_uri=http://127.0.0.1:9999/other"
authorize "GET /authorize with the registered loopback redirect URI on another port" "$PUB" "redirect_uri=http://127.0.0.1:4242/cb"
authorize "GET /authorize with resource naming another resource" "$PUB" "+resource=$BASE/other"
authorize "GET /authorize with two resource parameters" "$PUB" "+resource=$RESOURCE" "+resource=$BASE/other"
authorize "GET /authorize without code_challenge (public client)" "$PUB" -code_challenge -code_challenge_method
authorize "GET /authorize with code_challenge_method=plain" "$PUB" code_challenge_method=plain
authorize "GET /authorize with response_type=token" "$PUB" response_type=token
authorize "GET /authorize without state and scope" "$PUB" -state -scope
authorize "GET /authorize with state repeated (the first value is used)" "$PUB" "+state=second"
authorize "GET /authorize with a state holding reserved characters" "$PUB" "state=a&b=c%d#e f"
authorize "GET /authorize with the loopback redirect URI as localhost (registered as 127.0.0.1)" "$PUB" "redirect_uri=http://localhost:9999/cb"

section "Token endpoint request errors"
step "GET /token" -- "$BASE/token"
step "POST /token with a JSON body" -- -X POST "$BASE/token" -H 'Content-Type: application/json' --data '{"grant_type":"refresh_token"}'
step "POST /token with grant_type repeated" -- -X POST "$BASE/token" \
  --data-urlencode grant_type=refresh_token --data-urlencode grant_type=refresh_token \
  --data-urlencode "refresh_token=$RTD" --data-urlencode "client_id=$PUB"
step "POST /token with grant_type=client_credentials" -- -X POST "$BASE/token" \
  --data-urlencode grant_type=client_credentials --data-urlencode "client_id=$PUB"
step "POST /token with neither grant_type nor token" -- -X POST "$BASE/token" --data-urlencode "client_id=$PUB"
step "POST /token without client_id" -- -X POST "$BASE/token" \
  --data-urlencode grant_type=refresh_token --data-urlencode "refresh_token=$RTD"
step "POST /token with an unknown client_id" -- -X POST "$BASE/token" \
  --data-urlencode grant_type=refresh_token --data-urlencode "refresh_token=$RTD" --data-urlencode client_id=nope
step "POST /token with a code of the wrong shape" -- -X POST "$BASE/token" \
  --data-urlencode grant_type=authorization_code --data-urlencode code=abc \
  --data-urlencode "client_id=$PUB" --data-urlencode "code_verifier=$VERIFIER"

section "Client ID Metadata Documents"
authorize "GET /authorize with a CIMD client_id (cacheable document)" "$CIMD"
CODE5="$(loc_param code)"
step "POST /token (authorization_code) for the CIMD client" -- -X POST "$BASE/token" \
  --data-urlencode grant_type=authorization_code --data-urlencode "code=$CODE5" \
  --data-urlencode "client_id=$CIMD" --data-urlencode "code_verifier=$VERIFIER"
AT6="$(json_get "$LAST_BODY" access_token)"
mcp "POST /mcp with the CIMD client's token" "$AT6"
authorize "GET /authorize with a CIMD client_id (document sent with Cache-Control: no-store)" "$CIMD_NOCACHE"
CODE6="$(loc_param code)"
step "POST /token (authorization_code) for the no-store CIMD client" -- -X POST "$BASE/token" \
  --data-urlencode grant_type=authorization_code --data-urlencode "code=$CODE6" \
  --data-urlencode "client_id=$CIMD_NOCACHE" --data-urlencode "code_verifier=$VERIFIER"
authorize "GET /authorize with a CIMD document whose client_id is another URL" "https://mismatch.example/oauth/metadata.json"
authorize "GET /authorize with a CIMD document over 5 KB" "https://big.example/oauth/metadata.json"
authorize "GET /authorize with a CIMD document asking for client_secret_basic" "https://secret.example/oauth/metadata.json"
authorize "GET /authorize with a CIMD URL that answers 404" "https://client.example/oauth/missing.json"
authorize "GET /authorize with an https client_id without a path (not a CIMD URL)" "https://client.example"
step "POST /token with a CIMD client_id whose document is refused" -- -X POST "$BASE/token" \
  --data-urlencode grant_type=refresh_token --data-urlencode "refresh_token=$RTD" \
  --data-urlencode "client_id=https://mismatch.example/oauth/metadata.json"

printf '## Outbound fetches of the worker (provider log)\n\n```\n'
grep '^cimd fetch' "$LOGFILE" || true
printf '```\n\n'

# server.mjs dumps OAUTH_KV to its log on SIGUSR2 (key names, expiration, metadata; one value per kind).
PIDFILE="${PIDFILE:-${LOGFILE%.log}.pid}"
if [ -f "$PIDFILE" ] && kill -USR2 "$(cat "$PIDFILE")" 2>/dev/null; then
  for _ in $(seq 1 50); do grep -q '^kv end' "$LOGFILE" && break; sleep 0.1; done
  printf '## OAUTH_KV at the end (SIGUSR2 dump in the provider log)\n\n```\n'
  sed -n '/^kv begin/,/^kv end/p' "$LOGFILE"
  printf '```\n'
fi
