"""The stored copy of a hub list, as the list writer sees it (``sinks/ledger.RowLedger``).

The rows live in the state store (``state/hub_rows.py``); whether the copy is whole, and the
zone, entity type and columns it was written under, in one checkpoint. The copy is offered to
the writer only when the hub's change log, read this run, vouches that nobody but this product
wrote to the list since its last write (``HubWatch.vouches``); it is whole only between a
write that ended with every outcome known (``finish``) and the start of the next (``begin``),
so a run killed mid-write, or a write that failed part-way, leaves the next run reading the
list.

A whole copy also says what its rows were planned from (``pipeline/hub_plan.py``): the list's
basis (stored tables, inputs, day), and per row its own inputs and horizon, recorded at
``finish`` for every row of the plan. A row not in the plan has none recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from c3po_sync.pipeline.context import RunContext
from c3po_sync.sinks.ledger import ListCopy, StoredRow
from c3po_sync.state.hub_rows import Tokens

HUB_COPY = "hub:copy"  # checkpoint: list title (casefolded) -> whole?, zone, type, columns


class StoredCopy:
    """One hub list's stored copy for this run; ``trusted``: the change log vouches for it.

    ``tokens``: what each row of this run's plan rests on (key -> inputs, horizon), recorded
    with the rows; ``basis``: what the whole plan rests on (None: nothing to vouch for, e.g.
    a stale source); ``planned``: ``tokens`` names every row of the list's plan (a full plan,
    not only the rows a new day can change); ``stored``: the tokens the store holds for the
    list, when the caller has just read them (kept up to date by ``save``, so ``finish`` does
    not read them again).
    """

    def __init__(
        self,
        ctx: RunContext,
        title: str,
        *,
        trusted: bool,
        tokens: dict[str, Tokens] | None = None,
        basis: str | None = None,
        planned: bool = True,
        stored: dict[str, Tokens] | None = None,
    ) -> None:
        self.ctx = ctx
        self.title = title
        self.key = title.casefold()
        self.trusted = trusted
        self.tokens = tokens or {}
        self.basis = basis
        self.planned = planned
        self.stored = stored

    def _meta(self) -> dict[str, Any]:
        value = self.ctx.store.get_checkpoint(HUB_COPY)
        return value if isinstance(value, dict) else {}

    def entry(self) -> dict[str, Any]:
        """What the checkpoint says of this list's copy ({} when nothing)."""
        entry = self._meta().get(self.key)
        return entry if isinstance(entry, dict) else {}

    def _set(self, entry: dict[str, Any]) -> None:
        self.ctx.store.set_checkpoint(HUB_COPY, {**self._meta(), self.key: entry})

    def known(self, keys: list[str] | None = None) -> ListCopy | None:
        """The copy (only the rows ``keys`` names, when given) if whole and vouched for."""
        entry = self.entry()
        if not self.trusted or not entry.get("whole"):
            return None
        return ListCopy(
            rows=self.ctx.store.hub_rows(self.title, keys),
            time_zone=entry.get("time_zone"),
            entity_type=entry.get("entity_type"),
            columns=entry.get("columns"),
        )

    def columns(self, keys: list[str]) -> dict[str, dict[str, str]]:
        return self.ctx.store.hub_row_columns(self.title, keys)

    def begin(self) -> None:
        self._set({"whole": False})

    def _tokens_of(self, rows: Mapping[str, StoredRow]) -> dict[str, Tokens]:
        return {k: self.tokens[k] for k in rows if k in self.tokens}

    def save(self, rows: Mapping[str, StoredRow], gone: set[str] | None = None) -> None:
        tokens = self._tokens_of(rows)
        self.ctx.store.save_hub_rows(self.title, rows, gone or (), tokens=tokens)
        if self.stored is not None:  # as save_hub_rows left them
            self.stored.update({k: tokens.get(k, (None, None)) for k in rows})
            for key in gone or ():
                self.stored.pop(key, None)

    def replace(self, rows: Mapping[str, StoredRow]) -> None:
        self.ctx.store.save_hub_rows(self.title, rows, replace=True, tokens=self._tokens_of(rows))
        self.stored = None  # finish reads them

    def restamp(self) -> None:
        """The list holds this plan's rows, as written before and vouched for since: a whole
        copy records what they rest on now (nothing when the copy is in doubt)."""
        entry = self.entry()
        if entry.get("whole"):
            self.finish(ListCopy(time_zone=entry.get("time_zone"),
                                 entity_type=entry.get("entity_type"),
                                 columns=entry.get("columns")))  # fmt: skip

    def finish(self, copy: ListCopy) -> None:
        """The copy is whole: every row of the plan records what it was planned from (a row
        kept as it was may have new inputs or a new horizon), every other row none."""
        stored = (
            self.stored if self.stored is not None else self.ctx.store.hub_row_tokens(self.title)
        )
        moved = {k: t for k, t in self.tokens.items() if k in stored and stored[k] != t}
        if self.planned:
            moved |= {k: (None, None) for k, t in stored.items()
                      if k not in self.tokens and t != (None, None)}  # fmt: skip
        if moved:
            self.ctx.store.set_hub_row_tokens(self.title, moved)
            if self.stored is not None:
                self.stored.update(moved)
        self._set(
            {
                "whole": True,
                "time_zone": copy.time_zone,
                "entity_type": copy.entity_type,
                "columns": copy.columns,
                "basis": self.basis,
                "day": self.ctx.inputs.today.isoformat(),
            }
        )
