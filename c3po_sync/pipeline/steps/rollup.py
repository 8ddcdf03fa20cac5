"""Rollup: the Excel workbook, saved locally and uploaded to the hub's Rollups library."""

from __future__ import annotations

import logging

import pandas as pd

from c3po_sync.model.tables import CanonicalTables
from c3po_sync.pipeline.carry import stale_projects
from c3po_sync.pipeline.context import RunContext
from c3po_sync.pipeline.quiet import remember_rollup, rollup_current
from c3po_sync.pipeline.steps.dashboard import dashboard_library, publish_dashboard
from c3po_sync.pipeline.steps.evaluate import MATRIX_STEPS
from c3po_sync.pipeline.upload_watch import library_untouched, note_upload, remember_uploads
from c3po_sync.private_files import private_dir
from c3po_sync.rules.deltas import compute_deltas
from c3po_sync.rules.matrix import compliance_matrix
from c3po_sync.sinks.excel_rollup import (
    build_rollup,
    rollup_file_name,
    save_rollup,
    scorecard,
)
from c3po_sync.state import timeline
from c3po_sync.state.store import RunNotFoundError

log = logging.getLogger(__name__)


def current_snapshot_run(ctx: RunContext) -> int | None:
    """The snapshot this run reports on: its own when it synced, else the newest one."""
    return ctx.store.latest_snapshot_run(before_run=ctx.result.run_id + 1)


def changes_since(ctx: RunContext, base_run: int | None) -> tuple[pd.DataFrame | None, str]:
    """Deltas from ``base_run``'s snapshot to this run's, and a line saying what they cover.

    None (the workbook then says there is no previous report) when there is no earlier
    snapshot to compare with.
    """
    now_run = current_snapshot_run(ctx)
    if now_run is None or base_run is None or base_run >= now_run:
        return None, "no earlier snapshot"
    try:
        before = timeline.tables_for_deltas(ctx.store, base_run)
    except RunNotFoundError:
        log.warning("snapshot of run %s was pruned; the workbook shows no changes", base_run)
        return None, f"run {base_run} (snapshot no longer kept)"
    events = timeline.finding_events_between(
        ctx.store, base_run, ctx.result.run_id, ctx.findings_history()
    )
    changes = compute_deltas(before, ctx.current_tables(), events)
    at = timeline.snapshot_saved_at(ctx.store, base_run).astimezone(ctx.tz)
    return changes, f"run {base_run} ({at:%Y-%m-%d %H:%M %Z})"  # beside UTC: zone named


def _matrix(ctx: RunContext, tables: CanonicalTables, history: pd.DataFrame) -> pd.DataFrame | None:
    """The compliance matrix of this run's evaluation (a job that does not evaluate: the newest
    stored one); None when none is stored.

    The evaluation (a row per project and rule: the largest frame the run holds) is let go once
    the matrix is made, unless another workbook of the job still reads it: nothing else does,
    and it was held through the workbook's build and save, the 4x run's peak (issue 16).
    """
    evaluation = ctx.evaluation
    if evaluation is None:
        evaluation = ctx.store.load_evaluation()
    if sum(s in MATRIX_STEPS for s in ctx.inputs.job.steps) <= 1:
        ctx.evaluation = None
    if evaluation is None:
        return None
    return compliance_matrix(evaluation, history, tables.projects, tz=ctx.tz)


ROLLUP_TITLE = "C3PO Rollup"
ROLLUP_HOME_JOB = "nightly"


def report_title(base: str, job: str | None, home_job: str) -> str:
    """The workbook's title and file-name prefix for ``job``: ``base`` for the job the step was
    made for, a name of its own for any other job, so no job overwrites another's workbook,
    locally or in the hub's library (issue 13).

    "weekly-rollup" running the rollup step gives "C3PO Weekly Rollup"; a job whose id does not
    name the report ("monday" running the rollup step) gives "C3PO Rollup (monday)".
    """
    if not job or job == home_job:
        return base
    words = " ".join(job.replace("_", " ").replace("-", " ").split())
    if base.split()[-1].casefold() in words.casefold().split():
        return "C3PO " + " ".join(w[:1].upper() + w[1:] for w in words.split())
    return f"{base} ({words})"


def build_and_upload(
    ctx: RunContext, *, bookmark: str, prefix: str, base_run: int | None
) -> pd.DataFrame | None:
    """Builds the workbook with the trend against ``bookmark``'s scorecard and changes since
    ``base_run``; saves, uploads and moves the bookmark to this run (not in a dry run).
    ``prefix`` is the workbook's title and file-name prefix (:func:`report_title`)."""
    ctx.before_hub_write()  # the dashboard's and the workbook's uploads
    result = ctx.result
    settings = ctx.inputs.settings
    tables = ctx.current_tables()
    history = ctx.findings_history()
    # First: the evaluation it is made from is the largest frame the run holds; the deltas'
    # earlier snapshot, the dashboard and the workbook are then made in the room it leaves.
    matrix = _matrix(ctx, tables, history)
    changes, since = changes_since(ctx, base_run)
    run_info = {
        "run_id": result.run_id,
        "job": result.job,
        "generated_at": ctx.as_of.astimezone(ctx.tz).isoformat(timespec="minutes"),
        "sites_read": len(result.sites),
        "items_read": result.items_read,
        "changes_since": since,
    }
    dashboard = publish_dashboard(ctx, changes, since)
    if dashboard:  # a line on the Summary sheet
        run_info["dashboard"] = dashboard
    stale = ctx.stale_sources()
    if stale:  # said on the summary sheet, and beside each project it concerns
        run_info["not_re-read"] = "; ".join(f"{s.label}: {s.note()}" for s in stale)
    marks = {k: s.note() for k, s in stale_projects(tables, stale).items()}
    previous = timeline.bookmark_scores(timeline.bookmark(ctx.store, bookmark))
    wb = build_rollup(
        tables,
        history,
        today=ctx.inputs.today,
        run_info=run_info,
        previous_scores=previous,
        changes=changes,
        not_reread=marks,
        rules=ctx.inputs.rules,
        title=prefix,
        matrix=matrix,
    )
    del matrix  # in the sheet's columns now; not held while the workbook is saved
    if ctx.dry_run:  # say what would be saved and uploaded; touch neither
        name = rollup_file_name(ctx.inputs.today, prefix)
        out_dir = settings.resolve(settings.output_dir)
        result.planned.append(f"would save workbook: {out_dir / name}")
        result.planned.append(f"would upload it to the hub library {settings.rollups_library!r}")
        return changes
    # Created owner-only like the state database: the workbook names projects and findings.
    out_dir = private_dir(settings.resolve(settings.output_dir))
    path = save_rollup(wb, out_dir, today=ctx.inputs.today, prefix=prefix)
    result.workbook = path
    result.uploaded_to = ctx.ports.file_sink.upload(
        settings.rollups_library, path.name, path.read_bytes()
    )
    note_upload(ctx, settings.rollups_library, result.uploaded_to)
    remember_uploads(ctx)
    now_run = current_snapshot_run(ctx)
    if now_run is not None:
        scores = scorecard(tables, history, ctx.inputs.rules)
        timeline.set_bookmark(ctx.store, bookmark, now_run, ctx.inputs.today, scores)
    log.info("%s: %d change(s) since %s", path.name, len(changes) if changes is not None else 0,
             since)  # fmt: skip
    return changes


def run_rollup(ctx: RunContext) -> None:
    """The daily rollup: trend against the previous rollup, changes since the last council
    report (or, before the first one, since the previous run)."""
    council = timeline.bookmark(ctx.store, timeline.LAST_COUNCIL_REPORT)
    now_run = current_snapshot_run(ctx)
    base: int | None
    if council is not None:
        base = int(council["run_id"])
    else:
        base = ctx.store.latest_snapshot_run(before_run=now_run) if now_run else None
    title = report_title(ROLLUP_TITLE, ctx.result.job, ROLLUP_HOME_JOB)
    if rollup_current(ctx, ctx.result.job):
        # Today's workbook is up: same date, same tables, same findings, no hub write.
        ctx.result.skipped.append(
            "rollup: today's workbook already uploaded, nothing in it changed"
        )
        libraries = {ctx.inputs.settings.rollups_library, dashboard_library(ctx)}
        if all(library_untouched(ctx, lib) for lib in libraries):
            remember_uploads(ctx)  # still as uploaded: the change-log position moves on
        return
    build_and_upload(ctx, bookmark=timeline.LAST_ROLLUP, prefix=title, base_run=base)
    if not ctx.dry_run and ctx.result.uploaded_to:
        remember_rollup(ctx, ctx.result.job)
