"""The stored copy of each hub list: per row its key, item id, ETag and value digests.

Written by the list writer as SharePoint confirms each write (``sinks/ledger.py``), read back
instead of the list itself on a night the hub's change log shows nobody else touched it.
The copy grows with the lists, not with nights: a row is replaced, never appended.

Beside the per-column digests each row keeps one digest of all its values (``row_digest``):
a night reads the ids, ETags and row digests of a list, and the column digests (JSON) only of
the rows whose digest differs, so a list of 20,000 rows is not held twice over in memory. And
what the row was planned from (``inputs``, ``horizon``: ``pipeline/hub_plan.py``), so a new
day rebuilds only the rows that can differ.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, Integer, String, Table, Text, and_, delete, select, update
from sqlalchemy.sql.expression import bindparam

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
    Column("row_digest", String(32)),  # of all owned values; None: compare column by column
    Column("inputs", String(64)),  # what the values rest on beyond the list's basis
    Column("horizon", String(10)),  # ISO day the values can next change with the date
)

# (inputs, horizon) of a row as planned: pipeline/hub_plan.py
Tokens = tuple[str | None, str | None]


class HubRowsMixin:
    """``StateStore`` methods for the hub lists' stored copy (uses ``_write``/``_read``)."""

    def hub_rows(self, list_title: str, keys: Iterable[str] | None = None) -> dict[str, StoredRow]:
        """Business key -> the row as last written to ``list_title`` (only ``keys`` if given):
        id, ETag and row digest; the column digests are read by :meth:`hub_row_columns`."""
        c = hub_rows.c
        query = select(c.item_key, c.item_id, c.etag, c.row_digest).where(
            c.list_title == list_title
        )
        with self._read() as conn:  # type: ignore[attr-defined]
            if keys is None:
                found = conn.execute(query).all()
            else:
                found = []
                for chunk in chunks(list(keys)):
                    found += conn.execute(query.where(c.item_key.in_(chunk))).all()
            return {
                str(key): StoredRow(int(item_id), etag, None, digest)
                for key, item_id, etag, digest in found
            }

    def hub_row_columns(self, list_title: str, keys: Iterable[str]) -> dict[str, dict[str, str]]:
        """Business key -> column digests, for the ``keys`` stored (the rows that differ)."""
        c = hub_rows.c
        out: dict[str, dict[str, str]] = {}
        with self._read() as conn:  # type: ignore[attr-defined]
            for chunk in chunks(list(keys)):
                found = conn.execute(
                    select(c.item_key, c.digests).where(
                        c.list_title == list_title, c.item_key.in_(chunk)
                    )
                )
                out.update({str(k): json.loads(d) for k, d in found})
        return out

    def hub_row_tokens(self, list_title: str) -> dict[str, Tokens]:
        """Business key -> (inputs, horizon) the stored row was planned with."""
        c = hub_rows.c
        with self._read() as conn:  # type: ignore[attr-defined]
            found = conn.execute(
                select(c.item_key, c.inputs, c.horizon).where(c.list_title == list_title)
            )
            return {str(k): (i, h) for k, i, h in found}

    def set_hub_row_tokens(self, list_title: str, tokens: dict[str, Tokens]) -> None:
        """Records what the stored rows ``tokens`` names were planned with (rows kept as they
        were, their plan's inputs or horizon moved on)."""
        c = hub_rows.c
        stmt = (
            update(hub_rows)
            .where(and_(c.list_title == list_title, c.item_key == bindparam("k")))
            .values(inputs=bindparam("i"), horizon=bindparam("h"))
        )
        with self._write() as conn:  # type: ignore[attr-defined]
            for keys in chunks(list(tokens)):
                conn.execute(stmt, [{"k": k, "i": tokens[k][0], "h": tokens[k][1]} for k in keys])

    def save_hub_rows(
        self,
        list_title: str,
        rows: Mapping[str, StoredRow],
        gone: Iterable[str] = (),
        *,
        replace: bool = False,
        tokens: dict[str, Tokens] | None = None,
    ) -> None:
        """Upserts ``rows`` and drops ``gone`` (every other row too with ``replace``), in one
        transaction: a run killed meanwhile leaves the copy as it was. Each row is read from
        ``rows`` once, as its chunk is inserted (``m365/list_copy.CopyRows`` makes it then).
        ``tokens``: what each row was planned with (none recorded for a row it does not name).
        """
        now = datetime.now(UTC)
        mine = hub_rows.c.list_title == list_title
        tokens = tokens or {}
        with self._write() as conn:  # type: ignore[attr-defined]
            if replace:
                conn.execute(delete(hub_rows).where(mine))
            else:
                for chunk in chunks([*rows, *gone]):
                    conn.execute(delete(hub_rows).where(mine, hub_rows.c.item_key.in_(chunk)))
            for keys in chunks(list(rows)):  # a first run's tens of thousands, a chunk at a time
                values: list[dict[str, Any]] = []
                for key in keys:
                    row = rows[key]
                    values.append(
                        {
                            "list_title": list_title,
                            "item_key": key,
                            "item_id": row.item_id,
                            "etag": row.etag,
                            "digests": json.dumps(
                                row.columns or {}, sort_keys=True, separators=(",", ":")
                            ),
                            "row_digest": row.digest,
                            "inputs": tokens.get(key, (None, None))[0],
                            "horizon": tokens.get(key, (None, None))[1],
                            "updated_at": now,
                        }
                    )
                conn.execute(hub_rows.insert(), values)
