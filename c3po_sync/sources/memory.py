"""The read port held in memory: rows given by a test, read the way the SharePoint sources
read them, so pipeline logic can be tested in milliseconds without a server.

tests/live/test_port_contract.py holds this adapter and the SharePoint ones to one contract.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from c3po_sync.sources.base import FieldInfo, RawRecord, SourceBatch, SourceRef


@dataclass
class InMemorySource:
    """One list or library: its columns and its items (item id -> values by internal name)."""

    ref: SourceRef
    fields: list[FieldInfo]
    items: dict[int, dict[str, Any]] = field(default_factory=dict)
    time_zone: str = "UTC"

    @classmethod
    def of(
        cls,
        ref: SourceRef,
        columns: dict[str, str],
        rows: Iterable[dict[str, Any]],
        *,
        time_zone: str = "UTC",
    ) -> InMemorySource:
        """A source with ``columns`` (internal name -> kind) holding ``rows``, ids from 1."""
        fields = [FieldInfo(name, name, kind) for name, kind in columns.items()]
        return cls(ref, fields, dict(enumerate((dict(r) for r in rows), 1)), time_zone)

    def read(self, columns: list[str]) -> SourceBatch:
        """Every item with the requested columns; like SharePoint's, a column the list lacks
        is skipped (drift checking names it: it is missing from ``fields``)."""
        by_name = {f.internal_name: f for f in self.fields}
        by_title = {f.title: f for f in self.fields}
        wanted: list[FieldInfo] = []
        for name in columns:
            found = by_name.get(name) or by_title.get(name)
            if found is not None and found not in wanted:
                wanted.append(found)
        records = [
            RawRecord(item_id, {f.internal_name: values.get(f.internal_name) for f in wanted})
            for item_id, values in sorted(self.items.items())
        ]
        return SourceBatch(self.ref, list(self.fields), records, time_zone=self.time_zone)
