"""Council-report deltas (audit rec 9): what changed in the portfolio between two snapshots."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from c3po_sync.model.tables import CanonicalTables

DELTA_COLUMNS = ("project_key", "change", "before", "after")
# Project fields the council follows, in report order, with the label shown in "change".
WATCHED_FIELDS: dict[str, str] = {
    "phase": "Phase changed",
    "status": "Status changed",
    "budget": "Budget changed",
    "start_date": "Start date changed",
    "target_end": "Target end changed",
    "actual_end": "Actual end changed",
    "ppm": "PPM changed",
}
_OPEN = {"opened", "reopened"}
# The project columns the deltas read: the watched fields, and what a new or removed project
# is described by (_describe).
_READ = ("project_key", "title", *WATCHED_FIELDS)


def _value(v: Any) -> Any:
    if v is None or (not isinstance(v, list | tuple | str) and pd.isna(v)):
        return None
    if isinstance(v, str):
        return v.strip() or None
    if isinstance(v, pd.Timestamp):
        return v.date()
    return v


def _keyed(projects: pd.DataFrame) -> pd.DataFrame:
    """One row per project key (its first), indexed by key, with only the columns the deltas
    read: the others are never compared, and copying them cost more than the comparison."""
    used = [c for c in _READ if c in projects.columns]
    p = projects.loc[projects["project_key"].notna(), used]
    return p.drop_duplicates("project_key", keep="first").set_index("project_key")


def _same(field: str, a: Any, b: Any) -> bool:
    if field in ("phase", "status", "ppm") and isinstance(a, str) and isinstance(b, str):
        return a.casefold() == b.casefold()
    if field == "budget" and a is not None and b is not None:
        return round(float(a), 2) == round(float(b), 2)
    return a == b


def _equal_as_stored(old: pd.Series, new: pd.Series) -> np.ndarray:
    """Per position, True where the two stored values are equal as they stand (both missing
    counts as equal): such a pair is the same by :func:`_same` too, since :func:`_value` maps
    equal values to equal values. False only means "compare them exactly"."""
    a, b = old.array, new.array
    both_missing = np.asarray(pd.isna(a), dtype=bool) & np.asarray(pd.isna(b), dtype=bool)
    try:
        eq = pd.array(a == b, dtype="boolean").fillna(False)
    except (TypeError, ValueError):  # values that do not compare as arrays: all exactly
        return both_missing
    return np.asarray(eq, dtype=bool) | both_missing


def project_deltas(before: CanonicalTables, after: CanonicalTables) -> pd.DataFrame:
    """New and removed projects and changes of the watched fields, by project key.

    The projects whose watched fields are all equal as stored (nearly all of them, night to
    night) are found with one array comparison per field; only the others are compared value
    by value (a lookup per project and field was most of a new day's deltas, issue 16).
    """
    old, new = _keyed(before.projects), _keyed(after.projects)
    rows: list[dict[str, Any]] = []
    for key in sorted(set(new.index) - set(old.index)):
        rows.append(
            {"project_key": key, "change": "New project", "before": None,
             "after": _describe(new.loc[key])}
        )  # fmt: skip
    for key in sorted(set(old.index) - set(new.index)):
        rows.append(
            {"project_key": key, "change": "Project removed",
             "before": _describe(old.loc[key]), "after": None}
        )  # fmt: skip
    both = sorted(set(old.index) & set(new.index))
    at_old, at_new = old.index.get_indexer(both), new.index.get_indexer(both)
    moved = np.zeros(len(both), dtype=bool)
    for field in WATCHED_FIELDS:
        moved |= ~_equal_as_stored(old[field].iloc[at_old], new[field].iloc[at_new])
    for i in np.flatnonzero(moved).tolist():
        key = both[i]
        for field, label in WATCHED_FIELDS.items():
            a, b = _value(old.at[key, field]), _value(new.at[key, field])
            if not _same(field, a, b):
                rows.append({"project_key": key, "change": label, "before": a, "after": b})
    return pd.DataFrame(rows, columns=list(DELTA_COLUMNS))


def _describe(row: pd.Series) -> str:
    parts = [str(_value(row.get("title")) or "(untitled)")]
    phase = _value(row.get("phase"))
    if phase:
        parts.append(str(phase))
    budget = _value(row.get("budget"))
    if budget is not None:
        parts.append(f"${float(budget):,.0f}")
    return ", ".join(parts)


def finding_deltas(events: pd.DataFrame | None) -> pd.DataFrame:
    """Findings whose state differs between the start and end of the period.

    ``events`` are the period's transitions (finding_id, event, at; optionally project_key,
    rule_id, message). A finding opened and resolved within the period nets to no change and
    is left out; one re-opened after being resolved before the period counts as opened.
    """
    if events is None or events.empty:
        return pd.DataFrame(columns=list(DELTA_COLUMNS))
    e = events.sort_values(["at", "run_id"] if "run_id" in events else ["at"], kind="stable")
    rows: list[dict[str, Any]] = []
    for fid, g in e.groupby("finding_id", sort=True):
        first, last = g.iloc[0], g.iloc[-1]
        open_at_start = first["event"] == "resolved"
        open_at_end = last["event"] in _OPEN
        if open_at_start == open_at_end:
            continue
        key = _value(last.get("project_key")) or _value(last.get("entity_key"))
        what = _value(last.get("message")) or str(fid)
        when = pd.Timestamp(last["at"]).strftime("%Y-%m-%d")
        if open_at_end:
            change = "Finding reopened" if last["event"] == "reopened" else "Finding opened"
            rows.append({"project_key": key, "change": change, "before": None, "after": what})
        else:
            rows.append(
                {"project_key": key, "change": "Finding resolved", "before": what,
                 "after": f"Resolved {when}"}
            )  # fmt: skip
    return pd.DataFrame(rows, columns=list(DELTA_COLUMNS))


def compute_deltas(
    before: CanonicalTables, after: CanonicalTables, findings_events: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Everything the council sees as "changed since the last report": DELTA_COLUMNS rows.

    Pure: the caller picks the two snapshots and the period's finding events from the state
    store (by run or by date), so the same function serves the rollup, the council report and
    ``c3po-sync deltas``. Projects come first (by key), then findings.
    """
    projects = project_deltas(before, after)
    findings = finding_deltas(findings_events)
    out = pd.concat([projects, findings], ignore_index=True) if len(findings) else projects
    return out.astype(object).where(out.notna(), None).reset_index(drop=True)
