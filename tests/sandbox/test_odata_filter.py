"""Tests of the OData `$filter` parser and evaluator."""

from __future__ import annotations

import pytest

from c3po_sync.sandbox.errors import BadRequest
from c3po_sync.sandbox.odata_filter import evaluate, fields_in, parse_filter

ROW = {
    "Title": "O'Brien & Co",
    "Cost": 12.5,
    "Done": False,
    "Due": "2026-01-31T08:00:00Z",
    "Tags": ["A", "B"],
    "X": None,
}


def ok(text: str) -> bool:
    return evaluate(parse_filter(text), ROW.get)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Title eq 'O''Brien & Co'", True),
        ("Title eq 'o''brien & co'", True),
        ("Cost gt 12 and Cost lt 13", True),
        ("Cost ge 12.5 and not (Cost ne 12.5)", True),
        ("Done eq false or Cost eq 0", True),
        ("X eq null", True),
        ("X ne null", False),
        ("startswith(Title,'O''B')", True),
        ("substringof('& co',Title)", True),
        ("startswith(Title,'Z') eq false", True),
        ("Due ge datetime'2026-01-31T00:00:00-08:00'", True),
        ("Due gt datetime'2026-01-31T00:00:00-08:00'", False),
        ("Tags eq 'B'", True),
        ("12 lt Cost", True),
    ],
)
def test_expressions(text: str, expected: bool) -> None:
    assert ok(text) is expected


def test_fields_in() -> None:
    assert fields_in(parse_filter("(A eq 1 or B/Title eq 'x') and not startswith(C,'y')")) == {
        "A",
        "B/Title",
        "C",
    }


@pytest.mark.parametrize(
    "text", ["Title eq", "Title foo 'x'", "(Title eq 'x'", "Title eq 'x' extra", ""]
)
def test_syntax_errors(text: str) -> None:
    with pytest.raises(BadRequest):
        parse_filter(text)
