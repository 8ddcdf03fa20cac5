"""The change log: each entity's versions (SCD-2), folded in from every run's snapshot rows.

The history rules (rules.changes) and the council deltas need what a project looked like at
earlier runs. Reading that from every stored snapshot made each night slower than the last and
the database grow by a full snapshot a night; the change log keeps one row per *version* of a
project, so it grows with what changes and snapshots can be pruned (store.prune_snapshots).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, TypeVar

import pandas as pd
from sqlalchemy import Connection, String, and_, delete, func, or_, select, type_coerce, update

from c3po_sync.model.schema import TABLES
from c3po_sync.state import tables as t
from c3po_sync.state.serialize import rows_to_frame

logger = logging.getLogger(__name__)

# Only projects are versioned: they are what the history rules and the council deltas read.
VERSIONED_TABLES = ("projects",)
_CHUNK = 500
T = TypeVar("T")

v = t.entity_versions


def last_run(conn: Connection) -> int | None:
    """The newest run folded into the change log."""
    return conn.execute(select(func.max(t.change_log_runs.c.run_id))).scalar()


def fold(
    conn: Connection, run_id: int, at: datetime, rows_by_table: dict[str, list[tuple[str, str]]]
) -> dict[str, int]:
    """Folds one run's snapshot rows into the change log (inside the caller's transaction).

    ``rows_by_table``: (row key, row JSON) as ``serialize.frame_to_rows`` gives them. A key seen
    twice in one run keeps its first row, as the rules do. Folding the newest run again first
    undoes its earlier fold, so a re-saved snapshot leaves one answer; a run older than the
    newest folded one is not folded (history is kept in run order) and says so.
    Returns versions opened per table.
    """
    newest = last_run(conn)
    if newest is not None and run_id < newest:
        logger.warning(
            "run %d is older than run %d already in the change log; its snapshot is kept "
            "but not folded into the history",
            run_id,
            newest,
        )
        return {}
    if newest == run_id:
        _undo(conn, run_id)
    row = conn.execute(
        select(t.change_log_runs.c.run_id, t.change_log_runs.c.at)
        .where(t.change_log_runs.c.run_id < run_id)
        .order_by(t.change_log_runs.c.run_id.desc())
        .limit(1)
    ).first()
    prev = (int(row[0]), row[1]) if row is not None else None
    opened: dict[str, int] = {}
    for table in VERSIONED_TABLES:
        opened[table] = _fold_table(conn, table, run_id, at, rows_by_table.get(table, []), prev)
    conn.execute(t.change_log_runs.insert(), {"run_id": run_id, "at": at})
    return opened


def _fold_table(
    conn: Connection,
    table: str,
    run_id: int,
    at: datetime,
    rows: Iterable[tuple[str, str]],
    prev: tuple[int, datetime] | None,
) -> int:
    seen: dict[str, str] = {}
    for key, data in rows:
        if key and key not in seen:
            seen[key] = data
    current = {
        key: (start, data)
        for key, start, data in conn.execute(
            select(v.c.entity_key, v.c.valid_from_run, v.c.data).where(
                v.c.table_name == table, v.c.valid_to_run.is_(None)
            )
        )
    }
    changed = [k for k, d in seen.items() if k in current and current[k][1] != d]
    gone = [k for k in current if k not in seen]
    new = [k for k in seen if k not in current]
    closing = changed + gone
    if closing:
        prev_run, prev_at = prev if prev is not None else (None, None)
        for chunk in chunks(closing):
            conn.execute(
                update(v)
                .where(v.c.table_name == table, v.c.valid_to_run.is_(None))
                .where(v.c.entity_key.in_(chunk))
                .values(valid_to_run=run_id, last_seen_run=prev_run, last_seen_at=prev_at)
            )
    opening = changed + new
    if opening:
        conn.execute(
            v.insert(),
            [
                {
                    "table_name": table,
                    "entity_key": k,
                    "valid_from_run": run_id,
                    "valid_from_at": at,
                    "data": seen[k],
                }
                for k in opening
            ],
        )
    if opening or gone:
        logger.info(
            "change log %s, run %d: %d new, %d changed, %d gone",
            table,
            run_id,
            len(new),
            len(changed),
            len(gone),
        )
    return len(opening)


def _undo(conn: Connection, run_id: int) -> None:
    """Takes the newest run back out of the change log."""
    conn.execute(delete(v).where(v.c.valid_from_run == run_id))
    conn.execute(
        update(v)
        .where(v.c.valid_to_run == run_id)
        .values(valid_to_run=None, last_seen_run=None, last_seen_at=None)
    )
    conn.execute(delete(t.change_log_runs).where(t.change_log_runs.c.run_id == run_id))


def forget_before(conn: Connection, cutoff: datetime) -> int:
    """Deletes versions replaced (or gone) and last seen before ``cutoff``; returns how many.
    The current version of every entity stays, however old."""
    res = conn.execute(delete(v).where(v.c.valid_to_run.is_not(None), v.c.last_seen_at < cutoff))
    if res.rowcount:
        logger.info("change log: forgot %d version(s) last seen before %s", res.rowcount, cutoff)
    return int(res.rowcount or 0)


def observations(
    conn: Connection,
    table: str,
    upto_run: int | None = None,
    columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The table's rows at the runs that matter for change over time, with ``run_id`` and
    ``seen_at`` columns: each version where it was first seen and, once replaced, where it was
    last seen. Between two consecutive observations of an entity nothing changed, so rules
    comparing consecutive observations (rules.history.field_changes) find exactly the changes
    they would find over every snapshot, with the same "last seen before" and "seen" times.

    ``columns``: only these, as stored (JSON values: dates as ISO text), which skips building
    the table's typed frame; the history rules need a handful of a project's fields.
    """
    # The times as the database holds them (UTC), parsed below in one vectorised call rather
    # than row by row by the column type.
    q = select(
        v.c.valid_from_run,
        type_coerce(v.c.valid_from_at, String),
        v.c.valid_to_run,
        v.c.last_seen_run,
        type_coerce(v.c.last_seen_at, String),
        v.c.data,
    ).where(v.c.table_name == table)
    if upto_run is not None:
        q = q.where(v.c.valid_from_run <= upto_run)
    runs: list[int] = []
    seen: list[object] = []  # as stored: text on SQLite, naive UTC datetimes elsewhere
    # Each version as stored, or, when only some ``columns`` are wanted, just those values:
    # decoded once (a replaced version is observed twice) and the rest let go at once, so a
    # year of versions is never held whole as text and dicts (issue 16, evaluate's peak).
    data: list[Any] = []
    version: list[int] = []  # which of ``data`` each observation shows
    for start, start_at, end, last, last_at, text in conn.execute(q):
        if columns is None:
            data.append(text)
        else:
            rec = json.loads(text)
            data.append(tuple(rec.get(c) for c in columns))
        runs.append(start)
        seen.append(start_at)
        version.append(len(data) - 1)
        closed = end is not None and (upto_run is None or end <= upto_run)
        if closed and last is not None and last != start:
            runs.append(last)
            seen.append(last_at)
            version.append(len(data) - 1)
    if columns is None:
        frame = rows_to_frame(TABLES[table], [data[i] for i in version])
    else:
        frame = pd.DataFrame(
            {
                c: pd.Series([data[i][n] for i in version], dtype=object)
                for n, c in enumerate(columns)
            }
        )
    when = pd.to_datetime(pd.Series(seen, dtype=object), utc=True, format="ISO8601")
    frame.insert(0, "seen_at", when)
    frame.insert(0, "run_id", pd.Series(runs, dtype="int64"))
    return frame


def as_of(conn: Connection, table: str, run_id: int) -> pd.DataFrame | None:
    """The table's rows as the run ``run_id`` saw them, one per key; None when that run is not
    in the change log (never folded, or older than the log)."""
    known = conn.execute(
        select(t.change_log_runs.c.run_id).where(t.change_log_runs.c.run_id == run_id)
    ).first()
    if known is None:
        return None
    rows = conn.execute(
        select(v.c.data)
        .where(
            v.c.table_name == table,
            v.c.valid_from_run <= run_id,
            or_(v.c.valid_to_run.is_(None), and_(v.c.valid_to_run > run_id)),
        )
        .order_by(v.c.entity_key)
    ).all()
    return rows_to_frame(TABLES[table], [d for (d,) in rows])


def chunks(items: list[T]) -> Iterator[list[T]]:
    """``items`` in slices that keep IN (...) lists under every backend's bind-parameter limit."""
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]
