"""Fixtures of the real-client suite (the helpers are in realclient.py)."""

from realclient import client_clock  # noqa: F401  (a fixture, registered by being imported here)
