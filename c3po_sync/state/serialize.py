"""Canonical frames to and from JSON: one object of column arrays per chunk of rows (the
snapshot storage format since migration 0006), or one object per row (the change log's rows,
and snapshots stored before 0006, which stay readable).

Why columns: a new day loads the whole stored snapshot (about 83,000 rows at city size). One
``json.loads`` per row, each building a dict of every column's name, cost about 1 CPU s of the
day's 3.9; a chunk's column arrays decode in one call, with no dict and no key per row."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from c3po_sync.model.compact import mostly_distinct
from c3po_sync.model.schema import Table

KEY_SEP = "|"
ROW_CHUNK = 5000  # rows decoded into columns at a time (row format)
# Rows per stored column chunk: one decode per chunk is cheap at any size; small chunks keep
# what a load holds besides the table it builds (one chunk's text and values) small.
COLUMN_CHUNK = 1000
_MEMO_PROBE = 4096  # rows after which a mostly distinct column stops being memoised


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, datetime | date | pd.Timestamp):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__} value {value!r} in a snapshot")


_ENCODER = json.JSONEncoder(default=_json_default, separators=(",", ":"), ensure_ascii=False)


def _python_column(series: pd.Series, col_type: str) -> list[Any]:
    """A column as plain JSON-able values, None for missing."""
    if col_type == "list":
        return [list(v) if isinstance(v, list | tuple | np.ndarray) else None for v in series]
    if col_type == "datetime":
        utc = pd.to_datetime(series, utc=True).dt.tz_localize(None).to_numpy()
        text = np.datetime_as_string(utc, unit="us")  # C speed; microseconds as SharePoint
        return [None if np.isnat(v) else s + "Z" for v, s in zip(utc, text, strict=True)]
    missing = series.isna().to_numpy()
    values = series.tolist()
    if col_type == "date":
        return [
            None if m else (v.date() if isinstance(v, datetime) else v).isoformat()
            for v, m in zip(values, missing, strict=True)
        ]
    return [None if m else v for v, m in zip(values, missing, strict=True)]


def frame_to_rows(table: Table, frame: pd.DataFrame) -> list[tuple[str, str]]:
    """Serialises ``frame`` as (row_key, json) pairs in row order; NA values are omitted."""
    if frame.empty:
        return []
    frame = frame.reindex(columns=table.column_names)
    columns = {c.name: _python_column(frame[c.name], c.type) for c in table.columns}
    out: list[tuple[str, str]] = []
    cols = list(columns.items())
    key_cols = [columns[k] for k in table.key]
    encode = _ENCODER.encode
    for i in range(len(frame)):
        row = {n: vals[i] for n, vals in cols if vals[i] is not None}
        key = KEY_SEP.join("" if kc[i] is None else str(kc[i]) for kc in key_cols)
        out.append((key, encode(row)))
    return out


def frame_to_column_chunks(
    table: Table, frame: pd.DataFrame, size: int = COLUMN_CHUNK
) -> Iterator[str]:
    """``frame`` as JSON objects of one array per column (``{"name": [v, ...]}``), ``size``
    rows each, in row order; a missing value is null. Values are written as ``frame_to_rows``
    writes them, so both formats read back to the same frame, and a snapshot is written
    without ever holding every row's JSON at once."""
    encode = _ENCODER.encode
    for start in range(0, len(frame), size):
        # Reindexed a slice at a time: reindexing the whole frame copies the tenant's table.
        part = frame.iloc[start : start + size].reindex(columns=table.column_names)
        yield encode({c.name: _python_column(part[c.name], c.type) for c in table.columns})


def column_chunks_to_frame(
    table: Table, chunks: Iterable[str], pools: Mapping[str, Mapping[str, str]] | None = None
) -> pd.DataFrame:
    """Rebuilds a frame with the table's dtypes from ``frame_to_column_chunks``'s chunks.

    ``chunks`` is consumed once (a database cursor streams them), one decoded chunk held at a
    time. A column missing from a chunk (added to the schema after it was stored) is missing
    in each of its rows, as a key absent from a row object is. ``pools`` as in
    ``rows_to_frame``."""
    builder = _ColumnsBuilder(table, pools)
    loads = json.loads
    for text in chunks:
        builder.extend(loads(text))
    return builder.frame()


def rows_to_frame(
    table: Table, rows: Iterable[str], pools: Mapping[str, Mapping[str, str]] | None = None
) -> pd.DataFrame:
    """Rebuilds a frame with the table's dtypes from the JSON rows ``frame_to_rows`` wrote.

    ``rows`` is consumed once (a database cursor streams them): values go straight into one
    list per column, ``ROW_CHUNK`` rows at a time, with no dict per row kept, and a value
    repeated down a text or date column is held once (model.compact) while the column is built.
    ``pools``: per column, strings already held elsewhere (another table's, model.compact
    ECHOES); an equal value read is held as that string, the one parsed let go at once.
    """
    names = table.column_names
    builder = _ColumnsBuilder(table, pools)
    loads = json.loads
    part: dict[str, list[Any]] = {n: [] for n in names}
    count = 0
    for text in rows:
        rec = loads(text)
        for name in names:
            part[name].append(rec.get(name))
        count += 1
        if count == ROW_CHUNK:
            builder.extend(part)
            part, count = {n: [] for n in names}, 0
    if count:
        builder.extend(part)
    return builder.frame()


class _ColumnsBuilder:
    """One list per column, grown a chunk of rows at a time: a value repeated down a text or
    date column is held once (model.compact), or as the pool's equal string, and each distinct
    date string is parsed once."""

    def __init__(self, table: Table, pools: Mapping[str, Mapping[str, str]] | None = None) -> None:
        self._table = table
        self._columns: dict[str, list[Any]] = {n: [] for n in table.column_names}
        self._memos: dict[str, Any] = {
            c.name: {} for c in table.columns if c.type in ("str", "date")
        }
        # A pooled column looks each value up in its pool (``dict.get`` mapped over the chunk,
        # at C speed: a Python call per value cost ~0.09 CPU s of a city's status reports).
        self._pools: dict[str, Mapping[str, str]] = dict(pools or {})
        for name in self._pools:
            self._memos.pop(name, None)
        self._seen = 0
        self._probed = False

    def extend(self, part: Mapping[str, list[Any]]) -> None:
        """Appends one chunk: ``part`` maps column names to equally long value lists."""
        count = max((len(v) for v in part.values()), default=0)
        for name, column in self._columns.items():
            values = part.get(name)
            if values is None:
                column.extend([None] * count)
                continue
            pool = self._pools.get(name)
            memo = self._memos.get(name)
            if pool is not None:
                values = _pooled(pool, values)
            elif memo is not None:
                values = list(map(memo.setdefault, values, values))
            column.extend(values)
        self._seen += count
        if not self._probed and self._seen >= _MEMO_PROBE:
            self._probed = True
            for name, memo in self._memos.items():
                if isinstance(memo, dict) and mostly_distinct(len(memo), self._seen):
                    self._memos[name] = None  # paths, URLs: a memo would cost more than it saves

    def frame(self) -> pd.DataFrame:
        columns: dict[str, Any] = self._columns
        for c in self._table.columns:
            if c.type == "datetime":
                columns[c.name] = _stored_datetimes(columns[c.name])
            if c.type == "date":  # each distinct day parsed once, then looked up at C speed
                values = columns[c.name]
                parsed = {v: date.fromisoformat(v[:10]) for v in set(values) if v is not None}
                columns[c.name] = list(map(parsed.get, values))
        return self._table.frame_of_columns(columns)


_STORED_DATETIME = len("2026-11-01T02:00:00.000000Z")  # as _python_column writes them


def _stored_datetimes(values: list[Any]) -> list[Any] | pd.Series:
    """A datetime column's stored text as the schema's UTC datetimes, parsed by numpy at C
    speed (pandas' parser took ~0.07 CPU s of a city's snapshot load). Only text exactly as
    ``_python_column`` writes it (microseconds, "Z") is taken this way; anything else is
    left to the schema's parser."""
    present = [v for v in values if v is not None]
    if set(map(type, present)) - {str} or set(map(len, present)) - {_STORED_DATETIME}:
        return values
    if not all(map(str.endswith, present, itertools.repeat("Z"))):
        return values
    naive = np.array([v[:-1] if v is not None else "NaT" for v in values], dtype="datetime64[us]")
    return pd.Series(pd.DatetimeIndex(naive.astype("datetime64[ns]")).tz_localize("UTC"))


def _pooled(pool: Mapping[str, str], values: list[Any]) -> list[Any]:
    """``values`` with each string equal to a pool's key as the pool's string (the one parsed
    let go at once); any other value as it is."""
    try:
        return list(map(pool.get, values, values))
    except TypeError:  # an unhashable value (not text): looked up one by one
        return [pool.get(v, v) if isinstance(v, str) else v for v in values]
