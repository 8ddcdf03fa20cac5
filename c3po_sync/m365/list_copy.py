"""Digests of the values a list row is planned with: what the stored copy of a hub list keeps
(``sinks/ledger.py``) and a night's plan is compared with, column by column.

A digest is taken of the row as planned, before it is put in SharePoint's terms: person columns
as the e-mail (not the site user id), date-only columns as the calendar date (not the instant
of the hub's midnight). So an unchanged row needs neither the hub's users nor its time zone to
be found unchanged; only the rows that are written do. Values are canonical as the full diff
compares them (``odata.comparable``): an empty text and None are the same.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from typing import Any

from c3po_sync.m365.odata import comparable
from c3po_sync.sinks.base import ColumnSpec
from c3po_sync.sinks.ledger import StoredRow

DIGEST_CHARS = 16  # 64 bits per value: a collision in one column of one row is not a concern


def _canonical(column: ColumnSpec, value: Any) -> Any:
    if value is None or value == "":
        return None
    if column.kind == "User":
        return str(value).strip().lower()
    if column.date_only and isinstance(value, date | datetime):
        return value.isoformat()
    return comparable(column.kind, value)


def value_digest(column: ColumnSpec, value: Any) -> str:
    text = json.dumps(_canonical(column, value), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:DIGEST_CHARS]


def row_digests(owned: dict[str, ColumnSpec], row: dict[str, Any]) -> dict[str, str]:
    """Owned column -> digest, for the owned columns ``row`` names (others are never written)."""
    return {n: value_digest(owned[n], v) for n, v in row.items() if n in owned}


def row_digest(owned: dict[str, ColumnSpec], row: dict[str, Any]) -> str:
    """One digest of all the owned values ``row`` names: equal exactly when every column's
    :func:`value_digest` is (same canonical values), so a row is compared by one string and
    its column digests are needed only when it differs."""
    values = sorted((n, _canonical(owned[n], v)) for n, v in row.items() if n in owned)
    text = json.dumps(values, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def differing(stored: dict[str, str], wanted: dict[str, str]) -> list[str]:
    """The columns of ``wanted`` whose digest is not the stored one (or none is stored)."""
    return sorted(n for n, h in wanted.items() if stored.get(n) != h)


def columns_signature(owned: dict[str, ColumnSpec]) -> str:
    """The owned columns a copy's digests were made for: another set is another copy."""
    text = repr(sorted((c.internal_name, c.kind, c.date_only) for c in owned.values()))
    return hashlib.sha256(text.encode()).hexdigest()


class CopyRows(Mapping[str, StoredRow]):
    """Rows for the stored copy whose column digests are taken only as each row is read.

    The state store inserts the copy a chunk at a time (``state/hub_rows.save_hub_rows``), so
    the column digests of a first run's 20,000 rows (25 strings each, ~50 MB at 4x city size)
    are never all held; a row waiting here holds its id, ETag and the planned row it came from.
    """

    def __init__(self, owned: dict[str, ColumnSpec]) -> None:
        self.owned = owned
        self._rows: dict[str, StoredRow | tuple[int, str | None, dict[str, Any], str]] = {}

    def planned(self, key: str, item_id: int, etag: str | None, row: dict[str, Any],
                digest: str) -> None:  # fmt: skip
        """``key`` holds ``row`` as planned (its column digests taken when read)."""
        self._rows[key] = (item_id, etag, row, digest)

    def put(self, key: str, row: StoredRow) -> None:
        self._rows[key] = row

    def __getitem__(self, key: str) -> StoredRow:
        row = self._rows[key]
        if isinstance(row, StoredRow):
            return row
        item_id, etag, values, digest = row
        return StoredRow(item_id, etag, row_digests(self.owned, values), digest)

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)
