"""The rollup's detail sheets: portfolio, findings, changes, PPM workload, assets, quarantine."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import pandas as pd
from openpyxl.worksheet.worksheet import Worksheet

from c3po_sync.model import domain, labels
from c3po_sync.model.tables import CanonicalTables
from c3po_sync.normalize.quarantine import sort_for_fixing
from c3po_sync.rules.config import RulesConfig
from c3po_sync.rules.deltas import WATCHED_FIELDS
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

# How many leading columns each wide sheet prints; the rest are details left to the screen.
PORTFOLIO_PRINTED = 13
FINDINGS_PRINTED = 11
ASSETS_PRINTED = 12

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
    # Plain dicts: a Series.get per project was most of this sheet's build (issue 16).
    doc_counts = docs["project_key"].astype("string").value_counts().to_dict()
    charters = set(
        docs.loc[docs["doc_type"].astype("string").eq("charter").fillna(False), "project_key"]
        .dropna()
        .astype(str)
    )
    finding_counts = open_findings["project_key"].astype("string").value_counts().to_dict()
    status_dates = d.py_values(p["status_date"], "date")
    key_list = d.py_values(keys, "text")
    # The printed columns come first (the print area ends at PORTFOLIO_PRINTED); the detail
    # columns after them are left to the screen, so the page prints at a readable size.
    cols = [
        Col("Project key"),
        Col("Title", width=34, wrap=True),
        Col("Portfolio", width=14, wrap=True),
        Col("PPM", width=18, wrap=True),
        Col("Phase", width=12),
        Col("Status", width=8),
        Col("Status date", DATE),
        Col("Days since status", INTEGER, width=8),
        Col("Budget", CURRENCY, width=13),
        Col("Target end", DATE),
        Col("Charter on file", width=8),
        Col("Open findings", INTEGER, width=9),
        Col("Not re-read since", width=30, wrap=True),
        Col("PPM e-mail"),
        Col("Contract PPM"),
        Col("Start", DATE),
        Col("Actual end", DATE),
        Col("Methodology"),
        Col("Sponsor"),
        Col("Product owner"),
        Col("Departments", width=30),
        Col("Vendor"),
        Col("Documents", INTEGER),
        Col("Source site"),
        Col("Source list"),
    ]
    data = [
        key_list,
        d.py_values(p["title"], "text"),
        d.py_values(p["portfolio"], "text"),
        d.py_values(p["ppm_name"].fillna(p["ppm"]), "text"),
        d.py_values(p["phase"], "text"),
        d.py_values(p["status"], "text"),
        status_dates,
        _days_since(status_dates, today),
        d.py_values(p["budget"], "float"),
        d.py_values(p["target_end"], "date"),
        ["Yes" if k in charters else "No" for k in key_list],
        [int(finding_counts.get(k, 0)) if k is not None else 0 for k in key_list],
        [not_reread.get(k) if k is not None else None for k in key_list],
        d.py_values(p["ppm"], "text"),
        d.py_values(p["ppm_is_contract"], "bool"),
        d.py_values(p["start_date"], "date"),
        d.py_values(p["actual_end"], "date"),
        d.py_values(p["methodology"], "text"),
        d.py_values(p["sponsor"], "text"),
        d.py_values(p["product_owner"], "text"),
        d.py_values(p["departments"], "text"),
        d.py_values(p["vendor"], "text"),
        [int(doc_counts.get(k, 0)) if k is not None else 0 for k in key_list],
        d.py_values(p["source_site"], "text"),
        d.py_values(p["source_list"], "text"),
    ]
    first, last = write_table(
        ws, "tblPortfolio", cols, data, links={1: d.py_values(p["source_url"], "text")}
    )
    add_value_fills(ws, 6, first + 1, last, STATUS_FILLS)


def findings_sheet(
    ws: Worksheet, findings: pd.DataFrame, today: date, projects: pd.DataFrame | None = None
) -> None:
    """Open findings and those resolved in the last 30 days, each linked to its SharePoint item.

    The PPM is named as on the Portfolio sheet (the name the project lists carry, the e-mail
    when they carry none); the e-mail is a detail column, kept for filtering and mailing.
    """
    f = d.findings_for_sheet(findings, today)
    names = d.ppm_names(projects) if projects is not None else {}
    emails = d.py_values(f["ppm"], "text")
    first_seen = _optional(f, "first_seen", "datetime")
    resolved = d.py_values(f["resolved_on"], "datetime")
    cols = [
        Col("State", width=9),
        Col("Recommendation", INTEGER, width=16),
        Col("Severity", width=9),
        Col("Project", width=12, wrap=True),  # "NEXTGEN911" on one line
        Col("Entity", width=22, wrap=True),
        Col("PPM", width=18, wrap=True),
        Col("Portfolio", width=13, wrap=True),  # "Administration" unbroken
        Col("Message", width=56, wrap=True),
        Col("First seen (UTC)", DATETIME, width=16),
        Col("Resolved at (UTC)", DATETIME, width=16),
        Col("Days open", INTEGER, width=7),
        Col("Finding id", width=30),  # the details left to the screen
        Col("PPM e-mail"),
    ]
    data = [
        ["Open" if o else "Resolved" for o in f["is_open"].tolist()],
        d.py_values(f["recommendation"], "int"),
        [labels.label(v, labels.SEVERITY_LABELS) for v in d.py_values(f["severity"], "text")],
        d.py_values(f["project_key"], "text"),
        [d.entity_text(k) for k in d.py_values(f["entity_key"], "text")],
        [names.get(e, e) if e is not None else None for e in emails],
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
        emails,
    ]
    # The link sits on the entity cell: one column fewer on the largest sheet.
    first, last = write_table(
        ws, "tblFindings", cols, data, links={4: d.py_values(f["source_url"], "text")}
    )
    add_value_fills(ws, 3, first + 1, last, {"High": RED, "Medium": YELLOW, "Low": GREY})
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
        Col("Project key", width=12),
        Col("Project", width=36, wrap=True),
        Col("Change", width=24, wrap=True),
        Col("Before", width=40, wrap=True),
        Col("After", width=40, wrap=True),
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
    # Made into cells now: their number formats are set below, cell by cell.
    first, _last = write_table(ws, "tblChanges", cols, data, defer=False)
    # Amounts and dates in words people read: "$720,000", "2026-11-01", not 720000 or a serial.
    for r, change in enumerate(data[2]):
        for c in (4, 5):
            cell = ws.cell(row=first + 1 + r, column=c)
            if isinstance(cell.value, date):
                cell.number_format = DATE
            elif change == WATCHED_FIELDS["budget"] and type(cell.value) in (int, float):
                cell.number_format = CURRENCY


def _change_value(value: Any) -> Any:
    value = domain.na_to_python(value)
    if value is None:
        return None
    if isinstance(value, pd.Timestamp):
        value = value.tz_convert(None) if value.tzinfo else value
        return value.to_pydatetime()
    if isinstance(value, bool | int | float | str | date):
        return value
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    return str(value)


def workload_sheet(
    ws: Worksheet, projects: pd.DataFrame, open_findings: pd.DataFrame, rules: RulesConfig
) -> None:
    """Active projects and open findings per PPM, flagging more major projects in the load
    phases than the rules allow (``max_active_projects_per_ppm``), counted as R6 counts them."""
    w = d.ppm_workload(projects, open_findings, rules)
    cols = [
        Col("PPM"),
        Col("PPM e-mail"),
        Col("Contract PPM"),
        Col("Active projects", INTEGER),
        Col("Major projects in load", INTEGER),
        Col("All projects", INTEGER),
        Col("Active budget", CURRENCY),
        Col("Open findings", INTEGER),
        Col("High-severity open", INTEGER),
        Col(f"Over {rules.max_active_projects_per_ppm} major"),
    ]
    data = [
        d.py_values(w["ppm_name"].fillna(w["ppm"]), "text"),
        d.py_values(w["ppm"], "text"),
        d.py_values(w["contract"], "bool"),
        d.py_values(w["active"], "int"),
        d.py_values(w["load"], "int"),
        d.py_values(w["total"], "int"),
        d.py_values(w["active_budget"], "float"),
        d.py_values(w["open"], "int"),
        d.py_values(w["high"], "int"),
        d.py_values(w["over"], "bool"),
    ]
    first, last = write_table(ws, "tblWorkload", cols, data)
    add_value_fills(ws, len(cols), first + 1, last, {"Yes": RED})


def assets_sheet(
    ws: Worksheet,
    assets: pd.DataFrame,
    today: date,
    projects: pd.DataFrame,
    support: list[str] | None = None,
) -> None:
    """The inventory over its lifecycle, flagging end of support past or within 12 months.

    The PPM is the asset's own or, as the inventory rarely names one, its project's; named
    as on the Portfolio sheet, with the e-mail in a detail column. ``support``: each asset's
    ``excel_data.support_status`` when the caller has it (the Summary sheet counts it too).
    """
    eos = d.py_values(assets["end_of_support"], "date")
    # The printed columns first; the last six are left to the screen. The link sits on the
    # short "Asset" text, not the name: LibreOffice never wraps a linked cell, so a long name
    # with a link was clipped on paper ("My San Jose (SJ311) Salesforc").
    cols = [
        Col("Asset", width=22),
        Col("Name", width=24, wrap=True),
        Col("Kind", width=12),
        Col("Owner department", width=14, wrap=True),
        Col("Owner", width=18, wrap=True),
        Col("Lifecycle stage", width=10),
        Col("Support", width=22),
        Col("End of support", DATE),
        Col("Days to end of support", INTEGER, width=9),
        Col("Last reviewed", DATE),
        Col("Project", width=12),
        Col("PPM", width=18, wrap=True),
        Col("Vendor"),
        Col("Acquired", DATE),
        Col("Renewal", DATE),
        Col("Annual cost", CURRENCY),
        Col("Asset id"),
        Col("PPM e-mail"),
    ]
    urls = d.py_values(assets["source_url"], "text")
    ids = d.py_values(assets["asset_id"], "text")
    names = d.ppm_names(projects)
    emails = d.py_values(domain.asset_ppm(assets, projects), "text")
    data = [
        [d.entity_text(k) for k in ids],
        d.py_values(assets["name"], "text"),
        d.py_values(assets["kind"], "text"),
        d.py_values(assets["owner_department"], "text"),
        d.py_values(assets["owner"], "text"),
        d.py_values(assets["lifecycle_stage"], "text"),
        support if support is not None else d.support_status(assets, today),
        eos,
        [None if v is None else (v - today).days for v in eos],
        d.py_values(assets["last_reviewed"], "date"),
        d.py_values(assets["project_key"], "text"),
        [names.get(e, e) if e is not None else None for e in emails],
        d.py_values(assets["vendor"], "text"),
        d.py_values(assets["acquired"], "date"),
        d.py_values(assets["renewal"], "date"),
        d.py_values(assets["annual_cost"], "float"),
        ids,
        emails,
    ]
    first, last = write_table(ws, "tblAssets", cols, data, links={0: urls})
    add_value_fills(
        ws,
        7,
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
        Col("Site", width=18, wrap=True),
        Col("List", width=16, wrap=True),
        Col("Column", width=16, wrap=True),
        Col("Problems in column", INTEGER, width=9),
        Col("Problem", width=13, wrap=True),
        Col("Item id", INTEGER, width=7),
        Col("Raw value", width=34, wrap=True),
        Col("Reason", width=56, wrap=True),
    ]
    data = [
        d.py_values(q["source_site"], "text"),
        d.py_values(q["source_list"], "text"),
        d.py_values(q["column"], "text"),
        d.py_values(q["column_count"], "int"),
        [labels.label(v, labels.PROBLEM_LABELS) for v in d.py_values(problem, "text")],
        d.py_values(q["source_item_id"], "int"),
        d.py_values(q["raw_value"], "text"),
        d.py_values(q["reason"], "text"),
    ]
    write_table(ws, "tblQuarantine", cols, data)
