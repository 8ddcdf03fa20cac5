"""Document (rec 1, 7) and asset (rec 10) rules on tiny tenants, with their near misses."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from c3po_sync.rules import RulesConfig

from . import SITE, TODAY, asset, document, fired, messages, project, tenant

# --- R7 required documents ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("phase", "docs", "expected"),
    [
        ("Procurement", [], []),  # one phase before Execution: nothing required yet
        ("Execution", ["commitment_signoff"], ["R7-charter-missing"]),
        ("Execution", ["charter"], ["R7-commitment-signoff-missing"]),
        ("Sustain", ["charter", "commitment_signoff"], []),  # "and later" keeps only Execution's
        (
            "Closed",
            ["charter", "commitment_signoff", "acceptance_signoff"],
            ["R7-lessons-learned-missing"],
        ),
        (
            "Closed",
            ["charter", "commitment_signoff", "lessons_learned"],
            ["R7-acceptance-signoff-missing"],
        ),
        (
            "Closed",
            [],
            [
                "R7-acceptance-signoff-missing",
                "R7-charter-missing",
                "R7-commitment-signoff-missing",
                "R7-lessons-learned-missing",
            ],
        ),
    ],
)
def test_required_documents_by_phase(phase, docs, expected):
    other = document("OTHER", "charter")  # documents of another project do not count
    t = tenant([project("P1", phase=phase)], [document("P1", d) for d in docs] + [other])
    r7 = [
        "R7-acceptance-signoff-missing",
        "R7-charter-missing",
        "R7-commitment-signoff-missing",
        "R7-lessons-learned-missing",
    ]
    assert [rid for rid in r7 if fired(t, rid) == ["P1"]] == expected


def test_charter_message_points_at_the_projects_folder():
    t = tenant([project("SJ311")], [document("SJ311", "status_report")])
    [msg] = messages(t, "R7-charter-missing")
    assert msg == (
        "Charter missing: SJ311 is in Execution; "
        "upload the signed charter to Project Documents/SJ311"
    )


def test_charter_message_falls_back_to_the_sites_library():
    t = tenant(
        [project("AMANDA7"), project("P2")],
        [
            document(
                "P2", "charter", path=f"{SITE}/Shared Documents/P2/c.pdf", source_list="Documents"
            ),
            document("P2", "commitment_signoff"),
        ],
    )
    [msg] = messages(t, "R7-charter-missing")
    assert "AMANDA7 is in Execution" in msg
    assert f"on {SITE}" in msg and "AMANDA7" in msg


def test_required_documents_follow_config():
    cfg = RulesConfig(required_documents={"Chartering": ["project_plan"]})
    t = tenant([project("P1", phase="Chartering"), project("P2", phase="Initiation")], [])
    assert fired(t, "R7-project-plan-missing", cfg) == ["P1"]
    assert fired(t, "R7-charter-missing", cfg) == []


def test_unlinked_documents_do_not_satisfy_anyone():
    t = tenant(
        [project("P1")],
        [document("P1", "charter", project_key=None), document("P1", "commitment_signoff")],
    )
    assert fired(t, "R7-charter-missing") == ["P1"]


# --- R1 charter template --------------------------------------------------------------------


def test_charter_template_outdated():
    docs = [
        document("P1", "charter", template_version="2019"),
        document("P2", "charter", template_version="2021"),
        document("P3", "charter", template_version=None),
        document("P1", "commitment_signoff", template_version="2019"),
    ]
    t = tenant([project("P1"), project("P2"), project("P3")], docs)
    assert fired(t, "R1-charter-template-outdated") == []  # no current template configured
    cfg = RulesConfig(current_charter_template="2021")
    assert fired(t, "R1-charter-template-outdated", cfg) == [docs[0]["path"]]


# --- R10 assets ----------------------------------------------------------------------------


def test_asset_owner_and_lifecycle():
    t = tenant(
        assets=[
            asset("NOOWNER", owner=None),
            asset("BLANK", owner=" "),
            asset("RETIRED", owner=None, lifecycle_stage="Retired"),
            asset("NOSTAGE", lifecycle_stage=None),
            asset("OK"),
        ]
    )
    assert fired(t, "R10-asset-owner-missing") == ["BLANK", "NOOWNER"]
    assert fired(t, "R10-asset-lifecycle-missing") == ["NOSTAGE"]


@pytest.mark.parametrize(
    ("stage", "eos", "fires"),
    [
        ("In Service", TODAY - timedelta(days=1), True),
        ("In Service", TODAY, False),  # support ends today: still supported
        ("Retiring", TODAY - timedelta(days=100), False),
        ("in service", TODAY - timedelta(days=1), True),
        ("In Service", None, False),
    ],
)
def test_asset_past_end_of_support(stage, eos, fires):
    t = tenant(assets=[asset("CAD", lifecycle_stage=stage, end_of_support=eos)])
    assert fired(t, "R10-asset-past-end-of-support") == (["CAD"] if fires else [])


@pytest.mark.parametrize(
    ("reviewed", "stage", "fires"),
    [
        (TODAY - timedelta(days=366), "In Service", True),
        (TODAY - timedelta(days=365), "In Service", False),  # exactly the interval
        (None, "Planned", True),
        (None, "Retired", False),
    ],
)
def test_asset_review_overdue(reviewed, stage, fires):
    t = tenant(assets=[asset("A1", last_reviewed=reviewed, lifecycle_stage=stage)])
    assert fired(t, "R10-asset-review-overdue") == (["A1"] if fires else [])


def test_asset_dates_missing():
    t = tenant(
        assets=[
            asset("NOACQ", acquired=None),
            asset("NOEOS", end_of_support=None),
            asset("PLANNED", acquired=None, end_of_support=None, lifecycle_stage="Planned"),
        ]
    )
    assert fired(t, "R10-asset-dates-missing") == ["NOACQ", "NOEOS"]


def test_asset_finding_carries_the_projects_ppm_and_portfolio():
    t = tenant(
        [project("P1", ppm="pat@city.gov", portfolio="Community")],
        assets=[asset("A1", project_key="P1", owner=None)],
    )
    from c3po_sync.rules import evaluate

    out = evaluate(t, RulesConfig(), TODAY, only=["R10-asset-owner-missing"])
    assert out[["ppm", "portfolio", "project_key"]].iloc[0].tolist() == [
        "pat@city.gov",
        "Community",
        "P1",
    ]


@pytest.mark.parametrize(
    ("phase", "linked", "fires"),
    [
        ("Release", False, True),
        ("Closed", False, True),
        ("Execution", False, False),
        ("Sustain", True, False),
    ],
)
def test_project_released_without_inventory_entry(phase, linked, fires):
    assets = [asset("A1", project_key="p1 " if linked else "OTHER", lifecycle_stage="Retired")]
    t = tenant([project("P1", phase=phase)], assets=assets)
    assert fired(t, "R10-project-no-asset") == (["P1"] if fires else [])


def test_dates_given_as_timestamps_are_accepted():
    t = tenant(assets=[asset("A1", end_of_support=pd.Timestamp("2020-01-01"))])
    assert fired(t, "R10-asset-past-end-of-support") == ["A1"]
