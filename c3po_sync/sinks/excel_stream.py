"""Table bodies written as the workbook is saved, not held as cells while it is built.

openpyxl's normal mode keeps every cell as an object (the cell, its own style array, its key
in the sheet's dict: about 375 bytes each), so the rollup of a tenant four times the city's
size held over 200 MB of cells until it was saved (issue 16, peak memory). Write-only mode
would avoid that but forbids what the rollup's sheets do after writing rows (charts over
blocks, header cells styled, cells read back). Here a table's body is kept as the columns of
values it was built from (the values exist anyway) and each row is written straight as XML
text while the sheet is saved (``excel_xml``; a row it does not cover is made into cells for
openpyxl to write, then dropped): the file is the same, byte for byte, as when the cells were
made up front (``tests/sinks/test_excel_stream.py`` compares them, over random bodies too).

Only a :class:`StreamedWorkbook` defers bodies; any other workbook gets its cells at once,
so a plain ``Workbook.save`` never drops a body.

What a body's rows need beyond their values is kept as compactly: a wrapped row's height in
the body's array (not a RowDimension per row), and the sheet's links and their relationships
go into the archive as text in slices (not an lxml tree of every link). At 4x city size those
were ~9 MB of RowDimensions and ~25 MB of tree for the Assets sheet (issue 16, peak memory).
"""

from __future__ import annotations

import datetime
import heapq
import time
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

from openpyxl import Workbook
from openpyxl.cell._writer import write_cell
from openpyxl.cell.cell import Cell
from openpyxl.comments.comment_sheet import CommentRecord
from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
from openpyxl.packaging.relationship import Relationship, get_rels_path
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.worksheet.dimensions import SheetDimension
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter
from openpyxl.xml.functions import tostring

from c3po_sync.sinks.excel_safety import FORMULA_PREFIXES
from c3po_sync.sinks.excel_xml import RowXml, SheetRels, hyperlinks_xml, row_attrs

_NUMERIC = (int, float)  # exact types: bool is written as a boolean by openpyxl
_BODIES = "_c3po_bodies"  # the attribute a worksheet's deferred bodies are kept in
_ROWS_PER_WRITE = 500  # text rows gathered before they go to the file
# zlib's fastest level, not its default 6: the city's workbook deflates in 0.05 CPU s, not
# 0.12, for a file of 1.71 MB, not 1.33 (measured, issue 16); the sheets inside are the same.
ZIP_LEVEL = 1


@dataclass
class TableBody:
    """The data rows of one table: column-wise cell values, per-row URLs, column styles."""

    first_row: int  # sheet row of the first data row
    columns: list[list[Any]]  # cell values (already made safe: excel_safety.cell_value)
    urls: Mapping[int, Sequence[str | None]]  # 0-based column -> per-row safe URL or None
    plain: Sequence[StyleArray | None]  # each column's style
    linked: Sequence[StyleArray | None]  # each linked column's style (None: not linked)
    fmt_dates: Sequence[bool]  # the column is formatted as a date
    # 0-based column -> each row's own style, instead of the column's (a grid coloured by state)
    cell_styles: Mapping[int, Sequence[StyleArray]] = field(default_factory=dict)
    # every position is a cell, styled even when it holds no value (a bordered grid)
    keep_empty: bool = False
    extent: tuple[int, int, int, int] | None = field(init=False)  # min row, col, max row, col
    # Each row's height in points (0: none), for rows the sheet has no RowDimension for: set by
    # excel_print.fit_row_heights and written in the row's XML as it is saved. A RowDimension
    # per wrapped row was ~300 bytes each (~30,000 of them at 4x city size, issue 16).
    heights: array[float] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        rows: list[int] = []
        cols: list[int] = []
        for i in range(len(self.columns)):
            first, last = self._first_last(i)
            if first is not None and last is not None:
                rows += [first, last]
                cols.append(i + 1)
        self.extent = (
            (self.first_row + min(rows), min(cols), self.first_row + max(rows), max(cols))
            if rows
            else None
        )

    @property
    def n_rows(self) -> int:
        return len(self.columns[0]) if self.columns else 0

    def set_height(self, r: int, points: float) -> None:
        """Gives data row ``r`` (0-based) an explicit height in points."""
        if self.heights is None:
            self.heights = array("d", bytes(8 * self.n_rows))
        self.heights[r] = points

    def height(self, r: int) -> float | None:
        """Data row ``r``'s height in points, if :meth:`set_height` gave it one."""
        heights = self.heights
        return (heights[r] or None) if heights is not None else None

    def value(self, row: int, column: int) -> Any:
        """The value of the body's cell at sheet ``row``, 1-based ``column`` (None if outside)."""
        r = row - self.first_row
        if not 0 <= r < self.n_rows or not 1 <= column <= len(self.columns):
            return None
        return self.columns[column - 1][r]

    def present(self, r: int, column: int) -> bool:
        """Row ``r`` (0-based) has a cell in 0-based ``column``: a value or a URL."""
        if self.keep_empty:
            return True
        urls = self.urls.get(column)
        return self.columns[column][r] is not None or (urls is not None and urls[r] is not None)

    def _first_last(self, column: int) -> tuple[int | None, int | None]:
        """The first and last row (0-based) with a cell in 0-based ``column``."""
        rows = range(self.n_rows)
        first = next((r for r in rows if self.present(r, column)), None)
        last = next((r for r in reversed(rows) if self.present(r, column)), None)
        return first, last

    def row_cells(self, ws: Worksheet, r: int) -> list[Cell]:
        """The cells of data row ``r`` (0-based), in column order; empty cells are left out.

        Every string is literal text (never a formula), as ``excel_safety.append_row`` does.
        """
        row = self.first_row + r
        out = []
        for i, values in enumerate(self.columns):
            value = values[r]
            url = self.urls[i][r] if i in self.urls else None
            if value is None and url is None and not self.keep_empty:
                continue
            own = self.cell_styles.get(i)
            style = own[r] if own is not None else self.linked[i] if url else self.plain[i]
            cell = Cell(ws, row=row, column=i + 1, style_array=style)
            if isinstance(value, str):
                # Bypasses openpyxl's formula/error sniffing: data is always literal text.
                cell._value = value
                cell.data_type = "s"
                if value.startswith(FORMULA_PREFIXES):
                    cell.quotePrefix = True
            elif type(value) in _NUMERIC:
                cell._value = value
            elif self.fmt_dates[i] and isinstance(value, date):
                cell._value = value
                cell.data_type = "d"
            elif value is not None:
                cell.value = value
            if url is not None:
                cell.hyperlink = url
            out.append(cell)
        return out


class StreamedWorkbook(Workbook):
    """A workbook whose table bodies are made into cells only while it is saved."""

    def save(self, filename: Any) -> None:
        save_streamed(self, filename)


def add_body(ws: Worksheet, body: TableBody, *, defer: bool = True) -> None:
    """Keeps ``body`` for the save when the workbook streams (and ``defer``); else makes its
    cells now."""
    if defer and isinstance(ws.parent, StreamedWorkbook):
        ws.__dict__.setdefault(_BODIES, []).append(body)
        return
    store = ws._cells
    for r in range(body.n_rows):
        for cell in body.row_cells(ws, r):
            store[(cell.row, cell.column)] = cell
        points = body.height(r)
        if points is not None and body.first_row + r not in ws.row_dimensions:
            ws.row_dimensions[body.first_row + r].height = points


def bodies(ws: Worksheet) -> list[TableBody]:
    found: list[TableBody] = ws.__dict__.get(_BODIES, [])
    return found


def value_at(ws: Worksheet, row: int, column: int) -> Any:
    """The value at ``row``, ``column``, whether its cell exists or is still in a body."""
    cell = ws._cells.get((row, column))
    if cell is not None:
        return cell.value
    for body in bodies(ws):
        if body.first_row <= row < body.first_row + body.n_rows:
            return body.value(row, column)
    return None


def has_cell(ws: Worksheet, row: int, column: int) -> bool:
    """A cell exists at ``row``, ``column``, or a body will make one there."""
    if (row, column) in ws._cells:
        return True
    for body in bodies(ws):
        r = row - body.first_row
        if 0 <= r < body.n_rows and 1 <= column <= len(body.columns):
            return body.present(r, column - 1)
    return False


def sheet_last_row(ws: Worksheet) -> int:
    """``ws.max_row`` counting the rows still in bodies."""
    ends = [b.extent[2] for b in bodies(ws) if b.extent is not None]
    return max([ws.max_row, *ends])


def _first_height(parts: Sequence[tuple[TableBody, int]]) -> float | None:
    """The height the first body on a row keeps for it (fit_row_heights sets it there)."""
    return parts[0][0].height(parts[0][1]) if parts else None


def _body_rows(body: TableBody) -> Iterator[tuple[int, int, tuple[TableBody, int]]]:
    """The body's rows as (sheet row, 1, (body, row)): the merge's items after a sheet's own.

    A function of its own, so each sheet's bodies each yield their own rows (a generator
    expression nested in another would see only the last body).
    """
    return ((body.first_row + r, 1, (body, r)) for r in range(body.n_rows))


class _StreamingSheetWriter(WorksheetWriter):
    """Writes a sheet's cells merged, row by row, with its bodies' rows made on the fly.

    A body's row is written as XML text straight into the sheet's file (:mod:`.excel_xml`),
    the same bytes openpyxl's cell writer makes, without a ``Cell`` per value: making and
    serializing those objects was most of the rollup's save time (issue 16, a new day's CPU).
    A row the text writer does not cover (a cell with a value of another type, or a row
    shared with ordinary cells) is made into cells and written by openpyxl as before.
    """

    def __init__(self, ws: Worksheet, out: IO[bytes]) -> None:
        self._fh = out  # the sheet's member of the archive: no temporary file to read back
        super().__init__(ws, out=out)
        self._rels = SheetRels()
        self._xml = RowXml(ws)

    def write_dimensions(self) -> None:
        ws = self.ws
        extents = [b.extent for b in bodies(ws) if b.extent is not None]
        if ws._cells:
            rows = [r for r, _ in ws._cells]
            cols = [c for _, c in ws._cells]
            extents.append((min(rows), min(cols), max(rows), max(cols)))
        if not extents:
            ref = "A1:A1"
        else:
            ref = (
                f"{get_column_letter(min(e[1] for e in extents))}{min(e[0] for e in extents)}:"
                f"{get_column_letter(max(e[3] for e in extents))}{max(e[2] for e in extents)}"
            )
        self.xf.send(SheetDimension(ref).to_tree())

    def write_tables(self) -> None:
        """As openpyxl's, but a table's column names come from its header row alone.

        openpyxl reads them through ``ws[table.ref]``, which makes a cell for every position
        of the table: the body's cells, all at once, kept in the sheet (and written twice by a
        second save)."""
        for table in self.ws.tables.values():
            if not table.tableColumns:
                table._initialise_columns()
                if table.headerRowCount:
                    min_col, min_row, max_col, _ = range_boundaries(table.ref)
                    for col, c in zip(table.tableColumns, range(min_col, max_col + 1), strict=True):
                        col.name = str(value_at(self.ws, min_row, c))
        super().write_tables()

    def _merged(self) -> Iterator[tuple[int, list[Cell], list[tuple[TableBody, int]]]]:
        """Each row in order: its ordinary cells and the (body, body row) pairs landing on it."""
        merged = heapq.merge(
            ((row, 0, cells) for row, cells in super().rows()),
            *(_body_rows(body) for body in bodies(self.ws)),
            key=lambda item: (item[0], item[1]),
        )
        current: int | None = None
        cells: list[Cell] = []
        parts: list[tuple[TableBody, int]] = []
        for row, kind, what in merged:
            if row != current:
                if current is not None:
                    yield current, cells, parts
                current, cells, parts = row, [], []
            if kind == 0:
                cells.extend(what)
            else:
                parts.append(what)
        if current is not None:
            yield current, cells, parts

    def rows(self) -> Iterator[tuple[int, list[Cell]]]:
        for row, cells, parts in self._merged():
            made = [c for body, r in parts for c in body.row_cells(self.ws, r)]
            yield row, sorted([*cells, *made], key=lambda c: c.column)

    def write_rows(self) -> None:
        xf = self.xf.send(True)
        pending: list[bytes] = []

        def flush_text() -> None:
            if pending:
                xf.flush()  # what lxml holds goes first, then the text rows after it
                self._fh.write(b"".join(pending))
                pending.clear()

        with xf.element("sheetData"):
            for row, cells, parts in self._merged():
                text = None
                if not cells and len(parts) == 1:
                    body, r = parts[0]
                    text = self._xml.row(body, r, row, body.height(r))
                if text is not None:
                    pending.append(text)
                    if len(pending) >= _ROWS_PER_WRITE:
                        flush_text()
                    continue
                flush_text()
                made = [c for body, r in parts for c in body.row_cells(self.ws, r)]
                attrs = row_attrs(self.ws, row, _first_height(parts))
                if cells or made or attrs is not None:  # as openpyxl's rows()
                    row_cells = sorted([*cells, *made], key=lambda c: c.column)
                    self._write_row(xf, row_cells, row, attrs or [])
            flush_text()
        self.xf.send(None)

    def _write_row(
        self, xf: Any, cells: list[Cell], row: int, attrs: list[tuple[str, str]]
    ) -> None:
        """openpyxl's ``WorksheetWriter.write_row`` (3.1) with the row's attributes given:
        a body's row height is in no RowDimension."""
        with xf.element("row", {"r": f"{row}", **dict(attrs)}):
            for cell in cells:
                if cell._comment is not None:
                    self.ws._comments.append(CommentRecord.from_cell(cell))
                if cell._value is None and not cell.has_style and not cell._comment:
                    continue
                write_cell(xf, self.ws, cell, cell.has_style)

    def write_hyperlinks(self) -> None:
        links = self.ws._hyperlinks
        if links:
            xf = self.xf.send(True)
            xf.flush()  # what lxml holds goes first
            for chunk in hyperlinks_xml(links, self._rels):
                self._fh.write(chunk)
            self.xf.send(None)
        self.ws._hyperlinks = []  # written: the next save's writer starts a new list anyway

    def cleanup(self) -> None:
        pass  # the member is closed by its writer (_StreamingWriter.write_worksheet)


class _StreamingWriter(ExcelWriter):
    """openpyxl's ExcelWriter with the sheets that have bodies written by the writer above."""

    def _write_worksheets(self) -> None:
        """As ExcelWriter._write_worksheets (openpyxl 3.1), but a sheet's relationships of
        links (:class:`SheetRels`) go into the archive as text, a slice at a time, not as
        an lxml tree serialized whole."""
        pivot_caches = set()
        for idx, ws in enumerate(self.workbook.worksheets, 1):
            ws._id = idx
            self.write_worksheet(ws)
            if ws._drawing:
                self._write_drawing(ws._drawing)
                for r in ws._rels:
                    if "drawing" in r.Type:
                        r.Target = ws._drawing.path
            if ws._comments:
                self._write_comment(ws)
            if ws.legacy_drawing is not None:
                shape_rel = Relationship(
                    type="vmlDrawing", Id="anysvml", Target="/" + ws.legacy_drawing
                )
                ws._rels.append(shape_rel)
            for t in ws._tables.values():
                self._tables.append(t)
                t.id = len(self._tables)
                t._write(self._archive)
                self.manifest.append(t)
                ws._rels.get(t._rel_id).Target = t.path
            for p in ws._pivots:
                if p.cache not in pivot_caches:
                    pivot_caches.add(p.cache)
                    p.cache._id = len(pivot_caches)
                self._pivots.append(p)
                p._id = len(self._pivots)
                p._write(self._archive, self.manifest)
                self.workbook._pivots.append(p)
                ws._rels.append(Relationship(Type=p.rel_type, Target=p.path))
            if ws._rels:
                rels_path = get_rels_path(ws.path)[1:]
                if isinstance(ws._rels, SheetRels):
                    _write_member(self._archive, rels_path, ws._rels.xml_chunks())
                else:
                    self._archive.writestr(rels_path, tostring(ws._rels.to_tree()))

    def write_worksheet(self, ws: Worksheet) -> None:
        # As ExcelWriter.write_worksheet (openpyxl 3.1) for a normal-mode workbook.
        ws._drawing = SpreadsheetDrawing()
        ws._drawing.charts = ws._charts
        ws._drawing.images = ws._images
        if bodies(ws):
            # Straight into the archive, stamped as ZipFile.write() stamps openpyxl's
            # temporary file (owner read/write), not written to disk and read back.
            with _open_member(self._archive, ws.path[1:], 0o100600) as out:
                writer: WorksheetWriter = _StreamingSheetWriter(ws, out)
                writer.write()
        else:
            writer = WorksheetWriter(ws)
            writer.write()
            self._archive.write(writer.out, ws.path[1:])
        ws._rels = writer._rels
        self.manifest.append(ws)
        writer.cleanup()


def _open_member(archive: ZipFile, name: str, mode: int = 0o600) -> IO[bytes]:
    """An archive member open for writing, stamped now with file ``mode`` (as ``writestr``
    stamps one: 0o600; as ``write`` stamps a file with that mode)."""
    info = ZipInfo(name, date_time=time.localtime(time.time())[:6])
    info.compress_type = archive.compression
    info._compresslevel = archive.compresslevel  # type: ignore[attr-defined]  # as writestr()
    info.external_attr = mode << 16
    return archive.open(info, "w")


def _write_member(archive: ZipFile, name: str, chunks: Iterable[bytes]) -> None:
    """Writes an archive member from chunks, stamped as ``ZipFile.writestr`` stamps one."""
    with _open_member(archive, name) as fh:
        for chunk in chunks:
            fh.write(chunk)


def save_streamed(wb: Workbook, filename: str | IO[bytes]) -> None:
    """Saves ``wb`` as ``Workbook.save`` does (openpyxl's save_workbook), bodies included."""
    archive = ZipFile(filename, "w", ZIP_DEFLATED, allowZip64=True, compresslevel=ZIP_LEVEL)
    wb.properties.modified = datetime.datetime.now(tz=datetime.UTC).replace(tzinfo=None)
    _StreamingWriter(wb, archive).save()
