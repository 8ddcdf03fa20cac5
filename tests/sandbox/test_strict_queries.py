"""SharePoint Online's query limits: lookup threshold, `$top` over 5,000, sort threshold."""

from __future__ import annotations

import pytest
import requests
from office365.runtime.client_request_exception import ClientRequestException
from office365.sharepoint.listitems.caml.query import CamlQuery

from .conftest import client_for
from .test_client_items import _big_list

LOOKUP_CODE = "-2147024749, Microsoft.SharePoint.SPQueryThrottledException"
VIEW_CODE = "-2147024860, Microsoft.SharePoint.SPQueryThrottledException"


def _wide_list(sandbox, people: int, lookups: int = 0, terms: int = 0):
    site = sandbox.tenant.site_for_path("/sites/x")[0]
    lst = site.create_list("Wide")
    names = []
    for i in range(people):
        names.append(lst.add_field(f"Person{i}", "User").internal_name)
    for i in range(lookups):
        names.append(lst.add_field(f"Ref{i}", "Lookup", lookup_list="Customers").internal_name)
    for i in range(terms):
        names.append(lst.add_field(f"Term{i}", "TaxonomyFieldType").internal_name)
    lst.add_item({"Title": "one"}, record=False)
    return names


def test_more_than_12_selected_lookup_columns_fail(sandbox):
    names = _wide_list(sandbox, people=5, lookups=4, terms=4)  # 13 lookup-type columns
    items = client_for(sandbox).web.lists.get_by_title("Wide").items
    with pytest.raises(ClientRequestException) as err:
        items.select(["Id", *names]).get().execute_query()
    assert err.value.response.status_code == 500 and err.value.code == LOOKUP_CODE
    assert "lookup column threshold" in str(err.value)
    ok = items.select(["Id", *names[:12]]).get().execute_query()
    assert len(ok) == 1


def test_without_select_every_lookup_column_counts_including_author_editor(sandbox):
    _wide_list(sandbox, people=11)  # + Created By + Modified By = 13
    lst = client_for(sandbox).web.lists.get_by_title("Wide")
    with pytest.raises(ClientRequestException) as err:
        lst.items.get().execute_query()
    assert err.value.code == LOOKUP_CODE
    with pytest.raises(ClientRequestException) as err:
        lst.get_item_by_id(1).get().execute_query()
    assert err.value.code == LOOKUP_CODE
    assert len(lst.items.select(["Id", "Title"]).get().execute_query()) == 1


@pytest.mark.filterwarnings("ignore::UserWarning")  # 3.3.0 threshold hints
def test_caml_view_fields_count_too(sandbox):
    names = _wide_list(sandbox, people=13)
    fields = "".join(f"<FieldRef Name='{n}'/>" for n in names)
    query = CamlQuery(ViewXml=f"<View><ViewFields>{fields}</ViewFields></View>")
    lst = client_for(sandbox).web.lists.get_by_title("Wide")
    with pytest.raises(ClientRequestException) as err:
        lst.get_items(query).execute_query()
    assert err.value.code == LOOKUP_CODE


@pytest.mark.filterwarnings("ignore::UserWarning")  # 3.3.0 threshold hints
def test_top_over_5000_on_a_list_over_the_threshold_fails(sandbox):
    _big_list(sandbox, 5001)
    items = client_for(sandbox).web.lists.get_by_title("Big").items.select(["Id"])
    with pytest.raises(ClientRequestException) as err:
        items.top(5001).get().execute_query()
    assert err.value.code == VIEW_CODE
    assert len(items.top(5000).get().execute_query()) == 5000


def test_orderby_unindexed_column_over_the_threshold_fails(sandbox):
    """Raw request: 3.3.0's `order_by` sends `$order_by`, which SPO ignores (SHAREPOINT.md §2.1)."""
    _big_list(sandbox, 5001)
    url = sandbox.url + "/sites/x/_api/web/lists/getbytitle('Big')/items"
    headers = {"Authorization": "Bearer t", "Accept": "application/json;odata=verbose"}
    resp = requests.get(url, params={"$orderby": "Code", "$top": "10"}, headers=headers, timeout=10)
    assert resp.status_code == 500 and resp.json()["error"]["code"] == VIEW_CODE
    resp = requests.get(
        url, params={"$orderby": "ID desc", "$top": "1"}, headers=headers, timeout=10
    )
    assert resp.status_code == 200


def test_client_skip_fallback_still_terminates_because_next_is_sent(sandbox):
    """3.x falls back to `$skip` only when a full page has no `__next`; SPO (and the sandbox)
    send `__next` whenever more rows remain, so paging ends although `$skip` is ignored."""
    _big_list(sandbox, 250)
    items = client_for(sandbox).web.lists.get_by_title("Big").items.select(["Id"])
    items.get_all(page_size=100).execute_query()
    assert [it.id for it in items] == list(range(1, 251))


@pytest.mark.filterwarnings("ignore::UserWarning")  # 3.3.0 threshold hints
def test_caml_view_without_row_limit_on_a_list_over_the_threshold_fails(sandbox):
    _big_list(sandbox, 5001)
    lst = client_for(sandbox).web.lists.get_by_title("Big")
    with pytest.raises(ClientRequestException) as err:
        lst.get_items(CamlQuery(ViewXml="<View><Query></Query></View>")).execute_query()
    assert err.value.code == VIEW_CODE
    paged = CamlQuery(ViewXml="<View><RowLimit Paged='TRUE'>2000</RowLimit></View>")
    assert len(lst.get_items(paged).execute_query()) == 2000
