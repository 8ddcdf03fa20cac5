"""Date-only values are written and compared in the hub's own regional time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from c3po_sync.m365.auth import StaticTokenProvider
from c3po_sync.m365.http import SiteConnection
from c3po_sync.m365.list_writer import SharePointListSink
from c3po_sync.m365.schema import zone_from_settings
from c3po_sync.sandbox.model import Tenant
from c3po_sync.sandbox.server import SandboxServer
from c3po_sync.sinks.base import ColumnSpec, ListSpec

from .conftest import FAST_RETRY, hub_site, projects_site, tenant_dict

DUE = ListSpec(
    title="Due Dates",
    key_column="ProjectKey",
    columns=(
        ColumnSpec("ProjectKey", "Project Key", "Text", indexed=True),
        ColumnSpec("Due", "Due", "DateTime", date_only=True),
    ),
)
DAYS = [
    date(2026, 1, 1),
    date(2026, 3, 8),  # US daylight saving starts
    date(2026, 3, 29),  # EU daylight saving starts
    date(2026, 7, 1),
    date(2026, 11, 1),  # US daylight saving ends
    date(2026, 12, 31),
]


def _stored(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


# Far west and far east of the service's own zone, with and without daylight saving.
@pytest.mark.parametrize(
    "zone", ["America/Los_Angeles", "Pacific/Honolulu", "Europe/London", "America/New_York"]
)
def test_dates_land_on_the_hubs_calendar_and_idle_runs_write_nothing(zone: str) -> None:
    hub = {**hub_site(), "time_zone": zone}
    tenant = Tenant.from_dict(tenant_dict([projects_site(), hub]))
    with SandboxServer(tenant, port=0) as server:
        conn = SiteConnection.open(
            server.url + "/sites/hub", StaticTokenProvider("sandbox"), policy=FAST_RETRY
        )
        sink = SharePointListSink(conn)
        sink.ensure_list(DUE)
        rows = [{"ProjectKey": f"P{i}", "Due": day} for i, day in enumerate(DAYS)]

        first = sink.upsert(DUE, rows)
        second = SharePointListSink(conn).upsert(DUE, rows)

    assert len(first.added) == len(DAYS)
    assert second.writes == 0, second.changed
    lst = tenant.sites["/sites/hub"].list_by_title(DUE.title)
    for item in lst.items.values():
        local = _stored(item.values["Due"]).astimezone(ZoneInfo(zone))
        key = str(item.values["ProjectKey"])
        assert local.date() == DAYS[int(key[1:])], (zone, key, item.values["Due"])
        assert (local.hour, local.minute) == (0, 0), (zone, key, item.values["Due"])


def test_the_zone_is_read_from_the_regional_settings() -> None:
    tokyo = {"Id": 20, "Description": "(UTC+09:00) Osaka, Sapporo, Tokyo"}
    assert zone_from_settings(tokyo, "/sites/hub") == "Asia/Tokyo"
    pacific = {"Id": 13, "Description": "(UTC-08:00) Pacific Time (US and Canada)"}
    assert zone_from_settings(pacific, "/sites/hub") == "America/Los_Angeles"
    unknown = {"Id": 999, "Description": "(UTC+05:30) Somewhere", "Information": {"Bias": -300}}
    assert zone_from_settings(unknown, "/sites/hub") == "Etc/GMT-5"  # five hours ahead
