"""Reconciliation: re-read sources in full and report what the incremental reads had missed.

Incremental reads trust the change log. A log that dropped changes (a token past its
retention, a restore from the recycle bin the log does not show, a bug) leaves the cache
silently stale. The weekly ``reconcile`` job brings every source up to date incrementally as
usual, then reads it in full and compares: items the cache lacked, items it still had though
they are gone, and items whose values differed. The full read then replaces the cache.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from c3po_sync.sources.base import SourceBatch
from c3po_sync.sources.incremental import (
    IncrementalSource,
    SiteSyncResult,
    SourceCache,
    StoredRecords,
    source_key,
)

logger = logging.getLogger(__name__)


@dataclass
class SourceDifference:
    """What one source's incremental state got wrong, by item id."""

    source: str
    missing: list[int] = field(default_factory=list)  # in SharePoint, not in the cache
    extra: list[int] = field(default_factory=list)  # in the cache, gone from SharePoint
    stale: list[int] = field(default_factory=list)  # in both, with other values in the cache

    @property
    def count(self) -> int:
        return len(self.missing) + len(self.extra) + len(self.stale)

    def describe(self, examples: int = 5) -> str:
        def part(label: str, ids: list[int]) -> str:
            shown = ", ".join(str(i) for i in ids[:examples])
            more = f", +{len(ids) - examples} more" if len(ids) > examples else ""
            return f"{len(ids)} {label}" + (f" (ids {shown}{more})" if ids else "")

        return f"{self.source}: " + "; ".join(
            [
                part("missing", self.missing),
                part("extra", self.extra),
                part("stale", self.stale),
            ]
        )

    def as_dict(self) -> dict[str, Any]:
        return {"missing": self.missing, "extra": self.extra, "stale": self.stale}


def reconcile_site(
    sources: list[tuple[IncrementalSource, list[str]]],
    cache: SourceCache,
    synced: SiteSyncResult,
) -> list[SourceDifference]:
    """Reads each source ``synced`` brought up to date in full; returns every difference.

    ``synced.batches`` are replaced by the full read; a source whose full read fails keeps its
    incremental batch and has the error in ``synced.errors``.
    """
    differences: list[SourceDifference] = []
    for source, columns in sources:
        key = source_key(source.ref)
        if key in synced.errors or key not in synced.batches:
            continue
        before = {r.item_id: r.values for r in cache.records(key)}
        try:
            schema = source.fetch_schema()
            cache.begin_full(key, columns, schema)
            for page in source.iter_full(columns, schema, None):
                cache.save_page(key, page)
        except Exception as exc:  # one source failing must not stop the others
            synced.errors[key] = exc
            continue
        after = {r.item_id: r.values for r in cache.records(key)}
        diff = SourceDifference(
            str(source.ref),
            missing=sorted(set(after) - set(before)),
            extra=sorted(set(before) - set(after)),
            stale=sorted(i for i in set(before) & set(after) if before[i] != after[i]),
        )
        del before, after  # one source's two reads at a time
        if diff.count:
            logger.warning("reconcile: the incremental reads had missed %s", diff.describe())
        differences.append(diff)
        old = synced.batches[key]
        synced.batches[key] = SourceBatch(
            ref=old.ref,
            fields=schema.field_infos(),
            records=StoredRecords(cache, key),
            time_zone=schema.time_zone,
            incremental=False,
        )
        synced.full_reads.append(key)
    return differences
