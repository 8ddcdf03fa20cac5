"""Rows whose values sit one column over: reported once as "columns appear shifted".

A list filled from a CSV or an Excel paste with one stray delimiter holds rows whose values sit
in their neighbour's column: a date in Budget, an amount in Status, a name in the key. Read cell
by cell, such a row is a junk project plus a handful of unrelated errors (and often a duplicate
key). When several values of a row fail their own column but look like the same neighbouring
column (one step left or right in the list's own column order), the row is reported once, as
shifted, and not used.

"Look like" is judged two ways, because most neighbours of a mapped column are not mapped: the
neighbour's transform accepts the value (mapped, discriminating neighbours), or the value has
the *shape* (date, number, text) that the neighbour's values have in most rows of the batch.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from c3po_sync.normalize.safety import convert
from c3po_sync.normalize.transforms import Transform

# Transforms that accept almost anything cannot witness a shift.
PERMISSIVE = frozenset({"text", "multi", "url", "taxonomy", "lookup", "person_name"})
MIN_MISFITS = 3
MIN_WITNESSES = 2
MAJORITY = 0.6

_DATE = re.compile(
    r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}(?:[ T][\d:.]+(?:Z|[+-]\d\d:?\d\d)?)?$|^\d{8}$"
)
_NUMBER = re.compile(
    r"^[-+(]?\s*(?:USD|\$)?\s*-?\s*[\d.,]+(?:[eE][+-]?\d+)?\s*"
    r"(?:k|m|mm|mil|million|b|bn|billion|%)?\s*\)?$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Slot:
    """One mapped field: canonical name, source column, transform name and compiled transform."""

    name: str
    column: str
    transform: str
    fn: Transform


def shape(v: Any) -> str | None:
    """A coarse kind of a raw value: date, number, bool, text, object; None when empty."""
    if v is None or (isinstance(v, str) and not v.strip()):
        return None
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int | float):
        return "number"
    if isinstance(v, dict | list | tuple):
        return "object"
    s = str(v).strip()
    if _DATE.match(s):
        return "date"
    if _NUMBER.match(s) and any(c.isdigit() for c in s):
        return "number"
    return "text"


def column_order(field_names: list[str], records: Iterable[dict[str, Any]]) -> list[str]:
    """The list's own column order: its fields as the source reports them, else the records'."""
    if field_names:
        return list(field_names)
    seen: dict[str, None] = {}
    for values in records:
        seen.update(dict.fromkeys(values))
    return list(seen)


def profiles(columns: list[str], records: list[dict[str, Any]]) -> dict[str, str | None]:
    """The shape most of each column's values have (None without a clear majority)."""
    out: dict[str, str | None] = {}
    for col in columns:
        shapes = Counter(s for s in (shape(r.get(col)) for r in records) if s is not None)
        total = sum(shapes.values())
        top = shapes.most_common(1)
        out[col] = top[0][0] if top and total and top[0][1] / total >= MAJORITY else None
    return out


class ShiftDetector:
    """Judges, row by row, whether a row's misfits are explained by a one-column shift."""

    def __init__(
        self,
        slots: list[Slot],
        field_names: list[str],
        records: Sequence[dict[str, Any]] | Callable[[], Sequence[dict[str, Any]]],
    ) -> None:
        """``records``: every record of the batch, or a function that loads them (a batch of
        only the changed items judges them against the whole list's column shapes)."""
        self._records = records
        self.order = column_order(field_names, () if field_names else self._all())
        self.order += [s.column for s in slots if s.column not in self.order]
        self.pos = {c: i for i, c in enumerate(self.order)}
        self.slot = {s.column: s for s in reversed(slots)}  # first slot of a shared column

    def _all(self) -> Sequence[dict[str, Any]]:
        return self._records() if callable(self._records) else self._records

    @cached_property
    def profile(self) -> dict[str, str | None]:
        """Column shapes, computed only once a row has enough misfits to need them."""
        return profiles(self.order, list(self._all()))

    def _looks_like(self, column: str, raw: Any) -> bool:
        slot = self.slot.get(column)
        if slot is not None and slot.transform not in PERMISSIVE:
            value, err = convert(slot.fn, raw)
            if err is None and value is not None:
                return True
        want = self.profile.get(column)
        return want is not None and want != "text" and shape(raw) == want

    def evidence(self, values: dict[str, Any], misfits: set[str]) -> str | None:
        """One line describing the shift when the row's misfits suggest one, else None."""
        if len(misfits) < MIN_MISFITS:
            return None
        for step in (-1, 1):
            witnesses = []
            for column in sorted(misfits, key=lambda c: self.pos.get(c, 0)):
                j = self.pos.get(column, -10) + step
                if not 0 <= j < len(self.order):
                    continue
                raw = values.get(column)
                own = self.profile.get(column)
                if raw is None or (own is not None and shape(raw) == own and own != "text"):
                    continue
                if self._looks_like(self.order[j], raw):
                    witnesses.append(f"{column}={raw!r} looks like {self.order[j]}")
            if len(witnesses) >= MIN_WITNESSES:
                side = "left" if step == -1 else "right"
                return (
                    f"columns appear shifted ({len(misfits)} values do not fit their columns "
                    f"and look like the column to their {side}: {'; '.join(witnesses[:3])}); "
                    "row not used"
                )
        return None
