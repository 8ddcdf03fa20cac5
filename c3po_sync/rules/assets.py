"""Rules over the IT asset inventory (audit recommendation 10)."""

from __future__ import annotations

import pandas as pd

from c3po_sync.model import domain
from c3po_sync.model.schema import LIFECYCLE_STAGES
from c3po_sync.rules import scope as sc
from c3po_sync.rules.horizons import days_after
from c3po_sync.rules.registry import (
    DateDriven,
    RuleContext,
    TableName,
    blank,
    hits,
    no_hits,
    rule,
)
from c3po_sync.rules.unknown import unknown_note, unread

IN_SERVICE = domain.IN_SERVICE
_READS: tuple[TableName, ...] = ("projects", "assets", "quarantine")


def _day_after(column: str, days: int = 1) -> DateDriven:
    """An asset rule that fires once today is more than ``days - 1`` days past ``column``."""
    return DateDriven(
        lambda ctx: days_after(ctx.tables.assets[column], days, ctx.today_ts), reads=_READS
    )


def _stage(ctx: RuleContext) -> pd.Series:
    return ctx.tables.assets["lifecycle_stage"].astype("string").str.strip().str.casefold()


def _live(ctx: RuleContext) -> pd.Series:
    """Assets that still need looking after (model.domain.live_assets)."""
    return domain.live_assets(ctx.tables.assets["lifecycle_stage"])


def _asset_hits(ctx: RuleContext, mask: pd.Series, messages: pd.Series) -> pd.DataFrame:
    a = ctx.tables.assets
    bad = a[mask]
    if bad.empty:
        return no_hits()
    projects = ctx.projects.drop_duplicates("project_key").set_index("project_key")
    out = pd.DataFrame(
        {
            "entity_key": bad["asset_id"],
            "project_key": bad["project_key"],
            "ppm": domain.asset_ppm(a, ctx.projects)[mask],
            "portfolio": bad["project_key"].map(projects["portfolio"]),
            "source_url": bad["source_url"],
            "message": messages[mask],
        }
    )
    return out.reset_index(drop=True)


def _subscription(ctx: RuleContext) -> pd.Series:
    """Assets bought as subscriptions (rules.yaml subscription_kinds): model.domain."""
    return domain.subscriptions(ctx.tables.assets["kind"], ctx.config.subscription_kinds)


def _in_stage(ctx: RuleContext, *stages: str) -> pd.Series:
    return _stage(ctx).isin(list(stages)).fillna(False).astype(bool)


def _label(ctx: RuleContext) -> pd.Series:
    a = ctx.tables.assets
    return "'" + a["name"].fillna(a["asset_id"]) + "'"


@rule(
    "R10-asset-owner-missing",
    recommendation=10,
    severity="medium",
    entity="asset",
    description="an asset that is not Retired has no owner",
    near_miss="a Retired asset without owner",
    scope=lambda ctx: sc.asset_scope(ctx, _live(ctx)),
)
def asset_owner_missing(ctx: RuleContext) -> pd.DataFrame:
    a = ctx.tables.assets
    mask = _live(ctx) & blank(a["owner"])
    fix = "; name the asset owner in the IT Asset Inventory"
    note = unknown_note(unread(ctx, a, "owner"), "owner")
    messages = ("Asset without owner: " + _label(ctx) + fix).where(
        note.isna(), "Asset " + _label(ctx) + ": " + note + fix
    )
    return _asset_hits(ctx, mask, messages)


@rule(
    "R10-asset-lifecycle-missing",
    recommendation=10,
    severity="medium",
    entity="asset",
    description="an asset has no lifecycle stage, or one outside Planned, In Service, Retiring, "
    "Retired (then the finding says the stage is unknown, not missing)",
    near_miss="any stage set, even Planned",
    scope=lambda ctx: sc.asset_scope(ctx, _live(ctx) | ~_live(ctx)),
)
def asset_lifecycle_missing(ctx: RuleContext) -> pd.DataFrame:
    a = ctx.tables.assets
    missing = blank(a["lifecycle_stage"])
    known = {s.casefold() for s in LIFECYCLE_STAGES}
    unknown = ~missing & ~_stage(ctx).isin(list(known)).fillna(False).astype(bool)
    fix = "; set " + ", ".join(LIFECYCLE_STAGES[:-1]) + " or " + LIFECYCLE_STAGES[-1]
    unreadable = unknown_note(unread(ctx, a, "lifecycle_stage"), "lifecycle stage")
    messages = ("Asset without lifecycle stage: " + _label(ctx) + fix).where(
        unreadable.isna(), "Asset " + _label(ctx) + ": " + unreadable + fix
    )
    messages = messages.where(
        ~unknown,
        "Asset lifecycle stage unknown: "
        + _label(ctx)
        + " has stage '"
        + a["lifecycle_stage"].astype("string")
        + "', which is not a lifecycle stage"
        + fix
        + " (or map the value in mappings/)",
    )
    return _asset_hits(ctx, missing | unknown, messages)


@rule(
    "R10-asset-dates-missing",
    recommendation=10,
    severity="low",
    entity="asset",
    description="an asset In Service or Retiring lacks its acquired or end-of-support date "
    "(a subscription: its acquired or renewal date)",
    near_miss="a Planned asset without dates, or a subscription without end-of-support date",
    scope=lambda ctx: sc.asset_scope(ctx, _in_stage(ctx, IN_SERVICE, "retiring")),
)
def asset_dates_missing(ctx: RuleContext) -> pd.DataFrame:
    a = ctx.tables.assets
    in_use = _in_stage(ctx, IN_SERVICE, "retiring")
    sub = _subscription(ctx)
    no_acq = a["acquired"].isna().astype(bool)
    # A subscription has no end of support: what keeps it alive is its renewal.
    no_eos = a["end_of_support"].isna().astype(bool).where(~sub, a["renewal"].isna().astype(bool))
    mask = in_use & (no_acq | no_eos)
    end_word = pd.Series("end-of-support", index=a.index).where(~sub, "renewal")
    which = pd.Series("", index=a.index, dtype=object)
    which[no_acq & no_eos] = "acquired and " + end_word + " dates"
    which[no_acq & ~no_eos] = "acquired date"
    which[~no_acq & no_eos] = end_word + " date"
    messages = "Asset dates missing: " + _label(ctx) + " has no " + which
    notes = [
        unknown_note(unread(ctx, a, "acquired"), "acquired date"),
        unknown_note(unread(ctx, a, "end_of_support"), "end-of-support date").where(~sub, pd.NA),
        unknown_note(unread(ctx, a, "renewal"), "renewal date").where(sub, pd.NA),
    ]
    for note in notes:  # a date that was there but unreadable is unknown, not missing
        messages = messages.where(note.isna(), "Asset " + _label(ctx) + ": " + note)
    return _asset_hits(ctx, mask, messages + "; complete its lifecycle dates")


@rule(
    "R10-asset-past-end-of-support",
    recommendation=10,
    severity="high",
    entity="asset",
    description="an asset In Service (not a subscription) whose end_of_support is before today",
    near_miss="end of support today, a subscription, or the asset already Retiring (that is "
    "R10-retiring-past-end-of-support) or Retired",
    scope=lambda ctx: sc.asset_scope(ctx, _in_stage(ctx, IN_SERVICE) & ~_subscription(ctx)),
    dated=_day_after("end_of_support"),
)
def asset_past_end_of_support(ctx: RuleContext) -> pd.DataFrame:
    a = ctx.tables.assets
    over = ctx.days_since(a["end_of_support"])
    mask = _in_stage(ctx, IN_SERVICE) & ~_subscription(ctx) & (over > 0).fillna(False)
    eos = pd.to_datetime(a["end_of_support"], errors="coerce").dt.strftime("%Y-%m-%d")
    return _asset_hits(
        ctx,
        mask.astype(bool),
        "Past end of support: "
        + _label(ctx)
        + " is In Service but support ended "
        + eos.fillna("")
        + "; plan its upgrade or retirement",
    )


@rule(
    "R10-retiring-past-end-of-support",
    recommendation=10,
    severity="medium",
    entity="asset",
    description="an asset Retiring (not a subscription) still running past its end_of_support",
    near_miss="end of support today, an In Service asset (that is "
    "R10-asset-past-end-of-support), or a Retired one",
    scope=lambda ctx: sc.asset_scope(ctx, _in_stage(ctx, "retiring") & ~_subscription(ctx)),
    dated=_day_after("end_of_support"),
)
def retiring_past_end_of_support(ctx: RuleContext) -> pd.DataFrame:
    a = ctx.tables.assets
    over = ctx.days_since(a["end_of_support"])
    mask = _in_stage(ctx, "retiring") & ~_subscription(ctx) & (over > 0).fillna(False)
    eos = pd.to_datetime(a["end_of_support"], errors="coerce").dt.strftime("%Y-%m-%d")
    return _asset_hits(
        ctx,
        mask.astype(bool),
        "Retiring past end of support: "
        + _label(ctx)
        + " is still being retired but support ended "
        + eos.fillna("")
        + "; finish the retirement or extend support",
    )


@rule(
    "R10-renewal-lapsed",
    recommendation=10,
    severity="high",
    entity="asset",
    description="an asset In Service whose renewal date is before today (a lapsed licence or "
    "subscription)",
    near_miss="renewal today, no renewal date (a subscription without one is "
    "R10-asset-dates-missing), or an asset Retiring/Retired",
    scope=lambda ctx: sc.asset_scope(
        ctx, _in_stage(ctx, IN_SERVICE) & ctx.tables.assets["renewal"].notna().astype(bool)
    ),
    dated=_day_after("renewal"),
)
def renewal_lapsed(ctx: RuleContext) -> pd.DataFrame:
    a = ctx.tables.assets
    over = ctx.days_since(a["renewal"])
    mask = _in_stage(ctx, IN_SERVICE) & (over > 0).fillna(False).astype(bool)
    when = pd.to_datetime(a["renewal"], errors="coerce").dt.strftime("%Y-%m-%d")
    return _asset_hits(
        ctx,
        mask,
        "Renewal lapsed: "
        + _label(ctx)
        + " is In Service but was due for renewal "
        + when.fillna("")
        + "; renew it or record the new renewal date",
    )


@rule(
    "R10-asset-review-overdue",
    recommendation=10,
    severity="low",
    entity="asset",
    description="a non-Retired asset last reviewed more than review_interval_days (365) ago, "
    "or never",
    near_miss="reviewed exactly 365 days ago, or the asset is Retired",
    scope=lambda ctx: sc.asset_scope(ctx, _live(ctx)),
    dated=DateDriven(
        lambda ctx: days_after(
            ctx.tables.assets["last_reviewed"], ctx.config.review_interval_days + 1, ctx.today_ts
        ),
        reads=_READS,
    ),
)
def asset_review_overdue(ctx: RuleContext) -> pd.DataFrame:
    a = ctx.tables.assets
    interval = ctx.config.review_interval_days
    mask = domain.review_overdue(a["lifecycle_stage"], a["last_reviewed"], ctx.today, interval)
    when = pd.to_datetime(a["last_reviewed"], errors="coerce").dt.strftime("%Y-%m-%d")
    detail = ("last reviewed " + when + f" (over {interval} days ago)").fillna(
        unknown_note(unread(ctx, a, "last_reviewed"), "last review date")
    )
    detail = detail.fillna("never reviewed")
    return _asset_hits(
        ctx,
        mask,
        "Inventory review overdue: "
        + _label(ctx)
        + " "
        + detail
        + "; review and update the inventory entry",
    )


@rule(
    "R10-project-no-asset",
    recommendation=10,
    severity="medium",
    description="a project that delivers a system (project_kind in system_kinds) in Release, "
    "Sustain or Closed (phase_gates.asset_inventory) has no asset in the inventory linked to it",
    near_miss="a project in Execution, a staffing or O&M project, a Cancelled one, or any asset "
    "(even Retired) naming its project key; a project of no recorded kind is not checked",
    scope=lambda ctx: sc.project_scope(
        ctx,
        sc.gated(ctx, ctx.config.phase_gates.asset_inventory, active_only=False) & _delivers(ctx),
        "project kind not recorded, so whether it delivers a system cannot be told",
    ),
)
def project_no_asset(ctx: RuleContext) -> pd.DataFrame:
    p = ctx.projects
    a = ctx.tables.assets
    linked = set(a["project_key"].dropna().astype(str).str.strip().str.casefold())
    keys = p["project_key"].astype("string").str.strip().str.casefold()
    mask = ctx.at_or_past(ctx.config.phase_gates.asset_inventory) & ~blank(p["project_key"])
    mask &= _delivers(ctx).fillna(False).astype(bool)
    mask &= ~keys.isin(list(linked)).fillna(False).astype(bool)
    bad = p[mask]
    if bad.empty:
        return no_hits()
    return hits(
        bad,
        "project_key",
        "Not in the IT inventory: "
        + bad["project_key"]
        + " is in "
        + bad["phase"]
        + " but no asset names it; add the delivered system to the "
        "IT asset inventory, linked to " + bad["project_key"],
    )


def _delivers(ctx: RuleContext) -> pd.Series:
    """Projects that deliver a system (True), do not or were cancelled (False), or whose kind is
    not recorded (NA): model.domain.delivers_system."""
    out = domain.delivers_system(ctx.projects["project_kind"], ctx.config.system_kinds)
    cancelled = domain.halted_projects(ctx.states, ctx.config.finished_states)
    return out if cancelled is None else out.mask(cancelled, False)
