"""Evaluate: run the audit rules and record the findings history."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

from c3po_sync.model.schema import FINDINGS
from c3po_sync.pipeline.context import RunContext
from c3po_sync.rules import evaluate
from c3po_sync.rules.history import project_history
from c3po_sync.state import timeline


def run_evaluate(ctx: RunContext) -> None:
    result = ctx.result
    tables = ctx.current_tables()
    # The rules stay pure: the store's snapshots (this run's included) are read here and
    # handed to the rules that judge change over time.
    upto = ctx.store.latest_snapshot_run(before_run=result.run_id + 1)
    history = project_history(timeline.project_snapshots(ctx.store, upto_run=upto))
    findings = evaluate(tables, ctx.inputs.rules, ctx.inputs.today, history=history)
    if ctx.source_findings:
        findings = pd.concat([findings, FINDINGS.frame(ctx.source_findings)], ignore_index=True)
    ctx.findings = findings
    # A source that could not be read was not re-checked: its findings must not look resolved.
    delta = ctx.store.record_findings(
        result.run_id, findings, datetime.now(UTC), resolve_missing=not result.failed_sources
    )
    result.opened = len(delta.opened)
    result.resolved = len(delta.resolved)
    result.reopened = len(delta.reopened)
    counts = findings.groupby("recommendation").size().to_dict() if len(findings) else {}
    result.findings_by_recommendation = {int(k): int(v) for k, v in sorted(counts.items())}
    ctx.history = ctx.store.findings()
