"""Whether a changed night may normalize only its changed items (issue 16, ``normalize.splice``).

The stored tables of the newest snapshot are this run's tables, up to the changes this run's
change logs named, only when all of this holds, each read or checked this run:

- the checkpoint below was written right after that snapshot was saved, by a sync that read
  every source (no stale source) with the same mappings, rules, settings and product version;
- each site's change log was read this run from the very token the snapshot was built at: the
  raw cache then holds what the snapshot was built from plus exactly this run's changes. (A
  run that changed the cache and died before its snapshot has moved the token; a site that
  failed has not, and then replays its changes: either way nothing is missed.)
- the source's schema as read (its fields and time zone) is the one the snapshot was built
  with, and its batch says which items it re-read (no full or resumed read);
- no source failed this run, and the job is not a reconcile (which rebuilds the cache).

Anything else, or anything unknown, is the full normalize. The checkpoint is dropped before
any run that cannot vouch for its own tables saves them.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from c3po_sync.normalize.splice import Basis
from c3po_sync.pipeline.carry import load_stale
from c3po_sync.pipeline.context import RunContext
from c3po_sync.pipeline.quiet import inputs_fingerprint
from c3po_sync.sources.base import SourceBatch
from c3po_sync.state.raw_cache import RawCache
from c3po_sync.state.store import RunNotFoundError

log = logging.getLogger(__name__)

BASIS = "normalize:basis"  # checkpoint: the snapshot, its inputs, site tokens, source schemas
SPLICED_TABLES = ("projects", "documents", "status_reports", "assets", "quarantine")


def schema_digest(batch: SourceBatch) -> str:
    """What a source's rows were normalized with besides its mapping: its fields (the shift
    test's column order, drift) and its time zone (dates)."""
    fields = [(f.internal_name, f.title, f.kind) for f in batch.fields]
    text = json.dumps([fields, batch.time_zone], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _source(batch: SourceBatch) -> str:
    return f"{batch.ref.site}\x1f{batch.ref.list_title}"


def _vouched(ctx: RunContext, started: dict[str, str | None]) -> dict[str, Any] | None:
    """The checkpoint, when it describes the newest snapshot and this run's starting tokens."""
    inputs = ctx.inputs
    if inputs.job.reconcile or inputs.adopt_history:
        return None
    state = ctx.store.get_checkpoint(BASIS)
    if not isinstance(state, dict) or state.get("inputs") != inputs_fingerprint(inputs):
        return None
    if state.get("run") != ctx.store.latest_snapshot_run(before_run=ctx.result.run_id):
        return None
    if load_stale(ctx.store):
        return None
    tokens = state.get("tokens") or {}
    for site, token in started.items():
        if token is None or tokens.get(site.lower()) != token:
            return None
    return state


def basis_for(
    ctx: RunContext, batches: list[SourceBatch], started: dict[str, str | None], failed: bool
) -> Basis | None:
    """The stored tables and the sources they may be spliced for, or None: normalize in full."""
    if failed:
        return None
    state = _vouched(ctx, started)
    if state is None:
        return None
    schemas = state.get("schemas") or {}
    sources = {
        (b.ref.site, b.ref.list_title)
        for b in batches
        if b.changed_ids is not None and schemas.get(_source(b)) == schema_digest(b)
    }
    if not sources:
        return None
    try:
        tables = ctx.store.load_snapshot(int(state["run"]), tables=SPLICED_TABLES)
    except RunNotFoundError:
        return None
    return Basis(tables=tables, sources=sources)


def forget(ctx: RunContext) -> None:
    """Before tables that cannot serve as a basis are saved (a source failed, or unknown)."""
    ctx.store.clear_checkpoint(BASIS)


def _tokens(ctx: RunContext, sites: set[str]) -> dict[str, str] | None:
    """Each site's change token as the raw cache now holds it (None: a site has none)."""
    cache = RawCache(ctx.store)
    tokens = {site.lower(): cache.site_token(site) for site in sites}
    return None if None in tokens.values() else {k: str(v) for k, v in tokens.items()}


def remember(ctx: RunContext, run_id: int, batches: list[SourceBatch], sites: set[str]) -> None:
    """After this run's tables were saved as ``run_id``, built from every source's records as
    the raw cache now holds them: the tokens the sites' change logs now start from."""
    tokens = _tokens(ctx, sites)
    if tokens is None:
        forget(ctx)
        return
    ctx.store.set_checkpoint(
        BASIS,
        {
            "run": run_id,
            "inputs": inputs_fingerprint(ctx.inputs),
            "tokens": tokens,
            "schemas": {_source(b): schema_digest(b) for b in batches},
        },
    )


def carry_forward(ctx: RunContext, started: dict[str, str | None], sites: set[str]) -> None:
    """A quiet night (no source changed, no new snapshot): the stored tables are still the
    cache's, now at the tokens this run moved to."""
    state = _vouched(ctx, started)
    if state is None:
        return
    tokens = _tokens(ctx, sites)
    if tokens is not None:
        ctx.store.set_checkpoint(BASIS, {**state, "tokens": tokens})
