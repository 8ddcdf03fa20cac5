"""Every value written fits SharePoint's limits; what cannot fit is quarantined, the row goes on."""

from __future__ import annotations

import json
from typing import Any

from c3po_sync.m365.list_writer import SharePointListSink
from c3po_sync.sandbox.model import Tenant
from c3po_sync.sinks.base import ListSpec
from c3po_sync.sinks.limits import TEXT_MAX, cut_utf16, fit_rows, utf16_units

EMOJI = "\U0001f600"  # two UTF-16 code units


def _items(tenant: Tenant, spec: ListSpec) -> dict[str, dict[str, Any]]:
    lst = tenant.sites["/sites/hub"].list_by_title(spec.title)
    return {str(i.values.get("ProjectKey")): i.values for i in lst.items.values()}


def test_utf16_counting_and_cutting() -> None:
    assert utf16_units(EMOJI * 3) == 6
    cut = cut_utf16("a" + EMOJI * 200)  # 401 units
    assert utf16_units(cut) == 255 and cut == "a" + EMOJI * 127
    assert cut_utf16(EMOJI * 200) == EMOJI * 127  # 254 units: a pair is never split
    assert cut_utf16("short") == "short"


def test_shortened_display_text_says_so() -> None:
    from c3po_sync.sinks.limits import shorten

    assert shorten("x" * 255) == "x" * 255  # fits: unchanged
    long = shorten(EMOJI * 200)
    assert long.endswith("\u2026") and utf16_units(long) <= TEXT_MAX
    assert long[:-1] == EMOJI * 127  # a surrogate pair is never split


def test_values_over_the_limits_are_cut_or_quarantined(hub, tenant, spec, make_rows) -> None:
    sink = SharePointListSink(hub)
    sink.ensure_list(spec)
    rows = make_rows(6)
    long_key = "K" * 300  # never cut: "K" * 255 is another, valid key
    rows[0]["Title"] = EMOJI * 200
    rows[1]["Budget"] = float("inf")
    rows[2]["Budget"] = float("nan")
    rows[2]["Kickoff"] = "1899-12-31T00:00:00Z"
    rows[3]["Link"] = {"Url": "https://example.gov/" + "p" * 300, "Description": "too long"}
    rows[4]["Notes"] = "half a pair \ud83d here"
    rows[5]["Phase"] = "Dreaming"
    rows.append({**make_rows(1)[0], "ProjectKey": long_key})
    rows.append({**make_rows(1)[0], "ProjectKey": "K" * 255})

    report = sink.upsert(spec, rows)

    where = {(q.key[:10], q.column): q for q in report.quarantined}
    assert set(where) == {
        ("P001", "Budget"),
        ("P002", "Kickoff"),
        ("P003", "Link"),
        ("P004", "Notes"),
        ("P005", "Phase"),
        ("K" * 10, "ProjectKey"),
    }
    assert all(q.list_title == spec.title and q.reason for q in report.quarantined)
    assert "collide" in where[("K" * 10, "ProjectKey")].reason
    items = _items(tenant, spec)
    assert long_key not in items and "K" * 255 in items  # the long key is not cut into it
    assert items["P000"]["Title"] == EMOJI * 127 + "\u2026"  # shortened, and says so
    assert items["P001"].get("Budget") is None and items["P002"].get("Budget") is None
    assert items["P002"].get("Kickoff") is None and items["P003"].get("Link") is None
    assert items["P004"].get("Notes") is None and items["P005"].get("Phase") is None
    assert items["P005"]["Title"] == "Project 5"  # the rest of the row is written
    for values in items.values():
        for v in values.values():
            if isinstance(v, str):
                json.dumps(v).encode("utf-8")  # encodable: no lone surrogate reached the wire
    assert "quarantined" in report.describe()

    again = sink.upsert(spec, rows)
    assert again.writes == 0 and len(again.quarantined) == len(report.quarantined)


def test_nan_is_null_and_not_quarantined(spec) -> None:
    row = {"ProjectKey": "P", "Budget": float("nan"), "Title": None}
    (fitted,), refused = fit_rows(spec, [row])
    assert fitted["Budget"] is None and refused == []
    assert TEXT_MAX == 255
