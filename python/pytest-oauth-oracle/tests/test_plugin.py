"""The fixtures, the marker and the control-route client."""

from __future__ import annotations

import json
import time

import pytest

from flow import login, mcp_status, refresh, register
from pytest_oauth_oracle import OracleError, OracleServer, ReplayMismatch, replay_file

DEFAULT_START_MS = 1_800_000_000_000


def test_server_starts_with_a_manual_clock(oauth_server: OracleServer) -> None:
    assert oauth_server.base_url.startswith("http://127.0.0.1:")
    assert oauth_server.process.poll() is None
    # The server logs where it listens on stderr just after printing its URL on stdout.
    deadline = time.monotonic() + 5
    while "listening on" not in oauth_server.stderr() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert f"listening on {oauth_server.base_url[len('http://'):]}" in oauth_server.stderr()
    clock = oauth_server.clock()
    assert (clock.mode, clock.at) == ("manual", DEFAULT_START_MS)
    meta = oauth_server.request("GET", "/.well-known/oauth-authorization-server").json()
    assert meta["issuer"] == oauth_server.base_url + "/"  # FastMCP's trailing slash


def test_clock_moves_forward_only(oauth_server: OracleServer) -> None:
    assert oauth_server.advance(1.5) == DEFAULT_START_MS + 1500
    assert oauth_server.set_time(DEFAULT_START_MS + 60_000) == DEFAULT_START_MS + 60_000
    assert oauth_server.now() == DEFAULT_START_MS + 60_000
    with pytest.raises(OracleError, match="400"):
        oauth_server.set_time(DEFAULT_START_MS)
    with pytest.raises(ValueError):
        oauth_server.advance(-1)
    assert oauth_server.now() == DEFAULT_START_MS + 60_000
    assert oauth_server.steps() == []  # control routes are not steps


@pytest.mark.oauth_oracle(
    profile="oauth21", seed=7, code_ttl=30, access_ttl=60, refresh_ttl=600, scopes=["read", "admin"],
    start_at_ms=1_700_000_000_000,
)
def test_marker_sets_the_server_options(oauth_server: OracleServer) -> None:
    header = oauth_server.header()
    # Trace format version 2: the header carries the whole profile, every knob.
    assert header["version"] == 2
    assert header["profile"]["name"] == "oauth21"
    assert header["profile"]["invalid_grant_status"] == 400
    assert header["config"]["lifetimes"] == {"code": 30, "access": 60, "refresh": 600}
    assert header["config"]["valid_scopes"] == ["read", "admin"]
    assert oauth_server.now() == 1_700_000_000_000
    client = register(oauth_server, scope="admin")
    tokens = login(oauth_server, client["client_id"], scope="admin")
    assert tokens["expires_in"] == 60
    assert tokens["scope"] == "admin"


@pytest.mark.parametrize(
    "profile, refresh_status",
    [("fastmcp", 401), ("oauth21", 200)],
)
def test_refresh_after_the_access_token_expired(
    oauth_server_factory, profile: str, refresh_status: int
) -> None:
    """FastMCP's D-1: presenting an expired access token deletes its refresh token, so the
    usual "401, then refresh" of an MCP client fails there (invalid_grant, as a 401); the strict
    profile refreshes."""
    server = oauth_server_factory(profile=profile, access_ttl=60)
    client = register(server)
    tokens = login(server, client["client_id"])
    assert mcp_status(server, tokens["access_token"]) == 200
    server.advance(61)
    assert mcp_status(server, tokens["access_token"]) == 401
    r = refresh(server, client["client_id"], tokens["refresh_token"])
    assert r.status == refresh_status, r.text
    if refresh_status == 200:
        assert mcp_status(server, r.json()["access_token"]) == 200
    else:
        assert r.json()["error"] == "invalid_grant"
    assert server.replay().returncode == 0


def test_same_seed_same_session(oauth_server_factory) -> None:
    """Same seed, same requests: the same answers, byte for byte, but for the port each server
    listens on (the issuer)."""
    outputs = []
    for _ in range(2):
        server = oauth_server_factory(seed=42)
        client = register(server)
        tokens = login(server, client["client_id"])
        server.advance(3601)
        assert mcp_status(server, tokens["access_token"]) == 401
        trace = server.trace().replace(server.base_url, "<base>")
        outputs.append([json.loads(line)["output"] for line in trace.splitlines()[1:]])
    assert outputs[0] == outputs[1]
    assert [o["status"] for o in outputs[0]] == [201, 302, 200, 401]


def test_replay_reports_a_mismatch(oauth_server: OracleServer, tmp_path) -> None:
    register(oauth_server)
    result = oauth_server.replay(tmp_path / "ok.jsonl")
    assert (result.returncode, result.trace_path) == (0, tmp_path / "ok.jsonl")

    # An edited trace no longer matches the model: replay exits 1 and ReplayMismatch says why.
    header, step_line = result.trace_path.read_text().splitlines()
    step = json.loads(step_line)
    step["output"]["status"] = 200
    edited = tmp_path / "edited.jsonl"
    edited.write_text(header + "\n" + json.dumps(step) + "\n")
    with pytest.raises(ReplayMismatch) as caught:
        replay_file(oauth_server.binary, edited)
    assert caught.value.result.returncode == 1
    assert "edited.jsonl exited 1" in str(caught.value)
    assert replay_file(oauth_server.binary, edited, check=False).returncode == 1


def test_a_server_that_cannot_start_is_an_error_with_its_stderr(oauth_server_factory) -> None:
    with pytest.raises(OracleError, match=r"did not start \(.*exit code 2\): .*no-such-profile"):
        oauth_server_factory(profile="no-such-profile")
    with pytest.raises(ValueError, match="--base-url"):
        oauth_server_factory(extra_args=["--base-url=http://localhost:1"])


def test_a_server_that_prints_nothing_is_stopped_after_the_timeout(tmp_path) -> None:
    silent = tmp_path / "silent"
    silent.write_text("#!/bin/sh\nexec sleep 60\n")
    silent.chmod(0o755)
    with pytest.raises(OracleError, match="no base URL on stdout within 0.5 s"):
        OracleServer.start(str(silent), timeout=0.5)
