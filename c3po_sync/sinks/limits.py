"""What SharePoint Online stores, and a row made to fit it: the one definition of the limits.

SharePoint counts text in UTF-16 code units (an emoji outside the BMP counts 2) and refuses a
single line of text or a hyperlink URL over 255 of them (500, -2130575336 "Invalid text value");
a lone surrogate cannot be sent at all. It refuses DateTime values outside 1900-01-01 ..
8900-12-31 and JSON bodies with NaN or Infinity. Choice values outside a column's choices are
accepted over the API, so the service checks them itself.

A value that cannot fit is *refused*: it is reported with its location and the row is written
without it (the column is cleared), never silently changed. Display text (titles, names, URL
descriptions) is shortened to the limit at a character boundary and ends in "…", so a reader
sees that the list shows less than the source holds (the rollup keeps the whole text); a key is
never cut, because two long keys could become one after a cut.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from c3po_sync.sinks.base import ListSpec

TEXT_MAX = 255  # UTF-16 code units in a single line of text, a choice or a URL
DATE_MIN = date(1900, 1, 1)
DATE_MAX = date(8900, 12, 31)
_SHOWN = 200  # characters of a refused value kept in its report


@dataclass(frozen=True)
class RefusedValue:
    """A value the service will not write, with where it was going and why."""

    list_title: str
    key: str
    column: str
    value: str
    reason: str

    def describe(self) -> str:
        return f"{self.list_title} / {self.key} / {self.column}: {self.reason} ({self.value!r})"


def utf16_units(text: str) -> int:
    """Length as SharePoint counts it: characters outside the BMP take two code units."""
    return len(text) + sum(1 for c in text if ord(c) > 0xFFFF)


def has_lone_surrogate(text: str) -> bool:
    """True if ``text`` holds a surrogate code point on its own (unencodable in UTF-8/JSON)."""
    return any(0xD800 <= ord(c) <= 0xDFFF for c in text)


def cut_utf16(text: str, limit: int = TEXT_MAX) -> str:
    """``text`` cut to at most ``limit`` UTF-16 code units, never inside a character."""
    if len(text) * 2 <= limit or utf16_units(text) <= limit:
        return text
    units = 0
    for i, c in enumerate(text):
        units += 2 if ord(c) > 0xFFFF else 1
        if units > limit:
            return text[:i]
    return text


ELLIPSIS = "\u2026"


def shorten(text: str, limit: int = TEXT_MAX) -> str:
    """``text`` within ``limit`` UTF-16 units; a shortened text ends in "…" (never silent)."""
    if utf16_units(text) <= limit:
        return text
    return cut_utf16(text, limit - 1) + ELLIPSIS


def _missing(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    try:
        import pandas as pd

        return v is pd.NA or v is pd.NaT
    except ImportError:  # pragma: no cover - pandas is a dependency
        return False


def _calendar_date(v: Any) -> date | None:
    """The calendar date (UTC for instants) of a date-ish value, or None if it is not one."""
    if isinstance(v, datetime):
        return (v.astimezone(UTC) if v.tzinfo else v).date()
    if isinstance(v, date):
        return v
    if isinstance(v, str):
        try:
            return _calendar_date(datetime.fromisoformat(v.strip().replace("Z", "+00:00")))
        except ValueError:
            return None
    to_py = getattr(v, "to_pydatetime", None)
    return _calendar_date(to_py()) if callable(to_py) else None


def refusal(kind: str, value: Any, choices: tuple[str, ...] = ()) -> str | None:
    """Why ``value`` cannot be stored in a column of ``kind`` as it is, or None if it can
    (after ``fit_value``'s cut of display text)."""
    if kind in ("Text", "Note", "Choice") and isinstance(value, str):
        if has_lone_surrogate(value):
            return "holds a lone UTF-16 surrogate, which SharePoint cannot store"
        if kind == "Choice" and utf16_units(value) > TEXT_MAX:
            return f"is longer than {TEXT_MAX} UTF-16 code units"
        if kind == "Choice" and choices and value not in choices:
            return f"is not one of the column's choices ({', '.join(choices)})"
    if kind in ("Number", "Currency"):
        number = float(value) if isinstance(value, (int, float, Decimal)) else None
        if number is not None and math.isinf(number):
            return "is infinite; SharePoint refuses Infinity"
    if kind == "DateTime":
        day = _calendar_date(value)
        if day is not None and not DATE_MIN <= day <= DATE_MAX:
            return f"is outside SharePoint's dates ({DATE_MIN} .. {DATE_MAX})"
    if kind == "URL":
        url = value.get("Url") if isinstance(value, dict) else value
        url = "" if url is None else str(url)
        if has_lone_surrogate(url):
            return "the URL holds a lone UTF-16 surrogate, which SharePoint cannot store"
        if utf16_units(url) > TEXT_MAX:
            return f"the URL is longer than {TEXT_MAX} UTF-16 code units; a cut URL is broken"
    return None


def fit_value(kind: str, value: Any) -> Any:
    """``value`` as stored: missing (None, NaN, NaT) is None; display text is shortened."""
    if _missing(value):
        return None
    if kind == "Text" and isinstance(value, str):
        return shorten(value)
    if kind == "URL" and isinstance(value, dict):
        desc = value.get("Description")
        if isinstance(desc, str):
            fitted = "" if has_lone_surrogate(desc) else shorten(desc)
            return value if fitted is desc else {**value, "Description": fitted}
    return value


def key_refusal(key: Any) -> str | None:
    """Why a row's key cannot be written (it is never cut: a cut could make two keys one)."""
    text = str(key)
    if has_lone_surrogate(text):
        return "the key holds a lone UTF-16 surrogate, which SharePoint cannot store"
    if utf16_units(text) > TEXT_MAX:
        return (
            f"the key is {utf16_units(text)} UTF-16 code units, over SharePoint's {TEXT_MAX}; "
            "it is not cut because a cut key could collide with another; the row is not written"
        )
    return None


def shown(value: Any) -> str:
    """A refused value as text for its report, shortened and with surrogates escaped."""
    text = value if isinstance(value, str) else repr(value)
    return text[:_SHOWN].encode("utf-8", "backslashreplace").decode("utf-8")


def fit_rows(
    spec: ListSpec, rows: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[RefusedValue]]:
    """``rows`` made to fit SharePoint: refused values cleared (a row whose key cannot be
    written is left out), display text cut; returns the rows and what was refused. A row
    that needed nothing is returned as given, not copied (a first run's 20,000 asset rows
    are not held twice); callers do not change the rows they get back."""
    columns = {c.internal_name: c for c in spec.columns}
    fitted: list[dict[str, Any]] = []
    refused: list[RefusedValue] = []
    for row in rows:
        key = row.get(spec.key_column)
        why = None if _missing(key) else key_refusal(key)
        if why:
            refused.append(RefusedValue(spec.title, shown(key), spec.key_column, shown(key), why))
            continue
        out: dict[str, Any] = {}
        same = True
        for name, value in row.items():
            column = columns.get(name)
            if column is not None:
                given = value
                value = fit_value(column.kind, value)
                why = None if value is None else refusal(column.kind, value, column.choices)
                if why:
                    refused.append(RefusedValue(spec.title, str(key), name, shown(value), why))
                    value = None
                same = same and value is given
            out[name] = value
        fitted.append(row if same else out)
    return fitted, refused
