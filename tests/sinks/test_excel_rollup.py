"""The Excel rollup: sheets, counts, formats, formula-injection safety, paths and LibreOffice."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import zipfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from c3po_sync.model.schema import FINDINGS, PROJECTS
from c3po_sync.model.tables import CanonicalTables
from c3po_sync.rules import RulesConfig, evaluate
from c3po_sync.sinks.excel_format import Col, write_table
from c3po_sync.sinks.excel_rollup import (
    SHEETS,
    RollupInputError,
    UnsafePathError,
    build_rollup,
    rollup_bytes,
    save_rollup,
    scorecard,
)
from c3po_sync.sinks.excel_safety import (
    MAX_CELL_CHARS,
    cell_value,
    clean_text,
    safe_sheet_name,
    safe_url,
)

from .conftest import (
    INJECTIONS,
    RUN_INFO,
    TODAY,
    build_findings,
    build_tables,
    expected_text,
)


def _reload(wb: openpyxl.Workbook) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(rollup_bytes(wb)))


def _frame(data: bytes, sheet: str) -> pd.DataFrame:
    return pd.read_excel(io.BytesIO(data), sheet_name=sheet, engine="openpyxl")


def _column(ws, header: str) -> list:
    headers = [c.value for c in ws[1]]
    idx = headers.index(header) + 1
    return [ws.cell(row=r, column=idx) for r in range(2, ws.max_row + 1)]


@pytest.fixture(scope="module")
def workbook(tables: CanonicalTables, findings: pd.DataFrame) -> openpyxl.Workbook:
    return build_rollup(tables, findings, today=TODAY, run_info=RUN_INFO)


@pytest.fixture(scope="module")
def data(workbook: openpyxl.Workbook) -> bytes:
    return rollup_bytes(workbook)


def test_every_sheet_is_present_in_order(data: bytes) -> None:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == list(SHEETS)


def test_detail_sheets_have_one_row_per_entity(
    data: bytes, tables: CanonicalTables, findings: pd.DataFrame
) -> None:
    assert len(_frame(data, "Portfolio")) == len(tables.projects)
    assert len(_frame(data, "Assets")) == len(tables.assets)
    assert len(_frame(data, "Data quality")) == len(tables.quarantine)
    # open + resolved within 30 days; the builder resolves every 6th (i % 6 == 2) long ago
    old = sum(1 for i in range(len(findings)) if i % 6 == 2)
    shown = _frame(data, "Findings")
    assert len(shown) == len(findings) - old
    assert set(shown["State"]) == {"Open", "Resolved"}
    assert shown["State"].iloc[0] == "Open"  # open first
    scores = _frame(data, "Audit scorecard").head(10)
    assert scores["Recommendation"].tolist() == list(range(1, 11))


def test_portfolio_is_a_filtered_table_with_formats(data: bytes, tables: CanonicalTables) -> None:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb["Portfolio"]
    table = ws.tables["tblPortfolio"]
    assert table.ref == f"A1:Y{len(tables.projects) + 1}"  # Y: "Not re-read since"
    assert table.autoFilter is not None
    assert ws.freeze_panes == "A2"
    budget = _column(ws, "Budget")[0]
    assert budget.value == 100_000 and "$" in budget.number_format
    status_date = _column(ws, "Status date")[0]
    assert isinstance(status_date.value, datetime) and status_date.number_format == "yyyy-mm-dd"
    rules = [r for cf in ws.conditional_formatting for r in cf.rules]
    assert {r.formula[0] for r in rules} >= {'"Green"', '"Yellow"', '"Red"'}
    assert 8 <= ws.column_dimensions["A"].width <= 60
    title = _column(ws, "Title")[0]
    assert title.hyperlink.target == tables.projects["source_url"].iloc[0]


def test_every_detail_sheet_is_an_excel_table_with_a_frozen_header(data: bytes) -> None:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    expected = {
        "Portfolio": "tblPortfolio",
        "Audit scorecard": "tblScorecard",
        "Findings": "tblFindings",
        "PPM workload": "tblWorkload",
        "Assets": "tblAssets",
        "Data quality": "tblQuarantine",
    }
    for sheet, table in expected.items():
        ws = wb[sheet]
        assert list(ws.tables) == [table], sheet
        assert ws.tables[table].ref.startswith("A1:")
        assert ws.freeze_panes == "A2", sheet
    assert len(wb["Audit scorecard"]._charts) == 1


def test_summary_has_kpis_and_charts(data: bytes, tables: CanonicalTables) -> None:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb["Summary"]
    labels = {row[0].value: row[1].value for row in ws.iter_rows(max_col=2) if row[0].value}
    assert labels["Projects"] == len(tables.projects)
    assert labels["Generated at (UTC)"] == datetime(2026, 11, 1, 7, 30)
    assert labels["Run id"] == "run-42"
    assert labels["Items read"] == 1234
    active = tables.projects.loc[tables.projects["phase"] != "Closed", "budget"].sum()
    assert labels["Budget under management (active projects)"] == pytest.approx(float(active))
    assert labels["R7"] >= 0 and "Data quality" in labels
    assert len(ws._charts) >= 2


def test_findings_link_to_sharepoint_and_assets_flag_support(
    data: bytes, tables: CanonicalTables
) -> None:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    entities = _column(wb["Findings"], "Entity")
    targets = {c.hyperlink.target for c in entities if c.hyperlink}
    assert targets and all(t.startswith("https://city.sharepoint.com/") for t in targets)
    names = _column(wb["Assets"], "Name")
    assert names[3].hyperlink is None  # javascript: URL is never made a link
    support = [c.value for c in _column(wb["Assets"], "Support")]
    stages = tables.assets["lifecycle_stage"].tolist()
    eos = tables.assets["end_of_support"].tolist()
    for stage, end, flag in zip(stages, eos, support, strict=True):
        if stage == "Retired":
            assert flag == "Retired"
        elif end is None:
            assert flag == "No end-of-support date"
        elif end < TODAY:
            assert flag == "Past end of support"
        elif (end - TODAY).days <= 365:
            assert flag == "Ends within 12 months"
        else:
            assert flag == "Supported"


def test_formula_injection_is_literal_text_in_every_sheet() -> None:
    tables = build_tables(inject=True)
    findings = build_findings(tables, inject=True)
    changes = pd.DataFrame(
        {
            "project_key": ["P0000", "P0001"],
            "change": ["status", "=evil()"],
            "before": ["Green", "@SUM(1)"],
            "after": ["-2+3", None],
        }
    )
    data = rollup_bytes(
        build_rollup(tables, findings, today=TODAY, run_info=RUN_INFO, changes=changes)
    )
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for name in zf.namelist():
            if name.startswith("xl/worksheets/sheet"):
                assert b"<f>" not in zf.read(name) and b"<f " not in zf.read(name), name
    wb = openpyxl.load_workbook(io.BytesIO(data))
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
    expected = {expected_text(s) for s in INJECTIONS}
    where = {
        "Portfolio": ["Title", "PPM", "Vendor"],
        "PPM workload": ["PPM"],
        "Assets": ["Name"],
        "Findings": ["Message"],
        "Data quality": ["Raw value"],
        "Changes since last report": ["Change", "Before", "After"],
    }
    for sheet, headers in where.items():
        seen = set()
        for header in headers:
            for cell in _column(wb[sheet], header):
                if cell.value in expected:
                    assert cell.data_type == "s", (sheet, cell.coordinate)
                    if cell.value.startswith(("=", "+", "-", "@", "\t")):
                        assert cell.quotePrefix, (sheet, cell.coordinate)
                    seen.add(cell.value)
        assert seen, sheet
    portfolio_titles = {c.value for c in _column(wb["Portfolio"], "Title")}
    assert expected <= portfolio_titles
    # a data-derived status value also lands on the Summary, still as text
    summary = [c for row in wb["Summary"].iter_rows() for c in row if c.value in expected]
    assert summary and all(c.data_type == "s" for c in summary)


def test_cells_are_cleaned_and_truncated() -> None:
    tables = build_tables(3)
    projects = tables.projects.copy()
    projects.loc[0, "title"] = "bell\x07 and\x00 null"
    projects.loc[1, "title"] = "x" * (MAX_CELL_CHARS + 500)
    tables.projects = projects
    wb = _reload(build_rollup(tables, build_findings(tables, 3), today=TODAY, run_info=RUN_INFO))
    titles = [c.value for c in _column(wb["Portfolio"], "Title")]
    assert titles[0] == "bell and null"
    assert len(titles[1]) == MAX_CELL_CHARS


def test_empty_tables_make_a_valid_workbook(tmp_path: Path) -> None:
    wb = build_rollup(CanonicalTables(), FINDINGS.empty(), today=TODAY, run_info={})
    path = save_rollup(wb, tmp_path, today=TODAY)
    reloaded = openpyxl.load_workbook(path)
    assert reloaded.sheetnames == list(SHEETS)
    assert reloaded["Portfolio"].tables["tblPortfolio"].ref == "A1:Y2"
    assert len(pd.read_excel(path, sheet_name="Portfolio")) == 0
    note = reloaded["Changes since last report"]["A1"].value
    assert note.startswith("No previous report")
    assert scorecard(CanonicalTables(), FINDINGS.empty()) == {}


def test_changes_sheet_lists_deltas_with_project_titles(tables, findings) -> None:
    changes = pd.DataFrame(
        {
            "project_key": ["P0001", "P0002"],
            "change": ["status", "budget"],
            "before": ["Green", 100.0],
            "after": ["Red", 250.0],
        }
    )
    data = rollup_bytes(
        build_rollup(tables, findings, today=TODAY, run_info=RUN_INFO, changes=changes)
    )
    frame = _frame(data, "Changes since last report")
    assert frame["Project"].tolist() == ["Project 1", "Project 2"]
    assert frame["After"].tolist() == ["Red", 250]
    empty = build_rollup(
        tables, findings, today=TODAY, run_info=RUN_INFO, changes=changes.iloc[0:0]
    )
    assert empty["Changes since last report"]["A1"].value == "No changes since the last report."


def test_scorecard_counts_entities_not_findings() -> None:
    projects = PROJECTS.frame([{"project_key": f"P{i}"} for i in range(4)])
    tables = CanonicalTables(projects=projects)
    tables.assets = tables.assets.reindex(range(2))
    tables.assets["asset_id"] = pd.array(["A0", "A1"], dtype="string")

    def f(fid, rec, kind, key, project=None, status="open"):
        return {
            "finding_id": fid,
            "recommendation": rec,
            "entity_kind": kind,
            "entity_key": key,
            "project_key": project if project is not None else (key if kind == "project" else None),
            "_status": status,
        }

    rows = [
        f("a", 2, "project", "P1"),
        f("b", 2, "project", "P1"),  # same project twice counts once
        f("c", 2, "project", "P2", status="resolved"),  # resolved: compliant again
        f("d", 3, "document", "/doc.docx", project="P3"),  # a document counts against its project
        f("e", 10, "asset", "A0"),
        f("g", 10, "project", "P0"),
        f("h", 4, "project", "NOPE"),  # not in scope
    ]
    frame = FINDINGS.frame([{k: v for k, v in r.items() if k != "_status"} for r in rows])
    frame["status"] = [r["_status"] for r in rows]
    scores = scorecard(tables, frame)
    assert scores[2] == pytest.approx(0.75)
    assert scores[3] == pytest.approx(0.75)
    assert scores[4] == 1.0
    assert scores[10] == pytest.approx(1 - 2 / 6)
    # Recommendation 1's only check cannot run without a current charter template: not scored.
    assert set(scores) == set(range(2, 11))


def test_scorecard_trend_against_previous(tables, findings) -> None:
    rules = RulesConfig(current_charter_template="v3")  # so recommendation 1 is checked
    now = scorecard(tables, findings, rules)
    previous = {1: now[1] - 0.1, 2: now[2] + 0.1, 3: now[3]}
    wb = _reload(
        build_rollup(
            tables,
            findings,
            today=TODAY,
            run_info=RUN_INFO,
            previous_scores=previous,
            rules=rules,
        )
    )
    trend = [c.value for c in _column(wb["Audit scorecard"], "Trend")[:10]]
    assert trend[:4] == ["Better", "Worse", "Same", "New"]
    share = _column(wb["Audit scorecard"], "Share compliant")[0]
    assert share.value == pytest.approx(now[1]) and share.number_format == "0.0%"


@pytest.mark.parametrize("prefix", ["../../evil", "/etc/evil", "..\\..\\evil", "..", "a/../../b"])
def test_save_stays_inside_out_dir(tmp_path: Path, prefix: str, workbook) -> None:
    out = tmp_path / "out"
    path = save_rollup(workbook, out, today=TODAY, prefix=prefix)
    assert path.parent == out.resolve()
    assert path.name.endswith(" 2026-11-01.xlsx") and path.exists()
    written = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")}
    assert written == {"out", f"out/{path.name}"}


def test_save_refuses_a_symlink_pointing_outside(tmp_path: Path, workbook) -> None:
    out = tmp_path / "out"
    out.mkdir()
    outside = tmp_path / "victim.xlsx"
    outside.write_bytes(b"keep")
    (out / "C3PO Rollup 2026-11-01.xlsx").symlink_to(outside)
    with pytest.raises(UnsafePathError, match="outside"):
        save_rollup(workbook, out, today=TODAY)
    assert outside.read_bytes() == b"keep"


def test_same_day_save_replaces_the_file(tmp_path: Path, workbook) -> None:
    first = save_rollup(workbook, tmp_path, today=TODAY)
    second = save_rollup(workbook, tmp_path, today=TODAY)
    assert first == second == tmp_path.resolve() / "C3PO Rollup 2026-11-01.xlsx"
    assert [p.name for p in tmp_path.iterdir()] == [first.name]  # no temp file left behind


def test_missing_columns_are_a_located_error(tables) -> None:
    with pytest.raises(RollupInputError, match="findings frame lacks columns .*message"):
        build_rollup(tables, FINDINGS.empty().drop(columns=["message"]), today=TODAY, run_info={})


def test_sanitizers() -> None:
    assert clean_text("a\r\nb\rc\x0bd") == "a\nb\ncd"
    assert clean_text("a\ud800b\uffffc") == "abc"
    assert safe_sheet_name("Q3: [draft]/final*?") == "Q3_ _draft__final__"
    assert len(safe_sheet_name("x" * 80)) == 31
    assert safe_sheet_name("'quoted'") == "quoted"
    assert safe_sheet_name("Summary", taken=["summary"]) == "Summary (2)"
    assert safe_sheet_name("", fallback="Data") == "Data"
    assert safe_url("https://city.sharepoint.com/a b") is None
    assert cell_value(float("inf")) is None and cell_value(pd.NA) is None
    assert cell_value(datetime(2026, 1, 1, 8, tzinfo=timezone(timedelta(hours=-8)))) == datetime(
        2026, 1, 1, 16
    )
    assert cell_value(["a", "b"]) == "a; b"
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("file:///etc/passwd") is None
    assert safe_url("https://city.sharepoint.com/x?a=1") == "https://city.sharepoint.com/x?a=1"


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_libreoffice_converts_the_rollup_to_pdf(tmp_path: Path) -> None:
    tables = build_tables(inject=True)
    wb = build_rollup(tables, build_findings(tables, inject=True), today=TODAY, run_info=RUN_INFO)
    path = save_rollup(wb, tmp_path, today=TODAY)
    out = tmp_path / "pdf"
    env = {**os.environ, "HOME": str(tmp_path)}  # a private LibreOffice profile
    subprocess.run(
        ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(out), str(path)],
        check=True,
        timeout=180,
        env=env,
        capture_output=True,
    )
    pdf = out / (path.stem + ".pdf")
    assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF")


@pytest.mark.slow
def test_city_sized_rollup_builds_and_reloads(tmp_path: Path) -> None:
    tables = build_tables(2000, 50_000, 5000)
    findings = build_findings(tables, 10_000)
    wb = build_rollup(tables, findings, today=TODAY, run_info=RUN_INFO)
    path = save_rollup(wb, tmp_path, today=date(2026, 11, 1))
    assert len(pd.read_excel(path, sheet_name="Portfolio")) == 2000
    assert len(pd.read_excel(path, sheet_name="Assets")) == 5000


def test_ppm_workload_counts_active_projects_and_flags_overload() -> None:
    tables = build_tables(40)
    findings = build_findings(tables, 20)
    data = rollup_bytes(build_rollup(tables, findings, today=TODAY, run_info=RUN_INFO))
    frame = _frame(data, "PPM workload").set_index("PPM")
    p = tables.projects
    overloaded = set(
        evaluate(tables, RulesConfig(), TODAY, only=["R6-ppm-overloaded"])["entity_key"]
    )
    for email, group in p.dropna(subset=["ppm"]).groupby("ppm"):
        name = group["ppm_name"].iloc[0]
        active = int((group["phase"] != "Closed").sum())
        assert frame.loc[name, "Active projects"] == active, email
        over = str(email).strip().lower() in overloaded
        assert frame.loc[name, "Over 4 major"] == ("Yes" if over else "No")
    assert frame.loc["(unassigned)", "All projects"] == int(p["ppm"].isna().sum())
    assert pd.isna(frame.loc["(unassigned)", "PPM e-mail"])
    open_total = int((findings["status"] == "open").sum())
    assert frame["Open findings"].sum() == open_total


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text(max_size=60), min_size=1, max_size=8))
def test_any_text_round_trips_as_literal_text(texts: list[str]) -> None:
    wb = openpyxl.Workbook()
    write_table(wb.active, "T", [Col("Text")], [texts])
    ws = openpyxl.load_workbook(io.BytesIO(rollup_bytes(wb))).active
    for row, text in enumerate(texts, start=2):
        cell = ws.cell(row=row, column=1)
        expected = clean_text(text)
        assert (cell.value or "") == expected
        assert cell.value is None or cell.data_type == "s"


def test_findings_without_history_are_all_open(tables) -> None:
    fresh = build_findings(tables, 12)[FINDINGS.column_names]
    data = rollup_bytes(build_rollup(tables, fresh, today=TODAY, run_info=RUN_INFO))
    shown = _frame(data, "Findings")
    assert len(shown) == 12 and set(shown["State"]) == {"Open"}


def test_resolved_at_as_plain_dates_is_understood(tables) -> None:
    dated = build_findings(tables, 12).drop(columns=["status"])
    dated["resolved_at"] = [v.date() if pd.notna(v) else None for v in dated["resolved_at"]]
    data = rollup_bytes(build_rollup(tables, dated, today=TODAY, run_info=RUN_INFO))
    shown = _frame(data, "Findings")
    assert len(shown) == 12 - 2  # i = 2 and 8 were resolved long ago
    assert (shown["State"] == "Resolved").sum() == 2  # i = 1 and 7, five days ago


def test_status_wins_over_a_stale_resolution_date(tables) -> None:
    reopened = build_findings(tables, 12)
    reopened["status"] = pd.array(["open"] * 12, dtype="string")  # resolved_at left behind
    data = rollup_bytes(build_rollup(tables, reopened, today=TODAY, run_info=RUN_INFO))
    shown = _frame(data, "Findings")
    assert len(shown) == 12 and set(shown["State"]) == {"Open"}
    assert shown["Resolved at (UTC)"].isna().all()


def test_the_summary_links_the_dashboard_by_its_name(tables, findings) -> None:
    """Not its percent-encoded address as text, right-aligned and clipped to "…%29.html"."""
    url = "https://city.sharepoint.com/sites/hub/SitePages/C3PO%20Dashboard%20%28internal%29.html"
    info = {**RUN_INFO, "dashboard": url}
    ws = _reload(build_rollup(tables, findings, today=TODAY, run_info=info))["Summary"]

    cell = next(row[1] for row in ws.iter_rows(max_col=2) if row[0].value == "Dashboard")

    assert cell.value == "C3PO Dashboard (internal)"
    assert cell.hyperlink is not None and cell.hyperlink.target == url
