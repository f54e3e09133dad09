"""FastMCP reference OAuth provider for oauth-oracle differential tests.

Runs FastMCP's real InMemoryOAuthProvider (fastmcp==4.2.3, mcp==2.3.0, see
requirements.txt) on 127.0.0.1 with streamable-http at /mcp.

Configuration (environment):
  PORT            listen port on 127.0.0.1 (default 8765)
  VALID_SCOPES    space-separated scopes accepted at /register (default "read write")
  REQUIRED_SCOPES space-separated scopes required on /mcp (default: none)
  CODE_TTL        authorization code lifetime, integer seconds (default 300)
  ACCESS_TTL      access token lifetime, integer seconds (default 3600)
  REFRESH_TTL     refresh token lifetime, integer seconds (default: never expires)
  BUG             optional deliberately broken variant, one of:
                  code_reuse, revoke_one, no_rotation, no_pkce, foreign_code,
                  access_outlives, foreign_refresh, raw_state, short_code,
                  no_client_auth (see the Buggy* classes below)

Started by start.sh; not meant to be imported.
"""

from __future__ import annotations

import os
import secrets
import sys
import time
from urllib.parse import parse_qs, urlparse

import fastmcp.server.auth.providers.in_memory as in_memory
from fastmcp import FastMCP
from fastmcp.server.auth.providers.in_memory import InMemoryOAuthProvider
from mcp.server.auth.middleware.client_auth import AuthenticationError, ClientAuthenticator
from mcp.server.auth.provider import AccessToken, AuthorizationCode, RefreshToken
from mcp.server.auth.settings import ClientRegistrationOptions, RevocationOptions

PORT = int(os.environ.get("PORT") or "8765")
VALID_SCOPES = (os.environ.get("VALID_SCOPES") or "read write").split()
REQUIRED_SCOPES = (os.environ.get("REQUIRED_SCOPES") or "").split()
BUG = (os.environ.get("BUG") or "").strip()

# --- TTLs -------------------------------------------------------------------
# in_memory.py reads these module globals at call time (authorize / exchange),
# so assigning them before serving changes the lifetimes of everything issued.
_TTL_ENV = {
    "CODE_TTL": "DEFAULT_AUTH_CODE_EXPIRY_SECONDS",
    "ACCESS_TTL": "DEFAULT_ACCESS_TOKEN_EXPIRY_SECONDS",
    "REFRESH_TTL": "DEFAULT_REFRESH_TOKEN_EXPIRY_SECONDS",
}
for _env, _const in _TTL_ENV.items():
    _val = os.environ.get(_env)
    if _val:
        setattr(in_memory, _const, int(_val))


# --- Deliberately broken variants (BUG=...) ---------------------------------
# Each class overrides exactly one behaviour of the real provider.


class BuggyCodeReuse(InMemoryOAuthProvider):
    """BUG=code_reuse: an authorization code can be exchanged more than once."""

    async def exchange_authorization_code(self, client, authorization_code):
        tokens = await super().exchange_authorization_code(client, authorization_code)
        # BUG: put the consumed code back, so the next /token with it succeeds again.
        self.auth_codes[authorization_code.code] = authorization_code
        return tokens


class BuggyRevokeOne(InMemoryOAuthProvider):
    """BUG=revoke_one: /revoke kills only the presented token, not its pair."""

    async def revoke_token(self, token: AccessToken | RefreshToken) -> None:
        # BUG: the real provider also revokes the associated access/refresh
        # token (_revoke_internal follows the pair maps). Here only the
        # presented token is dropped.
        if isinstance(token, RefreshToken):
            self.refresh_tokens.pop(token.token, None)
        else:
            self.access_tokens.pop(token.token, None)


class BuggyNoRotation(InMemoryOAuthProvider):
    """BUG=no_rotation: a used refresh token keeps working after a refresh."""

    async def exchange_refresh_token(self, client, refresh_token, scopes):
        tokens = await super().exchange_refresh_token(client, refresh_token, scopes)
        # BUG: the real provider revokes the old refresh token (and its access
        # token) on use. Re-insert the old refresh token so it stays valid.
        # (A new refresh token is still issued; the old access token is still
        # revoked, as in the real provider.)
        self.refresh_tokens[refresh_token.token] = refresh_token
        return tokens


class _AlwaysEqual(str):
    """A str that compares equal to any other value."""

    def __eq__(self, other):  # noqa: D105
        return True

    def __ne__(self, other):  # noqa: D105
        return False

    __hash__ = str.__hash__


class BuggyNoPkce(InMemoryOAuthProvider):
    """BUG=no_pkce: any code_verifier is accepted at /token."""

    async def load_authorization_code(self, client, authorization_code):
        code = await super().load_authorization_code(client, authorization_code)
        if code is None:
            return None
        # BUG: the SDK TokenHandler checks
        #   `if hashed_code_verifier != auth_code.code_challenge: invalid_grant`.
        # Hand it a copy whose code_challenge compares equal to anything
        # (model_copy does not re-validate, so the str subclass survives).
        return code.model_copy(update={"code_challenge": _AlwaysEqual(code.code_challenge)})


class BuggyForeignCode(InMemoryOAuthProvider):
    """BUG=foreign_code: a code issued to client A is accepted from client B."""

    async def load_authorization_code(self, client, authorization_code):
        code = self.auth_codes.get(authorization_code)
        if code is None or code.expires_at < time.time():
            return await super().load_authorization_code(client, authorization_code)
        # BUG: the real provider returns None when code.client_id != client.client_id
        # (and the SDK TokenHandler re-checks the same). Relabel the code as the
        # presenting client's so both checks pass; tokens go to the presenter.
        return code.model_copy(update={"client_id": client.client_id})


class BuggyAccessOutlives(InMemoryOAuthProvider):
    """BUG=access_outlives: access tokens are accepted after they expire."""

    async def load_access_token(self, token: str) -> AccessToken | None:
        token_obj = self.access_tokens.get(token)
        if token_obj is None:
            return None
        # BUG: the real provider drops the token once expires_at < now, and the
        # SDK BearerAuthBackend re-checks expires_at. Skip the first check and
        # hide the expiry from the second. (/token still reports expires_in.)
        return token_obj.model_copy(update={"expires_at": None})


class BuggyForeignRefresh(InMemoryOAuthProvider):
    """BUG=foreign_refresh: a refresh token issued to client A is accepted from client B."""

    async def load_refresh_token(self, client, refresh_token):
        token = self.refresh_tokens.get(refresh_token)
        if token is None:
            return await super().load_refresh_token(client, refresh_token)
        # BUG: the real provider returns None when token.client_id != client.client_id
        # (and the SDK TokenHandler re-checks the same). Relabel the token as the
        # presenting client's so both checks pass (the revocation handler's ownership
        # check too); expiry is still checked below.
        owned = token.model_copy(update={"client_id": client.client_id})
        self.refresh_tokens[refresh_token] = owned
        return await super().load_refresh_token(client, refresh_token)


class BuggyRawState(InMemoryOAuthProvider):
    """BUG=raw_state: the state is pasted into the redirect unencoded (parameter injection)."""

    async def authorize(self, client, params):
        url = await super().authorize(client, params)
        if params.state is None:
            return url
        base, _, query = url.partition("?")
        code = parse_qs(query)["code"][0]
        # BUG: string concatenation instead of urlencode.
        return f"{base}?code={code}&state={params.state}"


class BuggyShortCode(InMemoryOAuthProvider):
    """BUG=short_code: authorization codes carry 64 random bits (16 hex digits)."""

    async def authorize(self, client, params):
        url = await super().authorize(client, params)
        old = parse_qs(urlparse(url).query)["code"][0]
        # BUG: the real provider draws 128 bits (secrets.token_urlsafe(32) with a prefix).
        new = secrets.token_hex(8)
        self.auth_codes[new] = self.auth_codes.pop(old).model_copy(update={"code": new})
        return url.replace(old, new)


async def _client_id_only(self, request):
    form = await request.form()
    client = await self.provider.get_client(str(form.get("client_id") or ""))
    if not client:
        raise AuthenticationError("Invalid client_id")
    # BUG: no secret check, whatever the client's registered method.
    return client


class BuggyNoClientAuth(InMemoryOAuthProvider):
    """BUG=no_client_auth: /token and /revoke ignore client secrets (client_id is enough)."""


BUGS: dict[str, type[InMemoryOAuthProvider]] = {
    "code_reuse": BuggyCodeReuse,
    "revoke_one": BuggyRevokeOne,
    "no_rotation": BuggyNoRotation,
    "no_pkce": BuggyNoPkce,
    "foreign_code": BuggyForeignCode,
    "access_outlives": BuggyAccessOutlives,
    "foreign_refresh": BuggyForeignRefresh,
    "raw_state": BuggyRawState,
    "short_code": BuggyShortCode,
    "no_client_auth": BuggyNoClientAuth,
}

if BUG and BUG not in BUGS:
    sys.exit(f"server.py: unknown BUG={BUG!r}; expected one of {', '.join(BUGS)}")

provider_cls = BUGS.get(BUG, InMemoryOAuthProvider)
if BUG == "no_client_auth":
    ClientAuthenticator.authenticate_request = _client_id_only

provider = provider_cls(
    base_url=f"http://127.0.0.1:{PORT}",
    client_registration_options=ClientRegistrationOptions(enabled=True, valid_scopes=VALID_SCOPES),
    revocation_options=RevocationOptions(enabled=True),
    required_scopes=REQUIRED_SCOPES or None,
)

mcp = FastMCP(name="oauth-oracle-ref", auth=provider)


@mcp.tool
def echo(text: str) -> str:
    """Return the given text unchanged."""
    return text


if __name__ == "__main__":
    print(
        f"oauth-oracle-ref: port={PORT} valid_scopes={VALID_SCOPES} "
        f"required_scopes={REQUIRED_SCOPES} bug={BUG or '-'} "
        f"ttl(code,access,refresh)=({in_memory.DEFAULT_AUTH_CODE_EXPIRY_SECONDS},"
        f"{in_memory.DEFAULT_ACCESS_TOKEN_EXPIRY_SECONDS},"
        f"{in_memory.DEFAULT_REFRESH_TOKEN_EXPIRY_SECONDS})",
        flush=True,
    )
    mcp.run(transport="streamable-http", host="127.0.0.1", port=PORT, show_banner=False)
