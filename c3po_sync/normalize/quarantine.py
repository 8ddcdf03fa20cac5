"""The located quarantine: one row per value (or row) that could not be used as it came."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from c3po_sync.normalize.safety import escape_for_report
from c3po_sync.sources.base import SourceBatch

RAW_LIMIT = 200
REASON_LIMIT = 600


def raw_text(v: Any) -> str | None:
    """The raw value as text a report and the state store can hold (escaped, truncated)."""
    if v is None:
        return None
    try:
        s = v if isinstance(v, str) else json.dumps(v, default=str, ensure_ascii=False)
    except (ValueError, TypeError, RecursionError):
        s = repr(v)
    s = escape_for_report(s)
    return s if len(s) <= RAW_LIMIT else s[: RAW_LIMIT - 1] + "…"


@dataclass
class Quarantine:
    """Collects located problems; ``problem`` is the category the data-quality views group by."""

    rows: list[dict[str, Any]] = field(default_factory=list)

    def add(
        self,
        batch: SourceBatch,
        item_id: int,
        column: str,
        raw: Any,
        reason: str,
        problem: str = "invalid",
        field_name: str = "",
    ) -> None:
        self.rows.append(
            {
                "source_site": batch.ref.site,
                "source_list": batch.ref.list_title,
                "source_item_id": item_id,
                "column": column,
                "raw_value": raw_text(raw),
                "reason": escape_for_report(reason)[:REASON_LIMIT],
                "field": field_name or None,
                "problem": problem,
            }
        )
