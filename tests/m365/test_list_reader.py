"""SharePointListSource against the sandbox: paging, expansion, ETags, lookup splitting, retries."""

from __future__ import annotations

import random

import pytest

from c3po_sync.m365.errors import AuthenticationError
from c3po_sync.m365.list_reader import SharePointListSource
from c3po_sync.sandbox.faults import FaultConfig
from c3po_sync.sandbox.model import Tenant
from c3po_sync.sandbox.server import SandboxServer
from c3po_sync.sources.base import SourceRef

TZ = "America/Los_Angeles"


def test_12000_items_read_in_three_item_requests(
    tenant: Tenant, server: SandboxServer, connect
) -> None:
    lst = tenant.sites["/sites/ppm"].create_list("Big", 100)
    lst.add_field("Score", "Number")
    for i in range(12_000):
        lst.add_item({"Title": f"Row {i}", "Score": i}, record=False)
    conn = connect("/sites/ppm")
    source = SharePointListSource(SourceRef("/sites/ppm", "Big"), conn, time_zone=TZ)

    batch = source.read(["Title", "Score"])

    assert len(batch.records) == 12_000
    assert [r.item_id for r in batch.records] == sorted(lst.items)
    assert batch.records[-1].values == {"Title": "Row 11999", "Score": 11999}
    assert server.stats.count("GET", "items") == 3
    assert server.stats.count("GET", "fields") == 1
    assert source.item_requests == 3
    assert batch.time_zone == TZ


def test_person_lookup_multi_values_and_etags(ppm, server: SandboxServer) -> None:
    source = SharePointListSource(SourceRef("/sites/ppm", "Projects"), ppm, time_zone=TZ)

    batch = source.read(["Title", "ProjectCode", "Budget", "PPM", "Team", "Department", "Tags"])

    first, second = batch.records
    assert first.values["PPM"] == {"Title": "Maria Lopez", "EMail": "maria.lopez@example.gov"}
    assert [p["Title"] for p in first.values["Team"]] == ["Maria Lopez", "Sam Chen"]
    assert first.values["Department"] == {"Title": "Finance", "Id": 1}
    assert first.values["Tags"] == ["A", "B"]
    assert first.values["Budget"] == 2000000
    assert first.etag == '"1"'
    assert first.modified and first.modified.endswith("Z")
    assert first.url and first.url.endswith("/sites/ppm/Lists/Projects/DispForm.aspx?ID=1")
    assert second.values["PPM"] is None
    assert second.values["Team"] in ([], None)
    kinds = {f.internal_name: f.kind for f in batch.fields}
    assert kinds["PPM"] == "User" and kinds["Department"] == "Lookup"


def test_missing_column_is_skipped_and_reported_through_fields(ppm) -> None:
    source = SharePointListSource(SourceRef("/sites/ppm", "Projects"), ppm, time_zone=TZ)

    batch = source.read(["Title", "NoSuchColumn"])

    assert all(set(r.values) == {"Title"} for r in batch.records)
    assert "NoSuchColumn" not in {f.internal_name for f in batch.fields}


def test_more_than_12_lookup_columns_are_split_and_merged(
    tenant: Tenant, server: SandboxServer, connect
) -> None:
    lst = tenant.sites["/sites/ppm"].list_by_title("Projects")
    names = [f"Owner{i}" for i in range(14)]
    for name in names:
        lst.add_field(name, "User")
    lst.update_item(1, {f"{n}Id": 10 + i % 2 for i, n in enumerate(names)})
    conn = connect("/sites/ppm")
    source = SharePointListSource(SourceRef("/sites/ppm", "Projects"), conn, time_zone=TZ)

    batch = source.read(["Title", *names])

    assert server.stats.count("GET", "items") == 2
    values = batch.records[0].values
    assert values["Title"] == "Treasury System"
    assert values["Owner13"]["Title"] == "Sam Chen"
    assert values["Owner0"]["Title"] == "Maria Lopez"


def _seed_with_first_roll_below(p: float) -> int:
    return next(s for s in range(1000) if random.Random(s).random() < p)


def test_throttled_requests_are_retried_after_retry_after(ppm, server: SandboxServer) -> None:
    server.faults = FaultConfig(
        p429=0.5, retry_after_s=0, seed=_seed_with_first_roll_below(0.5), routes={"items"}
    )
    source = SharePointListSource(SourceRef("/sites/ppm", "Projects"), ppm, time_zone=TZ)

    batch = source.read(["Title"])

    assert [r.values["Title"] for r in batch.records] == ["Treasury System", "Parking App"]
    assert server.stats.faults["429"] >= 1
    assert server.stats.statuses[429] >= 1


def test_unauthorized_is_not_retried(server: SandboxServer, connect) -> None:
    conn = connect("/sites/ppm", token=" ")
    source = SharePointListSource(SourceRef("/sites/ppm", "Projects"), conn, time_zone=TZ)

    with pytest.raises(AuthenticationError) as info:
        source.read(["Title"])

    assert server.stats.statuses[401] == 1
    assert info.value.status == 401
    assert "Unsupported app only token" in str(info.value)
