"""Change tokens older than the site's change-log retention answer no changes and no error,
as SharePoint Online does (SharePoint/sp-dev-docs#10389)."""

from __future__ import annotations

from datetime import timedelta

from office365.sharepoint.changes.query import ChangeQuery
from office365.sharepoint.changes.token import ChangeToken

from c3po_sync.sandbox.model import Tenant

from .conftest import client_for


def _token(obj) -> str:
    obj.select(["CurrentChangeToken"]).get().execute_query()
    return obj.properties["CurrentChangeToken"].StringValue


def _changes(obj, token: str):
    return obj.get_changes(ChangeQuery(Item=True, ChangeTokenStart=ChangeToken(token)))


def test_token_older_than_60_days_returns_nothing_silently(sandbox):
    ctx = client_for(sandbox)
    lst = ctx.web.lists.get_by_title("Tasks")
    start, site_start = _token(lst), _token(ctx.site)
    lst.add_item({"Title": "within"}).execute_query()
    sandbox.tenant.advance_clock(timedelta(days=59))
    assert len(_changes(lst, start).execute_query()) == 1
    sandbox.tenant.advance_clock(timedelta(days=2))
    lst.add_item({"Title": "after"}).execute_query()
    assert len(_changes(lst, start).execute_query()) == 0  # no error, no changes
    assert len(_changes(ctx.site, site_start).execute_query()) == 0
    fresh = _token(lst)
    lst.add_item({"Title": "fresh"}).execute_query()
    assert len(_changes(lst, fresh).execute_query()) == 1


def test_retention_is_a_site_and_tenant_setting(sandbox):
    site = sandbox.tenant.sites["/sites/x"]
    site.change_log.max_age_days = 7
    ctx = client_for(sandbox)
    lst = ctx.web.lists.get_by_title("Tasks")
    start = _token(lst)
    lst.add_item({"Title": "x"}).execute_query()
    sandbox.tenant.advance_clock(timedelta(days=8))
    assert len(_changes(lst, start).execute_query()) == 0
    assert Tenant(change_log_days=30).change_log_days == 30
    head = {"format": "c3po-tenant/1", "tenant": {"name": "t", "change_log_days": 10}}
    loaded = Tenant.from_dict({**head, "sites": [{"url": "/sites/a", "title": "A"}]})
    assert loaded.sites["/sites/a"].change_log.max_age_days == 10
