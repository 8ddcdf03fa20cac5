"""The intake triage's pure parts: portfolio suggestion, thresholds from config, the new project."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from c3po_sync.rules.config import RulesConfigError, load_rules_config
from c3po_sync.rules.intake import (
    MUST_MANAGE,
    NOT_NEEDED,
    IntakePolicy,
    IntakeRequest,
    PortfolioArea,
    new_project,
    suggest_portfolio,
    triage,
)

ROOT = Path(__file__).resolve().parents[2]
RULES = load_rules_config(ROOT / "config" / "rules.yaml")
AREAS = {
    "First": PortfolioArea(departments=["Finance"], product_areas=["payroll"]),
    "Second": PortfolioArea(departments=["Finance", "Library"], product_areas=["booking"]),
}


def _req(**kw: object) -> IntakeRequest:
    """A request that triggers nothing, with ``kw`` changed."""
    quiet = IntakeRequest(
        request_id=7,
        title="Room booking",
        departments=("Library",),
        estimated_cost=1000.0,
        budgeted=True,
        enterprise_impact=False,
        expected_life_years=1.0,
        custom_software=False,
        vendor_chosen=False,
    )
    return replace(quiet, **kw)  # type: ignore[arg-type]


def test_product_area_outweighs_a_department_and_ties_go_to_the_first_listed() -> None:
    # "payroll" in the title (2) + Finance (1) beats Library (1) + Finance (1) for "First".
    assert (
        suggest_portfolio(_req(title="Payroll", departments=("Finance", "Library")), AREAS)[0]
        == "First"
    )
    # Finance alone matches both equally: the first listed wins.
    assert suggest_portfolio(_req(title="x", departments=("Finance",)), AREAS)[0] == "First"
    assert suggest_portfolio(_req(title="x", departments=("Parks",)), AREAS) == (
        None, "no portfolio matches its departments or area",
    )  # fmt: skip


def test_thresholds_come_from_the_config_not_the_code() -> None:
    strict = RULES.engagement.model_copy(update={"budget_over": 500.0})
    assert triage(_req(), RULES.engagement, RULES.intake).outcome == NOT_NEEDED
    t = triage(_req(), strict, RULES.intake)
    assert t.outcome == MUST_MANAGE and "over $500" in t.reason_text
    no_custom = RULES.engagement.model_copy(update={"custom_software": False})
    assert triage(_req(custom_software=True), no_custom, RULES.intake).outcome == NOT_NEEDED


def test_configured_ppm_wins_over_the_derived_one() -> None:
    policy = IntakePolicy(portfolios={"Second": PortfolioArea(departments=["Library"], ppm="x@c")})
    t = triage(_req(), RULES.engagement, policy, {"Second": "derived@c"})
    assert (t.portfolio, t.ppm) == ("Second", "x@c")


def test_new_project_is_keyed_by_the_request_in_the_first_phase() -> None:
    values = new_project(_req(), "Second", RULES.phases, RULES.intake)
    assert values["project_key"] == "REQ-7" and values["phase"] == "Initiation"


def test_bad_intake_config_is_located(tmp_path: Path) -> None:
    p = tmp_path / "rules.yaml"
    p.write_text("intake:\n  long_tail_years: 0\n  portfolios: {A: {departmnts: [x]}}\n")
    with pytest.raises(RulesConfigError) as e:
        load_rules_config(p)
    text = "\n".join(str(x) for x in e.value.problems)
    assert "intake.long_tail_years" in text and "departmnts" in text
