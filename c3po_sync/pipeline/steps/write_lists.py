"""Write lists: provision and upsert the consolidated lists on the hub site, and log each write."""

from __future__ import annotations

import logging
from typing import Any

from c3po_sync.pipeline.carry import finding_sources, stale_entities, stale_projects
from c3po_sync.pipeline.context import RunContext
from c3po_sync.pipeline.failures import RUN_FAILURE_TEXT, RunLevelError, classify
from c3po_sync.pipeline.hub_copy import StoredCopy
from c3po_sync.pipeline.quiet import hub_watch, rows_digest
from c3po_sync.pipeline.steps.dashboard import dashboard_link
from c3po_sync.sinks.base import ListSpec, PartialWriteError, WriteReport
from c3po_sync.sinks.hub_lists import (
    ASSET_GONE,
    ASSET_INVENTORY,
    FINDING_GONE,
    FINDINGS_LIST,
    KNOWLEDGE,
    KNOWLEDGE_GONE,
    PORTFOLIO,
    PORTFOLIO_GONE,
    as_of,
    asset_rows,
    findings_rows,
    knowledge_rows,
    portfolio_rows,
)

logger = logging.getLogger(__name__)


def plan_hub_writes(ctx: RunContext) -> list[tuple[ListSpec, list[dict[str, Any]], dict[str, Any]]]:
    """(list, rows, what marks a row gone) for the four consolidated lists, in write order."""
    tables = ctx.current_tables()
    history = ctx.findings_history()
    open_findings = history[history["status"] != "resolved"] if len(history) else history
    rules = ctx.inputs.rules
    tz, today = ctx.tz, ctx.inputs.today
    # Rows resting on a source not re-read this run are kept and marked, never marked gone.
    stale = ctx.stale_sources()
    projects = stale_projects(tables, stale)
    by_finding = finding_sources(history, tables, stale) if len(history) else {}
    assets = stale_entities(tables, stale)
    plan = [
        (
            PORTFOLIO,
            portfolio_rows(tables, open_findings, tz, projects, dashboard_link(ctx)),
            PORTFOLIO_GONE,
        ),
        (FINDINGS_LIST, findings_rows(history, tz, by_finding), FINDING_GONE),
        (KNOWLEDGE, knowledge_rows(tables, rules, tz, projects), KNOWLEDGE_GONE),
        (ASSET_INVENTORY, asset_rows(tables, rules, today, tz, assets), ASSET_GONE),
    ]
    # the sink fits each row to SharePoint's limits (sinks/limits.py)
    return [(as_of(spec, today), rows, gone) for spec, rows, gone in plan]


def hub_unreachable(exc: Exception, what: str) -> RunLevelError | None:
    """The hub did not answer (down, token refused): a run-level failure, not a data problem."""
    if isinstance(exc, PartialWriteError) or classify(exc) == "data":
        return None
    return RunLevelError("hub-unreachable", f"{RUN_FAILURE_TEXT['hub-unreachable']} ({what}: "
                         f"{type(exc).__name__}: {exc})")  # fmt: skip


def run_write_lists(ctx: RunContext) -> None:
    sink = ctx.ports.list_sink
    watch = hub_watch(ctx)  # the hub's change log: who touched the lists since we wrote
    if ctx.quiet_sources and not ctx.evaluated and watch.nothing_edited():
        # The rows are a function of the stored tables, findings, rules and day: all unchanged.
        ctx.result.skipped.append("hub lists: nothing changed, nobody edited them")
        kept = watch.keep()
        ctx.result.writes.extend(kept)
        ctx.store.record_writes(ctx.result.run_id, kept)
        return
    known_types = getattr(sink, "entity_types", None)  # the SharePoint sink's, by list title
    if isinstance(known_types, dict):
        known_types.update(watch.types)
    for spec, rows, gone in plan_hub_writes(ctx):
        if watch.unchanged(spec.title, rows_digest(rows, gone), len(rows)):
            report = WriteReport(spec.title, unchanged=len(rows), dry_run=ctx.dry_run)
            ctx.result.writes.append(report)
            ctx.store.record_writes(ctx.result.run_id, [report])
            logger.info("%s: rows as last written and not edited since; not re-read", spec.title)
            continue
        ctx.before_hub_write()  # once per run: a missing right stops it before any write
        try:
            if not watch.provisioned(spec):  # schema untouched since: nothing to provision
                made = sink.ensure_list(spec, dry_run=ctx.dry_run)
                watch.ensured(spec, changed=bool(made))
        except Exception as exc:
            run_level = hub_unreachable(exc, spec.title)
            if run_level is not None:
                raise run_level from exc
            raise
        try:
            # The rows last written, offered when the hub's change log vouches for them; the
            # weekly reconcile job reads the lists back as it reads the sources in full.
            trusted = watch.vouches(spec.title) and not ctx.inputs.job.reconcile
            copy = StoredCopy(ctx, spec.title, trusted=trusted)
            report = sink.upsert(spec, rows, mark_missing=gone, dry_run=ctx.dry_run, ledger=copy)
        except Exception as exc:
            if isinstance(exc, PartialWriteError):  # what was done before failing
                ctx.result.writes.append(exc.report)
                ctx.store.record_writes(ctx.result.run_id, [exc.report])
            run_level = hub_unreachable(exc, spec.title)
            if run_level is not None:
                raise run_level from exc
            raise
        ctx.result.writes.append(report)
        ctx.store.record_writes(ctx.result.run_id, [report])
        watch.wrote(report)
        logger.info("run %s: %s", ctx.result.run_id, report.describe())
    if isinstance(known_types, dict):
        watch.types = {str(k): str(v) for k, v in known_types.items()}
    watch.settle()
