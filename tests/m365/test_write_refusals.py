"""A row SharePoint refuses is quarantined and the rest is written; a row a person deletes
during the run is re-planned, never fatal."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from c3po_sync.m365.auth import StaticTokenProvider
from c3po_sync.m365.http import SiteConnection
from c3po_sync.m365.list_writer import SharePointListSink
from c3po_sync.sandbox.model import Tenant
from c3po_sync.sandbox.server import SandboxServer
from c3po_sync.sinks.base import ListSpec

from .conftest import FAST_RETRY, hub_site, projects_site, tenant_dict


class _DeleteBeforeBatch(SandboxServer):
    """Deletes the items with the keys in ``delete`` just before the first ``$batch`` is
    applied: a person deleting rows between the service's read and its write."""

    delete: set[str] = set()
    list_title = ""

    def handle(self, request):  # type: ignore[no-untyped-def]
        if self.delete and request.path.endswith("/_api/$batch"):
            lst = self.tenant.sites["/sites/hub"].list_by_title(self.list_title)
            for item_id, item in list(lst.items.items()):
                if item.values.get("ProjectKey") in self.delete:
                    lst.delete_item(item_id)
            self.delete = set()
        return super().handle(request)


@pytest.fixture
def deleting(spec: ListSpec) -> Iterator[tuple[Tenant, _DeleteBeforeBatch]]:
    tenant = Tenant.from_dict(tenant_dict([projects_site(), hub_site()]))
    server = _DeleteBeforeBatch(tenant, port=0)
    server.list_title = spec.title
    with server:
        yield tenant, server


def _keys(tenant: Tenant, spec: ListSpec) -> dict[str, dict]:
    lst = tenant.sites["/sites/hub"].list_by_title(spec.title)
    return {str(i.values.get("ProjectKey")): i.values for i in lst.items.values()}


def test_a_refused_row_is_quarantined_and_the_others_are_written(
    hub, tenant, spec, make_rows
) -> None:
    sink = SharePointListSink(hub)
    sink.ensure_list(spec)
    rows = make_rows(4)
    rows[1]["Budget"] = "lots"  # SharePoint answers 400 for this row inside the $batch

    report = sink.upsert(spec, rows)

    assert not report.failed
    (refused,) = report.quarantined
    assert (refused.list_title, refused.key) == (spec.title, "P001")
    assert "Budget" in refused.column and "lots" in refused.value
    assert "Cannot convert" in refused.reason and "HTTP 400" in refused.reason
    assert sorted(report.added) == ["P000", "P002", "P003"]
    assert sorted(_keys(tenant, spec)) == ["P000", "P002", "P003"]


def test_rows_deleted_during_the_run_are_replanned(deleting, spec, make_rows) -> None:
    tenant, server = deleting
    hub = SiteConnection.open(
        server.url + "/sites/hub", StaticTokenProvider("sandbox"), policy=FAST_RETRY
    )
    sink = SharePointListSink(hub)
    sink.ensure_list(spec)
    sink.upsert(spec, make_rows(4))
    rows = make_rows(3)  # P003 is no longer in the rows: it is to be marked gone
    rows[1]["Title"] = "renamed"
    server.delete = {"P001", "P003"}

    report = sink.upsert(spec, rows, mark_missing={"Phase": "Gone"})

    assert not report.failed and report.gone == 2
    items = _keys(tenant, spec)
    assert sorted(items) == ["P000", "P001", "P002"]  # P001 re-added, P003's mark dropped
    assert items["P001"]["Title"] == "renamed"
    assert sink.upsert(spec, rows, mark_missing={"Phase": "Gone"}).writes == 0


def test_a_value_the_server_refuses_with_500_is_quarantined_with_its_code(
    hub, tenant, spec, make_rows
) -> None:
    """A person made ``Notes`` a single line of text; the service writes it as multi-line: the
    server refuses the long value (500, -2130575336 "Invalid text value") for that row only."""
    sink = SharePointListSink(hub)
    sink.ensure_list(spec)
    lst = tenant.sites["/sites/hub"].list_by_title(spec.title)
    lst.delete_field(lst.field("Notes"))
    lst.add_field("Notes", "Text", internal_name="Notes")
    rows = make_rows(3)
    rows[2]["Notes"] = "n" * 300

    report = sink.upsert(spec, rows)

    assert not report.failed and sorted(report.added) == ["P000", "P001"]
    (refused,) = report.quarantined
    assert refused.key == "P002" and "HTTP 500" in refused.reason
    assert "-2130575336" in refused.reason
    assert sorted(_keys(tenant, spec)) == ["P000", "P001"]
