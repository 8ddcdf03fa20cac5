"""The rollup's detail sheets: portfolio, findings, changes, PPM workload, assets, quarantine."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import pandas as pd
from openpyxl.worksheet.worksheet import Worksheet

from c3po_sync.model.tables import CanonicalTables
from c3po_sync.normalize.quarantine import sort_for_fixing
from c3po_sync.sinks import excel_data as d
from c3po_sync.sinks.excel_format import (
    CURRENCY,
    DATE,
    DATETIME,
    GREEN,
    GREY,
    INTEGER,
    RED,
    STATUS_FILLS,
    YELLOW,
    Col,
    add_value_fills,
    write_table,
)
from c3po_sync.sinks.excel_safety import append_row

NO_PREVIOUS_REPORT = "No previous report: this is the first rollup, so there is nothing to compare."


def _days_since(days: list[date | None], today: date) -> list[int | None]:
    return [None if v is None else (today - v).days for v in days]


def portfolio_sheet(
    ws: Worksheet,
    tables: CanonicalTables,
    open_findings: pd.DataFrame,
    today: date,
    not_reread: Mapping[str, str] | None = None,
) -> None:
    """Every project, one row each, with document and open-finding counts beside it.

    ``not_reread``: project key -> "not re-read since <time>: <reason>" for rows kept from
    the last read of a source this run could not read (issue 11).
    """
    not_reread = not_reread or {}
    p = tables.projects
    docs = tables.documents
    keys = p["project_key"].astype("string")
    doc_counts = docs["project_key"].astype("string").value_counts()
    charters = set(
        docs.loc[docs["doc_type"].astype("string").eq("charter").fillna(False), "project_key"]
        .dropna()
        .astype(str)
    )
    finding_counts = open_findings["project_key"].astype("string").value_counts()
    status_dates = d.py_values(p["status_date"], "date")
    key_list = d.py_values(keys, "text")
    cols = [
        Col("Project key"),
        Col("Title", width=40),
        Col("Portfolio"),
        Col("PPM"),
        Col("PPM e-mail"),
        Col("Contract PPM"),
        Col("Phase"),
        Col("Status"),
        Col("Status date", DATE),
        Col("Days since status", INTEGER),
        Col("Budget", CURRENCY),
        Col("Start", DATE),
        Col("Target end", DATE),
        Col("Actual end", DATE),
        Col("Methodology"),
        Col("Sponsor"),
        Col("Product owner"),
        Col("Departments", width=30),
        Col("Vendor"),
        Col("Documents", INTEGER),
        Col("Charter on file"),
        Col("Open findings", INTEGER),
        Col("Source site"),
        Col("Source list"),
        Col("Not re-read since", width=40),
    ]
    data = [
        key_list,
        d.py_values(p["title"], "text"),
        d.py_values(p["portfolio"], "text"),
        d.py_values(p["ppm_name"].fillna(p["ppm"]), "text"),
        d.py_values(p["ppm"], "text"),
        d.py_values(p["ppm_is_contract"], "bool"),
        d.py_values(p["phase"], "text"),
        d.py_values(p["status"], "text"),
        status_dates,
        _days_since(status_dates, today),
        d.py_values(p["budget"], "float"),
        d.py_values(p["start_date"], "date"),
        d.py_values(p["target_end"], "date"),
        d.py_values(p["actual_end"], "date"),
        d.py_values(p["methodology"], "text"),
        d.py_values(p["sponsor"], "text"),
        d.py_values(p["product_owner"], "text"),
        d.py_values(p["departments"], "text"),
        d.py_values(p["vendor"], "text"),
        [int(doc_counts.get(k, 0)) if k is not None else 0 for k in key_list],
        ["Yes" if k in charters else "No" for k in key_list],
        [int(finding_counts.get(k, 0)) if k is not None else 0 for k in key_list],
        d.py_values(p["source_site"], "text"),
        d.py_values(p["source_list"], "text"),
        [not_reread.get(k) if k is not None else None for k in key_list],
    ]
    first, last = write_table(
        ws, "tblPortfolio", cols, data, links={1: d.py_values(p["source_url"], "text")}
    )
    add_value_fills(ws, 8, first + 1, last, STATUS_FILLS)


def findings_sheet(ws: Worksheet, findings: pd.DataFrame, today: date) -> None:
    """Open findings and those resolved in the last 30 days, each linked to its SharePoint item."""
    f = d.findings_for_sheet(findings, today)
    first_seen = _optional(f, "first_seen", "datetime")
    resolved = d.py_values(f["resolved_on"], "datetime")
    cols = [
        Col("State"),
        Col("Recommendation", INTEGER, width=16),
        Col("Severity"),
        Col("Project"),
        Col("Entity", width=24),
        Col("PPM"),
        Col("Portfolio"),
        Col("Message", width=70, wrap=True),
        Col("First seen (UTC)", DATETIME),
        Col("Resolved at (UTC)", DATETIME),
        Col("Days open", INTEGER),
        Col("Finding id", width=30),
    ]
    data = [
        ["Open" if o else "Resolved" for o in f["is_open"].tolist()],
        d.py_values(f["recommendation"], "int"),
        d.py_values(f["severity"], "text"),
        d.py_values(f["project_key"], "text"),
        d.py_values(f["entity_key"], "text"),
        d.py_values(f["ppm"], "text"),
        d.py_values(f["portfolio"], "text"),
        d.py_values(f["message"], "text"),
        first_seen,
        resolved,
        # Never negative: first seen is a UTC instant, today a local date (issue 11).
        [
            None if s is None else max(0, ((r.date() if r else today) - s.date()).days)
            for s, r in zip(first_seen, resolved, strict=True)
        ],
        d.py_values(f["finding_id"], "text"),
    ]
    # The link sits on the entity cell: one column fewer on the largest sheet.
    first, last = write_table(
        ws, "tblFindings", cols, data, links={4: d.py_values(f["source_url"], "text")}
    )
    add_value_fills(ws, 3, first + 1, last, {"high": RED, "medium": YELLOW, "low": GREY})
    add_value_fills(ws, 1, first + 1, last, {"Resolved": GREEN})


def _optional(frame: pd.DataFrame, column: str, kind: d.Kind) -> list[Any]:
    if column not in frame.columns:
        return [None] * len(frame)
    if kind == "datetime":
        return d.py_values(d.as_dates(frame[column]), "datetime")
    return d.py_values(frame[column], kind)


def changes_sheet(ws: Worksheet, changes: pd.DataFrame | None, projects: pd.DataFrame) -> None:
    """What changed since the last council report, or a note saying why there is nothing."""
    if changes is None:
        append_row(ws, [NO_PREVIOUS_REPORT])
        return
    if changes.empty:
        append_row(ws, ["No changes since the last report."])
        return
    titles = dict(
        zip(
            projects["project_key"].astype("string").astype(object),
            projects["title"].astype("string").astype(object),
            strict=True,
        )
    )
    keys = d.py_values(changes.get("project_key", pd.Series([None] * len(changes))), "text")
    cols = [
        Col("Project key"),
        Col("Project", width=40),
        Col("Change", width=30),
        Col("Before", width=30, wrap=True),
        Col("After", width=30, wrap=True),
    ]

    def column(name: str) -> list[Any]:
        if name not in changes.columns:
            return [None] * len(changes)
        return [_change_value(v) for v in changes[name].astype(object).tolist()]

    data = [
        keys,
        [titles.get(k) if k is not None else None for k in keys],
        column("change"),
        column("before"),
        column("after"),
    ]
    write_table(ws, "tblChanges", cols, data)


def _change_value(value: Any) -> Any:
    if value is None or (not isinstance(value, list | tuple | dict) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        value = value.tz_convert(None) if value.tzinfo else value
        return value.to_pydatetime()
    if isinstance(value, bool | int | float | str | date):
        return value
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    return str(value)


def workload_sheet(ws: Worksheet, projects: pd.DataFrame, open_findings: pd.DataFrame) -> None:
    """Active projects and open findings per PPM, flagging more than four active projects."""
    w = d.ppm_workload(projects, open_findings)
    cols = [
        Col("PPM"),
        Col("PPM e-mail"),
        Col("Contract PPM"),
        Col("Active projects", INTEGER),
        Col("All projects", INTEGER),
        Col("Active budget", CURRENCY),
        Col("Open findings", INTEGER),
        Col("High-severity open", INTEGER),
        Col(f"Over {d.MAX_ACTIVE_PER_PPM} active"),
    ]
    data = [
        d.py_values(w["ppm_name"].fillna(w["ppm"]), "text"),
        d.py_values(w["ppm"], "text"),
        d.py_values(w["contract"], "bool"),
        d.py_values(w["active"], "int"),
        d.py_values(w["total"], "int"),
        d.py_values(w["active_budget"], "float"),
        d.py_values(w["open"], "int"),
        d.py_values(w["high"], "int"),
        d.py_values(w["over"], "bool"),
    ]
    first, last = write_table(ws, "tblWorkload", cols, data)
    add_value_fills(ws, 9, first + 1, last, {"Yes": RED})


def assets_sheet(ws: Worksheet, assets: pd.DataFrame, today: date) -> None:
    """The inventory over its lifecycle, flagging end of support past or within 12 months."""
    eos = d.py_values(assets["end_of_support"], "date")
    cols = [
        Col("Asset id"),
        Col("Name", width=32),
        Col("Kind"),
        Col("Vendor"),
        Col("Owner department"),
        Col("Owner"),
        Col("Lifecycle stage"),
        Col("Support"),
        Col("End of support", DATE),
        Col("Days to end of support", INTEGER),
        Col("Acquired", DATE),
        Col("Renewal", DATE),
        Col("Annual cost", CURRENCY),
        Col("Last reviewed", DATE),
        Col("Project"),
        Col("PPM"),
    ]
    urls = d.py_values(assets["source_url"], "text")
    data = [
        d.py_values(assets["asset_id"], "text"),
        d.py_values(assets["name"], "text"),
        d.py_values(assets["kind"], "text"),
        d.py_values(assets["vendor"], "text"),
        d.py_values(assets["owner_department"], "text"),
        d.py_values(assets["owner"], "text"),
        d.py_values(assets["lifecycle_stage"], "text"),
        d.support_status(assets, today),
        eos,
        [None if v is None else (v - today).days for v in eos],
        d.py_values(assets["acquired"], "date"),
        d.py_values(assets["renewal"], "date"),
        d.py_values(assets["annual_cost"], "float"),
        d.py_values(assets["last_reviewed"], "date"),
        d.py_values(assets["project_key"], "text"),
        d.py_values(assets["ppm"], "text"),
    ]
    first, last = write_table(ws, "tblAssets", cols, data, links={1: urls})
    add_value_fills(
        ws,
        8,
        first + 1,
        last,
        {"Past end of support": RED, "Ends within 12 months": YELLOW, "Supported": GREEN},
    )


def quarantine_sheet(ws: Worksheet, quarantine: pd.DataFrame) -> None:
    """Values that could not be normalized, located to the cell so a PPM can fix them; grouped
    by site, list and column with the column's count, so a whole column is fixed at once."""
    q = sort_for_fixing(quarantine)
    problem = q["problem"] if "problem" in q else pd.Series(pd.NA, index=q.index)
    cols = [
        Col("Site"),
        Col("List"),
        Col("Column"),
        Col("Problems in column", INTEGER),
        Col("Problem"),
        Col("Item id", INTEGER),
        Col("Raw value", width=40, wrap=True),
        Col("Reason", width=60, wrap=True),
    ]
    data = [
        d.py_values(q["source_site"], "text"),
        d.py_values(q["source_list"], "text"),
        d.py_values(q["column"], "text"),
        d.py_values(q["column_count"], "int"),
        d.py_values(problem.astype("string"), "text"),
        d.py_values(q["source_item_id"], "int"),
        d.py_values(q["raw_value"], "text"),
        d.py_values(q["reason"], "text"),
    ]
    write_table(ws, "tblQuarantine", cols, data)
