"""Fixtures of the state-store tests."""

from pg_server import pg_url, postgres_server  # noqa: F401 - the fixtures
