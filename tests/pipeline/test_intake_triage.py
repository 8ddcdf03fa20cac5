"""Intake triage on the demo tenant's hub: each criterion firing and not, written back to the
triage columns only, idempotent, and a project only on a PPM's "Accept", once."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from c3po_sync.config.jobs import Job
from c3po_sync.config.settings import load_settings
from c3po_sync.pipeline.prepare import prepare_run
from c3po_sync.pipeline.result import RunResult
from c3po_sync.rules.intake import MUST_MANAGE, NOT_NEEDED, SHOULD_ADVISE
from c3po_sync.sandbox.demo import DEMO_ANCHOR
from c3po_sync.sinks.intake_list import INTAKE_TITLE, TRIAGE_NAMES
from c3po_sync.wiring import run_prepared

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config" / "sandbox.yaml"

# A request that triggers nothing: one department, budgeted, cheap, short-lived, off the shelf.
QUIET: dict[str, Any] = {
    "RequestingDepartments": "Library",
    "ProductArea": "Library services",
    "EstimatedCost": 20000,
    "Budgeted": "Yes",
    "EnterpriseImpact": "No",
    "ExpectedLifeYears": 2,
    "CustomSoftware": "No",
    "VendorChosen": "No",
}
# (case, what differs from QUIET, expected outcome, a reason it must give or None, engaged late)
CASES: list[tuple[str, dict[str, Any], str, str | None, bool]] = [
    ("quiet", {}, NOT_NEEDED, "no engagement criterion", False),
    ("custom", {"CustomSoftware": "Yes"}, MUST_MANAGE, "custom or customized software", False),
    ("cost-over", {"EstimatedCost": 500001}, MUST_MANAGE, "over $500,000", False),
    ("cost-at", {"EstimatedCost": 500000}, SHOULD_ADVISE, "$500,000 over $100,000", False),
    (
        "many-depts-enterprise",
        {"RequestingDepartments": "Finance; Library", "EnterpriseImpact": "Yes"},
        MUST_MANAGE,
        "affects enterprise IT across 2 departments",
        False,
    ),
    (
        "many-depts",
        {"RequestingDepartments": "Finance; Library"},
        SHOULD_ADVISE,
        "2 departments impacted",
        False,
    ),
    ("enterprise", {"EnterpriseImpact": "Yes"}, SHOULD_ADVISE, "impacts enterprise IT", False),
    ("unbudgeted", {"Budgeted": "No"}, SHOULD_ADVISE, "not budgeted", False),
    ("long-tail", {"ExpectedLifeYears": 5}, SHOULD_ADVISE, "long tail", False),
    ("short-tail", {"ExpectedLifeYears": 4.9}, NOT_NEEDED, None, False),
    ("advise-cost-at", {"EstimatedCost": 100000}, NOT_NEEDED, None, False),
    ("advise-cost-over", {"EstimatedCost": 100001}, SHOULD_ADVISE, "over $100,000", False),
    ("unanswered", {"Budgeted": None}, SHOULD_ADVISE, "not answered: budgeted", False),
    (
        "late",
        {"CustomSoftware": "Yes", "VendorChosen": "Yes"},
        MUST_MANAGE,
        "engaged late",
        True,
    ),
    ("vendor-no-c3po", {"VendorChosen": "Yes"}, NOT_NEEDED, None, False),
]


def _run(job: str = "intake", **kw: Any) -> RunResult:
    """``intake``: a job of the intake step alone (fast); else a job from jobs/."""
    name = "nightly" if job == "intake" else job
    inputs = prepare_run(CONFIG, name, settings=load_settings(CONFIG), today=DEMO_ANCHOR, **kw)
    if job == "intake":
        inputs = replace(inputs, job=Job(id="intake-only", steps=("intake",)))
    return run_prepared(inputs)


def _intake(tenant):
    return tenant.site_for_path("/sites/c3po/_api/web")[0].list_by_title(INTAKE_TITLE)


def _planning_projects(tenant):
    return tenant.site_for_path("/sites/ppm-planning/_api/web")[0].list_by_title("Projects")


def _add_cases(tenant) -> dict[str, int]:
    lst = _intake(tenant)
    ids = {}
    for name, delta, *_ in CASES:
        values = {**QUIET, **delta, "Title": f"case {name}"}
        ids[name] = lst.add_item({k: v for k, v in values.items() if v is not None}).id
    return ids


def _typed(item) -> dict[str, Any]:
    return {k: v for k, v in item.values.items() if k not in TRIAGE_NAMES}


def test_each_criterion_fires_and_does_not(demo_env) -> None:
    _server, tenant = demo_env
    ids = _add_cases(tenant)
    result = _run("nightly")  # with a snapshot, so the portfolio's PPM can be suggested
    assert result.outcome == "ok", result.error
    items = _intake(tenant).items
    for name, _delta, outcome, reason, late in CASES:
        row = items[ids[name]].values
        assert row["TriageOutcome"] == outcome, (name, row["TriageReasons"])
        if reason is not None:
            assert reason in row["TriageReasons"], (name, row["TriageReasons"])
        assert bool(row["EngagedLate"]) is late, name
    # Library requests suggest the portfolio whose departments list Library, and its PPM.
    assert items[ids["custom"]].values["SuggestedPortfolio"] == "Community & Digital Services"
    assert items[ids["custom"]].values["SuggestedPPM"].endswith("@sanjoseca.gov")
    assert result.intake is not None and result.intake.requests == 5 + len(CASES)


def test_second_run_writes_nothing_and_typed_values_are_kept(demo_env) -> None:
    server, tenant = demo_env
    _add_cases(tenant)
    _run()
    lst = _intake(tenant)
    # A stale triage value the service once wrote is its own to correct...
    lst.update_item(2, {"TriageOutcome": MUST_MANAGE, "SuggestedPPM": "someone@else.gov"})
    before = {i.id: _typed(i) for i in lst.items.values()}
    _run()
    after = {i.id: _typed(i) for i in lst.items.values()}
    assert after == before  # ...but nothing the requester or a PPM typed was written over
    assert lst.items[2].values["TriageOutcome"] == NOT_NEEDED
    versions = {i.id: i.version for i in lst.items.values()}
    server.stats.reset()
    second = _run()
    assert second.intake is not None and second.intake.written == []
    assert {i.id: i.version for i in lst.items.values()} == versions
    writes = {k: n for k, n in server.stats.requests.items() if k[0] in ("MERGE", "PATCH", "PUT")}
    assert writes == {}


def test_a_request_edited_after_triage_is_triaged_again(demo_env) -> None:
    _server, tenant = demo_env
    _run()
    lst = _intake(tenant)
    assert lst.items[2].values["TriageOutcome"] == NOT_NEEDED
    lst.update_item(2, {"CustomSoftware": "Yes"})
    again = _run()
    assert again.intake is not None and again.intake.written == [2]
    assert lst.items[2].values["TriageOutcome"] == MUST_MANAGE
    assert lst.items[2].values["CustomSoftware"] == "Yes"


def test_project_only_on_accept_and_only_once(demo_env) -> None:
    _server, tenant = demo_env
    projects = _planning_projects(tenant)
    count = len(projects.items)
    _run()
    assert len(projects.items) == count  # triaged "must manage", but nobody accepted it yet
    _intake(tenant).update_item(3, {"PPMDecision": "Accept"})
    _run()
    made = [i for i in projects.items.values() if i.values.get("Key") == "REQ-3"]
    assert len(made) == 1 and len(projects.items) == count + 1  # request 3 only: accepted
    assert made[0].values["Phase"] == "Initiation"
    assert made[0].values["Title"] == "Code enforcement mobile inspections"
    assert _intake(tenant).items[3].values["CreatedProject"] == "REQ-3"
    # The record of it is lost (a person cleared it): the next run finds the project by key.
    _intake(tenant).update_item(3, {"CreatedProject": None})
    _run()
    assert [i.values.get("Key") for i in projects.items.values()].count("REQ-3") == 1
    assert _intake(tenant).items[3].values["CreatedProject"] == "REQ-3"
    # A must-manage request nobody accepted never becomes a project.
    assert not any(i.values.get("Key") == "REQ-1" for i in projects.items.values())


def test_dry_run_triages_but_writes_nothing(demo_env) -> None:
    _server, tenant = demo_env
    lst = _intake(tenant)
    before = {i.id: dict(i.values) for i in lst.items.values()}
    count = len(_planning_projects(tenant).items)
    _intake(tenant).update_item(3, {"PPMDecision": "Accept"})
    before = {i.id: dict(i.values) for i in lst.items.values()}
    result = _run(dry_run=True)
    assert result.intake is not None and len(result.intake.written) == 5
    assert any("would create project REQ-3" in line for line in result.planned)
    assert {i.id: dict(i.values) for i in lst.items.values()} == before
    assert len(_planning_projects(tenant).items) == count
