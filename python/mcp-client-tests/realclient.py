"""FastMCP's own client (`fastmcp.Client` + `HeadlessOAuth`) against `oauth-oracle serve`.

Shared pieces of the suite: the client under test, a clock for the client, and the session as
the server recorded it.

The client and the server keep time apart. The server's clock is manual (`oauth_server.advance`);
the MCP SDK under `fastmcp.Client` decides whether its access token is still fresh with
`time.time()` (`mcp.client.auth.oauth2.OAuthContext.is_token_valid`, fed by
`mcp.shared.auth_utils.calculate_token_expiry`, and FastMCP's token storage in
`fastmcp.client.auth.oauth`). `ClientClock` moves that client clock by the same
amount as the server's, so that "the access token expired" is true on both sides without sleeping.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any, Dict, List, Tuple

import fastmcp.client.auth.oauth
import mcp.client.auth.oauth2
import mcp.shared.auth_utils
import pytest
from fastmcp import Client
from fastmcp.utilities.tests import HeadlessOAuth
from key_value.aio.stores.memory import MemoryStore
from mcp.types import InitializeResult

from pytest_oauth_oracle import OracleServer

#: The redirect URI's port (one of this suite's ports; nothing listens there: `HeadlessOAuth`
#: reads the code from the authorization endpoint's 302 and never follows it).
CALLBACK_PORT = 28820
#: Bound on one MCP request of the client (its OAuth round trips included), in seconds.
CLIENT_TIMEOUT_S = 20.0
#: Bound on one whole connection (`initialize` with any OAuth flow it needs), in seconds.
CONNECT_TIMEOUT_S = 60.0


@dataclass
class ClientClock:
    """`time.time()` as the MCP SDK's OAuth code sees it: the real time plus `offset` seconds."""

    offset: float = 0.0

    def time(self) -> float:
        return time.time() + self.offset


@pytest.fixture
def client_clock(monkeypatch: pytest.MonkeyPatch) -> ClientClock:
    """The clock of the MCP SDK's token bookkeeping (expiry computed and checked), movable."""
    clock = ClientClock()
    # Each module does `import time` and calls `time.time()`: replace the name in each. FastMCP's
    # token storage keeps its own absolute expiry, which the SDK reloads after a failed refresh.
    for module in (mcp.client.auth.oauth2, mcp.shared.auth_utils, fastmcp.client.auth.oauth):
        monkeypatch.setattr(module, "time", clock)
    return clock


def advance_both(server: OracleServer, clock: ClientClock, seconds: int) -> None:
    """Move the server's manual clock and the client's clock forward by `seconds`."""
    server.advance(seconds)
    clock.offset += seconds


def headless_oauth(server: OracleServer) -> HeadlessOAuth:
    """FastMCP's headless OAuth provider for the server's `/mcp`: it registers (DCR), sends the
    authorization request itself and takes the code from the 302's Location (the server approves
    at once), instead of opening a browser and waiting on a callback server."""
    return HeadlessOAuth(
        server.url("/mcp"), callback_port=CALLBACK_PORT, token_storage=MemoryStore()
    )


def connect(server: OracleServer, auth: HeadlessOAuth) -> InitializeResult:
    """Open a `fastmcp.Client` session on `/mcp` with `auth` (MCP `initialize`, with whatever
    OAuth it takes), ping, close it, and return the server's `initialize` result.

    The ping makes the recorded session deterministic: the client sends
    `notifications/initialized` after `initialize` returns and its transport sends messages one
    after the other, so the ping's answer means the notification reached the server. Without it,
    closing the client races that notification's POST.
    """

    async def run() -> InitializeResult:
        client = Client(server.url("/mcp"), auth=auth, timeout=CLIENT_TIMEOUT_S)
        async with client:
            result = client.initialize_result
            assert await client.ping()
        assert result is not None
        return result

    return asyncio.run(asyncio.wait_for(run(), CONNECT_TIMEOUT_S))


def record(server: OracleServer, since: int = 0) -> List[Tuple[str, int]]:
    """The session's steps after step `since`, as `(kind, status)`: a token step's kind names its
    grant (`token:authorization_code`, `token:refresh_token`); control steps are left out."""
    out: List[Tuple[str, int]] = []
    for step in server.steps():
        if step["step"] <= since:
            continue
        event: Dict[str, Any] = step["event"]
        kind = event["kind"]
        if kind == "control":
            continue
        if kind == "token":
            kind = "token:" + dict(event.get("form", [])).get("grant_type", "?")
        out.append((kind, int(step["output"]["status"])))
    return out


def last_step(server: OracleServer) -> int:
    """The number of the session's last step (0 before any)."""
    steps = server.steps()
    return int(steps[-1]["step"]) if steps else 0


def token_answers(server: OracleServer) -> List[Dict[str, Any]]:
    """The output of every token step, in order."""
    return [s["output"] for s in server.steps() if s["event"]["kind"] == "token"]
