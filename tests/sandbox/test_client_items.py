"""The office365 3.3.0 client against the sandbox: item paging, writes, ETags and thresholds."""

from __future__ import annotations

import pytest
from office365.runtime.client_request_exception import ClientRequestException

from .conftest import client_for


def _big_list(sandbox, n: int, title: str = "Big"):
    site = sandbox.tenant.site_for_path("/sites/x")[0]
    lst = site.create_list(title)
    lst.add_field("Code", "Text")
    for i in range(n):
        lst.add_item({"Title": f"row {i}", "Code": f"C{i % 7}"}, record=False)
    return lst


def test_get_all_pages_past_5000_in_three_requests(sandbox):
    _big_list(sandbox, 12_000)
    ctx = client_for(sandbox)
    pages = []
    items = ctx.web.lists.get_by_title("Big").items.select(["Id", "Title"])
    items.get_all(page_size=5000, page_loaded=lambda coll: pages.append(len(coll))).execute_query()
    assert len(items) == 12_000
    assert len({it.id for it in items}) == 12_000
    assert items[11_999].properties["Title"] == "row 11999"
    assert "Code" not in items[0].properties  # __next carried the $select
    assert sandbox.stats.count("GET", "items") == 3


def test_paged_lazy_iteration_and_top_cap(sandbox):
    _big_list(sandbox, 250)
    ctx = client_for(sandbox)
    coll = ctx.web.lists.get_by_title("Big").items.select(["Id"]).paged(100).get().execute_query()
    assert len(coll) == 100
    assert sandbox.stats.count("GET", "items") == 1
    ids = [it.id for it in coll]
    assert ids == list(range(1, 251))
    assert sandbox.stats.count("GET", "items") == 3
    big = ctx.web.lists.get_by_title("Big").items.select(["Id"]).top(9000).get().execute_query()
    assert len(big) == 250  # $top over 5,000 is fine on a list under the threshold


def test_skip_is_ignored_on_items_as_spo(sandbox):
    """Recorded: `$top=2&$skip=4` answered items 1, 2 (PagingTests/RESTListItemPaging-0-00011)."""
    _big_list(sandbox, 10)
    ctx = client_for(sandbox)
    coll = (
        ctx.web.lists.get_by_title("Big").items.select(["Id"]).top(5).skip(5).get().execute_query()
    )
    assert [it.id for it in coll] == [1, 2, 3, 4, 5]


def test_threshold_on_unindexed_filter(sandbox):
    _big_list(sandbox, 5001)
    ctx = client_for(sandbox)
    with pytest.raises(ClientRequestException) as err:
        ctx.web.lists.get_by_title("Big").items.filter("Code eq 'C1'").get().execute_query()
    assert err.value.response.status_code == 500
    assert err.value.code == "-2147024860, Microsoft.SharePoint.SPQueryThrottledException"
    ok = (
        ctx.web.lists.get_by_title("Big")
        .items.filter("Id le 3")
        .select(["Id"])
        .get()
        .execute_query()
    )
    assert len(ok) == 3


def test_add_update_delete(sandbox):
    ctx = client_for(sandbox)
    lst = ctx.web.lists.get_by_title("Tasks")
    item = lst.add_item({"Title": "Hello", "Amount": 3, "AssignedToId": 10}).execute_query()
    assert item.id == 7 and item.properties["Title"] == "Hello"
    item.set_property("Title", "Changed").update().execute_query()
    got = lst.items.get_by_id(item.id).get().execute_query()
    assert got.properties["Title"] == "Changed"
    assert got.properties["OData__UIVersionString"] == "2.0"
    assert sandbox.stats.count("MERGE", "item") == 1
    got.delete_object().execute_query()
    with pytest.raises(ClientRequestException) as err:
        lst.get_item_by_id(item.id).get().execute_query()
    assert err.value.response.status_code == 404
    assert err.value.code == "-2130575338, System.ArgumentException"


def test_bad_field_name_in_write_body_is_400(sandbox):
    ctx = client_for(sandbox)
    with pytest.raises(ClientRequestException) as err:
        ctx.web.lists.get_by_title("Tasks").add_item({"NoSuchField": 1}).execute_query()
    assert err.value.response.status_code == 400


def test_stale_etag_gets_412(sandbox):
    """SHAREPOINT.md §5.1: capture the ETag, then force it into IF-MATCH with a request hook."""
    ctx = client_for(sandbox)
    lst = ctx.web.lists.get_by_title("Tasks")
    tag: dict[str, str] = {}
    item = lst.get_item_by_id(1)
    item.get().after_execute(lambda r: tag.update(v=r.headers["ETag"]), include_response=True)
    ctx.execute_query()
    assert tag["v"] == '"1"'
    sandbox.tenant.site_for_path("/sites/x")[0].list_by_title("Tasks").update_item(
        1, {"Title": "other"}
    )

    def force_etag(request):
        if request.method.value == "POST" and "getItemById(1)" in request.url:
            request.set_header("IF-MATCH", tag["v"])

    ctx.pending_request().beforeExecute += force_etag
    try:
        with pytest.raises(ClientRequestException) as err:
            item.set_property("Title", "mine").update().execute_query()
    finally:
        ctx.pending_request().beforeExecute -= force_etag
    assert err.value.response.status_code == 412
    assert err.value.code == "-1, Microsoft.SharePoint.Client.ClientServiceException"


def test_validate_update_list_item(sandbox):
    ctx = client_for(sandbox)
    item = ctx.web.lists.get_by_title("Tasks").get_item_by_id(2)
    result = item.validate_update_list_item(
        {"Title": "Validated", "Amount": "12.5", "Done": "Yes", "Nope": "x"}, dates_in_utc=True
    ).execute_query()
    by_name = {v.FieldName: v for v in result.value}
    assert by_name["Title"].HasException is False
    assert by_name["Nope"].HasException is True
    got = ctx.web.lists.get_by_title("Tasks").get_item_by_id(2).get().execute_query()
    assert got.properties["Title"] == "Validated" and got.properties["Amount"] == 12.5


def test_recycle_and_parent_list(sandbox):
    ctx = client_for(sandbox)
    item = ctx.web.lists.get_by_title("Tasks").get_item_by_id(3)
    item.recycle().execute_query()
    assert sandbox.stats.count("POST", "item_recycle") == 1
    assert 3 not in sandbox.tenant.site_for_path("/sites/x")[0].list_by_title("Tasks").items
