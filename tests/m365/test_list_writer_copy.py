"""The writer against its stored copy (issue 16): rows are compared by one digest each, and
the column digests are asked for only for the rows that differ (a list of 20,000 rows is not
held twice over); a plan of the rows that can differ writes those and leaves the rest alone."""

from __future__ import annotations

import dataclasses
from typing import Any

from c3po_sync.m365.base_permissions import WRITE, has
from c3po_sync.m365.list_writer import KnownWrite, SharePointListSink
from c3po_sync.m365.site_rights import effective_permissions
from c3po_sync.sandbox.model import Tenant
from c3po_sync.sandbox.server import SandboxServer
from c3po_sync.sinks.base import ListSpec
from c3po_sync.sinks.ledger import ListCopy, StoredRow


class MemoryCopy:
    """A ``RowLedger`` in memory, counting what the writer asks of it."""

    def __init__(self) -> None:
        self.rows: dict[str, StoredRow] = {}
        self.whole: ListCopy | None = None
        self.asked: list[str] = []

    def known(self, keys: list[str] | None = None) -> ListCopy | None:
        if self.whole is None:
            return None
        rows = {k: StoredRow(r.item_id, r.etag, None, r.digest) for k, r in self.rows.items()}
        if keys is not None:
            rows = {k: r for k, r in rows.items() if k in keys}
        return ListCopy(rows, self.whole.time_zone, self.whole.entity_type, self.whole.columns)

    def columns(self, keys: list[str]) -> dict[str, dict[str, str]]:
        self.asked += keys
        return {k: dict(self.rows[k].columns or {}) for k in keys if k in self.rows}

    def begin(self) -> None:
        self.whole = None

    def save(self, rows: dict[str, StoredRow], gone: set[str] | None = None) -> None:
        self.rows.update(rows)

    def replace(self, rows: dict[str, StoredRow]) -> None:
        self.rows = dict(rows)

    def finish(self, copy: ListCopy) -> None:
        self.whole = copy


def _values(tenant: Tenant) -> dict[str, dict[str, Any]]:
    items = tenant.sites["/sites/hub"].list_by_title("Project Rollup").items.values()
    return {it.values["ProjectKey"]: it.values for it in items}


def test_rows_compared_by_one_digest_columns_read_only_for_those_that_differ(
    hub, server: SandboxServer, tenant: Tenant, spec: ListSpec, make_rows
) -> None:
    sink = SharePointListSink(hub)
    sink.ensure_list(spec)
    copy = MemoryCopy()
    rows = make_rows(300)
    marks = {"Phase": "Gone", "Active": False}
    sink.upsert(spec, rows, mark_missing=marks, ledger=copy)
    assert copy.whole is not None and len(copy.rows) == 300 and copy.asked == []

    rows[5] = {**rows[5], "Budget": 1.0}
    rows[7] = {**rows[7], "Title": "renamed"}
    server.stats.reset()
    report = sink.upsert(spec, rows[:-1], mark_missing=marks, ledger=copy)

    assert report.changed == {"P005": ["Budget"], "P007": ["Title"]}
    assert report.marked == ["P299"] and report.unchanged == 297
    assert sorted(copy.asked) == ["P005", "P007", "P299"]  # not the 297 others
    assert server.stats.count("GET", "items") == 0  # the copy, not the list, was diffed
    assert _values(tenant)["P299"]["Phase"] == "Gone"

    # Only the rows that can differ: the others are neither compared nor marked.
    copy.asked.clear()
    server.stats.reset()
    some = [{**rows[9], "Budget": 2.0}, rows[10]]
    changed = sink.upsert_changed(spec, some, total=299, ledger=copy)

    assert changed is not None and changed.changed == {"P009": ["Budget"]}
    assert changed.unchanged == 298 and changed.marked == []
    assert copy.asked == ["P009"] and server.stats.count("GET", "items") == 0
    assert _values(tenant)["P009"]["Budget"] == 2.0 and _values(tenant)["P299"]["Phase"] == "Gone"
    assert copy.whole is not None  # every outcome known: the copy is whole again

    # A copy in doubt is not used: nothing is sent, the caller plans the list in full.
    copy.begin()
    server.stats.reset()
    assert sink.upsert_changed(spec, some, total=299, ledger=copy) is None
    assert server.stats.count("POST", "batch") == 0


def test_rows_stored_before_their_digest_are_compared_by_column_once(
    hub, server: SandboxServer, spec: ListSpec, make_rows
) -> None:
    """A copy from before migration 0005 has no row digests: its rows are compared column by
    column, found equal, and their digests saved; the next night compares by digest alone."""
    sink = SharePointListSink(hub)
    sink.ensure_list(spec)
    copy = MemoryCopy()
    rows = make_rows(20)
    sink.upsert(spec, rows, ledger=copy)
    copy.rows = {k: StoredRow(r.item_id, r.etag, r.columns) for k, r in copy.rows.items()}

    server.stats.reset()
    report = sink.upsert(spec, rows, ledger=copy)
    assert report.writes == 0 and len(copy.asked) == 20
    assert all(r.digest for r in copy.rows.values()) and copy.whole is not None
    assert server.stats.count("POST", "batch") == 0

    copy.asked.clear()
    assert sink.upsert(spec, rows, ledger=copy).writes == 0 and copy.asked == []


def test_changed_rows_of_two_lists_go_in_one_batch_each_with_its_own_outcomes(
    hub, server: SandboxServer, tenant: Tenant, spec: ListSpec, make_rows
) -> None:
    """Issue 16: a new day's changed rows of several hub lists share one ``$batch``; the reads
    before them (the app's rights, the hub's zone) share one read ``$batch``. Each list keeps
    its own outcomes though the two lists have the same keys: a 412 on one is re-read and
    re-applied there only, the other's copy is whole again."""
    kickoff = [dataclasses.replace(c, date_only=c.internal_name == "Kickoff") for c in spec.columns]
    spec = dataclasses.replace(spec, columns=tuple(kickoff))  # dated: the zone is read
    other = dataclasses.replace(spec, title="Project Rollup Two")
    copies = {s.title: MemoryCopy() for s in (spec, other)}
    first = SharePointListSink(hub)
    for s in (spec, other):
        first.ensure_list(s)
        first.upsert(s, make_rows(5), ledger=copies[s.title])
    sink = SharePointListSink(hub)  # a new night: nothing read yet
    rows = make_rows(5)
    a = sink.plan_changed(spec, [{**rows[1], "Budget": 7.0}], total=5, ledger=copies[spec.title])
    b = sink.plan_changed(other, [{**rows[1], "Title": "renamed"}, {**rows[2], "Budget": 8.0}],
                          total=5, ledger=copies[other.title])  # fmt: skip
    assert isinstance(a, KnownWrite) and isinstance(b, KnownWrite)
    two = tenant.sites["/sites/hub"].list_by_title(other.title)
    edited = next(i for i in two.items.values() if i.values["ProjectKey"] == "P002")
    two.update_item(edited.id, {"PPMComment": "a hand edit after our last write"})  # stale ETag
    server.stats.reset()
    asked: list[int] = []

    def rights() -> None:  # as before_hub_write asks them (m365/site_rights.py)
        asked.append(server.stats.count("POST"))
        assert has(effective_permissions(hub), WRITE)

    order: list[tuple[int, object, int]] = []

    def settled(i: int, outcome: object) -> None:
        order.append((i, outcome, b.report.conflicts))

    outcomes = sink.write_known([a, b], rights=True, before_write=rights, settled=settled)

    assert outcomes == [True, True]
    # each list handed back as soon as it is settled: the first recorded before the second's
    # 412 is re-read (a run killed then keeps the first's writes in the write log)
    assert order == [(0, True, 0), (1, True, 1)]
    assert asked == [1]  # the rights were asked after the one read $batch, before any write
    assert server.stats.count("GET", "web_permissions") == 0  # read in the $batch
    assert server.stats.count("GET", "web_permissions", in_batch=True) == 1
    assert server.stats.count("GET", "time_zone", in_batch=True) == 1
    assert server.stats.count("POST", "batch") == 2  # one read $batch, one write $batch
    assert server.stats.count("MERGE", in_batch=True) == 3
    assert a.report.changed == {"P001": ["Budget"]} and a.report.conflicts == 0
    assert b.report.changed == {"P001": ["Title"], "P002": ["Budget"]}
    assert b.report.conflicts == 1 and not b.report.failed  # re-read and re-applied
    assert a.report.requests + b.report.requests == server.stats.total  # each counted once
    assert copies[spec.title].whole is not None  # every outcome known
    assert copies[other.title].whole is None  # a 412: the list is read next time
    assert _values(tenant)["P001"]["Budget"] == 7.0
    by_key = {it.values["ProjectKey"]: it.values for it in two.items.values()}
    assert by_key["P001"]["Title"] == "renamed" and by_key["P002"]["Budget"] == 8.0
    assert by_key["P002"]["PPMComment"] == "a hand edit after our last write"
    # each list's copy holds its own item's new ETag for the key both lists have
    one = tenant.sites["/sites/hub"].list_by_title(spec.title)
    for lst, copy in ((one, copies[spec.title]), (two, copies[other.title])):
        item = next(i for i in lst.items.values() if i.values["ProjectKey"] == "P001")
        assert copy.rows["P001"].item_id == item.id and copy.rows["P001"].etag == item.etag


def test_a_list_whose_zone_moved_is_left_unsent_the_others_go(
    hub, server: SandboxServer, tenant: Tenant, spec: ListSpec, make_rows
) -> None:
    """The hub's zone is not the one a copy's dates were written in: that list is handed back
    (None: plan it in full), nothing sent for it; the other list's writes go."""
    kickoff = [dataclasses.replace(c, date_only=c.internal_name == "Kickoff") for c in spec.columns]
    spec = dataclasses.replace(spec, columns=tuple(kickoff))
    other = dataclasses.replace(spec, title="Project Rollup Two")
    copies = {s.title: MemoryCopy() for s in (spec, other)}
    first = SharePointListSink(hub)
    for s in (spec, other):
        first.ensure_list(s)
        first.upsert(s, make_rows(3), ledger=copies[s.title])
    moved = copies[other.title].whole
    assert moved is not None
    copies[other.title].whole = dataclasses.replace(moved, time_zone="Asia/Tokyo")
    sink = SharePointListSink(hub)
    rows = make_rows(3)
    a = sink.plan_changed(spec, [{**rows[1], "Budget": 7.0}], total=3, ledger=copies[spec.title])
    b = sink.plan_changed(other, [{**rows[1], "Budget": 9.0}], total=3,
                          ledger=copies[other.title])  # fmt: skip
    assert isinstance(a, KnownWrite) and isinstance(b, KnownWrite)
    server.stats.reset()

    assert sink.write_known([a, b]) == [True, None]

    assert server.stats.count("MERGE", in_batch=True) == 1  # list one's only
    assert b.ops == [] and b.report.changed == {}
    assert copies[other.title].whole is not None  # not begun: the caller plans it in full
    two = tenant.sites["/sites/hub"].list_by_title(other.title)
    assert {i.values["ProjectKey"]: i.values["Budget"] for i in two.items.values()}["P001"] != 9.0
