"""The council deltas and the compliance matrix, rebuilt for a new day's cost (issue 16), say
exactly what their earlier definitions said: both are checked here against those definitions
(kept below, verbatim) on random portfolios with missing values, odd spellings, duplicates and
keys that match nothing; and the work they do follows what differs, counted, not timed."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest

from c3po_sync.model.schema import FINDINGS, PROJECTS
from c3po_sync.model.tables import CanonicalTables
from c3po_sync.rules import deltas, matrix
from c3po_sync.rules.deltas import WATCHED_FIELDS, _describe, _same, _value, project_deltas
from c3po_sync.rules.evaluation import FAIL, GRANDFATHERED, NOT_APPLICABLE, NOT_CHECKED, PASS
from c3po_sync.rules.matrix import MATRIX_COLUMNS, cell_text, compliance_matrix
from c3po_sync.rules.recommendations import RECOMMENDATIONS


# --- the definitions before issue 16's new-day work (main 5fea258), verbatim -----------------
def _old_keyed(projects: pd.DataFrame) -> pd.DataFrame:
    p = projects[projects["project_key"].notna()]
    return p.drop_duplicates("project_key", keep="first").set_index("project_key")


def old_project_deltas(before: CanonicalTables, after: CanonicalTables) -> pd.DataFrame:
    old, new = _old_keyed(before.projects), _old_keyed(after.projects)
    rows: list[dict[str, Any]] = []
    for key in sorted(set(new.index) - set(old.index)):
        rows.append({"project_key": key, "change": "New project", "before": None,
                     "after": _describe(new.loc[key])})  # fmt: skip
    for key in sorted(set(old.index) - set(new.index)):
        rows.append({"project_key": key, "change": "Project removed",
                     "before": _describe(old.loc[key]), "after": None})  # fmt: skip
    both = sorted(set(old.index) & set(new.index))
    for key in both:
        for field, label in WATCHED_FIELDS.items():
            a, b = _value(old.at[key, field]), _value(new.at[key, field])
            if not _same(field, a, b):
                rows.append({"project_key": key, "change": label, "before": a, "after": b})
    return pd.DataFrame(rows, columns=["project_key", "change", "before", "after"])


def old_compliance_matrix(evaluation, findings, projects, tz=None) -> pd.DataFrame:
    recs = sorted(RECOMMENDATIONS)
    p = projects[projects["project_key"].notna()].drop_duplicates("project_key")
    p = p.sort_values("project_key", key=lambda s: s.str.casefold())
    ev = evaluation[evaluation["project_key"].notna()]
    ev = ev[ev["recommendation"].isin(recs)]
    key = ["project_key", "recommendation"]
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
    gathered: dict[tuple[str, int], set[str]] = {}
    for k, rec, text in zip(
        nc["project_key"].astype(str), nc["recommendation"].astype(int), nc["note"], strict=True
    ):
        gathered.setdefault((k, int(rec)), set()).add(str(text))
    notes = {k: "; ".join(sorted(texts)) for k, texts in gathered.items()}
    f = findings[findings["project_key"].notna()] if len(findings) else findings
    f = f.assign(project_key=f["project_key"].astype(str))
    for col in ("status", "first_seen", "resolved_at"):
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
        [per["fail"].to_numpy() | has_open, per["nc"].to_numpy(), has_resolved,
         per["gf"].to_numpy(), per["pass"].to_numpy()],
        [matrix.OPEN, matrix.UNCHECKED, matrix.RESOLVED, matrix.OLDER, matrix.COMPLIES],
        matrix.NOT_APPLICABLE,
    )  # fmt: skip
    first_open, last_resolved = opened.to_dict(), resolved.to_dict()
    cells = list(
        zip(grid.get_level_values(0).tolist(), grid.get_level_values(1).tolist(), strict=True)
    )
    when = [
        matrix._day(first_open.get(k), tz) if s == matrix.OPEN
        else matrix._day(last_resolved.get(k), tz) if s == matrix.RESOLVED
        else None
        for k, s in zip(cells, state, strict=True)
    ]  # fmt: skip
    note = [notes.get(k) if s == matrix.UNCHECKED else None
            for k, s in zip(cells, state, strict=True)]  # fmt: skip
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


# --- helpers ---------------------------------------------------------------------------------
def assert_same_frame(got: pd.DataFrame, want: pd.DataFrame) -> None:
    """Equal column by column, cell by cell, and of the same Python type cell by cell (what
    the workbook and the dashboard write depends on the type as well as the value)."""
    assert list(got.columns) == list(want.columns)
    assert list(got.dtypes) == list(want.dtypes)
    assert len(got) == len(want)
    for col in want.columns:
        a, b = list(got[col].array), list(want[col].array)
        assert [type(x) for x in a] == [type(y) for y in b], col
        assert [repr(x) for x in a] == [repr(y) for y in b], col


KEYS = [f"P{i:03d}" for i in range(60)] + ["p001", " P002", None]
PHASES = ["Initiation", "Planning", "Execution", "execution", " Release ", "", None]


def _project(rng: random.Random, key: Any) -> dict[str, Any]:
    day = date(2026, 1, 1) + timedelta(days=rng.randrange(400))
    return {
        "project_key": key,
        "title": rng.choice(["Road", "Bridge ", "", None]),
        "phase": rng.choice(PHASES),
        "status": rng.choice(["Green", "green", "Red", None]),
        "budget": rng.choice([100.0, 100.004, 250.5, None, 1e6]),
        "start_date": rng.choice([day, None]),
        "target_end": rng.choice([day, day + timedelta(days=1), None]),
        "actual_end": rng.choice([None, None, day]),
        "ppm": rng.choice(["ann@x.org", "ANN@x.org", "bob@x.org", None]),
    }


def _portfolio(rng: random.Random, base: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    if base is None:
        return [_project(rng, rng.choice(KEYS)) for _ in range(rng.randrange(0, 50))]
    rows = [dict(r) for r in base if rng.random() > 0.1]  # some removed
    for r in rows:
        if rng.random() < 0.3:  # some edited, a field or two
            fresh = _project(rng, r["project_key"])
            for field in rng.sample(sorted(fresh), 2):
                if field != "project_key":
                    r[field] = fresh[field]
    rows += [_project(rng, rng.choice(KEYS)) for _ in range(rng.randrange(0, 5))]  # new, dups
    rng.shuffle(rows)
    return rows


# --- deltas ----------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(8))
def test_project_deltas_are_the_old_definitions(seed: int) -> None:
    rng = random.Random(seed)
    first = _portfolio(rng, None)
    second = _portfolio(rng, first)
    before = CanonicalTables(projects=PROJECTS.frame(first))
    after = CanonicalTables(projects=PROJECTS.frame(second))
    assert_same_frame(project_deltas(before, after), old_project_deltas(before, after))
    assert_same_frame(project_deltas(after, after), old_project_deltas(after, after))


def test_only_projects_that_moved_are_compared_value_by_value(monkeypatch) -> None:
    """A night where 3 of 500 projects changed compares those 3 field by field, not all 500
    (the old loop looked up and normalized 2 x 7 values for every project)."""
    rows = [{"project_key": f"K{i:04d}", "title": "T", "phase": "Execution", "status": "Green",
             "budget": float(i), "start_date": date(2026, 1, 1)} for i in range(500)]  # fmt: skip
    moved = [dict(r) for r in rows]
    moved[7]["phase"] = "Release"
    moved[70]["budget"] = 70.001  # equal to the cent: no delta, still compared
    moved[300]["status"] = " green "  # the same status, spelled otherwise
    calls = {"n": 0}
    real = deltas._value

    def counting(v: Any) -> Any:
        calls["n"] += 1
        return real(v)

    monkeypatch.setattr(deltas, "_value", counting)
    out = project_deltas(
        CanonicalTables(projects=PROJECTS.frame(rows)),
        CanonicalTables(projects=PROJECTS.frame(moved)),
    )
    assert out[["project_key", "change"]].values.tolist() == [["K0007", "Phase changed"]]
    assert calls["n"] <= 3 * 2 * len(WATCHED_FIELDS)


# --- compliance matrix -----------------------------------------------------------------------
STATES = [PASS, FAIL, NOT_CHECKED, GRANDFATHERED, NOT_APPLICABLE, None]


def _matrix_inputs(seed: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    rng = random.Random(seed)
    projects = PROJECTS.frame(
        [{**_project(rng, rng.choice(KEYS)), "portfolio": rng.choice(["Roads", None])}
         for _ in range(rng.randrange(0, 30))]
    )  # fmt: skip
    n = rng.randrange(0, 300)
    evaluation = pd.DataFrame(
        {
            "rule_id": [f"R{rng.randrange(9)}" for _ in range(n)],
            "recommendation": pd.array(
                [rng.choice([*range(0, 12), None]) for _ in range(n)], dtype="Int64"
            ),
            "entity_kind": ["project"] * n,
            "entity_key": [rng.choice(KEYS) for _ in range(n)],
            "project_key": pd.array([rng.choice(KEYS) for _ in range(n)], dtype="string"),
            "status": pd.array([rng.choice(STATES) for _ in range(n)], dtype="string"),
            "note": pd.array(
                [rng.choice([None, "no sponsor", "phase unknown"]) for _ in range(n)],
                dtype="string",
            ),
        }
    )
    at = datetime(2026, 10, 1, 23, 30, tzinfo=UTC)
    rows = []
    for i in range(rng.randrange(0, 60)):
        status = rng.choice(["open", "resolved", None])
        rows.append(
            {"finding_id": f"F{i}", "rule_id": "R1", "recommendation": rng.choice([1, 2, 9, 0]),
             "severity": "low", "entity_kind": "project", "entity_key": "x",
             "project_key": rng.choice(KEYS), "message": "m", "status": status,
             "first_seen": rng.choice([at + timedelta(days=rng.randrange(9)), None]),
             "resolved_at": rng.choice([at + timedelta(days=rng.randrange(9)), None])}
        )  # fmt: skip
    cols = FINDINGS.column_names
    history = FINDINGS.frame([{k: v for k, v in r.items() if k in cols} for r in rows])
    for col in ("status", "first_seen", "resolved_at"):
        history[col] = [r[col] for r in rows]
    history["status"] = history["status"].astype("string")
    for col in ("first_seen", "resolved_at"):
        history[col] = pd.to_datetime(history[col], utc=True)
    return evaluation, history, projects


@pytest.mark.parametrize("seed", range(8))
def test_compliance_matrix_is_the_old_definition(seed: int) -> None:
    evaluation, history, projects = _matrix_inputs(seed)
    for tz in (None, pd.Timestamp.now("America/Winnipeg").tzinfo):
        assert_same_frame(
            compliance_matrix(evaluation, history, projects, tz=tz),
            old_compliance_matrix(evaluation, history, projects, tz=tz),
        )
    bare = history.drop(columns=["status", "first_seen", "resolved_at"])  # no history columns
    assert_same_frame(
        compliance_matrix(evaluation, bare, projects),
        old_compliance_matrix(evaluation, bare, projects),
    )


def test_compliance_matrix_groups_nothing(monkeypatch) -> None:
    """Each evaluation row finds its cell by lookup: no groupby over the evaluation's rows (at
    4x city size, 400,000 of them; its temporaries set the rollup's memory peak)."""
    evaluation, history, projects = _matrix_inputs(3)
    grouped = {"n": 0}
    real = pd.DataFrame.groupby

    def counting(self: pd.DataFrame, *a: Any, **kw: Any) -> Any:
        grouped["n"] += 1
        return real(self, *a, **kw)

    monkeypatch.setattr(pd.DataFrame, "groupby", counting)
    compliance_matrix(evaluation, history, projects)
    assert grouped["n"] == 0


def test_cells_with_the_same_words_share_them() -> None:
    """20,000 cells at city size hold a few hundred texts: a cell's words are made once per
    distinct text and shared (the grid's memory at 4x city size)."""
    evaluation, history, projects = _matrix_inputs(5)
    out = compliance_matrix(evaluation, history, projects)
    texts = out["text"].tolist()
    assert len(texts) > 50
    assert len({id(t) for t in texts}) == len(set(texts))


@pytest.mark.parametrize("seed", range(3))
def test_compliance_matrix_placed_a_few_rows_at_a_time_is_the_same(seed: int, monkeypatch) -> None:
    """The evaluation is placed _ROWS rows at a time (its arrays are the function's working
    memory): cut into pieces of 7 rows, the matrix is the same."""
    evaluation, history, projects = _matrix_inputs(seed)
    whole = compliance_matrix(evaluation, history, projects)
    monkeypatch.setattr(matrix, "_ROWS", 7)
    assert_same_frame(compliance_matrix(evaluation, history, projects), whole)
    assert_same_frame(whole, old_compliance_matrix(evaluation, history, projects))
