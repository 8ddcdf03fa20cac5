"""Issue 15's checks: each fires on its tiny tenant and stays quiet on its near miss; and the
precision rules (halted states, policy dates, system projects, "from Chartering on")."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest

from c3po_sync.rules import RulesConfig, evaluate
from c3po_sync.rules.evaluation import GRANDFATHERED, NOT_CHECKED, PASS, evaluation_table
from c3po_sync.rules.history import project_history

from . import TODAY, asset, baseline_docs, document, fired, messages, project, tenant

# --- rec 2: stakeholders per impacted department ----------------------------------------------


def test_stakeholders_missing_names_the_uncovered_department():
    t = tenant(
        [
            project(departments=["ITD", "Finance"], stakeholders=["ITD: Sam"]),
            project("OK", departments=["ITD", "Finance"], stakeholders=["itd: Sam", "FINANCE: Al"]),
            project("EARLY", phase="Chartering", departments=["Finance"], stakeholders=[]),
        ]
    )
    assert fired(t, "R2-stakeholders-missing") == ["P1"]
    [msg] = messages(t, "R2-stakeholders-missing")
    assert "for Finance;" in msg


def test_a_stakeholder_entry_without_a_name_covers_nobody():
    t = tenant([project(stakeholders=["ITD:"])])
    assert fired(t, "R2-stakeholders-missing") == ["P1"]


# --- rec 3: methodology chosen before Procurement (history) ----------------------------------

RUN1 = datetime(2026, 9, 1, 9, tzinfo=UTC)
RUN2 = datetime(2026, 10, 1, 9, tzinfo=UTC)
RUN3 = datetime(2026, 10, 31, 9, tzinfo=UTC)


def _history(*runs: tuple[datetime, dict]) -> pd.DataFrame:
    from c3po_sync.model.schema import PROJECTS

    return project_history((i, when, PROJECTS.frame([row])) for i, (when, row) in enumerate(runs))


def test_methodology_recorded_after_procurement_fires():
    h = _history(
        (RUN1, project(phase="Chartering", methodology=None)),
        (RUN2, project(phase="Procurement", methodology=None)),
        (RUN3, project(phase="Procurement", methodology="Agile")),
    )
    t = tenant([project(phase="Procurement", methodology="Agile")])
    assert fired(t, "R3-methodology-after-procurement", history=h) == ["P1"]


def test_methodology_recorded_in_chartering_is_in_time():
    h = _history(
        (RUN1, project(phase="Chartering", methodology="Waterfall")),
        (RUN2, project(phase="Procurement", methodology="Waterfall")),
    )
    t = tenant([project(phase="Procurement", methodology="Waterfall")])
    assert fired(t, "R3-methodology-after-procurement", history=h) == []
    ev = _status(t, "R3-methodology-after-procurement", history=h)
    assert ev == {"P1": PASS}


def test_methodology_without_history_from_before_procurement_is_not_checked():
    h = _history((RUN2, project(phase="Execution", methodology="Agile")))
    t = tenant([project(methodology="Agile")])
    assert fired(t, "R3-methodology-after-procurement", history=h) == []
    assert _status(t, "R3-methodology-after-procurement", history=h) == {"P1": NOT_CHECKED}
    assert _status(t, "R3-methodology-after-procurement") == {"P1": NOT_CHECKED}


# --- rec 4: somebody manages every project past Initiation -----------------------------------


@pytest.mark.parametrize(
    ("overrides", "fires"),
    [
        ({"ppm": None}, True),
        ({"ppm": None, "phase": "Initiation"}, False),  # an idea needs no PPM yet
        ({"ppm": None, "budget": 900_000.0}, False),  # major: R6-engagement-no-ppm says it
        ({}, False),
    ],
)
def test_ppm_missing(overrides, fires):
    t = tenant([project(**overrides)])
    assert fired(t, "R4-ppm-missing") == (["P1"] if fires else [])


def test_engagement_no_ppm_silent_in_initiation():
    big = {"ppm": None, "budget": 2_000_000.0}
    t = tenant([project(**big), project("IDEA", phase="Initiation", **big)])
    assert fired(t, "R6-engagement-no-ppm") == ["P1"]


# --- rec 6: progress and consultant performance ----------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "fires"),
    [
        ({"target_end": TODAY - timedelta(days=1)}, True),
        ({"target_end": TODAY}, False),
        ({"target_end": TODAY - timedelta(days=30), "phase": "Sustain"}, False),
        ({"target_end": TODAY - timedelta(days=30), "phase": "Closed"}, False),
        ({"target_end": TODAY - timedelta(days=30), "state": "On hold"}, False),
        ({"target_end": None}, False),
    ],
)
def test_schedule_overrun(overrides, fires):
    t = tenant([project(**overrides)])
    assert fired(t, "R6-schedule-overrun") == (["P1"] if fires else [])


def test_schedule_unknown_is_not_checked():
    t = tenant([project(target_end=None)])
    assert _status(t, "R6-schedule-overrun") == {"P1": NOT_CHECKED}


@pytest.mark.parametrize(("spent", "fires"), [(100_001.0, True), (100_000.0, False), (None, False)])
def test_budget_overrun(spent, fires):
    t = tenant([project(budget=100_000.0, actual_cost=spent)])
    assert fired(t, "R6-budget-overrun") == (["P1"] if fires else [])
    if fires:
        [msg] = messages(t, "R6-budget-overrun")
        assert "$100,001 against an approved $100,000" in msg


@pytest.mark.parametrize(
    ("overrides", "fires"),
    [
        ({"vendor_last_review": TODAY - timedelta(days=91)}, True),
        ({"vendor_last_review": None}, True),
        ({"vendor_last_review": TODAY - timedelta(days=90)}, False),
        ({"vendor_last_review": None, "vendor": None}, False),
        ({"vendor_last_review": None, "phase": "Procurement"}, False),
    ],
)
def test_vendor_review_overdue(overrides, fires):
    t = tenant([project(**overrides), project("MAPPED")])  # MAPPED: the list records reviews
    assert fired(t, "R6-vendor-review-overdue") == (["P1"] if fires else [])


def test_a_field_no_project_of_the_list_records_is_not_checked():
    t = tenant(
        [project(vendor_last_review=None, key_vendor_staff_approved=None, stakeholders=None)]
    )
    for rule_id in (
        "R6-vendor-review-overdue",
        "R8-key-vendor-staff-unapproved",
        "R2-stakeholders-missing",
    ):
        assert fired(t, rule_id) == [], rule_id
        assert _status(t, rule_id) == {"P1": NOT_CHECKED}, rule_id


# --- rec 8: the key vendor staff list approved, not only present ------------------------------


@pytest.mark.parametrize(
    ("overrides", "fires"),
    [
        ({"key_vendor_staff_approved": False}, True),
        ({"key_vendor_staff_approved": None}, True),  # a draft nobody approved
        ({"key_vendor_staff_approved": True}, False),
        ({"key_vendor_staff_approved": None, "key_vendor_staff": []}, False),  # missing rule
        ({"key_vendor_staff_approved": None, "vendor": None}, False),
    ],
)
def test_key_vendor_staff_unapproved(overrides, fires):
    t = tenant([project(**overrides), project("MAPPED")])
    assert fired(t, "R8-key-vendor-staff-unapproved") == (["P1"] if fires else [])


# --- rec 9: a council report every cycle -------------------------------------------------------


def _report(day: date) -> dict:
    return document(
        None,
        "council_report",
        path=f"/sites/c3po/Reports/council {day}.pdf",
        source_modified=datetime(day.year, day.month, day.day, 18, tzinfo=UTC),
    )


def test_council_report_missing_per_completed_cycle():
    cfg = RulesConfig.model_validate({"council_reports_from": "2026-05-01"})
    # cycles: 05-01..06-29, 06-30..08-28, 08-29..10-27; 10-28.. contains today (not judged)
    docs = [*baseline_docs(), _report(date(2026, 6, 29)), _report(date(2026, 10, 27))]
    t = tenant([project()], docs)
    assert fired(t, "R9-council-report-missing", cfg) == ["council-report:2026-06-30"]


def test_council_report_not_checked_without_a_start():
    from c3po_sync.rules import not_checked

    assert "R9-council-report-missing" in not_checked(RulesConfig())
    assert fired(tenant([project()]), "R9-council-report-missing") == []


# --- rec 10: lifecycle by asset kind -----------------------------------------------------------


def test_subscriptions_are_judged_by_renewal_not_end_of_support():
    sub = {"kind": "Cloud Service", "end_of_support": None}
    t = tenant(
        [project()],
        assets=[
            asset("SUB-OK", **sub, renewal=TODAY + timedelta(days=100)),
            asset("SUB-NO-RENEWAL", **sub, renewal=None),
            asset("APP-NO-EOS", end_of_support=None),
            asset(
                "SUB-OLD-EOS", kind="Subscription", renewal=TODAY, end_of_support=date(2020, 1, 1)
            ),
        ],
    )
    assert fired(t, "R10-asset-dates-missing") == ["APP-NO-EOS", "SUB-NO-RENEWAL"]
    assert fired(t, "R10-asset-past-end-of-support") == []


@pytest.mark.parametrize(
    ("overrides", "fires"),
    [
        ({"renewal": TODAY - timedelta(days=1)}, True),
        ({"renewal": TODAY}, False),
        ({"renewal": None}, False),
        ({"renewal": TODAY - timedelta(days=1), "lifecycle_stage": "Retiring"}, False),
    ],
)
def test_renewal_lapsed(overrides, fires):
    t = tenant([project()], assets=[asset(**overrides)])
    assert fired(t, "R10-renewal-lapsed") == (["A1"] if fires else [])


@pytest.mark.parametrize(
    ("overrides", "fires"),
    [
        ({"lifecycle_stage": "Retiring", "end_of_support": TODAY - timedelta(days=1)}, True),
        ({"lifecycle_stage": "Retiring", "end_of_support": TODAY}, False),
        ({"lifecycle_stage": "Retired", "end_of_support": TODAY - timedelta(days=1)}, False),
        ({"lifecycle_stage": "In Service", "end_of_support": TODAY - timedelta(days=1)}, False),
    ],
)
def test_retiring_past_end_of_support(overrides, fires):
    t = tenant([project()], assets=[asset(**overrides)])
    assert fired(t, "R10-retiring-past-end-of-support") == (["A1"] if fires else [])


@pytest.mark.parametrize(
    ("overrides", "fires"),
    [
        ({"project_kind": "System"}, True),
        ({"project_kind": "upgrade"}, True),
        ({"project_kind": "Staffing"}, False),
        ({"project_kind": "O&M"}, False),
        ({"project_kind": None}, False),  # not checked, never a finding
        ({"project_kind": "System", "state": "Cancelled"}, False),
    ],
)
def test_inventory_only_for_projects_that_deliver_a_system(overrides, fires):
    t = tenant([project(phase="Release", **overrides)], assets=[])
    assert fired(t, "R10-project-no-asset") == (["P1"] if fires else [])


def test_project_of_unknown_kind_is_not_checked_for_inventory():
    t = tenant([project(phase="Release", project_kind=None)], assets=[])
    assert _status(t, "R10-project-no-asset") == {"P1": NOT_CHECKED}


# --- precision: halted states and policy dates -------------------------------------------------

CLOSED_DOCS = ("charter", "commitment_signoff", "acceptance_signoff", "lessons_learned")


def test_cancelled_project_needs_its_own_documents_only():
    t = tenant(
        [
            project("CAN", phase="Closed", state="Cancelled"),
            project("CAN2", phase="Execution", state="Cancelled"),
            project("HOLD", phase="Execution", state="On hold"),
        ],
        documents=[document("CAN2", "lessons_learned")],
    )
    for doc_rule in ("charter", "commitment-signoff", "acceptance-signoff"):
        assert fired(t, f"R7-{doc_rule}-missing") == [], doc_rule
    assert fired(t, "R7-lessons-learned-missing") == ["CAN"]
    [msg] = messages(t, "R7-lessons-learned-missing")
    assert "is Cancelled (in Closed)" in msg


def test_halted_projects_are_not_active():
    t = tenant([project(state="On hold", status_date=None, governance_body=None)])
    assert fired(t, "R9-status-stale") == []
    assert fired(t, "R4-governance-body-missing") == []


def test_closed_before_the_policy_is_grandfathered_not_compliant():
    cfg = RulesConfig.model_validate(
        {"policy_effective": {"R7-lessons-learned-missing": "2021-02-04"}}
    )
    docs = [document(k, t) for k in ("OLD", "NEW", "NOEND") for t in CLOSED_DOCS[:3]]
    docs.append(document("DONE", "lessons_learned"))
    t = tenant(
        [
            project("OLD", phase="Closed", actual_end=date(2020, 6, 30)),
            project("NEW", phase="Closed", actual_end=date(2021, 2, 4)),
            project("NOEND", phase="Closed", actual_end=None),
            project("DONE", phase="Closed", actual_end=date(2019, 1, 1)),
        ],
        docs,
    )
    assert fired(t, "R7-lessons-learned-missing", cfg) == ["NEW"]
    assert fired(t, "R7-lessons-learned-missing") == ["NEW", "NOEND", "OLD"]
    status = _status(t, "R7-lessons-learned-missing", cfg)
    assert status == {
        "OLD": GRANDFATHERED,
        "NEW": "fail",
        "NOEND": NOT_CHECKED,
        "DONE": GRANDFATHERED,  # had the document, still not "compliant" with a later policy
    }


def test_policy_dates_name_known_rules():
    from c3po_sync.rules import RulesConfigError, parse_rules_config

    with pytest.raises(RulesConfigError, match="policy_effective"):
        parse_rules_config({"policy_effective": {"R7-lesons-learned-missing": "2021-02-04"}})


def _status(t, rule_id: str, cfg: RulesConfig | None = None, history=None) -> dict[str, str]:
    cfg = cfg or RulesConfig()
    found = evaluate(t, cfg, TODAY, history=history)
    ev = evaluation_table(t, cfg, TODAY, found, history=history)
    ev = ev[ev["rule_id"] == rule_id]
    return dict(zip(ev["entity_key"], ev["status"], strict=True))


def test_one_na_to_python_conversion():
    import numpy as np

    from c3po_sync.model.domain import na_to_python

    assert [na_to_python(v) for v in (None, pd.NA, pd.NaT, float("nan"))] == [None] * 4
    assert na_to_python(np.int64(3)) == 3 and type(na_to_python(np.int64(3))) is int
    assert na_to_python(["a"]) == ["a"] and na_to_python("x") == "x"
