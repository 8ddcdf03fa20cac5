"""The consolidated lists on the hub site: their columns (the one definition) and their rows."""

from __future__ import annotations

import math
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from c3po_sync.model.tables import CanonicalTables
from c3po_sync.sinks.base import ColumnSpec, ListSpec

PHASES = ("Initiation", "Chartering", "Procurement", "Execution", "Release", "Sustain", "Closed")
STATUSES = ("Green", "Yellow", "Red")

PORTFOLIO = ListSpec(
    title="C3PO Portfolio",
    key_column="ProjectKey",
    description="One row per project across every PPM site, refreshed by C3PO Sync.",
    columns=(
        ColumnSpec("ProjectKey", "Project Key", "Text", indexed=True),
        ColumnSpec("Title", "Title", "Text"),
        ColumnSpec("Portfolio", "Portfolio", "Text"),
        ColumnSpec("PPM", "PPM", "Text"),
        ColumnSpec("PPMName", "PPM Name", "Text"),
        ColumnSpec("Phase", "Phase", "Choice", choices=PHASES),
        ColumnSpec("Status", "Status", "Choice", choices=STATUSES),
        ColumnSpec("StatusDate", "Status Date", "DateTime"),
        ColumnSpec("Budget", "Budget", "Currency"),
        ColumnSpec("StartDate", "Start Date", "DateTime"),
        ColumnSpec("TargetEnd", "Target End", "DateTime"),
        ColumnSpec("Departments", "Departments", "Text"),
        ColumnSpec("Methodology", "Methodology", "Text"),
        ColumnSpec("ITDLiaison", "ITD Liaison", "Text"),
        ColumnSpec("OpenFindings", "Open Findings", "Number"),
        ColumnSpec("SourceItem", "Source Item", "URL"),
        ColumnSpec("InSource", "In Source", "Boolean"),
        ColumnSpec("PPMComment", "PPM Comment", "Note", owned=False),
    ),
)

FINDINGS_LIST = ListSpec(
    title="C3PO Compliance Findings",
    key_column="FindingId",
    description="Every audit finding, open and resolved; never deleted.",
    columns=(
        ColumnSpec("FindingId", "Finding Id", "Text", indexed=True),
        ColumnSpec("Title", "Title", "Text"),
        ColumnSpec("RuleId", "Rule", "Text"),
        ColumnSpec("Recommendation", "Audit Recommendation", "Number"),
        ColumnSpec("Severity", "Severity", "Choice", choices=("high", "medium", "low")),
        ColumnSpec("ProjectKey", "Project Key", "Text"),
        ColumnSpec("PPM", "PPM", "Text"),
        ColumnSpec("Portfolio", "Portfolio", "Text"),
        ColumnSpec("Message", "Message", "Note"),
        ColumnSpec("State", "State", "Choice", choices=("Open", "Resolved")),
        ColumnSpec("FirstSeen", "First Seen", "DateTime"),
        ColumnSpec("ResolvedAt", "Resolved At", "DateTime"),
        ColumnSpec("Link", "Link", "URL"),
        ColumnSpec("AuditorNote", "Auditor Note", "Note", owned=False),
    ),
)

HUB_LISTS: tuple[ListSpec, ...] = (PORTFOLIO, FINDINGS_LIST)
PORTFOLIO_GONE: dict[str, Any] = {"InSource": False}
FINDING_GONE: dict[str, Any] = {"State": "Resolved"}


def _clean(v: Any) -> Any:
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    return v


def sp_date(v: Any, tz: ZoneInfo) -> str | None:
    """A date as SharePoint stores a date-only value: the UTC instant of site-local midnight."""
    v = _clean(v)
    if v is None:
        return None
    if isinstance(v, pd.Timestamp):
        v = v.to_pydatetime()
    if isinstance(v, datetime):
        v = v.astimezone(tz).date() if v.tzinfo else v.date()
    if not isinstance(v, date):
        raise TypeError(f"expected a date, got {v!r}")
    local = datetime.combine(v, time(0, 0), tzinfo=tz)
    return local.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ")


def _url(url: Any, text: str) -> dict[str, str] | None:
    url = _clean(url)
    return {"Url": str(url), "Description": text[:255]} if url else None


def portfolio_rows(
    tables: CanonicalTables, findings: pd.DataFrame, tz: ZoneInfo
) -> list[dict[str, Any]]:
    """One row per canonical project, with its count of open findings."""
    open_counts: dict[str, int] = {}
    if len(findings):
        is_open = findings["status"] != "resolved" if "status" in findings else True
        open_counts = findings[is_open].groupby("project_key").size().to_dict()
    rows = []
    for p in tables.projects.to_dict("records"):
        key = str(p["project_key"])
        deps = _clean(p["departments"]) or []
        rows.append(
            {
                "ProjectKey": key,
                "Title": _clean(p["title"]) or key,
                "Portfolio": _clean(p["portfolio"]),
                "PPM": _clean(p["ppm"]),
                "PPMName": _clean(p["ppm_name"]),
                "Phase": _clean(p["phase"]),
                "Status": _clean(p["status"]),
                "StatusDate": sp_date(p["status_date"], tz),
                "Budget": _clean(p["budget"]),
                "StartDate": sp_date(p["start_date"], tz),
                "TargetEnd": sp_date(p["target_end"], tz),
                "Departments": "; ".join(deps) or None,
                "Methodology": _clean(p["methodology"]),
                "ITDLiaison": _clean(p["itd_liaison"]),
                "OpenFindings": float(open_counts.get(key, 0)),
                "SourceItem": _url(p["source_url"], f"{p['source_site']} / {p['source_list']}"),
                "InSource": True,
            }
        )
    return rows


def findings_rows(history: pd.DataFrame, tz: ZoneInfo) -> list[dict[str, Any]]:
    """One row per finding ever raised; resolved ones stay, with their resolution date."""
    rows = []
    for f in history.to_dict("records"):
        resolved = _clean(f.get("status")) == "resolved"
        message = str(_clean(f["message"]) or "")
        rows.append(
            {
                "FindingId": str(f["finding_id"]),
                "Title": message[:255],
                "RuleId": _clean(f["rule_id"]),
                "Recommendation": float(f["recommendation"]),
                "Severity": _clean(f["severity"]),
                "ProjectKey": _clean(f["project_key"]),
                "PPM": _clean(f["ppm"]),
                "Portfolio": _clean(f["portfolio"]),
                "Message": message,
                "State": "Resolved" if resolved else "Open",
                "FirstSeen": sp_date(f.get("first_seen"), tz),
                "ResolvedAt": sp_date(f.get("resolved_at"), tz) if resolved else None,
                "Link": _url(f.get("source_url"), "Open the item"),
            }
        )
    return rows
