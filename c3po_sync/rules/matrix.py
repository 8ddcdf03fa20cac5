"""The compliance matrix: per project and audit recommendation, one state an auditor can cite.

A cell combines the rules of one recommendation for one project (the evaluation table) with the
findings history, in this order:

1. a rule fails → "finding open since <first seen>" (the earliest open finding's);
2. else a rule could not run → "not checked" (why: a setting missing, the phase unknown...);
3. else a finding of that recommendation on the project was resolved → "resolved on <date>";
4. else the project finished before a rule's policy took effect → "grandfathered";
5. else a rule applies and passes → "complies";
6. else → "not applicable" (no rule of the recommendation covers the project now).

Rules that judge something other than a project (a PPM's load) have no cell; assets and
documents count for the project they name.
"""

from __future__ import annotations

from datetime import date, tzinfo

import numpy as np
import pandas as pd

from c3po_sync.rules.evaluation import FAIL, GRANDFATHERED, NOT_CHECKED, PASS
from c3po_sync.rules.recommendations import RECOMMENDATIONS

COMPLIES, OPEN, RESOLVED, NOT_APPLICABLE, UNCHECKED = (
    "complies", "open", "resolved", "not applicable", "not checked",
)  # fmt: skip
OLDER = "grandfathered"
CELL_STATES = (OPEN, UNCHECKED, RESOLVED, OLDER, COMPLIES, NOT_APPLICABLE)
# Words for the legend: each state, and what it means to an auditor.
LEGEND: dict[str, str] = {
    COMPLIES: "every check of the recommendation that applies ran and passed",
    OPEN: "at least one check fails; the date is when the oldest open finding was first seen",
    RESOLVED: "a finding was fixed on that date and every applicable check now passes",
    UNCHECKED: "a check could not run with the data or settings at hand (the note says why); "
    "never counted as compliant",
    OLDER: "the project finished before the policy behind a check took effect (policy_effective); "
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
    key = ["project_key", "recommendation"]
    # Per cell, computed once for all cells (a loop per cell took seconds for 1,000 projects).
    flags = pd.DataFrame(
        {
            "fail": ev["status"] == FAIL,
            "nc": ev["status"] == NOT_CHECKED,
            "pass": ev["status"] == PASS,
            "gf": ev["status"] == GRANDFATHERED,
            "project_key": ev["project_key"].astype(str),
            "recommendation": ev["recommendation"].astype(int),
        }
    )
    per = flags.groupby(key).agg({"fail": "any", "nc": "any", "pass": "any", "gf": "any"})
    nc = ev[ev["status"] == NOT_CHECKED].dropna(subset=["note"])
    # Gathered in plain dicts: a groupby with a Python function per group, and a Series
    # lookup per cell below, were most of this function's time at city size (issue 16).
    gathered: dict[tuple[str, int], set[str]] = {}
    for k, rec, text in zip(
        nc["project_key"].astype(str), nc["recommendation"].astype(int), nc["note"], strict=True
    ):
        gathered.setdefault((k, int(rec)), set()).add(str(text))
    notes = {k: "; ".join(sorted(texts)) for k, texts in gathered.items()}
    f = findings[findings["project_key"].notna()] if len(findings) else findings
    f = f.assign(project_key=f["project_key"].astype(str))
    for col in ("status", "first_seen", "resolved_at"):  # a frame without history columns
        if col not in f.columns:
            f[col] = None
    f = f[f["recommendation"].notna()].assign(
        recommendation=lambda x: x["recommendation"].astype(int)
    )
    opened = f[f["status"] == "open"].groupby(key)["first_seen"].min()
    resolved = f[f["status"] == "resolved"].groupby(key)["resolved_at"].max()
    grid = pd.MultiIndex.from_product([p["project_key"].astype(str), recs], names=key)
    per = per.reindex(grid, fill_value=False)
    has_open = grid.isin(opened.index)
    has_resolved = grid.isin(resolved.index)
    state = np.select(
        [
            per["fail"].to_numpy() | has_open,
            per["nc"].to_numpy(),
            has_resolved,
            per["gf"].to_numpy(),
            per["pass"].to_numpy(),
        ],
        [OPEN, UNCHECKED, RESOLVED, OLDER, COMPLIES],
        NOT_APPLICABLE,
    )
    first_open, last_resolved = opened.to_dict(), resolved.to_dict()
    # The grid's (project, recommendation) pairs made once from its levels: iterating the
    # MultiIndex rebuilds its tuples on each pass (most of this function's time at city size).
    pairs = zip(grid.get_level_values(0).tolist(), grid.get_level_values(1).tolist(), strict=True)
    cells = list(pairs)
    when = [
        _day(first_open.get(k), tz) if s == OPEN
        else _day(last_resolved.get(k), tz) if s == RESOLVED
        else None
        for k, s in zip(cells, state, strict=True)
    ]  # fmt: skip
    note = [notes.get(k) if s == UNCHECKED else None for k, s in zip(cells, state, strict=True)]
    info = p.set_index(p["project_key"].astype(str))[["title", "ppm", "portfolio"]]
    lead = info.reindex(grid.get_level_values(0))
    out = pd.DataFrame(
        {
            "project_key": grid.get_level_values(0),
            "title": lead["title"].to_numpy(),
            "ppm": lead["ppm"].to_numpy(),
            "portfolio": lead["portfolio"].to_numpy(),
            "recommendation": grid.get_level_values(1),
            "state": state,
            "date": when,
            "note": note,
        }
    )
    out["text"] = [cell_text(s, w, n) for s, w, n in zip(state, when, note, strict=True)]
    return out[list(MATRIX_COLUMNS)]


def wide(matrix: pd.DataFrame) -> pd.DataFrame:
    """Projects as rows, recommendations 1-10 as columns, each cell its text."""
    if matrix.empty:
        return pd.DataFrame(columns=["project_key", *sorted(RECOMMENDATIONS)])
    out = matrix.pivot(index="project_key", columns="recommendation", values="text")
    order = list(dict.fromkeys(matrix["project_key"]))
    return out.reindex(index=order, columns=sorted(RECOMMENDATIONS)).reset_index()
