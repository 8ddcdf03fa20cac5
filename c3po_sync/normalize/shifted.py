"""Rows whose values sit one column over: reported once as "columns appear shifted".

A list filled from a CSV or an Excel paste with one stray delimiter holds rows whose every value
sits in its neighbour's column: a date in Budget, an amount in Phase, a name in the key. Read
cell by cell, such a row is a junk project plus a handful of unrelated errors (and often a
duplicate key). When several values of a row fail their own column but read cleanly in the
same neighbouring column, the row is reported once, as shifted, and not used.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from c3po_sync.normalize.safety import convert
from c3po_sync.normalize.transforms import Transform

# Transforms that accept almost anything cannot witness a shift.
PERMISSIVE = frozenset({"text", "multi", "url", "taxonomy", "lookup", "person_name"})
MIN_MISFITS = 3
MIN_WITNESSES = 2


@dataclass(frozen=True)
class Slot:
    """One mapped field in the source's column order."""

    name: str
    column: str
    transform: str
    fn: Transform


def order_slots(slots: list[Slot], column_order: list[str]) -> list[Slot]:
    """The mapped fields in the list's own column order (mapping order for unknown columns)."""
    pos = {c: i for i, c in enumerate(column_order)}
    seen: dict[str, Slot] = {}
    for s in slots:
        seen.setdefault(s.column, s)  # one slot per source column (ppm and ppm_name share one)
    indexed = list(enumerate(seen.values()))
    indexed.sort(key=lambda p: pos.get(p[1].column, len(pos) + p[0]))
    return [s for _, s in indexed]


def _fits(slot: Slot, raw: Any) -> bool:
    if slot.transform in PERMISSIVE:
        return False
    value, err = convert(slot.fn, raw)
    return err is None and value is not None


def shift_evidence(ordered: list[Slot], values: dict[str, Any], misfits: set[str]) -> str | None:
    """A one-line description of the shift when the row's misfits suggest one, else None.

    ``misfits`` are the columns whose value failed (or was unknown) in their own column.
    """
    if len(misfits) < MIN_MISFITS:
        return None
    for step in (1, -1):
        witnesses = []
        for i, slot in enumerate(ordered):
            j = i + step
            if slot.column not in misfits or not 0 <= j < len(ordered):
                continue
            raw = values.get(slot.column)
            if raw is not None and _fits(ordered[j], raw):
                witnesses.append(f"{slot.column}={raw!r} reads as {ordered[j].name}")
        if len(witnesses) >= MIN_WITNESSES:
            side = "right" if step == 1 else "left"
            return (
                f"columns appear shifted ({len(misfits)} values do not fit their columns; "
                f"they read as the column to the {side}: {'; '.join(witnesses[:3])}); row not used"
            )
    return None
