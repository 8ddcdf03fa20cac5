"""The raw-record cache: each source's records, schema, paging checkpoint, and site tokens."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, select

from c3po_sync.sources.base import RawRecord
from c3po_sync.sources.incremental import Page, Schema, SourceState
from c3po_sync.state.raw_tables import raw_records, raw_sources
from c3po_sync.state.store import StateStore

_CHUNK = 500


def _now() -> datetime:
    return datetime.now(UTC)


def _chunks(items: list) -> Iterator[list]:
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


def _dump(record: RawRecord) -> str:
    return json.dumps(asdict(record), default=str, sort_keys=True)


def _load(data: str) -> RawRecord:
    return RawRecord(**json.loads(data))


class RawCache:
    """Implements ``sources.incremental.SourceCache`` on the state store.

    Each page of a full read is saved with its resume position in one transaction, so a run
    killed at any point resumes from the last saved page and never holds half a page.

    A sync asks for each source's state three or four times (plan, decide, bring up to date,
    batch), each a query and a parse of the schema's JSON: 160 reads at city size on a night
    that reads nothing else. The states are read in one query the first time and kept; every
    write of a source's state forgets it first, so a read never returns what the store no
    longer holds.
    """

    def __init__(self, store: StateStore) -> None:
        self.store = store
        self._rows: dict[str, Any] | None = None  # source key -> its raw_sources row
        self._states: dict[str, SourceState | None] = {}
        self._lock = threading.Lock()

    # --- site change tokens (kept in the store's change_tokens table) -------------------------

    def site_token(self, site: str) -> str | None:
        return self.store.get_token(f"site:{site.lower()}")

    def set_site_token(self, site: str, token: str) -> None:
        self.store.set_token(f"site:{site.lower()}", token)

    # --- per-source state ---------------------------------------------------------------------

    def state(self, key: str) -> SourceState | None:
        with self._lock:
            if key in self._states:
                return self._states[key]
            if self._rows is None:
                with self.store._read() as conn:
                    self._rows = {r.source_key: r for r in conn.execute(select(raw_sources))}
            row = self._rows.pop(key, None)
            if row is None:  # never read, or written since: from the store itself
                with self.store._read() as conn:
                    row = conn.execute(
                        select(raw_sources).where(raw_sources.c.source_key == key)
                    ).first()
            if row is None:
                self._states[key] = None
                return None
            schema = json.loads(row.schema)
            state = SourceState(
                columns=json.loads(row.columns),
                schema=Schema(schema["list_id"], schema["fields"], schema["time_zone"]),
                complete=bool(row.complete),
                position=json.loads(row.position) if row.position else None,
            )
            self._states[key] = state
            return state

    def _forget(self, key: str) -> None:
        """Before a write of ``key``'s state: the next read asks the store."""
        with self._lock:
            self._states.pop(key, None)
            if self._rows is not None:
                self._rows.pop(key, None)

    def begin_full(self, key: str, columns: list[str], schema: Schema) -> None:
        """Forgets the source's records and starts a full read from the first page."""
        self._forget(key)
        with self.store._write() as conn:
            conn.execute(delete(raw_records).where(raw_records.c.source_key == key))
            conn.execute(delete(raw_sources).where(raw_sources.c.source_key == key))
            conn.execute(
                raw_sources.insert(),
                {
                    "source_key": key,
                    "complete": False,
                    "columns": json.dumps(columns),
                    "schema": json.dumps(asdict(schema)),
                    "position": None,
                    "updated_at": _now(),
                },
            )

    def save_page(self, key: str, page: Page) -> None:
        """Stores a page and its resume position atomically; position None marks it complete."""
        self._forget(key)
        with self.store._write() as conn:
            if page.merge:
                self._merge(conn, key, page.records)
            else:
                self._upsert(conn, key, page.records)
            conn.execute(
                raw_sources.update()
                .where(raw_sources.c.source_key == key)
                .values(
                    complete=page.position is None,
                    position=None if page.position is None else json.dumps(page.position),
                    updated_at=_now(),
                )
            )

    def apply_changes(
        self, key: str, upserts: list[RawRecord], deleted: set[int], schema: Schema | None
    ) -> None:
        self._forget(key)
        with self.store._write() as conn:
            for chunk in _chunks(sorted(deleted)):
                conn.execute(
                    delete(raw_records).where(
                        raw_records.c.source_key == key, raw_records.c.item_id.in_(chunk)
                    )
                )
            self._upsert(conn, key, upserts)
            values: dict[str, Any] = {"updated_at": _now()}
            if schema is not None:
                values["schema"] = json.dumps(asdict(schema))
            conn.execute(
                raw_sources.update().where(raw_sources.c.source_key == key).values(**values)
            )

    def records(self, key: str) -> list[RawRecord]:
        with self.store._read() as conn:
            rows = conn.execute(
                select(raw_records.c.data)
                .where(raw_records.c.source_key == key)
                .order_by(raw_records.c.item_id)
            )
            return [_load(data) for (data,) in rows]

    def records_by_id(self, key: str, ids: list[int]) -> list[RawRecord]:
        """Only these items of a source (those stored), in item id order."""
        out: list[RawRecord] = []
        with self.store._read() as conn:
            for chunk in _chunks(sorted(set(ids))):
                rows = conn.execute(
                    select(raw_records.c.data)
                    .where(raw_records.c.source_key == key, raw_records.c.item_id.in_(chunk))
                    .order_by(raw_records.c.item_id)
                )
                out += [_load(data) for (data,) in rows]
        return out

    def count(self, key: str) -> int:
        with self.store._read() as conn:
            found = conn.execute(
                select(func.count()).select_from(raw_records).where(raw_records.c.source_key == key)
            ).scalar()
        return int(found or 0)

    # --- helpers ------------------------------------------------------------------------------

    @staticmethod
    def _upsert(conn: Any, key: str, records: list[RawRecord]) -> None:
        if not records:
            return
        ids = [r.item_id for r in records]
        for chunk in _chunks(ids):
            conn.execute(
                delete(raw_records).where(
                    raw_records.c.source_key == key, raw_records.c.item_id.in_(chunk)
                )
            )
        conn.execute(
            raw_records.insert(),
            [{"source_key": key, "item_id": r.item_id, "data": _dump(r)} for r in records],
        )

    @staticmethod
    def _merge(conn: Any, key: str, records: list[RawRecord]) -> None:
        """Adds columns of a later (split-lookup) query to items the first query cached."""
        by_id = {r.item_id: r for r in records}
        merged: list[RawRecord] = []
        for chunk in _chunks(list(by_id)):
            rows = conn.execute(
                select(raw_records.c.data).where(
                    raw_records.c.source_key == key, raw_records.c.item_id.in_(chunk)
                )
            )
            for (data,) in rows:
                cached = _load(data)
                cached.values.update(by_id[cached.item_id].values)
                merged.append(cached)
        RawCache._upsert(conn, key, merged)
