"""The README's example (section "Test your MCP client (Python)"), verbatim: test_readme.py checks it."""

from urllib.parse import parse_qs, urlsplit

from pytest_oauth_oracle import pkce_pair

REDIRECT = "http://127.0.0.1:3000/callback"
INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}}


def test_access_token_expires(oauth_server):
    verifier, challenge = pkce_pair("a-fixed-verifier-so-every-run-sends-the-same-bytes")
    client = oauth_server.request("POST", "/register", json={
        "redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none"}).json()
    r = oauth_server.request("GET", "/authorize", params={
        "response_type": "code", "client_id": client["client_id"], "redirect_uri": REDIRECT,
        "code_challenge": challenge, "code_challenge_method": "S256", "state": "xyz"})
    assert r.status == 302  # approved at once: the code is in the Location
    code = parse_qs(urlsplit(r.headers["Location"]).query)["code"][0]
    tokens = oauth_server.request("POST", "/token", form={
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
        "client_id": client["client_id"], "code_verifier": verifier}).json()
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert oauth_server.request("POST", "/mcp", json=INITIALIZE, headers=bearer).status == 200

    oauth_server.advance(tokens["expires_in"] + 1)  # the manual clock: no sleeping
    assert oauth_server.request("POST", "/mcp", json=INITIALIZE, headers=bearer).status == 401

    kinds = [step["event"]["kind"] for step in oauth_server.steps()]
    assert kinds == ["register", "authorize", "token", "resource", "resource"]
    assert oauth_server.replay().returncode == 0  # the session replays through the model
