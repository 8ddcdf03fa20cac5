"""The rollup prints: page setup on every sheet, readable size, row heights, words, axes."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.chart import BarChart

from c3po_sync.model.schema import FINDINGS
from c3po_sync.model.tables import CanonicalTables
from c3po_sync.sinks.excel_print import LINE_HEIGHT_PT, MIN_PRINT_FONT_PT, effective_font_pt
from c3po_sync.sinks.excel_print import text_lines as lines_of
from c3po_sync.sinks.excel_rollup import (
    PRINTED_COLUMNS,
    SHEETS,
    build_rollup,
    rollup_bytes,
    save_rollup,
)

from .conftest import RUN_INFO, TODAY, build_findings, build_tables


@pytest.fixture(scope="module")
def printed(tables: CanonicalTables, findings: pd.DataFrame) -> openpyxl.Workbook:
    long = findings.copy()
    long.loc[long.index[0], "message"] = "A long message that wraps. " * 12
    wb = build_rollup(tables, long, today=TODAY, run_info=RUN_INFO)
    return openpyxl.load_workbook(io.BytesIO(rollup_bytes(wb)))


@pytest.mark.parametrize("sheet", SHEETS)
def test_every_sheet_prints_landscape_one_page_wide_with_titles_and_footer(printed, sheet):
    ws = printed[sheet]
    assert ws.page_setup.orientation == "landscape"
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
    assert ws.print_title_rows == "$1:$1"
    assert ws.oddHeader.center.text == f"C3PO Rollup 2026-11-01 - {sheet}"
    assert ws.oddFooter.right.text == "Page &P of &N"
    assert ws.oddFooter.left.text == "Report date 2026-11-01"


@pytest.mark.parametrize("sheet", [s for s in SHEETS if s != "Summary"])
def test_printed_columns_stay_readable(printed, sheet):
    """The Portfolio sheet used to print 24 columns at about 3 pt."""
    ws = printed[sheet]
    last = PRINTED_COLUMNS.get(sheet, ws.max_column)
    assert effective_font_pt(ws, last) >= MIN_PRINT_FONT_PT
    if sheet in PRINTED_COLUMNS:
        assert ws.print_area is not None
        assert re.fullmatch(rf"'?{sheet}'?!\$A\$1:\$[A-Z]+\$\d+", ws.print_area)


def test_portfolio_leaves_details_to_the_screen(printed):
    ws = printed["Portfolio"]
    headers = [c.value for c in ws[1]]
    shown = headers[: PRINTED_COLUMNS["Portfolio"]]
    assert {"Project key", "Title", "Phase", "Status", "Open findings"} <= set(shown)
    assert {"Source site", "Source list", "PPM e-mail"}.isdisjoint(shown)
    assert len(headers) == 25  # nothing dropped from the screen


def test_wrapped_text_rows_have_explicit_heights(printed):
    """LibreOffice does not grow rows: the height must be written."""
    ws = printed["Findings"]
    headers = [c.value for c in ws[1]]
    col = headers.index("Message") + 1
    width = ws.column_dimensions[openpyxl.utils.get_column_letter(col)].width
    long_rows = [
        r
        for r in range(2, ws.max_row + 1)
        if isinstance(ws.cell(r, col).value, str) and "wraps" in ws.cell(r, col).value
    ]
    assert long_rows
    for r in long_rows:
        need = lines_of(ws.cell(r, col).value, width)
        assert need > 1
        assert ws.row_dimensions[r].height >= need * LINE_HEIGHT_PT
    assert ws.row_dimensions[1].height  # the wrapped header row too


def test_words_not_codes(printed):
    summary = [c for row in printed["Summary"].iter_rows(values_only=True) for c in row if c]
    assert "Commitment sign-off" in summary and "commitment_signoff" not in summary
    severities = {c.value for c in printed["Findings"]["C"][1:]}
    assert severities <= {"High", "Medium", "Low", None}


def test_every_chart_value_axis_starts_at_zero(printed):
    charts = [
        (name, chart) for name in SHEETS for chart in printed[name]._charts
    ]  # reloaded charts are not kept by openpyxl: fall back to the built workbook
    if not charts:
        tables = build_tables()
        wb = build_rollup(tables, build_findings(tables), today=TODAY, run_info=RUN_INFO)
        charts = [(ws.title, c) for ws in wb.worksheets for c in ws._charts]
    bars = [(name, c) for name, c in charts if isinstance(c, BarChart)]
    assert len(bars) == 3
    for name, chart in bars:
        assert chart.y_axis.scaling.min == 0, (name, chart.title)


def _pages(pdf: Path) -> list[str]:
    n = int(re.search(r"Pages:\s+(\d+)", _run("pdfinfo", str(pdf))).group(1))
    return [_run("pdftotext", "-f", str(i), "-l", str(i), "-layout", str(pdf), "-") for i in
            range(1, n + 1)]  # fmt: skip


def _run(*cmd: str) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=60).stdout


@pytest.mark.slow
@pytest.mark.skipif(
    shutil.which("soffice") is None or shutil.which("pdfinfo") is None,
    reason="LibreOffice (soffice) and poppler (pdfinfo, pdftotext) not installed",
)
def test_libreoffice_renders_every_sheet_on_landscape_pages(tmp_path: Path) -> None:
    tables = build_tables(40, 120, 30)
    findings = build_findings(tables, 80)
    findings.loc[findings.index[0], "message"] = "A long message that wraps. " * 12
    wb = build_rollup(tables, findings, today=TODAY, run_info=RUN_INFO)
    path = save_rollup(wb, tmp_path, today=TODAY)
    env = {**os.environ, "HOME": str(tmp_path)}  # a private LibreOffice profile
    subprocess.run(
        ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
        check=True,
        timeout=180,
        env=env,
        capture_output=True,
    )
    pdf = tmp_path / (path.stem + ".pdf")
    info = _run("pdfinfo", "-f", "1", "-l", "100", str(pdf))
    sizes = re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", info)
    assert sizes and all(float(w) > float(h) for w, h in sizes)  # landscape everywhere
    pages = _pages(pdf)
    # One page per short sheet, two for the findings: the columns fit the width (the old
    # Portfolio print was one page wide only by shrinking to ~3 pt; here the row count decides).
    assert len(pages) <= 12, len(pages)
    for sheet in SHEETS:
        on = [p for p in pages if f"C3PO Rollup 2026-11-01 - {sheet}" in p]
        assert on, f"no page for {sheet}"
    for i, text in enumerate(pages, start=1):
        assert f"Page {i} of {len(pages)}" in text
        assert "Report date 2026-11-01" in text
    portfolio = next(p for p in pages if "- Portfolio" in p)
    assert "P0039" in portfolio  # every project on it
    assert "Source site" not in portfolio and "PPM e-mail" not in portfolio  # details off paper
    # Readable size: the body words on the Portfolio page are at least 7 pt tall.
    assert _median_word_height(pdf, pages.index(portfolio) + 1) >= MIN_PRINT_FONT_PT


def _median_word_height(pdf: Path, page: int) -> float:
    html = _run("pdftotext", "-f", str(page), "-l", str(page), "-bbox", str(pdf), "-")
    heights = [
        float(y2) - float(y1)
        for y1, y2 in re.findall(r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" '
                                 r'yMax="([\d.]+)"', html)
    ]  # fmt: skip
    heights.sort()
    return heights[len(heights) // 2]


def test_empty_workbook_still_has_print_settings():
    wb = build_rollup(CanonicalTables(), FINDINGS.empty(), today=TODAY, run_info={})
    for ws in wb.worksheets:
        assert ws.page_setup.orientation == "landscape"
        assert ws.oddFooter.right.text == "Page &P of &N"


RECORDED = Path(__file__).with_name("libreoffice_wrapped_lines.json")


def test_wrapped_line_counts_agree_with_libreoffice() -> None:
    """Row heights come from the lines LibreOffice wraps a cell to (recorded from its PDF of
    the demo's texts in columns 8 to 56 wide): never fewer, or the text is cut off, and seldom
    more, or rows gape. Counting characters instead made "Community & Digital Services" three
    lines in a column 14 wide where LibreOffice shows two, and cut "/sites/ppm-planning" short
    (it breaks after "/" and "-")."""
    cells = json.loads(RECORDED.read_text(encoding="utf-8"))["cells"]
    pairs = [(c["text"], float(w), n) for c in cells for w, n in c["lines"].items()]
    assert len(pairs) > 1000
    short = [(t, w, n, lines_of(t, w)) for t, w, n in pairs if lines_of(t, w) < n]
    assert not short
    exact = sum(lines_of(t, w) == n for t, w, n in pairs)
    assert exact >= 0.93 * len(pairs), exact / len(pairs)
    assert (
        lines_of("Community & Digital Services", 14)
        == lines_of("Community & Digital Services", 13)
        == 2
    )
    assert lines_of("Development Services & Public Safety", 12) == 3


def test_wrapped_line_counts_are_sane_for_any_text() -> None:
    """Words, hyphens, slashes, tabs, doubled, outer and non-breaking spaces, wide characters
    and words longer than the column: at least a line per paragraph, at most one per
    character, and never more lines in a wider column."""
    import random

    rng = random.Random(16)
    pieces = ["a", "xyz", "word", "longerword", " ", "  ", "-", "--", "1-2", "\t", "\n", "é",
              "\xa0", "\u2003", "a.b", "x" * 30, '"', "!", "/", "漢"]  # fmt: skip
    for _ in range(5_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
        width = rng.choice([1, 5, 8, 11.5, 13, 17, 24, 56])
        n = lines_of(text, width)
        assert text.count("\n") + 1 <= n <= len(text) + 1, (text, width)
        assert lines_of(text, width + 7) <= n, (text, width)


def test_plain_text_is_counted_without_textwrap(monkeypatch: pytest.MonkeyPatch) -> None:
    """Names and messages (words and single spaces) are counted directly: textwrap made and
    scanned objects per cell, the largest part of a city-size workbook's build (issue 16)."""
    import textwrap

    calls = 0
    wrap = textwrap.wrap

    def counted(*args: object, **kwargs: object) -> list[str]:
        nonlocal calls
        calls += 1
        return wrap(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(textwrap, "wrap", counted)
    texts = [f"Replacement of the {n}th legacy permitting system for the city" for n in range(50)]
    assert [lines_of(t, 24) for t in texts] == [3] * 50
    assert calls == 0
