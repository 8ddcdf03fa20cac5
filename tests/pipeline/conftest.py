"""Fixtures of the pipeline tests."""

from pg_server import pg_url, postgres_server  # noqa: F401 - the fixtures
