"""The rollup's table bodies are made into cells only while it is saved, and the file is the
same as when every cell was made up front (issue 16, peak memory)."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date

import openpyxl
import pandas as pd
import pytest

from c3po_sync.rules import RulesConfig, evaluate
from c3po_sync.rules.evaluation import evaluation_table
from c3po_sync.rules.matrix import compliance_matrix
from c3po_sync.sinks import excel_rollup
from c3po_sync.sinks.excel_rollup import build_rollup, rollup_bytes
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
