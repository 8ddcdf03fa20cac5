"""Hub list definitions and row builders: one place for columns, rows typed as SharePoint wants."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from c3po_sync.rules.config import RulesConfig
from c3po_sync.sinks.base import WriteReport
from c3po_sync.sinks.hub_lists import (
    ASSET_INVENTORY,
    HUB_LISTS,
    KNOWLEDGE,
    asset_rows,
    knowledge_rows,
    portfolio_rows,
)

from .conftest import TODAY, build_tables

TZ = ZoneInfo("America/Los_Angeles")


@pytest.mark.parametrize("spec", HUB_LISTS, ids=lambda s: s.title)
def test_specs_have_an_indexed_key_and_a_column_nobody_else_writes(spec) -> None:
    names = [c.internal_name for c in spec.columns]
    assert len(names) == len(set(names))
    titles = [c.title.lower() for c in spec.columns]
    assert len(titles) == len(set(titles))
    key = next(c for c in spec.columns if c.internal_name == spec.key_column)
    assert key.kind == "Text" and key.indexed and key.owned
    assert any(not c.owned for c in spec.columns)  # a PPM's or auditor's note column
    assert all(" " not in n for n in names)


def _by_key(rows: list[dict], key: str) -> dict[str, dict]:
    return {r[key]: r for r in rows}


def test_knowledge_rows_follow_the_phase_requirements() -> None:
    tables = build_tables(n_projects=14, n_documents=60)
    rules = RulesConfig()
    rows = knowledge_rows(tables, rules, TZ)
    by_key = _by_key(rows, "RetentionKey")
    assert len(by_key) == len(rows)
    names = {c.internal_name for c in KNOWLEDGE.columns}
    assert all(set(r) <= names for r in rows)
    phases = dict(zip(tables.projects["project_key"], tables.projects["phase"], strict=True))
    for key, phase in phases.items():
        wanted = set()
        if rules.phases.index(phase) >= rules.phases.index("Execution"):
            wanted |= {"charter", "commitment_signoff"}
        if phase == "Closed":
            wanted |= {"acceptance_signoff", "lessons_learned"}
        assert {k.split("/")[1] for k in by_key if k.split("/")[0] == key} == wanted, key
    docs = tables.documents
    charters = set(docs.loc[docs["doc_type"] == "charter", "project_key"].dropna())
    for row in rows:
        if row["RetentionKey"].endswith("/charter"):
            assert (row["DocumentState"] == "Present") == (row["ProjectKey"] in charters)
        if row["DocumentState"] == "Present":
            assert row["Document"]["Url"] and row["DocumentName"]
        else:
            assert row["Document"] is None and row["LastModified"] is None


def test_knowledge_uses_the_configured_requirements() -> None:
    tables = build_tables(n_projects=7)
    rules = RulesConfig(required_documents={"Initiation": ["project_plan"]})
    rows = knowledge_rows(tables, rules, TZ)
    assert len(rows) == 7
    assert {r["DocumentType"] for r in rows} == {"Project plan"}
    assert {r["RequiredFrom"] for r in rows} == {"Initiation"}


def test_asset_rows_flag_the_lifecycle() -> None:
    tables = build_tables(n_assets=10)
    rows = _by_key(asset_rows(tables, RulesConfig(), TODAY, TZ), "AssetId")
    names = {c.internal_name for c in ASSET_INVENTORY.columns}
    assert all(set(r) <= names for r in rows.values())
    assets = tables.assets.set_index("asset_id")
    for asset_id, row in rows.items():
        a = assets.loc[asset_id]
        retired = a["lifecycle_stage"] == "Retired"
        eos = a["end_of_support"]
        assert row["PastEndOfSupport"] == (not retired and eos is not None and eos < TODAY)
        soon = not retired and eos is not None and TODAY <= eos <= TODAY + timedelta(days=365)
        assert row["EndsWithin12Months"] == soon
        assert row["NoOwner"] == (not retired and pd.isna(a["owner"]))
        assert row["ReviewOverdue"] == (not retired)  # the sample assets were never reviewed
        assert row["PPMPerson"] == row["PPM"]
        if eos is not None:
            # a calendar date: the sink writes it as midnight in the hub's own time zone
            assert row["EndOfSupport"] == eos
    assert any(r["PastEndOfSupport"] for r in rows.values())
    assert any(r["EndsWithin12Months"] for r in rows.values())


def test_portfolio_rows_carry_the_ppm_as_a_person() -> None:
    tables = build_tables(n_projects=12)
    rows = portfolio_rows(tables, tables.projects.iloc[0:0], TZ)
    assert all(r["PPMPerson"] == r["PPM"] for r in rows)
    assert any(r["PPMPerson"] is None for r in rows)


def test_write_report_describes_with_examples() -> None:
    report = WriteReport("C3PO Portfolio", added=["A", "B", "C", "D", "E"], unchanged=3)
    report.changed = {"Z": ["Budget"], "Y": ["Phase"]}
    line = report.describe()
    assert line == (
        "C3PO Portfolio: wrote 5 added (A, B, C, +2 more); 2 changed (Y, Z); "
        "0 marked gone; 3 unchanged"
    )
    report.dry_run = True
    assert "would write" in report.describe()


def test_rows_are_cut_to_what_sharepoint_stores() -> None:
    from c3po_sync.sinks.hub_lists import PORTFOLIO
    from c3po_sync.sinks.limits import TEXT_MAX, fit_rows

    row = {"ProjectKey": "K", "Title": "x" * 1000, "PPMComment": "y" * 1000, "Budget": 1.0}
    (fitted,), refused = fit_rows(PORTFOLIO, [row])
    assert fitted["Title"] == "x" * (TEXT_MAX - 1) + "\u2026"  # shortened, and says so
    assert fitted["PPMComment"] == "y" * 1000  # a Note column holds long text
    assert fitted["Budget"] == 1.0
    assert refused == []
