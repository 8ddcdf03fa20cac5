"""Issue 12 realism suite: an IT Dashboard-shaped portfolio, clean and deliberately corrupted.

Every value either reaches canonical exactly as the source meant (``expected.csv``) or is
quarantined with its location (site, list, item id, column). See README.md for the data.
"""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from c3po_sync.model.tables import CanonicalTables
from c3po_sync.normalize import load_mappings, normalize
from c3po_sync.rules import RulesConfig, evaluate
from c3po_sync.sources.base import FieldInfo, RawRecord, SourceBatch, SourceRef

HERE = Path(__file__).resolve().parent
REF = SourceRef("/sites/itdashboard", "Projects")
TODAY = date(2012, 12, 31)  # the excerpt's "as of" day
DATES = {"start_date", "actual_end", "target_end", "status_date"}

# The corrupted copy: a comma in the description splits it (everything after moves one column
# right), and single hostile cells (issue 11's values) planted in otherwise good rows.
SHIFTED_ROWS = (5, 15, 25, 35, 45, 55, 65, 75)
PLANTED = {
    3: ("Lifecycle Cost", "9" * 401),
    13: ("Start Date", "0001-01-01T00:00:00Z"),
    23: ("Project Name", "bell\x07 project"),
    33: ("Updated Date", "9999-12-31T23:00:00-12:00"),
    43: ("Project Status", "On Track\ud800"),
    53: ("Completion Date (B1)", "1e400"),
    63: ("Lifecycle Cost", "Infinity"),
    73: ("Planned Project Completion Date (B2)", "60"),
    83: ("Start Date", "2011-02-30"),
}
LOOKALIKE = 93  # its key becomes a full-width copy of row 1's key: a duplicate, not a project


def _read() -> tuple[list[str], list[dict[str, str]], dict[tuple[int, str], str]]:
    with (HERE / "itdashboard_projects.csv").open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        header = list(reader.fieldnames or [])
        rows = list(reader)
    with (HERE / "expected.csv").open(encoding="utf-8", newline="") as f:
        meant = {(int(r["item_id"]), r["field"]): r["meant"] for r in csv.DictReader(f)}
    return header, rows, meant


def _corrupt(header, rows, meant):
    rows = [dict(r) for r in rows]
    meant = dict(meant)
    at = header.index("Project Description")
    for i in SHIFTED_ROWS:
        cells = [rows[i - 1][h] for h in header]
        head, _, tail = cells[at].partition(" for ")
        cells = [*cells[:at], head, " for " + tail, *cells[at + 1 : -1]]
        rows[i - 1] = dict(zip(header, cells, strict=True))
        for field in {f for (j, f) in meant if j == i}:
            meant[(i, field)] = "QUARANTINE:shifted_columns"
    for i, (column, value) in PLANTED.items():
        rows[i - 1][column] = value
        field = {c: f for f, c in _columns().items()}[column]
        meant[(i, field)] = "QUARANTINE:*"
    key = rows[0]["Unique Project ID"]
    rows[LOOKALIKE - 1]["Unique Project ID"] = "".join(
        chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in key
    )
    for field in {f for (j, f) in meant if j == LOOKALIKE}:
        meant[(LOOKALIKE, field)] = "QUARANTINE:duplicate_key"
    return rows, meant


def _columns() -> dict[str, str]:
    [m] = load_mappings(HERE / "mapping.yaml")
    out = {name: spec.column for name, spec in m.fields.items()}
    out["project_key"] = m.key.column if m.key else ""
    return out


def _run(header, rows) -> CanonicalTables:
    records = [
        RawRecord(i, {h: (v if v != "" else None) for h, v in r.items()}, etag=f'"{i}"')
        for i, r in enumerate(rows, start=1)
    ]
    fields = [FieldInfo(h, h, "Text") for h in header]
    batch = SourceBatch(REF, fields, records, time_zone="America/Los_Angeles")
    return normalize([batch], load_mappings(HERE / "mapping.yaml"))


def _value(meant: str, field: str):
    if field in DATES:
        return date.fromisoformat(meant)
    if field == "budget":
        return float(meant)
    return meant


def _check(out: CanonicalTables, meant: dict[tuple[int, str], str]) -> Counter:
    columns = _columns()
    p = out.projects.set_index("source_item_id")
    q = out.quarantine
    assert (q.source_site == REF.site).all() and (q.source_list == REF.list_title).all()
    outcomes: Counter = Counter()
    for (i, field), want in sorted(meant.items()):
        column = columns[field]
        here = q[(q.source_item_id == i) & (q.column.isin([column, "(row)"]))]
        if want.startswith("QUARANTINE:"):
            problem = want.split(":", 1)[1]
            if problem in ("shifted_columns", "duplicate_key"):  # the row, reported once
                here = q[q.source_item_id == i]
            assert len(here) >= 1, f"item {i} {field}: {want} but not quarantined"
            if problem != "*":
                assert problem in set(here.problem), (i, field, here.problem.tolist())
            if problem not in ("shifted_columns", "duplicate_key") and i in p.index:
                assert pd.isna(p.loc[i, field]), (i, field, p.loc[i, field])
            outcomes["quarantined"] += 1
            continue
        assert i in p.index, f"item {i} lost ({field} meant {want!r})"
        got = p.loc[i, field]
        if want.startswith("KEPT:"):
            assert got == want[5:] and "unknown_value" in set(here.problem), (i, got)
            outcomes["kept and reported"] += 1
        elif want == "":
            assert pd.isna(got) and here.empty, (i, field, got)
            outcomes["empty"] += 1
        else:
            assert here.empty, (i, field, here.reason.tolist())
            assert got == _value(want, field), (i, field, got, want)
            outcomes["exact"] += 1
    return outcomes


def _summary(name: str, rows: int, out: CanonicalTables, outcomes: Counter) -> str:
    findings = evaluate(out, RulesConfig(), TODAY)
    by_rec = findings.groupby("recommendation").size().to_dict() if len(findings) else {}
    by_problem = out.quarantine.problem.value_counts().to_dict()
    return (
        f"{name}: rows in {rows}, rows out {len(out.projects)}; values {dict(outcomes)}; "
        f"quarantined by problem {by_problem}; findings by recommendation {by_rec}"
    )


def test_clean_excerpt_every_value_as_meant_or_located(capsys):
    header, rows, meant = _read()
    out = _run(header, rows)
    outcomes = _check(out, meant)
    assert len(out.projects) == len(rows)  # no row lost
    assert outcomes["exact"] > 700
    with capsys.disabled():
        print("\n" + _summary("clean", len(rows), out, outcomes))


def test_corrupted_copy_every_value_as_meant_or_located(capsys):
    header, rows, meant = _read()
    bad_rows, bad_meant = _corrupt(header, rows, meant)
    out = _run(header, bad_rows)
    outcomes = _check(out, bad_meant)
    q = out.quarantine
    shifted = q[q.problem == "shifted_columns"]
    assert sorted(shifted.source_item_id) == list(SHIFTED_ROWS)  # each once, not many errors
    assert q[q.source_item_id.isin(SHIFTED_ROWS)].problem.eq("shifted_columns").all()
    assert len(out.projects) == len(rows) - len(SHIFTED_ROWS) - 1
    with capsys.disabled():
        print("\n" + _summary("corrupted", len(rows), out, outcomes))


@pytest.mark.parametrize("zone", ["America/Los_Angeles", "Pacific/Kiritimati", "UTC"])
def test_dates_do_not_depend_on_the_site_zone(zone):
    header, rows, _ = _read()
    records = [RawRecord(i, dict(r)) for i, r in enumerate(rows, start=1)]
    fields = [FieldInfo(h, h, "Text") for h in header]
    base = normalize(
        [SourceBatch(REF, fields, records, time_zone="UTC")], load_mappings(HERE / "mapping.yaml")
    )
    moved = normalize(
        [SourceBatch(REF, fields, records, time_zone=zone)],
        [m.model_copy(update={"time_zone": zone}) for m in load_mappings(HERE / "mapping.yaml")],
    )
    for col in sorted(DATES):
        assert base.projects[col].tolist() == moved.projects[col].tolist(), col
