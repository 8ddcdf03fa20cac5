"""Project rules: each fires on its tiny tenant and stays quiet on the near miss."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from c3po_sync.model.schema import STATUS_REPORTS
from c3po_sync.rules import RulesConfig, evaluate

from . import TODAY, document, fired, messages, project, tenant


def test_compliant_baseline_has_no_findings():
    out = evaluate(tenant([project("P1"), project("P2", phase="Chartering")]), RulesConfig(), TODAY)
    assert out.empty, out[["finding_id", "message"]].to_string()


# --- R9 stale status --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status_date", "phase", "stale"),
    [
        (TODAY - timedelta(days=61), "Execution", True),
        (TODAY - timedelta(days=60), "Execution", False),  # exactly the window: not stale
        (None, "Execution", True),
        (None, "Closed", False),  # closed projects report no status
        (TODAY - timedelta(days=400), "Closed", False),
        (TODAY + timedelta(days=5), "Execution", False),  # future: data-quality, not stale
    ],
)
def test_status_stale_boundaries(status_date, phase, stale):
    docs = [
        document("P1", t)
        for t in ("charter", "commitment_signoff", "acceptance_signoff", "lessons_learned")
    ]
    t = tenant(
        [project(status_date=status_date, phase=phase, metrics="x")],
        docs,
        assets=[
            {
                "asset_id": "A",
                "project_key": "P1",
                "owner": "o",
                "lifecycle_stage": "In Service",
                "acquired": date(2020, 1, 1),
                "end_of_support": date(2030, 1, 1),
                "last_reviewed": TODAY,
            }
        ],
    )
    assert fired(t, "R9-status-stale") == (["P1"] if stale else [])


def test_status_stale_message_names_date_and_window():
    t = tenant([project(status_date=date(2026, 7, 1))])
    [msg] = messages(t, "R9-status-stale")
    assert "2026-07-01" in msg and "due again by 2026-08-30" in msg and "window 60 days" in msg
    # Dates, not an age: the same finding reads the same tomorrow, so no hub row is rewritten.
    assert "days ago" not in msg


def test_recent_status_report_refreshes_a_stale_item():
    t = tenant([project(status_date=date(2026, 1, 1))])
    t.status_reports = STATUS_REPORTS.frame(
        [
            {"project_key": "P1", "report_date": TODAY - timedelta(days=3), "status": "Green"},
        ]
    )
    assert fired(t, "R9-status-stale") == []


def test_window_comes_from_config():
    t = tenant([project(status_date=TODAY - timedelta(days=40))])
    assert fired(t, "R9-status-stale", RulesConfig(reporting_window_days=30)) == ["P1"]


def test_future_status_date_is_data_quality():
    t = tenant([project(status_date=TODAY + timedelta(days=1)), project("P2", status_date=TODAY)])
    assert fired(t, "DQ-status-date-future") == ["P1"]


# --- R6 engagement, contract PPM, overload, metrics ---------------------------------------


@pytest.mark.parametrize(
    ("overrides", "fires"),
    [
        ({"budget": 500_000.01}, True),
        ({"budget": 500_000.0}, False),  # exactly $500,000 is not over
        ({"departments": ["ITD", "Police"]}, True),
        ({"departments": ["ITD"]}, False),
        ({"start_date": date(2026, 1, 1), "target_end": date(2027, 1, 2)}, True),  # 366 days
        ({"start_date": date(2026, 1, 1), "target_end": date(2027, 1, 1)}, False),  # 365 days
        ({"high_profile": True}, True),
        ({"custom_software": True}, True),
        ({"budget": None, "departments": None, "target_end": None}, False),
    ],
)
def test_engagement_criteria_without_ppm(overrides, fires):
    t = tenant([project(ppm=None, **overrides)])
    assert fired(t, "R6-engagement-no-ppm") == (["P1"] if fires else [])


def test_engagement_needs_no_finding_when_ppm_assigned():
    t = tenant([project(budget=2_000_000.0)])
    assert fired(t, "R6-engagement-no-ppm") == []


def test_engagement_message_gives_reasons():
    t = tenant([project("TMS", ppm="  ", budget=2_000_000.0, departments=["A", "B", "C"])])
    [msg] = messages(t, "R6-engagement-no-ppm")
    assert "TMS" in msg and "$2,000,000" in msg and "3 departments" in msg


def test_engagement_criterion_can_be_switched_off():
    cfg = RulesConfig.model_validate({"engagement": {"high_profile": False}})
    assert fired(tenant([project(ppm=None, high_profile=True)]), "R6-engagement-no-ppm", cfg) == []


def test_contract_ppm_without_supervisor():
    t = tenant(
        [
            project("BODYCAM", ppm_is_contract=True, supervising_ppm=None),
            project("OK1", ppm_is_contract=True, supervising_ppm="boss@city.gov"),
            project("OK2", ppm_is_contract=False, supervising_ppm=None),
            project("OK3", ppm_is_contract=None),
        ]
    )
    assert fired(t, "R6-contract-ppm-unsupervised") == ["BODYCAM"]


MAJOR = {"budget": 1_000_000.0}


def test_ppm_overloaded_counts_only_active_projects():
    five = [project(f"P{i}", ppm="busy@city.gov", **MAJOR) for i in range(5)]
    four_and_closed = [project(f"Q{i}", ppm="ok@city.gov", **MAJOR) for i in range(4)]
    four_and_closed.append(project("Q9", ppm="ok@city.gov", phase="Closed", **MAJOR))
    t = tenant(five + four_and_closed, documents=[])
    assert fired(t, "R6-ppm-overloaded") == ["busy@city.gov"]
    [msg] = messages(t, "R6-ppm-overloaded")
    assert "5 active major projects" in msg and "limit 4" in msg and "P0, P1, P2, P3, P4" in msg


@pytest.mark.parametrize(
    "fifth",
    [
        {},  # small: not major
        {"phase": "Initiation"},  # an idea does not take a PPM's week
        {"phase": "Sustain"},
        {"phase": "Closed"},
        {"state": "On hold"},
        {"state": "Cancelled"},
    ],
)
def test_ppm_overload_counts_major_projects_in_load_phases_only(fifth):
    four = [project(f"P{i}", ppm="busy@city.gov", **MAJOR) for i in range(4)]
    extra = {**MAJOR, **fifth} if fifth else {}
    t = tenant([*four, project("P9", ppm="busy@city.gov", **extra)], documents=[])
    assert fired(t, "R6-ppm-overloaded") == []


def test_major_is_configurable_for_the_load():
    t = tenant([project(f"P{i}", ppm="busy@city.gov") for i in range(5)], documents=[])
    cfg = RulesConfig.model_validate({"major_project": {"budget_over": 10_000}})
    assert fired(t, "R6-ppm-overloaded", cfg) == ["busy@city.gov"]
    assert fired(t, "R6-ppm-overloaded") == []


def test_ppm_overload_ignores_case_of_email():
    t = tenant(
        [
            project(f"P{i}", ppm="Busy@City.gov" if i % 2 else "busy@city.gov", **MAJOR)
            for i in range(5)
        ],
        documents=[],
    )
    assert fired(t, "R6-ppm-overloaded") == ["busy@city.gov"]


@pytest.mark.parametrize(
    ("phase", "fires"),
    [("Release", True), ("Sustain", True), ("Execution", False), ("Closed", False)],
)
def test_metrics_missing_after_release(phase, fires):
    t = tenant([project(phase=phase, metrics=None)])
    assert fired(t, "R6-metrics-missing") == (["P1"] if fires else [])


# --- gated fields: recs 2, 3, 4, 5, 8 ------------------------------------------------------


@pytest.mark.parametrize(
    ("rule_id", "column", "fires_in", "quiet_in"),
    [
        ("R2-sponsor-missing", "sponsor", "Procurement", "Chartering"),
        ("R3-methodology-missing", "methodology", "Procurement", "Chartering"),
        ("R4-product-owner-missing", "product_owner", "Chartering", "Initiation"),
        ("R4-governance-body-missing", "governance_body", "Chartering", "Initiation"),
        ("R5-itd-liaison-missing", "itd_liaison", "Chartering", "Initiation"),
    ],
)
def test_gated_field_rules(rule_id, column, fires_in, quiet_in):
    t = tenant(
        [
            project("FIRE", phase=fires_in, **{column: None}),
            project("BLANK", phase=fires_in, **{column: "   "}),
            project("EARLY", phase=quiet_in, **{column: None}),
            project("CLOSED", phase="Closed", **{column: None}),
            project("SET", phase=fires_in),
        ],
        documents=[],
    )
    assert fired(t, rule_id) == ["BLANK", "FIRE"]


def test_departments_missing():
    t = tenant(
        [
            project("NONE", phase="Procurement", departments=[]),
            project("NA", phase="Procurement", departments=None),
            project("EARLY", phase="Chartering", departments=None),
            project("ONE", phase="Procurement", departments=["ITD"]),
        ]
    )
    assert fired(t, "R2-departments-missing") == ["NA", "NONE"]


def test_ppb_priority_only_where_procurement_involved_and_when_enabled():
    t = tenant(
        [
            project("BUY", phase="Procurement", ppb_priority=None),
            project("INHOUSE", phase="Procurement", ppb_priority=None, vendor=None),
        ]
    )
    assert fired(t, "R5-ppb-priority-missing") == ["BUY"]
    disabled = RulesConfig(disabled=["R5-ppb-priority-missing"])
    assert fired(t, "R5-ppb-priority-missing", disabled) == []


def test_key_vendor_staff():
    t = tenant(
        [
            project("NONE", key_vendor_staff=None),
            project("DOC", key_vendor_staff=[]),
            project("NOVENDOR", key_vendor_staff=None, vendor=None),
            project("EARLY", key_vendor_staff=None, phase="Procurement"),
        ],
        documents=[document("DOC", "key_vendor_staff")],
    )
    assert fired(t, "R8-key-vendor-staff-missing") == ["NONE"]


# --- data quality -----------------------------------------------------------------------------


def test_unknown_phase_is_flagged_and_other_phase_rules_skip_it():
    t = tenant(
        [
            project("ODD", phase="Execute", sponsor=None),
            project("BLANK", phase=None),
            project("CASE", phase="execution"),
        ]
    )
    assert fired(t, "DQ-phase-unknown") == ["BLANK", "ODD"]
    out = evaluate(t, RulesConfig(), TODAY)
    assert set(out.loc[out["project_key"] == "ODD", "rule_id"]) == {"DQ-phase-unknown"}
