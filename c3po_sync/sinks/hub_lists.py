"""The consolidated lists on the hub site: their columns (the one definition) and their rows."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from c3po_sync.model import domain
from c3po_sync.model.schema import LIFECYCLE_STAGES, PHASES, STATUSES
from c3po_sync.model.tables import CanonicalTables
from c3po_sync.rules.config import REQUIRABLE_DOC_TYPES, RulesConfig
from c3po_sync.sinks.base import ColumnSpec, ListSpec

# A row whose source could not be re-read this run keeps its last good values and says since
# when and why (issue 11); blank on rows read this run. One definition, on every hub list.
NOT_REREAD_SINCE = ColumnSpec("NotRereadSince", "Not Re-read Since", "DateTime")
NOT_REREAD_REASON = ColumnSpec("NotRereadReason", "Not Re-read Reason", "Text")

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
        ColumnSpec("PPMPerson", "PPM Person", "User"),
        ColumnSpec("Phase", "Phase", "Choice", choices=PHASES),
        ColumnSpec("Status", "Status", "Choice", choices=STATUSES),
        ColumnSpec("StatusDate", "Status Date", "DateTime", date_only=True),
        ColumnSpec("Budget", "Budget", "Currency"),
        ColumnSpec("StartDate", "Start Date", "DateTime", date_only=True),
        ColumnSpec("TargetEnd", "Target End", "DateTime", date_only=True),
        ColumnSpec("Departments", "Departments", "Text"),
        ColumnSpec("Methodology", "Methodology", "Text"),
        ColumnSpec("ITDLiaison", "ITD Liaison", "Text"),
        ColumnSpec("OpenFindings", "Open Findings", "Number"),
        ColumnSpec("SourceItem", "Source Item", "URL"),
        ColumnSpec("InSource", "In Source", "Boolean"),
        NOT_REREAD_SINCE,
        NOT_REREAD_REASON,
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
        ColumnSpec("FirstSeen", "First Seen", "DateTime", date_only=True),
        ColumnSpec("ResolvedAt", "Resolved At", "DateTime", date_only=True),
        ColumnSpec("TimesReopened", "Times Reopened", "Number"),
        ColumnSpec("ReopenedAt", "Reopened At", "DateTime", date_only=True),
        ColumnSpec("Link", "Link", "URL"),
        NOT_REREAD_SINCE,
        NOT_REREAD_REASON,
        ColumnSpec("AuditorNote", "Auditor Note", "Note", owned=False),
    ),
)

DOC_TYPE_LABELS: dict[str, str] = dict(REQUIRABLE_DOC_TYPES)
DOC_STATES = ("Present", "Missing")

KNOWLEDGE = ListSpec(
    title="C3PO Knowledge Retention",
    key_column="RetentionKey",
    description="One row per project and key document its phase requires (audit rec 7): "
    "present or missing, where it is, when it was last modified.",
    columns=(
        ColumnSpec("RetentionKey", "Retention Key", "Text", indexed=True),
        ColumnSpec("Title", "Title", "Text"),
        ColumnSpec("ProjectKey", "Project Key", "Text"),
        ColumnSpec("ProjectTitle", "Project", "Text"),
        ColumnSpec("Portfolio", "Portfolio", "Text"),
        ColumnSpec("PPM", "PPM", "Text"),
        ColumnSpec("PPMPerson", "PPM Person", "User"),
        ColumnSpec("Phase", "Phase", "Choice", choices=PHASES),
        ColumnSpec(
            "DocumentType", "Document Type", "Choice", choices=tuple(DOC_TYPE_LABELS.values())
        ),
        ColumnSpec("RequiredFrom", "Required From", "Choice", choices=PHASES),
        ColumnSpec("DocumentState", "Document State", "Choice", choices=DOC_STATES),
        ColumnSpec("DocumentName", "Document Name", "Text"),
        ColumnSpec("Document", "Document", "URL"),
        ColumnSpec("LastModified", "Last Modified", "DateTime"),
        ColumnSpec("SourceItem", "Project Item", "URL"),
        ColumnSpec("InSource", "In Source", "Boolean"),
        NOT_REREAD_SINCE,
        NOT_REREAD_REASON,
        ColumnSpec("AuditorNote", "Auditor Note", "Note", owned=False),
    ),
)

ASSET_KINDS = ("Application", "Server", "Network", "Endpoint", "Cloud Service")
SUPPORT_STATES = (
    "Supported",
    "Ends within 12 months",
    "Past end of support",
    "No end-of-support date",
    "Retired",
)

ASSET_INVENTORY = ListSpec(
    title="C3PO Asset Inventory",
    key_column="AssetId",
    description="One row per IT asset with its lifecycle flags (audit rec 10).",
    columns=(
        ColumnSpec("AssetId", "Asset Id", "Text", indexed=True),
        ColumnSpec("Title", "Title", "Text"),
        ColumnSpec("AssetKind", "Asset Kind", "Choice", choices=ASSET_KINDS),
        ColumnSpec("Vendor", "Vendor", "Text"),
        ColumnSpec("OwnerDepartment", "Owner Department", "Text"),
        ColumnSpec("Owner", "Owner", "Text"),
        ColumnSpec("PPM", "PPM", "Text"),
        ColumnSpec("PPMPerson", "PPM Person", "User"),
        ColumnSpec("ProjectKey", "Project Key", "Text"),
        ColumnSpec("LifecycleStage", "Lifecycle Stage", "Choice", choices=LIFECYCLE_STAGES),
        ColumnSpec("Acquired", "Acquired", "DateTime", date_only=True),
        ColumnSpec("Renewal", "Renewal", "DateTime", date_only=True),
        ColumnSpec("EndOfSupport", "End Of Support", "DateTime", date_only=True),
        ColumnSpec("LastReviewed", "Last Reviewed", "DateTime", date_only=True),
        ColumnSpec("AnnualCost", "Annual Cost", "Currency"),
        ColumnSpec("Support", "Support", "Choice", choices=SUPPORT_STATES),
        ColumnSpec("PastEndOfSupport", "Past End Of Support", "Boolean"),
        ColumnSpec("EndsWithin12Months", "Support Ends Within 12 Months", "Boolean"),
        ColumnSpec("ReviewOverdue", "Review Overdue", "Boolean"),
        ColumnSpec("NoOwner", "No Owner", "Boolean"),
        ColumnSpec("SourceItem", "Source Item", "URL"),
        ColumnSpec("InSource", "In Source", "Boolean"),
        NOT_REREAD_SINCE,
        NOT_REREAD_REASON,
        ColumnSpec("InventoryNote", "Inventory Note", "Note", owned=False),
    ),
)

HUB_LISTS: tuple[ListSpec, ...] = (PORTFOLIO, FINDINGS_LIST, KNOWLEDGE, ASSET_INVENTORY)
PORTFOLIO_GONE: dict[str, Any] = {"InSource": False}
# A finding row the store does not know is left alone: a finding resolves only on evidence,
# with its resolved time (issue 11); the history is adopted from the hub first (state.adopt).
FINDING_GONE: dict[str, Any] = {}
KNOWLEDGE_GONE: dict[str, Any] = {"InSource": False}
ASSET_GONE: dict[str, Any] = {"InSource": False}


def not_reread(stale: Any | None) -> dict[str, Any]:
    """The two marking columns for a row: blank when read this run, else since when and why.

    ``stale`` is a ``pipeline.carry.StaleSource`` (duck-typed: ``since`` and ``note()``).
    """
    if stale is None:
        return {"NotRereadSince": None, "NotRereadReason": None}
    since = stale.since
    return {
        "NotRereadSince": _instant(since),
        "NotRereadReason": stale.note()[:255],
    }


def _clean(v: Any) -> Any:
    return domain.na_to_python(v)


def _grandfathered(projects: pd.DataFrame, rules: RulesConfig, rule_id: str) -> list[bool]:
    """Per project: finished before ``rule_id``'s policy took effect (model.domain), so the
    Knowledge Retention list neither asks for the document nor calls it missing."""
    effective = rules.policy_effective.get(rule_id)
    if effective is None:
        return [False] * len(projects)
    states = projects["state"] if "state" in projects.columns else None
    finished = domain.finished_projects(
        projects["phase"], rules.phases, rules.inactive_phases, states, rules.finished_states
    )
    gf = domain.grandfathered(finished, projects["actual_end"], effective)
    return gf.fillna(False).astype(bool).tolist()


def _state_types(rules: RulesConfig) -> list[str]:
    """Document types a halted state (state_documents) requires."""
    return [t for types in rules.state_documents.values() for t in types]


def sp_date(v: Any, tz: ZoneInfo) -> date | None:
    """The calendar date of a date-only column (an instant is taken in ``tz``).

    A date, not an instant: the list sink writes it as midnight in the hub's own regional time
    zone, which it reads from the hub (``m365/dates.py``); no zone is assumed here.
    """
    v = _clean(v)
    if v is None:
        return None
    if isinstance(v, pd.Timestamp):
        v = v.to_pydatetime()
    if isinstance(v, datetime):
        v = v.astimezone(tz).date() if v.tzinfo else v.date()
    if not isinstance(v, date):
        raise TypeError(f"expected a date, got {v!r}")
    return v


def _url(url: Any, text: str) -> dict[str, str] | None:
    url = _clean(url)
    return {"Url": str(url), "Description": text} if url else None  # the sink cuts what is long


def portfolio_rows(
    tables: CanonicalTables,
    findings: pd.DataFrame,
    tz: ZoneInfo,
    stale: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """One row per canonical project, with its count of open findings.

    ``stale``: project key -> the source not re-read that the row rests on.
    """
    stale = stale or {}
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
                "PPMPerson": _clean(p["ppm"]),
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
                **not_reread(stale.get(key)),
            }
        )
    return rows


def findings_rows(
    history: pd.DataFrame, tz: ZoneInfo, stale: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """One row per finding ever raised; resolved ones stay, with their resolution date.

    ``stale``: finding id -> the source not re-read that its evidence comes from.
    """
    stale = stale or {}
    rows = []
    for f in history.to_dict("records"):
        resolved = _clean(f.get("status")) == "resolved"
        message = str(_clean(f["message"]) or "")
        rows.append(
            {
                "FindingId": str(f["finding_id"]),
                "Title": message,  # cut to SharePoint's limit by the sink (sinks/limits.py)
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
                "TimesReopened": float(_clean(f.get("times_reopened")) or 0),
                "ReopenedAt": sp_date(f.get("reopened_at"), tz),
                "Link": _url(f.get("source_url"), "Open the item"),
                **not_reread(None if resolved else stale.get(str(f["finding_id"]))),
            }
        )
    return rows


def _instant(v: Any) -> str | None:
    """A point in time (e.g. a document's last modification) as UTC ISO text."""
    v = _clean(v)
    if v is None:
        return None
    ts = pd.Timestamp(v)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


def _latest_documents(tables: CanonicalTables) -> dict[tuple[str, str], dict[str, Any]]:
    """(project key, doc type) -> the most recently modified such document."""
    docs = tables.documents
    docs = docs[docs["project_key"].notna() & docs["doc_type"].notna()]
    if docs.empty:
        return {}
    docs = docs.sort_values("source_modified", na_position="first", kind="stable")
    latest = docs.drop_duplicates(["project_key", "doc_type"], keep="last")
    return {(str(d["project_key"]), str(d["doc_type"])): d for d in latest.to_dict("records")}


def _doc_link(doc: dict[str, Any]) -> dict[str, str] | None:
    """Absolute URL to the document; its server-relative path when the source gave none."""
    return _url(_clean(doc["source_url"]) or _clean(doc["path"]), str(_clean(doc["name"]) or ""))


def knowledge_rows(
    tables: CanonicalTables,
    rules: RulesConfig,
    tz: ZoneInfo,
    stale: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """One row per project and document type its phase requires (``required_documents``).

    A project whose phase is blank or not in the configured order requires nothing yet.
    ``stale``: project key -> the source not re-read that the row rests on.
    """
    stale = stale or {}
    projects = tables.projects
    needed = {
        t: domain.requires_document(
            projects["phase"],
            t,
            rules.required_documents,
            rules.phases,
            projects["state"] if "state" in projects.columns else None,
            rules.state_documents,
        ).tolist()
        for t in dict.fromkeys([*rules.required_from(), *_state_types(rules)])
    }
    for t in needed:  # a project finished before the policy asking for it is grandfathered
        spared = _grandfathered(projects, rules, "R7-" + t.replace("_", "-") + "-missing")
        needed[t] = [n and not g for n, g in zip(needed[t], spared, strict=True)]
    latest = _latest_documents(tables)
    halted = {s.casefold(): s for s in rules.state_documents}
    rows = []
    for i, p in enumerate(projects.to_dict("records")):
        phase = _clean(p["phase"])
        key = str(p["project_key"])
        state = halted.get(str(_clean(p.get("state")) or "").strip().casefold())
        for doc_type in needed:
            # A halted project's documents are its state's (model.domain.requires_document).
            from_phase = state or rules.required_from().get(doc_type)
            if not needed[doc_type][i]:
                continue
            label = DOC_TYPE_LABELS[doc_type]
            doc = latest.get((key, doc_type))
            rows.append(
                {
                    "RetentionKey": f"{key}/{doc_type}",
                    "Title": f"{key}: {label}",
                    "ProjectKey": key,
                    "ProjectTitle": _clean(p["title"]),
                    "Portfolio": _clean(p["portfolio"]),
                    "PPM": _clean(p["ppm"]),
                    "PPMPerson": _clean(p["ppm"]),
                    "Phase": phase,
                    "DocumentType": label,
                    "RequiredFrom": from_phase,
                    "DocumentState": "Present" if doc else "Missing",
                    "DocumentName": _clean(doc["name"]) if doc else None,
                    "Document": _doc_link(doc) if doc else None,
                    "LastModified": _instant(doc["source_modified"]) if doc else None,
                    "SourceItem": _url(p["source_url"], f"{p['source_site']} / {p['source_list']}"),
                    "InSource": True,
                    **not_reread(stale.get(key)),
                }
            )
    return rows


def asset_rows(
    tables: CanonicalTables,
    rules: RulesConfig,
    today: date,
    tz: ZoneInfo,
    stale: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """One row per asset with the lifecycle flags an auditor filters on (audit rec 10).

    ``stale``: asset id -> the source not re-read it was kept from.
    """
    stale = stale or {}
    assets = tables.assets
    if assets.empty:
        return []
    support = domain.support_status(assets["lifecycle_stage"], assets["end_of_support"], today)
    live = domain.live_assets(assets["lifecycle_stage"]).tolist()
    overdue = domain.review_overdue(
        assets["lifecycle_stage"], assets["last_reviewed"], today, rules.review_interval_days
    ).tolist()
    ppms = domain.asset_ppm(assets, tables.projects).tolist()
    rows = []
    for i, (a, state) in enumerate(zip(assets.to_dict("records"), support, strict=True)):
        stage = _clean(a["lifecycle_stage"])
        ppm = _clean(ppms[i])
        rows.append(
            {
                "AssetId": str(a["asset_id"]),
                "Title": _clean(a["name"]) or str(a["asset_id"]),
                "AssetKind": _clean(a["kind"]),
                "Vendor": _clean(a["vendor"]),
                "OwnerDepartment": _clean(a["owner_department"]),
                "Owner": _clean(a["owner"]),
                "PPM": ppm,
                "PPMPerson": ppm,
                "ProjectKey": _clean(a["project_key"]),
                "LifecycleStage": stage,
                "Acquired": sp_date(a["acquired"], tz),
                "Renewal": sp_date(a["renewal"], tz),
                "EndOfSupport": sp_date(a["end_of_support"], tz),
                "LastReviewed": sp_date(a["last_reviewed"], tz),
                "AnnualCost": _clean(a["annual_cost"]),
                "Support": state,
                "PastEndOfSupport": state == domain.PAST_EOS,
                "EndsWithin12Months": state == domain.ENDS_SOON,
                "ReviewOverdue": bool(overdue[i]),
                "NoOwner": live[i] and not _clean(a["owner"]),
                "SourceItem": _url(a["source_url"], f"{a['source_site']} / {a['source_list']}"),
                "InSource": True,
                **not_reread(stale.get(str(a["asset_id"]))),
            }
        )
    return rows
