"""Canonical frames to and from one JSON object per row, the snapshot storage format."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from c3po_sync.model.compact import mostly_distinct
from c3po_sync.model.schema import Table

KEY_SEP = "|"
ROW_CHUNK = 5000  # rows serialised (and inserted) at a time
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


def frame_row_chunks(
    table: Table, frame: pd.DataFrame, size: int = ROW_CHUNK
) -> Iterator[list[tuple[str, str]]]:
    """``frame_to_rows`` a slice of ``size`` rows at a time, in row order: a snapshot is
    written without ever holding every row's JSON at once."""
    for start in range(0, len(frame), size):
        yield frame_to_rows(table, frame.iloc[start : start + size])


def rows_to_frame(
    table: Table, rows: Iterable[str], pools: Mapping[str, Mapping[str, str]] | None = None
) -> pd.DataFrame:
    """Rebuilds a frame with the table's dtypes from the JSON rows ``frame_to_rows`` wrote.

    ``rows`` is consumed once (a database cursor streams them): values go straight into one
    list per column, with no dict per row kept, and a value repeated down a text or date
    column is held once (model.compact) while the column is built.
    ``pools``: per column, strings already held elsewhere (another table's, model.compact
    ECHOES); an equal value read is held as that string, the one parsed let go at once.
    """
    names = table.column_names
    columns: dict[str, list[Any]] = {n: [] for n in names}
    memos: dict[str, Any] = {c.name: {} for c in table.columns if c.type in ("str", "date")}
    for name, pool in (pools or {}).items():
        memos[name] = _Pooled(pool)
    dates = {c.name for c in table.columns if c.type == "date"}
    loads = json.loads
    seen = 0
    for text in rows:
        rec = loads(text)
        for name in names:
            value = rec.get(name)
            if value is not None:
                memo = memos.get(name)
                if memo is not None:
                    value = memo.setdefault(value, value)
            columns[name].append(value)
        seen += 1
        if seen == _MEMO_PROBE:
            for name, memo in memos.items():
                if isinstance(memo, dict) and mostly_distinct(len(memo), seen):
                    memos[name] = None  # paths, URLs: a memo would cost more than it saves
    for name in dates:
        parsed: dict[str, date] = {}
        columns[name] = [
            None if v is None else parsed.get(v) or parsed.setdefault(v, date.fromisoformat(v[:10]))
            for v in columns[name]
        ]
    return table.frame_of_columns(columns)


class _Pooled:
    """A memo over strings held elsewhere: ``setdefault`` gives the pool's equal string (or
    the value itself), as ``dict.setdefault`` does in rows_to_frame's loop."""

    def __init__(self, pool: Mapping[str, str]) -> None:
        self._pool = pool

    def setdefault(self, value: Any, default: Any) -> Any:
        return self._pool.get(value, default) if isinstance(value, str) else default
