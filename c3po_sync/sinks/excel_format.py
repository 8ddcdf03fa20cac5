"""Table, number-format, width and colour helpers shared by the rollup's sheets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl.cell.cell import Cell
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from c3po_sync.sinks.excel_print import fit_row_heights, wrap_header
from c3po_sync.sinks.excel_safety import append_row, cell_values, safe_url
from c3po_sync.sinks.excel_stream import TableBody, add_body, has_cell, sheet_last_row

CURRENCY = '"$"#,##0;[Red]-"$"#,##0'
DATE = "yyyy-mm-dd"
DATETIME = "yyyy-mm-dd hh:mm"
PERCENT = "0.0%"
INTEGER = "#,##0"
POINTS = '+0.0" pts";-0.0" pts";0.0" pts"'

# Every font names the workbook's face and size: a Font() without them made LibreOffice set
# headers, links and titles in its own default (a serif), wider than the column widths allow
# for ("Recommenda" / "tion", "Severit" / "y" on the printed Findings header).
FONT_NAME, FONT_SIZE = "Calibri", 11.0
TITLE_FONT = Font(name=FONT_NAME, size=16, bold=True)
BOLD = Font(name=FONT_NAME, size=FONT_SIZE, bold=True)
LINK_FONT = Font(name=FONT_NAME, size=FONT_SIZE, color="0563C1", underline="single")
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")  # rows grow with wrapped text: every cell starts at the top

GREEN, YELLOW, RED, GREY = "C6EFCE", "FFEB9C", "FFC7CE", "D9D9D9"
STATUS_FILLS = {"Green": GREEN, "Yellow": YELLOW, "Red": RED}
_SAMPLE_ROWS = 300


@dataclass(frozen=True)
class Col:
    """One output column: header, optional number format and width (None: fit the data)."""

    header: str
    fmt: str | None = None
    width: float | None = None
    wrap: bool = False


def write_table(
    ws: Worksheet,
    name: str,
    cols: Sequence[Col],
    data: Sequence[Sequence[Any]],
    *,
    links: Mapping[int, Sequence[Any]] | None = None,
    freeze: bool = True,
    defer: bool = True,
) -> tuple[int, int]:
    """Writes a header and column-wise ``data`` as a real Excel table; returns (first, last) row.

    ``links`` maps a 0-based column index to per-row URLs; unsafe URLs are left as plain text. An
    empty table keeps one blank data row, because Excel repairs a table that has only a header.
    In a ``StreamedWorkbook`` the data rows become cells only when the workbook is saved
    (``excel_stream``); ``defer=False`` makes them now, for a caller that styles them after.
    """
    if len(data) != len(cols):
        raise ValueError(f"table {name!r}: {len(cols)} columns but {len(data)} data columns")
    header_cells = append_row(ws, [c.header for c in cols])
    header_row = header_cells[0].row
    for cell in header_cells:
        cell.font = BOLD
    n_rows = len(data[0]) if data else 0
    link_cols = dict(links or {})
    plain = [_template(ws, c, link=False) for c in cols]
    linked = [_template(ws, c, link=True) if i in link_cols else None for i, c in enumerate(cols)]
    body = TableBody(
        first_row=header_row + 1,
        columns=[cell_values(values) for values in data],
        urls={i: [safe_url(u) for u in values] for i, values in link_cols.items()},
        plain=plain,
        linked=linked,
        fmt_dates=[c.fmt in (DATE, DATETIME) for c in cols],
    )
    # Made into cells as the sheet is saved when the workbook streams (excel_stream).
    add_body(ws, body, defer=defer)
    ws._current_row = header_row + n_rows
    last_row = header_row + max(n_rows, 1)
    ref = f"A{header_row}:{get_column_letter(len(cols))}{last_row}"
    table = Table(displayName=name, ref=ref)
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    ws.add_table(table)
    if freeze:
        # A coordinate, not ws.cell(): that would add a second cell where the body has one.
        top_left = header_row + 1
        ws.freeze_panes = (
            f"A{top_left}" if has_cell(ws, top_left, 1) else ws.cell(row=top_left, column=1)
        )
    fit_widths(ws, cols, data)
    # Explicit heights: LibreOffice does not grow the rows openpyxl writes (issue 13).
    wrap_header(ws, header_row, len(cols))
    fit_row_heights(
        ws, header_row + 1, [i + 1 for i, c in enumerate(cols) if c.wrap], sheet_last_row(ws)
    )
    return header_row, last_row


def _template(ws: Worksheet, col: Col, *, link: bool) -> StyleArray | None:
    """The style of a column's cells, built once and copied into each cell (much faster than
    assigning number formats and fonts cell by cell)."""
    probe = Cell(ws)
    if col.fmt:
        probe.number_format = col.fmt
    probe.alignment = WRAP if col.wrap else TOP
    if link:
        probe.font = LINK_FONT
    return probe._style if probe.has_style else None


def fit_widths(ws: Worksheet, cols: Sequence[Col], data: Sequence[Sequence[Any]]) -> None:
    """Sizes columns from a sample of values and the header's longest word (headers wrap),
    within 8 to 60 characters."""
    for i, col in enumerate(cols):
        letter = get_column_letter(i + 1)
        if col.width is not None:
            ws.column_dimensions[letter].width = col.width
            continue
        longest = max(len(w) for w in col.header.split())
        for v in data[i][:_SAMPLE_ROWS] if data else ():
            if v is None:
                continue
            text = v if isinstance(v, str) else f"{v:,.0f}" if isinstance(v, float) else str(v)
            longest = max(longest, len(text.split("\n", 1)[0]))
        if col.fmt in (DATE, DATETIME):
            longest = max(longest, 16 if col.fmt == DATETIME else 11)  # +2 below: no "###"
        ws.column_dimensions[letter].width = min(max(longest + 2, 8), 60)


def add_value_fills(
    ws: Worksheet, column: int, first_row: int, last_row: int, fills: Mapping[str, str]
) -> None:
    """Colours cells by exact text with conditional formatting, which survives sorting."""
    if last_row < first_row:
        return
    letter = get_column_letter(column)
    rng = f"{letter}{first_row}:{letter}{last_row}"
    for text, colour in fills.items():
        literal = '"' + text.replace('"', '""') + '"'
        ws.conditional_formatting.add(
            rng,
            CellIsRule(
                operator="equal",
                formula=[literal],
                fill=PatternFill(start_color=colour, end_color=colour, fill_type="solid"),
            ),
        )


def write_title(ws: Worksheet, title: str, subtitle: str | None = None) -> None:
    """A bold title (and an optional explanatory line) at the top of a sheet."""
    append_row(ws, [title])[0].font = TITLE_FONT
    if subtitle:
        append_row(ws, [subtitle])
