"""The located quarantine: one row per value (or row) that could not be used as it came."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

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


GROUP_KEYS = ["source_site", "source_list", "column"]


def sort_for_fixing(quarantine: pd.DataFrame) -> pd.DataFrame:
    """The quarantine ordered by site, list and column, with ``column_count``: how many problems
    that column has, so a PPM sees a whole column's problems together and fixes them at once."""
    q = quarantine.copy()
    if q.empty:
        q["column_count"] = pd.Series(dtype="Int64")
        return q
    q["column_count"] = q.groupby(GROUP_KEYS, dropna=False)["reason"].transform("size")
    q["column_count"] = q["column_count"].astype("Int64")
    return q.sort_values([*GROUP_KEYS, "source_item_id"], kind="stable").reset_index(drop=True)


def group_by_column(quarantine: pd.DataFrame) -> pd.DataFrame:
    """One row per site, list, column and problem: the count, the items and one example."""
    cols = [*GROUP_KEYS, "problem", "count", "items", "example_value", "example_reason"]
    if quarantine.empty:
        return pd.DataFrame(columns=cols)
    q = quarantine.assign(problem=quarantine["problem"].fillna("invalid"))
    grouped = q.groupby([*GROUP_KEYS, "problem"], dropna=False, sort=False)
    out = grouped.agg(
        count=("reason", "size"),
        items=("source_item_id", lambda s: ", ".join(str(i) for i in sorted(s.dropna())[:10])),
        example_value=("raw_value", "first"),
        example_reason=("reason", "first"),
    ).reset_index()
    out = out.sort_values(["count", *GROUP_KEYS], ascending=[False, True, True, True])
    return out[cols].reset_index(drop=True)
