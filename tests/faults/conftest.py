"""Fixtures of the fault suite."""

from __future__ import annotations

from .helpers import make_env  # noqa: F401 - the fixture
