"""Write lists: provision and upsert the consolidated lists on the hub site, and log each write.

One list at a time: its rows are built, written and dropped before the next list's are built.
On a night whose plan rests on what the stored copy was written from (``pipeline/hub_plan.py``)
only the rows that can differ are built and compared; anything else plans the list in full.
The rows found to differ so are queued and sent together (``_Queue``): one ``$batch`` carries
the writes of several lists, and the reads they need (rights, time zone, users) go in one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from c3po_sync.pipeline.context import RunContext
from c3po_sync.pipeline.failures import RUN_FAILURE_TEXT, RunLevelError, classify
from c3po_sync.pipeline.hub_copy import StoredCopy
from c3po_sync.pipeline.hub_plan import HubList, bases, hub_lists
from c3po_sync.pipeline.quiet import HubWatch, hub_watch, rows_digest
from c3po_sync.pipeline.steps.dashboard import dashboard_link
from c3po_sync.sinks.base import ListSpec, PartialWriteError, WriteReport

logger = logging.getLogger(__name__)


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
    link = dashboard_link(ctx)
    basis = bases(ctx, link)
    queue = _Queue(getattr(ctx.ports.list_sink, "batch_size", 100))
    for hub in hub_lists(ctx, link):
        _write_list(ctx, watch, hub, basis(hub.spec), queue)
    _flush(ctx, watch, queue)
    if isinstance(known_types, dict):
        watch.types = {str(k): str(v) for k, v in known_types.items()}
    watch.settle()


def _record(ctx: RunContext, report: WriteReport) -> None:
    ctx.result.writes.append(report)
    ctx.store.record_writes(ctx.result.run_id, [report])


@dataclass
class _Queued:
    hub: HubList
    basis: str
    total: int  # rows the list is planned with
    # the sink's KnownWrite (m365/list_writer.py), or the report of a list found unchanged
    # (recorded in its turn: the lists' reports stay in their order)
    write: Any
    same: bool = False  # no row could have changed: the digest of its rows stands


@dataclass
class _Queue:
    """Lists whose changed rows wait to be sent together; sent once they fill a ``$batch``
    (the rows of a night with many changes are not all held) and before a list planned in
    full, so the lists are written in their order."""

    batch_size: int
    lists: list[_Queued] = field(default_factory=list)

    def full(self) -> bool:
        return sum(q.write.size for q in self.lists if _sends(q)) >= self.batch_size


def _sends(q: _Queued) -> bool:
    return not isinstance(q.write, WriteReport)


def _write_list(
    ctx: RunContext, watch: HubWatch, hub: HubList, plan_basis: str | None, queue: _Queue
) -> None:
    """Plans one list: the rows that can differ when the stored copy vouches for the rest
    (queued), else every row (written now)."""
    if _write_changed(ctx, watch, hub, plan_basis, queue):
        if queue.full():
            _flush(ctx, watch, queue)
        return
    _flush(ctx, watch, queue)
    _write_full(ctx, watch, hub, plan_basis)


def _write_full(ctx: RunContext, watch: HubWatch, hub: HubList, plan_basis: str | None) -> None:
    """Plans and writes every row of one list."""
    spec = hub.spec
    rows = hub.build(None)
    if watch.unchanged(spec.title, rows_digest(rows, hub.gone), len(rows)):
        _record(ctx, WriteReport(spec.title, unchanged=len(rows), dry_run=ctx.dry_run))
        logger.info("%s: rows as last written and not edited since; not re-read", spec.title)
        if plan_basis is not None and watch.vouches(spec.title):  # its copy: these very rows
            StoredCopy(ctx, spec.title, trusted=True, tokens=hub.tokens(rows),
                       basis=plan_basis).restamp()  # fmt: skip
        return
    _ensure(ctx, watch, spec)
    # The rows last written, offered when the hub's change log vouches for them; the
    # weekly reconcile job reads the lists back as it reads the sources in full.
    trusted = watch.vouches(spec.title) and not ctx.inputs.job.reconcile
    copy = StoredCopy(ctx, spec.title, trusted=trusted, tokens=hub.tokens(rows), basis=plan_basis)
    _upsert(ctx, watch, spec, lambda: ctx.ports.list_sink.upsert(
        spec, rows, mark_missing=hub.gone, dry_run=ctx.dry_run, ledger=copy))  # fmt: skip


def _write_changed(
    ctx: RunContext, watch: HubWatch, hub: HubList, plan_basis: str | None, queue: _Queue
) -> bool:
    """Only the rows that can differ, when everything vouches for the others: the plan's basis
    is the one the whole stored copy was written from, the day has not gone back, the hub's
    change log shows nobody else touched the list or its schema. Those that differ from the
    stored copy are queued. False: plan in full."""
    spec, sink = hub.spec, ctx.ports.list_sink
    if (
        plan_basis is None
        or ctx.dry_run
        or ctx.inputs.job.reconcile
        or not hasattr(sink, "plan_changed")
        or not watch.vouches(spec.title)
        or not watch.provisioned(spec)
    ):
        return False
    probe = StoredCopy(ctx, spec.title, trusted=True)
    entry = probe.entry()
    day = ctx.inputs.today.isoformat()
    if not entry.get("whole") or entry.get("basis") != plan_basis or str(entry.get("day")) > day:
        return False
    stored = ctx.store.hub_row_tokens(spec.title)
    keys, total = hub.changeable(stored, ctx.inputs.today)
    if not keys:
        logger.info("%s: no row can have changed since last written; none built", spec.title)
        report = WriteReport(spec.title, unchanged=total, dry_run=False)
        queue.lists.append(_Queued(hub, plan_basis, total, report, same=True))
        return True
    rows = hub.build(keys)
    copy = StoredCopy(ctx, spec.title, trusted=True, tokens=hub.tokens(rows), basis=plan_basis,
                      planned=False, stored=stored)  # fmt: skip
    planned = sink.plan_changed(spec, rows, total=total, ledger=copy)
    if planned is None:
        logger.info("%s: stored copy in doubt; planning every row", spec.title)
        return False
    queue.lists.append(_Queued(hub, plan_basis, total, planned))  # or a report: none differs
    return True


def _wrote(ctx: RunContext, watch: HubWatch, report: WriteReport, total: int) -> None:
    _record(ctx, report)
    watch.wrote(report)
    logger.info("run %s: %s", ctx.result.run_id, report.describe())
    watch.partly(report.list_title, total, same=False)


def _flush(ctx: RunContext, watch: HubWatch, queue: _Queue) -> None:
    """Sends the queued lists' writes together, after the run's rights are asked (once per
    run: a missing right stops it before any write). Each list's outcome is recorded as soon
    as it is settled, before the next list settles (their writes shared the batches, so a run
    killed meanwhile keeps every settled list's writes in the write log); every failure is
    logged and the first raised once all are recorded; then a list whose copy proved in doubt
    (the hub's time zone moved) is planned in full."""
    if not queue.lists:
        return
    queued, queue.lists = queue.lists, []
    sending = [q for q in queued if _sends(q)]
    for q in queued:
        if not _sends(q):
            if q.same:
                watch.partly(q.hub.spec.title, q.total, same=True)
                _record(ctx, q.write)
            else:
                _wrote(ctx, watch, q.write, q.total)
    failed: list[tuple[str, Exception]] = []
    in_doubt: list[_Queued] = []

    def settled(i: int, outcome: bool | Exception | None) -> None:
        q = sending[i]
        title = q.hub.spec.title
        if isinstance(outcome, Exception):
            if isinstance(outcome, PartialWriteError):  # what was done before failing
                _record(ctx, outcome.report)
            logger.error("%s: writes failed: %s", title, outcome)
            failed.append((title, outcome))
        elif outcome:
            _wrote(ctx, watch, q.write.report, q.total)
        else:
            in_doubt.append(q)

    if sending:
        try:
            ctx.ports.list_sink.write_known(  # type: ignore[attr-defined]
                [q.write for q in sending],
                rights=not ctx.rights_asked and ctx.ports.check_rights is not None,
                before_write=ctx.before_hub_write,
                settled=settled,
            )
        except RunLevelError:  # a right missing: said as such (before_hub_write)
            raise
        except Exception as exc:
            run_level = hub_unreachable(exc, ", ".join(q.hub.spec.title for q in sending))
            if run_level is not None:
                raise run_level from exc
            raise
    if failed:
        # The hub out of reach is the run's failure whichever list met it first.
        for title, error in failed:
            run_level = hub_unreachable(error, title)
            if run_level is not None:
                raise run_level from error
        raise failed[0][1]
    for q in in_doubt:  # once every write sent is recorded
        logger.info("%s: stored copy in doubt; planning every row", q.hub.spec.title)
        _write_full(ctx, watch, q.hub, q.basis)


def _ensure(ctx: RunContext, watch: HubWatch, spec: ListSpec) -> None:
    ctx.before_hub_write()  # once per run: a missing right stops it before any write
    try:
        if not watch.provisioned(spec):  # schema untouched since: nothing to provision
            made = ctx.ports.list_sink.ensure_list(spec, dry_run=ctx.dry_run)
            watch.ensured(spec, changed=bool(made))
    except Exception as exc:
        run_level = hub_unreachable(exc, spec.title)
        if run_level is not None:
            raise run_level from exc
        raise


def _upsert(ctx: RunContext, watch: HubWatch, spec: ListSpec, write: Any) -> WriteReport | None:
    """Runs one upsert; records its report (or what was done before it failed)."""
    try:
        report = write()
    except Exception as exc:
        if isinstance(exc, PartialWriteError):  # what was done before failing
            _record(ctx, exc.report)
        run_level = hub_unreachable(exc, spec.title)
        if run_level is not None:
            raise run_level from exc
        raise
    if report is None:
        return None
    _record(ctx, report)
    watch.wrote(report)
    logger.info("run %s: %s", ctx.result.run_id, report.describe())
    return report
