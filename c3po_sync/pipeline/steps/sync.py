"""Sync: read every mapped source (sites concurrently) and normalize into canonical tables."""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from c3po_sync.normalize import SchemaDriftError, check_drift, normalize, source_columns
from c3po_sync.normalize.mapping import SourceMapping
from c3po_sync.pipeline.carry import carry_over, merge, record_reads, save_stale
from c3po_sync.pipeline.context import RunContext
from c3po_sync.pipeline.failures import RUN_FAILURE_TEXT, RunFailureKind, RunLevelError, classify
from c3po_sync.pipeline.heap import give_back_free_memory, tune_for_frames, tune_for_reading
from c3po_sync.pipeline.quiet import can_skip_normalize, remember_tables, stored_counts
from c3po_sync.pipeline.result import RunResult, SourceOutcome
from c3po_sync.pipeline.splice_basis import basis_for, carry_forward, forget, remember
from c3po_sync.sources.base import Source, SourceBatch, SourceRef
from c3po_sync.sources.incremental import IncrementalSource, source_key, sync_site
from c3po_sync.sources.reconcile import reconcile_site
from c3po_sync.state.raw_cache import RawCache

log = logging.getLogger(__name__)


def run_sync(ctx: RunContext) -> None:
    mappings = ctx.inputs.mappings
    result = ctx.result
    # Sites are read concurrently; a site's sources one after another on its one connection.
    by_site: dict[str, list[int]] = {}
    for i, m in enumerate(mappings):
        by_site.setdefault(m.ref.site, []).append(i)
    outcomes: dict[int, tuple[SourceBatch | None, SourceOutcome]] = {}
    cache = RawCache(ctx.store)
    # Unchanged sources' records stay in the cache unless the run turns out to need them.
    deferred: dict[int, str] = {}
    start_tokens: dict[str, str | None] = {}  # site -> the change token its sync started from
    ctx.defer_unchanged = can_skip_normalize(ctx)
    tune_for_reading()

    def read_site(indexes: list[int]) -> None:
        started = time.monotonic()
        got = _read_site(ctx, cache, [(i, mappings[i]) for i in indexes], deferred, start_tokens)
        outcomes.update(got)
        secs = time.monotonic() - started
        for i in sorted(got):  # progress: one line per source as its site finishes
            o = got[i][1]
            state = f"FAILED ({o.error})" if o.error else f"{o.records} item(s)"
            log.info("read %s: %s [site in %.2fs]", o.source, state, secs)

    requests_before = ctx.ports.request_count()
    workers = ctx.inputs.settings.read.concurrency
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="read") as pool:
        list(pool.map(read_site, by_site.values()))
    log.info(
        "sync: read %d source(s) on %d site(s) with %d request(s)",
        len(mappings),
        len(by_site),
        ctx.ports.request_count() - requests_before,
    )
    batches: list[SourceBatch] = []
    used: list[SourceMapping] = []
    failed: list[tuple[SourceRef, str]] = []
    for i, mapping in enumerate(mappings):
        batch, outcome = outcomes[i]
        result.sources.append(outcome)
        result.sites.add(mapping.ref.site)
        if batch is None:
            failed.append((mapping.ref, outcome.error or "not read"))
            if outcome.kind == "data":  # the list changed under its mapping: a PPM can fix it
                ctx.source_findings.append(source_finding(mapping, outcome.error or ""))
        else:
            batches.append(batch)
            used.append(mapping)
    tune_for_frames()
    check_run_level(result)
    sites = {m.ref.site for m in used}
    if ctx.defer_unchanged and not failed and len(deferred) == len(mappings):
        _quiet_sync(ctx, [m.ref for m in used])
        carry_forward(ctx, start_tokens, sites)
        return
    for i in deferred:  # something changed: normalize reads every source, these included
        batch = outcomes[i][0]
        assert batch is not None
        result.sources[i].records = len(batch.records)
    give_back_free_memory()  # the pages read are gone; normalize starts from what is held
    # What could not be read keeps its last good rows (and says so), never "gone".
    carried, stale = carry_over(ctx.store, result.run_id, failed)
    # A changed night normalizes only the changed items where the stored tables vouch for the
    # rest (pipeline/splice_basis.py); anything unknown is the full normalize.
    basis = basis_for(ctx, batches, start_tokens, bool(failed))
    fresh = normalize(
        batches, used, known_keys=carried.projects["project_key"].dropna(), basis=basis
    )
    if basis is not None:
        log.info("sync: %d source(s) normalized by their changes only", len(basis.spliced))
        del basis
    tables = merge(fresh, carried)
    ctx.tables = tables
    ctx.stale = stale
    result.stale = stale
    result.tables = {
        "projects": len(tables.projects),
        "documents": len(tables.documents),
        "status_reports": len(tables.status_reports),
        "assets": len(tables.assets),
    }
    result.quarantined = len(tables.quarantine)
    forget(ctx)  # until these tables are saved whole, none is a basis for the next run
    ctx.store.save_snapshot(result.run_id, tables, at=ctx.as_of)
    if not failed:
        remember(ctx, result.run_id, batches, sites)
    give_back_free_memory()  # normalize's rows and the snapshot's chunks are gone too
    prune_snapshots(ctx)
    record_reads(ctx.store, [m.ref for m in used], ctx.as_of)
    save_stale(ctx.store, stale)
    if not failed:
        remember_tables(
            ctx,
            {source_key(m.ref): o.records for m, o in zip(mappings, result.sources, strict=True)},
        )


def _quiet_sync(ctx: RunContext, refs: list[SourceRef]) -> None:
    """Every source read, none changed: the stored tables are this run's (pipeline/quiet.py).

    No normalize and no new snapshot; the figures come from the stored tables, and each
    source's last good read is now.
    """
    result = ctx.result
    records, tables, quarantined = stored_counts(ctx)
    for mapping, outcome in zip(ctx.inputs.mappings, result.sources, strict=True):
        outcome.records = records.get(source_key(mapping.ref), 0)
    result.tables = tables
    result.quarantined = quarantined
    ctx.quiet_sources = True
    ctx.stale = []
    result.stale = []
    result.skipped.append("normalize: no source changed since the stored tables were built")
    record_reads(ctx.store, refs, ctx.as_of)
    save_stale(ctx.store, [])
    log.info("sync: nothing changed in %d source(s); normalize skipped", len(refs))


def prune_snapshots(ctx: RunContext) -> None:
    """Old snapshots go as each run saves its own: done here, in the run that holds the job's
    lock, rather than by a job of its own, so no other writer competes and a deployment with
    no scheduler (cron, CI) prunes too. History stays in the change log."""
    keep = ctx.inputs.settings.retention
    cutoff = ctx.as_of - timedelta(days=keep.snapshot_days)
    ctx.store.prune_snapshots_older_than(cutoff, keep_newest=keep.min_snapshots)
    if keep.history_days is not None:
        ctx.store.prune_history_older_than(ctx.as_of - timedelta(days=keep.history_days))


def check_run_level(result: RunResult) -> None:
    """No source at all could be read, and not because of the data: the run fails as a whole.

    A tenant that is down or a token that is refused says nothing about any project, so the
    run records no snapshot and no finding (issue 11) and fails with its own exit code.
    """
    sources = result.sources
    if not sources or any(s.error is None or s.kind == "data" for s in sources):
        return
    kind: RunFailureKind = (
        "auth-refused" if all(s.kind == "auth" for s in sources) else "tenant-unreachable"
    )
    first = sources[0].error or ""
    raise RunLevelError(kind, f"{RUN_FAILURE_TEXT[kind]} ({len(sources)} source(s); {first})")


Outcome = tuple[SourceBatch | None, SourceOutcome]


def _read_site(
    ctx: RunContext,
    cache: RawCache,
    items: list[tuple[int, SourceMapping]],
    deferred: dict[int, str],
    start_tokens: dict[str, str | None],
) -> dict[int, Outcome]:
    """One site's sources: incrementally through the raw cache when the adapters can."""
    out: dict[int, Outcome] = {}
    sources: list[tuple[int, SourceMapping, IncrementalSource]] = []
    for i, mapping in items:
        try:
            source = ctx.ports.source_for(mapping.ref)
        except Exception as e:
            out[i] = _failed(mapping, e)
            continue
        if isinstance(source, IncrementalSource):
            sources.append((i, mapping, source))
        else:
            out[i] = _read_one(source, mapping)
    if not sources:
        return out
    site = sources[0][1].ref.site
    try:
        synced = sync_site(
            site,
            [(s, source_columns(m)) for _, m, s in sources],
            cache,
            max_token_age=timedelta(days=ctx.inputs.settings.read.max_token_age_days),
            defer_unchanged=ctx.defer_unchanged and not ctx.inputs.job.reconcile,
        )
        start_tokens[site] = synced.start_token
        if ctx.inputs.job.reconcile:
            columns = [(s, source_columns(m)) for _, m, s in sources]
            ctx.result.reconciled.extend(reconcile_site(columns, cache, synced))
    except Exception as e:  # the change log itself failed: every source of the site fails
        return out | {i: _failed(m, e) for i, m, _ in sources}
    for i, mapping, _source in sources:
        key = source_key(mapping.ref)
        if key in synced.errors:
            out[i] = _failed(mapping, synced.errors[key])
        else:
            # A deferred source is counted only if the night turns out not to be quiet.
            out[i] = _checked(mapping, synced.batches[key], count=key not in synced.deferred)
            if key in synced.deferred:
                deferred[i] = key
    return out


def _read_one(source: Source, mapping: SourceMapping) -> Outcome:
    try:
        batch = source.read(source_columns(mapping))
    except Exception as e:  # one source failing must not stop the others
        return _failed(mapping, e)
    return _checked(mapping, batch)


def _checked(mapping: SourceMapping, batch: SourceBatch, *, count: bool = True) -> Outcome:
    name = str(mapping.ref)
    try:
        check_drift(mapping, batch.fields)
    except SchemaDriftError as e:
        log.error("%s", e)
        return None, SourceOutcome(name, error=str(e), kind="data")
    return batch, SourceOutcome(name, records=len(batch.records) if count else 0)


def _failed(mapping: SourceMapping, e: Exception) -> Outcome:
    name = str(mapping.ref)
    log.error("reading %s failed: %s: %s", name, type(e).__name__, e)
    return None, SourceOutcome(name, error=f"{type(e).__name__}: {e}", kind=classify(e))


def source_finding(mapping: SourceMapping, error: str) -> dict:
    """A source the run could not read is itself a finding, so an admin sees it beside the rest."""
    ref = mapping.ref
    key = f"{ref.site}/{ref.list_title}"
    return {
        "finding_id": f"DQ-source-unreadable:{key}",
        "rule_id": "DQ-source-unreadable",
        "recommendation": 0,
        "severity": "high",
        "entity_kind": "source",
        "entity_key": key,
        "message": f"{error} Fix the mapping in mappings/ or the list, then re-run.",
    }
