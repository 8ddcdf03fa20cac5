"""The stored copy of a hub list, as the list writer sees it (``sinks/ledger.RowLedger``).

The rows live in the state store (``state/hub_rows.py``); whether the copy is whole, and the
zone, entity type and columns it was written under, in one checkpoint. The copy is offered to
the writer only when the hub's change log, read this run, vouches that nobody but this product
wrote to the list since its last write (``HubWatch.vouches``); it is whole only between a
write that ended with every outcome known (``finish``) and the start of the next (``begin``),
so a run killed mid-write, or a write that failed part-way, leaves the next run reading the
list.
"""

from __future__ import annotations

from typing import Any

from c3po_sync.pipeline.context import RunContext
from c3po_sync.sinks.ledger import ListCopy, StoredRow

HUB_COPY = "hub:copy"  # checkpoint: list title (casefolded) -> whole?, zone, type, columns


class StoredCopy:
    """One hub list's stored copy for this run; ``trusted``: the change log vouches for it."""

    def __init__(self, ctx: RunContext, title: str, *, trusted: bool) -> None:
        self.ctx = ctx
        self.title = title
        self.key = title.casefold()
        self.trusted = trusted

    def _meta(self) -> dict[str, Any]:
        value = self.ctx.store.get_checkpoint(HUB_COPY)
        return value if isinstance(value, dict) else {}

    def _set(self, entry: dict[str, Any]) -> None:
        self.ctx.store.set_checkpoint(HUB_COPY, {**self._meta(), self.key: entry})

    def known(self) -> ListCopy | None:
        entry = self._meta().get(self.key)
        if not self.trusted or not isinstance(entry, dict) or not entry.get("whole"):
            return None
        return ListCopy(
            rows=self.ctx.store.hub_rows(self.title),
            time_zone=entry.get("time_zone"),
            entity_type=entry.get("entity_type"),
            columns=entry.get("columns"),
        )

    def begin(self) -> None:
        self._set({"whole": False})

    def save(self, rows: dict[str, StoredRow], gone: set[str] | None = None) -> None:
        self.ctx.store.save_hub_rows(self.title, rows, gone or ())

    def replace(self, rows: dict[str, StoredRow]) -> None:
        self.ctx.store.save_hub_rows(self.title, rows, replace=True)

    def finish(self, copy: ListCopy) -> None:
        self._set(
            {
                "whole": True,
                "time_zone": copy.time_zone,
                "entity_type": copy.entity_type,
                "columns": copy.columns,
            }
        )
