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
    """UTF-8 JSON: as-of date, projects (configured fields), changes, scorecard, intake counts."""
    doc = {
        "title": d.title,
        "as_of": d.as_of.isoformat(),
        "generated_at": d.generated_at,
        "changes_since": d.changes_since,
        "projects": [{k: _plain(p.get(k)) for k in d.project_columns} for p in d.projects],
        "projects_by_phase": dict(d.by_phase),
        "projects_by_status": dict(d.by_status),
        "changes": d.changes,
        "scorecard": d.scorecard,
        "intake": d.intake,
    }
    return (json.dumps(doc, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


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
