"""Intake triage: does a department's request need C3PO, and whose portfolio is it?

The C3PO roadmap's engagement rule (custom software, over $500,000, many workers across
departments: "to be managed by C3PO PPM's") decides "C3PO must manage"; its intake questions (is
it budgeted, does it impact enterprise IT, does it have a long tail, are multiple departments
impacted) decide "C3PO should advise". The thresholds are the rules config's ``engagement`` block
(the same one that makes a project "major", so a request and the project it becomes are judged
alike) and its ``intake`` block. Pure: no SharePoint, no I/O; the pipeline reads and writes rows.

A question left unanswered is never taken as "no": the request is then at least "should advise",
and the reason says which answer is missing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field

from c3po_sync.model.domain import MajorCriteria

MUST_MANAGE = "C3PO must manage"
SHOULD_ADVISE = "C3PO should advise"
NOT_NEEDED = "No C3PO involvement needed"
OUTCOMES: tuple[str, ...] = (MUST_MANAGE, SHOULD_ADVISE, NOT_NEEDED)

ACCEPT = "Accept"
DECLINE = "Decline"


class PortfolioArea(BaseModel):
    """What makes a request belong to a portfolio: its departments and product areas."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    departments: list[str] = Field(default_factory=list, description="requesting departments")
    product_areas: list[str] = Field(
        default_factory=list, description="words of the product area (matched in the request)"
    )
    ppm: str | None = Field(None, description="the PPM to suggest; default: the portfolio's own")


class IntakePolicy(BaseModel):
    """config/rules.yaml ``intake``: the roadmap's intake questions as thresholds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    advise_cost_over: float = Field(
        100_000, ge=0, description="should advise: estimated cost strictly above this (USD)"
    )
    long_tail_years: float = Field(
        5, gt=0, description="should advise: expected life of at least this many years"
    )
    project_key_prefix: str = Field(
        "REQ-", pattern=r"^[A-Z][A-Z0-9-]*$", description="key of a project made from a request"
    )
    portfolios: dict[str, PortfolioArea] = Field(
        default_factory=dict, description="portfolio -> departments and product areas"
    )


@dataclass(frozen=True)
class IntakeRequest:
    """What a department typed on the intake form (None: not answered)."""

    request_id: int
    title: str
    departments: tuple[str, ...] = ()
    product_area: str | None = None
    problem: str | None = None
    estimated_cost: float | None = None
    budgeted: bool | None = None
    enterprise_impact: bool | None = None
    expected_life_years: float | None = None
    custom_software: bool | None = None
    vendor_chosen: bool | None = None


@dataclass(frozen=True)
class Triage:
    """The triage of one request; ``reasons`` say why, one short sentence each."""

    outcome: str
    reasons: tuple[str, ...] = ()
    portfolio: str | None = None
    ppm: str | None = None
    engaged_late: bool = False
    missing: tuple[str, ...] = field(default=())

    @property
    def reason_text(self) -> str:
        return "; ".join(self.reasons)


def _money(v: float) -> str:
    return f"${v:,.0f}"


def must_manage_reasons(req: IntakeRequest, engagement: MajorCriteria) -> list[str]:
    """The engagement rule: any one of these and a C3PO PPM must manage the project."""
    out: list[str] = []
    if engagement.custom_software and req.custom_software:
        out.append("custom or customized software")
    cost = req.estimated_cost
    if cost is not None and cost > engagement.budget_over:
        out.append(f"estimated cost {_money(cost)} over {_money(engagement.budget_over)}")
    many = len(req.departments) > engagement.departments_over
    if many and req.enterprise_impact:
        out.append(f"affects enterprise IT across {len(req.departments)} departments")
    return out


def advise_reasons(
    req: IntakeRequest, engagement: MajorCriteria, policy: IntakePolicy
) -> list[str]:
    """The intake questions: any "yes" (or a missing answer) and C3PO should advise."""
    out: list[str] = []
    if req.budgeted is False:
        out.append("not budgeted")
    if req.enterprise_impact:
        out.append("impacts enterprise IT")
    life = req.expected_life_years
    if life is not None and life >= policy.long_tail_years:
        out.append(f"long tail: expected life {life:g} years")
    if len(req.departments) > engagement.departments_over:
        out.append(f"{len(req.departments)} departments impacted")
    cost = req.estimated_cost
    if cost is not None and policy.advise_cost_over < cost <= engagement.budget_over:
        out.append(f"estimated cost {_money(cost)} over {_money(policy.advise_cost_over)}")
    return out


def unanswered(req: IntakeRequest) -> list[str]:
    """Intake questions left blank: the triage cannot say "no involvement" without them."""
    questions = {
        "estimated cost": req.estimated_cost,
        "budgeted": req.budgeted,
        "enterprise impact": req.enterprise_impact,
        "expected life": req.expected_life_years,
        "custom software": req.custom_software,
    }
    missing = [name for name, value in questions.items() if value is None]
    if not req.departments:
        missing.insert(0, "requesting departments")
    return missing


def suggest_portfolio(
    req: IntakeRequest, areas: Mapping[str, PortfolioArea]
) -> tuple[str | None, str]:
    """The portfolio whose product areas (2 points each) and departments (1 each) match best.

    Ties go to the portfolio listed first in the config. Returns (portfolio, why).
    """
    text = " ".join(x for x in (req.product_area, req.title, req.problem) if x).casefold()
    depts = {d.strip().casefold() for d in req.departments}
    best: tuple[int, str | None, str] = (0, None, "no portfolio matches its departments or area")
    for name, area in areas.items():
        hits_area = [a for a in area.product_areas if a.strip() and a.casefold() in text]
        hits_dept = [d for d in area.departments if d.casefold() in depts]
        score = 2 * len(hits_area) + len(hits_dept)
        if score > best[0]:
            why = ", ".join([*(f"area '{a}'" for a in hits_area), *hits_dept])
            best = (score, name, f"portfolio {name} ({why})")
    return best[1], best[2]


def triage(
    req: IntakeRequest,
    engagement: MajorCriteria,
    policy: IntakePolicy,
    portfolio_ppms: Mapping[str, str] | None = None,
) -> Triage:
    """One request's triage: outcome with reasons, suggested portfolio and PPM, engaged late.

    ``portfolio_ppms`` gives each portfolio's PPM when the config names none (the pipeline
    derives it from the portfolio's active projects).
    """
    must = must_manage_reasons(req, engagement)
    advise = advise_reasons(req, engagement, policy)
    missing = unanswered(req)
    if must:
        outcome, reasons = MUST_MANAGE, must
    elif advise or missing:
        outcome = SHOULD_ADVISE
        reasons = advise + ([f"not answered: {', '.join(missing)}"] if missing else [])
    else:
        outcome, reasons = NOT_NEEDED, ["no engagement criterion or intake question applies"]
    portfolio, why = suggest_portfolio(req, policy.portfolios)
    ppm = None
    if portfolio is not None:
        ppm = policy.portfolios[portfolio].ppm or (portfolio_ppms or {}).get(portfolio)
    late = bool(req.vendor_chosen) and outcome != NOT_NEEDED
    if late:
        reasons.append("engaged late: a vendor is already chosen")
    if outcome != NOT_NEEDED:
        reasons.append(why)
    return Triage(outcome, tuple(reasons), portfolio, ppm, late, tuple(missing))


def new_project(
    req: IntakeRequest, portfolio: str, phases: Sequence[str], policy: IntakePolicy
) -> dict[str, object]:
    """The canonical values of the Initiation-phase project an accepted request becomes.

    Keyed by the request's id (``project_key_prefix`` + id), so it is made once whatever
    happens between making it and recording that it was made.
    """
    return {
        "project_key": f"{policy.project_key_prefix}{req.request_id}",
        "title": req.title,
        "portfolio": portfolio,
        "phase": phases[0],
        "departments": list(req.departments),
        "budget": req.estimated_cost,
        "custom_software": req.custom_software,
    }
