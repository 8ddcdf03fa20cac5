"""Cell, sheet-name and file-name sanitizing for the Excel rollup (SharePoint text is untrusted)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.worksheet.worksheet import Worksheet

from c3po_sync.errors import C3POError

MAX_CELL_CHARS = 32_767
MAX_SHEET_NAME = 31
MAX_URL_CHARS = 2_000  # Excel refuses hyperlink targets past 2,079 characters
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")
# Not XML 1.0 characters either, but openpyxl's ILLEGAL_CHARACTERS_RE lets them through.
_NON_XML = re.compile("[\ud800-\udfff\ufffe\uffff]")
# Anything clean_text() changes but the length: the three above and CR, in one scan.
_UNCLEAN = re.compile(f"{ILLEGAL_CHARACTERS_RE.pattern}|{_NON_XML.pattern}|\r")
# A link holding any of these is left as plain text (safe_url).
_URL_BAD = re.compile(f'{ILLEGAL_CHARACTERS_RE.pattern}|[\r\n\t "<>]')
# An http(s) URL whose host is plain ASCII letters, digits, dots and dashes (a port may
# follow): urlsplit() gives it that scheme and a non-empty netloc, so safe_url() keeps it.
_PLAIN_WEB_URL = re.compile(r"(?i:https?)://[A-Za-z0-9.-]+(?::[0-9]*)?(?=[/?#]|\Z)")
_FILE_NAME_BAD = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')


class UnsafePathError(C3POError, ValueError):
    """A file name built from outside input would land outside the output folder."""


def clean_text(value: str) -> str:
    """Makes a string storable in a cell without changing what a reader sees.

    XML 1.0 cannot carry most control characters, lone surrogates or U+FFFE/U+FFFF, so they are
    dropped; XML parsers turn a bare carriage return into a line feed, so CR and CRLF become LF
    here rather than on reload.
    """
    if not _UNCLEAN.search(value):  # most text: one scan, nothing to change
        return value[:MAX_CELL_CHARS]
    if ILLEGAL_CHARACTERS_RE.search(value):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if _NON_XML.search(value):
        value = _NON_XML.sub("", value)
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value[:MAX_CELL_CHARS]


def cell_value(value: Any) -> Any:
    """Converts a pandas/Python value into something openpyxl writes as data, never as code."""
    if value is None:
        return None
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, bool | int | float | date):
        if isinstance(value, float) and not math.isfinite(value):  # NaN/inf are not Excel numbers
            return None
        if isinstance(value, datetime) and value.tzinfo is not None:
            # Excel has no time zones; the rollup's headers say UTC.
            return value.astimezone(UTC).replace(tzinfo=None)
        return value
    try:
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return None
    except ImportError:  # pragma: no cover - pandas is a dependency
        pass
    if isinstance(value, list | tuple | set):
        return clean_text("; ".join(str(v) for v in value if v is not None))
    return clean_text(str(value))


# Types cell_value() passes through unchanged whatever the value (bool is an int).
_KEPT_TYPES = frozenset({type(None), bool, int, date})


def cell_values(values: Sequence[Any]) -> list[Any]:
    """:func:`cell_value` over a column: the same list, not a copy, when it would change no
    value (most columns: checked per column, a table's worth of values at once), else the
    converted copy. A table body keeps this list until the workbook is saved (issue 16)."""
    values = values if isinstance(values, list) else list(values)
    types = set(map(type, values))
    if types <= _KEPT_TYPES:
        return values
    if types <= {type(None), str}:
        # Joined by "\n", which clean_text() keeps: one scan for the whole column.
        if not _UNCLEAN.search("\n".join(filter(None, values))) and (
            max(map(len, filter(None, values)), default=0) <= MAX_CELL_CHARS
        ):
            return values
    elif types <= {type(None), bool, int, float}:
        if all(math.isfinite(v) for v in values if type(v) is float):
            return values
    elif types <= _KEPT_TYPES | {datetime}:
        if all(v.tzinfo is None for v in values if type(v) is datetime):
            return values
    return [cell_value(v) for v in values]


def append_row(ws: Worksheet, values: Sequence[Any]) -> tuple[Cell, ...]:
    """Appends one row; every string becomes a literal text cell.

    openpyxl turns a string starting with "=" into a formula and one like "#N/A" into an error, so
    the type is forced back to text. Strings that Excel or LibreOffice would read as a formula if a
    user re-entered them also get ``quotePrefix``, so the displayed text stays the original.
    """
    ws.append([cell_value(v) for v in values])
    row = ws._current_row
    cells = ws._cells
    out = []
    for col in range(1, len(values) + 1):
        cell = cells.get((row, col))
        if cell is None:
            cell = ws.cell(row=row, column=col)
        elif isinstance(cell._value, str):
            _force_text(cell)
        out.append(cell)
    return tuple(out)


def _force_text(cell: Cell) -> None:
    if cell.data_type != "s":
        cell.data_type = "s"
    if cell._value.startswith(FORMULA_PREFIXES):
        cell.quotePrefix = True


def set_text(cell: Cell, value: Any) -> Cell:
    """Writes one value to a cell with the same guarantees as :func:`append_row`."""
    cell.value = cell_value(value)
    if isinstance(cell._value, str):
        _force_text(cell)
    return cell


def safe_url(value: Any) -> str | None:
    """Returns the URL if it is a plain http(s) link Excel can open, else None.

    A link from SharePoint data must not become a ``file:`` or ``javascript:`` target.
    """
    if not isinstance(value, str) or not value or len(value) > MAX_URL_CHARS:
        return None
    if _URL_BAD.search(value):
        return None
    if _PLAIN_WEB_URL.match(value):
        return value  # what urlsplit() reads as http(s) with this host: most links, at once
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return value


def safe_sheet_name(name: Any, *, taken: Iterable[str] = (), fallback: str = "Sheet") -> str:
    """Makes a valid, unique sheet name from data: no []:*?/\\, no edge quotes, 31 chars."""
    text = clean_text(str(name)) if name is not None else ""
    text = _SHEET_NAME_BAD.sub("_", text).replace("\n", " ").replace("\t", " ")
    text = text.strip().strip("'").strip()[:MAX_SHEET_NAME].strip() or fallback
    if text.lower() == "history":  # reserved by Excel
        text = f"{text}_"
    used = {t.lower() for t in taken}
    candidate, n = text, 2
    while candidate.lower() in used:
        suffix = f" ({n})"
        candidate = text[: MAX_SHEET_NAME - len(suffix)].rstrip() + suffix
        n += 1
    return candidate


def safe_file_name(name: str, *, fallback: str = "C3PO Rollup", limit: int = 200) -> str:
    """Makes one path component from outside input: no separators, no leading dots, no controls."""
    text = _FILE_NAME_BAD.sub("_", name)
    text = text.strip().lstrip(".").strip().rstrip(". ")
    text = text[:limit].rstrip(". ")
    return text or fallback


def path_inside(folder: Path, name: str) -> Path:
    """Joins a name to a folder and proves the resolved result stays inside it.

    Raises:
        UnsafePathError: the name (or a symlink already at that name) points outside ``folder``.
    """
    root = folder.resolve()
    target = (root / name).resolve()
    if target.parent != root:
        raise UnsafePathError(
            f"refusing to write {name!r}: it resolves to {str(target)!r}, outside {str(root)!r}"
        )
    return target
