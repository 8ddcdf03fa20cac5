"""The consolidated lists on the hub site: their columns (the one definition) and their rows."""

from __future__ import annotations

import dataclasses
import re
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from c3po_sync.model import domain
from c3po_sync.model.schema import LIFECYCLE_STAGES, PHASES, PROJECT_STATES, STATUSES
from c3po_sync.model.tables import CanonicalTables
from c3po_sync.rules.config import REQUIRABLE_DOC_TYPES, RulesConfig
from c3po_sync.sinks.base import ColumnSpec, ListSpec, ViewSpec

# A row whose source could not be re-read this run keeps its last good values and says since
# when and why (issue 11); blank on rows read this run. One definition, on every hub list.
NOT_REREAD_SINCE = ColumnSpec("NotRereadSince", "Not Re-read Since", "DateTime")
NOT_REREAD_REASON = ColumnSpec("NotRereadReason", "Not Re-read Reason", "Text")
# People as people (issue 14): SharePoint's [Me] filters, people cards and Teams mentions need
# Person columns; the e-mail Text columns stay beside them for exports and for people the site
# cannot resolve (reported as data quality by the sink, never dropped).
PPM_PERSON = ColumnSpec("PPMPerson", "PPM Person", "User")
SUPERVISING_PPM_PERSON = ColumnSpec("SupervisingPPMPerson", "Supervising PPM", "User")
PRODUCT_OWNER_PERSON = ColumnSpec("ProductOwnerPerson", "Product Owner", "User")
ASSET_OWNER_PERSON = ColumnSpec("AssetOwnerPerson", "Asset Owner", "User")

# A halted project's documents are required from its state (Cancelled, On hold), not a phase.
HALTED_STATES = tuple(s for s in PROJECT_STATES if s != "Active")


def _eq(column: str, value: str, kind: str = "Text") -> str:
    return f'<Eq><FieldRef Name="{column}"/><Value Type="{kind}">{value}</Value></Eq>'


# Views a PPM and an auditor expect (issue 14). CAML as SharePoint stores it in SP.View.ViewQuery;
# <UserID/> is SharePoint's [Me], <Today OffsetDays="n"/> is relative to the day the view opens.
OPEN = _eq("State", "Open", "Choice")
MY_OPEN_FINDINGS = ViewSpec(
    "My open findings",
    ("LinkTitle", "Severity", "ProjectKey", "Recommendation", "FirstSeen", "Link"),
    '<Where><And><Eq><FieldRef Name="PPMPerson" LookupId="TRUE"/>'
    '<Value Type="Integer"><UserID Type="Integer"/></Value></Eq>'
    f"{OPEN}</And></Where>"
    '<OrderBy><FieldRef Name="Severity"/><FieldRef Name="FirstSeen"/></OrderBy>',
)
OPEN_BY_RECOMMENDATION = ViewSpec(
    "Open by recommendation",
    ("LinkTitle", "Severity", "ProjectKey", "PPMPerson", "FirstSeen", "Link"),
    '<GroupBy Collapse="FALSE" GroupLimit="30"><FieldRef Name="Recommendation"/></GroupBy>'
    f"<Where>{OPEN}</Where>",
)
MISSING_KEY_DOCUMENTS = ViewSpec(
    "Missing key documents",
    ("LinkTitle", "ProjectTitle", "DocumentType", "Phase", "PPMPerson", "SourceItem"),
    f"<Where>{_eq('DocumentState', 'Missing', 'Choice')}</Where>"
    '<OrderBy><FieldRef Name="ProjectKey"/></OrderBy>',
)
DUE_WITHIN_30_DAYS = ViewSpec(
    "Due within 30 days",
    ("LinkTitle", "ProjectKey", "PPMPerson", "Phase", "Status", "TargetEnd", "OpenFindings"),
    '<Where><And><Geq><FieldRef Name="TargetEnd"/><Value Type="DateTime"><Today/></Value></Geq>'
    '<Leq><FieldRef Name="TargetEnd"/><Value Type="DateTime"><Today OffsetDays="30"/></Value>'
    '</Leq></And></Where><OrderBy><FieldRef Name="TargetEnd"/></OrderBy>',
)
RESOLVED_THIS_QUARTER = "Resolved this quarter"


def resolved_this_quarter(today: date) -> ViewSpec:
    """CAML has no "this quarter": the view carries the quarter's first day, and provisioning
    moves it on when a run falls in a new quarter (``list_views.ensure_views``)."""
    start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1).isoformat()
    return ViewSpec(
        RESOLVED_THIS_QUARTER,
        ("LinkTitle", "ProjectKey", "PPMPerson", "Recommendation", "ResolvedAt", "Link"),
        f"<Where><And>{_eq('State', 'Resolved', 'Choice')}"
        '<Geq><FieldRef Name="ResolvedAt"/><Value Type="DateTime" IncludeTimeValue="FALSE">'
        f"{start}</Value></Geq></And></Where>"
        '<OrderBy><FieldRef Name="ResolvedAt" Ascending="FALSE"/></OrderBy>',
    )


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
        PPM_PERSON,
        SUPERVISING_PPM_PERSON,
        PRODUCT_OWNER_PERSON,
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
        ColumnSpec("Dashboard", "Dashboard", "URL"),  # the council/public dashboard (issue 19)
        ColumnSpec("PPMComment", "PPM Comment", "Note", owned=False),
    ),
    views=(DUE_WITHIN_30_DAYS,),
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
        PPM_PERSON,
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
    views=(MY_OPEN_FINDINGS, OPEN_BY_RECOMMENDATION),
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
        PPM_PERSON,
        ColumnSpec("Phase", "Phase", "Choice", choices=PHASES),
        ColumnSpec(
            "DocumentType", "Document Type", "Choice", choices=tuple(DOC_TYPE_LABELS.values())
        ),
        ColumnSpec("RequiredFrom", "Required From", "Choice", choices=PHASES + HALTED_STATES),
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
    views=(MISSING_KEY_DOCUMENTS,),
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
        ASSET_OWNER_PERSON,
        ColumnSpec("PPM", "PPM", "Text"),
        PPM_PERSON,
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


def as_of(spec: ListSpec, today: date) -> ListSpec:
    """``spec`` with the views whose query depends on the run's day (the findings list's
    "Resolved this quarter"); other lists are returned as they are."""
    if spec.title != FINDINGS_LIST.title:
        return spec
    return dataclasses.replace(spec, views=(*spec.views, resolved_this_quarter(today)))


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
    v = domain.na_to_python(v)
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
    url = domain.na_to_python(url)
    return {"Url": str(url), "Description": text} if url else None  # the sink cuts what is long


def open_counts(findings: pd.DataFrame) -> dict[Any, int]:
    """Project key -> its open findings (the Portfolio list's OpenFindings)."""
    if not len(findings):
        return {}
    is_open = findings["status"] != "resolved" if "status" in findings else True
    return dict(findings[is_open].groupby("project_key").size().to_dict())


def portfolio_rows(
    tables: CanonicalTables,
    findings: pd.DataFrame,
    tz: ZoneInfo,
    stale: dict[str, Any] | None = None,
    dashboard: str | None = None,
) -> list[dict[str, Any]]:
    """One row per canonical project, with its count of open findings.

    ``stale``: project key -> the source not re-read that the row rests on; ``dashboard``: the
    URL of the dashboard page, linked from every row.
    """
    stale = stale or {}
    counts = open_counts(findings)
    rows = []
    for p in tables.projects.to_dict("records"):
        key = str(p["project_key"])
        deps = domain.na_to_python(p["departments"]) or []
        rows.append(
            {
                "ProjectKey": key,
                "Title": domain.na_to_python(p["title"]) or key,
                "Portfolio": domain.na_to_python(p["portfolio"]),
                "PPM": domain.na_to_python(p["ppm"]),
                "PPMName": domain.na_to_python(p["ppm_name"]),
                "PPMPerson": domain.na_to_python(p["ppm"]),
                "SupervisingPPMPerson": domain.na_to_python(p["supervising_ppm"]),
                "ProductOwnerPerson": domain.na_to_python(p["product_owner"]),
                "Phase": domain.na_to_python(p["phase"]),
                "Status": domain.na_to_python(p["status"]),
                "StatusDate": sp_date(p["status_date"], tz),
                "Budget": domain.na_to_python(p["budget"]),
                "StartDate": sp_date(p["start_date"], tz),
                "TargetEnd": sp_date(p["target_end"], tz),
                "Departments": "; ".join(deps) or None,
                "Methodology": domain.na_to_python(p["methodology"]),
                "ITDLiaison": domain.na_to_python(p["itd_liaison"]),
                "OpenFindings": float(counts.get(key, 0)),
                "SourceItem": _url(p["source_url"], f"{p['source_site']} / {p['source_list']}"),
                "InSource": True,
                **not_reread(stale.get(key)),
                "Dashboard": _url(dashboard, "C3PO dashboard"),
            }
        )
    return rows


def fix_link_text(url: Any) -> str:
    """What a finding's link opens: the item's edit form, a library folder, or the item."""
    text = str(domain.na_to_python(url) or "")
    if "/EditForm.aspx" in text:
        return "Edit the item"
    if text and not re.search(r"\.aspx|\.[A-Za-z0-9]{2,5}$", text.split("?")[0]):
        return "Open the folder"
    return "Open the item"


# What a Compliance Findings row reads of its finding (``findings_rows``): a row changes only
# when one of these does (``pipeline/hub_plan.py`` rebuilds only the findings whose values of
# these moved; not ``last_seen`` nor the run ids, which move on every evaluate).
FINDING_COLUMNS = (
    "finding_id", "message", "rule_id", "recommendation", "severity", "project_key", "ppm",
    "portfolio", "status", "first_seen", "resolved_at", "times_reopened", "reopened_at",
    "source_url",
)  # fmt: skip


def findings_rows(
    history: pd.DataFrame, tz: ZoneInfo, stale: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """One row per finding ever raised; resolved ones stay, with their resolution date.

    ``stale``: finding id -> the source not re-read that its evidence comes from.
    """
    stale = stale or {}
    rows = []
    for f in history.to_dict("records"):
        resolved = domain.na_to_python(f.get("status")) == "resolved"
        message = str(domain.na_to_python(f["message"]) or "")
        rows.append(
            {
                "FindingId": str(f["finding_id"]),
                "Title": message,  # cut to SharePoint's limit by the sink (sinks/limits.py)
                "RuleId": domain.na_to_python(f["rule_id"]),
                "Recommendation": float(f["recommendation"]),
                "Severity": domain.na_to_python(f["severity"]),
                "ProjectKey": domain.na_to_python(f["project_key"]),
                "PPM": domain.na_to_python(f["ppm"]),
                "PPMPerson": domain.na_to_python(f["ppm"]),
                "Portfolio": domain.na_to_python(f["portfolio"]),
                "Message": message,
                "State": "Resolved" if resolved else "Open",
                "FirstSeen": sp_date(f.get("first_seen"), tz),
                "ResolvedAt": sp_date(f.get("resolved_at"), tz) if resolved else None,
                "TimesReopened": float(domain.na_to_python(f.get("times_reopened")) or 0),
                "ReopenedAt": sp_date(f.get("reopened_at"), tz),
                "Link": _url(f.get("source_url"), fix_link_text(f.get("source_url"))),
                **not_reread(None if resolved else stale.get(str(f["finding_id"]))),
            }
        )
    return rows


def _instant(v: Any) -> str | None:
    """A point in time (e.g. a document's last modification) as UTC ISO text."""
    v = domain.na_to_python(v)
    if v is None:
        return None
    ts = pd.Timestamp(v)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


# What a Knowledge Retention row reads of a document (``knowledge_rows``, ``_doc_link``).
_DOC_COLUMNS = ("project_key", "doc_type", "source_modified", "name", "source_url", "path")


def _latest_documents(tables: CanonicalTables) -> dict[tuple[str, str], dict[str, Any]]:
    """(project key, doc type) -> the most recently modified such document (the columns a
    row reads: the documents table is the tenant's largest, and sorting a copy of all its
    columns cost ~40 MB at 4x city size)."""
    docs = tables.documents
    wanted = docs["project_key"].notna() & docs["doc_type"].notna()
    docs = docs.loc[wanted, [c for c in _DOC_COLUMNS if c in docs.columns]]
    if docs.empty:
        return {}
    docs = docs.sort_values("source_modified", na_position="first", kind="stable")
    latest = docs.drop_duplicates(["project_key", "doc_type"], keep="last")
    return {(str(d["project_key"]), str(d["doc_type"])): d for d in latest.to_dict("records")}


def _doc_link(doc: dict[str, Any]) -> dict[str, str] | None:
    """Absolute URL to the document; its server-relative path when the source gave none."""
    return _url(
        domain.na_to_python(doc["source_url"]) or domain.na_to_python(doc["path"]),
        str(domain.na_to_python(doc["name"]) or ""),
    )


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
        phase = domain.na_to_python(p["phase"])
        key = str(p["project_key"])
        state = halted.get(str(domain.na_to_python(p.get("state")) or "").strip().casefold())
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
                    "ProjectTitle": domain.na_to_python(p["title"]),
                    "Portfolio": domain.na_to_python(p["portfolio"]),
                    "PPM": domain.na_to_python(p["ppm"]),
                    "PPMPerson": domain.na_to_python(p["ppm"]),
                    "Phase": phase,
                    "DocumentType": label,
                    "RequiredFrom": from_phase,
                    "DocumentState": "Present" if doc else "Missing",
                    "DocumentName": domain.na_to_python(doc["name"]) if doc else None,
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
        stage = domain.na_to_python(a["lifecycle_stage"])
        ppm = domain.na_to_python(ppms[i])
        rows.append(
            {
                "AssetId": str(a["asset_id"]),
                "Title": domain.na_to_python(a["name"]) or str(a["asset_id"]),
                "AssetKind": domain.na_to_python(a["kind"]),
                "Vendor": domain.na_to_python(a["vendor"]),
                "OwnerDepartment": domain.na_to_python(a["owner_department"]),
                "Owner": domain.na_to_python(a["owner"]),
                "AssetOwnerPerson": domain.na_to_python(a["owner"]),
                "PPM": ppm,
                "PPMPerson": ppm,
                "ProjectKey": domain.na_to_python(a["project_key"]),
                "LifecycleStage": stage,
                "Acquired": sp_date(a["acquired"], tz),
                "Renewal": sp_date(a["renewal"], tz),
                "EndOfSupport": sp_date(a["end_of_support"], tz),
                "LastReviewed": sp_date(a["last_reviewed"], tz),
                "AnnualCost": domain.na_to_python(a["annual_cost"]),
                "Support": state,
                "PastEndOfSupport": state == domain.PAST_EOS,
                "EndsWithin12Months": state == domain.ENDS_SOON,
                "ReviewOverdue": bool(overdue[i]),
                "NoOwner": live[i] and not domain.na_to_python(a["owner"]),
                "SourceItem": _url(a["source_url"], f"{a['source_site']} / {a['source_list']}"),
                "InSource": True,
                **not_reread(stale.get(str(a["asset_id"]))),
            }
        )
    return rows
