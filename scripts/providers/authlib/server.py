"""An OAuth 2.1-style authorization server built from Authlib's own classes, for
oauth-oracle live tests (scripts/providers/authlib).

One Flask app, served by werkzeug's threaded server on 127.0.0.1:$PORT (default 8790),
issuer http://127.0.0.1:$PORT. All storage is in memory (dicts behind one lock).

  GET  /.well-known/oauth-authorization-server   RFC 8414 metadata (no OpenID discovery)
  GET  /authorize      authlib AuthorizationCodeGrant + CodeChallenge(required=True);
                       without a session: 302 to /login?next=<the authorize path+query>
  GET  /login          HTML form: POST /login with username, password, hidden next
  POST /login          alice / wonderland: session cookie + 302 to next;
                       wrong credentials: the form again, 200, with an error message
  POST /token          authorization_code and refresh_token (RefreshTokenGrant with
                       INCLUDE_NEW_REFRESH_TOKEN = True; the old credential is revoked)
  POST /register       RFC 7591 ClientRegistrationEndpoint, open (no initial token)
  POST /revoke         RFC 7009 RevocationEndpoint
  POST /introspect     RFC 7662 IntrospectionEndpoint (callers authenticate as a
                       confidential client; oauth-oracle-rs may introspect every token)
  GET  /api/me         protected resource: ResourceProtector + BearerTokenValidator

The model classes below follow Authlib's own SQLAlchemy mixins
(authlib.integrations.sqla_oauth2) field by field, in memory instead of in a database,
except that a wrong token_type_hint does not hide a token (RFC 7009 §2.1), a refresh
token is introspected on its own expiry and revocation, and revocation is keyed on the
kind of token presented (see query_token, RefreshTokenView, Revocation.revoke_token).

Environment: PORT, CODE_TTL / ACCESS_TTL / REFRESH_TTL (integer seconds; defaults
60 / 3600 / 86400); BUG=open_introspection for a deliberately broken variant whose
introspection endpoint answers every caller, authenticated or not, as the resource server. Started by start.sh; `python server.py` works too.
"""

from __future__ import annotations

import html
import os
import secrets
import signal
import sys
import threading
import time
from urllib.parse import quote

# Authlib refuses plain http unless told otherwise; this server only listens on loopback.
os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")

from authlib.common.security import generate_token  # noqa: E402
from authlib.integrations.flask_oauth2 import AuthorizationServer  # noqa: E402
from authlib.integrations.flask_oauth2 import ResourceProtector  # noqa: E402
from authlib.integrations.flask_oauth2 import current_token  # noqa: E402
from authlib.oauth2 import OAuth2Error  # noqa: E402
from authlib.oauth2.rfc6749 import AuthorizationCodeMixin  # noqa: E402
from authlib.oauth2.rfc6749 import ClientMixin  # noqa: E402
from authlib.oauth2.rfc6749 import TokenMixin  # noqa: E402
from authlib.oauth2.rfc6749 import grants  # noqa: E402
from authlib.oauth2.rfc6749.util import list_to_scope  # noqa: E402
from authlib.oauth2.rfc6749.util import scope_to_list  # noqa: E402
from authlib.oauth2.rfc6750 import BearerTokenValidator  # noqa: E402
from authlib.oauth2.rfc7009 import RevocationEndpoint  # noqa: E402
from authlib.oauth2.rfc7591 import ClientRegistrationEndpoint  # noqa: E402
from authlib.oauth2.rfc7636 import CodeChallenge  # noqa: E402
from authlib.oauth2.rfc7662 import IntrospectionEndpoint  # noqa: E402
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata  # noqa: E402
from flask import Flask  # noqa: E402
from flask import jsonify  # noqa: E402
from flask import redirect  # noqa: E402
from flask import request  # noqa: E402
from flask import session  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

HOST = "127.0.0.1"


def int_env(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    if raw == "":
        return default
    if not raw.isdigit() or int(raw) <= 0:
        sys.exit(f"{name} must be a positive integer number of seconds, got {raw!r}")
    return int(raw)


PORT = int_env("PORT", 8790)
CODE_TTL = int_env("CODE_TTL", 60)
ACCESS_TTL = int_env("ACCESS_TTL", 3600)
REFRESH_TTL = int_env("REFRESH_TTL", 86400)
ISSUER = f"http://{HOST}:{PORT}"
SCOPES = ["read", "write"]
USERS = {"alice": "wonderland"}
BUG = (os.environ.get("BUG") or "").strip()
if BUG not in ("", "open_introspection"):
    sys.exit(f"server.py: unknown BUG={BUG!r}; expected open_introspection")
RS_CLIENT_ID = "oauth-oracle-rs"
RS_CLIENT_SECRET = "oauth-oracle-rs-secret"

# Methods each endpoint accepts (a client must still use the one it registered).
TOKEN_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]
INTROSPECTION_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

LOCK = threading.RLock()
CLIENTS: dict[str, Client] = {}
CODES: dict[str, AuthorizationCode] = {}
TOKENS_BY_ACCESS: dict[str, Token] = {}
TOKENS_BY_REFRESH: dict[str, Token] = {}


class User:
    def __init__(self, name: str):
        self.name = name

    def get_user_id(self) -> str:
        return self.name


class Client(ClientMixin):
    """authlib.integrations.sqla_oauth2.OAuth2ClientMixin, in memory."""

    def __init__(self, client_id: str, client_secret: str | None, metadata: dict):
        self.client_id = client_id
        self.client_secret = client_secret or ""
        self.metadata = metadata

    @property
    def redirect_uris(self) -> list[str]:
        return self.metadata.get("redirect_uris", [])

    @property
    def token_endpoint_auth_method(self) -> str:
        return self.metadata.get("token_endpoint_auth_method", "client_secret_basic")

    @property
    def grant_types(self) -> list[str]:
        return self.metadata.get("grant_types", [])

    @property
    def response_types(self) -> list[str]:
        return self.metadata.get("response_types", [])

    @property
    def scope(self) -> str:
        return self.metadata.get("scope", "")

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        if self.redirect_uris:
            return self.redirect_uris[0]
        return None

    def get_allowed_scope(self, scope):
        if not scope:
            return ""
        allowed = set(self.scope.split())
        return list_to_scope([s for s in scope_to_list(scope) if s in allowed])

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret):
        return bool(self.client_secret) and secrets.compare_digest(self.client_secret, client_secret)

    def check_endpoint_auth_method(self, method, endpoint):
        # Every endpoint (token, revocation, introspection) takes the method the
        # client registered (RFC 7009 §2.1 / RFC 7662 §2.1: as at the token endpoint).
        return self.token_endpoint_auth_method == method

    def check_response_type(self, response_type):
        return response_type in self.response_types

    def check_grant_type(self, grant_type):
        return grant_type in self.grant_types


class AuthorizationCode(AuthorizationCodeMixin):
    """authlib.integrations.sqla_oauth2.OAuth2AuthorizationCodeMixin, in memory."""

    def __init__(self, **kw):
        self.code = kw["code"]
        self.client_id = kw["client_id"]
        self.redirect_uri = kw.get("redirect_uri") or ""
        self.response_type = kw.get("response_type") or ""
        self.scope = kw.get("scope") or ""
        self.user_id = kw["user_id"]
        self.code_challenge = kw.get("code_challenge")
        self.code_challenge_method = kw.get("code_challenge_method")
        self.auth_time = int(time.time())

    def is_expired(self):
        return self.auth_time + CODE_TTL < time.time()

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope

    def get_auth_time(self):
        return self.auth_time


class Token(TokenMixin):
    """authlib.integrations.sqla_oauth2.OAuth2TokenMixin, in memory, plus a refresh
    token lifetime (REFRESH_TTL)."""

    def __init__(self, client_id: str, user_id: str, token: dict):
        self.client_id = client_id
        self.user_id = user_id
        self.token_type = token.get("token_type", "Bearer")
        self.access_token = token["access_token"]
        self.refresh_token = token.get("refresh_token")
        self.scope = token.get("scope", "")
        self.issued_at = int(time.time())
        self.expires_in = int(token.get("expires_in", 0))
        self.access_token_revoked_at = 0
        self.refresh_token_revoked_at = 0

    def check_client(self, client):
        return self.client_id == client.get_client_id()

    def get_scope(self):
        return self.scope

    def get_expires_in(self):
        return self.expires_in

    def is_revoked(self):
        return bool(self.access_token_revoked_at or self.refresh_token_revoked_at)

    def is_expired(self):
        if not self.expires_in:
            return False
        return self.issued_at + self.expires_in < time.time()

    def is_refresh_token_active(self):
        return (
            self.refresh_token is not None
            and not self.refresh_token_revoked_at
            and self.issued_at + REFRESH_TTL >= time.time()
        )

    def get_user(self):
        return User(self.user_id)

    def get_client(self):
        return query_client(self.client_id)


def query_client(client_id):
    with LOCK:
        return CLIENTS.get(client_id)


def save_token(token, req):
    item = Token(req.client.get_client_id(), req.user.get_user_id(), token)
    with LOCK:
        TOKENS_BY_ACCESS[item.access_token] = item
        if item.refresh_token:
            TOKENS_BY_REFRESH[item.refresh_token] = item


def query_token(token_string, token_type_hint):
    """authlib.integrations.sqla_oauth2.create_query_token_func, in memory, except that
    a wrong hint does not hide the token (RFC 7009 §2.1: "If the server is unable to
    locate the token using the given hint, it MUST extend its search across all of its
    supported token types"). Returns (record, kind) or (None, None)."""
    order = ["access_token", "refresh_token"]
    if token_type_hint == "refresh_token":
        order.reverse()
    with LOCK:
        for kind in order:
            table = TOKENS_BY_ACCESS if kind == "access_token" else TOKENS_BY_REFRESH
            item = table.get(token_string)
            if item is not None:
                return item, kind
    return None, None


class RefreshTokenView(TokenMixin):
    """The refresh-token half of a Token record, for introspection: active while the
    refresh token itself is (the access token's expiry or revocation does not matter)."""

    def __init__(self, record: Token):
        self.record = record

    def check_client(self, client):
        return self.record.check_client(client)

    def get_scope(self):
        return self.record.get_scope()

    def get_expires_in(self):
        return REFRESH_TTL

    def is_expired(self):
        return self.record.issued_at + REFRESH_TTL < time.time()

    def is_revoked(self):
        return bool(self.record.refresh_token_revoked_at)


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = TOKEN_AUTH_METHODS

    def save_authorization_code(self, code, req):
        item = AuthorizationCode(
            code=code,
            client_id=req.client.client_id,
            redirect_uri=req.payload.redirect_uri,
            response_type=req.payload.response_type,
            scope=req.payload.scope,
            user_id=req.user.get_user_id(),
            code_challenge=req.payload.data.get("code_challenge"),
            code_challenge_method=req.payload.data.get("code_challenge_method"),
        )
        with LOCK:
            CODES[code] = item
        return item

    def query_authorization_code(self, code, client):
        with LOCK:
            item = CODES.get(code)
        if item and item.client_id == client.client_id and not item.is_expired():
            return item
        return None

    def delete_authorization_code(self, authorization_code):
        with LOCK:
            CODES.pop(authorization_code.code, None)

    def authenticate_user(self, authorization_code):
        return User(authorization_code.user_id)


class RefreshTokenGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = TOKEN_AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token):
        with LOCK:
            item = TOKENS_BY_REFRESH.get(refresh_token)
        if item and item.is_refresh_token_active():
            return item
        return None

    def authenticate_user(self, refresh_token):
        return User(refresh_token.user_id)

    def revoke_old_credential(self, refresh_token):
        # Authlib's documented rotation: the whole old credential (its access token
        # and its refresh token) is revoked.
        now = int(time.time())
        with LOCK:
            refresh_token.access_token_revoked_at = now
            refresh_token.refresh_token_revoked_at = now


class S256CodeChallenge(CodeChallenge):
    # OAuth 2.1 / MCP: S256 only (a request naming "plain" is refused).
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]


class Revocation(RevocationEndpoint):
    CLIENT_AUTH_METHODS = TOKEN_AUTH_METHODS

    def query_token(self, token_string, token_type_hint):
        return query_token(token_string, token_type_hint)[0]

    def revoke_token(self, token, req):
        # authlib.integrations.sqla_oauth2.create_revocation_endpoint, in memory, keyed
        # on what was presented rather than on the hint: an access token is revoked
        # alone; a refresh token takes its access token with it (RFC 7009 §2.1).
        now = int(time.time())
        with LOCK:
            token.access_token_revoked_at = now
            if req.form.get("token") == token.refresh_token:
                token.refresh_token_revoked_at = now


class Introspection(IntrospectionEndpoint):
    CLIENT_AUTH_METHODS = INTROSPECTION_AUTH_METHODS

    def query_token(self, token_string, token_type_hint):
        record, kind = query_token(token_string, token_type_hint)
        if record is not None and kind == "refresh_token":
            return RefreshTokenView(record)
        return record

    def check_permission(self, token, client, req):
        # The resource server sees every token; another client only its own.
        return client.client_id == RS_CLIENT_ID or token.check_client(client)

    def introspect_token(self, token):
        record = token.record if isinstance(token, RefreshTokenView) else token
        payload = {
            "active": True,
            "client_id": record.client_id,
            "username": record.user_id,
            "scope": record.get_scope(),
            "sub": record.user_id,
            "aud": record.client_id,
            "iss": ISSUER,
            "exp": record.issued_at + token.get_expires_in(),
            "iat": record.issued_at,
        }
        if token is record:
            payload["token_type"] = record.token_type
        return payload


class Registration(ClientRegistrationEndpoint):
    """Open RFC 7591 registration. Omitted metadata gets the RFC 7591 §2 defaults,
    which the response then shows (RFC 7591 §3.2.1)."""

    def authenticate_token(self, req):
        return "open-registration"  # no initial access token needed

    def get_server_metadata(self):
        return METADATA

    def extract_client_metadata(self, req):
        data = super().extract_client_metadata(req)
        data.setdefault("token_endpoint_auth_method", "client_secret_basic")
        data.setdefault("grant_types", ["authorization_code"])
        data.setdefault("response_types", ["code"])
        return data

    def generate_client_info(self, req):
        info = super().generate_client_info(req)
        if (req.payload.data or {}).get("token_endpoint_auth_method") == "none":
            # A public client gets no secret.
            info.pop("client_secret", None)
            info.pop("client_secret_expires_at", None)
        return info

    def save_client(self, client_info, client_metadata, req):
        client = Client(client_info["client_id"], client_info.get("client_secret"), client_metadata)
        with LOCK:
            CLIENTS[client.client_id] = client
        return client


class BearerValidator(BearerTokenValidator):
    def authenticate_token(self, token_string):
        with LOCK:
            return TOKENS_BY_ACCESS.get(token_string)


METADATA = AuthorizationServerMetadata(
    {
        "issuer": ISSUER,
        "authorization_endpoint": f"{ISSUER}/authorize",
        "token_endpoint": f"{ISSUER}/token",
        "registration_endpoint": f"{ISSUER}/register",
        "revocation_endpoint": f"{ISSUER}/revoke",
        "introspection_endpoint": f"{ISSUER}/introspect",
        "scopes_supported": SCOPES,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_methods_supported": TOKEN_AUTH_METHODS,
        "revocation_endpoint_auth_methods_supported": TOKEN_AUTH_METHODS,
        "introspection_endpoint_auth_methods_supported": INTROSPECTION_AUTH_METHODS,
        "code_challenge_methods_supported": S256CodeChallenge.SUPPORTED_CODE_CHALLENGE_METHOD,
    }
)
METADATA.validate()

app = Flask(__name__)
app.config.update(
    SECRET_KEY=secrets.token_hex(32),
    SESSION_COOKIE_SAMESITE="Lax",
    OAUTH2_SCOPES_SUPPORTED=SCOPES,
    OAUTH2_REFRESH_TOKEN_GENERATOR=True,
    OAUTH2_TOKEN_EXPIRES_IN={"authorization_code": ACCESS_TTL, "refresh_token": ACCESS_TTL},
)

server = AuthorizationServer(app, query_client=query_client, save_token=save_token)
server.register_grant(AuthorizationCodeGrant, [S256CodeChallenge(required=True)])
server.register_grant(RefreshTokenGrant)
server.register_endpoint(Registration)
server.register_endpoint(Revocation)
class OpenIntrospection(Introspection):
    """BUG=open_introspection: the endpoint answers callers that do not authenticate."""

    def authenticate_endpoint_client(self, request):
        # BUG: RFC 7662 §2.1 says the endpoint "MUST also require some form of authorization";
        # every caller, with credentials or without, is taken for the resource server.
        with LOCK:
            client = CLIENTS[RS_CLIENT_ID]
        request.client = client
        return client


server.register_endpoint(OpenIntrospection if BUG == "open_introspection" else Introspection)

require_oauth = ResourceProtector()
require_oauth.register_token_validator(BearerValidator())

with LOCK:
    CLIENTS[RS_CLIENT_ID] = Client(
        RS_CLIENT_ID,
        RS_CLIENT_SECRET,
        {
            "client_name": "oauth-oracle resource server",
            "token_endpoint_auth_method": "client_secret_basic",
            "grant_types": [],
            "response_types": [],
            "redirect_uris": [],
        },
    )

LOGIN_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Sign in</title></head>
<body>
<h1>Sign in</h1>
{error}
<form method="post" action="/login">
  <input type="hidden" name="next" value="{next}">
  <label>Username <input type="text" name="username" autocomplete="username"></label>
  <label>Password <input type="password" name="password" autocomplete="current-password"></label>
  <button type="submit">Sign in</button>
</form>
</body></html>
"""


def safe_next(value: str | None) -> str:
    # Only local paths: no open redirect through the login form.
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


def login_page(next_url: str, error: str = ""):
    body = LOGIN_PAGE.format(
        next=html.escape(next_url, quote=True),
        error=f'<p class="error">{html.escape(error)}</p>' if error else "",
    )
    return body, 200, {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}


@app.get("/.well-known/oauth-authorization-server")
def metadata():
    return jsonify(dict(METADATA))


@app.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        return login_page(safe_next(request.args.get("next")))
    next_url = safe_next(request.form.get("next"))
    username = request.form.get("username", "")
    password = request.form.get("password", "")
    expected = USERS.get(username)
    if expected is None or not secrets.compare_digest(expected, password):
        return login_page(next_url, "Wrong username or password.")
    session.clear()
    session["user"] = username
    return redirect(next_url, code=302)


@app.route("/authorize", methods=["GET", "POST"])
def authorize():
    user = session.get("user")
    if user not in USERS:
        # The raw query string (werkzeug's full_path would re-quote it), so that the
        # request comes back byte for byte after login.
        raw_query = request.query_string.decode("latin-1")
        next_url = request.path + ("?" + raw_query if raw_query else "")
        return redirect("/login?next=" + quote(next_url, safe=""), code=302)
    # Authlib's documented flow: validate the request for the consent page (which refuses
    # repeated parameters), then grant. Auto-approve: no consent page is shown.
    try:
        grant = server.get_consent_grant(end_user=User(user))
    except OAuth2Error as error:
        return server.handle_error_response(server.create_oauth2_request(None), error)
    return server.create_authorization_response(grant_user=User(user), grant=grant)


@app.post("/token")
def issue_token():
    return server.create_token_response()


@app.post("/register")
def register():
    return server.create_endpoint_response(Registration.ENDPOINT_NAME)


@app.post("/revoke")
def revoke():
    return server.create_endpoint_response(Revocation.ENDPOINT_NAME)


@app.post("/introspect")
def introspect():
    return server.create_endpoint_response(Introspection.ENDPOINT_NAME)


@app.get("/api/me")
@require_oauth()
def api_me():
    token = current_token
    return jsonify(sub=token.user_id, client_id=token.client_id, scope=token.get_scope())


def main():
    httpd = make_server(HOST, PORT, app, threaded=True)

    def stop(_signum, _frame):
        threading.Thread(target=httpd.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(
        f"authlib AS listening on {ISSUER} (code {CODE_TTL}s, access {ACCESS_TTL}s, refresh {REFRESH_TTL}s)",
        flush=True,
    )
    httpd.serve_forever()


if __name__ == "__main__":
    main()
