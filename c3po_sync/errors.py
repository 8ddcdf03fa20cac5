"""The root of every error the service raises on purpose.

``except C3POError`` catches what the service means to report (and nothing of Python's own
bugs); ``transient`` tells a caller whether the same call may succeed if tried again later
(throttling, an outage, a lock another run holds) or will fail the same way until something
is changed (a bad setting, a refused credential, a missing list).

Each package keeps its own error classes, all derived from this one; a configuration or input
file problem is :class:`c3po_sync.config.errors.ConfigError`, the one located error.
"""

from __future__ import annotations


class C3POError(Exception):
    """An error the service raises on purpose; ``transient`` says whether a retry may help."""

    transient: bool = False
