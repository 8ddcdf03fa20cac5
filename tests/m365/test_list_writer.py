"""SharePointListSink against the sandbox: provisioning, idempotent upserts, ETags, marks."""

from __future__ import annotations

import random

import pytest

from c3po_sync.m365.errors import SchemaError
from c3po_sync.m365.list_writer import SharePointListSink
from c3po_sync.sandbox.faults import FaultConfig
from c3po_sync.sandbox.model import Tenant
from c3po_sync.sandbox.server import SandboxServer
from c3po_sync.sinks.base import ListSpec


def _hub_list(tenant: Tenant, title: str = "Project Rollup"):
    return tenant.sites["/sites/hub"].list_by_title(title)


def _by_key(tenant: Tenant) -> dict[str, dict]:
    return {it.values.get("ProjectKey"): it.values for it in _hub_list(tenant).items.values()}


def _writes(server: SandboxServer) -> int:
    return sum(server.stats.count(m) for m in ("POST", "MERGE", "PATCH", "PUT", "DELETE"))


def test_ensure_list_from_nothing_then_nothing_to_do(
    hub, server: SandboxServer, tenant: Tenant, spec: ListSpec
) -> None:
    sink = SharePointListSink(hub)

    plan = sink.ensure_list(spec, dry_run=True)
    assert plan[0] == "create list 'Project Rollup'"
    assert len(plan) == 1 + len(spec.columns) - 1  # Title exists on every list
    assert server.stats.count("POST", "lists") == 0

    changes = sink.ensure_list(spec)
    assert changes == plan
    lst = _hub_list(tenant)
    assert lst.base_template == 100
    key = lst.field("ProjectKey")
    assert (key.title, key.kind, key.indexed) == ("Project Key", "Text", True)
    assert lst.field("Phase").choices == ["Plan", "Build", "Run", "Gone"]
    assert lst.field("PPMComment").kind == "Note"
    assert lst.field("Link").kind == "URL"

    server.stats.reset()
    assert sink.ensure_list(spec) == []
    assert _writes(server) - server.stats.count("POST", "contextinfo") == 0


def test_upsert_twice_second_run_writes_nothing(
    hub, server: SandboxServer, tenant: Tenant, spec: ListSpec, make_rows
) -> None:
    sink = SharePointListSink(hub)
    sink.ensure_list(spec)
    rows = make_rows(250)

    first = sink.upsert(spec, rows)
    assert len(first.added) == 250
    assert server.stats.count("POST", "batch") == 3  # 100 + 100 + 50 operations
    assert server.stats.count("POST", "items", in_batch=True) == 250
    stored = _by_key(tenant)["P007"]
    assert stored["Budget"] == 7000.5 and stored["Phase"] == "Build"
    assert stored["Link"]["Url"] == "https://example.gov/p7"

    server.stats.reset()
    second = sink.upsert(spec, rows)
    assert second.writes == 0 and second.unchanged == 250
    assert server.stats.count("POST", "batch") == 0
    assert server.stats.count("GET", "items") == 1
    assert second.requests == 1


def test_one_changed_field_is_one_merge_of_that_field_and_comments_survive(
    hub, server: SandboxServer, tenant: Tenant, spec: ListSpec, make_rows
) -> None:
    sink = SharePointListSink(hub)
    sink.ensure_list(spec)
    rows = make_rows(5)
    sink.upsert(spec, rows)
    lst = _hub_list(tenant)
    item_id = next(i for i, it in lst.items.items() if it.values["ProjectKey"] == "P002")
    lst.update_item(item_id, {"PPMComment": "on hold until budget vote"})
    version = lst.items[item_id].version

    rows[2]["Budget"] = 99.25
    rows[2]["PPMComment"] = "must never be written"
    server.stats.reset()
    report = sink.upsert(spec, rows)

    assert report.changed == {"P002": ["Budget"]}
    assert report.unchanged == 4
    assert server.stats.count("MERGE", "item", in_batch=True) == 1
    item = lst.items[item_id]
    assert item.values["Budget"] == 99.25
    assert item.values["PPMComment"] == "on hold until budget vote"
    assert item.version == version + 1


def test_stale_etag_412_rereads_and_reapplies(
    hub, server: SandboxServer, tenant: Tenant, spec: ListSpec, make_rows
) -> None:
    sink = SharePointListSink(hub)
    sink.ensure_list(spec)
    rows = make_rows(3)
    sink.upsert(spec, rows)
    lst = _hub_list(tenant)
    item_id = next(i for i, it in lst.items.items() if it.values["ProjectKey"] == "P001")
    send = sink._send

    def edit_then_send(*args, **kwargs):
        # A PPM edits the item between our read and our write: our ETag is now stale.
        with tenant.lock:
            lst.update_item(item_id, {"PPMComment": "edited meanwhile", "Title": "Renamed"})
        return send(*args, **kwargs)

    sink._send = edit_then_send
    rows[1]["Phase"] = "Run"
    server.stats.reset()
    report = sink.upsert(spec, rows)

    assert report.conflicts == 1
    assert server.stats.statuses[412] == 1
    values = lst.items[item_id].values
    assert values["Phase"] == "Run"
    assert values["PPMComment"] == "edited meanwhile"
    assert values["Title"] == "Project 1"  # owned: our value re-applied over the edit


def test_mark_missing_is_written_once(
    hub, server: SandboxServer, tenant: Tenant, spec: ListSpec, make_rows
) -> None:
    sink = SharePointListSink(hub)
    sink.ensure_list(spec)
    rows = make_rows(4)
    sink.upsert(spec, rows)
    marks = {"Phase": "Gone", "Active": False}

    report = sink.upsert(spec, rows[:2], mark_missing=marks)
    assert sorted(report.marked) == ["P002", "P003"]
    assert len(_hub_list(tenant).items) == 4
    assert _by_key(tenant)["P002"]["Phase"] == "Gone"

    server.stats.reset()
    again = sink.upsert(spec, rows[:2], mark_missing=marks)
    assert again.marked == [] and again.writes == 0
    assert server.stats.count("POST", "batch") == 0


def test_mark_missing_must_name_owned_columns(hub, spec: ListSpec, make_rows) -> None:
    sink = SharePointListSink(hub)
    sink.ensure_list(spec)
    with pytest.raises(SchemaError, match="PPMComment"):
        sink.upsert(spec, make_rows(1), mark_missing={"PPMComment": "gone"})


def test_duplicate_keys_only_the_service_wrote_are_recycled(
    hub, tenant: Tenant, spec: ListSpec, make_rows
) -> None:
    sink = SharePointListSink(hub)
    sink.ensure_list(spec)
    lst = _hub_list(tenant)
    low = lst.add_item({"ProjectKey": "P000", "Title": "old"}).id
    high = lst.add_item({"ProjectKey": "P000", "Title": "older"}).id

    report = sink.upsert(spec, make_rows(1))

    assert report.recycled == {"P000": [high]} and report.duplicates == {}
    assert report.changed["P000"]
    assert lst.items[low].values["Title"] == "Project 0"
    assert high not in lst.items


def test_dry_run_writes_nothing(hub, server: SandboxServer, spec: ListSpec, make_rows) -> None:
    sink = SharePointListSink(hub)
    sink.ensure_list(spec)
    server.stats.reset()

    report = sink.upsert(spec, make_rows(3), dry_run=True)

    assert report.dry_run and len(report.added) == 3
    assert server.stats.count("POST", "batch") == 0


def test_throttled_batch_operations_are_resent(
    hub, server: SandboxServer, tenant: Tenant, spec: ListSpec, make_rows
) -> None:
    sink = SharePointListSink(hub)
    sink.ensure_list(spec)
    seed = next(s for s in range(1000) if random.Random(s).random() < 0.3)
    server.faults = FaultConfig(
        p429=0.3, retry_after_s=0, seed=seed, routes={"items"}, in_batch=True
    )

    report = sink.upsert(spec, make_rows(20))

    server.faults = FaultConfig()
    assert len(report.added) == 20
    assert server.stats.faults["429"] >= 1
    assert sorted(_by_key(tenant)) == [f"P{i:03d}" for i in range(20)]


def _partial_rollup(tenant: Tenant):
    lst = tenant.sites["/sites/hub"].create_list("Project Rollup", 100)
    lst.add_field("Project Key", "Text", internal_name="ProjectKey")
    lst.add_field("Budget", "Currency")
    return lst


def test_existing_list_gets_only_missing_columns(hub, tenant: Tenant, spec: ListSpec) -> None:
    lst = _partial_rollup(tenant)
    sink = SharePointListSink(hub)

    plan = sink.ensure_list(spec, dry_run=True)
    assert "index column ProjectKey" in plan
    assert not any(
        p.startswith(("create", "add column Budget", "add column ProjectKey")) for p in plan
    )
    assert "add column Phase (Choice, FieldTypeKind 6)" in plan

    sink.ensure_list(spec)
    assert lst.field("Phase").kind == "Choice"
    assert lst.field("Budget").kind == "Currency"


def test_existing_unindexed_key_column_gets_indexed(hub, tenant: Tenant, spec: ListSpec) -> None:
    lst = _partial_rollup(tenant)

    SharePointListSink(hub).ensure_list(spec)

    assert lst.field("ProjectKey").indexed
