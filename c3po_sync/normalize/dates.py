"""Dates and instants: a calendar date stays the calendar date its author meant, in any zone.

Two kinds of wire value look alike and mean different things:

- SharePoint's own DateOnly columns send the UTC instant of *site-local* midnight
  (``2026-01-15T08:00:00Z`` for 15 January in Pacific time; SHAREPOINT.md §2.3), so an
  instant with ``Z`` or an offset is converted to the site's zone before its date is taken.
- A date typed into a text column (``2011-09-15``, ``2011-09-15 00:00:00``, ``20110915``,
  ``15/09/2011``) has no zone at all: it *is* a local calendar date and is never converted
  through UTC (doing so made Pacific sites read every such date one day early).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from c3po_sync.normalize.errors import TransformError

Transform = Any  # a callable raw -> value; typed in transforms.py

_BASIC = re.compile(r"^\d{8}$")  # 20110915
_SERIAL = re.compile(r"^\d+(?:\.\d+)?$")
# Excel's 1900 date system: serial 1 is 1900-01-01, serial 60 the 29 February 1900 that never
# was (kept for Lotus 1-2-3 compatibility), 2958465 is 9999-12-31.
_EXCEL_EPOCH = date(1899, 12, 30)
_EXCEL_MAX = 2_958_465


def _is_empty(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _fromiso(s: str) -> datetime:
    return datetime.fromisoformat(s[:-1] + "+00:00" if s[-1:] in "zZ" else s)


def _local(dt: datetime, tz: ZoneInfo, s: str) -> datetime:
    try:
        return dt.astimezone(tz)
    except OverflowError as exc:
        raise TransformError(
            f"date {s!r} is out of range once converted to {tz.key}", "out_of_range"
        ) from exc


@lru_cache(maxsize=65536)
def _iso_date(s: str, tz: ZoneInfo) -> date:
    if len(s) == 10:
        return date.fromisoformat(s)
    if _BASIC.match(s):
        return date(int(s[:4]), int(s[4:6]), int(s[6:]))
    dt = _fromiso(s)
    if dt.tzinfo is None:  # a naive timestamp in a text column: a local calendar date
        return dt.date()
    return _local(dt, tz, s).date()


def excel_serial_date(v: float) -> date:
    """The date of an Excel (1900 system) serial number; its fraction is a time, dropped."""
    if not math.isfinite(v) or v < 1 or v >= _EXCEL_MAX + 1:
        raise TransformError(
            f"Excel serial date {v!r} is out of range (1-{_EXCEL_MAX})", "out_of_range"
        )
    n = int(v)
    if n == 60:
        raise TransformError("Excel serial 60 is 29 February 1900, which did not exist")
    return _EXCEL_EPOCH + timedelta(days=n if n > 60 else n + 1)


def make_date(tz: ZoneInfo, formats: Iterable[str] = (), excel_serial: bool = False) -> Transform:
    """A date transform: ISO forms always; the mapping's ``formats`` (strptime) and Excel serials
    when asked. Two formats reading one text as two different dates is ambiguous: quarantined."""
    fmts = tuple(formats)

    def by_formats(s: str) -> date | None:
        found: dict[date, str] = {}
        for f in fmts:
            try:
                found.setdefault(datetime.strptime(s, f).date(), f)
            except ValueError:
                continue
        if len(found) > 1:
            readings = " or ".join(f"{d.isoformat()} ({f})" for d, f in found.items())
            raise TransformError(f"ambiguous date {s!r}: {readings}", "ambiguous")
        return next(iter(found), None)

    def convert(v: Any) -> date | None:
        if _is_empty(v):
            return None
        if isinstance(v, datetime):
            return v.date() if v.tzinfo is None else _local(v, tz, str(v)).date()
        if isinstance(v, date):
            return v
        if isinstance(v, int | float) and not isinstance(v, bool):
            if excel_serial:
                return excel_serial_date(float(v))
            raise TransformError(
                f"expected a date, got the number {v!r} (set `excel_serial: true` if the column "
                "holds Excel serial dates)"
            )
        if not isinstance(v, str):
            raise TransformError(f"expected a date, got {type(v).__name__}")
        s = v.strip()
        if excel_serial and _SERIAL.match(s) and not _BASIC.match(s):
            return excel_serial_date(float(s))
        if fmts:
            d = by_formats(s)
            if d is not None:
                return d
        try:
            return _iso_date(s, tz)
        except ValueError as exc:
            tried = f" or {', '.join(fmts)}" if fmts else ""
            raise TransformError(f"not a date: {v!r} (expected ISO 8601{tried})") from exc

    return convert


def _instant(v: Any, tz: tzinfo) -> datetime:
    if isinstance(v, datetime):
        dt = v
    elif isinstance(v, date):
        dt = datetime(v.year, v.month, v.day)
    elif isinstance(v, str):
        s = v.strip()
        try:
            if _BASIC.match(s):
                s = f"{s[:4]}-{s[4:6]}-{s[6:]}"
            dt = _fromiso(s)
        except ValueError as exc:
            raise TransformError(f"not an ISO date: {v!r}") from exc
    else:
        raise TransformError(f"expected an ISO date string, got {type(v).__name__}")
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=tz)
    try:
        return dt.astimezone(UTC)
    except OverflowError as exc:
        raise TransformError(f"instant {v!r} is out of range in UTC", "out_of_range") from exc


def make_datetime(tz: ZoneInfo) -> Transform:
    """Instants as UTC; a naive timestamp is the site's wall-clock time, not UTC."""

    def convert(v: Any) -> datetime | None:
        return None if _is_empty(v) else _instant(v, tz)

    return convert


def parse_datetime(v: Any) -> datetime | None:
    """An ISO instant as a UTC datetime, for the records' ``Modified`` (always sent as UTC)."""
    if _is_empty(v) or (isinstance(v, float) and v != v):
        return None
    return _instant(v, UTC)
