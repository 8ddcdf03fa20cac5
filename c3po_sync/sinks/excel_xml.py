"""A table body's row as sheet XML text: the bytes openpyxl's cell writer makes, without cells.

openpyxl writes a cell by making a ``Cell`` (its own style array, coordinate, data type) and
serializing it through lxml, element by element; for the rollup's ~160,000 body cells that was
most of the workbook's save time (issue 16: a new day at city size under 1 CPU s). Here a row
is one string, made with the rows around it a column at a time (a block of rows: one check and
one escape over a column's joined texts, not calls per cell): the style id of each column's
style is resolved once per save, column letters once per body, and text is escaped as lxml
escapes it (``&``, ``<``, ``>``, CR as ``&#13;``, anything past ASCII as a decimal character
reference, ``xml:space`` on text with outer blanks). ``tests/sinks/test_excel_stream.py``
compares the result with openpyxl's own output byte for byte, over data with every kind of
value the rollup writes.

Only the cases written here take this path; a row with anything else (a value of another
type, a URL with no text, a character XML cannot carry) returns None and its cells are made
and written by openpyxl as before, so nothing new is ever written in a way openpyxl would not.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import repeat
from typing import TYPE_CHECKING, Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.packaging.relationship import Relationship, RelationshipList
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet.dimensions import RowDimension
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.xml.constants import PKG_REL_NS
from openpyxl.xml.functions import fromstring, tostring

from c3po_sync.sinks.excel_safety import FORMULA_PREFIXES

if TYPE_CHECKING:
    from c3po_sync.sinks.excel_stream import TableBody

# What lxml refuses or writes differently: left to openpyxl's writer (which raises as before).
_UNWRITTEN = re.compile(ILLEGAL_CHARACTERS_RE.pattern + "|[\ud800-\udfff\ufffe\uffff]")
_TEXT_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\r", "&#13;"))
_ATTR_ESCAPES = (*_TEXT_ESCAPES[:3], ('"', "&quot;"), ("\n", "&#10;"), ("\t", "&#9;"))


def _escape(text: str, escapes: tuple[tuple[str, str], ...] = _TEXT_ESCAPES) -> str:
    for char, ref in escapes:
        if char in text:
            text = text.replace(char, ref)
    return text


def row_attrs(ws: Worksheet, row: int, height: float | None) -> list[tuple[str, str]] | None:
    """The ``<row>`` element's attributes after ``r``, as openpyxl writes the row's dimension;
    None when the row has none. ``height`` is the one its body keeps (:attr:`TableBody.heights`):
    it counts where the sheet's own dimension sets no height, as if it had been set there."""
    dim = ws.row_dimensions.get(row)  # .get: a lookup makes no dimension
    if dim is None:
        return None if height is None else list(RowDimension(ws, index=row, ht=height))
    if height is None or dim.ht is not None:
        return list(dim)
    dim.ht = height  # the attributes in openpyxl's order, the sheet left as it was
    try:
        return list(dim)
    finally:
        dim.ht = None


class RowXml:
    """Writes body rows of one worksheet as XML text; one per sheet save."""

    def __init__(self, ws: Worksheet) -> None:
        self.ws = ws
        wb = ws.parent
        self._styles = wb._cell_styles  # workbook-wide: ids in first-use order, as openpyxl
        self._epoch = wb.epoch
        self._iso_dates = wb.iso_dates
        # id(style) -> its "s" attribute, plain and with quotePrefix; the styles themselves
        # are kept in _held so no id is reused while this sheet is written.
        self._sids: tuple[dict[int, str], dict[int, str]] = ({}, {})
        self._held: list[StyleArray | None] = []
        self._plans: dict[int, tuple[TableBody, list[_Column]]] = {}
        self._serials: dict[date, str] = {}
        self._row_attrs: dict[tuple[Any, ...], str] = {}
        self._block: _Block | None = None  # the rows being written (RowXml.row)

    def _sid(self, style: StyleArray | None, quote: bool) -> str:
        """The cell's `` s="…"`` attribute (``""`` when unstyled: openpyxl leaves it out).
        Resolved the first time a style is met, which is when openpyxl's writer would add it
        to the workbook's styles, so every style gets the id it gets there."""
        known = self._sids[quote]
        attr = known.get(id(style))
        if attr is None:
            arr = StyleArray(style) if style is not None else None
            if quote:
                arr = arr if arr is not None else StyleArray()
                arr.quotePrefix = True
            attr = f' s="{self._styles.add(arr)}"' if arr and any(arr) else ""
            known[id(style)] = attr
            self._held.append(style)
        return attr

    def _serial(self, value: date) -> str | None:
        """A date's Excel serial as openpyxl writes it; None for what it would not take."""
        got = self._serials.get(value)
        if got is None:
            if isinstance(value, datetime) and value.tzinfo is not None:
                return None  # openpyxl raises on it: its own path does so
            serial = to_excel(value, self._epoch)
            if serial is None:
                return None
            got = self._serials[value] = format(serial, ".16g")  # as openpyxl's safe_string
        return got

    def _row_start(self, row_idx: int, height: float | None) -> tuple[str, bool]:
        """``<row r="…" …>`` with the row's dimension (its height), and whether it has one.

        ``height`` is the one the body keeps for the row (``excel_stream.row_attrs``). The
        attributes are made once per distinct height (and flags), not per row: iterating a
        dimension reads a dozen descriptors. A styled row is read on its own."""
        dim = self.ws.row_dimensions.get(row_idx)
        if dim is None:
            if height is None:
                return f'<row r="{row_idx}">', False
            key: tuple[Any, ...] | None = (height,)
        elif dim.has_style:
            key = None
        else:
            ht = dim.ht if dim.ht is not None else height
            key = (ht, dim.hidden, dim.outlineLevel, dim.collapsed, dim.thickBot,
                   dim.thickTop)  # fmt: skip
        attrs = self._row_attrs.get(key) if key is not None else None
        if attrs is None:
            pairs = row_attrs(self.ws, row_idx, height) or []
            attrs = "".join(f' {k}="{_escape(v, _ATTR_ESCAPES)}"' for k, v in pairs)
            if key is not None:
                self._row_attrs[key] = attrs
        return f'<row r="{row_idx}"{attrs}>', True

    def _plan(self, body: TableBody) -> list[_Column]:
        hit = self._plans.get(id(body))
        if hit is not None and hit[0] is body:
            return hit[1]
        plan = [
            _Column(
                letter=get_column_letter(i + 1),
                values=values,
                urls=body.urls.get(i),
                own=body.cell_styles.get(i),
                plain=body.plain[i],
                linked=body.linked[i],
                dates=bool(body.fmt_dates[i]),
            )
            for i, values in enumerate(body.columns)
        ]
        self._plans[id(body)] = (body, plan)
        return plan

    def row(
        self, body: TableBody, r: int, row_idx: int, height: float | None = None
    ) -> bytes | None:
        """Data row ``r`` (0-based) of ``body`` at sheet row ``row_idx`` (``height``: the one
        the body keeps for it); None when a cell of it is not of a kind written here (the
        caller then writes the row through openpyxl)."""
        if self._iso_dates:
            return None
        start, has_dim = self._row_start(row_idx, height)
        block = self._block
        if row_idx != body.first_row + r:  # not where the sheet writer places it
            block = None
        elif block is None or block.body is not body or not block.start <= r < block.stop:
            block = self._block = self._make_block(body, r)
        if block is not None and block.start <= r < block.stop:
            cells, links = block.texts[r - block.start], block.links.get(r, ())
        else:  # a cell whose style is met first here: resolved in its turn, cell by cell
            cells, links = self._row_cells(body, r, row_idx)
        if cells is None:
            return None
        if not cells and not (body.keep_empty and body.columns) and not has_dim:
            return b""  # no cell and no height: openpyxl writes no row for it either
        self.ws._hyperlinks.extend(links)  # written by write_hyperlinks() below
        return f"{start}{cells}</row>".encode("ascii", "xmlcharrefreplace")

    def _row_cells(
        self, body: TableBody, r: int, row_idx: int
    ) -> tuple[str | None, list[tuple[str, str]]]:
        """Row ``r``'s cells as XML and its links, a cell at a time (None: a cell is not of a
        kind written here). Each style is resolved as its cell is met, in openpyxl's order."""
        out = []
        links: list[tuple[str, str]] = []
        for col in self._plan(body):
            value: Any = col.values[r]
            url = col.urls[r] if col.urls is not None else None
            if value is None and url is None and not body.keep_empty:
                continue
            if value is None and url is not None:
                return None, links  # openpyxl would show the URL as the cell's text
            style = col.own[r] if col.own is not None else col.linked if url else col.plain
            tail = self._tail(value, style, col.dates)
            if tail is None:
                return None, links
            if tail:
                ref = f"{col.letter}{row_idx}"
                out.append(f'<c r="{ref}"{tail}')
                if url is not None:
                    links.append((ref, url))
        return "".join(out), links

    def _make_block(self, body: TableBody, r0: int) -> _Block:
        """The cells of ``body``'s rows from ``r0`` on, made a column at a time (bulk string
        work, not a few calls per cell: the rollup writes ~100,000 cells at city size).

        The block stops before the first row with a style not resolved yet: openpyxl numbers
        styles in the order cells are written, so that row goes cell by cell
        (:meth:`_row_cells`) and the next block starts after it."""
        plan = self._plan(body)
        stop = min(body.n_rows, r0 + _BLOCK_ROWS)
        for col in plan:
            stop = self._resolved_until(body, col, r0, stop)
        nums = list(map(str, range(body.first_row + r0, body.first_row + stop)))  # row numbers
        columns: list[list[str | None]] = []
        link_columns: list[list[tuple[str, str] | None]] = []
        for col in plan:
            cells = self._cells(body, col, r0, stop, nums)
            columns.append(cells)
            if col.urls is not None:
                link_columns.append([
                    (f"{col.letter}{n}", u) if u is not None and c else None
                    for n, c, u in zip(nums, cells, col.urls[r0:stop], strict=True)
                ])  # fmt: skip
        rows = zip(*columns, strict=True) if columns else repeat((), stop - r0)
        texts = [None if None in row else "".join(row) for row in rows]
        links = {}
        for k, row_links in enumerate(zip(*link_columns, strict=True)):
            found = [link for link in row_links if link is not None]
            if found:
                links[r0 + k] = found
        return _Block(body, r0, stop, texts, links)

    def _resolved_until(self, body: TableBody, col: _Column, r0: int, stop: int) -> int:
        """The first row in ``r0:stop`` where a cell of ``col`` has a style not resolved yet
        (``stop`` when there is none)."""
        plain, linked, own, urls = col.plain, col.linked, col.own, col.urls
        done, quoted_done = self._sids
        if own is not None:
            ids = set(map(id, own[r0:stop]))
        elif urls is not None:
            links = urls[r0:stop]
            ids = {id(s) for s, used in ((plain, not all(links)), (linked, any(links))) if used}
        else:
            ids = {id(plain)}
        if ids <= done.keys() and (
            ids <= quoted_done.keys() or not _any_quoted(col.values[r0:stop])
        ):
            return stop
        keep_empty = body.keep_empty
        for r in range(r0, stop):
            value = col.values[r]
            url = urls[r] if urls is not None else None
            if value is None and url is None and not keep_empty:
                continue
            style = own[r] if own is not None else linked if url else plain
            quoted = isinstance(value, str) and value.startswith(FORMULA_PREFIXES)
            if id(style) not in (quoted_done if quoted else done):
                return r
        return stop

    def _cells(
        self, body: TableBody, col: _Column, r0: int, stop: int, nums: list[str]
    ) -> list[str | None]:
        """The XML of ``col``'s cells in rows ``r0:stop`` (sheet rows ``nums``; "": no cell,
        None: not of a kind written here), every style already resolved. A column of one kind
        of value (text, numbers, dates) is made in one pass; any other, cell by cell."""
        values = col.values[r0:stop]
        urls = col.urls[r0:stop] if col.urls is not None else None
        done = self._sids[0]
        styles: Iterable[StyleArray | None]
        attrs: Iterable[str]
        if col.own is not None:
            styles = col.own[r0:stop]
            attrs = [done.get(id(s), "") for s in styles]
        elif urls is not None:
            styles = [col.linked if u else col.plain for u in urls]
            plain, linked = done.get(id(col.plain), ""), done.get(id(col.linked), "")
            attrs = [linked if u else plain for u in urls]
        else:
            styles = repeat(col.plain, stop - r0)
            attrs = repeat(done.get(id(col.plain), ""), stop - r0)
        letter = col.letter
        keep_empty = body.keep_empty
        types = set(map(type, values)) - {type(None)}
        cells: list[str | None] | None = None
        if types == {str}:
            cells = _text_cells(values, letter, nums, attrs, keep_empty)
        elif types <= {int, float} and all(math.isfinite(v) for v in values if type(v) is float):
            numbers = [None if v is None else format(v, ".16g") for v in values]
            cells = _number_cells(numbers, letter, nums, attrs, keep_empty)
        elif col.dates and types <= {date, datetime}:
            serials = self._serials  # each day's serial, made once per sheet
            new = set(values) - serials.keys() - {None}
            # an aware datetime has none: openpyxl's path raises
            if all(self._serial(v) is not None for v in new):
                days = [None if v is None else serials[v] for v in values]
                cells = _number_cells(days, letter, nums, attrs, keep_empty)
        if cells is None:  # cell by cell
            tails = [
                ("" if not keep_empty else self._tail(None, s, False))
                if v is None
                else self._tail(v, s, col.dates)
                for v, s in zip(values, styles, strict=True)
            ]
            cells = [f'<c r="{letter}{n}"{t}' if t else t for n, t in zip(nums, tails, strict=True)]
        if urls is not None:  # a link without text: openpyxl would show the URL as the text
            cells = [
                None if v is None and u is not None else c
                for c, v, u in zip(cells, values, urls, strict=True)
            ]
        return cells

    def _tail(self, value: Any, style: StyleArray | None, dates: bool) -> str | None:
        """A cell's XML after its reference (``""``: no cell is written); None when the value
        is not of a kind written here."""
        sid = self._sid
        if isinstance(value, str):
            if _UNWRITTEN.search(value):
                return None
            attr = sid(style, value.startswith(FORMULA_PREFIXES))
            if not value:
                return f'{attr} t="inlineStr"></c>'
            space = ' xml:space="preserve"' if value != value.strip() else ""
            return f'{attr} t="inlineStr"><is><t{space}>{_escape(value)}</t></is></c>'
        if type(value) is int or (type(value) is float and math.isfinite(value)):
            number = format(value, ".16g")  # as openpyxl's safe_string
            return f'{sid(style, False)} t="n"><v>{number}</v></c>'
        if value is None:  # an empty cell of a bordered grid: written only when styled
            attr = sid(style, False)
            return f'{attr} t="n"></c>' if attr else ""
        if dates and isinstance(value, date):
            serial = self._serial(value)
            if serial is None:
                return None
            return f'{sid(style, False)} t="n"><v>{serial}</v></c>'
        return None


def _any_quoted(values: Sequence[Any]) -> bool:
    """Some value is text openpyxl writes with ``quotePrefix`` (it starts like a formula)."""
    types = set(map(type, values))
    if str not in types:
        return False
    if types <= {str, type(None)}:  # as _text_cells checks (a NUL inside a text: a maybe)
        joined = "\0" + "\0".join(filter(None, values))
        return _QUOTED.search(joined) is not None
    return any(v.startswith(FORMULA_PREFIXES) for v in values if isinstance(v, str))


def _number_cells(
    numbers: list[str | None], letter: str, nums: list[str], attrs: Iterable[str], keep_empty: bool
) -> list[str | None]:
    """A number or date column's cells from each value's ``<v>`` text (None: no value)."""
    return [
        f'<c r="{letter}{n}"{a} t="n"><v>{v}</v></c>'
        if v is not None
        else f'<c r="{letter}{n}"{a} t="n"></c>'
        if keep_empty and a
        else ""
        for v, n, a in zip(numbers, nums, attrs, strict=True)
    ]


def _text_cells(
    values: Sequence[str | None],
    letter: str,
    nums: list[str],
    attrs: Iterable[str],
    keep_empty: bool,
) -> list[str | None] | None:
    """The XML of a column's cells of text (None values: empty cells) in column ``letter``,
    rows ``nums``, styled ``attrs``, as :meth:`RowXml._tail` makes them; None when a text needs
    more than escaping (a character XML cannot carry, a formula's first character, outer
    blanks): those go cell by cell.

    The texts are checked and escaped joined (by NUL, which no text written here holds),
    not one by one."""
    texts = list(filter(None, values))
    if _UNWRITTEN.search("\n".join(texts)):  # also: no text holds a NUL
        return None
    joined = "\0" + "\0".join(texts)
    if _QUOTED.search(joined) or list(map(str.strip, texts)) != texts:
        return None  # quotePrefix or xml:space: cell by cell
    escaped = _escape(joined).split("\0")[1:]
    if len(texts) == len(values):  # no empty cell: the texts are the column
        return [
            f'<c r="{letter}{n}"{a} t="inlineStr"><is><t>{e}</t></is></c>'
            for n, e, a in zip(nums, escaped, attrs, strict=True)
        ]
    rest = iter(escaped)
    return [
        f'<c r="{letter}{n}"{a} t="inlineStr"><is><t>{next(rest)}</t></is></c>'
        if v
        else f'<c r="{letter}{n}"{a} t="inlineStr"></c>'
        if v is not None
        else f'<c r="{letter}{n}"{a} t="n"></c>'
        if keep_empty and a
        else ""
        for v, n, a in zip(values, nums, attrs, strict=True)
    ]


# A text written with quotePrefix (it starts like a formula), in texts each led by a NUL (a
# literal first: re scans for it at C speed; six `in` tests stopped at every NUL).
_QUOTED = re.compile(f"\0[{re.escape(''.join(FORMULA_PREFIXES))}]")

# Rows a block makes at once: bulk work per column, a bounded slice of text held.
_BLOCK_ROWS = 500


@dataclass
class _Column:
    """One body column as a row is written: its letter, values, URLs and styles."""

    letter: str
    values: Sequence[Any]
    urls: Sequence[str | None] | None
    own: Sequence[StyleArray] | None
    plain: StyleArray | None
    linked: StyleArray | None
    dates: bool


@dataclass
class _Block:
    """Rows ``start:stop`` of a body as XML: each row's cells (None: a cell of it is not of a
    kind written here) and, by row, its cells' links."""

    body: TableBody
    start: int
    stop: int
    texts: list[str | None]
    links: dict[int, list[tuple[str, str]]]


_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_HYPERLINK = f"{_REL_NS}/hyperlink"


class _LinkRel:
    """A hyperlink's relationship, as openpyxl's ``Relationship`` holds it, without its
    descriptors (one per link: thousands on a big sheet)."""

    __slots__ = ("Id", "Target", "TargetMode", "Type")

    def __init__(self, target: str) -> None:
        self.Type = _HYPERLINK
        self.Target = target
        self.TargetMode = "External"
        self.Id: str | None = None

    @property
    def id(self) -> str | None:
        return self.Id

    @property
    def target(self) -> str:
        return self.Target


class SheetRels(RelationshipList):
    """A sheet's relationships, its hyperlinks' written as text (:meth:`xml_chunks`): the
    same bytes as openpyxl's tree, which held an lxml element per link (~1.2 KB each: some
    25 MB for the Assets sheet's 20,000 links at 4x city size, issue 16)."""

    def add_link(self, target: str) -> str:
        rel = _LinkRel(target)
        list.append(self, rel)  # ElementList.append accepts only Relationship objects
        rel.Id = f"rId{len(self)}"  # as RelationshipList.append numbers them
        return rel.Id

    def xml_chunks(self) -> Iterator[bytes]:
        """The ``.rels`` part as openpyxl's ``tostring(self.to_tree())`` gives it (UTF-8), a slice
        at a time."""
        parts = [f'<Relationships xmlns="{PKG_REL_NS}">']
        for rel in self:
            if type(rel) is _LinkRel:  # most of them: its attributes known, in __attrs__ order
                target = _escape(rel.Target, _ATTR_ESCAPES)
                parts.append(
                    f'<Relationship Type="{_HYPERLINK}" Target="{target}" TargetMode="External"'
                    f' Id="{rel.Id}"/>'
                )
                continue
            attrs = (
                f' {k}="{_escape(str(v), _ATTR_ESCAPES)}"'
                for k in Relationship.__attrs__
                if (v := getattr(rel, k)) is not None
            )
            parts.append(f"<Relationship{''.join(attrs)}/>")
            if len(parts) >= _PARTS_PER_CHUNK:
                yield "".join(parts).encode("utf-8")
                parts.clear()
        parts.append("</Relationships>")
        yield "".join(parts).encode("utf-8")

    def to_tree(self) -> Any:
        return fromstring(b"".join(self.xml_chunks()))


def hyperlinks_xml(links: Sequence[Any], rels: SheetRels) -> Iterator[bytes]:
    """The sheet's ``<hyperlinks>`` element as openpyxl's writer makes it, a slice at a time,
    each link's relationship added to ``rels``. ``links`` holds (ref, URL) pairs from
    :class:`RowXml` and openpyxl's own ``Hyperlink`` objects (cells it made), in the order the
    cells were written."""
    parts = ["<hyperlinks>"]
    for link in links:
        if isinstance(link, tuple):
            ref, target = link
            parts.append(
                f'<hyperlink xmlns:r="{_REL_NS}" ref="{ref}" r:id="{rels.add_link(target)}"/>'
            )
        else:
            if link.target:  # as WorksheetWriter.write_hyperlinks
                rel = Relationship(type="hyperlink", TargetMode="External", Target=link.target)
                rels.append(rel)
                link.id = rel.id
            parts.append(tostring(link.to_tree()).decode("utf-8"))
        if len(parts) >= _PARTS_PER_CHUNK:
            yield "".join(parts).encode("ascii", "xmlcharrefreplace")
            parts.clear()
    parts.append("</hyperlinks>")
    yield "".join(parts).encode("ascii", "xmlcharrefreplace")


_PARTS_PER_CHUNK = 1000  # elements gathered before their text goes on: never a sheet's worth
