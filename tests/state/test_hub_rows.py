"""The hub lists' stored copy: rows replaced, never appended; one transaction per save."""

from __future__ import annotations

import pytest

from c3po_sync.sinks.ledger import StoredRow
from c3po_sync.state import StateStore


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    url = (
        f"sqlite:///{tmp_path / 'state.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("pg_url")
    )
    with StateStore(url) as s:
        yield s


def _read(row: StoredRow) -> StoredRow:
    """A row as read back: its column digests are read apart (``hub_row_columns``)."""
    return StoredRow(row.item_id, row.etag, None, row.digest)


def test_rows_are_upserted_dropped_and_replaced_per_list(store) -> None:
    a, b = StoredRow(1, '"1"', {"Title": "h1"}, "d1"), StoredRow(2, None, {"Title": "h2"})
    store.save_hub_rows("C3PO Portfolio", {"SJ311": a, "TMS": b})
    store.save_hub_rows("C3PO Compliance Findings", {"F1": a})
    c = StoredRow(2, '"3"', {"Title": "h3"}, "d3")
    store.save_hub_rows("C3PO Portfolio", {"TMS": c}, ["SJ311"])
    assert store.hub_rows("C3PO Portfolio") == {"TMS": _read(c)}
    assert store.hub_row_columns("C3PO Portfolio", ["TMS", "SJ311"]) == {"TMS": {"Title": "h3"}}
    many = {f"K{i}": StoredRow(i, None, {}) for i in range(1_234)}
    store.save_hub_rows("C3PO Portfolio", many, replace=True, tokens={"K1": ("3.0", None)})
    assert store.hub_rows("C3PO Portfolio") == {k: _read(r) for k, r in many.items()}
    assert store.hub_rows("C3PO Portfolio", ["K1", "K2", "X"]) == {
        "K1": _read(many["K1"]), "K2": _read(many["K2"])
    }  # fmt: skip
    assert store.hub_rows("C3PO Compliance Findings") == {"F1": _read(a)}
    assert len(store.hub_row_columns("C3PO Portfolio", list(many))) == 1_234


def test_what_each_row_was_planned_with_is_kept_and_moved(store) -> None:
    rows = {f"K{i}": StoredRow(i, None, {}) for i in range(3)}
    store.save_hub_rows("L", rows, tokens={"K0": ("a", None), "K1": ("", "2026-12-08")})
    assert store.hub_row_tokens("L") == {
        "K0": ("a", None), "K1": ("", "2026-12-08"), "K2": (None, None)
    }  # fmt: skip
    store.set_hub_row_tokens("L", {"K1": ("", None), "K2": ("b", "2027-01-01")})
    assert store.hub_row_tokens("L") == {
        "K0": ("a", None), "K1": ("", None), "K2": ("b", "2027-01-01")
    }  # fmt: skip
