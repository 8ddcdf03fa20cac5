"""What the rollup holds and makes while it is built and saved (issue 16: a new day's CPU at
city size, peak memory at 4x): counted as objects and calls, never timed.

- a wrapped row of a table body keeps its height in the body (an array), not in a ~300-byte
  openpyxl RowDimension per row; the file still carries every height;
- the sheets' link relationships are written as text, not as an lxml tree of every link;
- a table body keeps the columns it was given when they are already plain, not copies.
"""

from __future__ import annotations

import io
import math
import re
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from c3po_sync.sinks import excel_safety, excel_xml
from c3po_sync.sinks.excel_format import Col, write_table
from c3po_sync.sinks.excel_print import LINE_HEIGHT_PT, text_lines
from c3po_sync.sinks.excel_rollup import build_rollup, rollup_bytes
from c3po_sync.sinks.excel_safety import MAX_URL_CHARS, cell_value, safe_url
from c3po_sync.sinks.excel_stream import StreamedWorkbook, bodies

from .conftest import RUN_INFO, TODAY, build_findings, build_tables

LONG = "A long message that wraps over several lines of the Message column. " * 3


@pytest.fixture(scope="module")
def wrapped() -> StreamedWorkbook:
    tables = build_tables(30, 60, 20)
    findings = build_findings(tables, 80)
    findings["message"] = [LONG if i % 2 else "short" for i in range(len(findings))]
    wb = build_rollup(tables, findings, today=TODAY, run_info=RUN_INFO)
    assert isinstance(wb, StreamedWorkbook)
    return wb


def test_wrapped_body_rows_make_no_row_dimension(wrapped: StreamedWorkbook) -> None:
    """~30,000 RowDimensions (~300 bytes each) at 4x city size: now only rows outside a body (the
    header, a title) have one; the body keeps its rows' heights in an array."""
    ws = wrapped["Findings"]
    assert set(ws.row_dimensions) <= {1}  # the wrapped header row only
    (body,) = bodies(ws)
    kept = [r for r in range(body.n_rows) if body.height(r)]
    assert len(kept) >= 30  # every other finding wraps
    for name in ("Portfolio", "Assets", "Data quality"):
        sheet = wrapped[name]
        assert all(r < bodies(sheet)[0].first_row for r in sheet.row_dimensions), name


def test_the_file_carries_each_wrapped_rows_height(wrapped: StreamedWorkbook) -> None:
    ws = openpyxl.load_workbook(io.BytesIO(rollup_bytes(wrapped)))["Findings"]
    headers = [c.value for c in ws[1]]
    col = headers.index("Message") + 1
    width = ws.column_dimensions[openpyxl.utils.get_column_letter(col)].width
    for r in range(2, ws.max_row + 1):
        value = ws.cell(r, col).value
        lines = text_lines(value, width) if isinstance(value, str) else 1
        height = ws.row_dimensions[r].height if r in ws.row_dimensions else None
        assert height == (lines * LINE_HEIGHT_PT if lines > 1 else None), r


def test_link_relationships_are_written_without_a_tree(
    wrapped: StreamedWorkbook, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An lxml element per link was ~1.2 KB: ~25 MB for the Assets sheet at 4x city size."""
    parsed: list[int] = []
    real = excel_xml.fromstring

    def counted(text: bytes) -> Any:
        parsed.append(len(text))
        return real(text)

    monkeypatch.setattr(excel_xml, "fromstring", counted)
    data = rollup_bytes(wrapped)
    assert parsed == []
    book = openpyxl.load_workbook(io.BytesIO(data))
    links = [c.hyperlink.target for c in book["Findings"]["E"][1:] if c.hyperlink]
    assert links and all(t.startswith("https://") for t in links)


def test_a_table_keeps_plain_columns_as_given() -> None:
    """A copy of every column (a pointer per value, 5 MB at 4x) was held until the save."""
    wb = StreamedWorkbook()
    texts = ["a", None, "b & c", "=1+1"]
    numbers = [1, None, 2.5, 3]
    days = [date(2026, 1, 1), None, datetime(2026, 1, 2, 3, 4), None]
    dirty = ["ok", "bad\x01", None, "cr\r"]
    cols = [Col("T"), Col("N"), Col("D"), Col("X")]
    write_table(wb.active, "T", cols, [texts, numbers, days, dirty])
    (body,) = bodies(wb.active)
    assert body.columns[0] is texts and body.columns[1] is numbers and body.columns[2] is days
    assert body.columns[3] == ["ok", "bad", None, "cr\n"]


_VALUES = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.integers(),
    st.booleans(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.dates(),
    st.datetimes(timezones=st.sampled_from([None, UTC, timezone(timedelta(hours=-8))])),
    st.just(pd.NA),
    st.just(pd.NaT),
    st.lists(st.text(max_size=3), max_size=2),
    st.just(pd.Timestamp("2026-11-01 08:00", tz="UTC")),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.lists(_VALUES, max_size=6), st.lists(st.text(max_size=8), max_size=6)))
def test_cell_values_are_cell_value_of_each(values: list[Any]) -> None:
    got = excel_safety.cell_values(values)
    want = [cell_value(v) for v in values]
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert type(g) is type(w)
        assert g is w or g == w or (isinstance(w, float) and math.isnan(w) and math.isnan(g))


def _safe_url_by_urlsplit(value: Any) -> str | None:
    """safe_url as it was, every link read by urlsplit: the fast path must agree with it."""
    if not isinstance(value, str) or not value or len(value) > MAX_URL_CHARS:
        return None
    if ILLEGAL_CHARACTERS_RE.search(value) or any(ch in value for ch in '\r\n\t "<>'):
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return value


_URL_PIECES = st.sampled_from(
    ["http", "https", "HTTPS", "ftp", "javascript", ":", "//", "/", "?", "#", "@", "[", "]",
     "::1", "x.example", "city-1.sharepoint.com", ":443", ":", "a b", "é", "%20", "\t", "\x01",
     "", "sites/itd", "Lists/A%20B/DispForm.aspx?ID=5", "-", "."]
)  # fmt: skip


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_URL_PIECES, max_size=8).map("".join))
def test_safe_url_agrees_with_urlsplit(value: str) -> None:
    assert safe_url(value) == _safe_url_by_urlsplit(value)


@pytest.mark.parametrize(
    "url",
    [
        "https://city.sharepoint.com/sites/itd/Lists/X/DispForm.aspx?ID=5",
        "HTTP://a.example",
        "https://a.example:8443?x=1",
        "https://a.example#top",
        "https://a.example:x/",
        "https://[::1]/x",
        "https://[::1/x",
        "https:///x",
        "https://user@a.example/",
        "http:/a.example",
        "file:///etc/passwd",
    ],
)
def test_safe_url_agrees_with_urlsplit_on_known_shapes(url: str) -> None:
    assert safe_url(url) == _safe_url_by_urlsplit(url)


def test_rows_lose_no_height_kept_beside_a_dimension() -> None:
    """A body row whose sheet dimension sets no height (hidden, say) is written with both."""
    wb = StreamedWorkbook()
    ws = wb.active
    write_table(ws, "T", [Col("Text", width=10, wrap=True)], [[LONG, "x", LONG]])
    ws.row_dimensions[2].hidden = True
    ws.row_dimensions[4].height = 99
    xml = re.findall(rb"<row [^>]*>", _sheet_xml(rollup_bytes(wb)))
    lines = text_lines(LONG, 10)
    assert xml[1] == f'<row r="2" hidden="1" ht="{lines * 15}" customHeight="1">'.encode()
    assert xml[2] == b'<row r="3">'
    assert xml[3] == b'<row r="4" ht="99" customHeight="1">'
    assert ws.row_dimensions[2].ht is None  # the sheet left as it was


def _sheet_xml(data: bytes) -> bytes:
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return z.read("xl/worksheets/sheet1.xml")


def test_each_assets_support_state_is_worked_out_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Summary sheet counts the support states the Assets sheet lists: one pass over the
    assets serves both (it parsed every end-of-support date twice)."""
    from c3po_sync.model import domain

    calls = 0
    states = domain.support_status

    def counted(*args: Any) -> list[str]:
        nonlocal calls
        calls += 1
        return states(*args)

    monkeypatch.setattr(domain, "support_status", counted)
    tables = build_tables(30, 60, 20)
    wb = build_rollup(tables, build_findings(tables, 40), today=TODAY, run_info=RUN_INFO)
    assert calls == 1
    assets = wb["Assets"]
    listed = next(b for b in bodies(assets)).columns[6]
    assert listed == domain.support_status(
        tables.assets["lifecycle_stage"], tables.assets["end_of_support"], TODAY
    )


def test_the_workload_sheet_works_out_active_projects_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The PPM workload's load counts the active projects it has just worked out (it worked
    them out again for the load); the Summary sheet works them out for itself."""
    from c3po_sync.model import domain

    calls = 0
    rows = domain.active_rows

    def counted(*args: Any) -> pd.Series:
        nonlocal calls
        calls += 1
        return rows(*args)

    monkeypatch.setattr(domain, "active_rows", counted)
    tables = build_tables(30, 60, 20)
    build_rollup(tables, build_findings(tables, 40), today=TODAY, run_info=RUN_INFO)
    assert calls == 2  # Summary, PPM workload


@pytest.mark.parametrize(
    "series",
    [
        pd.Series(["a", None, float("nan"), pd.NA, pd.NaT, ["x", None], 3, 2.5], dtype=object),
        pd.Series(["a", None, "b"], dtype="string"),
        pd.Series([1, None, 3], dtype="Int64"),
        pd.Series([1.5, None, float("nan")], dtype="Float64"),
        pd.Series([1.5, float("nan"), -0.0]),
        pd.Series([1, 2, 3]),
        pd.Series([True, None], dtype="boolean"),
        pd.Series([True, False]),
        pd.Series(pd.to_datetime(["2026-01-02", None])),
        pd.Series(pd.to_datetime(["2026-01-02T03:04:05Z", None], utc=True)),
        pd.Series(["p", None, "q"], dtype="category"),
        pd.Series(pd.to_timedelta(["1 day", None])),
        pd.Series([], dtype=object),
    ],
)
def test_py_values_are_each_value_with_missing_as_none(series: pd.Series) -> None:
    """One conversion per column (to_numpy with None for missing) gives, value for value and
    type for type, what the three pandas copies it replaced gave."""
    from c3po_sync.sinks.excel_data import py_values

    was = series.astype(object).where(series.notna(), None).tolist() if len(series) else []
    got = py_values(series, "any")
    assert [type(v) for v in got] == [type(v) for v in was]
    assert [repr(v) for v in got] == [repr(v) for v in was]
