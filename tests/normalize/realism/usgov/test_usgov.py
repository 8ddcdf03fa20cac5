"""Issue 12 on REAL data: an unmodified excerpt of the U.S. Government Projects dataset.

Every mapped cell either reaches canonical exactly as the source meant or is quarantined with
its location (site, list, item, column, raw value, reason). What a clean cell means is derived
here from the CSV with the standard library (``datetime.strptime``, ``Decimal``), never with
the product's transforms, so the test can fail; the cells that are errors in this copy have
their expectation written by hand in ``HAND``. See README.md.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from c3po_sync.model.tables import CanonicalTables
from c3po_sync.normalize import load_mappings, normalize
from c3po_sync.sources.base import FieldInfo, RawRecord, SourceBatch, SourceRef

from ..test_realism import _summary

HERE = Path(__file__).resolve().parent
CSV = HERE / "projects-excerpt.csv"
MAPPING = HERE / "mapping.yaml"
REF = SourceRef("/sites/usgov", "Projects")
ZONE = "America/New_York"

# canonical field -> CSV column (what mapping.yaml maps; checked against it below)
COLUMNS = {
    "project_key": "Project ID",
    "title": "Project Name",
    "portfolio": "Investment Title",
    "departments": "Agency Name",
    "start_date": "Start Date",
    "target_end": "Completion Date (B1)",
    "actual_end": "Projected/Actual Project Completion Date (B2)",
    "budget": "Lifecycle Cost",
    "status_date": "Updated Date",
}
DATES = ("start_date", "target_end", "actual_end", "status_date")
MILLION = Decimal(1_000_000)


@dataclass(frozen=True)
class Quarantined:
    """The cell must be quarantined with this problem (and nothing reaches canonical)."""

    problem: str


_AMP = "Consolidated Farm Loan Program Information &amp; Delivery Systems #103"
# The cells that are errors in this copy, by hand: (item, field) -> (raw cell, what it means).
HAND: dict[tuple[int, str], tuple[str, Any]] = {
    # year-day-month: no mapped format reads it, and guessing would change a value
    (1, "target_end"): ("2012-30-09", Quarantined("invalid")),
    # thousands separators in an integer id (`key: integer: true`)
    (41, "project_key"): ("1,944", "1944"),
    (56, "project_key"): ("1,108", "1108"),
    (70, "project_key"): ("1,694", "1694"),
    (73, "project_key"): ("1,697", "1697"),
    # a cost that names its unit: read in that unit, not scaled twice
    (22, "budget"): ("2.306 ($m)", 2_306_000.0),
    (38, "budget"): ("242.985 ($m)", 242_985_000.0),
    # in $ thousands in a $ millions column: $119 billion is above the mapping's max
    (27, "budget"): ("119098.812", Quarantined("out_of_range")),
    # an HTML entity is kept as typed: decoding it to "&" would change the value silently
    **{(i, "portfolio"): (_AMP, _AMP) for i in range(16, 21)},
}


def _read() -> tuple[list[str], list[dict[str, str]]]:
    with CSV.open(encoding="utf-8", newline="") as f:
        lines = [line for line in f if not line.startswith("#")]  # the 5 comment lines
    reader = csv.DictReader(lines)
    return list(reader.fieldnames or []), list(reader)


def _run(header: list[str], rows: list[dict[str, str]], zone: str = ZONE) -> CanonicalTables:
    records = [
        RawRecord(i, {h: (v if v != "" else None) for h, v in r.items()}, etag=f'"{i}"')
        for i, r in enumerate(rows, start=1)
    ]
    fields = [FieldInfo(h, h, "Text") for h in header]
    [m] = load_mappings(MAPPING)
    m = m.model_copy(update={"time_zone": zone})
    return normalize([SourceBatch(REF, fields, records, time_zone=zone)], [m])


def _day_first(cell: str) -> date:
    return datetime.strptime(cell, "%d/%m/%Y").date()


def _meant(field: str, cell: str) -> Any:
    """What a clean cell means, from the CSV alone; an unexpected shape fails the test (write
    its expectation in HAND)."""
    if cell == "":
        return None
    if field == "project_key":
        assert cell.isdigit(), f"unexpected key {cell!r}: add it to HAND"
        return cell
    if field in ("title", "portfolio"):
        assert cell == cell.strip() and "&" not in cell.replace("&M", ""), cell
        return cell
    if field == "departments":
        assert ";" not in cell, cell
        return [cell]
    if field in DATES:
        assert re.fullmatch(r"\d{2}/\d{2}/\d{4}", cell), f"unexpected date {cell!r}: add to HAND"
        return _day_first(cell)
    if field == "budget":
        assert re.fullmatch(r"\d+(\.\d+)?", cell), f"unexpected cost {cell!r}: add to HAND"
        return float(Decimal(cell) * MILLION)
    raise AssertionError(field)


def _expectations(rows: list[dict[str, str]]) -> dict[tuple[int, str], tuple[str, Any]]:
    out = {}
    for i, row in enumerate(rows, start=1):
        for field, column in COLUMNS.items():
            cell = row[column]
            if (i, field) in HAND:
                raw, want = HAND[(i, field)]
                assert raw == cell, f"HAND ({i}, {field}) is {raw!r}, the CSV has {cell!r}"
                out[(i, field)] = (cell, want)
            else:
                out[(i, field)] = (cell, _meant(field, cell))
    return out


def _check(out: CanonicalTables, rows: list[dict[str, str]]) -> Counter:
    p = out.projects.set_index("source_item_id")
    q = out.quarantine
    outcomes: Counter = Counter()
    expected_q = 0
    for (i, field), (cell, want) in sorted(_expectations(rows).items()):
        column = COLUMNS[field]
        here = q[(q.source_item_id == i) & (q.column == column)]
        if isinstance(want, Quarantined):
            expected_q += 1
            assert len(here) == 1, f"item {i} {column}={cell!r}: not quarantined once"
            [hit] = here.to_dict("records")
            assert (hit["source_site"], hit["source_list"]) == (REF.site, REF.list_title)
            assert hit["raw_value"] == cell and hit["field"] == field, hit
            assert hit["problem"] == want.problem and hit["reason"], hit
            assert pd.isna(p.loc[i, field]), (i, field, p.loc[i, field])
            outcomes[f"quarantined {want.problem}"] += 1
            continue
        assert here.empty, (i, column, cell, here.reason.tolist())
        got = p.loc[i, field]
        if want is None:
            assert got is None or pd.isna(got), (i, field, got)
            outcomes["empty"] += 1
        else:
            assert got == want, (i, field, cell, got, want)
            assert type(got) is type(want) or field == "budget", (i, field, type(got))
            outcomes["exact"] += 1
    assert len(q) == expected_q, q[["source_item_id", "column", "raw_value", "reason"]]
    return outcomes


def test_mapping_maps_the_columns_this_test_checks():
    [m] = load_mappings(MAPPING)
    mapped = {name: spec.column for name, spec in m.fields.items()}
    mapped["project_key"] = m.key.column if m.key else ""
    assert mapped == COLUMNS


def test_real_excerpt_every_value_as_meant_or_located(capsys):
    header, rows = _read()
    assert len(rows) == 79 and len(header) == 23
    out = _run(header, rows)
    outcomes = _check(out, rows)
    assert len(out.projects) == len(rows)  # no row lost
    assert out.projects.project_key.is_unique
    assert outcomes["exact"] > 550
    with capsys.disabled():
        print("\n" + _summary("usgov real excerpt", len(rows), out, outcomes))


@pytest.mark.parametrize("zone", ["America/New_York", "Pacific/Kiritimati", "Pacific/Pago_Pago"])
def test_no_date_shifts_in_any_zone(zone):
    """Every parsed date is the calendar date written in the CSV, whatever the site's zone."""
    header, rows = _read()
    p = _run(header, rows, zone).projects.set_index("source_item_id")
    checked = 0
    for i, row in enumerate(rows, start=1):
        for field in DATES:
            got = p.loc[i, field]
            if got is not None and not pd.isna(got):
                assert got == _day_first(row[COLUMNS[field]]), (zone, i, field, got)
                checked += 1
    assert checked > 250
