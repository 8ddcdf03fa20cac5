"""Issue 12: quarantined values grouped by site, list and column, in the rollup and the CLI."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from c3po_sync.cli.main import app
from c3po_sync.model.schema import QUARANTINE
from c3po_sync.model.tables import CanonicalTables
from c3po_sync.normalize.quarantine import group_by_column, sort_for_fixing
from c3po_sync.state.store import StateStore


def _q():
    rows = []
    for i in range(1, 6):
        rows.append(("/sites/a", "Projects", i, "Cost", f"TBD{i}", "budget: not an amount"))
    rows.append(("/sites/a", "Projects", 3, "Stage", "Lost", "phase: unknown value 'Lost'"))
    rows.append(("/sites/b", "Projects", 9, "Cost", "x", "budget: not an amount"))
    return QUARANTINE.frame(
        [
            {
                "source_site": s,
                "source_list": lst,
                "source_item_id": i,
                "column": c,
                "raw_value": raw,
                "reason": why,
                "field": why.split(":")[0],
                "problem": "unknown_value" if c == "Stage" else "invalid",
            }
            for s, lst, i, c, raw, why in rows
        ]
    )


def test_grouped_by_site_list_column_and_problem_with_counts():
    g = group_by_column(_q())
    first = g.iloc[0]
    assert (first.source_site, first.column, first["count"], first["items"]) == (
        "/sites/a",
        "Cost",
        5,
        "1, 2, 3, 4, 5",
    )
    assert sorted(g["count"].tolist()) == [1, 1, 5]


def test_detail_rows_are_sorted_by_column_with_the_columns_count():
    d = sort_for_fixing(_q())
    assert d.column.tolist()[:5] == ["Cost"] * 5 and d.column_count.tolist()[:5] == [5] * 5


def test_cli_shows_the_latest_runs_quarantine_grouped(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'state.db'}"
    with StateStore(url) as store:
        run = store.start_run("nightly", "manual")
        store.save_snapshot(run, CanonicalTables(quarantine=_q()))
        store.finish_run(run, "ok")
    monkeypatch.setenv("C3PO_STATE_URL", url)
    runner = CliRunner()
    res = runner.invoke(app, ["quarantine", "--json", "--site", "/sites/a"])
    assert res.exit_code == 0, res.output
    lines = [json.loads(line) for line in res.output.splitlines() if line.startswith("{")]
    assert [(r["column"], r["problem"], r["count"]) for r in lines] == [
        ("Cost", "invalid", 5),
        ("Stage", "unknown_value", 1),
    ]
    res = runner.invoke(app, ["quarantine"])
    assert res.exit_code == 0 and "7 value(s) quarantined" in res.output


def test_data_quality_sheet_groups_by_column_with_counts():
    import openpyxl

    from c3po_sync.sinks.excel_sheets import quarantine_sheet

    ws = openpyxl.Workbook().active
    quarantine_sheet(ws, _q())
    rows = list(ws.iter_rows(values_only=True))
    header = rows[0]
    assert header[:5] == ("Site", "List", "Column", "Problems in column", "Problem")
    body = rows[1:]
    assert [r[2] for r in body[:5]] == ["Cost"] * 5 and {r[3] for r in body[:5]} == {5}
    assert len(body) == len(_q())  # still one row per value, located
