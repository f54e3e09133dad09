"""A client's side of the flow, shared by the tests (plain HTTP through `OracleServer.request`)."""

from __future__ import annotations

from typing import Any, Dict
from urllib.parse import parse_qs, urlsplit

from pytest_oauth_oracle import OracleServer, pkce_pair

REDIRECT = "http://127.0.0.1:3000/callback"
INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}}
VERIFIER = "a-fixed-verifier-so-every-run-sends-the-same-bytes"


def register(server: OracleServer, **extra: Any) -> Dict[str, Any]:
    r = server.request(
        "POST", "/register", json={"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none", **extra}
    )
    assert r.status == 201, r.text
    return r.json()


def login(server: OracleServer, client_id: str, scope: str = "") -> Dict[str, Any]:
    """Authorize (PKCE S256) and exchange the code: the token answer."""
    verifier, challenge = pkce_pair(VERIFIER)
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "state": "s1",
    }
    if scope:
        params["scope"] = scope
    r = server.request("GET", "/authorize", params=params)
    assert r.status == 302, r.text
    query = parse_qs(urlsplit(r.headers["Location"]).query)
    assert query["state"] == ["s1"]
    r = server.request(
        "POST",
        "/token",
        form={
            "grant_type": "authorization_code",
            "code": query["code"][0],
            "redirect_uri": REDIRECT,
            "client_id": client_id,
            "code_verifier": verifier,
        },
    )
    assert r.status == 200, r.text
    return r.json()


def mcp_status(server: OracleServer, access_token: str) -> int:
    r = server.request("POST", "/mcp", json=INITIALIZE, headers={"Authorization": f"Bearer {access_token}"})
    return r.status


def refresh(server: OracleServer, client_id: str, refresh_token: str):
    return server.request(
        "POST",
        "/token",
        form={"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": client_id},
    )
