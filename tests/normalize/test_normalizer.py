"""Records -> canonical tables: values, quarantine, duplicate keys, documents, demo tenant."""

from __future__ import annotations

import textwrap
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest

from c3po_sync.model.schema import ASSETS, DOCUMENTS, PROJECTS, QUARANTINE
from c3po_sync.normalize import load_mappings, normalize
from c3po_sync.sources.base import FieldInfo, RawRecord, SourceBatch, SourceRef

ROOT = Path(__file__).resolve().parents[2]
LA = "America/Los_Angeles"
FIN = SourceRef("/sites/ppm-finance", "Project List", "list")
COM = SourceRef("/sites/ppm-community", "Projects", "list")
PLAN = SourceRef("/sites/ppm-planning", "Projects", "list")
FIN_DOCS = SourceRef("/sites/ppm-finance", "Documents", "library")
PLAN_DOCS = SourceRef("/sites/ppm-planning", "Project Documents", "library")
ITD = SourceRef("/sites/itd", "IT Asset Inventory", "list")


@pytest.fixture(scope="module")
def demo_mappings():
    return load_mappings(ROOT / "mappings")


def person(name: str, email: str) -> dict:
    return {"__metadata": {"type": "SP.Data.UserInfoItem"}, "Title": name, "EMail": email}


def fin_item(item_id: int, code: str, **over) -> RawRecord:
    values = {
        "Title": f"Project {code}",
        "ProjectCode": code,
        "PPM": person("Maria Lopez", "maria.lopez@sanjoseca.gov"),
        "ContractPPM": False,
        "PPMSupervisor": None,
        "Depts": "Finance; Information Technology",
        "Cost": "$1,200,000",
        "Kickoff": "2026-01-15T08:00:00Z",
        "GoLive": "2026-07-01T07:00:00Z",
        "Stage": "Execute",
        "Health": "At Risk",
        "LastStatusUpdate": "2026-10-02T07:00:00Z",
        "Approach": "Agile",
        "Sensitive": True,
        "Customized": False,
        "VendorName": "Acme",
    }
    values.update(over)
    return RawRecord(
        item_id,
        values,
        etag=f'"{item_id}"',
        modified="2026-10-02T17:00:00Z",
        url=f"https://city.sharepoint.com/sites/ppm-finance/Lists/ProjectList/DispForm.aspx?ID={item_id}",
    )


def batch(ref: SourceRef, records: list[RawRecord]) -> SourceBatch:
    return SourceBatch(ref, [], records, time_zone=LA)


def quarantine_for(q: pd.DataFrame, item_id: int, column: str) -> pd.Series:
    rows = q[(q.source_item_id == item_id) & (q.column == column)]
    assert len(rows) == 1, q.to_string()
    return rows.iloc[0]


def test_values_become_canonical_with_schema_dtypes(demo_mappings):
    out = normalize([batch(FIN, [fin_item(1, " tms ")])], demo_mappings)
    p = out.projects.iloc[0]
    assert p.project_key == "TMS"
    assert p.ppm == "maria.lopez@sanjoseca.gov" and p.ppm_name == "Maria Lopez"
    assert p.budget == 1_200_000.0
    assert p.departments == ["Finance", "Information Technology"]
    assert p.start_date == date(2026, 1, 15) and p.target_end == date(2026, 7, 1)
    assert (p.phase, p.status, p.methodology) == ("Execution", "Yellow", "Agile")
    assert p.portfolio == "Finance & Administration"
    assert pd.isna(p.supervising_ppm)
    assert (p.source_site, p.source_list, p.source_item_id, p.source_etag) == (
        "/sites/ppm-finance",
        "Project List",
        1,
        '"1"',
    )
    assert p.source_modified == pd.Timestamp(datetime(2026, 10, 2, 17, tzinfo=UTC))
    assert p.source_url.endswith("DispForm.aspx?ID=1")
    assert list(out.projects.columns) == PROJECTS.column_names
    assert out.projects.dtypes.to_dict() == PROJECTS.empty().dtypes.to_dict()
    assert out.quarantine.empty


def test_bad_values_are_quarantined_and_the_rest_of_the_row_kept(demo_mappings):
    long_cost = "x" * 500
    records = [
        fin_item(7, "FMS", Cost="TBD", Health="Blue", PPM=person("All Staff", "")),
        fin_item(8, "REVUP", Cost=long_cost),
    ]
    out = normalize([batch(FIN, records)], demo_mappings)
    q = out.quarantine
    assert list(q.columns) == QUARANTINE.column_names
    cost = quarantine_for(q, 7, "Cost")
    assert (cost.source_site, cost.source_list, cost.raw_value) == (
        "/sites/ppm-finance",
        "Project List",
        "TBD",
    )
    assert cost.reason.startswith("budget: not an amount: 'TBD'")
    assert quarantine_for(q, 7, "Health").reason == (
        "status: unknown value 'Blue' for status (map it in mappings/ppm-finance.yaml); "
        "kept as typed (allowed: Green, Yellow, Red)"
    )
    ppm = q[(q.source_item_id == 7) & (q.column == "PPM")]
    assert set(ppm.reason.str.split(":").str[0]) == {"ppm"}  # ppm_name still has the name
    raw = quarantine_for(q, 8, "Cost").raw_value
    assert len(raw) == 200 and raw.startswith("xxx")
    fms = out.projects.set_index("project_key").loc["FMS"]
    assert pd.isna(fms.budget) and pd.isna(fms.ppm)
    assert fms.status == "Blue"  # an unknown choice is kept as typed, and reported
    assert fms.ppm_name == "All Staff"
    assert fms.title == "Project FMS" and fms.phase == "Execution"  # the rest is kept


def test_a_bad_modified_stamp_is_quarantined_not_fatal(demo_mappings):
    rec = fin_item(1, "BTA")
    rec.modified = "yesterday"
    out = normalize([batch(FIN, [rec])], demo_mappings)
    assert pd.isna(out.projects.source_modified.iloc[0])
    assert quarantine_for(out.quarantine, 1, "Modified").raw_value == "yesterday"


def test_rows_without_a_project_key_are_quarantined(demo_mappings):
    out = normalize(
        [batch(FIN, [fin_item(3, "  "), fin_item(4, None), fin_item(5, "BTA")])], demo_mappings
    )
    assert out.projects.project_key.tolist() == ["BTA"]
    assert sorted(out.quarantine.source_item_id.tolist()) == [3, 4]
    assert set(out.quarantine.column) == {"ProjectCode"}
    assert set(out.quarantine.reason) == {"no project key; row dropped"}


def test_duplicate_keys_keep_the_first_source_and_name_both(demo_mappings):
    com = RawRecord(2, {"Title": "Body cams", "Project_x0020_Key": "BODYCAM", "Status": "Green"})
    plan = RawRecord(9, {"Title": "Body cams (planning)", "Key": "bodycam", "RAG": "R"})
    # batches arrive in any order; mapping order (file name, then position) decides
    out = normalize([batch(PLAN, [plan]), batch(COM, [com])], demo_mappings)
    (p,) = out.projects.itertuples()
    assert (p.source_site, p.title, p.status) == ("/sites/ppm-community", "Body cams", "Green")
    (q,) = out.quarantine.itertuples()
    assert (q.source_site, q.source_item_id, q.column, q.raw_value) == (
        "/sites/ppm-planning",
        9,
        "Key",
        "bodycam",  # as SharePoint sent it, so the report points at the cell
    )
    assert q.reason == (
        "duplicate project key 'BODYCAM': kept /sites/ppm-community/Projects item 2; "
        "dropped /sites/ppm-planning/Projects item 9"
    )


def doc(item_id: int, ref: str, **values) -> RawRecord:
    return RawRecord(
        item_id,
        {
            "FileRef": ref,
            "FileLeafRef": ref.rsplit("/", 1)[1],
            "FSObjType": 0,
            "File_x0020_Size": "1234",
            "Editor": person("Linh Tran", "linh.tran@sanjoseca.gov"),
            **values,
        },
        etag='"1"',
        modified="2026-10-01T12:00:00Z",
    )


def test_finance_documents_link_by_folder_then_name_and_classify_by_pattern(demo_mappings):
    root = "/sites/ppm-finance/Shared Documents"
    records = [
        doc(1, f"{root}/BTA/BTA Project Charter v2.docx"),
        doc(2, f"{root}/BTA/Contracts/Charter Amendment 1.docx"),
        doc(3, f"{root}/Archive/FMS_Commitment_Sign-off.pdf"),  # folder unknown: name links
        doc(4, f"{root}/Loose notes.txt"),
        RawRecord(5, {"FileRef": f"{root}/BTA", "FileLeafRef": "BTA", "FSObjType": 1}),
        doc(6, f"{root}/FMS/Lessons Learned.docx"),
        doc(7, f'{root}/FMS/=HYPERLINK("x").xlsx'),
    ]
    projects = [fin_item(1, "BTA"), fin_item(2, "FMS")]
    out = normalize([batch(FIN_DOCS, records), batch(FIN, projects)], demo_mappings)
    d = out.documents.set_index("source_item_id")
    assert 5 not in d.index  # folders are not documents
    assert d.loc[1, ["project_key", "doc_type"]].tolist() == ["BTA", "charter"]
    assert d.loc[2, ["project_key", "doc_type"]].tolist() == ["BTA", "charter_amendment"]
    assert d.loc[3, ["project_key", "doc_type"]].tolist() == ["FMS", "commitment_signoff"]
    assert pd.isna(d.loc[4, "project_key"]) and d.loc[4, "doc_type"] == "other"
    assert d.loc[6, "doc_type"] == "lessons_learned"
    assert d.loc[7, "name"] == '=HYPERLINK("x").xlsx'  # kept as text; sinks neutralise it
    assert d.loc[1, "path"] == f"{root}/BTA/BTA Project Charter v2.docx"
    assert d.loc[1, "size"] == 1234 and d.loc[1, "author"] == "linh.tran@sanjoseca.gov"
    assert (d.loc[1, "source_site"], d.loc[1, "source_list"]) == ("/sites/ppm-finance", "Documents")
    assert out.documents.dtypes.to_dict() == DOCUMENTS.empty().dtypes.to_dict()


def test_planning_documents_link_by_column_and_classify_by_column(demo_mappings):
    root = "/sites/ppm-planning/Project Documents"
    records = [
        doc(1, f"{root}/charter.docx", ProjectKey=" amanda7 ", DocType="Charter"),
        doc(2, f"{root}/AMANDA7 plan.docx", ProjectKey=None, DocType="Project Plan"),
        doc(3, f"{root}/signoff.pdf", ProjectKey="PERMITS", DocType="Commitment Sign-off"),
        doc(4, f"{root}/weird.pdf", ProjectKey="PERMITS", DocType="Memo"),
        doc(5, f"{root}/up.pdf", Editor={"Title": "SharePoint App", "EMail": ""}),
    ]
    out = normalize([batch(PLAN_DOCS, records), batch(PLAN, [])], demo_mappings)
    d = out.documents.set_index("source_item_id")
    assert d.loc[1, ["project_key", "doc_type"]].tolist() == ["AMANDA7", "charter"]
    assert d.loc[2, "doc_type"] == "project_plan"
    assert pd.isna(d.loc[2, "project_key"])  # no column value, no known keys to match names
    assert d.loc[3, "doc_type"] == "commitment_signoff"
    assert d.loc[4, "doc_type"] == "other"
    assert d.loc[1, "author"] == "linh.tran@sanjoseca.gov"
    assert d.loc[5, "author"] == "SharePoint App"  # "e-mail or name": no mail on app accounts
    q = quarantine_for(out.quarantine, 4, "DocType")
    assert (q.raw_value, q.reason) == ("Memo", "doc_type: unknown document type 'Memo'")


def test_classify_by_content_type_and_regex(tmp_path):
    (tmp_path / "m.yaml").write_text(
        textwrap.dedent(
            """\
            sources:
              - site: /sites/x
                list: Docs
                kind: library
                target: documents
                link: [folder]
                classify:
                  column: Kind
                  synonyms: {Signed Charter: charter}
                  content_types: {Status Report: status_report}
                  patterns:
                    - {regex: "^sow[-_ ]", doc_type: vendor_contract}
                    - {glob: "*.docx", doc_type: project_plan}
                  default: other
            """
        )
    )
    ms = load_mappings(tmp_path / "m.yaml")
    ref = SourceRef("/sites/x", "Docs", "library")
    records = [
        doc(1, "/sites/x/Docs/P1/a.docx", Kind="Signed Charter"),
        doc(2, "/sites/x/Docs/P1/b.docx", ContentType={"Name": "Status Report"}),
        doc(3, "/sites/x/Docs/P1/SOW_acme.pdf"),
        doc(4, "/sites/x/Docs/P1/notes.DOCX"),
        doc(5, "/sites/x/Docs/P1/x.pdf"),
    ]
    out = normalize([batch(ref, records)], ms)
    assert out.documents.doc_type.tolist() == [
        "charter",
        "status_report",
        "vendor_contract",
        "project_plan",
        "other",
    ]
    assert out.documents.project_key.tolist() == ["P1"] * 5  # no projects known: folder is trusted


def test_assets_get_a_stable_id_and_project_key(demo_mappings):
    records = [
        RawRecord(
            4,
            {
                "Title": "Legacy CAD Server",
                "AssetType": "Server",
                "AssetOwner": None,
                "LifecycleStage": "In Service",
                "EndOfSupport": "2024-06-30T07:00:00Z",
                "AnnualCost": 12000,
                "RelatedProject": "nextgen911",
            },
        )
    ]
    out = normalize([batch(ITD, records)], demo_mappings)
    a = out.assets.iloc[0]
    assert a.asset_id == "/sites/itd/IT Asset Inventory/4"
    assert a.project_key == "NEXTGEN911"
    assert a.end_of_support == date(2024, 6, 30) and a.annual_cost == 12000.0
    assert pd.isna(a.owner)
    assert out.assets.dtypes.to_dict() == ASSETS.empty().dtypes.to_dict()


def test_unmapped_batches_are_ignored(demo_mappings):
    other = SourceRef("/sites/elsewhere", "Stuff", "list")
    out = normalize([batch(other, [RawRecord(1, {"Title": "x"})])], demo_mappings)
    assert out.projects.empty and out.quarantine.empty


def test_volume_2000_projects_50000_documents(demo_mappings):
    """Not timed (the benchmark measures); proves the volume goes through in one piece."""
    projects = [fin_item(i, f"P{i:04d}") for i in range(1, 2001)]
    root = "/sites/ppm-finance/Shared Documents"
    names = ["Charter.docx", "Status Report.docx", "Lessons Learned.docx", "misc.txt", "SOW.pdf"]
    docs = [doc(i, f"{root}/P{i % 2000 + 1:04d}/{names[i % len(names)]}") for i in range(1, 50_001)]
    out = normalize([batch(FIN, projects), batch(FIN_DOCS, docs)], demo_mappings)
    assert len(out.projects) == 2000 and len(out.documents) == 50_000
    assert out.documents.project_key.notna().all()
    assert out.documents.doc_type.value_counts()["charter"] == 10_000
    assert out.quarantine.empty


# --- the demo tenant, read straight from the sandbox model ----------------------------------


def _demo_batches(mappings) -> list[SourceBatch]:
    model = pytest.importorskip("c3po_sync.sandbox.model")
    tenant = model.Tenant.from_file(ROOT / "c3po_sync/sandbox/tenants/demo.yaml")

    def wire(fld, v):
        def one(uid):
            u = tenant.users[uid]
            return {"Title": u.title, "EMail": u.email}

        if fld.kind == "User":
            return None if v is None else one(v)
        if fld.kind == "UserMulti":
            return [one(x) for x in v or []]
        return v

    out = []
    for m in mappings:
        site = tenant.sites[m.site.lower()]
        lst = site.list_by_title(m.list_title)
        fields = {f.internal_name: f for f in lst.fields}
        records = []
        for item in lst.items.values():
            values = {k: wire(fields[k], v) for k, v in item.values.items() if k in fields}
            if lst.base_template == 101:
                values.update(
                    FileRef=item.file_ref,
                    FileLeafRef=item.file_ref.rsplit("/", 1)[1],
                    FSObjType=item.fs_obj_type,
                    File_x0020_Size=len(item.file.content) if item.file else None,
                    Editor=one_user(tenant, item.editor_id),
                )
            records.append(
                RawRecord(item.id, values, f'"{item.version}"', item.modified.isoformat())
            )
        infos = [FieldInfo(f.internal_name, f.title, f.kind) for f in lst.fields]
        out.append(SourceBatch(m.ref, infos, records, time_zone=site.time_zone))
    return out


def one_user(tenant, uid):
    u = tenant.users.get(uid)
    return {"Title": u.title, "EMail": u.email} if u else None


def test_demo_tenant_normalizes_with_its_seeded_problems(demo_mappings):
    out = normalize(_demo_batches(demo_mappings), demo_mappings)
    p = out.projects.set_index("project_key")
    assert {"SJ311", "AMANDA7", "WEBREC", "BTA", "FMS", "REVUP", "WCOMP", "TMS"} <= set(p.index)
    assert p.index.is_unique
    assert p.loc["TMS", "budget"] == 2_000_000.0 and pd.isna(p.loc["TMS", "ppm"])
    assert (p.budget == 1_200_000.0).any()  # the "1.2M" typed by hand
    q = out.quarantine
    kept = set(q[q.problem == "unknown_value"].raw_value)  # unknown choices: kept, reported
    assert set(p.status.dropna()) <= {"Green", "Yellow", "Red"} | kept
    assert set(p.phase.dropna()) <= kept | {
        "Initiation",
        "Chartering",
        "Procurement",
        "Execution",
        "Release",
        "Sustain",
        "Closed",
    }
    assert q.reason.str.startswith("duplicate project key").sum() >= 1
    assert q.reason.str.contains("unknown value").sum() >= 1
    docs = out.documents
    assert docs.project_key.notna().mean() > 0.9
    assert docs.name.str.contains("=HYPERLINK").any()
    assert not docs[(docs.project_key == "AMANDA7") & (docs.doc_type == "charter")].shape[0]
    assert len(out.assets) > 0 and out.assets.asset_id.is_unique


def test_library_url_and_whole_token_name_links(tmp_path):
    (tmp_path / "m.yaml").write_text(
        textwrap.dedent(
            """\
            sources:
              - {site: /sites/x, list: Projects, target: projects, key: Code}
              - site: /sites/x
                list: Docs
                kind: library
                target: documents
                library_url: Lib/Sub
                link: [folder, name]
            """
        )
    )
    ms = load_mappings(tmp_path / "m.yaml")
    projects = [RawRecord(1, {"Code": "SJ311"}), RawRecord(2, {"Code": "BTA"})]
    docs = [
        doc(1, "/sites/x/Lib/Sub/sj311/a.docx"),  # folder, case-insensitive
        doc(2, "/sites/x/Lib/Sub/Misc/SJ311_Charter.docx"),  # unknown folder, name token
        doc(3, "/sites/x/Lib/Sub/ASJ3119 notes.docx"),  # not a whole token: unlinked
        doc(4, "/sites/x/Lib/Sub/Debtamnesty.docx"),  # "bta" inside a word: unlinked
    ]
    out = normalize(
        [
            batch(SourceRef("/sites/x", "Docs", "library"), docs),
            batch(SourceRef("/sites/x", "Projects"), projects),
        ],
        ms,
    )
    keys = out.documents.project_key.tolist()
    assert keys[:2] == ["SJ311", "SJ311"]
    assert pd.isna(keys[2]) and pd.isna(keys[3])
    assert set(out.documents.doc_type) == {"other"}


def test_status_reports_target(tmp_path):
    (tmp_path / "m.yaml").write_text(
        textwrap.dedent(
            """\
            sources:
              - site: /sites/x
                list: Status
                target: status_reports
                key: {column: Project, pattern: "[A-Z0-9]+"}
                fields:
                  report_date: AsOf
                  status: {column: RAG, transform: choice, synonyms: {G: Green},
                           allowed: [Green, Yellow, Red]}
                  summary: Notes
            """
        )
    )
    ms = load_mappings(tmp_path / "m.yaml")
    records = [
        RawRecord(1, {"Project": "fms", "AsOf": "2026-11-01T07:00:00Z", "RAG": "G", "Notes": "ok"}),
        RawRecord(2, {"Project": "F M S", "AsOf": "2026-11-01T07:00:00Z", "RAG": "G"}),
    ]
    out = normalize([batch(SourceRef("/sites/x", "Status"), records)], ms)
    r = out.status_reports
    assert r.project_key.tolist()[0] == "FMS" and pd.isna(r.project_key.tolist()[1])
    assert r.report_date.tolist() == [date(2026, 11, 1)] * 2
    assert r.status.tolist() == ["Green", "Green"]
    q = quarantine_for(out.quarantine, 2, "Project")
    assert q.reason == "project key 'F M S' does not match '[A-Z0-9]+'"


def test_core_imports_no_adapter():
    """The normalize stage is core: it must not pull in SharePoint, Excel, scheduler or CLI."""
    import subprocess
    import sys

    code = (
        "import sys, c3po_sync.normalize; "
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('office365', 'msal', 'openpyxl', 'apscheduler', 'typer') "
        "or m.startswith(('c3po_sync.sandbox', 'c3po_sync.cli', 'c3po_sync.scheduler', "
        "'c3po_sync.m365'))]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_demo_governance_columns_become_one_canonical_form(demo_mappings):
    """Three namings and value styles (docs/mappings.md) give the same canonical values."""
    fin = fin_item(
        1,
        "FMS",
        SteeringCommittee="FMS Executive Steering Committee",
        OKRs="Close the books in 5 days",
        PPBPriority="P1 - High",
        VendorKeyStaff="Priya Desai (CGI Director)\r\nBrian Walsh (CGI Lead, Conversion)\n",
    )
    plan = RawRecord(
        2,
        {
            "Key": "FLEET",
            "Phase": "Release",
            "Governance": "Public Works Technology Steering Committee",
            "Metrics": "Fleet availability at least 92%",
            "PPBRank": "2",
            "KeyStaff": "Ben Carter (AssetWorks PM), Julia Moss (AssetWorks Consultant)",
        },
    )
    com = RawRecord(
        3,
        {
            "Project_x0020_Key": "PARKRES",
            "Phase": "Procurement",
            "Governance_x0020_Body": None,
            "Metric_x0020_Goals": None,
            "PPB_x0020_Priority": "Low",
            "Key_x0020_Vendor_x0020_Staff": "Dana Whitfield (Salesforce CSM); ",
        },
    )
    out = normalize([batch(FIN, [fin]), batch(PLAN, [plan]), batch(COM, [com])], demo_mappings)
    assert out.quarantine.empty, out.quarantine.to_string()
    p = out.projects.set_index("project_key")
    assert p.loc["FMS", "governance_body"] == "FMS Executive Steering Committee"
    assert p.loc["FLEET", "metrics"] == "Fleet availability at least 92%"
    assert pd.isna(p.loc["PARKRES", "governance_body"]) and pd.isna(p.loc["PARKRES", "metrics"])
    assert list(p.loc[["FMS", "FLEET", "PARKRES"], "ppb_priority"]) == ["High", "Medium", "Low"]
    assert p.loc["FMS", "key_vendor_staff"] == [
        "Priya Desai (CGI Director)",
        "Brian Walsh (CGI Lead, Conversion)",
    ]
    assert p.loc["FLEET", "key_vendor_staff"] == [
        "Ben Carter (AssetWorks PM)",
        "Julia Moss (AssetWorks Consultant)",
    ]
    assert p.loc["PARKRES", "key_vendor_staff"] == ["Dana Whitfield (Salesforce CSM)"]


def test_shipped_mappings_fill_status_reports_from_the_libraries(demo_mappings):
    out = normalize(_demo_batches(demo_mappings), demo_mappings)
    r = out.status_reports
    assert len(r) >= 5  # the demo run used to show "status_reports 0"
    assert r.project_key.notna().all() and r.report_date.notna().all()
    sj = r[r.project_key == "SJ311"].sort_values("summary")
    assert sj.report_date.tolist()[-1] == date(2026, 10, 1)  # "SJ311 Status Report 2026-10.docx"


def test_status_report_date_falls_back_to_the_files_local_modified_date(tmp_path):
    (tmp_path / "m.yaml").write_text(
        textwrap.dedent(
            """\
            sources:
              - {site: /sites/x, list: Projects, target: projects, key: Code}
              - site: /sites/x
                list: Docs
                kind: library
                target: documents
                link: [folder]
                classify: {patterns: [{glob: "*status*", doc_type: status_report}]}
                status_reports: {date_from: [name, modified]}
            """
        )
    )
    ms = load_mappings(tmp_path / "m.yaml")
    d = doc(1, "/sites/x/Docs/SJ311/status update.docx")
    d.modified = "2026-10-02T03:00:00Z"  # 1 October in Pacific time
    out = normalize(
        [
            batch(SourceRef("/sites/x", "Projects"), [RawRecord(1, {"Code": "SJ311"})]),
            batch(SourceRef("/sites/x", "Docs", "library"), [d]),
        ],
        ms,
    )
    assert out.status_reports.report_date.tolist() == [date(2026, 10, 1)]


def test_shipped_mappings_never_let_a_negative_budget_reach_a_sum(demo_mappings):
    out = normalize([batch(FIN, [fin_item(1, "BTA", Cost="(250,000)")])], demo_mappings)
    assert pd.isna(out.projects.budget.iloc[0])
    q = quarantine_for(out.quarantine, 1, "Cost")
    assert q.problem == "out_of_range" and "below the allowed minimum 0" in q.reason
