"""pytest-oauth-oracle: test MCP / OAuth 2.1 clients against `oauth-oracle serve`, a
deterministic, replayable model of FastMCP's authorization server, with a manual clock."""

from .pkce import pkce_pair
from .server import (
    Clock,
    OracleError,
    OracleServer,
    ReplayMismatch,
    ReplayResult,
    Response,
    ServerOptions,
    replay_file,
)

__all__ = [
    "Clock",
    "OracleError",
    "OracleServer",
    "ReplayMismatch",
    "ReplayResult",
    "Response",
    "ServerOptions",
    "pkce_pair",
    "replay_file",
]
__version__ = "0.1.0"
