"""State store: runs, snapshots, findings history and change tokens (SQLAlchemy)."""

from __future__ import annotations

from c3po_sync.state.history import FindingsDelta
from c3po_sync.state.store import (
    OUTCOMES,
    RunNotFoundError,
    StateStore,
    StateStoreError,
)

__all__ = ["OUTCOMES", "FindingsDelta", "RunNotFoundError", "StateStore", "StateStoreError"]
