"""Canonical frames to and from one JSON object per row, the snapshot storage format."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from c3po_sync.model.schema import Table

KEY_SEP = "|"


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


def rows_to_frame(table: Table, rows: list[str]) -> pd.DataFrame:
    """Rebuilds a frame with the table's dtypes from the JSON rows ``frame_to_rows`` wrote."""
    date_cols = [c.name for c in table.columns if c.type == "date"]
    records = []
    for text in rows:
        rec = json.loads(text)
        for name in date_cols:
            value = rec.get(name)
            if value is not None:
                rec[name] = date.fromisoformat(value[:10])
        records.append(rec)
    return table.frame(records)
