"""A first run's writes are not held all at once (issue 16, peak memory at 4x city size).

The write bodies are made as their ``$batch`` goes and dropped once it is answered, and the
stored copy's column digests are taken as the store reads each row, not for every row ahead.
Counted as live objects (``gc``), not as bytes or time: the counts do not depend on the machine.
"""

from __future__ import annotations

import gc
from collections.abc import Mapping
from typing import Any

import pytest

from c3po_sync.m365 import list_writer
from c3po_sync.m365.batch import BatchOp
from c3po_sync.m365.list_writer import SharePointListSink
from c3po_sync.sandbox.server import SandboxServer
from c3po_sync.sinks.base import ListSpec
from c3po_sync.sinks.ledger import ListCopy, StoredRow

ROWS = 250  # three $batch requests of up to 100 writes


def _live_bodies() -> int:
    return sum(1 for o in gc.get_objects() if isinstance(o, BatchOp) and o.body)


def _live_digested() -> int:
    return sum(1 for o in gc.get_objects() if isinstance(o, StoredRow) and o.columns)


class ChunkedCopy:
    """A ``RowLedger`` that reads the rows it is given one at a time, as the state store does
    (``state/hub_rows.save_hub_rows``), and counts the digested rows alive when handed them."""

    def __init__(self) -> None:
        self.rows: dict[str, tuple[int, str | None, str | None, int]] = {}
        self.digested_when_handed: int | None = None
        self.whole: ListCopy | None = None

    def known(self, keys: list[str] | None = None) -> ListCopy | None:
        return None

    def columns(self, keys: list[str]) -> dict[str, dict[str, str]]:
        return {}

    def begin(self) -> None:
        self.whole = None

    def _take(self, rows: Mapping[str, StoredRow]) -> None:
        self.digested_when_handed = _live_digested()
        for key in list(rows):
            row = rows[key]
            self.rows[key] = (row.item_id, row.etag, row.digest, len(row.columns or {}))

    def save(self, rows: Mapping[str, StoredRow], gone: set[str] | None = None) -> None:
        self._take(rows)

    def replace(self, rows: Mapping[str, StoredRow]) -> None:
        self.rows = {}
        self._take(rows)

    def finish(self, copy: ListCopy) -> None:
        self.whole = copy


@pytest.mark.slow
def test_a_first_run_holds_one_batch_of_bodies_and_no_digests_ahead(
    hub: Any,
    server: SandboxServer,
    spec: ListSpec,
    make_rows: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sink = SharePointListSink(hub)
    sink.ensure_list(spec)
    bodies: list[int] = []
    send = list_writer.send_batch

    def counted(conn: Any, ops: list[BatchOp], out: Any) -> list[BatchOp]:
        bodies.append(_live_bodies())
        return send(conn, ops, out)

    monkeypatch.setattr(list_writer, "send_batch", counted)
    copy = ChunkedCopy()
    server.stats.reset()
    report = sink.upsert(spec, make_rows(ROWS), ledger=copy)

    assert len(report.added) == ROWS and server.stats.count("POST", "batch") == 3
    assert len(bodies) == 3 and max(bodies) <= 100  # was every write's body: 250
    assert copy.digested_when_handed == 0  # was a digested StoredRow per row: 250
    owned = len(spec.owned_columns)
    assert len(copy.rows) == ROWS and all(r[3] == owned and r[2] for r in copy.rows.values())
    assert copy.whole is not None  # every outcome known: the copy is whole
