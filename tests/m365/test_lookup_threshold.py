"""Managed metadata and multi-value person/lookup columns count against the 12-join threshold."""

from __future__ import annotations

from typing import Any

from c3po_sync.m365.auth import StaticTokenProvider
from c3po_sync.m365.http import SiteConnection
from c3po_sync.m365.list_reader import SharePointListSource, plan_queries
from c3po_sync.m365.odata import THRESHOLD_KINDS
from c3po_sync.m365.schema import ListField
from c3po_sync.sandbox.model import Tenant
from c3po_sync.sandbox.server import SandboxServer
from c3po_sync.sources.base import SourceRef

from .conftest import FAST_RETRY, USERS, hub_site, tenant_dict

LOOKUPS = [f"Ref{i}" for i in range(7)]
PEOPLE = ["Owner", "Team"]
TERMS = [f"Term{i}" for i in range(5)]  # 7 + 2 + 5 = 14 joins: over the threshold in one query


def _site() -> dict[str, Any]:
    fields: list[dict[str, Any]] = [{"name": "Code", "kind": "Text"}]
    fields += [{"name": n, "kind": "Lookup", "lookup_list": "Departments"} for n in LOOKUPS]
    fields += [{"name": "Owner", "kind": "User"}, {"name": "Team", "kind": "UserMulti"}]
    fields += [{"name": n, "kind": "TaxonomyFieldType"} for n in TERMS]
    item: dict[str, Any] = {"Title": "Wide", "Code": "W1", "Owner": USERS[0]["email"]}
    item |= dict.fromkeys(LOOKUPS, 1)
    item["Team"] = [u["email"] for u in USERS]
    item |= {
        n: {"label": f"Label {n}", "term_guid": f"00000000-0000-0000-0000-00000000000{i}"}
        for i, n in enumerate(TERMS)
    }
    return {
        "url": "/sites/ppm",
        "title": "PPM",
        "lists": [
            {"title": "Departments", "items": [{"Title": "Finance"}]},
            {"title": "Wide", "fields": fields, "items": [item]},
        ],
    }


def test_queries_never_join_more_than_twelve_lookup_type_columns() -> None:
    fields = [ListField("Code", "Code", "Text")]
    fields += [ListField(n, n, "Lookup") for n in LOOKUPS]
    fields += [ListField("Owner", "Owner", "User"), ListField("Team", "Team", "UserMulti")]
    fields += [ListField(n, n, "TaxonomyFieldTypeMulti") for n in TERMS]
    queries = plan_queries(fields)
    assert len(queries) == 2
    for query in queries:
        assert sum(f.kind in THRESHOLD_KINDS for f in query) <= 12
    assert sorted(f.internal_name for q in queries for f in q) == sorted(
        f.internal_name for f in fields
    )


def test_a_list_with_fourteen_lookup_type_columns_reads_whole() -> None:
    tenant = Tenant.from_dict(tenant_dict([_site(), hub_site()]))
    with SandboxServer(tenant, port=0) as server:
        conn = SiteConnection.open(
            server.url + "/sites/ppm", StaticTokenProvider("sandbox"), policy=FAST_RETRY
        )
        source = SharePointListSource(SourceRef("/sites/ppm", "Wide"), conn, time_zone="UTC")
        batch = source.read(["Code", *LOOKUPS, *PEOPLE, *TERMS])

    (record,) = batch.records
    assert record.values["Code"] == "W1"
    for i, name in enumerate(TERMS):  # (SPO's item Label is the WssId; the GUID names the term)
        assert record.values[name]["TermGuid"].endswith(f"00{i}")
    for name in LOOKUPS:
        assert record.values[name]["Title"] == "Finance"
    assert len(record.values["Team"]) == 2
