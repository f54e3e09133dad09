"""The fault controls of `serve`: each one's effect as a client sees it over HTTP, and that the
session holding it replays through the model (`oauth-oracle replay` exits 0)."""

import time
from urllib.parse import parse_qs, urlsplit

from flow import REDIRECT, VERIFIER, login, mcp_status, refresh, register
from pytest_oauth_oracle import pkce_pair


def authorize(server, client_id):
    _, challenge = pkce_pair(VERIFIER)
    r = server.request("GET", "/authorize", params={
        "response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT,
        "code_challenge": challenge, "code_challenge_method": "S256", "state": "s1"})
    return r, parse_qs(urlsplit(r.headers["Location"]).query)


def test_controls_are_listed(oauth_server):
    routes = oauth_server.controls()
    for route in ("expire", "revoke", "fail", "deny-consent", "adversary"):
        assert f"POST /_oracle/{route}" in routes


def test_expire_one_access_token(oauth_server):
    client = register(oauth_server)
    tokens = login(oauth_server, client["client_id"])
    done = oauth_server.expire(token=tokens["access_token"])
    assert done["expired"]["access_tokens"] == 1
    assert mcp_status(oauth_server, tokens["access_token"]) == 401
    assert oauth_server.steps()[-2]["event"]["kind"] == "control"
    assert oauth_server.replay().returncode == 0


def test_expire_and_revoke_a_clients_tokens(oauth_server):
    a, b = register(oauth_server), register(oauth_server)
    ta, tb = login(oauth_server, a["client_id"]), login(oauth_server, b["client_id"])
    oauth_server.expire(client_id=a["client_id"])
    assert mcp_status(oauth_server, ta["access_token"]) == 401
    assert mcp_status(oauth_server, tb["access_token"]) == 200
    oauth_server.revoke(client_id=b["client_id"])
    assert mcp_status(oauth_server, tb["access_token"]) == 401
    assert oauth_server.replay().returncode == 0


def test_revoke_a_refresh_token(oauth_server):
    client = register(oauth_server)
    tokens = login(oauth_server, client["client_id"])
    oauth_server.revoke(token=tokens["refresh_token"])
    r = refresh(oauth_server, client["client_id"], tokens["refresh_token"])
    # FastMCP answers invalid_grant with 401 (its token-error-status deviation).
    assert r.status == 401 and r.json()["error"] == "invalid_grant", r.text
    assert oauth_server.replay().returncode == 0


def test_token_endpoint_503_then_recovers(oauth_server):
    client = register(oauth_server)
    tokens = login(oauth_server, client["client_id"])
    oauth_server.fail("token", 503, "temporarily_unavailable", count=1)
    r = refresh(oauth_server, client["client_id"], tokens["refresh_token"])
    assert r.status == 503 and r.json()["error"] == "temporarily_unavailable"
    assert refresh(oauth_server, client["client_id"], tokens["refresh_token"]).status == 200
    assert oauth_server.replay().returncode == 0


def test_denied_consent(oauth_server):
    client = register(oauth_server)
    oauth_server.deny_consent()
    r, query = authorize(oauth_server, client["client_id"])
    assert r.status == 302
    assert query["error"] == ["access_denied"] and query["state"] == ["s1"] and "code" not in query
    _, query = authorize(oauth_server, client["client_id"])
    assert "code" in query
    assert oauth_server.replay().returncode == 0


def test_adversarial_switches(oauth_server):
    client = register(oauth_server)
    oauth_server.adversary("wrong_iss", "duplicate_code", "issuer_mismatch", "no_token_type",
                           "no_new_refresh_token")
    meta = oauth_server.request("GET", "/.well-known/oauth-authorization-server").json()
    assert meta["issuer"] != oauth_server.url()
    _, query = authorize(oauth_server, client["client_id"])
    assert len(query["code"]) == 2 and query["iss"] != [oauth_server.url()]
    oauth_server.adversary()  # all off
    _, query = authorize(oauth_server, client["client_id"])
    assert len(query["code"]) == 1
    assert oauth_server.replay().returncode == 0


def test_a_delayed_answer_arrives_late_and_unchanged(oauth_server):
    client = register(oauth_server)
    tokens = login(oauth_server, client["client_id"])
    oauth_server.fail("token", delay=0.3)
    started = time.monotonic()
    r = refresh(oauth_server, client["client_id"], tokens["refresh_token"])
    assert time.monotonic() - started >= 0.3  # held at least that long (a lower bound only)
    assert r.status == 200
    assert oauth_server.replay().returncode == 0


def test_revoke_a_whole_grant(oauth_server):
    client = register(oauth_server)
    tokens = login(oauth_server, client["client_id"])
    done = oauth_server.revoke(token=tokens["access_token"], grant=True)
    assert done["revoked"]["access_tokens"] == 1 and done["revoked"]["refresh_tokens"] == 1
    assert mcp_status(oauth_server, tokens["access_token"]) == 401
    r = refresh(oauth_server, client["client_id"], tokens["refresh_token"])
    assert r.status == 401 and r.json()["error"] == "invalid_grant"
    assert oauth_server.replay().returncode == 0
