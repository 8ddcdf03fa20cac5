"""Rich rendering of a run's result: what a PPM office lead reads after a run."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from c3po_sync.logs import redact
from c3po_sync.model.labels import DATA_QUALITY, DATA_QUALITY_REC
from c3po_sync.model.labels import RECOMMENDATIONS as REC_NAMES
from c3po_sync.pipeline.result import RunResult

# The one naming of the recommendations (model.recommendations), plus data quality as 0.
RECOMMENDATIONS: dict[int, str] = {DATA_QUALITY_REC: DATA_QUALITY, **REC_NAMES}


def render_result(result: RunResult, console: Console) -> None:
    title = f"C3PO Sync — job '{result.job}', run {result.run_id}: {result.outcome.upper()}"
    if result.dry_run:
        title += " (dry run: nothing written)"
    console.rule(title)
    reads = Table(title="Read", show_edge=False)
    reads.add_column("source")
    reads.add_column("items", justify="right")
    reads.add_column("problem")
    for s in result.sources:
        reads.add_row(escape(s.source), str(s.records), escape(redact(s.error or "")))
    if result.sources:
        console.print(reads)
        console.print(
            f"{len(result.sites)} sites, {result.items_read} items read; canonical tables: "
            + ", ".join(f"{k} {v}" for k, v in result.tables.items())
            + f"; {result.quarantined} values quarantined"
        )
    for st in result.stale:
        console.print(
            f"[yellow]kept as last read:[/yellow] {escape(st.label)} ({st.carried} rows), "
            f"{escape(st.note())}",
            highlight=False,
        )
    if result.findings_by_recommendation or result.opened or result.resolved:
        ft = Table(title="Open findings by audit recommendation", show_edge=False)
        ft.add_column("rec", justify="right")
        ft.add_column("recommendation")
        ft.add_column("open", justify="right")
        for rec, n in sorted(result.findings_by_recommendation.items()):  # 0, 4, 10
            ft.add_row(str(rec), RECOMMENDATIONS.get(rec, ""), str(n))
        console.print(ft)
        for rec, why in sorted(result.not_checked.items()):
            console.print(
                f"rec {rec} {RECOMMENDATIONS.get(rec, '')}: not checked ({why}), not compliant",
                markup=False,
                highlight=False,
            )
        console.print(
            f"findings: {result.opened} opened, {result.resolved} resolved, "
            f"{result.reopened} re-opened since the last run"
        )
    if result.reconciled:
        missed = [d for d in result.reconciled if d.count]
        console.print(
            f"reconcile: {len(result.reconciled)} source(s) read in full; "
            + (
                f"{len(missed)} had differences the incremental reads missed"
                if missed
                else "the incremental reads had missed nothing"
            ),
            markup=False,
        )
        for d in missed:
            console.print("  " + d.describe(), markup=False)
    for w in result.writes:
        console.print(w.describe(), markup=False)
    if result.intake is not None:
        console.print(result.intake.describe(), markup=False, highlight=False)
    _render_digests(result, console)
    for line in result.planned:
        console.print(line, markup=False, highlight=False)
    if result.workbook:
        console.print(f"workbook: {shown_path(Path(result.workbook))}")
    if result.uploaded_to:
        console.print(f"uploaded: {result.uploaded_to}")
    for what, where in result.dashboard:
        shown = shown_path(where) if isinstance(where, Path) else where
        console.print(f"dashboard {what}: {shown}", markup=False, highlight=False)
    console.print(f"HTTP requests to SharePoint: {result.requests}")
    if result.resource_units:
        console.print(f"SharePoint resource units (estimated): {result.resource_units}")
    for line in result.skipped:
        console.print(f"skipped: {line}", markup=False, highlight=False)
    if result.error:
        color = "yellow" if result.outcome == "interrupted" else "red"
        kind = f" ({result.failure})" if result.failure else ""
        console.print(f"[{color}]error{kind}: {escape(redact(result.error))}[/{color}]")


def _render_digests(result: RunResult, console: Console) -> None:
    """The notify step's outcome: digests by state, each one not delivered, and the open
    findings no digest could carry because they name no PPM."""
    if result.findings_without_ppm is None and not result.digests:
        return  # no notify step in this job
    by_state: dict[str, int] = {}
    for d in result.digests:
        by_state[d.state] = by_state.get(d.state, 0) + 1
    told = ", ".join(f"{n} {state}" for state, n in sorted(by_state.items()))
    console.print(
        f"digests: {told or 'none: nothing new to tell any PPM'}", markup=False, highlight=False
    )
    for d in result.digests:
        if d.state not in ("sent", "would send"):
            console.print(f"  {d.describe()}", markup=False, highlight=False)
    if result.findings_without_ppm:
        console.print(
            f"[yellow]{result.findings_without_ppm} open finding(s) name no PPM: no digest "
            "tells them[/yellow]",
            highlight=False,
        )


def shown_path(p: Path) -> str:
    """Relative to the working directory when inside it: the path a person would type."""
    try:
        return str(p.relative_to(Path.cwd()))
    except ValueError:
        return str(p)
