"""Rules over the projects list: stakeholders, methodology, governance, staffing (recs 2-8)."""

from __future__ import annotations

import pandas as pd

from c3po_sync.model import domain
from c3po_sync.rules import scope as sc
from c3po_sync.rules.registry import RuleContext, blank, flag, hits, no_hits, rule


def _gated_missing(ctx: RuleContext, column: str, gate: str) -> pd.Series:
    """Active projects at or past ``gate`` whose ``column`` is blank."""
    return ctx.active & ctx.at_or_past(gate) & blank(ctx.projects[column])


def _field_rule(
    ctx: RuleContext, column: str, gate: str, what: str, fix: str, only: pd.Series | None = None
) -> pd.DataFrame:
    """Active projects at or past ``gate`` with ``column`` blank (and ``only``, when given)."""
    mask = _gated_missing(ctx, column, gate)
    if only is not None:
        mask &= only
    bad = ctx.projects[mask]
    if bad.empty:
        return no_hits()
    return hits(
        bad, "project_key", what + ": " + bad["project_key"] + " is in " + bad["phase"] + "; " + fix
    )


@rule(
    "R2-sponsor-missing",
    recommendation=2,
    severity="medium",
    description="active project past Chartering (phase_gates.sponsor) with no executive sponsor",
    near_miss="a project still in Chartering, or a Closed project",
    scope=lambda ctx: sc.gate_scope(ctx, ctx.config.phase_gates.sponsor),
)
def sponsor_missing(ctx: RuleContext) -> pd.DataFrame:
    return _field_rule(
        ctx,
        "sponsor",
        ctx.config.phase_gates.sponsor,
        "No sponsor",
        "name the executive sponsor on the project item and in the charter",
    )


@rule(
    "R2-departments-missing",
    recommendation=2,
    severity="low",
    description="active project past Chartering with no impacted departments named",
    near_miss="one department named, or the project still in Chartering",
    scope=lambda ctx: sc.gate_scope(ctx, ctx.config.phase_gates.departments),
)
def departments_missing(ctx: RuleContext) -> pd.DataFrame:
    p = ctx.projects
    none = p["departments"].map(lambda v: not v if isinstance(v, list) else True).astype(bool)
    mask = ctx.active & ctx.at_or_past(ctx.config.phase_gates.departments) & none
    bad = p[mask]
    if bad.empty:
        return no_hits()
    return hits(
        bad,
        "project_key",
        "No impacted departments: "
        + bad["project_key"]
        + " is in "
        + bad["phase"]
        + "; list every impacted department so its stakeholders sign the charter",
    )


@rule(
    "R3-methodology-missing",
    recommendation=3,
    severity="medium",
    description="active project at or past Procurement with no methodology (Waterfall/Agile)",
    near_miss="a project in Chartering without methodology",
    scope=lambda ctx: sc.gate_scope(ctx, ctx.config.phase_gates.methodology),
)
def methodology_missing(ctx: RuleContext) -> pd.DataFrame:
    return _field_rule(
        ctx,
        "methodology",
        ctx.config.phase_gates.methodology,
        "No methodology",
        "record Waterfall, Agile or Hybrid before procurement",
    )


@rule(
    "R4-product-owner-missing",
    recommendation=4,
    severity="medium",
    description="active project at or past Chartering with no product owner "
    "(also covers rec 2's product-owner check, so one gap is one finding)",
    near_miss="a project in Initiation without a product owner",
    scope=lambda ctx: sc.gate_scope(ctx, ctx.config.phase_gates.product_owner),
)
def product_owner_missing(ctx: RuleContext) -> pd.DataFrame:
    return _field_rule(
        ctx,
        "product_owner",
        ctx.config.phase_gates.product_owner,
        "No product owner",
        "assign the department's product owner",
    )


@rule(
    "R4-governance-body-missing",
    recommendation=4,
    severity="medium",
    description="active project at or past Chartering with no governance body named",
    near_miss="a project in Initiation, or a Closed project",
    scope=lambda ctx: sc.gate_scope(ctx, ctx.config.phase_gates.governance_body),
)
def governance_body_missing(ctx: RuleContext) -> pd.DataFrame:
    return _field_rule(
        ctx,
        "governance_body",
        ctx.config.phase_gates.governance_body,
        "No governance body",
        "name the steering committee or board in the charter",
    )


@rule(
    "R5-itd-liaison-missing",
    recommendation=5,
    severity="medium",
    description="active project at or past Chartering with no ITD liaison",
    near_miss="a project in Initiation without a liaison",
    scope=lambda ctx: sc.gate_scope(ctx, ctx.config.phase_gates.itd_liaison),
)
def itd_liaison_missing(ctx: RuleContext) -> pd.DataFrame:
    return _field_rule(
        ctx,
        "itd_liaison",
        ctx.config.phase_gates.itd_liaison,
        "No ITD liaison",
        "name the ITD liaison on the project item",
    )


@rule(
    "R5-ppb-priority-missing",
    recommendation=5,
    severity="low",
    description="active vendor project at or past Procurement with no Procurement Planning "
    "Board priority",
    near_miss="no vendor named (no procurement involved)",
    scope=lambda ctx: sc.project_scope(
        ctx, sc.with_vendor(ctx, sc.gated(ctx, ctx.config.phase_gates.ppb_priority))
    ),
)
def ppb_priority_missing(ctx: RuleContext) -> pd.DataFrame:
    p = ctx.projects
    mask = _gated_missing(ctx, "ppb_priority", ctx.config.phase_gates.ppb_priority)
    mask &= ~blank(p["vendor"])
    bad = p[mask]
    if bad.empty:
        return no_hits()
    return hits(
        bad,
        "project_key",
        "No PPB priority: "
        + bad["project_key"]
        + " buys from "
        + bad["vendor"]
        + "; get a Procurement Planning Board priority",
    )


def _engagement_reasons(ctx: RuleContext) -> pd.Series:
    """Why each project is major (meets the C3PO engagement criteria); '' when it is not."""
    return domain.major_project_reasons(ctx.projects, ctx.config.engagement)


@rule(
    "R6-engagement-no-ppm",
    recommendation=6,
    severity="high",
    description="active project at or past Chartering (phase_gates.ppm) meets an engagement "
    "criterion (budget > $500,000, > 1 department, > 365 days, high profile, custom software) "
    "but has no PPM",
    near_miss="budget exactly $500,000, one department, exactly 365 days, not high profile "
    "and not custom software; or an idea still in Initiation",
    scope=lambda ctx: sc.project_scope(
        ctx, sc.gated(ctx, ctx.config.phase_gates.ppm) & (_engagement_reasons(ctx) != "")
    ),
)
def engagement_no_ppm(ctx: RuleContext) -> pd.DataFrame:
    p = ctx.projects
    reasons = _engagement_reasons(ctx)
    mask = ctx.active & ctx.at_or_past(ctx.config.phase_gates.ppm) & blank(p["ppm"])
    mask &= reasons != ""
    bad = p[mask]
    if bad.empty:
        return no_hits()
    return hits(
        bad,
        "project_key",
        "No C3PO PPM: "
        + bad["project_key"]
        + " meets the engagement criteria ("
        + reasons[mask]
        + "); assign a C3PO PPM or a supervised contract PPM",
    )


@rule(
    "R6-contract-ppm-unsupervised",
    recommendation=6,
    severity="high",
    description="active project run by a contract PPM with no supervising City PPM",
    near_miss="a City (non-contract) PPM without supervisor, or a contract PPM with one",
    scope=lambda ctx: sc.project_scope(ctx, sc.active(ctx) & flag(ctx.projects["ppm_is_contract"])),
)
def contract_ppm_unsupervised(ctx: RuleContext) -> pd.DataFrame:
    p = ctx.projects
    mask = ctx.active & flag(p["ppm_is_contract"]) & blank(p["supervising_ppm"])
    bad = p[mask]
    if bad.empty:
        return no_hits()
    return hits(
        bad,
        "project_key",
        "Contract PPM unsupervised: "
        + bad["project_key"]
        + " is run by contractor "
        + bad["ppm"].fillna("(unnamed)")
        + "; name the City PPM who supervises them",
    )


def _counted(ctx: RuleContext) -> pd.Series:
    """The projects a PPM's load counts (model.domain.load_counted)."""
    c = ctx.config
    return domain.load_counted(ctx.projects, ctx.active, c.load_phases, c.major_project)


def _ppm_scope(ctx: RuleContext) -> pd.DataFrame:
    """Every PPM with a project their load counts (the rule judges PPMs, not projects)."""
    p = ctx.projects
    who = p.loc[_counted(ctx) & ~blank(p["ppm"]), "ppm"].str.strip().str.lower().drop_duplicates()
    frame = pd.DataFrame({"ppm": who.to_numpy()})
    return sc.scope_frame(frame, "ppm", pd.Series(True, index=frame.index))


@rule(
    "R6-ppm-overloaded",
    recommendation=6,
    severity="medium",
    entity="ppm",
    description="a PPM carries more than max_active_projects_per_ppm (4) major projects "
    "(major_project criteria) in the load phases (load_phases: Chartering to Release)",
    near_miss="exactly 4 such projects, or a 5th that is small, an Initiation idea, in Sustain, "
    "Closed, On hold or Cancelled",
    scope=_ppm_scope,
)
def ppm_overloaded(ctx: RuleContext) -> pd.DataFrame:
    p = ctx.projects
    act = p[_counted(ctx) & ~blank(p["ppm"])].copy()
    if act.empty:
        return no_hits()
    act["who"] = act["ppm"].str.strip().str.lower()
    limit = ctx.config.max_active_projects_per_ppm
    counts = act["who"].value_counts()
    over = act[act["who"].isin(counts[counts > limit].index)]
    rows = []
    for who, g in over.groupby("who", sort=True):
        keys = sorted(g["project_key"].dropna().astype(str))
        portfolios = sorted(set(g["portfolio"].dropna()))
        rows.append(
            {
                "entity_key": who,
                "project_key": pd.NA,
                "ppm": who,
                "portfolio": "; ".join(portfolios) if portfolios else pd.NA,
                "source_url": pd.NA,
                "message": f"PPM overloaded: {who} carries {len(g)} active major projects "
                f"(limit {limit}): {', '.join(keys)}; "
                "rebalance or add a supervised contract PPM",
            }
        )
    return pd.DataFrame(rows, columns=list(no_hits().columns)) if rows else no_hits()


@rule(
    "R6-metrics-missing",
    recommendation=6,
    severity="low",
    description="project in Release or Sustain with no metric goals (OKRs); rec 6 because "
    "metrics are how C3PO measures progress after launch",
    near_miss="a project in Execution without metrics, or a Closed one",
    scope=lambda ctx: sc.gate_scope(ctx, ctx.config.phase_gates.metrics),
)
def metrics_missing(ctx: RuleContext) -> pd.DataFrame:
    return _field_rule(
        ctx,
        "metrics",
        ctx.config.phase_gates.metrics,
        "No metric goals",
        "record the OKRs (users, calls answered, cases closed...) it is measured by",
    )


@rule(
    "R8-key-vendor-staff-missing",
    recommendation=8,
    severity="low",
    description="active vendor project at or past Execution with no key vendor staff listed "
    "(neither on the item nor as a key_vendor_staff document)",
    near_miss="a key_vendor_staff document is archived, or no vendor is named",
    scope=lambda ctx: sc.project_scope(
        ctx, sc.with_vendor(ctx, sc.gated(ctx, ctx.config.phase_gates.key_vendor_staff))
    ),
)
def key_vendor_staff_missing(ctx: RuleContext) -> pd.DataFrame:
    p = ctx.projects
    docs = ctx.tables.documents
    with_doc = set(docs.loc[docs["doc_type"] == "key_vendor_staff", "project_key"].dropna())
    listed = p["key_vendor_staff"].map(lambda v: bool(v) if isinstance(v, list) else False)
    mask = ctx.active & ctx.at_or_past(ctx.config.phase_gates.key_vendor_staff)
    mask &= ~blank(p["vendor"]) & ~listed.astype(bool)
    mask &= ~p["project_key"].isin(list(with_doc)).astype(bool)
    bad = p[mask]
    if bad.empty:
        return no_hits()
    return hits(
        bad,
        "project_key",
        "No key vendor staff: "
        + bad["project_key"]
        + " ("
        + bad["vendor"]
        + ") lists no approved key vendor staff; archive the approved list",
    )


@rule(
    "R4-ppm-missing",
    recommendation=4,
    severity="medium",
    description="active project at or past Chartering (phase_gates.ppm) that nobody manages: no "
    "PPM (a major one without PPM is R6-engagement-no-ppm instead, so one gap is one finding)",
    near_miss="an idea in Initiation without a PPM, or a project meeting the engagement criteria "
    "(that is R6-engagement-no-ppm)",
    scope=lambda ctx: sc.project_scope(
        ctx, sc.gated(ctx, ctx.config.phase_gates.ppm) & (_engagement_reasons(ctx) == "")
    ),
)
def ppm_missing(ctx: RuleContext) -> pd.DataFrame:
    return _field_rule(
        ctx,
        "ppm",
        ctx.config.phase_gates.ppm,
        "Nobody manages it",
        "assign a PPM or project manager in the project item",
        only=_engagement_reasons(ctx) == "",
    )


def stakeholder_departments(value: object) -> set[str]:
    """The departments a stakeholders list covers: 'Finance: Ana Ruiz' counts for Finance."""
    if not isinstance(value, list):
        return set()
    out = set()
    for entry in value:
        dept, sep, who = str(entry).partition(":")
        if sep and dept.strip() and who.strip():
            out.add(dept.strip().casefold())
    return out


@rule(
    "R2-stakeholders-missing",
    recommendation=2,
    severity="medium",
    description="active project at or past Procurement (phase_gates.stakeholders) where an "
    "impacted department has no stakeholder named ('Department: name' in stakeholders)",
    near_miss="every impacted department has a named stakeholder (letter case aside), or the "
    "project is still in Chartering",
    scope=lambda ctx: sc.project_scope(
        ctx,
        sc.gated(ctx, ctx.config.phase_gates.stakeholders).mask(
            ctx.unmapped("stakeholders"), pd.NA
        ),
        sc.unmapped_note(ctx, "stakeholders"),
    ),
)
def stakeholders_missing(ctx: RuleContext) -> pd.DataFrame:
    p = ctx.projects
    named = p["stakeholders"].map(stakeholder_departments)
    depts = p["departments"].map(lambda v: [str(d) for d in v] if isinstance(v, list) else [])
    uncovered = pd.Series(
        [
            [d for d in ds if d.strip().casefold() not in have]
            for ds, have in zip(depts, named, strict=True)
        ],
        index=p.index,
        dtype=object,
    )
    mask = ctx.active & ctx.at_or_past(ctx.config.phase_gates.stakeholders)
    mask &= uncovered.map(bool).astype(bool) & ~ctx.unmapped("stakeholders")
    bad = p[mask]
    if bad.empty:
        return no_hits()
    return hits(
        bad,
        "project_key",
        "Stakeholders missing: "
        + bad["project_key"]
        + " names no user or stakeholder for "
        + uncovered[mask].map(", ".join)
        + "; add 'Department: name' for each impacted department to the charter's stakeholders",
    )


@rule(
    "R8-key-vendor-staff-unapproved",
    recommendation=8,
    severity="medium",
    description="active vendor project at or past Execution lists key vendor staff that are "
    "not approved (key_vendor_staff_approved not Yes: a draft list)",
    near_miss="the list is approved, or no key vendor staff are listed (that is "
    "R8-key-vendor-staff-missing), or no vendor is named",
    scope=lambda ctx: sc.project_scope(
        ctx,
        (
            sc.with_vendor(ctx, sc.gated(ctx, ctx.config.phase_gates.key_vendor_staff))
            & ctx.projects["key_vendor_staff"].map(
                lambda v: bool(v) if isinstance(v, list) else False
            )
        ).mask(ctx.unmapped("key_vendor_staff_approved"), pd.NA),
        sc.unmapped_note(ctx, "key_vendor_staff_approved"),
    ),
)
def key_vendor_staff_unapproved(ctx: RuleContext) -> pd.DataFrame:
    p = ctx.projects
    listed = p["key_vendor_staff"].map(lambda v: bool(v) if isinstance(v, list) else False)
    mask = ctx.active & ctx.at_or_past(ctx.config.phase_gates.key_vendor_staff)
    mask &= ~blank(p["vendor"]) & listed.astype(bool) & ~flag(p["key_vendor_staff_approved"])
    mask &= ~ctx.unmapped("key_vendor_staff_approved")
    bad = p[mask]
    if bad.empty:
        return no_hits()
    return hits(
        bad,
        "project_key",
        "Key vendor staff not approved: "
        + bad["project_key"]
        + " ("
        + bad["vendor"]
        + ") lists "
        + bad["key_vendor_staff"].map(lambda v: ", ".join(map(str, v)))
        + " as a draft; get the list approved and mark it approved",
    )
