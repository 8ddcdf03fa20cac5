"""Rules on reporting freshness and project data quality (rec 9 and data-quality checks)."""

from __future__ import annotations

import pandas as pd

from c3po_sync.rules import scope as sc
from c3po_sync.rules.horizons import days_after, earliest
from c3po_sync.rules.registry import DateDriven, RuleContext, hits, no_hits, rule
from c3po_sync.rules.unknown import unknown_note, unread


def _everyone(ctx: RuleContext) -> pd.Series:
    return pd.Series(True, index=ctx.projects.index, dtype="boolean")


def _stale_scope(ctx: RuleContext) -> pd.DataFrame:
    """Active projects; one whose status date is in the future cannot be judged for age."""
    p = ctx.projects
    future = (pd.to_datetime(p["status_date"], errors="coerce") > ctx.today_ts).fillna(False)
    applies = sc.active(ctx).mask(future.astype(bool) & ctx.active, pd.NA)
    note = pd.Series(pd.NA, index=p.index, dtype="string").mask(
        future.astype(bool), "status date in the future (see data quality)"
    )
    return sc.project_scope(ctx, applies, note)


def _stale_horizon(ctx: RuleContext) -> pd.Series:
    """A status date in the future stops being one on its day; a report dated ahead counts
    from its day; a last status falls stale the day after its window ends."""
    p = ctx.projects
    today = ctx.today_ts
    parts = [days_after(p["status_date"], 0, today)]
    reports = ctx.tables.status_reports
    if not reports.empty:
        rd = days_after(reports["report_date"], 0, today)
        parts.append(p["project_key"].map(rd.groupby(reports["project_key"]).min()))
    parts.append(days_after(_last_status(ctx), ctx.config.reporting_window_days + 1, today))
    return earliest(*(pd.to_datetime(x) for x in parts))


def _last_status(ctx: RuleContext) -> pd.Series:
    """Each project's last status: its status date, or a later report dated by today (a status
    date in the future stands as it is: DQ-status-date-future)."""
    p = ctx.projects
    last = pd.to_datetime(p["status_date"], errors="coerce")
    future = (last > ctx.today_ts).fillna(False).astype(bool)
    reports = ctx.tables.status_reports
    if not reports.empty:
        rd = pd.to_datetime(reports["report_date"], errors="coerce")
        latest = rd[rd <= ctx.today_ts].groupby(reports["project_key"]).max()
        from_reports = p["project_key"].map(latest)
        last = last.where(future, pd.concat([last, from_reports], axis=1).max(axis=1))
    return last


@rule(
    "R9-status-stale",
    recommendation=9,
    severity="medium",
    description="active project whose last status (status_date or latest status report) is "
    "more than reporting_window_days (60) old, or missing (or unreadable: then it says unknown)",
    near_miss="status exactly 60 days old; a Closed project; a status date in the future "
    "(that is DQ-status-date-future instead)",
    scope=_stale_scope,
    dated=DateDriven(_stale_horizon, reads=("projects", "status_reports", "quarantine")),
)
def status_stale(ctx: RuleContext) -> pd.DataFrame:
    p = ctx.projects
    window = ctx.config.reporting_window_days
    future = pd.to_datetime(p["status_date"], errors="coerce") > ctx.today_ts
    future = future.fillna(False).astype(bool)
    last = _last_status(ctx)
    age = (ctx.today_ts - last).dt.days
    mask = ctx.active & ~future & (last.isna() | (age > window)).astype(bool)
    bad = p[mask]
    if bad.empty:
        return no_hits()
    when = last[mask].dt.strftime("%Y-%m-%d")
    # The message names dates, not an age in days: it reads the same tomorrow, so a night with
    # no change rewrites no hub row (issue 16); the due date says how late it is.
    due = (last[mask] + pd.Timedelta(days=window)).dt.strftime("%Y-%m-%d")
    detail = ("last status " + when + " (due again by " + due + f", window {window} days)").fillna(
        unknown_note(unread(ctx, bad, "status_date"), "status date")
    )
    detail = detail.fillna("no status date recorded")
    return hits(
        bad,
        "project_key",
        "Status stale: " + bad["project_key"] + " " + detail + "; post a status update",
    )


@rule(
    "DQ-status-date-future",
    recommendation=0,
    severity="low",
    description="a project's status date is after today (data-quality)",
    near_miss="status date today",
    scope=lambda ctx: sc.project_scope(ctx, _everyone(ctx)),
    dated=DateDriven(lambda ctx: days_after(ctx.projects["status_date"], 0, ctx.today_ts)),
)
def status_date_future(ctx: RuleContext) -> pd.DataFrame:
    p = ctx.projects
    mask = (ctx.days_since(p["status_date"]) < 0).fillna(False).astype(bool)
    bad = p[mask]
    if bad.empty:
        return no_hits()
    when = pd.to_datetime(bad["status_date"]).dt.strftime("%Y-%m-%d")
    return hits(
        bad,
        "project_key",
        "Status date in the future: "
        + bad["project_key"]
        + " says "
        + when
        + "; correct the status date",
    )


@rule(
    "DQ-phase-unknown",
    recommendation=0,
    severity="medium",
    description="a project's phase is blank or not in the configured phase order, so phase "
    "rules cannot judge it (data-quality)",
    near_miss="a known phase in different letter case",
    scope=lambda ctx: sc.project_scope(ctx, _everyone(ctx)),
)
def phase_unknown(ctx: RuleContext) -> pd.DataFrame:
    p = ctx.projects
    bad = p[ctx.phase_rank.isna().to_numpy()]
    if bad.empty:
        return no_hits()
    phase = bad["phase"].fillna("(blank)")
    return hits(
        bad,
        "project_key",
        "Unknown phase: "
        + bad["project_key"]
        + " has phase '"
        + phase
        + "'; use one of "
        + ", ".join(ctx.config.phases),
    )
