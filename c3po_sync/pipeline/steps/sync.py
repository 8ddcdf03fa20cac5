"""Sync: read every mapped source (sites concurrently) and normalize into canonical tables."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from c3po_sync.normalize import SchemaDriftError, check_drift, normalize, required_columns
from c3po_sync.normalize.mapping import SourceMapping
from c3po_sync.pipeline.context import RunContext
from c3po_sync.pipeline.result import SourceOutcome
from c3po_sync.sources.base import SourceBatch

log = logging.getLogger(__name__)


def run_sync(ctx: RunContext) -> None:
    mappings = ctx.inputs.mappings
    result = ctx.result
    # Sites are read concurrently; a site's sources one after another on its one connection.
    by_site: dict[str, list[int]] = {}
    for i, m in enumerate(mappings):
        by_site.setdefault(m.ref.site, []).append(i)
    outcomes: dict[int, tuple[SourceBatch | None, SourceOutcome]] = {}

    def read_site(indexes: list[int]) -> None:
        for i in indexes:
            outcomes[i] = _read_one(ctx, mappings[i])

    workers = ctx.inputs.settings.read.concurrency
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="read") as pool:
        list(pool.map(read_site, by_site.values()))
    batches: list[SourceBatch] = []
    used: list[SourceMapping] = []
    for i, mapping in enumerate(mappings):
        batch, outcome = outcomes[i]
        result.sources.append(outcome)
        result.sites.add(mapping.ref.site)
        if batch is None:
            ctx.source_findings.append(source_finding(mapping, outcome.error or ""))
        else:
            batches.append(batch)
            used.append(mapping)
    tables = normalize(batches, used)
    ctx.tables = tables
    result.tables = {
        "projects": len(tables.projects),
        "documents": len(tables.documents),
        "status_reports": len(tables.status_reports),
        "assets": len(tables.assets),
    }
    result.quarantined = len(tables.quarantine)
    ctx.store.save_snapshot(result.run_id, tables)


def _read_one(ctx: RunContext, mapping: SourceMapping) -> tuple[SourceBatch | None, SourceOutcome]:
    name = str(mapping.ref)
    try:
        source = ctx.ports.source_for(mapping.ref)
        # Sources expand person and lookup columns by their kind; they take plain names.
        columns = list(dict.fromkeys(c.split("/")[0] for c in required_columns(mapping)))
        batch = source.read(columns)
        check_drift(mapping, batch.fields)
    except SchemaDriftError as e:
        log.error("%s", e)
        return None, SourceOutcome(name, error=str(e))
    except Exception as e:  # one source failing must not stop the others
        log.error("reading %s failed: %s: %s", name, type(e).__name__, e)
        return None, SourceOutcome(name, error=f"{type(e).__name__}: {e}")
    return batch, SourceOutcome(name, records=len(batch.records))


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
