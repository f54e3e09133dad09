"""Fixtures of the real-client suite (the helpers are in realclient.py)."""

import pytest

from realclient import client_clock  # noqa: F401  (a fixture, registered by being imported here)


@pytest.fixture(autouse=True)
def no_proxy_for_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """The client's HTTP (httpx) honours proxy variables; serve is on loopback: go straight."""
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "127.0.0.1,localhost")
