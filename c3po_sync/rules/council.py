"""Council reporting cycles (audit recommendation 9: "Reporting to Council Committee:
regular"): a council report is filed in every cycle since reporting began."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd

from c3po_sync.rules import scope as sc
from c3po_sync.rules.registry import DateDriven, RuleContext, no_hits, rule

COUNCIL_REPORT = "council_report"


def cycles(ctx: RuleContext) -> pd.DataFrame:
    """Every completed reporting cycle (start, end inclusive) from council_reports_from, with
    the number of council_report documents filed (modified) in it.

    The cycle that contains today is not judged yet: its report may still come.
    """
    c = ctx.config
    start = c.council_reports_from
    rows = []
    if start is not None:
        docs = ctx.tables.documents
        filed = pd.to_datetime(
            docs.loc[(docs["doc_type"] == COUNCIL_REPORT).fillna(False), "source_modified"],
            utc=True,
            errors="coerce",
        ).dt.date
        step = timedelta(days=c.council_report_cycle_days)
        day = start
        while day + step <= ctx.today:
            end = day + step - timedelta(days=1)
            n = int(((filed >= day) & (filed <= end)).sum())
            rows.append(
                {"entity_key": f"council-report:{day:%Y-%m-%d}", "start": day, "end": end, "n": n}
            )
            day += step
    return pd.DataFrame(rows, columns=["entity_key", "start", "end", "n"])


def _next_cycle_end(ctx: RuleContext) -> pd.Series:
    """The day the cycle that contains today is over and judged (a new entity appears)."""
    c = ctx.config
    start = c.council_reports_from
    if start is None:
        return pd.Series([], dtype="datetime64[ns]")
    step = timedelta(days=c.council_report_cycle_days)
    day = start
    while day + step <= ctx.today:
        day += step
    return pd.Series([pd.Timestamp(day + step)])


def _scope(ctx: RuleContext) -> pd.DataFrame:
    cy = cycles(ctx)
    return sc.scope_frame(cy, "entity_key", pd.Series(True, index=cy.index))


@rule(
    "R9-council-report-missing",
    recommendation=9,
    severity="high",
    entity="council_report",
    description="a completed reporting cycle (council_report_cycle_days, 60, counted from "
    "council_reports_from) in which no document classified 'council_report' was filed",
    near_miss="a report filed on the cycle's last day, or the cycle that contains today "
    "(not over yet); with council_reports_from null the rule is not checked",
    requires=lambda c: (
        None
        if c.council_reports_from
        else "no start of council reporting configured (council_reports_from)"
    ),
    scope=_scope,
    dated=DateDriven(_next_cycle_end, reads=("projects", "documents")),
)
def council_report_missing(ctx: RuleContext) -> pd.DataFrame:
    cy = cycles(ctx)
    bad = cy[cy["n"] == 0]
    if bad.empty:
        return no_hits()
    return pd.DataFrame(
        {
            "entity_key": bad["entity_key"],
            "project_key": pd.NA,
            "ppm": pd.NA,
            "portfolio": pd.NA,
            "source_url": pd.NA,
            "message": "No council report for "
            + bad["start"].map(str)
            + " to "
            + bad["end"].map(str)
            + "; file the report to the Smart Cities Committee as a council_report document",
        }
    ).reset_index(drop=True)
