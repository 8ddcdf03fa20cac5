"""The public dashboard's data for an open-data portal: JSON (everything on the public page) and
CSV (its projects table). Made from the public view only, never from the internal data."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from typing import Any

from c3po_sync.sinks.dashboard_data import PROJECT_COLUMNS, DashboardData
from c3po_sync.sinks.excel_safety import FORMULA_PREFIXES


def _plain(v: Any) -> Any:
    if isinstance(v, date):
        return v.isoformat()
    return v


def public_json(d: DashboardData) -> bytes:
    """UTF-8 JSON: as-of date, projects (configured fields), changes, scorecard, intake counts.

    The bytes of ``json.dumps(doc, ensure_ascii=False, indent=1)`` and a line break, ``doc``
    holding these keys in this order, the projects made by :func:`_rows_json`."""
    projects = [{k: _plain(p.get(k)) for k in d.project_columns} for p in d.projects]
    doc = {
        "title": d.title,
        "as_of": d.as_of.isoformat(),
        "generated_at": d.generated_at,
        "changes_since": d.changes_since,
        "projects": None,  # its place: written below
        "projects_by_phase": dict(d.by_phase),
        "projects_by_status": dict(d.by_status),
        "changes": d.changes,
        "scorecard": d.scorecard,
        "intake": d.intake,
    }
    body = ",\n ".join(
        f"{_dumps(k)}: {_rows_json(projects) if k == 'projects' else _dumps(v, 1)}"
        for k, v in doc.items()
    )
    return f"{{\n {body}\n}}\n".encode()


def _dumps(value: Any, level: int = 0) -> str:
    """``value`` as ``json.dumps(..., ensure_ascii=False, indent=1)`` writes it ``level`` deep
    in a document (JSON text holds no raw line break but those of its layout)."""
    return json.dumps(value, ensure_ascii=False, indent=1).replace("\n", "\n" + " " * level)


# A project's fields on lines of their own, as indent=1 lays them out two deep. Without an
# indent json encodes in C: the projects were most of the JSON's time in Python, a call per
# value (issue 16, a new day's CPU).
_FIELDS = json.JSONEncoder(ensure_ascii=False, separators=(",\n   ", ": "))
_SCALARS = {str, int, float, bool, type(None)}


def _rows_json(rows: list[dict[str, Any]]) -> str:
    """The projects list as :func:`_dumps` writes it one deep: a project whose keys are text and
    values plain scalars encoded in one C call, any other as json lays it out."""
    if not rows:
        return "[]"
    items = [
        "{\n   " + _FIELDS.encode(row)[1:-1] + "\n  }"
        if row and set(map(type, row)) == {str} and set(map(type, row.values())) <= _SCALARS
        else _dumps(row, 2)
        for row in rows
    ]
    return "[\n  " + ",\n  ".join(items) + "\n ]"


def _csv_cell(v: Any) -> Any:
    """A cell a spreadsheet opening the CSV shows as typed: text that a spreadsheet would read as
    a formula (it starts with = + - @, a tab or CR; OWASP "CSV Injection") gets a leading
    apostrophe. The JSON keeps the exact values."""
    v = "" if v is None else _plain(v)
    if isinstance(v, str) and v.startswith(FORMULA_PREFIXES):
        return "'" + v
    return v


def public_csv(d: DashboardData) -> bytes:
    """RFC 4180 CSV of the public projects table, headed by the page's column headings."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow([PROJECT_COLUMNS[c] for c in d.project_columns])
    for p in d.projects:
        w.writerow([_csv_cell(p.get(c)) for c in d.project_columns])
    return out.getvalue().encode("utf-8-sig")  # the BOM makes Excel read UTF-8
