"""The rollup's table bodies are made into cells only while it is saved, and the file is the
same as when every cell was made up front (issue 16, peak memory)."""

from __future__ import annotations

import io
import random
import re
import zipfile
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest
from openpyxl.cell.cell import Cell
from openpyxl.styles import Font, PatternFill
from openpyxl.styles.cell_style import StyleArray

from c3po_sync.rules import RulesConfig, evaluate
from c3po_sync.rules.evaluation import evaluation_table
from c3po_sync.rules.matrix import compliance_matrix
from c3po_sync.sinks import excel_rollup, excel_xml
from c3po_sync.sinks.excel_rollup import build_rollup, rollup_bytes
from c3po_sync.sinks.excel_stream import StreamedWorkbook, TableBody, add_body, bodies
from tests.rules import project, tenant

from .conftest import PHASES, RUN_INFO, TODAY, build_findings, build_tables

_MODIFIED = re.compile(rb"<dcterms:modified[^<]*</dcterms:modified>")  # the save's own clock


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: _MODIFIED.sub(b"", z.read(n)) for n in z.namelist()}


def _build(inject: bool) -> openpyxl.Workbook:
    tables = build_tables(60, 200, 40, inject=inject)
    findings = build_findings(tables, 120, inject=inject)
    changes = pd.DataFrame(
        {
            "project_key": tables.projects["project_key"][:5],
            "change": ["Budget"] * 5,
            "before": [100.0] * 5,
            "after": [date(2026, 1, 2)] * 5,
        }
    )
    # The grid from the rules' own sample tenant: states of every kind, a formula-like title.
    judged_tenant = tenant(
        [project(f"P{i:02d}", phase=PHASES[i % len(PHASES)]) for i in range(60)]
        + [project("ODD", phase="Someday", title="=cmd|' /C calc'!A0")]
    )
    rules = RulesConfig()
    judged = evaluate(judged_tenant, rules, TODAY)
    matrix = compliance_matrix(
        evaluation_table(judged_tenant, rules, TODAY, judged), judged, judged_tenant.projects
    )
    first_key = "P00"
    return build_rollup(
        tables,
        findings,
        today=TODAY,
        run_info=RUN_INFO,
        changes=changes,
        matrix=matrix,
        not_reread={first_key: "not re-read since 2026-10-30 08:00 UTC: HTTP 503"},
    )


@pytest.mark.parametrize("inject", [False, True])
def test_streamed_rollup_equals_the_one_built_cell_by_cell(
    inject: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    streamed = _build(inject)
    # Before the save the big tables hold no data cells: only their header rows exist.
    findings = streamed["Findings"]
    assert {row for row, _ in findings._cells} == {1}
    grid = streamed["Compliance matrix"]  # legend and header only: no project row yet
    assert max(row for row, _ in grid._cells) < 20
    held = {ws.title: len(ws._cells) for ws in streamed.worksheets}
    data = rollup_bytes(streamed)
    # Saving made no cells to keep (openpyxl's table writer would make every body cell).
    assert {ws.title: len(ws._cells) for ws in streamed.worksheets} == held
    again = rollup_bytes(streamed)
    # The same workbook built in openpyxl's normal mode, every cell made as it is written.
    monkeypatch.setattr(excel_rollup, "StreamedWorkbook", openpyxl.Workbook)
    eager = _build(inject)
    assert len(eager["Findings"]._cells) > 1000
    assert len(eager["Compliance matrix"]._cells) > 60 * 13
    # A second save too: openpyxl writes a saved workbook a little differently the second time.
    for got_bytes, want_bytes in ((data, rollup_bytes(eager)), (again, rollup_bytes(eager))):
        got, want = _members(got_bytes), _members(want_bytes)
        assert list(got) == list(want)
        for name in want:  # every sheet's XML, styles, tables, links and print setup
            assert got[name] == want[name], name


# Every kind of value a body may hold, including those the text writer leaves to openpyxl.
_TEXTS = ["plain", "a & b < c > d", 'say "hi"', "line\nbreak", "tab\there", "cr\rhere", " pad ",
          "trail ", "", "=SUM(A1)", "+1", "-2", "@x", "\tlead", "café", "Ω ≥ 5", "emoji 😀",
          "x" * 300]  # fmt: skip
_OTHERS = [0, 7, -3, 10**17, 2.5, 1 / 3, -0.0, 1e-9, float("nan"), float("inf"), True, False,
           date(2026, 11, 1), datetime(2026, 11, 1, 8, 30, 15), date(1900, 1, 15), None, None,
           np.int64(4), Decimal("1.5")]  # fmt: skip


# Columns of one kind, as the rollup's are (written a column at a time, excel_xml._tails).
_KINDS = [
    _TEXTS + _OTHERS,
    _TEXTS,
    [t for t in _TEXTS if t == t.strip() and t[:1] not in "=+-@"],  # no quotePrefix, xml:space
    [0, 7, -3, 10**17, 2.5, 1 / 3, -0.0, 1e-9],
    [date(2026, 11, 1), datetime(2026, 11, 1, 8, 30, 15), date(1900, 1, 15)],
]


def _random_body(rng: random.Random, first_row: int, styles: list[StyleArray | None]) -> TableBody:
    n_cols, n_rows = rng.randint(1, 6), rng.randint(0, 40)
    pools = [rng.choice(_KINDS) for _ in range(n_cols)]
    columns = [
        [rng.choice(pool) if rng.random() < 0.9 else None for _ in range(n_rows)] for pool in pools
    ]
    urls = {
        i: [rng.choice([None, "https://x.example/a?b=1&c=2", "https://x.example/é"])
            for _ in range(n_rows)]
        for i in range(n_cols) if rng.random() < 0.4
    }  # fmt: skip
    own = {
        i: [rng.choice([s for s in styles if s is not None]) for _ in range(n_rows)]
        for i in range(n_cols)
        if rng.random() < 0.3
    }
    return TableBody(
        first_row=first_row,
        columns=columns,
        urls=urls,
        plain=[rng.choice(styles) for _ in range(n_cols)],
        linked=[rng.choice(styles) if i in urls else None for i in range(n_cols)],
        fmt_dates=[rng.random() < 0.5 for _ in range(n_cols)],
        cell_styles=own,
        keep_empty=rng.random() < 0.3,
    )


def _random_workbook(seed: int, streamed: bool) -> openpyxl.Workbook:
    rng = random.Random(seed)
    wb = StreamedWorkbook() if streamed else openpyxl.Workbook()
    wb.properties.created = datetime(2026, 11, 1, 8, 0)  # not the clock's
    for s in range(2):
        ws = wb.active if s == 0 else wb.create_sheet(f"S{s}")
        styles: list[StyleArray | None] = [None, StyleArray()]
        for fmt, bold, fill in [("0.0%", False, None), ("yyyy-mm-dd", True, "FFC7CE"),
                                (None, False, "C6EFCE"), ("#,##0", True, None)]:  # fmt: skip
            probe = Cell(ws)
            if fmt:
                probe.number_format = fmt
            if bold:
                probe.font = Font(bold=True)
            if fill:
                probe.fill = PatternFill("solid", start_color=fill, end_color=fill)
            styles.append(probe._style)
        ws.cell(row=1, column=1, value="Title").font = Font(bold=True, size=14)
        row = 3
        for _ in range(3):
            body = _random_body(rng, row, styles)
            add_body(ws, body)
            for r in range(row, row + body.n_rows):
                if rng.random() < 0.2:
                    ws.row_dimensions[r].height = rng.choice([15, 30, 45.5])
                if rng.random() < 0.1:
                    ws.row_dimensions[r].hidden = True
                if rng.random() < 0.3:  # a height the body keeps (excel_print.fit_row_heights)
                    height = rng.choice([30.0, 60.0, 450.0])
                    dim = ws.row_dimensions.get(r)
                    if streamed:
                        body.set_height(r - row, height)  # written where the sheet's sets none
                    elif dim is None or dim.ht is None:
                        ws.row_dimensions[r].height = height
            if body.n_rows and rng.random() < 0.3:  # an ordinary cell on a body's row
                ws.cell(row=row + rng.randrange(body.n_rows), column=8, value="beside")
            row += body.n_rows + 2
    return wb


@pytest.mark.parametrize("seed", range(30))
def test_rows_written_as_text_equal_openpyxls_own(seed: int) -> None:
    """Random bodies with every kind of value: the text writer's file is openpyxl's, byte for
    byte (styles' ids, hyperlinks, row heights, the rows it leaves to openpyxl); a height the
    body keeps is written as a RowDimension's."""
    got = _members(rollup_bytes(_random_workbook(seed, streamed=True)))
    want = _members(rollup_bytes(_random_workbook(seed, streamed=False)))
    assert list(got) == list(want)
    for name in want:
        assert got[name] == want[name], name


@pytest.mark.parametrize("seed", range(30, 50))
def test_rows_written_in_blocks_equal_openpyxls_own(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Blocks of a few rows: a style first met inside a body, a block ending on it, rows of a
    block written as openpyxl writes them."""
    monkeypatch.setattr(excel_xml, "_BLOCK_ROWS", 3)
    got = _members(rollup_bytes(_random_workbook(seed, streamed=True)))
    want = _members(rollup_bytes(_random_workbook(seed, streamed=False)))
    assert list(got) == list(want)
    for name in want:
        assert got[name] == want[name], name


def test_body_cells_are_written_a_column_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """The rollup's columns (one kind of value each) are made in bulk, not cell by cell: a
    call per cell was most of the save's Python calls (issue 16, a new day's CPU)."""
    wb = _build(inject=False)
    calls = 0
    one_cell = excel_xml.RowXml._tail

    def counted(self: excel_xml.RowXml, *args: Any) -> str | None:
        nonlocal calls
        calls += 1
        return one_cell(self, *args)

    monkeypatch.setattr(excel_xml.RowXml, "_tail", counted)
    rollup_bytes(wb)
    values = sum(len(b.columns) * b.n_rows for ws in wb.worksheets for b in bodies(ws))
    assert values > 3000
    assert calls < values / 20  # the few with a formula's first character or outer blanks


def test_saving_the_rollup_makes_no_cell_per_body_value(monkeypatch: pytest.MonkeyPatch) -> None:
    """The body's rows are written as text: saving makes no cells for them (it made one per
    value, most of a new day's workbook CPU at city size, issue 16)."""
    wb = _build(inject=True)
    made = 0
    init = Cell.__init__

    def counted(self: Cell, *args: Any, **kwargs: Any) -> None:
        nonlocal made
        made += 1
        init(self, *args, **kwargs)

    monkeypatch.setattr(Cell, "__init__", counted)
    rollup_bytes(wb)
    values = sum(len(b.columns) * b.n_rows for ws in wb.worksheets for b in bodies(ws))
    assert values > 3000
    assert made == 0
