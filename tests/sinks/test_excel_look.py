"""The rollup as an auditor reads it on paper (LibreOffice's rendering of the demo's workbook):
entities told apart, PPMs named, "not checked" never shown as 0, rows as tall as their text."""

from __future__ import annotations

import io
from dataclasses import replace

import openpyxl
import pandas as pd
import pytest

from c3po_sync.model.tables import CanonicalTables
from c3po_sync.rules import RulesConfig
from c3po_sync.sinks.excel_data import entity_text
from c3po_sync.sinks.excel_rollup import build_rollup, rollup_bytes

from .conftest import RUN_INFO, TODAY

ASSET = "/sites/itd/IT Asset Inventory/{}"


def _sheet(tables: CanonicalTables, findings: pd.DataFrame, name: str, **kw) -> object:
    wb = build_rollup(tables, findings, today=TODAY, run_info=RUN_INFO, **kw)
    return openpyxl.load_workbook(io.BytesIO(rollup_bytes(wb)))[name]


def _columns(ws) -> dict[str, list]:
    headers = [c.value for c in ws[1]]
    return {h: [ws.cell(r, i + 1) for r in range(2, ws.max_row + 1)] for i, h in enumerate(headers)}


@pytest.fixture(scope="module")
def item_keyed(tables: CanonicalTables, findings: pd.DataFrame):
    """The fixtures with asset ids as the normalizer makes them: "<site>/<list>/<item id>"."""
    assets = tables.assets.copy()
    renamed = {old: ASSET.format(i + 1) for i, old in enumerate(assets["asset_id"])}
    assets["asset_id"] = assets["asset_id"].map(renamed)
    f = findings.copy()
    f["entity_key"] = f["entity_key"].map(lambda k: renamed.get(k, k))
    return replace(tables, assets=assets), f


def test_entity_text_puts_the_item_id_first() -> None:
    assert entity_text(ASSET.format(6)) == "#6 IT Asset Inventory"
    assert entity_text("SJ311") == "SJ311" and entity_text("itd:assets:3") == "itd:assets:3"
    assert entity_text(None) is None


def test_asset_findings_and_assets_are_told_apart_on_the_printed_columns(item_keyed) -> None:
    tables, findings = item_keyed
    entities = _columns(_sheet(tables, findings, "Findings"))["Entity"]
    shown = {c.value for c in entities if str(c.value).startswith("#")}
    assert shown and all(v.endswith(" IT Asset Inventory") for v in shown)
    assert not any(str(c.value).startswith("/sites/") for c in entities)

    cols = _columns(_sheet(tables, findings, "Assets"))
    assert [c.value for c in cols["Asset"]] == [
        f"#{i + 1} IT Asset Inventory" for i in range(len(tables.assets))
    ]
    assert [c.value for c in cols["Asset id"]] == tables.assets["asset_id"].tolist()
    # The link is on the short id, which fits a line: LibreOffice never wraps a linked cell,
    # so a linked name was clipped on paper.
    assert cols["Asset"][0].hyperlink is not None
    assert all(c.hyperlink is None for c in cols["Name"])
    assert cols["Name"][0].alignment.wrap_text


@pytest.mark.parametrize("sheet", ["Findings", "Assets"])
def test_findings_and_assets_name_the_ppm_as_the_portfolio_does(tables, findings, sheet) -> None:
    cols = _columns(_sheet(tables, findings, sheet))
    names = dict(zip(tables.projects["ppm"], tables.projects["ppm_name"], strict=True))
    shown = [(c.value, e.value) for c, e in zip(cols["PPM"], cols["PPM e-mail"], strict=True)]
    assert any(n and n != e for n, e in shown)  # names where the project lists carry them
    for name, email in shown:
        assert name == (names.get(email, email) if email else None)  # else the e-mail


def test_summary_says_not_checked_for_a_recommendation_no_rule_checks(tables, findings) -> None:
    def r1(rules: RulesConfig) -> object:
        ws = _sheet(tables, findings, "Summary", rules=rules)
        return next(row[1].value for row in ws.iter_rows(max_col=2) if row[0].value == "R1")

    assert r1(RulesConfig()) == "Not checked"  # no current charter template: R1 has no check
    assert type(r1(RulesConfig(current_charter_template="v3"))) is int


def test_scorecard_names_wrap(tables, findings) -> None:
    ws = _sheet(tables, findings, "Audit scorecard")
    assert all(c.alignment.wrap_text for c in _columns(ws)["Name"] if c.value)


def test_every_font_names_the_workbook_face(tables, findings) -> None:
    """A Font() without a name or size is set in the renderer's own default: LibreOffice set
    headers, titles and links in a wide serif that broke "Recommendation" and "Severity"."""
    wb = build_rollup(tables, findings, today=TODAY, run_info=RUN_INFO)
    fonts = openpyxl.load_workbook(io.BytesIO(rollup_bytes(wb)))._fonts
    assert len(fonts) > 1
    assert all(f.name == "Calibri" and f.sz for f in fonts), [(f.name, f.sz) for f in fonts]


def test_the_dashboard_link_fits_its_column(tables, findings) -> None:
    """LibreOffice neither wraps a linked cell nor lets it spill left: a right-aligned link
    wider than column B printed as "3 Dashboard (internal)"."""
    url = "https://city.sharepoint.com/sites/hub/SitePages/C3PO%20Dashboard%20%28internal%29.html"
    info = {**RUN_INFO, "dashboard": url}
    wb = build_rollup(tables, findings, today=TODAY, run_info=info)
    ws = openpyxl.load_workbook(io.BytesIO(rollup_bytes(wb)))["Summary"]
    assert ws.column_dimensions["B"].width >= len("C3PO Dashboard (internal)") + 1


def test_keys_and_portfolio_words_fit_their_columns(tables, findings) -> None:
    """Printed in Calibri, "NEXTGEN911" broke as "NEXTGEN91" / "1" and "Administration" as
    "Administratio" / "n" on the Findings sheet."""
    from openpyxl.utils import get_column_letter

    from c3po_sync.sinks.excel_print import text_lines

    for sheet, header, word in [
        ("Findings", "Project", "NEXTGEN911"),
        ("Findings", "Portfolio", "Administration"),
        ("Assets", "Project", "NEXTGEN911"),
    ]:
        ws = _sheet(tables, findings, sheet)
        col = [c.value for c in ws[1]].index(header) + 1
        width = ws.column_dimensions[get_column_letter(col)].width
        assert text_lines(word, width) == 1, (sheet, header, width)
