#!/usr/bin/env bash
# Run a full OAuth 2.1 flow with curl against a running authorization server that is
# described by its metadata (RFC 8414, else OpenID discovery), and print every request
# and raw response (status line, headers, body) as Markdown. Used for
# scripts/providers/node-oidc/SMOKE.md and scripts/providers/authlib/SMOKE.md.
#
# Usage: [LOGIN_FIELDS="username=alice password=wonderland"] [RESOURCE=URL] \
#        [RS_CLIENT_ID=oauth-oracle-rs] [RS_CLIENT_SECRET=oauth-oracle-rs-secret] \
#        scripts/providers/smoke-as.sh BASE_URL > out.md
#
# Unlike smoke.sh (fixed FastMCP paths, no user agent) every endpoint comes from the
# metadata, and the authorization request is played by a user agent: each hop is
# shown; same-origin redirects are followed with a cookie jar; a 200 HTML page with a
# <form> is submitted with its hidden fields plus LOGIN_FIELDS; the walk ends at the
# first redirect that leaves the server's origin (the client's redirect URI).
#
# Steps: metadata (both well-known documents), registration (confidential A with
# client_secret_post, confidential B with client_secret_basic, public P, defaults only,
# a bad scope), authorization (login if asked), code exchange (wrong verifier, right
# verifier, replay, redirect_uri omitted), the resource / introspection with the token,
# refresh with rotation and reuse of the old refresh token, foreign-client probes
# (introspection, refresh, revocation, code exchange), revocation, introspection with
# and without resource-server credentials, authorization edge cases (no PKCE, plain,
# unknown client, unregistered / other-port redirect URI, reserved characters in state),
# then client authentication at the token endpoint (wrong secret, wrong method, none), scope
# on refresh, and the redirect URI policy at registration (non-loopback http, native client).
# Needs curl and python3 (for JSON / URL / HTML parsing only).
set -euo pipefail

BASE="${1:?usage: smoke-as.sh BASE_URL}"
BASE="${BASE%/}"
LOGIN_FIELDS="${LOGIN_FIELDS:-}"
RESOURCE="${RESOURCE:-}"
RS_ID="${RS_CLIENT_ID:-oauth-oracle-rs}"
RS_SECRET="${RS_CLIENT_SECRET:-oauth-oracle-rs-secret}"
REDIRECT="http://127.0.0.1:9999/cb"
REDIRECT2="http://localhost:3000/cb"
VERIFIER="dBjftJeZ4CVP-mJ92K27uhbUJU1p1r_wW1gFWFOEjXk"
CHALLENGE="$(python3 -c 'import base64,hashlib,sys; print(base64.urlsafe_b64encode(hashlib.sha256(sys.argv[1].encode()).digest()).decode().rstrip("="))' "$VERIFIER")"
STATE="st-12345"

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
JAR="$TMP/cookies"
: > "$JAR"
N=0
LAST_BODY="$TMP/none"
LAST_HEAD="$TMP/none"

json_get() {  # json_get FILE KEY
  python3 -c 'import json,sys
try: v=json.load(open(sys.argv[1])).get(sys.argv[2], "")
except Exception: v=""
print(v if isinstance(v,str) else json.dumps(v))' "$1" "$2"
}

# step TITLE -- CURL_ARGS... : run curl (cookie jar on), print request and raw response.
step() {
  local title="$1"; shift; shift
  N=$((N + 1))
  LAST_HEAD="$TMP/h$N"; LAST_BODY="$TMP/b$N"
  curl -sS -D "$LAST_HEAD" -o "$LAST_BODY" --max-time 10 -b "$JAR" -c "$JAR" "$@" || true
  printf '## %d. %s\n\n' "$N" "$title"
  printf '```\n$ curl'; printf " %q" "$@"; printf '\n```\n\n'
  printf '```http\n'
  tr -d '\r' < "$LAST_HEAD"
  head -c 4000 "$LAST_BODY"; printf '\n```\n\n'
}
status() { head -n1 "$LAST_HEAD" | awk '{print $2}'; }
location() { tr -d '\r' < "$LAST_HEAD" | sed -n 's/^location: *//Ip' | head -n1; }
note() { printf '> %s\n\n' "$*"; }

# authorize TITLE PARAMS... : GET the authorization endpoint with the given
# name=value pairs, then walk the hops. Sets RESULT_URL (the redirect that left the
# origin, or empty), CODE, GOT_STATE (raw, decoded), GOT_ISS.
authorize() {
  local title="$1"; shift
  local args=() p url hop=0 loc action
  for p in "$@"; do args+=(--data-urlencode "$p"); done
  RESULT_URL=""; CODE=""; GOT_STATE=""; GOT_ISS=""
  step "$title" -- -G "$AUTHZ" "${args[@]}"
  url="$AUTHZ"
  while [ "$hop" -lt 10 ]; do
    hop=$((hop + 1))
    case "$(status)" in
      301|302|303|307|308)
        loc="$(location)"
        url="$(python3 -c 'import sys,urllib.parse as u; print(u.urljoin(sys.argv[1], sys.argv[2]))' "$url" "$loc")"
        if [ "$(python3 -c 'import sys,urllib.parse as u; a=u.urlsplit(sys.argv[1]); b=u.urlsplit(sys.argv[2]); print("same" if (a.scheme,a.netloc)==(b.scheme,b.netloc) else "other")' "$url" "$BASE")" = other ]; then
          RESULT_URL="$url"
          break
        fi
        step "$title: follow hop $hop (same origin, cookie jar)" -- "$url"
        ;;
      200)
        if ! grep -qi '<form' "$LAST_BODY"; then break; fi
        # Submit the page's form: its hidden inputs plus LOGIN_FIELDS.
        action="$(python3 - "$LAST_BODY" "$url" > "$TMP/form" <<'PY'
import sys, html.parser, urllib.parse as u
class F(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(); self.action=None; self.fields=[]
    def handle_starttag(self, tag, attrs):
        a=dict(attrs)
        if tag=="form" and self.action is None: self.action=a.get("action") or ""
        if tag=="input" and a.get("type")=="hidden" and a.get("name"): self.fields.append((a["name"], a.get("value") or ""))
f=F(); f.feed(open(sys.argv[1], encoding="utf-8", errors="replace").read())
print(u.urljoin(sys.argv[2], f.action or ""))
for k,v in f.fields: print(f"{k}={v}")
PY
)"
        action="$(head -n1 "$TMP/form")"
        local fargs=()
        while IFS= read -r p; do fargs+=(--data-urlencode "$p"); done < <(tail -n +2 "$TMP/form")
        for p in $LOGIN_FIELDS; do fargs+=(--data-urlencode "$p"); done
        url="$action"
        step "$title: submit the login form (hidden fields + LOGIN_FIELDS)" -- -X POST "$action" "${fargs[@]}"
        ;;
      *) break ;;
    esac
  done
  if [ -n "$RESULT_URL" ]; then
    eval "$(python3 - "$RESULT_URL" <<'PY'
import sys, shlex, urllib.parse as u
s=u.urlsplit(sys.argv[1])
q=u.parse_qs(s.query, keep_blank_values=True); q.update(u.parse_qs(s.fragment, keep_blank_values=True))
g=lambda k: q.get(k,[""])[0]
print(f"CODE={shlex.quote(g('code'))}; GOT_STATE={shlex.quote(g('state'))}; GOT_ISS={shlex.quote(g('iss'))}")
PY
)"
    printf 'Left the origin for `%s` — code=`%s`, state=`%s` (decoded), iss=`%s`.\n\n' "$RESULT_URL" "$CODE" "$GOT_STATE" "$GOT_ISS"
  fi
}

# Token endpoint calls per client kind: A posts its secret, B uses HTTP Basic, P sends client_id.
token_a() { local t="$1"; shift; step "$t" -- -X POST "$TOKEN" --data-urlencode "client_id=$A_ID" --data-urlencode "client_secret=$A_SECRET" "$@"; }
token_b() { local t="$1"; shift; step "$t" -- -X POST "$TOKEN" -u "$B_ID:$B_SECRET" "$@"; }
introspect_rs() { step "$1" -- -X POST "$INTROSPECT" -u "$RS_ID:$RS_SECRET" --data-urlencode "token=$2"; }
probe_resource() {
  if [ -n "$RESOURCE" ]; then
    step "$1" -- "$RESOURCE" -H "Authorization: Bearer $2"
  fi
}
basic_flow_params() {  # client_id
  printf '%s\n' response_type=code "client_id=$1" "redirect_uri=$REDIRECT" "code_challenge=$CHALLENGE" \
    code_challenge_method=S256 "state=$STATE" "scope=read write"
}

printf '# Smoke flow against %s\n\n' "$BASE"
printf 'Generated by `scripts/providers/smoke-as.sh` on %s. Ids, secrets, codes, tokens, cookies and dates are random per run.\n\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
printf 'PKCE: code_verifier=`%s`, code_challenge=`%s` (S256), state=`%s`. LOGIN_FIELDS=`%s`, RESOURCE=`%s`, introspection as `%s`.\n\n' \
  "$VERIFIER" "$CHALLENGE" "$STATE" "$LOGIN_FIELDS" "${RESOURCE:-none}" "$RS_ID"

step "GET /.well-known/oauth-authorization-server (RFC 8414)" -- "$BASE/.well-known/oauth-authorization-server"
META="$LAST_BODY"
if [ "$(status)" != 200 ]; then
  step "GET /.well-known/openid-configuration (OpenID discovery)" -- "$BASE/.well-known/openid-configuration"
  META="$LAST_BODY"
else
  step "GET /.well-known/openid-configuration (OpenID discovery)" -- "$BASE/.well-known/openid-configuration"
fi
AUTHZ="$(json_get "$META" authorization_endpoint)"
TOKEN="$(json_get "$META" token_endpoint)"
REGISTER="$(json_get "$META" registration_endpoint)"
REVOKE="$(json_get "$META" revocation_endpoint)"
INTROSPECT="$(json_get "$META" introspection_endpoint)"
printf 'Endpoints from the metadata: authorization `%s`, token `%s`, registration `%s`, revocation `%s`, introspection `%s`.\n\n' \
  "$AUTHZ" "$TOKEN" "$REGISTER" "$REVOKE" "$INTROSPECT"

# ---- Registration ----
step "Register client A (client_secret_post, two redirect URIs, code + refresh)" -- -X POST "$REGISTER" -H 'Content-Type: application/json' \
  --data "{\"redirect_uris\":[\"$REDIRECT\",\"$REDIRECT2\"],\"grant_types\":[\"authorization_code\",\"refresh_token\"],\"response_types\":[\"code\"],\"scope\":\"read write\",\"token_endpoint_auth_method\":\"client_secret_post\",\"client_name\":\"smoke A\"}"
A_ID="$(json_get "$LAST_BODY" client_id)"; A_SECRET="$(json_get "$LAST_BODY" client_secret)"
step "Register client B (client_secret_basic)" -- -X POST "$REGISTER" -H 'Content-Type: application/json' \
  --data "{\"redirect_uris\":[\"$REDIRECT\"],\"grant_types\":[\"authorization_code\",\"refresh_token\"],\"response_types\":[\"code\"],\"scope\":\"read write\",\"token_endpoint_auth_method\":\"client_secret_basic\",\"client_name\":\"smoke B\"}"
B_ID="$(json_get "$LAST_BODY" client_id)"; B_SECRET="$(json_get "$LAST_BODY" client_secret)"
step "Register public client P (token_endpoint_auth_method none)" -- -X POST "$REGISTER" -H 'Content-Type: application/json' \
  --data "{\"redirect_uris\":[\"$REDIRECT\"],\"grant_types\":[\"authorization_code\",\"refresh_token\"],\"response_types\":[\"code\"],\"scope\":\"read write\",\"token_endpoint_auth_method\":\"none\",\"client_name\":\"smoke P\"}"
P_ID="$(json_get "$LAST_BODY" client_id)"
step "Register with redirect_uris only (server defaults)" -- -X POST "$REGISTER" -H 'Content-Type: application/json' \
  --data "{\"redirect_uris\":[\"$REDIRECT\"]}"
step "Register with a scope outside scopes_supported" -- -X POST "$REGISTER" -H 'Content-Type: application/json' \
  --data "{\"redirect_uris\":[\"$REDIRECT\"],\"scope\":\"read admin\"}"

# ---- Authorization code, exchange, resource ----
mapfile -t P1 < <(basic_flow_params "$A_ID")
authorize "A: authorization request (S256, state, scope read write)" "${P1[@]}"
CODE1="$CODE"
token_a "A: code exchange with a wrong code_verifier" --data-urlencode grant_type=authorization_code \
  --data-urlencode "code=$CODE1" --data-urlencode "redirect_uri=$REDIRECT" --data-urlencode "code_verifier=wrong-${VERIFIER}"
token_a "A: code exchange (after the failed attempt)" --data-urlencode grant_type=authorization_code \
  --data-urlencode "code=$CODE1" --data-urlencode "redirect_uri=$REDIRECT" --data-urlencode "code_verifier=$VERIFIER"
AT1="$(json_get "$LAST_BODY" access_token)"; RT1="$(json_get "$LAST_BODY" refresh_token)"
probe_resource "Resource with A's access token" "$AT1"
introspect_rs "Introspect A's access token as the resource server (HTTP Basic)" "$AT1"
step "Introspect A's access token without any client authentication" -- -X POST "$INTROSPECT" --data-urlencode "token=$AT1"
step "Introspect A's access token with client_id=$RS_ID but no secret" -- -X POST "$INTROSPECT" --data-urlencode "client_id=$RS_ID" --data-urlencode "token=$AT1"
step "Introspect A's access token with a wrong resource-server secret" -- -X POST "$INTROSPECT" -u "$RS_ID:wrong-secret" --data-urlencode "token=$AT1"
step "Introspect A's access token as client B (foreign token)" -- -X POST "$INTROSPECT" -u "$B_ID:$B_SECRET" --data-urlencode "token=$AT1"
step "Introspect A's access token as public client P (client_id only)" -- -X POST "$INTROSPECT" --data-urlencode "client_id=$P_ID" --data-urlencode "token=$AT1"
step "Introspect A's access token as A itself (client_secret_post)" -- -X POST "$INTROSPECT" --data-urlencode "client_id=$A_ID" --data-urlencode "client_secret=$A_SECRET" --data-urlencode "token=$AT1"
introspect_rs "Introspect A's refresh token as the resource server" "$RT1"

# ---- Refresh with rotation ----
token_b "B: refresh with A's refresh token (foreign client)" --data-urlencode grant_type=refresh_token --data-urlencode "refresh_token=$RT1"
token_a "A: refresh" --data-urlencode grant_type=refresh_token --data-urlencode "refresh_token=$RT1"
AT2="$(json_get "$LAST_BODY" access_token)"; RT2="$(json_get "$LAST_BODY" refresh_token)"
introspect_rs "Introspect the pre-refresh access token (right after the refresh)" "$AT1"
probe_resource "Resource with the pre-refresh access token" "$AT1"
introspect_rs "Introspect the used refresh token (right after the refresh)" "$RT1"
token_a "A: refresh again with the already-used refresh token (rotation)" --data-urlencode grant_type=refresh_token --data-urlencode "refresh_token=$RT1"
introspect_rs "Introspect the new access token (after the reuse attempt)" "$AT2"
introspect_rs "Introspect the new refresh token (after the reuse attempt)" "$RT2"
token_a "A: refresh with the new refresh token (after the reuse attempt)" --data-urlencode grant_type=refresh_token --data-urlencode "refresh_token=$RT2"

# ---- Code replay, redirect_uri omitted at the token endpoint ----
authorize "A: second authorization request (session cookie from the first)" "${P1[@]}"
CODE2="$CODE"
token_a "A: code exchange without redirect_uri (it was sent to the authorization endpoint)" --data-urlencode grant_type=authorization_code \
  --data-urlencode "code=$CODE2" --data-urlencode "code_verifier=$VERIFIER"
token_a "A: code exchange with redirect_uri" --data-urlencode grant_type=authorization_code \
  --data-urlencode "code=$CODE2" --data-urlencode "redirect_uri=$REDIRECT" --data-urlencode "code_verifier=$VERIFIER"
AT3="$(json_get "$LAST_BODY" access_token)"; RT3="$(json_get "$LAST_BODY" refresh_token)"
token_a "A: the same code again (replay)" --data-urlencode grant_type=authorization_code \
  --data-urlencode "code=$CODE2" --data-urlencode "redirect_uri=$REDIRECT" --data-urlencode "code_verifier=$VERIFIER"
introspect_rs "Introspect the access token issued for the replayed code" "$AT3"
introspect_rs "Introspect the refresh token issued for the replayed code" "$RT3"

# ---- Revocation ----
authorize "A: third authorization request" "${P1[@]}"
CODE3="$CODE"
token_a "A: code exchange" --data-urlencode grant_type=authorization_code \
  --data-urlencode "code=$CODE3" --data-urlencode "redirect_uri=$REDIRECT" --data-urlencode "code_verifier=$VERIFIER"
AT4="$(json_get "$LAST_BODY" access_token)"; RT4="$(json_get "$LAST_BODY" refresh_token)"
step "Revoke A's access token as client B (authenticated, foreign token)" -- -X POST "$REVOKE" -u "$B_ID:$B_SECRET" --data-urlencode "token=$AT4"
step "Revoke A's refresh token as public client P (client_id only, foreign token)" -- -X POST "$REVOKE" --data-urlencode "client_id=$P_ID" --data-urlencode "token=$RT4"
step "Revoke A's access token with no client authentication at all" -- -X POST "$REVOKE" --data-urlencode "token=$AT4"
step "Revoke A's access token as A with a wrong secret" -- -X POST "$REVOKE" --data-urlencode "client_id=$A_ID" --data-urlencode "client_secret=wrong" --data-urlencode "token=$AT4"
introspect_rs "Introspect A's access token after the refused revocations" "$AT4"
step "Revoke A's access token as A (token_type_hint=access_token)" -- -X POST "$REVOKE" --data-urlencode "client_id=$A_ID" --data-urlencode "client_secret=$A_SECRET" \
  --data-urlencode "token=$AT4" --data-urlencode token_type_hint=access_token
introspect_rs "Introspect the revoked access token" "$AT4"
probe_resource "Resource with the revoked access token" "$AT4"
introspect_rs "Introspect the refresh token of the same grant" "$RT4"
token_a "A: refresh with the refresh token of the revoked access token" --data-urlencode grant_type=refresh_token --data-urlencode "refresh_token=$RT4"
AT5="$(json_get "$LAST_BODY" access_token)"; RT5="$(json_get "$LAST_BODY" refresh_token)"
if [ -n "$RT5" ]; then
  step "Revoke the (new) refresh token as A (no hint)" -- -X POST "$REVOKE" --data-urlencode "client_id=$A_ID" --data-urlencode "client_secret=$A_SECRET" --data-urlencode "token=$RT5"
  introspect_rs "Introspect the access token issued with that refresh token" "$AT5"
  token_a "A: refresh with the revoked refresh token" --data-urlencode grant_type=refresh_token --data-urlencode "refresh_token=$RT5"
fi
step "Revoke an unknown token as A" -- -X POST "$REVOKE" --data-urlencode "client_id=$A_ID" --data-urlencode "client_secret=$A_SECRET" --data-urlencode "token=no-such-token"
introspect_rs "Introspect an unknown token" "no-such-token"

# ---- Foreign code, public client ----
authorize "A: fourth authorization request" "${P1[@]}"
CODE4="$CODE"
token_b "B: exchange A's code (foreign client)" --data-urlencode grant_type=authorization_code \
  --data-urlencode "code=$CODE4" --data-urlencode "redirect_uri=$REDIRECT" --data-urlencode "code_verifier=$VERIFIER"
token_a "A: exchange the code B tried" --data-urlencode grant_type=authorization_code \
  --data-urlencode "code=$CODE4" --data-urlencode "redirect_uri=$REDIRECT" --data-urlencode "code_verifier=$VERIFIER"
mapfile -t PP < <(basic_flow_params "$P_ID")
authorize "P: authorization request (public client)" "${PP[@]}"
step "P: code exchange (client_id, no secret)" -- -X POST "$TOKEN" --data-urlencode grant_type=authorization_code --data-urlencode "client_id=$P_ID" \
  --data-urlencode "code=$CODE" --data-urlencode "redirect_uri=$REDIRECT" --data-urlencode "code_verifier=$VERIFIER"
PRT="$(json_get "$LAST_BODY" refresh_token)"
step "P: refresh (rotation for a public client)" -- -X POST "$TOKEN" --data-urlencode grant_type=refresh_token --data-urlencode "client_id=$P_ID" --data-urlencode "refresh_token=$PRT"

# ---- Authorization edge cases ----
authorize "A: authorization without code_challenge" response_type=code "client_id=$A_ID" "redirect_uri=$REDIRECT" "state=$STATE" "scope=read write"
if [ -n "$CODE" ]; then
  token_a "A: exchange the code issued without PKCE (no code_verifier)" --data-urlencode grant_type=authorization_code \
    --data-urlencode "code=$CODE" --data-urlencode "redirect_uri=$REDIRECT"
fi
authorize "A: authorization with code_challenge_method=plain" response_type=code "client_id=$A_ID" "redirect_uri=$REDIRECT" \
  "code_challenge=$VERIFIER" code_challenge_method=plain "state=$STATE" "scope=read write"
authorize "A: authorization without scope" response_type=code "client_id=$A_ID" "redirect_uri=$REDIRECT" \
  "code_challenge=$CHALLENGE" code_challenge_method=S256 "state=$STATE"
if [ -n "$CODE" ]; then
  token_a "A: exchange the code issued without scope" --data-urlencode grant_type=authorization_code \
    --data-urlencode "code=$CODE" --data-urlencode "redirect_uri=$REDIRECT" --data-urlencode "code_verifier=$VERIFIER"
fi
authorize "A: authorization with a scope outside scopes_supported" response_type=code "client_id=$A_ID" "redirect_uri=$REDIRECT" \
  "code_challenge=$CHALLENGE" code_challenge_method=S256 "state=$STATE" "scope=read admin"
authorize "A: authorization with an unknown client_id" response_type=code client_id=no-such-client "redirect_uri=$REDIRECT" \
  "code_challenge=$CHALLENGE" code_challenge_method=S256 "state=$STATE" "scope=read"
authorize "A: authorization with an unregistered redirect_uri" response_type=code "client_id=$A_ID" "redirect_uri=http://127.0.0.1:9999/other" \
  "code_challenge=$CHALLENGE" code_challenge_method=S256 "state=$STATE" "scope=read"
authorize "A: authorization with the registered loopback redirect URI on another port" response_type=code "client_id=$A_ID" "redirect_uri=http://127.0.0.1:10001/cb" \
  "code_challenge=$CHALLENGE" code_challenge_method=S256 "state=$STATE" "scope=read"
authorize "A: authorization with the second registered redirect URI (localhost)" response_type=code "client_id=$A_ID" "redirect_uri=$REDIRECT2" \
  "code_challenge=$CHALLENGE" code_challenge_method=S256 "state=$STATE" "scope=read"
authorize "A: authorization without redirect_uri (two registered)" response_type=code "client_id=$A_ID" \
  "code_challenge=$CHALLENGE" code_challenge_method=S256 "state=$STATE" "scope=read"
RESERVED_STATE="$(printf 'a&b=c%%d#e\nf +g')"
authorize "A: authorization with reserved characters in state (& = % # newline space +)" response_type=code "client_id=$A_ID" "redirect_uri=$REDIRECT" \
  "code_challenge=$CHALLENGE" code_challenge_method=S256 "state=$RESERVED_STATE" "scope=read"
if [ "$GOT_STATE" = "$RESERVED_STATE" ]; then
  note "state came back verbatim (after URL decoding)."
else
  note "state did NOT come back verbatim: sent $(printf '%q' "$RESERVED_STATE"), got $(printf '%q' "$GOT_STATE")."
fi
step "A: authorization with state repeated (GET, Location not followed)" -- -G "$AUTHZ" --data-urlencode response_type=code \
  --data-urlencode "client_id=$A_ID" --data-urlencode "redirect_uri=$REDIRECT" --data-urlencode "code_challenge=$CHALLENGE" \
  --data-urlencode code_challenge_method=S256 --data-urlencode state=one --data-urlencode state=two --data-urlencode "scope=read"
token_a "A: token request with an unsupported grant_type" --data-urlencode grant_type=password --data-urlencode username=alice --data-urlencode password=wonderland
token_a "A: token request without grant_type" --data-urlencode "code=whatever"

# ---- Client authentication at the token endpoint, scope on refresh, redirect URI policy ----
# (appended last so that the step numbers above stay stable)
authorize "A: fifth authorization request" "${P1[@]}"
CODE5="$CODE"
token_a_wrong() { local t="$1"; shift; step "$t" -- -X POST "$TOKEN" --data-urlencode "client_id=$A_ID" --data-urlencode "client_secret=wrong-secret" "$@"; }
token_a_wrong "A: code exchange with a wrong client_secret" --data-urlencode grant_type=authorization_code \
  --data-urlencode "code=$CODE5" --data-urlencode "redirect_uri=$REDIRECT" --data-urlencode "code_verifier=$VERIFIER"
step "A: code exchange with HTTP Basic although A registered client_secret_post" -- -X POST "$TOKEN" -u "$A_ID:$A_SECRET" \
  --data-urlencode grant_type=authorization_code --data-urlencode "code=$CODE5" --data-urlencode "redirect_uri=$REDIRECT" --data-urlencode "code_verifier=$VERIFIER"
step "A: code exchange with client_id only (no secret)" -- -X POST "$TOKEN" --data-urlencode "client_id=$A_ID" \
  --data-urlencode grant_type=authorization_code --data-urlencode "code=$CODE5" --data-urlencode "redirect_uri=$REDIRECT" --data-urlencode "code_verifier=$VERIFIER"
token_a "A: code exchange with the right credentials (after the three failures)" --data-urlencode grant_type=authorization_code \
  --data-urlencode "code=$CODE5" --data-urlencode "redirect_uri=$REDIRECT" --data-urlencode "code_verifier=$VERIFIER"
authorize "A: sixth authorization request" "${P1[@]}"
token_a "A: code exchange" --data-urlencode grant_type=authorization_code \
  --data-urlencode "code=$CODE" --data-urlencode "redirect_uri=$REDIRECT" --data-urlencode "code_verifier=$VERIFIER"
RT6="$(json_get "$LAST_BODY" refresh_token)"
token_a "A: refresh asking for a narrower scope (read)" --data-urlencode grant_type=refresh_token --data-urlencode "refresh_token=$RT6" --data-urlencode "scope=read"
RT7="$(json_get "$LAST_BODY" refresh_token)"
token_a "A: refresh asking for more than was granted (read write admin)" --data-urlencode grant_type=refresh_token --data-urlencode "refresh_token=${RT7:-$RT6}" --data-urlencode "scope=read write admin"
mapfile -t PPX < <(basic_flow_params "$P_ID")
authorize "P: authorization request (public client, again)" "${PPX[@]}"
step "P: code exchange with an invented client_secret" -- -X POST "$TOKEN" --data-urlencode grant_type=authorization_code --data-urlencode "client_id=$P_ID" \
  --data-urlencode "client_secret=made-up" --data-urlencode "code=$CODE" --data-urlencode "redirect_uri=$REDIRECT" --data-urlencode "code_verifier=$VERIFIER"
step "P: code exchange without client_id" -- -X POST "$TOKEN" --data-urlencode grant_type=authorization_code \
  --data-urlencode "code=$CODE" --data-urlencode "redirect_uri=$REDIRECT" --data-urlencode "code_verifier=$VERIFIER"
step "Register with a non-loopback http redirect URI" -- -X POST "$REGISTER" -H 'Content-Type: application/json' \
  --data '{"redirect_uris":["http://client.example/cb"],"token_endpoint_auth_method":"none"}'
step "Register a native client (application_type native) with a loopback redirect URI" -- -X POST "$REGISTER" -H 'Content-Type: application/json' \
  --data "{\"redirect_uris\":[\"$REDIRECT\"],\"application_type\":\"native\",\"token_endpoint_auth_method\":\"none\",\"grant_types\":[\"authorization_code\",\"refresh_token\"],\"scope\":\"read write\"}"
N_ID="$(json_get "$LAST_BODY" client_id)"
authorize "N: authorization with the registered loopback redirect URI on another port (native client)" response_type=code "client_id=$N_ID" \
  "redirect_uri=http://127.0.0.1:10001/cb" "code_challenge=$CHALLENGE" code_challenge_method=S256 "state=$STATE" "scope=read"
authorize "N: authorization with localhost instead of the registered 127.0.0.1 (native client)" response_type=code "client_id=$N_ID" \
  "redirect_uri=http://localhost:9999/cb" "code_challenge=$CHALLENGE" code_challenge_method=S256 "state=$STATE" "scope=read"
