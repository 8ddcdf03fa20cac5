"""Tests of CAML view parsing."""

from __future__ import annotations

import pytest

from c3po_sync.sandbox.caml import parse_view_xml
from c3po_sync.sandbox.errors import BadRequest
from c3po_sync.sandbox.odata_filter import evaluate


def test_full_view() -> None:
    view = parse_view_xml(
        "<View Scope='RecursiveAll'><Query><Where><And>"
        "<Eq><FieldRef Name='FSObjType'/><Value Type='Integer'>0</Value></Eq>"
        "<Or><BeginsWith><FieldRef Name='FileLeafRef'/><Value Type='Text'>TMS</Value></BeginsWith>"
        "<IsNull><FieldRef Name='Title'/></IsNull></Or></And></Where>"
        "<OrderBy><FieldRef Name='Modified' Ascending='FALSE'/><FieldRef Name='ID'/></OrderBy>"
        "</Query>"
        "<ViewFields><FieldRef Name='FileRef'/><FieldRef Name='Modified'/></ViewFields>"
        "<RowLimit Paged='TRUE'>2000</RowLimit></View>"
    )
    assert view.scope == "RecursiveAll" and view.row_limit == 2000 and view.paged
    assert view.order_by == [("Modified", False), ("ID", True)]
    assert view.view_fields == ["FileRef", "Modified"]
    assert evaluate(view.where, {"FSObjType": 0, "FileLeafRef": "tms.docx", "Title": "x"}.get)
    assert not evaluate(view.where, {"FSObjType": 1, "FileLeafRef": "tms.docx"}.get)


def test_client_enum_scope_and_defaults() -> None:
    assert parse_view_xml('<View Scope="ViewScope.RecursiveAll"/>').scope == "RecursiveAll"
    view = parse_view_xml("")
    assert view.scope is None and view.where is None and view.row_limit is None


def test_lookup_id_and_in() -> None:
    view = parse_view_xml(
        "<View><Query><Where><And>"
        "<Eq><FieldRef Name='PPM' LookupId='TRUE'/><Value Type='Integer'>7</Value></Eq>"
        "<In><FieldRef Name='Status'/><Values>"
        "<Value Type='Text'>A</Value><Value Type='Text'>B</Value></Values></In>"
        "</And></Where></Query></View>"
    )
    assert evaluate(view.where, {"PPMId": 7, "Status": "b"}.get)


@pytest.mark.parametrize(
    "xml", ["<View><Query>", "<View Scope='Bogus'/>", "<View><RowLimit>x</RowLimit></View>"]
)
def test_bad_views(xml: str) -> None:
    with pytest.raises(BadRequest):
        parse_view_xml(xml)
