"""The rollup and the hub lists use the rules' definitions (model.domain), never their own."""

from __future__ import annotations

import io
from datetime import timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from c3po_sync.model import domain
from c3po_sync.model.schema import FINDINGS
from c3po_sync.rules import (
    RulesConfig,
    all_rules,
    evaluate,
    not_checked,
    recommendations_not_checked,
)
from c3po_sync.sinks.excel_rollup import build_rollup, rollup_bytes, scorecard
from c3po_sync.sinks.hub_lists import asset_rows
from tests.rules import TODAY, asset, fired, project, tenant


def _sheet_rows(tables, rules: RulesConfig | None, sheet: str) -> list[dict]:
    findings = evaluate(tables, rules or RulesConfig(), TODAY)
    wb = build_rollup(tables, findings, today=TODAY, run_info={}, rules=rules)
    ws = openpyxl.load_workbook(io.BytesIO(rollup_bytes(wb)))[sheet]
    header = [c.value for c in ws[1]]
    return [dict(zip(header, r, strict=True)) for r in ws.iter_rows(min_row=2, values_only=True)]


def _five_projects(fifth_phase: str) -> list[dict]:
    rows = [project(f"P{i}") for i in range(1, 5)]
    return [*rows, project("P5", phase=fifth_phase)]


@pytest.mark.parametrize(
    ("fifth_phase", "rules"),
    [
        # An unknown phase: the rules call it inactive; the sink used to count it as active.
        ("On hold", None),
        # A configured inactive phase: the sink used to hard-code only "closed".
        ("Sustain", RulesConfig(inactive_phases=["Sustain", "Closed"])),
    ],
)
def test_workload_sheet_and_overload_rule_agree(fifth_phase: str, rules: RulesConfig | None):
    tables = tenant(_five_projects(fifth_phase))
    assert fired(tables, "R6-ppm-overloaded", rules) == []
    [row] = _sheet_rows(tables, rules, "PPM workload")
    assert row["Active projects"] == 4
    assert row["Over 4 major"] == "No"


def test_summary_counts_active_projects_as_the_rules_do():
    tables = tenant(_five_projects("On hold"))
    findings = evaluate(tables, RulesConfig(), TODAY)
    wb = build_rollup(tables, findings, today=TODAY, run_info={})
    ws = openpyxl.load_workbook(io.BytesIO(rollup_bytes(wb)))["Summary"]
    values = {r[0]: r[1] for r in ws.iter_rows(values_only=True) if r and r[0]}
    assert values["Active projects"] == 4


def test_assets_sheet_names_the_projects_ppm():
    """The inventory maps no PPM; the Assets sheet used to leave the column empty."""
    tables = tenant([project("P1", ppm="pat@city.gov")], assets=[asset("A1", "p1 ")])
    [row] = _sheet_rows(tables, None, "Assets")
    assert (row["PPM"], row["PPM e-mail"]) == ("Pat PPM", "pat@city.gov")  # named as on Portfolio


def test_hub_inventory_and_review_rule_agree():
    old = TODAY - timedelta(days=400)
    tables = tenant(
        [project("P1")],
        assets=[
            asset("A1", last_reviewed=old),
            asset("A2", last_reviewed=old, lifecycle_stage="Retired"),
            asset("A3", last_reviewed=None, lifecycle_stage=None),
        ],
    )
    rows = asset_rows(tables, RulesConfig(), TODAY, ZoneInfo("UTC"))
    overdue = sorted(r["AssetId"] for r in rows if r["ReviewOverdue"])
    assert overdue == fired(tables, "R10-asset-review-overdue") == ["A1", "A3"]


def test_unknown_phase_is_not_active():
    import pandas as pd

    phases = pd.Series(["Execution", "On hold", None, "closed"])
    active = domain.active_projects(phases, RulesConfig().phases, ["Closed"])
    assert active.tolist() == [True, False, False, False]


def test_empty_findings_frame_is_fine():
    tables = tenant([project("P1")])
    wb = build_rollup(tables, FINDINGS.empty(), today=TODAY, run_info={})
    assert "PPM workload" in wb.sheetnames


# --- "not checked" is not "compliant" ---------------------------------------------------------


def _scorecard_rows(rules: RulesConfig | None) -> dict[int, dict]:
    tables = tenant([project("P1"), project("P2")])
    rows = _sheet_rows(tables, rules, "Audit scorecard")
    return {r["Recommendation"]: r for r in rows if isinstance(r["Recommendation"], int)}


def test_rec_1_is_not_checked_without_a_current_charter_template():
    assert set(recommendations_not_checked(RulesConfig())) == {1}
    assert "current_charter_template" in not_checked(RulesConfig())["R1-charter-template-outdated"]
    row = _scorecard_rows(None)[1]
    assert row["Share compliant"] is None  # it used to say 100%
    assert row["Trend"] == "Not checked"
    assert "current_charter_template" in row["Note"]
    assert 1 not in scorecard(tenant([project("P1")]), FINDINGS.empty())


def test_rec_1_is_scored_once_a_template_is_configured():
    rules = RulesConfig(current_charter_template="v3")
    assert recommendations_not_checked(rules) == {}
    row = _scorecard_rows(rules)[1]
    assert row["Share compliant"] == 1.0 and row["Trend"] == "New" and row["Note"] is None


def test_disabling_every_check_of_a_recommendation_makes_it_not_checked():
    ids = [r.rule_id for r in all_rules() if r.recommendation == 3]
    rules = RulesConfig(current_charter_template="v3", disabled=ids)
    assert set(recommendations_not_checked(rules)) == {3}
    assert _scorecard_rows(rules)[3]["Trend"] == "Not checked"


def test_every_document_type_has_a_name():
    from c3po_sync.model.labels import DOC_TYPE_LABELS, doc_type_label
    from c3po_sync.normalize.mapping import DOC_TYPES

    assert set(DOC_TYPES) <= set(DOC_TYPE_LABELS)
    assert doc_type_label("commitment_signoff") == "Commitment sign-off"
    assert doc_type_label("some_new_type") == "some new type"  # never a snake_case code


def test_changes_sheet_shows_amounts_as_money():
    import pandas as pd

    tables = tenant([project("P1")])
    changes = pd.DataFrame(
        [{"project_key": "P1", "change": "Budget changed", "before": 600000.0, "after": 720000.0}]
    )
    wb = build_rollup(tables, FINDINGS.empty(), today=TODAY, run_info={}, changes=changes)
    ws = openpyxl.load_workbook(io.BytesIO(rollup_bytes(wb)))["Changes since last report"]
    assert ws["D2"].value == 600000 and ws["D2"].number_format.startswith('"$"#,##0')


def test_workload_flags_exactly_the_ppms_the_overload_rule_flags():
    """The sheet used to count every active project; the rule counts major ones in the load
    phases only (issue 15), so both read model.domain.load_counted."""
    big = {"budget": 900_000.0}
    rows = [project(f"B{i}", ppm="busy@city.gov", **big) for i in range(5)]
    rows += [project(f"S{i}", ppm="small@city.gov") for i in range(6)]  # six small projects
    rows += [project("H", ppm="small@city.gov", state="On hold", **big)]
    tables = tenant(rows)
    assert fired(tables, "R6-ppm-overloaded") == ["busy@city.gov"]
    by_ppm = {r["PPM e-mail"]: r for r in _sheet_rows(tables, None, "PPM workload")}
    assert by_ppm["busy@city.gov"]["Over 4 major"] == "Yes"
    assert by_ppm["busy@city.gov"]["Major projects in load"] == 5
    assert by_ppm["small@city.gov"]["Over 4 major"] == "No"
    assert by_ppm["small@city.gov"]["Active projects"] == 6  # the On hold one is not active
