"""The findings history as the hub's Compliance Findings list records it (the auditors' record).

``hub_lists.findings_rows`` writes the history to the hub; this reads it back, so a run whose
state database was lost or restored from an older backup adopts first seen, resolved and
re-opened from the hub instead of overwriting them (issue 11).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd


def _instant(v: Any) -> datetime | None:
    if v in (None, ""):
        return None
    try:
        ts = pd.Timestamp(v)
    except (TypeError, ValueError):
        return None
    if pd.isna(ts):
        return None
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return ts.to_pydatetime()


def _number(v: Any) -> int | None:
    try:
        return None if v in (None, "") else int(float(v))
    except (TypeError, ValueError):
        return None


def findings_from_hub(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Hub rows -> findings-history records (FINDINGS fields plus status and dates).

    A row marked Resolved without a resolved date is taken as open: a resolution is only
    recorded with its time, and this run's evidence will decide it.
    """
    out = []
    for r in rows:
        fid = r.get("FindingId")
        first = _instant(r.get("FirstSeen"))
        if not fid or first is None or not r.get("RuleId"):
            continue
        resolved_at = _instant(r.get("ResolvedAt"))
        resolved = r.get("State") == "Resolved" and resolved_at is not None
        link = r.get("Link")
        entity = str(fid).partition(":")[2] or None
        kind = "project" if entity and entity == r.get("ProjectKey") else None
        if str(r["RuleId"]).startswith("DQ-source"):
            kind = "source"  # pipeline.steps.sync.source_finding
        out.append(
            {
                "finding_id": str(fid),
                "rule_id": str(r["RuleId"]),
                "recommendation": _number(r.get("Recommendation")),
                "severity": r.get("Severity"),
                "entity_kind": kind,
                "entity_key": entity,
                "project_key": r.get("ProjectKey"),
                "ppm": r.get("PPM"),
                "portfolio": r.get("Portfolio"),
                "message": r.get("Message"),
                "source_url": link.get("Url") if isinstance(link, dict) else None,
                "status": "resolved" if resolved else "open",
                "first_seen": first,
                "resolved_at": resolved_at if resolved else None,
                "reopened_at": _instant(r.get("ReopenedAt")),
                "times_reopened": _number(r.get("TimesReopened")) or 0,
            }
        )
    return out
