"""The stored copy of each hub list: per row its key, item id, ETag and value digests.

Written by the list writer as SharePoint confirms each write (``sinks/ledger.py``), read back
instead of the list itself on a night the hub's change log shows nobody else touched it.
The copy grows with the lists, not with nights: a row is replaced, never appended.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, Integer, String, Table, Text, delete, select

from c3po_sync.sinks.ledger import StoredRow
from c3po_sync.state.changelog import chunks
from c3po_sync.state.tables import UTCDateTime, metadata

hub_rows = Table(
    "hub_rows",
    metadata,
    Column("list_title", String(255), primary_key=True),
    Column("item_key", String(500), primary_key=True),
    Column("item_id", Integer, nullable=False),
    Column("etag", String(100)),
    Column("digests", Text, nullable=False),  # JSON: owned column -> digest of the value
    Column("updated_at", UTCDateTime, nullable=False),
)


class HubRowsMixin:
    """``StateStore`` methods for the hub lists' stored copy (uses ``_write``/``_read``)."""

    def hub_rows(self, list_title: str) -> dict[str, StoredRow]:
        """Business key -> the row as last written to ``list_title``."""
        with self._read() as conn:  # type: ignore[attr-defined]
            rows = conn.execute(
                select(hub_rows.c.item_key, hub_rows.c.item_id, hub_rows.c.etag,
                       hub_rows.c.digests).where(hub_rows.c.list_title == list_title)
            )  # fmt: skip
            return {
                str(key): StoredRow(int(item_id), etag, json.loads(columns))
                for key, item_id, etag, columns in rows
            }

    def save_hub_rows(
        self,
        list_title: str,
        rows: dict[str, StoredRow],
        gone: Iterable[str] = (),
        *,
        replace: bool = False,
    ) -> None:
        """Upserts ``rows`` and drops ``gone`` (every other row too with ``replace``), in one
        transaction: a run killed meanwhile leaves the copy as it was."""
        now = datetime.now(UTC)
        mine = hub_rows.c.list_title == list_title
        with self._write() as conn:  # type: ignore[attr-defined]
            if replace:
                conn.execute(delete(hub_rows).where(mine))
            else:
                for chunk in chunks([*rows, *gone]):
                    conn.execute(delete(hub_rows).where(mine, hub_rows.c.item_key.in_(chunk)))
            for keys in chunks(list(rows)):  # a first run's tens of thousands, a chunk at a time
                values: list[dict[str, Any]] = [
                    {
                        "list_title": list_title,
                        "item_key": key,
                        "item_id": rows[key].item_id,
                        "etag": rows[key].etag,
                        "digests": json.dumps(
                            rows[key].columns, sort_keys=True, separators=(",", ":")
                        ),
                        "updated_at": now,
                    }
                    for key in keys
                ]
                conn.execute(hub_rows.insert(), values)
