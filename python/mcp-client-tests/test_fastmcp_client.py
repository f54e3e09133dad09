"""FastMCP's own client (fastmcp 4.2.3, mcp 2.3.0) against `oauth-oracle serve`.

Each test drives `fastmcp.Client` with FastMCP's headless OAuth helper
(`fastmcp.utilities.tests.HeadlessOAuth`) and asserts what the client did from the session the
server recorded (`oauth_server.steps()`: kinds and statuses, in order), then that the session
replays through the model (`oauth_server.replay()`, exit 0). Where the client does something
surprising, the test asserts what it really does and says so.
"""

from __future__ import annotations

import json

import pytest

from realclient import (
    CALLBACK_PORT,
    ClientClock,
    advance_both,
    connect,
    headless_oauth,
    last_step,
    record,
    token_answers,
)

from pytest_oauth_oracle import OracleServer

#: What one `connect()` sends to `/mcp` once the client holds a valid access token:
#: `server/discover` (mcp 2.3.0 first probes the 2026-07-28 protocol; serve answers every POST to
#: /mcp with its `initialize` result, and the client falls back to the older handshake), then
#: `initialize`, `notifications/initialized` and `ping`.
SESSION = [("resource", 200)] * 4
#: The SDK's discovery after a 401 from `/mcp` (RFC 9728, then RFC 8414 metadata).
DISCOVERY = [
    ("resource", 401),
    ("protected_resource_metadata", 200),
    ("authorization_server_metadata", 200),
]
#: Authorization code grant with PKCE: serve approves at once and redirects with the code.
AUTHORIZATION = [("authorize", 302), ("token:authorization_code", 200)]


def reasons_of_401s(server: OracleServer, since: int) -> list:
    """Why serve refused each `/mcp` request after step `since` (its recorded `reason`)."""
    return [
        s["output"].get("reason")
        for s in server.steps()
        if s["step"] > since and s["event"]["kind"] == "resource" and s["output"]["status"] == 401
    ]


def bearer_of_last_resource(server: OracleServer) -> str:
    steps = [s for s in server.steps() if s["event"]["kind"] == "resource"]
    (value,) = steps[-1]["event"]["authorization"]
    return value


def first_login(server: OracleServer):
    """Connect once (register, authorize, token, initialize); the client's auth and tokens."""
    auth = headless_oauth(server)
    connect(server, auth)
    tokens = auth.context.current_tokens
    assert tokens is not None and tokens.refresh_token is not None and tokens.expires_in
    return auth, tokens


def test_registers_authorizes_and_initializes(oauth_server: OracleServer) -> None:
    auth = headless_oauth(oauth_server)
    result = connect(oauth_server, auth)

    assert result.server_info.name == "oauth-oracle"
    assert record(oauth_server) == [*DISCOVERY, ("register", 201), *AUTHORIZATION, *SESSION]
    steps = oauth_server.steps()
    registration = json.loads(steps[3]["event"]["body"])
    assert registration["redirect_uris"] == [f"http://localhost:{CALLBACK_PORT}/callback"]
    assert registration["token_endpoint_auth_method"] == "none"  # a public client
    authorize = dict(steps[4]["event"]["params"])
    assert authorize["code_challenge_method"] == "S256"
    assert authorize["client_id"] == json.loads(steps[3]["output"]["body"])["client_id"]
    # The access token the server issued is the one the client presents to /mcp.
    issued = json.loads(token_answers(oauth_server)[0]["body"])["access_token"]
    assert bearer_of_last_resource(oauth_server) == f"Bearer {issued}"
    assert oauth_server.replay().returncode == 0


def test_expired_access_token_is_refreshed(
    oauth_server: OracleServer, client_clock: ClientClock
) -> None:
    auth, tokens = first_login(oauth_server)
    mark = last_step(oauth_server)

    # The access token's lifetime passes on both clocks: the client refreshes before it sends.
    advance_both(oauth_server, client_clock, tokens.expires_in + 1)
    connect(oauth_server, auth)

    assert record(oauth_server, mark) == [("token:refresh_token", 200), *SESSION]
    refreshed = json.loads(token_answers(oauth_server)[-1]["body"])["access_token"]
    assert refreshed != tokens.access_token
    assert bearer_of_last_resource(oauth_server) == f"Bearer {refreshed}"
    assert oauth_server.replay().returncode == 0


def test_access_token_expired_by_the_server_alone_reauthorizes(
    oauth_server: OracleServer,
) -> None:
    auth, tokens = first_login(oauth_server)
    mark = last_step(oauth_server)

    # Surprising: the server expires the access token before its `expires_in` is up (the
    # client's clock has not moved). The MCP SDK (mcp 2.3.0, `OAuthClientProvider._auth_flow`)
    # refreshes only when its own clock says the token expired; on a 401 from /mcp it runs the
    # whole authorization flow again (discovery, authorize, code exchange) although it holds a
    # live refresh token: no refresh is tried. Not a protocol violation (RFC 6750 §3.1,
    # invalid_token: "The client MAY request a new access token and retry the protected resource
    # request", by whatever grant), but with a real user it means a new consent in the browser.
    oauth_server.expire(token=tokens.access_token)
    connect(oauth_server, auth)

    assert record(oauth_server, mark) == [*DISCOVERY, *AUTHORIZATION, *SESSION]
    assert reasons_of_401s(oauth_server, mark) == ["bearer_expired"]  # it sent the old token
    assert oauth_server.replay().returncode == 0


def test_revoked_refresh_token_then_expired_access_token_reauthorizes(
    oauth_server: OracleServer, client_clock: ClientClock
) -> None:
    auth, tokens = first_login(oauth_server)
    mark = last_step(oauth_server)

    oauth_server.revoke(token=tokens.refresh_token)
    advance_both(oauth_server, client_clock, tokens.expires_in + 1)
    connect(oauth_server, auth)

    # The refresh is refused; the client drops its tokens, sends /mcp without a token, gets the
    # 401 and authorizes again (no new registration: it keeps its client_id).
    refused = token_answers(oauth_server)[1]
    assert json.loads(refused["body"])["error"] == "invalid_grant"
    # 401, not RFC 6749 §5.2's 400: serve answers as FastMCP does (docs/fastmcp-behaviour.md,
    # D-17); the client treats any non-200 refresh answer alike.
    assert record(oauth_server, mark) == [
        ("token:refresh_token", 401),
        *DISCOVERY,
        *AUTHORIZATION,
        *SESSION,
    ]
    assert reasons_of_401s(oauth_server, mark) == ["bearer_missing"]
    assert oauth_server.replay().returncode == 0


def test_token_endpoint_503_at_code_exchange_is_an_error(oauth_server: OracleServer) -> None:
    oauth_server.fail("token", 503, "temporarily_unavailable")
    auth = headless_oauth(oauth_server)

    # No retry: the first 503 ends the connection attempt with an error naming it.
    with pytest.raises(RuntimeError, match=r"Token exchange failed \(503\)"):
        connect(oauth_server, auth)

    assert record(oauth_server) == [
        *DISCOVERY,
        ("register", 201),
        ("authorize", 302),
        ("token:authorization_code", 503),
    ]
    assert auth.context.current_tokens is None
    assert oauth_server.replay().returncode == 0


def test_token_endpoint_503_at_refresh_drops_the_tokens_and_reauthorizes(
    oauth_server: OracleServer, client_clock: ClientClock
) -> None:
    auth, tokens = first_login(oauth_server)
    mark = last_step(oauth_server)

    oauth_server.fail("token", 503, "temporarily_unavailable")
    advance_both(oauth_server, client_clock, tokens.expires_in + 1)
    connect(oauth_server, auth)

    # Surprising: a 503 (a transient server error) on the refresh is treated like a refused
    # refresh token: `_handle_refresh_response` clears the tokens, the refresh token with them,
    # and the client runs the whole authorization flow again instead of retrying the refresh.
    assert record(oauth_server, mark) == [
        ("token:refresh_token", 503),
        *DISCOVERY,
        *AUTHORIZATION,
        *SESSION,
    ]
    assert auth.context.current_tokens is not None
    assert auth.context.current_tokens.refresh_token != tokens.refresh_token
    assert oauth_server.replay().returncode == 0


def test_denied_consent_is_an_error_and_no_token_is_requested(
    oauth_server: OracleServer,
) -> None:
    oauth_server.deny_consent()
    auth = headless_oauth(oauth_server)

    with pytest.raises(RuntimeError, match="access_denied"):
        connect(oauth_server, auth)

    kinds = record(oauth_server)
    assert kinds == [*DISCOVERY, ("register", 201), ("authorize", 302)]
    location = dict(oauth_server.steps()[-1]["output"]["headers"])["location"]
    assert "error=access_denied" in location
    assert not any(kind.startswith("token") for kind, _ in kinds)
    assert auth.context.current_tokens is None
    assert oauth_server.replay().returncode == 0
