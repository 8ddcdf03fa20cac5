"""The "Compliance matrix" sheet and the HTML report: words, legend, print settings, and the
projects kept from a source not re-read say so."""

from __future__ import annotations

import io
import zipfile
from datetime import date

from openpyxl import Workbook

from c3po_sync.model.schema import FINDINGS
from c3po_sync.rules import RulesConfig, evaluate
from c3po_sync.rules.evaluation import evaluation_table
from c3po_sync.rules.matrix import LEGEND, compliance_matrix
from c3po_sync.sinks.audit_report import render_audit_html
from c3po_sync.sinks.excel_matrix import matrix_sheet
from c3po_sync.sinks.excel_stream import StreamedWorkbook, save_streamed, value_at
from tests.rules import TODAY, project, tenant

MARK = "not re-read since 2026-10-30 08:00 UTC: HTTP 503"


def _matrix():
    t = tenant([project("OK"), project("ODD", phase="Someday", title="=cmd|' /C calc'!A0")])
    config = RulesConfig()
    f = evaluate(t, config, TODAY)
    return compliance_matrix(evaluation_table(t, config, TODAY, f), f, t.projects)


def test_sheet_in_words_with_legend_and_print_settings() -> None:
    ws = Workbook().active
    matrix_sheet(ws, _matrix(), today=date(2026, 11, 1), run_id=7, not_reread={"OK": MARK})
    rows = list(ws.iter_rows(values_only=True))
    flat = [str(c) for r in rows for c in r if c is not None]
    assert all(state in flat for state in LEGEND)  # the legend names every state in words
    header_no = next(i for i, r in enumerate(rows, start=1) if r[0] == "Project")
    body = {r[0]: r for r in rows[header_no:]}
    assert body["OK"][1] == f"Project OK\n({MARK})"
    assert body["ODD"][4].startswith("not checked: phase unknown")
    # a title that looks like a formula stays text
    cell = ws.cell(row=header_no + 1, column=2)
    assert cell.data_type == "s" and cell.value.startswith("=cmd")
    assert ws.print_title_rows == f"${header_no}:${header_no}"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
    assert "&P of &N" in ws.oddFooter.right.text  # excel_print: the footer of every sheet


def test_sheet_without_an_evaluation_says_so() -> None:
    ws = Workbook().active
    matrix_sheet(ws, None, today=date(2026, 11, 1))
    assert any(
        "No evaluation is stored" in str(c) for r in ws.iter_rows(values_only=True) for c in r
    )


def test_html_escapes_and_marks_projects_not_reread() -> None:
    html = render_audit_html(
        _matrix(), FINDINGS.empty(), as_of=date(2026, 11, 1), run_id=7, not_reread={"OK": MARK}
    )
    assert MARK in html and "<em>(" in html
    assert "=cmd|&#x27; /C calc&#x27;!A0" in html


def test_the_audit_pdf_workbook_names_its_fonts() -> None:
    """The PDF is printed by LibreOffice from this workbook: a Font() without a name was set in
    its default serif (as the rollup's headers were, tests/sinks/test_excel_look.py)."""
    import io
    from datetime import UTC, datetime

    import openpyxl
    import pandas as pd

    from c3po_sync.sinks.audit_pdf import build_audit_workbook

    t = tenant([project("OK"), project("LATE", status_date=None)])
    f = evaluate(t, RulesConfig(), TODAY)
    matrix = compliance_matrix(evaluation_table(t, RulesConfig(), TODAY, f), f, t.projects)
    seen = pd.Timestamp("2026-10-01", tz="UTC")
    history = f.assign(
        status="open", first_seen=seen, last_seen=seen, resolved_at=pd.NaT, reopened_at=pd.NaT
    )
    book = build_audit_workbook(matrix, history, as_of=datetime(2026, 11, 1, tzinfo=UTC), run_id=1)
    data = io.BytesIO()
    book.save(data)
    fonts = openpyxl.load_workbook(data)._fonts
    assert len(fonts) > 1
    assert all(x.name == "Calibri" and x.sz for x in fonts), [(x.name, x.sz) for x in fonts]


def test_each_distinct_text_is_measured_once(monkeypatch) -> None:
    """A city's grid holds 20,000 cells but a few hundred texts: the lines a text wraps to are
    worked out once per text, not once per cell (issue 16, a new day's rollup)."""
    from c3po_sync.sinks import excel_matrix

    t = tenant([project(f"P{i:03d}") for i in range(40)])
    config = RulesConfig()
    f = evaluate(t, config, TODAY)
    m = compliance_matrix(evaluation_table(t, config, TODAY, f), f, t.projects)
    measured: list[str] = []
    real = excel_matrix.text_lines

    def counting(text: str, width: float) -> int:
        measured.append(text)
        return real(text, width)

    monkeypatch.setattr(excel_matrix, "text_lines", counting)
    matrix_sheet(Workbook().active, m, today=date(2026, 11, 1))
    grid = [x for x in measured if x in set(m["text"])]
    assert len(grid) == len(set(grid)) <= m["text"].nunique()


def test_grid_row_heights_stay_in_the_body_and_write_what_cells_would() -> None:
    """The grid's rows keep their heights in the body (no openpyxl object per project row: a
    city's ~2,000, ~300 bytes each), and the saved sheet is the one a plain workbook writes."""
    sheets = {}
    for kind, wb in (("streamed", StreamedWorkbook()), ("plain", Workbook())):
        ws = wb.active
        matrix_sheet(ws, _matrix(), today=date(2026, 11, 1), run_id=7, not_reread={"OK": MARK})
        if kind == "streamed":
            header = next(r for r in range(1, 30) if value_at(ws, r, 1) == "Project")
            assert sorted(ws.row_dimensions) == [header]  # the header's; none per project
        buf = io.BytesIO()
        save_streamed(wb, buf) if kind == "streamed" else wb.save(buf)
        sheets[kind] = zipfile.ZipFile(buf).read("xl/worksheets/sheet1.xml")
    assert b'ht="75" customHeight="1"' in sheets["plain"]  # the marked project's taller row
    assert sheets["streamed"] == sheets["plain"]
