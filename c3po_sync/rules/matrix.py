"""The compliance matrix: per project and audit recommendation, one state an auditor can cite.

A cell combines the rules of one recommendation for one project (the evaluation table) with the
findings history, in this order:

1. a rule fails → "finding open since <first seen>" (the earliest open finding's);
2. else a rule could not run → "not checked" (why: a setting missing, the phase unknown...);
3. else a finding of that recommendation on the project was resolved → "resolved on <date>";
4. else a rule applies and passes → "complies";
5. else → "not applicable" (no rule of the recommendation covers the project now).

Rules that judge something other than a project (a PPM's load) have no cell; assets and
documents count for the project they name.
"""

from __future__ import annotations

from datetime import date, tzinfo

import pandas as pd

from c3po_sync.rules.evaluation import FAIL, NOT_CHECKED, PASS
from c3po_sync.rules.recommendations import RECOMMENDATIONS

COMPLIES, OPEN, RESOLVED, NOT_APPLICABLE, UNCHECKED = (
    "complies", "open", "resolved", "not applicable", "not checked",
)  # fmt: skip
CELL_STATES = (OPEN, UNCHECKED, RESOLVED, COMPLIES, NOT_APPLICABLE)
# Words for the legend: each state, and what it means to an auditor.
LEGEND: dict[str, str] = {
    COMPLIES: "every check of the recommendation that applies ran and passed",
    OPEN: "at least one check fails; the date is when the oldest open finding was first seen",
    RESOLVED: "a finding was fixed on that date and every applicable check now passes",
    UNCHECKED: "a check could not run with the data or settings at hand (the note says why); "
    "never counted as compliant",
    NOT_APPLICABLE: "no check of the recommendation applies to the project now "
    "(e.g. its phase is before the gate)",
}
MATRIX_COLUMNS = ("project_key", "title", "ppm", "portfolio", "recommendation", "state", "date",
                  "note", "text")  # fmt: skip


def _day(value: object, tz: tzinfo | None) -> date | None:
    if value is None or pd.isna(value):
        return None
    ts = pd.Timestamp(value)
    if ts.tzinfo is not None and tz is not None:
        ts = ts.tz_convert(tz)
    return ts.date()


def cell_text(state: str, when: date | None, note: str | None = None) -> str:
    """The words in a cell: "finding open since 2026-10-01", "not checked: <why>"..."""
    day = f"{when:%Y-%m-%d}" if when else "an unknown date"
    if state == OPEN:
        return f"finding open since {day}"
    if state == RESOLVED:
        return f"resolved on {day}"
    if state == UNCHECKED and note:
        return f"not checked: {note}"
    return state


def compliance_matrix(
    evaluation: pd.DataFrame,
    findings: pd.DataFrame,
    projects: pd.DataFrame,
    tz: tzinfo | None = None,
) -> pd.DataFrame:
    """One row per (project, recommendation 1-10), MATRIX_COLUMNS, projects in key order.

    ``findings`` is the store's findings history (status, first_seen, resolved_at); dates are
    shown as calendar days in ``tz`` (the hub's zone), UTC when not given.
    """
    recs = sorted(RECOMMENDATIONS)
    p = projects[projects["project_key"].notna()].drop_duplicates("project_key")
    p = p.sort_values("project_key", key=lambda s: s.str.casefold())
    ev = evaluation[evaluation["project_key"].notna()]
    ev = ev[ev["recommendation"].isin(recs)]
    cells = ev.groupby(["project_key", "recommendation"], sort=False)
    by_cell = {k: g for k, g in cells}  # noqa: C416 (GroupBy.keys is a list: dict() fails)
    f = findings[findings["project_key"].notna()] if len(findings) else findings
    past = f.groupby(["project_key", "recommendation"], sort=False)
    hist = {k: g for k, g in past}  # noqa: C416
    rows = []
    for proj in p.itertuples(index=False):
        for rec in recs:
            g = by_cell.get((proj.project_key, rec))
            h = hist.get((proj.project_key, rec))
            statuses = set(g["status"]) if g is not None else set()
            state, when, note = NOT_APPLICABLE, None, None
            opened = h[h["status"] == "open"] if h is not None else None
            resolved = h[h["status"] == "resolved"] if h is not None else None
            if FAIL in statuses or (opened is not None and len(opened)):
                state = OPEN
                if opened is not None and len(opened):
                    when = _day(opened["first_seen"].min(), tz)
            elif NOT_CHECKED in statuses:
                state = UNCHECKED
                notes = g.loc[g["status"] == NOT_CHECKED, "note"].dropna().unique()
                note = "; ".join(sorted(str(n) for n in notes)) or None
            elif resolved is not None and len(resolved):
                state, when = RESOLVED, _day(resolved["resolved_at"].max(), tz)
            elif PASS in statuses:
                state = COMPLIES
            rows.append(
                {
                    "project_key": proj.project_key,
                    "title": proj.title,
                    "ppm": proj.ppm,
                    "portfolio": proj.portfolio,
                    "recommendation": rec,
                    "state": state,
                    "date": when,
                    "note": note,
                    "text": cell_text(state, when, note),
                }
            )
    return pd.DataFrame(rows, columns=list(MATRIX_COLUMNS))


def wide(matrix: pd.DataFrame) -> pd.DataFrame:
    """Projects as rows, recommendations 1-10 as columns, each cell its text."""
    if matrix.empty:
        return pd.DataFrame(columns=["project_key", *sorted(RECOMMENDATIONS)])
    out = matrix.pivot(index="project_key", columns="recommendation", values="text")
    order = list(dict.fromkeys(matrix["project_key"]))
    return out.reindex(index=order, columns=sorted(RECOMMENDATIONS)).reset_index()
