"""The bad-input corpus: small mutations of the demo tenant, grouped into non-interfering runs."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

FIN, COM, PLAN, ITD = (
    "/sites/ppm-finance",
    "/sites/ppm-community",
    "/sites/ppm-planning",
    "/sites/itd",
)
FIN_L, COM_L, PLAN_L, ITD_L = "Project List", "Projects", "Projects", "IT Asset Inventory"
FIN_DOCS, COM_DOCS, PLAN_DOCS = "Documents", "Project Documents", "Project Documents"
MB = "x" * (1 << 20)
NO_MAIL = "svc.nomail@sanjoseca.gov"  # its e-mail is blanked after load (an account without mail)


@dataclass(frozen=True)
class Case:
    """One bad value: where it goes and what the run must make of it.

    ``expect`` is "quarantine" (a quarantine row at site/list/item/column holding the raw
    value), "accept" (``field`` of project/asset ``key`` equals ``value``), "drift" (the source
    fails with a located error naming ``column``) or "custom" (``check`` decides).
    """

    id: str
    group: str
    site: str
    list: str
    column: str
    raw: Any = None
    item: dict[str, Any] | None = None  # a new item's values (id assigned) or None: patch one
    patch_id: int | None = None
    expect: str = "quarantine"
    key: str | None = None  # the project/asset key whose row must still sync
    field: str | None = None
    value: Any = None
    check: Callable[..., None] | None = None
    file: dict[str, Any] | None = None
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)


def _fin(key: str | None, **v: Any) -> dict[str, Any]:
    base = {"Title": f"Bad input {key}", "Stage": "Execute", "Health": "On Track"}
    return base | ({"ProjectCode": key} if key is not None else {}) | v


def _com(key: str, **v: Any) -> dict[str, Any]:
    return {"Title": f"Bad input {key}", "Project_x0020_Key": key, "Phase": "Execution"} | v


def _plan(key: str, **v: Any) -> dict[str, Any]:
    return {"Title": f"Bad input {key}", "Key": key, "Phase": "Execution", "RAG": "G"} | v


def _asset(title: str, **v: Any) -> dict[str, Any]:
    return {"Title": title, "AssetType": "Application", "LifecycleStage": "In Service"} | v


def _q(cid: str, group: str, site: str, lst: str, col: str, raw: Any, item: dict, key: str | None):
    return Case(cid, group, site, lst, col, raw, item=item, key=key)


def _acc(cid: str, group: str, site: str, lst: str, col: str, item: dict, key: str, fld: str, v):
    return Case(cid, group, site, lst, col, item=item, expect="accept", key=key, field=fld, value=v)


def _fin_q(cid: str, col: str, raw: Any, key: str | None = None) -> Case:
    key = key or f"BI-{cid.upper()}"
    return _q(cid, "finance", FIN, FIN_L, col, raw, _fin(key, **{col: raw}), key)


def _fin_cost_ok(cid: str, raw: str, value: float) -> Case:
    key = f"BI-{cid.upper()}"
    return _acc(cid, "finance", FIN, FIN_L, "Cost", _fin(key, Cost=raw), key, "budget", value)


def _fin_text_ok(cid: str, col: str, fld: str, raw: str) -> Case:
    key = f"BI-{cid.upper()}"
    return _acc(cid, "finance", FIN, FIN_L, col, _fin(key, **{col: raw}), key, fld, raw)


def _doc(cid: str, group: str, site: str, lib: str, path: str, values: dict | None, **kw) -> Case:
    return Case(
        cid, group, site, lib, "FileLeafRef", path.rsplit("/", 1)[-1], expect="custom",
        file={"path": path, "size": 1024, "values": values or {}}, **kw,
    )  # fmt: skip


LONG_NAME = "L" * 245 + ".docx"  # 250 characters
RTL = "مشروع إدارة الضرائب \u200f🚀 פרויקט"
CONTROL = "Evil\x00\x01\x07\x1b[31m title\x7f"
ZERO_WIDTH = "Zero\u200b\u200c\u200dWidth\ufeff"

CASES: list[Case] = [
    # -- finance: a Text "Cost" column read as currency; choices typed by hand
    _fin_q("cost_letter_o", "Cost", "$1,2OO,000"),
    _fin_q("cost_tbd", "Cost", "TBD"),
    _fin_q("cost_dash", "Cost", "-"),
    _fin_q("cost_overflow", "Cost", "1e309"),
    _fin_q("cost_nan", "Cost", "NaN"),
    _fin_q("cost_inf", "Cost", "inf"),
    _fin_q("cost_range", "Cost", "$1,200,000 - $1,500,000"),
    _fin_q("cost_euro", "Cost", "€1.200.000"),
    _fin_q("cost_1mb", "Cost", "9" * 10 + MB),
    _fin_q("cost_nul", "Cost", "12\x0034"),
    _fin_cost_ok("cost_k", "$950K", 950_000.0),
    _fin_q("cost_parens", "Cost", "(1,000)"),  # negative budgets: quarantined (issue 12)
    _fin_q("cost_negative", "Cost", "-$250,000"),
    _fin_cost_ok("cost_usd_suffix", "1,200,000 USD", 1_200_000.0),
    _fin_q("stage_unknown", "Stage", "Planning"),
    _fin_q("health_unknown", "Health", "Amber"),
    _fin_q("approach_unknown", "Approach", "Kanban"),
    _fin_q("ppb_unknown", "PPBPriority", "P0 - Critical"),
    Case(
        "ppm_no_email",
        "finance",
        FIN,
        FIN_L,
        "PPM",
        NO_MAIL,
        item=_fin("BI-NOMAIL", PPM=NO_MAIL),
        key="BI-NOMAIL",
        extra={"raw": '{"EMail": "", "Title": "Service Account"}'},
    ),  # fmt: skip
    _acc(
        "ppm_null",
        "finance",
        FIN,
        FIN_L,
        "PPM",
        _fin("BI-PPM-NULL", PPM=None),
        "BI-PPM-NULL",
        "ppm",
        None,
    ),  # fmt: skip
    _acc(
        "key_spaces_case",
        "finance",
        FIN,
        FIN_L,
        "ProjectCode",
        _fin("  bi-trim  "),
        "BI-TRIM",
        "title",
        "Bad input   bi-trim",
    ),  # fmt: skip
    Case(
        "key_case_duplicate",
        "finance",
        FIN,
        FIN_L,
        "ProjectCode",
        "sj311",
        item=_fin("sj311"),
        key="SJ311",
        extra={"reason": "duplicate project key"},
    ),  # fmt: skip
    Case(
        "key_cross_site_duplicate",
        "finance",
        FIN,
        FIN_L,
        "ProjectCode",
        "CCAAS",
        item=_fin("CCAAS"),
        key="CCAAS",
        extra={"reason": "duplicate project key"},
    ),  # fmt: skip
    Case(
        "key_empty",
        "finance",
        FIN,
        FIN_L,
        "ProjectCode",
        "",
        item=_fin(""),
        extra={"reason": "no project key"},
    ),  # fmt: skip
    Case(
        "every_field_null",
        "finance",
        FIN,
        FIN_L,
        "ProjectCode",
        None,
        item={},
        extra={"reason": "no project key"},
    ),  # fmt: skip
    _acc(
        "key_only",
        "finance",
        FIN,
        FIN_L,
        "ProjectCode",
        {"ProjectCode": "BI-BARE"},
        "BI-BARE",
        "title",
        None,
    ),  # fmt: skip
    _fin_text_ok("title_rtl_emoji", "Title", "title", RTL),
    _fin_text_ok("title_zero_width", "Title", "title", ZERO_WIDTH),
    _fin_text_ok("vendor_1mb", "VendorName", "vendor", "V" + MB),
    _fin_text_ok("okrs_1mb_unicode", "OKRs", "metrics", "🎯 مقياس" * 60_000),
    Case(
        "title_control_chars",
        "finance",
        FIN,
        FIN_L,
        "Title",
        CONTROL,
        expect="custom",
        item=_fin("BI-CONTROL", Title=CONTROL),
        key="BI-CONTROL",
    ),  # fmt: skip
    _acc(
        "status_date_future",
        "finance",
        FIN,
        FIN_L,
        "LastStatusUpdate",
        _fin("BI-FUTURE", LastStatusUpdate="2027-12-31T17:00:00Z"),
        "BI-FUTURE",
        "status_date",
        "2027-12-31",
    ),  # fmt: skip
    _acc(
        "kickoff_dst_gap",
        "finance",
        FIN,
        FIN_L,
        "Kickoff",
        _fin("BI-DSTGAP", Kickoff="2026-03-08T10:30:00Z"),
        "BI-DSTGAP",
        "start_date",
        date(2026, 3, 8),
    ),  # fmt: skip
    # -- community: typed columns (currency, date-only, choices)
    _acc(
        "start_dst_spring",
        "community",
        COM,
        COM_L,
        "Start_x0020_Date",
        _com("BI-SPRING", Start_x0020_Date="2026-03-08"),
        "BI-SPRING",
        "start_date",
        date(2026, 3, 8),
    ),  # fmt: skip
    _acc(
        "start_dst_fall",
        "community",
        COM,
        COM_L,
        "Start_x0020_Date",
        _com("BI-FALL", Start_x0020_Date="2026-11-01"),
        "BI-FALL",
        "start_date",
        date(2026, 11, 1),
    ),  # fmt: skip
    _q(
        "budget_negative_currency",
        "community",
        COM,
        COM_L,
        "Budget",
        -500000,
        _com("BI-NEGCUR", Budget=-500000),
        "BI-NEGCUR",
    ),  # fmt: skip
    _q(
        "phase_unknown",
        "community",
        COM,
        COM_L,
        "Phase",
        "Phase 2",
        _com("BI-PHASE2", Phase="Phase 2"),
        "BI-PHASE2",
    ),  # fmt: skip
    _q(
        "status_lowercase",
        "community",
        COM,
        COM_L,
        "Status",
        "green!",
        _com("BI-GREEN", Status="green!"),
        "BI-GREEN",
    ),  # fmt: skip
    _acc(
        "sponsor_null",
        "community",
        COM,
        COM_L,
        "Sponsor",
        _com("BI-NOSPONSOR", Sponsor=None),
        "BI-NOSPONSOR",
        "sponsor",
        None,
    ),  # fmt: skip
    Case(
        "key_trailing_space_duplicate",
        "community",
        COM,
        COM_L,
        "Project_x0020_Key",
        "webrec ",
        item=_com("webrec "),
        key="WEBREC",
        extra={"reason": "duplicate project key"},
    ),  # fmt: skip
    _acc(
        "departments_unknown_choice",
        "community",
        COM,
        COM_L,
        "Departments",
        _com("BI-DEPT", Departments=["Ministry of Magic"]),
        "BI-DEPT",
        "departments",
        ["Ministry of Magic"],
    ),  # fmt: skip
    # -- planning: a Number cost, date-only dates, rank choices
    _q(
        "estimated_cost_negative",
        "planning",
        PLAN,
        PLAN_L,
        "EstimatedCost",
        -1,
        _plan("BI-NEGNUM", EstimatedCost=-1),
        "BI-NEGNUM",
    ),  # fmt: skip
    _q(
        "rag_amber",
        "planning",
        PLAN,
        PLAN_L,
        "RAG",
        "Amber",
        _plan("BI-AMBER", RAG="Amber"),
        "BI-AMBER",
    ),  # fmt: skip
    _q(
        "ppb_rank_4",
        "planning",
        PLAN,
        PLAN_L,
        "PPBRank",
        "4",
        _plan("BI-RANK4", PPBRank="4"),
        "BI-RANK4",
    ),  # fmt: skip
    _acc(
        "end_dst_fall_2025",
        "planning",
        PLAN,
        PLAN_L,
        "EndDate",
        _plan("BI-END", EndDate="2025-11-02"),
        "BI-END",
        "target_end",
        date(2025, 11, 2),
    ),
    _acc(
        "key_inner_space",
        "planning",
        PLAN,
        PLAN_L,
        "Key",
        _plan("BI PLAN"),
        "BI PLAN",
        "title",
        "Bad input BI PLAN",
    ),  # fmt: skip
    # -- documents: hostile file names, links to projects that are gone, unknown types
    _doc("file_reserved_name", "documents", FIN, FIN_DOCS, "FMS/CON.docx", None, key="FMS"),
    _doc("file_250_chars", "documents", FIN, FIN_DOCS, "FMS/" + LONG_NAME, None, key="FMS"),
    _doc(
        "file_hash_percent_amp",
        "documents",
        FIN,
        FIN_DOCS,
        "FMS/FMS Charter #1 100% R&D.docx",
        None,
        key="FMS",
        extra={"doc_type": "charter"},
    ),  # fmt: skip
    _doc(
        "file_formula_name",
        "documents",
        FIN,
        FIN_DOCS,
        "FMS/=cmd|' /C calc'!A0.docx",
        None,
        key="FMS",
    ),  # fmt: skip
    _doc("file_dotdot", "documents", FIN, FIN_DOCS, "FMS/../evil.docx", None, key="FMS"),
    _doc(
        "file_rtl_override",
        "documents",
        FIN,
        FIN_DOCS,
        "FMS/FMS \u202excod.exe.docx",
        None,
        key="FMS",
    ),  # fmt: skip
    _doc(
        "file_link_deleted_project",
        "documents",
        PLAN,
        PLAN_DOCS,
        "GHOST Project Charter.docx",
        {"ProjectKey": "GHOST", "DocType": "Charter"},
        key="GHOST",
        extra={"reported": "GHOST"},
    ),  # fmt: skip
    _doc(
        "file_unknown_doc_type",
        "documents",
        PLAN,
        PLAN_DOCS,
        "FLEET Memo.docx",
        {"ProjectKey": "FLEET", "DocType": "Memo"},
        key="FLEET",
        extra={"quarantine_column": "DocType"},
    ),  # fmt: skip
    _doc(
        "file_key_case_spaces",
        "documents",
        PLAN,
        PLAN_DOCS,
        "fleet notes.docx",
        {"ProjectKey": " fleet ", "DocType": "Other"},
        key="FLEET",
    ),  # fmt: skip
    _doc(
        "file_folder_of_no_project",
        "documents",
        COM,
        COM_DOCS,
        "ZOMBIE/ZOMBIE Charter.docx",
        {"Document_x0020_Type": "Charter"},
        key=None,
    ),  # fmt: skip
    # -- the IT asset inventory
    _q(
        "asset_stage_unknown",
        "assets",
        ITD,
        ITD_L,
        "LifecycleStage",
        "Zombie",
        _asset("BI zombie", LifecycleStage="Zombie"),
        None,
    ),  # fmt: skip
    _q(
        "asset_type_unknown",
        "assets",
        ITD,
        ITD_L,
        "AssetType",
        "Mainframe",
        _asset("BI mainframe", AssetType="Mainframe"),
        None,
    ),  # fmt: skip
    Case(
        "asset_owner_null",
        "assets",
        ITD,
        ITD_L,
        "AssetOwner",
        item=_asset("BI no owner"),
        expect="custom",
    ),  # fmt: skip
    Case(
        "asset_owner_no_email",
        "assets",
        ITD,
        ITD_L,
        "AssetOwner",
        NO_MAIL,
        item=_asset("BI svc owner", AssetOwner=NO_MAIL),
        extra={"raw": '{"EMail": "", "Title": "Service Account"}'},
    ),  # fmt: skip
    Case(
        "asset_negative_cost",
        "assets",
        ITD,
        ITD_L,
        "AnnualCost",
        -5,
        item=_asset("BI negative", AnnualCost=-5),
        expect="custom",
    ),  # fmt: skip
    Case(
        "asset_project_deleted",
        "assets",
        ITD,
        ITD_L,
        "RelatedProject",
        "GHOST",
        item=_asset("BI ghost", RelatedProject="GHOST"),
        expect="custom",
    ),  # fmt: skip
    Case(
        "asset_eos_dst",
        "assets",
        ITD,
        ITD_L,
        "EndOfSupport",
        "2026-03-08",
        item=_asset("BI eos", EndOfSupport="2026-03-08"),
        expect="custom",
    ),  # fmt: skip
    # -- schema drift: a mapped column renamed or deleted (each on its own source)
    Case("drift_renamed_column", "drift", FIN, FIN_L, "Cost", expect="drift"),
    Case("drift_deleted_column", "drift", PLAN, PLAN_L, "RAG", expect="drift"),
    Case("drift_renamed_asset_column", "drift", ITD, ITD_L, "LifecycleStage", expect="drift"),
    Case("drift_display_title_only", "community", COM, COM_L, "Budget", expect="custom"),
    # -- empty sources
    Case("empty_project_list", "empty", PLAN, PLAN_L, "", expect="custom"),
    Case("empty_asset_list", "empty", ITD, ITD_L, "", expect="custom"),
    Case("empty_library", "empty", COM, COM_DOCS, "", expect="custom"),
]
