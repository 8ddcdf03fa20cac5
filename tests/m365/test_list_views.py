"""Hub list views: created once by provisioning, found by title, their dated query moved on."""

from __future__ import annotations

from datetime import date

import pytest

from c3po_sync.m365.errors import SharePointRequestError
from c3po_sync.m365.http import SiteConnection
from c3po_sync.m365.list_views import creation_body, read_views
from c3po_sync.m365.provision import ListProvisioner
from c3po_sync.sandbox.model import Tenant
from c3po_sync.sandbox.model_views import views_of
from c3po_sync.sandbox.server import SandboxServer
from c3po_sync.sinks.base import ViewSpec
from c3po_sync.sinks.hub_lists import (
    FINDINGS_LIST,
    HUB_LISTS,
    MY_OPEN_FINDINGS,
    RESOLVED_THIS_QUARTER,
    as_of,
)


def _titles(tenant: Tenant, title: str) -> list[str]:
    return [v.title for v in views_of(tenant.sites["/sites/hub"].list_by_title(title))]


def test_views_exist_exactly_once_after_repeated_provisioning(
    hub: SiteConnection, tenant: Tenant, server: SandboxServer
) -> None:
    specs = [as_of(s, date(2026, 11, 1)) for s in HUB_LISTS]
    for _ in range(3):
        for spec in specs:
            ListProvisioner(hub).ensure(spec)

    for spec in specs:
        titles = _titles(tenant, spec.title)
        assert titles[0] == "All Items"
        assert sorted(titles[1:]) == sorted(v.title for v in spec.views)
    findings = tenant.sites["/sites/hub"].list_by_title(FINDINGS_LIST.title)
    mine = next(v for v in views_of(findings) if v.title == MY_OPEN_FINDINGS.title)
    assert "<UserID" in mine.query and mine.fields == list(MY_OPEN_FINDINGS.fields)
    server.stats.reset()
    assert ListProvisioner(hub).ensure(specs[1]) == []
    assert server.stats.count("POST", "view_add") == 0


def test_a_new_quarter_moves_the_resolved_view_on_without_a_second_view(
    hub: SiteConnection, tenant: Tenant
) -> None:
    ListProvisioner(hub).ensure(as_of(FINDINGS_LIST, date(2026, 11, 1)))

    changes = ListProvisioner(hub).ensure(as_of(FINDINGS_LIST, date(2027, 1, 5)))

    assert changes == [f"update the query of view '{RESOLVED_THIS_QUARTER}'"]
    assert _titles(tenant, FINDINGS_LIST.title).count(RESOLVED_THIS_QUARTER) == 1
    views = read_views(hub, FINDINGS_LIST.title)
    assert "2027-01-01" in views[RESOLVED_THIS_QUARTER.lower()]["ViewQuery"]


def test_dry_run_plans_views_and_adds_none(hub: SiteConnection, tenant: Tenant) -> None:
    changes = ListProvisioner(hub).ensure(FINDINGS_LIST, dry_run=True)

    assert f"add view '{MY_OPEN_FINDINGS.title}'" in changes
    assert FINDINGS_LIST.title.lower() not in tenant.sites["/sites/hub"].lists


def test_sandbox_keeps_a_same_titled_view_and_refuses_unknown_columns(
    hub: SiteConnection, tenant: Tenant
) -> None:
    """As SharePoint: titles are not keys (hence provisioning reads first), fields must exist."""
    ListProvisioner(hub).ensure(FINDINGS_LIST)
    url = hub.api(f"web/lists/getbytitle('{FINDINGS_LIST.title}')/views/add")
    made = hub.post_json(url, creation_body(MY_OPEN_FINDINGS), route="add view")
    assert made["ServerRelativeUrl"].endswith("/Myopenfindings1.aspx")
    assert _titles(tenant, FINDINGS_LIST.title).count(MY_OPEN_FINDINGS.title) == 2

    bad = ViewSpec("Broken", ("NoSuchColumn",), "")
    with pytest.raises(SharePointRequestError) as err:
        hub.post_json(url, creation_body(bad), route="add view")
    assert err.value.status == 400
    bad_query = ViewSpec("Broken", ("Title",), "<Where><Eq>")
    with pytest.raises(SharePointRequestError):
        hub.post_json(url, creation_body(bad_query), route="add view")
