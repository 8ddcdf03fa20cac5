"""Print settings for every rollup sheet: the division manager prints the workbook (issue 13).

Each sheet prints landscape, one page wide, with its header row repeated on every page, a page
header naming the report and sheet, and a footer with the report date and "Page X of Y". Wide
sheets print a readable set of columns (a print area over the leading columns) and leave the
detail columns to the screen, so the printed text stays at 7 pt or more. Rows holding wrapped
text get an explicit height computed from the text and the column width, because LibreOffice
does not grow rows that openpyxl writes and Excel only grows them when it recalculates.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date
from functools import lru_cache

from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from c3po_sync.sinks.excel_stream import TableBody, bodies, sheet_last_row

BASE_FONT_PT = 11.0  # the workbook's default font (Calibri 11)
LINE_HEIGHT_PT = 15.0  # one line of 11 pt text in Excel's and LibreOffice's default row
MIN_PRINT_FONT_PT = 7.0
# Printable width of a landscape US Letter page with the margins below, in points.
PAGE_WIDTH_PT = (11.0 - 2 * 0.4) * 72
CHAR_WIDTH_PT = 5.25  # one unit of Excel column width (the width of "0" in Calibri 11)
MAX_ROW_LINES = 30  # Excel's row height limit is 409 pt
HEADER_WRAP = Alignment(wrap_text=True, vertical="bottom")


def printed_width_chars(ws: Worksheet, last_column: int) -> float:
    """Total width of columns 1..``last_column`` in Excel's character units (default 13)."""
    return sum(_width(ws, i) for i in range(1, last_column + 1))


def effective_font_pt(ws: Worksheet, last_column: int) -> float:
    """The body font size once the printed columns are shrunk to one page width."""
    width_pt = printed_width_chars(ws, last_column) * CHAR_WIDTH_PT
    return BASE_FONT_PT * min(1.0, PAGE_WIDTH_PT / width_pt) if width_pt else BASE_FONT_PT


def text_lines(text: str, width: float) -> int:
    """Lines ``text`` wraps to in a column ``width`` characters wide, as LibreOffice and Excel
    wrap it: words by their printed widths (a column's width counts digits, and most letters
    are narrower: "Digital Services", 16 characters, fits a column 14 wide), a word longer
    than the line broken between characters. A little pessimistic, so text never spills."""
    text = str(text)
    if "\n" not in text and len(text) * _WIDEST <= _usable(width):
        return 1  # fits whatever its letters (most cells): nothing to measure, nothing to cache
    return _wrapped_lines(text, width)


# Advance widths of the printable ASCII characters (" " to "~") in hundredths of the digit
# "0", the unit of a column's width: the wider of Carlito's (metric twin of Calibri, the
# workbook's font, which LibreOffice substitutes for it) and DejaVu Sans' (LibreOffice's
# fallback where neither is installed), so the estimate holds under either. Read from the
# fonts' hmtx tables with fontTools.
_ASCII_WIDTHS = (
    50,
    65,
    80,
    132,
    100,
    150,
    135,
    44,
    62,
    62,
    99,
    132,
    50,
    61,
    50,
    77,
    100,
    100,
    100,
    100,
    100,
    100,
    100,
    100,
    100,
    100,
    53,
    53,
    132,
    132,
    132,
    92,
    177,
    115,
    108,
    110,
    122,
    100,
    91,
    125,
    123,
    50,
    63,
    104,
    88,
    169,
    128,
    131,
    102,
    133,
    110,
    100,
    97,
    127,
    112,
    176,
    108,
    97,
    108,
    62,
    77,
    62,
    132,
    99,
    79,
    97,
    104,
    87,
    104,
    99,
    61,
    100,
    104,
    46,
    48,
    92,
    46,
    158,
    104,
    105,
    104,
    104,
    69,
    82,
    67,
    104,
    94,
    142,
    94,
    94,
    83,
    100,
    91,
    100,
    132,
)
_CHAR_WIDTH = {chr(32 + i): w / 100 for i, w in enumerate(_ASCII_WIDTHS)}
_CHAR_WIDTH["\t"] = 4 * _CHAR_WIDTH[" "]
_WIDEST = max(_CHAR_WIDTH.values())
_OTHER_WIDTH = 1.1  # accented Latin, Greek, Cyrillic: about a digit; a little over
_WIDE_WIDTH = 2.0  # East Asian wide and full-width characters: two digits


class _Widths(dict[str, float]):
    """Each character's width, a character outside the table measured once when first met:
    a piece's width is then summed by ``map`` over dict lookups, not a Python call per
    character (most of a big sheet's row-height fitting)."""

    def __missing__(self, ch: str) -> float:
        w = _WIDE_WIDTH if unicodedata.east_asian_width(ch) in "WF" else _OTHER_WIDTH
        self[ch] = w
        return w


_WIDTHS = _Widths(_CHAR_WIDTH)


def _usable(width: float) -> float:
    """The text width of a column ``width`` digits wide, in digits. Measured in LibreOffice
    7.4 (Carlito 11): a column 8 wide holds 7.5 digits and not 8.5, 9 not "Open Data" (8.7),
    14 holds 13.5 not 14.5, 22 holds 20.5 not 21.5, 56 holds 54.5 not 55.5."""
    return max(1.0, 0.975 * width - 0.15)


@lru_cache(maxsize=8192)  # a sheet repeats its texts ("complies", "not applicable") by the 1,000
def _wrapped_lines(text: str, width: float) -> int:
    usable = _usable(width)
    return sum(_paragraph_lines(part, usable) for part in text.split("\n"))


# Where a word may break as LibreOffice breaks it (ICU line breaking): after a hyphen or a
# slash ("R7-lessons-" / "learned-", "/sites/" / "ppm-" / "planning").
_PIECES = re.compile(r"[^-/]*[-/]+|[^-/]+")


def _paragraph_lines(text: str, usable: float) -> int:
    """Greedy wrap by width: at spaces (a space that ends a line takes no room), after hyphens
    and slashes, and between characters in a piece wider than a line."""
    space = _CHAR_WIDTH[" "]
    lines, used = 1, 0.0
    for word in text.split(" "):
        if not word:  # a run of spaces takes room within its line
            used += space if used else 0.0
            continue
        pieces = _PIECES.findall(word) if "-" in word or "/" in word else (word,)
        for i, piece in enumerate(pieces):
            gap = space if i == 0 and used else 0.0
            w = sum(map(_WIDTHS.__getitem__, piece))
            if used and used + gap + w <= usable:
                used += gap + w
                continue
            if used:  # the piece goes to the next line
                lines, used = lines + 1, 0.0
            if w <= usable:
                used = w
                continue
            for ch in piece:  # wider than a line: broken between characters
                cw = _WIDTHS[ch]
                if used and used + cw > usable:
                    lines, used = lines + 1, 0.0
                used += cw
    return lines


def _width(ws: Worksheet, column: int) -> float:
    dim = ws.column_dimensions.get(get_column_letter(column))
    return dim.width if dim is not None and dim.width else 13.0


def fit_row_heights(
    ws: Worksheet, first_row: int, columns: list[int], last_row: int | None = None
) -> None:
    """Sets an explicit height on every row from ``first_row`` (to ``last_row``) whose text in
    ``columns`` wraps to more than one line; other rows keep the default height.

    A row of a table body still to be written (``excel_stream``) keeps its height in the body
    unless the sheet has a RowDimension for it: a dimension per wrapped row was most of the
    rollup's objects at 4x city size (issue 16). The file is the same either way."""
    if not columns:
        return
    widths = {c: _width(ws, c) for c in columns}
    last = last_row or sheet_last_row(ws)
    # The values value_at() would give: a cell where there is one, else the first body
    # covering the row (a table's body may not be cells yet: excel_stream).
    overlaid: dict[int, set[int]] = {}  # row -> fitted columns holding a cell
    from_cells: dict[int, int] = {}  # row -> the most lines of its cells' text
    for (row, c), cell in ws._cells.items():
        if first_row <= row <= last and c in widths:
            overlaid.setdefault(row, set()).add(c)
            value = cell.value
            if isinstance(value, str):
                lines = text_lines(value, widths[c])
                if lines > from_cells.get(row, 1):
                    from_cells[row] = lines
    covered: list[range] = []
    for body in bodies(ws):
        rows = range(
            max(first_row, body.first_row), min(last, body.first_row + body.n_rows - 1) + 1
        )
        if not rows:
            continue
        tallest = _body_lines(body, rows, widths, overlaid)
        mine = (lambda _row: True) if not _overlaps(rows, covered) else _unclaimed(covered)
        for r, lines in tallest.items():
            row = body.first_row + r
            if mine(row):
                lines = max(lines, from_cells.pop(row, 1))
                _set_height(ws, row, lines, body, r)
        for row in [row for row in from_cells if row in rows and mine(row)]:
            _set_height(ws, row, from_cells.pop(row), body, row - body.first_row)
        covered.append(rows)
    for row, lines in from_cells.items():
        _set_height(ws, row, lines)


def _body_lines(
    body: TableBody, rows: range, widths: dict[int, float], overlaid: dict[int, set[int]]
) -> dict[int, int]:
    """Body row (0-based) -> lines of its tallest text in the fitted columns, for rows over
    one line; a column's text is measured once per distinct value, a short one not at all."""
    tallest: dict[int, int] = {}
    lo, hi = rows.start - body.first_row, rows.stop - body.first_row
    for c, width in widths.items():
        if c > len(body.columns):
            continue
        usable = _usable(width)
        measured: dict[str, int] = {}
        values = body.columns[c - 1]
        for r in range(lo, hi):
            value = values[r]
            if not isinstance(value, str) or (len(value) * _WIDEST <= usable and "\n" not in value):
                continue  # as text_lines: fits whatever its letters
            lines = measured.get(value)
            if lines is None:
                lines = measured[value] = _wrapped_lines(value, width)
            if lines > tallest.get(r, 1):
                cells = overlaid.get(body.first_row + r)
                if cells is None or c not in cells:
                    tallest[r] = lines
    return tallest


def _overlaps(rows: range, covered: list[range]) -> bool:
    return any(rows.start < other.stop and other.start < rows.stop for other in covered)


def _unclaimed(covered: list[range]) -> Callable[[int], bool]:
    """A test for rows no earlier body covers (bodies rarely overlap: only then is it made)."""
    return lambda row: not any(row in other for other in covered)


def _set_height(
    ws: Worksheet, row: int, lines: int, body: TableBody | None = None, r: int = 0
) -> None:
    points = min(lines, MAX_ROW_LINES) * LINE_HEIGHT_PT
    if body is not None and row not in ws.row_dimensions:
        body.set_height(r, points)  # written with the row's XML as the sheet is saved
    else:
        ws.row_dimensions[row].height = points


def wrap_header(ws: Worksheet, header_row: int, last_column: int) -> None:
    """Lets header cells wrap (a long header never widens its column) and sizes the row."""
    for c in range(1, last_column + 1):
        cell = ws.cell(row=header_row, column=c)
        if cell.value is not None:
            cell.alignment = HEADER_WRAP
    fit_row_heights(ws, header_row, list(range(1, last_column + 1)), header_row)


def _escape(text: str) -> str:
    return text.replace("&", "&&")  # "&" starts a header/footer code


def set_print(
    ws: Worksheet,
    *,
    report_title: str,
    report_date: date,
    header_row: int | None = 1,
    print_columns: int | None = None,
) -> None:
    """Landscape, one page wide, print titles, header and footer; a print area over the first
    ``print_columns`` columns when the sheet has detail columns left to the screen."""
    ps = ws.page_setup
    ps.orientation = "landscape"
    ps.paperSize = ws.PAPERSIZE_LETTER
    ps.fitToWidth = 1
    ps.fitToHeight = 0  # as many pages down as it takes
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = False
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.page_margins.header = ws.page_margins.footer = 0.25
    if header_row is not None and not ws.print_title_rows:  # a sheet may name its own
        ws.print_title_rows = f"{header_row}:{header_row}"
    if print_columns is not None:
        last = get_column_letter(print_columns)
        ws.print_area = f"A1:{last}{max(sheet_last_row(ws), 1)}"
    for hf in (ws.oddHeader, ws.evenHeader, ws.firstHeader):
        hf.center.text = _escape(f"{report_title} - {ws.title}")
        hf.center.size = 9
    for hf in (ws.oddFooter, ws.evenFooter, ws.firstFooter):
        hf.left.text = _escape(f"Report date {report_date:%Y-%m-%d}")
        hf.left.size = 8
        hf.right.text = "Page &P of &N"
        hf.right.size = 8
