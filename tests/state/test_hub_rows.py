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


def test_rows_are_upserted_dropped_and_replaced_per_list(store) -> None:
    a, b = StoredRow(1, '"1"', {"Title": "h1"}), StoredRow(2, None, {"Title": "h2"})
    store.save_hub_rows("C3PO Portfolio", {"SJ311": a, "TMS": b})
    store.save_hub_rows("C3PO Compliance Findings", {"F1": a})
    store.save_hub_rows("C3PO Portfolio", {"TMS": StoredRow(2, '"3"', {"Title": "h3"})}, ["SJ311"])
    assert store.hub_rows("C3PO Portfolio") == {"TMS": StoredRow(2, '"3"', {"Title": "h3"})}
    many = {f"K{i}": StoredRow(i, None, {}) for i in range(1_234)}
    store.save_hub_rows("C3PO Portfolio", many, replace=True)
    assert store.hub_rows("C3PO Portfolio") == many
    assert store.hub_rows("C3PO Compliance Findings") == {"F1": a}
