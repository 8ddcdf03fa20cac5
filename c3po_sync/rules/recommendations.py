"""The audit's recommendations, for the rules' users: defined once in model.recommendations."""

from __future__ import annotations

from c3po_sync.model.recommendations import (
    AUDIT,
    DATA_QUALITY,
    RECOMMENDATIONS,
    Clause,
    Recommendation,
)

__all__ = ["AUDIT", "DATA_QUALITY", "RECOMMENDATIONS", "Clause", "Recommendation"]
