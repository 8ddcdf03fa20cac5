"""Write lists: provision and upsert the consolidated lists on the hub site."""

from __future__ import annotations

from c3po_sync.pipeline.context import RunContext
from c3po_sync.sinks.hub_lists import (
    FINDING_GONE,
    FINDINGS_LIST,
    PORTFOLIO,
    PORTFOLIO_GONE,
    findings_rows,
    portfolio_rows,
)


def run_write_lists(ctx: RunContext) -> None:
    tables = ctx.current_tables()
    history = ctx.findings_history()
    open_findings = history[history["status"] != "resolved"] if len(history) else history
    sink = ctx.ports.list_sink
    plan = [
        (PORTFOLIO, portfolio_rows(tables, open_findings, ctx.tz), PORTFOLIO_GONE),
        (FINDINGS_LIST, findings_rows(history, ctx.tz), FINDING_GONE),
    ]
    for spec, rows, gone in plan:
        sink.ensure_list(spec, dry_run=ctx.dry_run)
        ctx.result.writes.append(sink.upsert(spec, rows, mark_missing=gone, dry_run=ctx.dry_run))
