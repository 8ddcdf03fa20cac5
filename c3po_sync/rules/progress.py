"""Rules on progress and consultant performance (audit recommendation 6: "C3PO engagement,
consultant performance & progress"): schedule, budget and vendor reviews."""

from __future__ import annotations

import pandas as pd

from c3po_sync.rules import scope as sc
from c3po_sync.rules.horizons import days_after
from c3po_sync.rules.registry import DateDriven, RuleContext, blank, hits, no_hits, rule


def _undelivered(ctx: RuleContext) -> pd.Series:
    """Active projects from phase_gates.progress until they deliver (phase_gates.delivered)."""
    g = ctx.config.phase_gates
    return ctx.active & ctx.at_or_past(g.progress) & ~ctx.at_or_past(g.delivered)


def _undelivered_scope(ctx: RuleContext) -> pd.Series:
    g = ctx.config.phase_gates
    return sc.gated(ctx, g.progress) & ~ctx.at_or_past(g.delivered)


@rule(
    "R6-schedule-overrun",
    recommendation=6,
    severity="medium",
    description="active project at or past Chartering that has not delivered (before Sustain) "
    "and whose target end date is before today",
    near_miss="target end today, a project in Sustain or Closed, or no target end recorded "
    "(then not checked)",
    scope=lambda ctx: sc.project_scope(
        ctx,
        _undelivered_scope(ctx).mask(ctx.projects["target_end"].isna().to_numpy(), pd.NA),
        "no target end date recorded",
    ),
    # late once today is past the target end: the day after it
    dated=DateDriven(lambda ctx: days_after(ctx.projects["target_end"], 1, ctx.today_ts)),
)
def schedule_overrun(ctx: RuleContext) -> pd.DataFrame:
    p = ctx.projects
    late = ctx.days_since(p["target_end"])
    mask = _undelivered(ctx) & (late > 0).fillna(False).astype(bool)
    bad = p[mask]
    if bad.empty:
        return no_hits()
    end = pd.to_datetime(bad["target_end"]).dt.strftime("%Y-%m-%d")
    return hits(
        bad,
        "project_key",
        "Behind schedule: "
        + bad["project_key"]
        + " is in "
        + bad["phase"]
        + " but its target end was "
        + end
        + "; re-plan with a charter amendment or report the delay",
    )


@rule(
    "R6-budget-overrun",
    recommendation=6,
    severity="medium",
    description="active project at or past Chartering whose actual cost (spent or forecast) is "
    "over its approved budget",
    near_miss="actual cost exactly the budget, or no actual cost or budget recorded (then not "
    "checked)",
    scope=lambda ctx: sc.project_scope(
        ctx,
        sc.gated(ctx, ctx.config.phase_gates.progress).mask(
            (ctx.projects["actual_cost"].isna() | ctx.projects["budget"].isna()).to_numpy(), pd.NA
        ),
        "no actual cost or budget recorded",
    ),
)
def budget_overrun(ctx: RuleContext) -> pd.DataFrame:
    p = ctx.projects
    spent = p["actual_cost"].astype("Float64")
    budget = p["budget"].astype("Float64")
    mask = ctx.active & ctx.at_or_past(ctx.config.phase_gates.progress)
    mask &= (spent > budget).fillna(False).astype(bool)
    bad = p[mask]
    if bad.empty:
        return no_hits()
    money = [
        f"${s:,.0f} against an approved ${b:,.0f}"
        for s, b in zip(spent[mask], budget[mask], strict=True)
    ]
    return hits(
        bad,
        "project_key",
        "Over budget: "
        + bad["project_key"]
        + " has spent "
        + pd.Series(money, index=bad.index)
        + "; approve the new amount with a charter amendment",
    )


@rule(
    "R6-vendor-review-overdue",
    recommendation=6,
    severity="medium",
    description="active vendor project at or past Execution whose vendor performance was last "
    "reviewed more than vendor_review_interval_days (90) ago, or never",
    near_miss="reviewed exactly 90 days ago, no vendor named, or a project in Procurement",
    scope=lambda ctx: sc.project_scope(
        ctx,
        sc.with_vendor(ctx, sc.gated(ctx, ctx.config.phase_gates.vendor_review)).mask(
            ctx.unmapped("vendor_last_review"), pd.NA
        ),
        sc.unmapped_note(ctx, "vendor_last_review"),
    ),
    dated=DateDriven(
        lambda ctx: days_after(
            ctx.projects["vendor_last_review"],
            ctx.config.vendor_review_interval_days + 1,
            ctx.today_ts,
        )
    ),
)
def vendor_review_overdue(ctx: RuleContext) -> pd.DataFrame:
    p = ctx.projects
    interval = ctx.config.vendor_review_interval_days
    age = ctx.days_since(p["vendor_last_review"])
    mask = ctx.active & ctx.at_or_past(ctx.config.phase_gates.vendor_review) & ~blank(p["vendor"])
    mask &= (age.isna() | (age > interval)).fillna(True).astype(bool)
    mask &= ~ctx.unmapped("vendor_last_review")
    bad = p[mask]
    if bad.empty:
        return no_hits()
    when = pd.to_datetime(bad["vendor_last_review"], errors="coerce").dt.strftime("%Y-%m-%d")
    detail = ("last reviewed " + when + f" (over {interval} days ago)").fillna("never reviewed")
    return hits(
        bad,
        "project_key",
        "Vendor performance review overdue: "
        + bad["project_key"]
        + " ("
        + bad["vendor"]
        + ") "
        + detail
        + "; review the vendor's performance and record the date",
    )
