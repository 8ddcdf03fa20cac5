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
from typing import Any

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


_ROWS = 50_000  # evaluation rows placed at a time (compliance_matrix)


def _cells(
    keys: pd.Index, project_keys: pd.Series, recommendations: pd.Series, recs: list[int]
) -> np.ndarray:
    """Per row, its cell (project position x len(recs) + recommendation position); -1 for a
    row with no cell (no project key, a project not in ``keys``, a recommendation not in
    ``recs``)."""
    names = project_keys.to_numpy(dtype=object, na_value=None)
    if pd.api.types.infer_dtype(names, skipna=True) not in ("string", "empty"):
        names = project_keys.astype(str).to_numpy(dtype=object)  # keys as the grid has them
    at = keys.get_indexer(names)
    at[project_keys.isna().to_numpy(dtype=bool)] = -1
    numbers = pd.to_numeric(recommendations, errors="coerce").astype("float64")
    rec_at = pd.Index(recs, dtype="float64").get_indexer(numbers.to_numpy(na_value=np.nan))
    return np.where((at >= 0) & (rec_at >= 0), at * len(recs) + rec_at, -1)


def _marked(cells: dict[int, Any], size: int) -> np.ndarray:
    """True at each cell ``cells`` names (of ``size``)."""
    out = np.zeros(size, dtype=bool)
    out[np.fromiter(cells, dtype=np.int64, count=len(cells))] = True
    return out


def _words(column: pd.Series) -> np.ndarray:
    """A text column as objects, every missing value None (compared with ``==`` safely)."""
    return column.to_numpy(dtype=object, na_value=None)


def _history_days(
    findings: pd.DataFrame, keys: pd.Index, recs: list[int]
) -> tuple[dict[int, Any], dict[int, Any]]:
    """Per cell: the earliest first seen of its open findings, the latest resolution of its
    resolved ones, as a groupby's min and max would give them (None where a cell's findings
    carry no date); cells with no such finding left out."""
    if not len(findings):
        return {}, {}
    f = findings
    for col in ("status", "first_seen", "resolved_at"):  # a frame without history columns
        if col not in f.columns:
            f = f.assign(**{col: None})
    cell = _cells(keys, f["project_key"], f["recommendation"], recs)
    first_open: dict[int, Any] = {}
    last_resolved: dict[int, Any] = {}
    for c, status, seen, resolved in zip(
        cell.tolist(), _words(f["status"]), _words(f["first_seen"]), _words(f["resolved_at"]),
        strict=True,
    ):  # fmt: skip
        if c < 0:
            continue
        if status == "open":
            now = first_open.get(c)
            if seen is not None and (now is None or seen < now):
                first_open[c] = seen
            else:
                first_open.setdefault(c, None)
        elif status == "resolved":
            now = last_resolved.get(c)
            if resolved is not None and (now is None or resolved > now):
                last_resolved[c] = resolved
            else:
                last_resolved.setdefault(c, None)
    return first_open, last_resolved


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
    # The four columns the grid shows, picked before any row is copied (not the whole table).
    lead = ["project_key", "title", "ppm", "portfolio"]
    p = projects.loc[projects["project_key"].notna(), lead].drop_duplicates("project_key")
    p = p.sort_values("project_key", key=lambda s: s.str.casefold())
    keys = pd.Index(p["project_key"].astype(str).to_numpy(dtype=object), dtype=object)
    width = len(recs)
    # Cells numbered project by project, a project's recommendations in order; every row of
    # the evaluation placed in one hashed lookup per column, not grouped, and _ROWS rows at a
    # time: their arrays are this function's working memory (400,000 rows at 4x city size).
    size = len(keys) * width
    fail, nc, passed, gf = (np.zeros(size, dtype=bool) for _ in range(4))
    # Notes of the cells not checked, gathered in plain dicts: a groupby with a Python function
    # per group was most of this function's time at city size (issue 16).
    gathered: dict[int, set[str]] = {}
    columns = [evaluation[c] for c in ("project_key", "recommendation", "status", "note")]
    for start in range(0, len(evaluation), _ROWS):
        pk, rec, st, why = (c.iloc[start : start + _ROWS] for c in columns)
        cell = _cells(keys, pk, rec, recs)
        status = _words(st)
        for flag, word in ((fail, FAIL), (nc, NOT_CHECKED), (passed, PASS), (gf, GRANDFATHERED)):
            flag[cell[(cell >= 0) & (status == word)]] = True
        texts = _words(why)
        with_note = (cell >= 0) & (status == NOT_CHECKED) & (texts != None)  # noqa: E711
        for c, text in zip(cell[with_note].tolist(), texts[with_note], strict=True):
            gathered.setdefault(c, set()).add(str(text))
    notes = {k: "; ".join(sorted(texts)) for k, texts in gathered.items()}
    first_open, last_resolved = _history_days(findings, keys, recs)
    has_open, has_resolved = _marked(first_open, size), _marked(last_resolved, size)
    state = np.select(
        [fail | has_open, nc, has_resolved, gf, passed],
        [OPEN, UNCHECKED, RESOLVED, OLDER, COMPLIES],
        NOT_APPLICABLE,
    )  # fmt: skip
    when = [
        _day(first_open.get(k), tz) if s == OPEN
        else _day(last_resolved.get(k), tz) if s == RESOLVED
        else None
        for k, s in enumerate(state)
    ]  # fmt: skip
    note = [notes.get(k) if s == UNCHECKED else None for k, s in enumerate(state)]
    out = pd.DataFrame(
        {
            "project_key": np.repeat(keys.to_numpy(), width),
            "title": np.repeat(p["title"].to_numpy(), width),
            "ppm": np.repeat(p["ppm"].to_numpy(), width),
            "portfolio": np.repeat(p["portfolio"].to_numpy(), width),
            "recommendation": np.tile(np.asarray(recs, dtype=np.int64), len(keys)),
            "state": state,
            "date": when,
            "note": note,
        }
    )
    # A cell's words made once per distinct (state, day, note), shared by the cells that have
    # them: a city's 20,000 cells hold a few hundred.
    words: dict[tuple[Any, ...], str] = {}
    out["text"] = [
        words[c] if c in words else words.setdefault(c, cell_text(*c))
        for c in zip(state, when, note, strict=True)
    ]
    return out[list(MATRIX_COLUMNS)]


def wide(matrix: pd.DataFrame) -> pd.DataFrame:
    """Projects as rows, recommendations 1-10 as columns, each cell its text."""
    if matrix.empty:
        return pd.DataFrame(columns=["project_key", *sorted(RECOMMENDATIONS)])
    out = matrix.pivot(index="project_key", columns="recommendation", values="text")
    order = list(dict.fromkeys(matrix["project_key"]))
    return out.reindex(index=order, columns=sorted(RECOMMENDATIONS)).reset_index()
