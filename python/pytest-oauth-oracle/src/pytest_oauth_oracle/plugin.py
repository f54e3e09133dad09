"""The pytest plugin (entry point `pytest11`): options, the `oauth_oracle` marker, fixtures.

- `oauth_server`: an `OracleServer` per test (`oauth-oracle serve --port 0 --clock manual`),
  configured by `@pytest.mark.oauth_oracle(profile=..., seed=..., code_ttl=..., access_ttl=...,
  refresh_ttl=..., scopes=..., required_scopes=..., start_at_ms=..., extra_args=[...])`;
- `oauth_server_factory`: starts more servers in one test, `oauth_server_factory(**options)`;
- `oauth_oracle_bin`: the binary (`--oauth-oracle-bin`, ini `oauth_oracle_bin`, else
  `oauth-oracle` on PATH).

When a test fails (setup or call), the trace of each server it started is saved as
`<node id>.jsonl` in `--oauth-oracle-trace-dir` (default: the test's `tmp_path`) before the
server stops, named in the failure report, so `oauth-oracle replay FILE` reproduces the session.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable, Dict, Generator, List, Optional

import pytest

from .server import OracleServer, ServerOptions

_REPORTS = pytest.StashKey[Dict[str, pytest.TestReport]]()
_MARKER = "oauth_oracle"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("oauth-oracle", "oauth-oracle authorization server")
    group.addoption(
        "--oauth-oracle-bin",
        dest="oauth_oracle_bin",
        default=None,
        metavar="PATH",
        help="the oauth-oracle binary (default: ini oauth_oracle_bin, else `oauth-oracle` on PATH)",
    )
    group.addoption(
        "--oauth-oracle-trace-dir",
        dest="oauth_oracle_trace_dir",
        default=None,
        metavar="DIR",
        help="save the session trace of each failing test here, as <node id>.jsonl "
        "(default: the test's tmp_path)",
    )
    parser.addini(
        "oauth_oracle_bin", "the oauth-oracle binary (overridden by --oauth-oracle-bin)", default=""
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{_MARKER}(profile=None, seed=None, code_ttl=None, access_ttl=None, refresh_ttl=None, "
        "scopes=None, required_scopes=None, start_at_ms=None, extra_args=()): options of the "
        "oauth_server fixture's `oauth-oracle serve`",
    )


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    # Keep each phase's report on the item: the fixtures' teardown reads whether setup or call failed.
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    item.stash.setdefault(_REPORTS, {})[report.when] = report


@pytest.fixture(scope="session")
def oauth_oracle_bin(pytestconfig: pytest.Config) -> str:
    """The `oauth-oracle` binary the fixtures run."""
    return (
        pytestconfig.getoption("oauth_oracle_bin")
        or pytestconfig.getini("oauth_oracle_bin")
        or "oauth-oracle"
    )


@pytest.fixture
def oauth_server_factory(
    request: pytest.FixtureRequest, oauth_oracle_bin: str, tmp_path: Path
) -> Generator[Callable[..., OracleServer], None, None]:
    """`start(**options) -> OracleServer` (options: the fields of `ServerOptions`); every server
    started is stopped at teardown, after its trace was saved if the test failed."""
    servers: List[OracleServer] = []

    def start(**options: Any) -> OracleServer:
        server = OracleServer.start(oauth_oracle_bin, ServerOptions(**options))
        servers.append(server)
        return server

    yield start

    try:
        if servers and _failed(request.node):
            _save_traces(request, servers, tmp_path)
    finally:
        for server in servers:
            server.stop()


@pytest.fixture
def oauth_server(
    request: pytest.FixtureRequest, oauth_server_factory: Callable[..., OracleServer]
) -> OracleServer:
    """A fresh `oauth-oracle serve --port 0 --clock manual` for this test (options: the
    `oauth_oracle` marker; the closest marker wins)."""
    marker = request.node.get_closest_marker(_MARKER)
    options: Dict[str, Any] = dict(marker.kwargs) if marker else {}
    return oauth_server_factory(**options)


def _failed(item: pytest.Item) -> bool:
    reports = item.stash.get(_REPORTS, {})
    return any(r.failed for when, r in reports.items() if when in ("setup", "call"))


def _file_stem(nodeid: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid).strip("_.")
    return stem[:200] or "test"


def _save_traces(request: pytest.FixtureRequest, servers: List[OracleServer], tmp_path: Path) -> None:
    item = request.node
    option: Optional[str] = request.config.getoption("oauth_oracle_trace_dir")
    # A relative --oauth-oracle-trace-dir is relative to where pytest was started.
    directory = request.config.invocation_params.dir / option if option else tmp_path
    stem = _file_stem(item.nodeid)
    lines = []
    for i, server in enumerate(servers, start=1):
        path = directory / (f"{stem}.jsonl" if i == 1 else f"{stem}.server{i}.jsonl")
        try:
            server.save_trace(path)
        except Exception as e:  # a server that died has no trace to give: say so, fail nothing more
            lines.append(f"could not save the trace of {server.base_url}: {e}")
            continue
        item.user_properties.append(("oauth_oracle_trace", str(path)))
        lines.append(f"session trace of {server.base_url} saved: {path}")
        lines.append(f"replay it: {server.binary} replay {path}")
    # Shown under the failure in the terminal summary.
    reports = item.stash.get(_REPORTS, {})
    report = reports.get("call") or reports.get("setup")
    if report is not None:
        report.sections.append(("oauth-oracle", "\n".join(lines)))
