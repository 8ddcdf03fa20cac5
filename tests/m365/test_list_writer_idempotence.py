"""Writes stay exactly-once when a `$batch` answer is lost, and duplicates left earlier heal."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from c3po_sync.m365.auth import StaticTokenProvider
from c3po_sync.m365.http import SiteConnection
from c3po_sync.m365.list_dedupe import odata_literal
from c3po_sync.m365.list_writer import SharePointListSink, UpsertError
from c3po_sync.sandbox.faults import FaultConfig
from c3po_sync.sandbox.model import Tenant
from c3po_sync.sandbox.server import SandboxServer
from c3po_sync.sinks.base import ListSpec

from .conftest import FAST_RETRY, hub_site, projects_site, tenant_dict


class _LoseBatchReplies(SandboxServer):
    """Applies `$batch` requests, then loses the answer of the first ``lose`` of them.

    ``how`` is ``truncate`` (half the body, then the connection closes), ``drop`` (applied,
    then the connection closes without a byte) or ``before`` (dropped before it is applied).
    """

    lose = 1
    how = "truncate"
    lost = 0

    def handle(self, request):  # type: ignore[no-untyped-def]
        if self.lost < self.lose and request.path.endswith("/_api/$batch"):
            self.lost += 1
            if self.how == "before":
                from c3po_sync.sandbox.server import Reply

                return Reply(0), True, False
            reply, _drop, _truncate = super().handle(request)
            return reply, self.how == "drop", self.how == "truncate"
        return super().handle(request)


def _hub_list(tenant: Tenant, title: str = "Project Rollup"):
    return tenant.sites["/sites/hub"].list_by_title(title)


def _keys(tenant: Tenant) -> Counter[str]:
    return Counter(str(i.values.get("ProjectKey")) for i in _hub_list(tenant).items.values())


def _rows_by_key(tenant: Tenant, spec: ListSpec) -> dict[str, dict[str, Any]]:
    cols = [c.wire_name for c in spec.owned_columns]
    return {
        str(i.values.get("ProjectKey")): {c: i.values.get(c) for c in cols}
        for i in _hub_list(tenant).items.values()
    }


def _serve(cls: type[SandboxServer] = SandboxServer, **kw: Any) -> tuple[Tenant, SandboxServer]:
    tenant = Tenant.from_dict(tenant_dict([projects_site(), hub_site()]))
    return tenant, cls(tenant, port=0, **kw).start()


def _sink(server: SandboxServer) -> SharePointListSink:
    conn = SiteConnection.open(
        server.url + "/sites/hub", StaticTokenProvider("sandbox"), policy=FAST_RETRY
    )
    return SharePointListSink(conn)


@pytest.mark.parametrize("how", ["truncate", "drop", "before"])
@pytest.mark.parametrize("n", [3, 250])  # a filtered re-read by key; a full paged re-read
def test_lost_batch_answer_adds_each_row_once(how: str, n: int, spec: ListSpec, make_rows) -> None:
    tenant, server = _serve(_LoseBatchReplies)
    server.how = how  # type: ignore[attr-defined]
    try:
        sink = _sink(server)
        sink.ensure_list(spec)
        rows = make_rows(n)

        report = sink.upsert(spec, rows)

        assert server.lost == 1  # type: ignore[attr-defined]
        assert report.replans == 1 and not report.failed
        assert sorted(report.added) == sorted(r["ProjectKey"] for r in rows)
        keys = _keys(tenant)
        assert len(keys) == n and max(keys.values()) == 1
        again = sink.upsert(spec, rows)
        assert again.writes == 0 and again.recycled == {}
    finally:
        server.stop()


def test_lost_batch_answer_with_updates_and_marks_is_replanned(spec: ListSpec, make_rows) -> None:
    tenant, server = _serve(_LoseBatchReplies)
    server.lose = 0  # type: ignore[attr-defined]
    try:
        sink = _sink(server)
        sink.ensure_list(spec)
        rows = make_rows(6)
        sink.upsert(spec, rows)
        changed = [dict(r, Phase="Run", Budget=1.5) for r in rows[:4]]
        marks = {"Phase": "Gone", "Active": False}
        versions = {i.id: i.version for i in _hub_list(tenant).items.values()}
        server.lose = 1  # type: ignore[attr-defined]

        report = sink.upsert(spec, changed, mark_missing=marks)

        assert report.replans == 1 and not report.failed and report.conflicts == 0
        assert sorted(report.changed) == ["P000", "P001", "P002", "P003"]
        assert sorted(report.marked) == ["P004", "P005"]
        after = _hub_list(tenant).items.values()
        assert all(i.version == versions[i.id] + 1 for i in after)  # each written once
        by_key = _rows_by_key(tenant, spec)
        assert by_key["P004"]["Phase"] == "Gone" and by_key["P000"]["Phase"] == "Run"
    finally:
        server.stop()


def test_keys_with_quotes_are_reread_by_an_escaped_filter(spec: ListSpec, make_rows) -> None:
    assert odata_literal("O'Brien") == "'O''Brien'"
    tenant, server = _serve(_LoseBatchReplies)
    try:
        sink = _sink(server)
        sink.ensure_list(spec)
        odd = ["O'Brien", "x' or ProjectKey ne '", "a&b=c?d#e/f", "100% ünïcode"]
        rows = [dict(r, ProjectKey=k) for r, k in zip(make_rows(len(odd)), odd, strict=True)]

        report = sink.upsert(spec, rows)

        assert report.replans == 1 and not report.failed
        assert _keys(tenant) == Counter(odd)
        assert server.stats.count("GET", "items") >= 2  # the first read and the filtered one
    finally:
        server.stop()


def test_answers_lost_again_and_again_fail_without_duplicates(spec: ListSpec, make_rows) -> None:
    tenant, server = _serve(_LoseBatchReplies)
    server.lose = 100  # type: ignore[attr-defined]
    server.how = "before"  # type: ignore[attr-defined]
    try:
        sink = _sink(server)
        sink.ensure_list(spec)
        rows = make_rows(5)
        with pytest.raises(UpsertError, match="answer to its \\$batch was lost") as err:
            sink.upsert(spec, rows)
        assert len(err.value.report.failed) == 5
        server.lose = 0  # type: ignore[attr-defined]
        report = sink.upsert(spec, rows)  # the next run completes it
        assert len(report.added) == 5
        assert _keys(tenant) == Counter(r["ProjectKey"] for r in rows)
    finally:
        server.stop()


def _end_state(faults: FaultConfig | None, spec: ListSpec, rows_runs: list) -> dict:
    tenant, server = _serve(faults=faults)
    try:
        sink = _sink(server)
        sink.ensure_list(spec)
        marks = {"Phase": "Gone", "Active": False}
        for rows in rows_runs:
            sink.upsert(spec, rows, mark_missing=marks)
        keys = _keys(tenant)
        assert max(keys.values()) == 1, [k for k, n in keys.items() if n > 1]
        if faults is not None:
            assert server.stats.faults, "nothing was injected"
        return _rows_by_key(tenant, spec)
    finally:
        server.stop()


@pytest.mark.faults
@pytest.mark.parametrize("seed", range(5))
def test_drops_and_truncation_on_batch_end_like_a_clean_run(
    seed: int, spec: ListSpec, make_rows
) -> None:
    first = make_rows(230)
    second = [dict(r, Phase="Run") if i % 7 == 0 else r for i, r in enumerate(first[:200])]
    runs = [first, second, second]
    clean = _end_state(None, spec, runs)
    faults = FaultConfig(routes={"batch"}, p_drop=0.3, p_truncate=0.3, seed=seed)
    assert _end_state(faults, spec, runs) == clean


def test_service_duplicate_is_recycled_the_noted_one_kept(
    hub, tenant: Tenant, spec: ListSpec, make_rows
) -> None:
    lst = _hub_list_after_provision(hub, tenant, spec)
    plain = lst.add_item({"ProjectKey": "P000", "Title": "machine"}).id
    noted = lst.add_item({"ProjectKey": "P000", "Title": "machine", "PPMComment": "call me"}).id

    report = SharePointListSink(hub).upsert(spec, make_rows(1))

    assert report.recycled == {"P000": [plain]} and report.duplicates == {}
    assert "recycled 1 duplicate item(s) of 1 key(s)" in report.describe()
    assert plain not in lst.items
    assert lst.items[noted].values["PPMComment"] == "call me"
    assert lst.items[noted].values["Title"] == "Project 0"


def test_duplicate_a_person_edited_is_kept_and_reported(
    hub, tenant: Tenant, spec: ListSpec, make_rows
) -> None:
    lst = _hub_list_after_provision(hub, tenant, spec)
    low = lst.add_item({"ProjectKey": "P000", "Title": "machine"}).id
    edited = lst.add_item({"ProjectKey": "P000", "Title": "machine"}).id
    person = tenant.user_by_login("sam.chen@example.gov")
    lst.update_item(edited, {"Title": "fixed by hand"}, editor=person)
    by_person = lst.add_item({"ProjectKey": "P000", "Title": "typed in"}, editor=person).id

    report = SharePointListSink(hub).upsert(spec, make_rows(1))

    # The edited one is kept (and updated); neither a person touched nor created is removed.
    assert report.recycled == {"P000": [low]}
    assert report.duplicates == {"P000": [by_person]}
    assert "1 duplicate key(s) a person edited, left alone" in report.describe()
    assert sorted(lst.items) == [edited, by_person]
    assert lst.items[by_person].values["Title"] == "typed in"


def test_dry_run_reports_duplicates_it_would_recycle(
    hub, tenant: Tenant, spec: ListSpec, make_rows
) -> None:
    lst = _hub_list_after_provision(hub, tenant, spec)
    lst.add_item({"ProjectKey": "P000", "Title": "a"})
    extra = lst.add_item({"ProjectKey": "P000", "Title": "a"}).id

    report = SharePointListSink(hub).upsert(spec, make_rows(1), dry_run=True)

    assert report.recycled == {"P000": [extra]}
    assert extra in lst.items


def _hub_list_after_provision(hub: SiteConnection, tenant: Tenant, spec: ListSpec):
    SharePointListSink(hub).ensure_list(spec)
    return _hub_list(tenant, spec.title)


def test_replan_after_a_recycle_and_a_kept_duplicate_reports_each_once(
    spec: ListSpec, make_rows
) -> None:
    """The re-read after a lost answer covers other keys than the first read healed."""
    tenant, server = _serve(_LoseBatchReplies)
    server.lose = 0  # type: ignore[attr-defined]
    try:
        sink = _sink(server)
        sink.ensure_list(spec)
        sink.upsert(spec, make_rows(2))
        lst = _hub_list(tenant)
        extra = lst.add_item({"ProjectKey": "P000", "Title": "Project 0"}).id
        person = tenant.user_by_login("sam.chen@example.gov")
        by_person = lst.add_item({"ProjectKey": "P001", "Title": "typed in"}, editor=person).id
        rows = make_rows(3)
        rows[1]["Phase"] = "Run"
        server.lose = 1  # type: ignore[attr-defined]

        report = sink.upsert(spec, rows)  # P000 unchanged; the P001 and P002 writes are lost

        assert report.replans == 1 and not report.failed
        assert report.recycled == {"P000": [extra]} and extra not in lst.items
        assert report.duplicates == {"P001": [by_person]} and by_person in lst.items
        assert report.added == ["P002"] and sorted(report.changed) == ["P001"]
        assert _keys(tenant) == Counter({"P000": 1, "P001": 2, "P002": 1})
    finally:
        server.stop()
